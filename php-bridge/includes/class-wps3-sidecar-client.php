<?php
/**
 * Client of the Node sidecar (HTTP/1.1 over a unix socket), which starts the sidecar on demand.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

/**
 * Talks to `php-bridge/sidecar/server.mjs` through ext-curl and CURLOPT_UNIX_SOCKET_PATH.
 *
 * One curl handle is reused for the whole PHP request. When nothing answers on the socket, the
 * client starts the sidecar detached (setsid + nohup), under an flock so that two PHP requests
 * never start two sidecars, and polls its health for a bounded time.
 */
class WPS3_Sidecar_Client {

	/**
	 * Singleton.
	 *
	 * @var WPS3_Sidecar_Client|null
	 */
	private static $instance = null;

	/**
	 * Reused curl handle.
	 *
	 * @var CurlHandle|null
	 */
	private $ch = null;

	/**
	 * Last start failure of this request (so one request does not try to start a broken sidecar again and again).
	 *
	 * @var WP_Error|null
	 */
	private $start_error = null;

	/**
	 * Whether this PHP request already checked that the running sidecar is current (not stale, not hung).
	 *
	 * @var bool
	 */
	private $checked = false;

	/**
	 * Network-wide option holding the random part of the default runtime directory.
	 */
	const SUFFIX_OPTION = 'wps3_runtime_suffix';

	/**
	 * Returns the shared client.
	 *
	 * @return WPS3_Sidecar_Client
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Closes the curl handle.
	 */
	public function __destruct() {
		$this->ch = null;
	}

	/**
	 * Whether the sidecar is reached over TCP (WPS3_SIDECAR_URL) instead of a unix socket.
	 *
	 * @return bool
	 */
	public function uses_tcp() {
		return defined( 'WPS3_SIDECAR_URL' ) && '' !== (string) WPS3_SIDECAR_URL;
	}

	/**
	 * Parsed WPS3_SIDECAR_URL: `array( base, host, port )`, or an error when it is not a loopback http URL.
	 *
	 * @return array|WP_Error
	 */
	public function tcp_target() {
		$url   = (string) WPS3_SIDECAR_URL;
		$parts = wp_parse_url( $url );
		$host  = is_array( $parts ) ? strtolower( trim( (string) ( $parts['host'] ?? '' ), '[]' ) ) : '';
		if ( ! is_array( $parts ) || 'http' !== strtolower( (string) ( $parts['scheme'] ?? '' ) ) || empty( $parts['port'] )
			|| ! in_array( $host, array( '127.0.0.1', 'localhost' ), true ) || isset( $parts['user'] ) || isset( $parts['query'] ) ) {
			return WPS3_Errors::make(
				'SIDECAR_UNAVAILABLE',
				/* translators: %s: URL */
				sprintf( __( 'WPS3_SIDECAR_URL must be a loopback URL with a port, such as http://127.0.0.1:7781 (it is %s).', 'wps3' ), $url ),
				array(
					'fix'       => __( 'Set WPS3_SIDECAR_URL in wp-config.php to http://127.0.0.1:<port>, or remove it to use the unix socket.', 'wps3' ),
					'retryable' => true,
					'permanent' => false,
				)
			);
		}
		// The sidecar listens on 127.0.0.1 only.
		return array(
			'base' => 'http://127.0.0.1:' . (int) $parts['port'],
			'host' => '127.0.0.1',
			'port' => (int) $parts['port'],
		);
	}

	/**
	 * Token file of the TCP fallback (WPS3_SIDECAR_TOKEN_FILE, default `sidecar.token` in the runtime directory).
	 *
	 * @return string
	 */
	public function token_file() {
		if ( defined( 'WPS3_SIDECAR_TOKEN_FILE' ) && '' !== (string) WPS3_SIDECAR_TOKEN_FILE ) {
			return (string) WPS3_SIDECAR_TOKEN_FILE;
		}
		return $this->runtime_dir() . '/sidecar.token';
	}

