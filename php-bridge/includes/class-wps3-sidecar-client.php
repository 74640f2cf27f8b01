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
	 * Directory holding the socket, pid file, lock file and log.
	 *
	 * @return string
	 */
	public function runtime_dir() {
		if ( defined( 'WPS3_SIDECAR_SOCKET' ) && WPS3_SIDECAR_SOCKET ) {
			return dirname( (string) WPS3_SIDECAR_SOCKET );
		}
		return rtrim( sys_get_temp_dir(), '/' ) . '/wps3-' . substr( md5( ABSPATH . '|' . WPS3_PLUGIN_DIR ), 0, 12 );
	}

	/**
	 * Unix socket path.
	 *
	 * @return string
	 */
	public function socket_path() {
		if ( defined( 'WPS3_SIDECAR_SOCKET' ) && WPS3_SIDECAR_SOCKET ) {
			return (string) WPS3_SIDECAR_SOCKET;
		}
		return $this->runtime_dir() . '/sidecar.sock';
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
	 * Path of the sidecar script.
	 *
	 * @return string
	 */
	public function server_script() {
		return (string) apply_filters( 'wps3_sidecar_script', WPS3_PLUGIN_DIR . '/sidecar/server.mjs' );
	}

	/**
	 * Runs one sidecar op (`POST /v1/op/<op>`), starting the sidecar when needed.
	 *
	 * @param string $op      Op name, e.g. `render-key`.
	 * @param array  $args    Op arguments (wasm shapes, camelCase).
	 * @param int    $timeout Seconds before giving up (0 = no limit).
	 * @return array|WP_Error The op's result, or a WP_Error carrying code/cause/fix/retryable/permanent.
	 */
	public function call( $op, array $args = array(), $timeout = 30 ) {
		$body = wp_json_encode( (object) $args );
		if ( false === $body ) {
			return WPS3_Errors::make( 'BAD_REQUEST', __( 'The request to the sidecar could not be encoded as JSON.', 'wps3' ) );
		}
		$response = $this->request_with_start( 'POST', '/v1/op/' . rawurlencode( $op ), $body, $timeout );
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
		$response = $this->request( 'GET', '/v1/health', null, $timeout );
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
	 * Makes sure a sidecar answers on the socket, starting one if needed.
	 *
	 * @return array|WP_Error Health document, or why the sidecar cannot run.
	 */
	public function ensure_running() {
		$health = $this->health();
		if ( ! is_wp_error( $health ) ) {
			return $health;
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
	 * Sends a request; on a connect failure starts the sidecar and tries once more.
	 *
	 * @param string      $method  GET or POST.
	 * @param string      $path    Path.
	 * @param string|null $body    JSON body.
	 * @param int         $timeout Seconds.
	 * @return array|WP_Error `array( status, decoded )`.
	 */
	private function request_with_start( $method, $path, $body, $timeout ) {
		$response = $this->request( $method, $path, $body, $timeout );
		if ( ! is_wp_error( $response ) ) {
			return $response;
		}
		if ( ! WPS3_Errors::field( $response, 'not_connected', false ) ) {
			// The sidecar was reached but the request broke (crash mid-request, timeout): do not replay it here;
			// the caller decides (the backup queue retries the whole job).
			return $response;
		}
		$started = $this->ensure_running();
		if ( is_wp_error( $started ) ) {
			return $started;
		}
		return $this->request( $method, $path, $body, $timeout );
	}

	/**
	 * One HTTP exchange over the socket.
	 *
	 * @param string      $method  GET or POST.
	 * @param string      $path    Path.
	 * @param string|null $body    JSON body.
	 * @param int         $timeout Seconds (0 = none).
	 * @return array|WP_Error `array( status, decoded JSON or null )`.
	 */
	private function request( $method, $path, $body, $timeout ) {
		if ( ! function_exists( 'curl_init' ) ) {
			return WPS3_Errors::make(
				'SIDECAR_UNAVAILABLE',
				__( 'The PHP curl extension is missing.', 'wps3' ),
				array( 'fix' => __( 'Install and enable the PHP curl extension (php-curl).', 'wps3' ) )
			);
		}
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
		if ( null === $this->ch ) {
			$this->ch = curl_init();
		} else {
			curl_reset( $this->ch );
		}
		$headers = array( 'Accept: application/json', 'Expect:' );
		$options = array(
			CURLOPT_UNIX_SOCKET_PATH  => $socket,
			CURLOPT_URL               => 'http://localhost' . $path,
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
		if ( 'POST' === $method ) {
			$headers[]                     = 'Content-Type: application/json';
			$options[ CURLOPT_POST ]       = true;
			$options[ CURLOPT_POSTFIELDS ] = (string) $body;
		} else {
			$options[ CURLOPT_HTTPGET ] = true;
		}
		$options[ CURLOPT_HTTPHEADER ] = $headers;
		curl_setopt_array( $this->ch, $options );

		$raw = curl_exec( $this->ch );
		if ( false === $raw ) {
			$errno = curl_errno( $this->ch );
			$error = curl_error( $this->ch );
			// 7 = could not connect (no listener / stale socket file): safe to start the sidecar and resend.
			$not_connected = ( 7 === $errno );
			return $this->unavailable(
				/* translators: 1: curl error number, 2: curl error text */
				sprintf( __( 'The sidecar did not answer (curl error %1$d: %2$s).', 'wps3' ), $errno, $error ),
				$not_connected
			);
		}
		$status  = (int) curl_getinfo( $this->ch, CURLINFO_RESPONSE_CODE );
		$decoded = json_decode( (string) $raw, true );
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
				array( 'fix' => __( 'Set WPS3_NODE_BINARY in wp-config.php to the absolute path of Node.js 18 or newer.', 'wps3' ) )
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
			array( 'fix' => __( 'Install Node.js 18 or newer, or define WPS3_NODE_BINARY in wp-config.php with its absolute path.', 'wps3' ) )
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
	 * Starts the sidecar detached and waits until it answers.
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
		if ( ! function_exists( 'exec' ) || in_array( 'exec', array_map( 'trim', explode( ',', (string) ini_get( 'disable_functions' ) ) ), true ) ) {
			return WPS3_Errors::make(
				'SIDECAR_UNAVAILABLE',
				__( 'PHP cannot start the sidecar because exec() is disabled.', 'wps3' ),
				array( 'fix' => __( 'Start the sidecar as a service (node sidecar/server.mjs --socket …) and set WPS3_SIDECAR_SOCKET, or allow exec().', 'wps3' ) )
			);
		}

		$lock = @fopen( $this->lock_file(), 'c' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $lock ) {
			return $this->unavailable( __( 'Cannot open the sidecar lock file.', 'wps3' ), false );
		}
		$timeout  = (float) apply_filters( 'wps3_sidecar_start_timeout', 5.0 );
		$deadline = microtime( true ) + $timeout + 3.0;
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
			// Another request may have started it while we waited for the lock.
			$health = $this->health();
			if ( ! is_wp_error( $health ) ) {
				return $health;
			}
			$socket = $this->socket_path();
			$pid    = $this->read_pid();
			if ( $pid && $this->pid_alive( $pid ) ) {
				// A sidecar process exists but did not answer: it may be starting. Give it the same bounded wait.
				$health = $this->wait_healthy( $pid, $timeout );
				if ( ! is_wp_error( $health ) ) {
					return $health;
				}
				return $this->unavailable(
					/* translators: %d: pid */
					sprintf( __( 'The sidecar process %d is running but does not answer.', 'wps3' ), $pid ),
					false
				);
			}
			if ( file_exists( $socket ) ) {
				@unlink( $socket ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- stale socket, nobody listens.
			}

			$log = $this->log_file();
			$cmd = escapeshellarg( $node ) . ' ' . escapeshellarg( $script )
				. ' --socket ' . escapeshellarg( $socket )
				. ' --pid-file ' . escapeshellarg( $this->pid_file() );
			if ( is_executable( '/usr/bin/setsid' ) || is_executable( '/bin/setsid' ) ) {
				$cmd = 'setsid ' . $cmd;
			}
			// Detached: new session, no controlling terminal, output to the log, no descriptors of PHP kept
			// (3>&- … closes what a php -S worker or php-fpm might have open besides 0-2).
			$shell = 'cd ' . escapeshellarg( $this->runtime_dir() ) . ' && nohup ' . $cmd
				. ' >> ' . escapeshellarg( $log ) . ' 2>&1 < /dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- & echo $!';
			$out  = array();
			$code = 0;
			exec( $shell, $out, $code ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_exec
			$child = isset( $out[0] ) ? (int) $out[0] : 0;
			if ( 0 !== $code || $child <= 0 ) {
				return $this->unavailable( __( 'The sidecar could not be launched.', 'wps3' ), false );
			}

			$health = $this->wait_healthy( $child, $timeout );
			if ( is_wp_error( $health ) ) {
				$tail = $this->log_tail();
				return WPS3_Errors::make(
					'SIDECAR_UNAVAILABLE',
					/* translators: 1: seconds, 2: last lines of the log */
					sprintf( __( 'The sidecar did not become ready within %1$s s. Log: %2$s', 'wps3' ), $timeout, $tail ),
					array(
						'fix'       => sprintf(
							/* translators: %s: log path */
							__( 'Read %s. Check the Node.js version (18 or newer) and that the WebAssembly build is present.', 'wps3' ),
							$log
						),
						'retryable' => true,
						'permanent' => false,
					)
				);
			}
			if ( ! file_exists( $this->pid_file() ) && ! empty( $health['pid'] ) ) {
				file_put_contents( $this->pid_file(), (string) (int) $health['pid'] ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
			return $health;
		} finally {
			flock( $lock, LOCK_UN );
			fclose( $lock ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
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
			if ( file_exists( $this->socket_path() ) ) {
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
	 * Last lines of the sidecar log (for error messages).
	 *
	 * @return string
	 */
	public function log_tail() {
		$file = $this->log_file();
		if ( ! is_readable( $file ) ) {
			return '';
		}
		$size = filesize( $file );
		$fh   = fopen( $file, 'rb' ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		if ( false === $fh ) {
			return '';
		}
		fseek( $fh, max( 0, $size - 600 ) );
		$tail = (string) fread( $fh, 600 ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		fclose( $fh ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return trim( preg_replace( '/\s+/', ' ', $tail ) );
	}

	/**
	 * Stops the sidecar started for this site (SIGTERM, then SIGKILL after a grace period).
	 *
	 * @return bool Whether a process was signalled.
	 */
	public function stop() {
		$pid = $this->read_pid();
		if ( ! $pid ) {
			$health = $this->health( 1 );
			$pid    = is_wp_error( $health ) ? 0 : (int) ( $health['pid'] ?? 0 );
		}
		if ( ! $pid || ! $this->pid_alive( $pid ) || ! function_exists( 'posix_kill' ) ) {
			return false;
		}
		posix_kill( $pid, 15 );
		for ( $i = 0; $i < 50 && posix_kill( $pid, 0 ); $i++ ) {
			usleep( 100000 );
		}
		if ( posix_kill( $pid, 0 ) ) {
			posix_kill( $pid, 9 );
		}
		$this->ch = null;
		return true;
	}
}