	/**
	 * Bearer token of the TCP fallback ('' when the file is missing: the sidecar creates it when it starts).
	 *
	 * @return string
	 */
	private function token() {
		$file = $this->token_file();
		if ( ! is_readable( $file ) ) {
			return '';
		}
		return trim( (string) file_get_contents( $file ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
	}

	/**
	 * Whether the runtime directory is the plugin's default one (not chosen by an admin).
	 *
	 * @return bool
	 */
	public function is_default_runtime_dir() {
		return ! ( defined( 'WPS3_SIDECAR_SOCKET' ) && WPS3_SIDECAR_SOCKET );
	}

	/**
	 * Random part of the default runtime directory name, created once per install (network-wide option), so
	 * that other users of the host cannot predict the directory and create it first.
	 *
	 * @return string
	 */
	private function runtime_suffix() {
		$suffix = (string) get_site_option( self::SUFFIX_OPTION, '' );
		if ( ! preg_match( '/^[a-f0-9]{16}$/', $suffix ) ) {
			$candidate = bin2hex( random_bytes( 8 ) );
			if ( '' === $suffix ) {
				add_site_option( self::SUFFIX_OPTION, $candidate );
			} else {
				update_site_option( self::SUFFIX_OPTION, $candidate );
			}
			// Another request may have won the race: use what is stored.
			wp_cache_delete( self::SUFFIX_OPTION, 'site-options' );
			$suffix = (string) get_site_option( self::SUFFIX_OPTION, $candidate );
			if ( ! preg_match( '/^[a-f0-9]{16}$/', $suffix ) ) {
				$suffix = $candidate;
			}
		}
		return $suffix;
	}

	/**
	 * Directory holding the socket, pid file, lock file and log.
	 *
	 * @return string
	 */
	public function runtime_dir() {
		if ( ! $this->is_default_runtime_dir() ) {
			return dirname( (string) WPS3_SIDECAR_SOCKET );
		}
		return rtrim( sys_get_temp_dir(), '/' ) . '/wps3-' . substr( md5( ABSPATH . '|' . WPS3_PLUGIN_DIR ), 0, 8 ) . '-' . $this->runtime_suffix();
	}

	/**
	 * Unix socket path.
	 *
	 * @return string
	 */
	public function socket_path() {
		if ( ! $this->is_default_runtime_dir() ) {
			return (string) WPS3_SIDECAR_SOCKET;
		}
		return $this->runtime_dir() . '/sidecar.sock';
	}

	/**
	 * Where the sidecar is reached, for messages and cache keys.
	 *
	 * @return string
	 */
	public function address() {
		return $this->uses_tcp() ? (string) WPS3_SIDECAR_URL : $this->socket_path();
	}

	/**
	 * Pid file path.
	 *
	 * @return string
	 */
	public function pid_file() {
		return $this->runtime_dir() . '/sidecar.pid';
	}

	/**
	 * Log file path (stdout and stderr of the sidecar).
	 *
	 * @return string
	 */
	public function log_file() {
		return $this->runtime_dir() . '/sidecar.log';
	}

	/**
	 * Lock file path.
	 *
	 * @return string
	 */
	private function lock_file() {
		return $this->runtime_dir() . '/sidecar.lock';
	}

	/**
	 * File recording which plugin version started the running sidecar (pid + version).
	 *
	 * @return string
	 */
	private function marker_file() {
		return $this->runtime_dir() . '/sidecar.started';
	}

	/**
	 * Files the plugin may create in its runtime directory (removed on uninstall).
	 *
	 * @return string[]
	 */
	public function runtime_files() {
		$dir = $this->runtime_dir();
		return array( $dir . '/sidecar.sock', $this->pid_file(), $this->lock_file(), $this->log_file(), $this->marker_file(), $dir . '/sidecar.token' );
	}

	/**
	 * Path of the sidecar script.
	 *
	 * @return string
	 */
	public function server_script() {
		/**
		 * Filters the path of the sidecar script the plugin starts (default `sidecar/server.mjs` of the plugin).
		 *
		 * @param string $script Absolute path.
		 */
		$script = apply_filters( 'wps3_sidecar_script', WPS3_PLUGIN_DIR . '/sidecar/server.mjs' );
		return is_string( $script ) && '' !== $script ? $script : WPS3_PLUGIN_DIR . '/sidecar/server.mjs';
	}

	/**
	 * Runs one sidecar op (`POST /v1/op/<op>`), starting the sidecar when needed.
	 *
	 * @param string $op      Op name, e.g. `render-key`.
	 * @param array  $args    Op arguments (wasm shapes, camelCase).
	 * @param int    $timeout Seconds before giving up (0 = no limit).
	 * @param array  $options `progress`: callable run about once a second while waiting; returning false aborts
	 *                        the request (the sidecar then stops the op). `stall_check`: seconds between health
	 *                        checks of the sidecar on a second connection while waiting (0 = none); the request
	 *                        is aborted when the sidecar stops answering them.
	 * @return array|WP_Error The op's result, or a WP_Error carrying code/cause/fix/retryable/permanent.
	 */
	public function call( $op, array $args = array(), $timeout = 30, array $options = array() ) {
		$body = wp_json_encode( (object) $args );
		if ( false === $body ) {
			return WPS3_Errors::make( 'BAD_REQUEST', __( 'The request to the sidecar could not be encoded as JSON.', 'wps3' ) );
		}
		$response = $this->request_with_start( 'POST', '/v1/op/' . rawurlencode( $op ), $body, $timeout, $options );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		list( $status, $decoded ) = $response;
		if ( is_array( $decoded ) && array_key_exists( 'ok', $decoded ) ) {
			if ( true === $decoded['ok'] ) {
				return isset( $decoded['result'] ) && is_array( $decoded['result'] ) ? $decoded['result'] : array( 'value' => $decoded['result'] ?? null );
			}
			if ( isset( $decoded['error'] ) && is_array( $decoded['error'] ) ) {
				return WPS3_Errors::from_sidecar( $decoded['error'] );
			}
		}
		return $this->bad_response( $status );
	}

	/**
	 * Runs several ops in one round trip (`POST /v1/batch`).
	 *
	 * @param array $ops     List of `array( 'op' => …, 'args' => … )`.
	 * @param int   $timeout Seconds.
	 * @return array|WP_Error One entry per op: the result array, or a WP_Error for a failed op.
	 */
	public function batch( array $ops, $timeout = 30 ) {
		$list = array();
		foreach ( $ops as $op ) {
			$list[] = array(
				'op'   => (string) $op['op'],
				'args' => (object) ( $op['args'] ?? array() ),
			);
		}
		$body = wp_json_encode( array( 'ops' => $list ) );
		if ( false === $body ) {
			return WPS3_Errors::make( 'BAD_REQUEST', __( 'The request to the sidecar could not be encoded as JSON.', 'wps3' ) );
		}
		$response = $this->request_with_start( 'POST', '/v1/batch', $body, $timeout );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		list( $status, $decoded ) = $response;
		if ( 200 !== $status || ! is_array( $decoded ) || ! isset( $decoded['results'] ) || ! is_array( $decoded['results'] ) ) {
			if ( is_array( $decoded ) && isset( $decoded['error'] ) && is_array( $decoded['error'] ) ) {
				return WPS3_Errors::from_sidecar( $decoded['error'] );
			}
			return $this->bad_response( $status );
		}
		$out = array();
		foreach ( $decoded['results'] as $item ) {
			if ( is_array( $item ) && ! empty( $item['ok'] ) ) {
				$out[] = is_array( $item['result'] ?? null ) ? $item['result'] : array( 'value' => $item['result'] ?? null );
			} else {
				$out[] = WPS3_Errors::from_sidecar( is_array( $item['error'] ?? null ) ? $item['error'] : array( 'code' => 'INTERNAL' ) );
			}
		}
		return $out;
	}

	/**
	 * `GET /v1/health` without starting anything.
	 *
	 * @param int $timeout Seconds.
	 * @return array|WP_Error
	 */
	public function health( $timeout = 2 ) {
		$response = $this->request( 'GET', '/v1/health', null, $timeout, array( 'handle' => 'health' ) );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		list( $status, $decoded ) = $response;
		if ( 200 === $status && is_array( $decoded ) && ! empty( $decoded['ok'] ) ) {
			return $decoded;
		}
		return $this->bad_response( $status );
	}

	/**
	 * Makes sure a current sidecar answers, starting (or restarting a stale or hung) one if needed.
	 *
	 * @return array|WP_Error Health document, or why the sidecar cannot run.
	 */
	public function ensure_running() {
		$this->checked = true;
		$health        = $this->health();
		if ( ! is_wp_error( $health ) && ! $this->is_stale( $health ) ) {
			delete_transient( 'wps3_sidecar_error' );
			return $health;
		}
		if ( is_wp_error( $health ) && 'UNAUTHORIZED' === WPS3_Errors::field( $health, 'code' ) ) {
			return $health; // A sidecar runs there but we hold the wrong token: starting another cannot help.
		}
		if ( null !== $this->start_error ) {
			return $this->start_error;
		}
		$result = $this->start();
		if ( is_wp_error( $result ) ) {
			// Whatever stops the sidecar (no Node.js, broken build, permissions) can be fixed by an admin:
			// callers such as the backup queue keep their jobs and retry later.
			$data              = (array) $result->get_error_data();
			$data['retryable'] = true;
			$data['permanent'] = false;
			$result            = new WP_Error( $result->get_error_code(), $result->get_error_message(), $data );
			$this->start_error = $result;
			set_transient(
				'wps3_sidecar_error',
				array(
					'message' => $result->get_error_message(),
					'fix'     => WPS3_Errors::field( $result, 'fix', '' ),
					'time'    => time(),
				),
				HOUR_IN_SECONDS
			);
			return $result;
		}
		delete_transient( 'wps3_sidecar_error' );
		return $result;
	}

	/**
	 * Whether a running sidecar belongs to another version of the plugin.
	 *
	 * A sidecar that reports `sidecarVersion` equal to the plugin version is current. One that reports
	 * another version, or none, is stale, unless this plugin version started that very process from its
	 * own script (recorded in `sidecar.started`), so a sidecar that reports no version is restarted once,
	 * not on every request.
	 *
	 * @param array $health Health document.
	 * @return bool
	 */
	public function is_stale( array $health ) {
		$version = isset( $health['sidecarVersion'] ) && is_scalar( $health['sidecarVersion'] ) ? (string) $health['sidecarVersion'] : null;
		if ( WPS3_VERSION === $version ) {
			return false;
		}
		$marker = is_readable( $this->marker_file() ) ? json_decode( (string) file_get_contents( $this->marker_file() ), true ) : null; // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( is_array( $marker ) && isset( $marker['pid'], $marker['plugin'], $health['pid'] ) && (int) $marker['pid'] === (int) $health['pid'] && WPS3_VERSION === $marker['plugin']
			&& ( null === $version || ( isset( $marker['sidecarVersion'] ) && $marker['sidecarVersion'] === $version ) ) ) {
			return false;
		}
		return true;
	}

	/**
	 * Health of the sidecar for admin screens, cached for a minute so that screens do not wait on it.
	 *
	 * @return bool Whether the sidecar answered.
	 */
	public function cached_health_ok() {
		$key    = 'wps3_sc_health_' . substr( md5( $this->address() ), 0, 12 );
		$cached = get_transient( $key );
		if ( 'ok' === $cached || 'down' === $cached ) {
			return 'ok' === $cached;
		}
		$ok = ! is_wp_error( $this->health( 1 ) );
		set_transient( $key, $ok ? 'ok' : 'down', MINUTE_IN_SECONDS );
		return $ok;
	}

	/**
	 * Sends a request; on a connect failure starts the sidecar and tries once more. The first request of
	 * a PHP request also makes sure the running sidecar is current (restarting a stale or hung one).
	 *
	 * @param string      $method  GET or POST.
	 * @param string      $path    Path.
	 * @param string|null $body    JSON body.
	 * @param int         $timeout Seconds.
	 * @param array       $options See call().
	 * @return array|WP_Error `array( status, decoded )`.
	 */
	private function request_with_start( $method, $path, $body, $timeout, array $options = array() ) {
		if ( ! $this->checked ) {
			$started = $this->ensure_running();
			if ( is_wp_error( $started ) ) {
				return $started;
			}
		}
		$response = $this->request( $method, $path, $body, $timeout, $options );
		if ( ! is_wp_error( $response ) ) {
			return $response;
		}
		if ( ! WPS3_Errors::field( $response, 'not_connected', false ) ) {
			// The sidecar was reached but the request broke (crash mid-request, timeout, aborted): do not
			// replay it here; the caller decides (the backup queue retries the whole job).
			return $response;
		}
		$this->start_error = null;
		$started           = $this->ensure_running();
		if ( is_wp_error( $started ) ) {
			return $started;
		}
		return $this->request( $method, $path, $body, $timeout, $options );
	}

	/**
	 * One HTTP exchange with the sidecar (unix socket, or loopback TCP with a bearer token).
	 *
	 * @param string      $method  GET or POST.
	 * @param string      $path    Path.
	 * @param string|null $body    JSON body.
	 * @param int         $timeout Seconds (0 = none).
	 * @param array       $options See call(); `handle` => 'health' uses a separate curl handle.
	 * @return array|WP_Error `array( status, decoded JSON or null )`.
	 */
	private function request( $method, $path, $body, $timeout, array $options = array() ) {
		if ( ! function_exists( 'curl_init' ) ) {
			return WPS3_Errors::make(
				'SIDECAR_UNAVAILABLE',
				__( 'The PHP curl extension is missing.', 'wps3' ),
				array( 'fix' => __( 'Install and enable the PHP curl extension (php-curl).', 'wps3' ) )
			);
		}
		$headers = array( 'Accept: application/json', 'Expect:' );
		if ( $this->uses_tcp() ) {
			$target = $this->tcp_target();
			if ( is_wp_error( $target ) ) {
				return $target;
			}
			$url   = $target['base'] . $path;
			$token = $this->token();
			if ( '' === $token ) {
				return $this->unavailable( __( 'The sidecar token file does not exist yet.', 'wps3' ), true );
			}
			$headers[] = 'Authorization: Bearer ' . $token;
			$transport = array( CURLOPT_URL => $url );
		} else {
			$socket = $this->socket_path();
			if ( strlen( $socket ) > 100 ) {
				return WPS3_Errors::make(
					'SIDECAR_UNAVAILABLE',
					/* translators: %s: socket path */
					sprintf( __( 'The sidecar socket path is too long for a unix socket: %s', 'wps3' ), $socket ),
					array( 'fix' => __( 'Define a shorter WPS3_SIDECAR_SOCKET in wp-config.php, e.g. /run/wps3/sidecar.sock.', 'wps3' ) )
				);
			}
			if ( ! file_exists( $socket ) ) {
				return $this->unavailable( __( 'The sidecar socket does not exist.', 'wps3' ), true );
			}
			$transport = array(
				CURLOPT_UNIX_SOCKET_PATH => $socket,
				CURLOPT_URL              => 'http://localhost' . $path,
			);
		}
		$separate = isset( $options['handle'] ) && 'health' === $options['handle'];
		if ( $separate ) {
			// Health checks may run from inside a transfer's progress callback: never on that transfer's handle.
			$ch = curl_init();
		} elseif ( null === $this->ch ) {
			$this->ch = curl_init();
			$ch       = $this->ch;
		} else {
			curl_reset( $this->ch );
			$ch = $this->ch;
		}
		$curl_options = $transport + array(
			CURLOPT_RETURNTRANSFER    => true,
			CURLOPT_HEADER            => false,
			CURLOPT_CONNECTTIMEOUT_MS => 2000,
			CURLOPT_TIMEOUT           => max( 0, (int) $timeout ),
			CURLOPT_NOSIGNAL          => true,
			CURLOPT_PROXY             => '',
			CURLOPT_FOLLOWLOCATION    => false,
			// Long ops get their own connection: if the sidecar dies mid-upload, libcurl must not silently
			// replay the request on a new connection (it does that for reused ones); the caller decides.
			CURLOPT_FRESH_CONNECT     => 0 === (int) $timeout || (int) $timeout > 60,
		);
		$aborted = null;
		if ( ! empty( $options['progress'] ) || ! empty( $options['stall_check'] ) ) {
			$progress    = $options['progress'] ?? null;
			$stall_every = max( 0, (int) ( $options['stall_check'] ?? 0 ) );
			$next_check  = time() + $stall_every;
			$misses      = 0;
			$curl_options[ CURLOPT_NOPROGRESS ]       = false;
			$curl_options[ CURLOPT_XFERINFOFUNCTION ] = function () use ( $progress, $stall_every, &$next_check, &$misses, &$aborted ) {
				if ( is_callable( $progress ) && false === call_user_func( $progress ) ) {
					$aborted = 'callback';
					return 1;
				}
				if ( $stall_every > 0 && time() >= $next_check ) {
					$next_check = time() + $stall_every;
					$misses     = is_wp_error( $this->health( 5 ) ) ? $misses + 1 : 0;
					if ( $misses >= 3 ) {
						$aborted = 'stalled';
						return 1;
					}
				}
				return 0;
			};
		}
		if ( 'POST' === $method ) {
			$headers[]                          = 'Content-Type: application/json';
			$curl_options[ CURLOPT_POST ]       = true;
			$curl_options[ CURLOPT_POSTFIELDS ] = (string) $body;
		} else {
			$curl_options[ CURLOPT_HTTPGET ] = true;
		}
		$curl_options[ CURLOPT_HTTPHEADER ] = $headers;
		curl_setopt_array( $ch, $curl_options );

		$raw = curl_exec( $ch );
		if ( false === $raw ) {
			$errno = curl_errno( $ch );
			$error = curl_error( $ch );
			if ( ! $separate ) {
				// Do not keep a connection the sidecar may still be working on.
				$this->ch = null;
			}
			if ( 'callback' === $aborted ) {
				return WPS3_Errors::make(
					'ABORTED',
					__( 'The request to the sidecar was aborted (the worker no longer owns the job).', 'wps3' ),
					array(
						'retryable' => true,
						'permanent' => false,
					)
				);
			}
			if ( 'stalled' === $aborted ) {
				return $this->unavailable( __( 'The sidecar stopped answering health checks during the request; it was abandoned.', 'wps3' ), false );
			}
			// 7 = could not connect (no listener / stale socket file): safe to start the sidecar and resend.
			$not_connected = ( 7 === $errno );
			return $this->unavailable(
				/* translators: 1: curl error number, 2: curl error text */
				sprintf( __( 'The sidecar did not answer (curl error %1$d: %2$s).', 'wps3' ), $errno, $error ),
				$not_connected
			);
		}
		$status  = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		$decoded = json_decode( (string) $raw, true );
		if ( 401 === $status && $this->uses_tcp() ) {
			return WPS3_Errors::make(
				'UNAUTHORIZED',
				__( 'The sidecar refused the bearer token.', 'wps3' ),
				array(
					'fix'       => __( 'WPS3_SIDECAR_TOKEN_FILE must be the token file the sidecar on WPS3_SIDECAR_URL was started with.', 'wps3' ),
					'retryable' => true,
					'permanent' => false,
				)
			);
		}
		return array( $status, is_array( $decoded ) ? $decoded : null );
	}

	/**
	 * Error for "sidecar not reachable".
	 *
	 * @param string $message       Message.
	 * @param bool   $not_connected Whether the request never reached a sidecar.
	 * @return WP_Error
	 */
	private function unavailable( $message, $not_connected ) {
		$desc = WPS3_Errors::describe( 'SIDECAR_UNAVAILABLE', $message );
		return WPS3_Errors::make(
			'SIDECAR_UNAVAILABLE',
			$message,
			array(
				'fix'           => $desc['fix'],
				'retryable'     => true,
				'permanent'     => false,
				'not_connected' => $not_connected,
			)
		);
	}

	/**
	 * Error for an unparseable response.
	 *
	 * @param int $status HTTP status.
	 * @return WP_Error
	 */
	private function bad_response( $status ) {
		return WPS3_Errors::make(
			'SIDECAR_BAD_RESPONSE',
			/* translators: %d: HTTP status */
			sprintf( __( 'The sidecar sent an unexpected response (HTTP %d).', 'wps3' ), (int) $status ),
			array(
				'fix'       => __( 'Check that the sidecar matches this plugin version; see the sidecar log.', 'wps3' ),
				'retryable' => true,
				'permanent' => false,
			)
		);
	}

	/**
	 * The Node binary to run, or an error when there is none.
	 *
	 * @return string|WP_Error
	 */
	public function node_binary() {
		if ( defined( 'WPS3_NODE_BINARY' ) && WPS3_NODE_BINARY ) {
			$node = (string) WPS3_NODE_BINARY;
			if ( is_file( $node ) && is_executable( $node ) ) {
				return $node;
			}
			return WPS3_Errors::make(
				'NODE_MISSING',
				/* translators: %s: path */
				sprintf( __( 'WPS3_NODE_BINARY points to %s, which is not an executable file.', 'wps3' ), $node ),
				array( 'fix' => __( 'Set WPS3_NODE_BINARY in wp-config.php to the absolute path of Node.js 20 or newer.', 'wps3' ) )
			);
		}
		$dirs = array_filter( explode( PATH_SEPARATOR, (string) getenv( 'PATH' ) ) );
		$dirs = array_merge( $dirs, array( '/usr/local/bin', '/usr/bin', '/bin', '/opt/homebrew/bin' ) );
		foreach ( array_unique( $dirs ) as $dir ) {
			$candidate = rtrim( $dir, '/' ) . '/node';
			if ( @is_file( $candidate ) && @is_executable( $candidate ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- open_basedir may forbid the look-up.
				return $candidate;
			}
		}
		return WPS3_Errors::make(
			'NODE_MISSING',
			__( 'Node.js was not found on this server, so the S3 sidecar cannot start.', 'wps3' ),
			array( 'fix' => __( 'Install Node.js 20 or newer, or define WPS3_NODE_BINARY in wp-config.php with its absolute path.', 'wps3' ) )
		);
	}

	/**
	 * Prepares the runtime directory (0700, owned by us).
	 *
	 * @return true|WP_Error
	 */
	private function prepare_dir() {
		$dir = $this->runtime_dir();
		if ( ! is_dir( $dir ) ) {
			if ( ! @mkdir( $dir, 0700, true ) && ! is_dir( $dir ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
				return WPS3_Errors::make(
					'SIDECAR_UNAVAILABLE',
					/* translators: %s: directory */
					sprintf( __( 'Cannot create the sidecar directory %s.', 'wps3' ), $dir ),
					array( 'fix' => __( 'Make the directory writable for the web server user, or define WPS3_SIDECAR_SOCKET in a writable directory.', 'wps3' ) )
				);
			}
		}
		if ( is_link( $dir ) || ( function_exists( 'posix_geteuid' ) && fileowner( $dir ) !== posix_geteuid() ) ) {
			return WPS3_Errors::make(
				'SIDECAR_UNAVAILABLE',
				/* translators: %s: directory */
				sprintf( __( 'The sidecar directory %s is not owned by the web server user.', 'wps3' ), $dir ),
				array( 'fix' => __( 'Remove that directory, or define WPS3_SIDECAR_SOCKET in a directory owned by the web server user.', 'wps3' ) )
			);
		}
		clearstatcache( true, $dir );
		if ( fileperms( $dir ) & 0077 ) {
			if ( defined( 'WPS3_SIDECAR_SOCKET' ) && WPS3_SIDECAR_SOCKET ) {
				// The directory is the socket's access control; do not silently change one an admin chose.
				return WPS3_Errors::make(
					'SIDECAR_UNAVAILABLE',
					/* translators: %s: directory */
					sprintf( __( 'The sidecar directory %s is accessible to other users.', 'wps3' ), $dir ),
					array( 'fix' => sprintf( 'chmod 700 %s', $dir ) )
				);
			}
			@chmod( $dir, 0700 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		}
		return true;
	}

	/**
	 * Whether a pid is a live sidecar process.
	 *
	 * @param int $pid Pid.
	 * @return bool
	 */
	private function pid_alive( $pid ) {
		if ( $pid <= 1 ) {
			return false;
		}
		if ( is_readable( "/proc/$pid/cmdline" ) ) {
			$cmd = (string) @file_get_contents( "/proc/$pid/cmdline" ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			return false !== strpos( $cmd, 'server.mjs' );
		}
		return function_exists( 'posix_kill' ) && posix_kill( $pid, 0 );
	}

	/**
	 * Pid from the pid file (0 when none).
	 *
	 * @return int
	 */
	public function read_pid() {
		$file = $this->pid_file();
		if ( ! is_readable( $file ) ) {
			return 0;
		}
		return (int) trim( (string) file_get_contents( $file ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
	}

	/**
	 * Whether proc_open() may be used.
	 *
	 * @return bool
	 */
	private static function can_spawn() {
		$disabled = array_map( 'trim', explode( ',', (string) ini_get( 'disable_functions' ) ) );
		return function_exists( 'proc_open' ) && ! in_array( 'proc_open', $disabled, true );
	}

	/**
	 * Fix text pointing at the sidecar log: the path on single sites; on multisite only network admins
	 * see where the shared log is (see WPS3_Admin), so stored per-site errors do not name it.
	 *
	 * @return string
	 */
	private function log_fix() {
		if ( is_multisite() ) {
			return __( 'A network administrator can read the sidecar log (its path is shown to network administrators). Check the Node.js version (20 or newer) and that the WebAssembly build is present.', 'wps3' );
		}
		return sprintf(
			/* translators: %s: log path */
			__( 'Read %s. Check the Node.js version (20 or newer) and that the WebAssembly build is present.', 'wps3' ),
			$this->log_file()
		);
	}

	/**
	 * Sends SIGTERM to a sidecar process, waits up to $grace seconds, then SIGKILL.
	 *
	 * @param int   $pid   Pid.
	 * @param float $grace Seconds.
	 * @return bool Whether a process was signalled.
	 */
	private function terminate( $pid, $grace = 10.0 ) {
		if ( ! $pid || ! $this->pid_alive( $pid ) || ! function_exists( 'posix_kill' ) ) {
			return false;
		}
		posix_kill( $pid, 15 );
		/**
		 * Seconds a stopping sidecar gets to finish its work after SIGTERM before it is killed (SIGKILL).
		 *
		 * @param float $grace Seconds.
		 */
		$grace    = (float) apply_filters( 'wps3_sidecar_stop_grace', $grace );
		$deadline = microtime( true ) + $grace;
		while ( microtime( true ) < $deadline && $this->pid_alive( $pid ) ) {
			usleep( 50000 );
		}
		if ( $this->pid_alive( $pid ) ) {
			posix_kill( $pid, 9 );
			for ( $i = 0; $i < 40 && $this->pid_alive( $pid ); $i++ ) {
				usleep( 25000 );
			}
		}
		$this->ch = null;
		return true;
	}

	/**
	 * Starts the sidecar detached and waits until it answers. A sidecar that is stale (another plugin
	 * version) or hung (alive but not answering) is stopped first (SIGTERM, wait, SIGKILL). Runs under an
	 * flock so that concurrent requests start one sidecar.
	 *
	 * @return array|WP_Error Health document.
	 */
	public function start() {
		$ready = $this->prepare_dir();
		if ( is_wp_error( $ready ) ) {
			return $ready;
		}
		$node = $this->node_binary();
		if ( is_wp_error( $node ) ) {
			return $node;
		}
		$script = $this->server_script();
		if ( ! is_readable( $script ) ) {
			return WPS3_Errors::make(
				'SIDECAR_UNAVAILABLE',
				/* translators: %s: path */
				sprintf( __( 'The sidecar script %s is missing.', 'wps3' ), $script ),
				array( 'fix' => __( 'Reinstall the plugin: the sidecar/ folder and its WebAssembly build must be present.', 'wps3' ) )
			);
		}
		$target = null;
		if ( $this->uses_tcp() ) {
			$target = $this->tcp_target();
			if ( is_wp_error( $target ) ) {
				return $target;
			}
		}
		if ( ! self::can_spawn() ) {
			return WPS3_Errors::make(
				'SIDECAR_UNAVAILABLE',
				__( 'PHP cannot start the sidecar because proc_open() is disabled.', 'wps3' ),
				array( 'fix' => __( 'Start the sidecar as a service (node sidecar/server.mjs --socket …) and set WPS3_SIDECAR_SOCKET, or allow proc_open().', 'wps3' ) )
			);
		}

		$lock = @fopen( $this->lock_file(), 'c' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $lock ) {
			return $this->unavailable( __( 'Cannot open the sidecar lock file.', 'wps3' ), false );
		}
		$timeout  = (float) apply_filters( 'wps3_sidecar_start_timeout', 5.0 );
		$timeout  = $timeout > 0 ? $timeout : 5.0;
		$deadline = microtime( true ) + $timeout + 15.0;
		$locked   = false;
		while ( microtime( true ) < $deadline ) {
			if ( flock( $lock, LOCK_EX | LOCK_NB ) ) {
				$locked = true;
				break;
			}
			usleep( 100000 );
		}
		if ( ! $locked ) {
			fclose( $lock ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			return $this->unavailable( __( 'Another request is starting the sidecar and it did not finish in time.', 'wps3' ), false );
		}

		try {
			// Another request may have started (or restarted) it while we waited for the lock.
			$health = $this->health();
			if ( ! is_wp_error( $health ) ) {
				if ( ! $this->is_stale( $health ) ) {
					return $health;
				}
				// Stale: a sidecar of another plugin version. Stop it and start ours.
				$this->terminate( (int) ( $health['pid'] ?? 0 ) ?: $this->read_pid() );
			} else {
				$pid = $this->read_pid();
				if ( $pid && $this->pid_alive( $pid ) ) {
					// A sidecar process exists but did not answer: it may be starting. Give it the same
					// bounded wait, then treat it as hung.
					$health = $this->wait_healthy( $pid, $timeout );
					if ( ! is_wp_error( $health ) && ! $this->is_stale( $health ) ) {
						return $health;
					}
					$this->terminate( $pid );
				}
			}
			$socket = $this->socket_path();
			if ( ! $this->uses_tcp() && file_exists( $socket ) ) {
				@unlink( $socket ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- stale socket, nobody listens.
			}
			@unlink( $this->pid_file() ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions

			$log  = $this->log_file();
			$argv = array( $node, $script );
			if ( $this->uses_tcp() ) {
				$argv = array_merge( $argv, array( '--port', (string) $target['port'], '--token-file', $this->token_file() ) );
			} else {
				$argv = array_merge( $argv, array( '--socket', $socket ) );
			}
			$argv  = array_merge( $argv, array( '--pid-file', $this->pid_file() ) );
			$child = $this->spawn_detached( $argv, $log );
			if ( $child <= 0 ) {
				return $this->unavailable( __( 'The sidecar could not be launched.', 'wps3' ), false );
			}

			$health = $this->wait_healthy( $child, $timeout );
			if ( is_wp_error( $health ) ) {
				// The log is shared by every site of the install: it is not copied into messages.
				return WPS3_Errors::make(
					'SIDECAR_UNAVAILABLE',
					/* translators: %s: seconds */
					sprintf( __( 'The sidecar did not become ready within %s s.', 'wps3' ), $timeout ),
					array(
						'fix'       => $this->log_fix(),
						'retryable' => true,
						'permanent' => false,
					)
				);
			}
			$pid = (int) ( $health['pid'] ?? $child );
			if ( ! file_exists( $this->pid_file() ) ) {
				file_put_contents( $this->pid_file(), (string) $pid ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
			file_put_contents( // phpcs:ignore WordPress.WP.AlternativeFunctions
				$this->marker_file(),
				wp_json_encode(
					array(
						'pid'            => $pid,
						'plugin'         => WPS3_VERSION,
						'sidecarVersion' => isset( $health['sidecarVersion'] ) ? (string) $health['sidecarVersion'] : null,
						'script'         => $script,
						'startedAt'      => time(),
					)
				)
			);
			return $health;
		} finally {
			flock( $lock, LOCK_UN );
			fclose( $lock ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
	}

	/**
	 * Launches a command detached from PHP: through proc_open() with an explicit descriptor list (stdin
	 * /dev/null, so php-fpm's listening socket on fd 0 is not inherited), a shell that closes fds 3-9 and
	 * backgrounds the command in a new session (setsid) with its output appended to $log.
	 *
	 * @param string[] $argv Command and arguments.
	 * @param string   $log  Log file.
	 * @return int Pid of the launched process (0 on failure).
	 */
	private function spawn_detached( array $argv, $log ) {
		$setsid = '';
		foreach ( array( '/usr/bin/setsid', '/bin/setsid' ) as $candidate ) {
			if ( is_executable( $candidate ) ) {
				$setsid = $candidate;
				break;
			}
		}
		$script = 'log=$1; shift; '
			. ( '' !== $setsid ? 'exec_prefix=' . escapeshellarg( $setsid ) . '; ' : 'exec_prefix=nohup; ' )
			. '$exec_prefix "$@" >>"$log" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- & echo $!';
		$cmd    = array_merge( array( '/bin/sh', '-c', $script, 'wps3-sidecar', $log ), $argv );
		$pipes  = array();
		$proc   = proc_open( // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_proc_open
			$cmd,
			array(
				0 => array( 'file', '/dev/null', 'r' ),
				1 => array( 'pipe', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes,
			$this->runtime_dir(),
			null,
			array( 'bypass_shell' => true )
		);
		if ( ! is_resource( $proc ) ) {
			return 0;
		}
		$out = (string) stream_get_contents( $pipes[1] );
		fclose( $pipes[1] ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		$code = proc_close( $proc );
		return 0 === $code ? (int) trim( $out ) : 0;
	}

	/**
	 * Polls the health endpoint until it answers, the process dies or the time is up.
	 *
	 * @param int   $pid     Process to watch (0 = do not watch).
	 * @param float $timeout Seconds.
	 * @return array|WP_Error
	 */
	private function wait_healthy( $pid, $timeout ) {
		$deadline = microtime( true ) + $timeout;
		$health   = $this->unavailable( __( 'The sidecar did not start.', 'wps3' ), false );
		while ( microtime( true ) < $deadline ) {
			if ( $this->uses_tcp() || file_exists( $this->socket_path() ) ) {
				$health = $this->health( 1 );
				if ( ! is_wp_error( $health ) ) {
					return $health;
				}
			}
			if ( $pid && function_exists( 'posix_kill' ) && ! posix_kill( $pid, 0 ) ) {
				break; // It exited.
			}
			usleep( 50000 );
		}
		return $health;
	}

	/**
	 * Stops the sidecar (SIGTERM, then SIGKILL after a grace period).
	 *
	 * @return bool Whether a process was signalled.
	 */
	public function stop() {
		$pid = $this->read_pid();
		if ( ! $pid || ! $this->pid_alive( $pid ) ) {
			$health = $this->health( 1 );
			$pid    = is_wp_error( $health ) ? 0 : (int) ( $health['pid'] ?? 0 );
		}
		$this->checked = false;
		return $this->terminate( $pid, 5.0 );
	}
}
