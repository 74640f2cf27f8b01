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
	 * Runtime suffix of this PHP process (read once).
	 *
	 * @var string|null
	 */
	private $suffix = null;

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
			return \WPS3\Errors::make(
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
	 * How /proc/net/tcp and /proc/net/tcp6 print the addresses a connection to 127.0.0.1 can reach: 127.0.0.1
	 * and 0.0.0.0, and over IPv6 ::ffff:127.0.0.1, ::ffff:0.0.0.0 and :: (dual-stack). Each 32-bit word is
	 * printed as a hex number in host byte order.
	 *
	 * @return string[] Upper-case hex.
	 */
	private static function loopback_proc_addresses() {
		$out = array();
		foreach ( array( '127.0.0.1', '0.0.0.0', '::ffff:127.0.0.1', '::ffff:0.0.0.0', '::' ) as $ip ) {
			$hex = '';
			foreach ( str_split( (string) inet_pton( $ip ), 4 ) as $word ) {
				$hex .= sprintf( '%08X', unpack( 'L', $word )[1] );
			}
			$out[] = $hex;
		}
		return $out;
	}

	/**
	 * Uids of the sockets in the text of /proc/net/tcp (or tcp6) that listen on $port where a connection to
	 * 127.0.0.1:$port can land.
	 *
	 * @param string $text Contents of /proc/net/tcp or /proc/net/tcp6.
	 * @param int    $port Port.
	 * @return int[]
	 */
	public static function listener_uids( $text, $port ) {
		$port_hex = sprintf( '%04X', (int) $port );
		$accept   = self::loopback_proc_addresses();
		$uids     = array();
		foreach ( preg_split( '/\R/', (string) $text ) as $line ) {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
			$cols = preg_split( '/\s+/', trim( $line ) );
			if ( count( $cols ) < 8 || false === strpos( $cols[1], ':' ) ) {
				continue;
			}
			list( $address, $local_port ) = explode( ':', $cols[1], 2 );
			if ( '0A' !== strtoupper( $cols[3] ) || strtoupper( $local_port ) !== $port_hex || ! in_array( strtoupper( $address ), $accept, true ) ) {
				continue;
			}
			$uids[] = (int) $cols[7];
		}
		return $uids;
	}

	/**
	 * Uids of the listeners a connection to 127.0.0.1:$port can reach, or null when /proc/net/tcp is unreadable.
	 *
	 * @param int $port Port.
	 * @return int[]|null
	 */
	private static function port_listener_uids( $port ) {
		$tcp = @file_get_contents( '/proc/net/tcp' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $tcp || '' === $tcp ) {
			return null;
		}
		$tcp6 = @file_get_contents( '/proc/net/tcp6' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- absent without IPv6.
		return array_merge( self::listener_uids( $tcp, $port ), false === $tcp6 ? array() : self::listener_uids( $tcp6, $port ) );
	}

	/**
	 * Checks that what listens on 127.0.0.1:$port belongs to the user PHP runs as, so the bearer token and
	 * the credentials are never sent to another user's process that took the port. Without /proc/net/tcp
	 * the port is refused unless WPS3_SIDECAR_TRUST_PORT is true.
	 *
	 * @param int $port Port.
	 * @return true|WP_Error Not connected (nothing listens: the sidecar may be started), or a refusal.
	 */
	private function check_port_owner( $port ) {
		if ( defined( 'WPS3_SIDECAR_TRUST_PORT' ) && true === WPS3_SIDECAR_TRUST_PORT ) {
			return true;
		}
		$uids = self::port_listener_uids( $port );
		$data = array(
			'retryable'     => true,
			'permanent'     => false,
			'not_connected' => false,
			'no_start'      => true,
		);
		if ( null === $uids ) {
			return \WPS3\Errors::make(
				'SIDECAR_UNAVAILABLE',
				__( 'The owner of the sidecar port cannot be checked (/proc/net/tcp is not readable), so nothing is sent to it.', 'wps3' ),
				$data + array( 'fix' => __( 'Use the unix socket (remove WPS3_SIDECAR_URL), or, if only trusted users can run processes on this host, define WPS3_SIDECAR_TRUST_PORT as true in wp-config.php.', 'wps3' ) )
			);
		}
		if ( array() === $uids ) {
			return $this->unavailable( __( 'Nothing listens on the sidecar port.', 'wps3' ), true );
		}
		$me = function_exists( 'posix_geteuid' ) ? posix_geteuid() : getmyuid();
		foreach ( $uids as $uid ) {
			if ( (int) $me !== $uid ) {
				return \WPS3\Errors::make(
					'SIDECAR_UNAVAILABLE',
					/* translators: 1: port, 2: user id */
					sprintf( __( 'Port %1$d on 127.0.0.1 is held by another user (uid %2$d), not by the sidecar of this site; nothing was sent to it.', 'wps3' ), (int) $port, $uid ),
					$data + array( 'fix' => __( 'Stop that process, or choose a free port in WPS3_SIDECAR_URL.', 'wps3' ) )
				);
			}
		}
		return true;
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
	 * Bearer token of the TCP fallback: '' when the file does not exist yet (the sidecar creates it when it
	 * starts), an error when it exists but PHP cannot read it (starting a sidecar cannot fix that: one that
	 * reads it may already listen on the port).
	 *
	 * @return string|WP_Error
	 */
	private function token() {
		$file = $this->token_file();
		clearstatcache( true, $file );
		if ( ! file_exists( $file ) && ! is_link( $file ) ) {
			return '';
		}
		$raw = ( is_file( $file ) && is_readable( $file ) ) ? @file_get_contents( $file ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $raw ) {
			return \WPS3\Errors::make(
				'SIDECAR_UNAVAILABLE',
				/* translators: %s: path */
				sprintf( __( 'The sidecar token file %s exists but this PHP process cannot read it.', 'wps3' ), $file ),
				array(
					/* translators: %s: path */
					'fix'           => sprintf( __( 'Make %s a regular file readable by the web server user (owned by it, mode 0600), or point WPS3_SIDECAR_TOKEN_FILE at the token file of the sidecar on WPS3_SIDECAR_URL.', 'wps3' ), $file ),
					'retryable'     => true,
					'permanent'     => false,
					'not_connected' => false,
					'no_start'      => true,
				)
			);
		}
		return trim( (string) $raw );
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
	 * that other users of the host cannot predict the directory and create it first. Created at activation;
	 * a first use without it creates it the same race-free way (ensure_runtime_suffix()).
	 *
	 * @return string
	 */
	private function runtime_suffix() {
		if ( null !== $this->suffix ) {
			return $this->suffix;
		}
		$suffix = (string) get_site_option( self::SUFFIX_OPTION, '' );
		if ( ! self::valid_suffix( $suffix ) ) {
			$suffix = self::ensure_runtime_suffix();
		}
		$this->suffix = $suffix;
		return $suffix;
	}

	/**
	 * Whether a stored runtime suffix is well-formed.
	 *
	 * @param mixed $suffix Value.
	 * @return bool
	 */
	private static function valid_suffix( $suffix ) {
		return is_string( $suffix ) && 1 === preg_match( '/^[a-f0-9]{16}$/', $suffix );
	}

	/**
	 * The stored runtime suffix read straight from the database (no object cache), or null when there is none.
	 *
	 * @return string|null
	 */
	private static function stored_suffix() {
		global $wpdb;
		if ( is_multisite() ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$value = $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->sitemeta} WHERE meta_key = %s AND site_id = %d ORDER BY meta_id ASC LIMIT 1", self::SUFFIX_OPTION, get_current_network_id() ) );
		} else {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$value = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s LIMIT 1", self::SUFFIX_OPTION ) );
		}
		return null === $value ? null : (string) $value;
	}

	/**
	 * Creates the runtime suffix if it is missing (activation, or the first request without it) and returns
	 * the stored value. Two concurrent first requests agree: the row is only inserted when missing (INSERT
	 * IGNORE on the options table; on multisite, whose sitemeta has no unique key, under a named lock), and
	 * the value is then read back from the database, not from a cache.
	 *
	 * @return string
	 */
	public static function ensure_runtime_suffix() {
		global $wpdb;
		$stored = self::stored_suffix();
		if ( self::valid_suffix( $stored ) ) {
			return $stored;
		}
		$candidate = bin2hex( random_bytes( 8 ) );
		if ( is_multisite() ) {
			$network = get_current_network_id();
			$lock    = substr( 'wps3_suffix_' . $wpdb->base_prefix . $network, 0, 64 );
			$locked  = '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 5)', $lock ) );
			$stored  = self::stored_suffix();
			if ( null === $stored ) {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery
				$wpdb->insert(
					$wpdb->sitemeta,
					array(
						'site_id'    => $network,
						'meta_key'   => self::SUFFIX_OPTION, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
						'meta_value' => $candidate, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
					)
				);
			} elseif ( ! self::valid_suffix( $stored ) ) {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->sitemeta} SET meta_value = %s WHERE meta_key = %s AND site_id = %d AND meta_value = %s", $candidate, self::SUFFIX_OPTION, $network, $stored ) );
			}
			if ( $locked ) {
				$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			}
			wp_cache_delete( $network . ':' . self::SUFFIX_OPTION, 'site-options' );
			wp_cache_delete( $network . ':notoptions', 'site-options' );
		} else {
			if ( null === $stored ) {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				$wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'yes')", self::SUFFIX_OPTION, $candidate ) );
			} else {
				// A malformed value: replace it, unless another request already did.
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->options} SET option_value = %s WHERE option_name = %s AND option_value = %s", $candidate, self::SUFFIX_OPTION, $stored ) );
			}
			wp_cache_delete( self::SUFFIX_OPTION, 'options' );
			wp_cache_delete( 'alloptions', 'options' );
			wp_cache_delete( 'notoptions', 'options' );
		}
		$stored = self::stored_suffix();
		// Without a database row (the write failed), this request still works with its own candidate.
		return self::valid_suffix( $stored ) ? $stored : $candidate;
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
			return \WPS3\Errors::make( 'BAD_REQUEST', __( 'The request to the sidecar could not be encoded as JSON.', 'wps3' ) );
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
				return \WPS3\Errors::from_sidecar( $decoded['error'] );
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
			return \WPS3\Errors::make( 'BAD_REQUEST', __( 'The request to the sidecar could not be encoded as JSON.', 'wps3' ) );
		}
		$response = $this->request_with_start( 'POST', '/v1/batch', $body, $timeout );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		list( $status, $decoded ) = $response;
		if ( 200 !== $status || ! is_array( $decoded ) || ! isset( $decoded['results'] ) || ! is_array( $decoded['results'] ) ) {
			if ( is_array( $decoded ) && isset( $decoded['error'] ) && is_array( $decoded['error'] ) ) {
				return \WPS3\Errors::from_sidecar( $decoded['error'] );
			}
			return $this->bad_response( $status );
		}
		$out = array();
		foreach ( $decoded['results'] as $item ) {
			if ( is_array( $item ) && ! empty( $item['ok'] ) ) {
				$out[] = is_array( $item['result'] ?? null ) ? $item['result'] : array( 'value' => $item['result'] ?? null );
			} else {
				$out[] = \WPS3\Errors::from_sidecar( is_array( $item['error'] ?? null ) ? $item['error'] : array( 'code' => 'INTERNAL' ) );
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
			if ( false !== get_transient( 'wps3_sidecar_version' ) ) {
				delete_transient( 'wps3_sidecar_version' );
			}
			return $health;
		}
		if ( ! is_wp_error( $health ) && ! self::can_spawn() ) {
			// Another version answers (run as a service) and PHP cannot start ours: use it, and tell the admins,
			// rather than failing every call.
			$this->note_version_mismatch( $health );
			delete_transient( 'wps3_sidecar_error' );
			return $health;
		}
		if ( is_wp_error( $health ) && ( 'UNAUTHORIZED' === \WPS3\Errors::field( $health, 'code' ) || \WPS3\Errors::field( $health, 'no_start', false ) ) ) {
			// A sidecar runs there but we hold the wrong token, or the port is not ours, or the token file is
			// unreadable: starting another cannot help.
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
					'fix'     => \WPS3\Errors::field( $result, 'fix', '' ),
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
		if ( ! \WPS3\Errors::field( $response, 'not_connected', false ) ) {
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
			return \WPS3\Errors::make(
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
			if ( is_wp_error( $token ) ) {
				return $token;
			}
			// Nothing (token, sealed secret, key material) is sent before the listener is known to be ours.
			$owned = $this->check_port_owner( $target['port'] );
			if ( is_wp_error( $owned ) ) {
				return $owned;
			}
			if ( '' === $token ) {
				return $this->unavailable( __( 'The sidecar token file does not exist yet.', 'wps3' ), true );
			}
			$headers[] = 'Authorization: Bearer ' . $token;
			$transport = array( CURLOPT_URL => $url );
		} else {
			$socket = $this->socket_path();
			if ( strlen( $socket ) > 100 ) {
				return \WPS3\Errors::make(
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
				return \WPS3\Errors::make(
					'ABORTED',
					__( 'The request to the sidecar was aborted (the worker no longer owns the job).', 'wps3' ),
					array(
						'retryable' => true,
						'permanent' => false,
					)
				);
			}
			if ( 'stalled' === $aborted ) {
				// The next request of this run checks the sidecar again (and replaces a hung one).
				$this->checked = false;
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
			return \WPS3\Errors::make(
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
		$desc = \WPS3\Errors::describe( 'SIDECAR_UNAVAILABLE', $message );
		return \WPS3\Errors::make(
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
		return \WPS3\Errors::make(
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
			return \WPS3\Errors::make(
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
		return \WPS3\Errors::make(
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
				return \WPS3\Errors::make(
					'SIDECAR_UNAVAILABLE',
					/* translators: %s: directory */
					sprintf( __( 'Cannot create the sidecar directory %s.', 'wps3' ), $dir ),
					array( 'fix' => __( 'Make the directory writable for the web server user, or define WPS3_SIDECAR_SOCKET in a writable directory.', 'wps3' ) )
				);
			}
		}
		if ( is_link( $dir ) || ( function_exists( 'posix_geteuid' ) && fileowner( $dir ) !== posix_geteuid() ) ) {
			return \WPS3\Errors::make(
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
				return \WPS3\Errors::make(
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
	 * Options this client launches the sidecar with for the current configuration (after the script).
	 *
	 * @return array<string,string> Option => value, in launch order.
	 */
	public function launch_options() {
		$options = array();
		if ( $this->uses_tcp() ) {
			$target = $this->tcp_target();
			if ( is_wp_error( $target ) ) {
				return array();
			}
			$options['--port']       = (string) $target['port'];
			$options['--token-file'] = $this->token_file();
		} else {
			$options['--socket'] = $this->socket_path();
		}
		$options['--pid-file'] = $this->pid_file();
		return $options;
	}

	/**
	 * Whether a command line is exactly the one this client launches: any node binary, then the configured
	 * server_script(), then exactly launch_options() (each option once, with its value).
	 *
	 * @param string[] $argv Arguments (argv[0] is the binary).
	 * @return bool
	 */
	public function is_our_argv( array $argv ) {
		$argv = array_values( $argv );
		if ( count( $argv ) < 2 || $argv[1] !== $this->server_script() ) {
			return false;
		}
		$expected = $this->launch_options();
		$seen     = array();
		$count    = count( $argv );
		if ( ! $expected || 0 !== ( $count - 2 ) % 2 ) {
			return false;
		}
		for ( $i = 2; $i < $count; $i += 2 ) {
			if ( array_key_exists( $argv[ $i ], $seen ) ) {
				return false;
			}
			$seen[ $argv[ $i ] ] = $argv[ $i + 1 ];
		}
		ksort( $seen );
		ksort( $expected );
		return $seen === $expected;
	}

	/**
	 * Whether /proc describes processes here (Linux).
	 *
	 * @return bool
	 */
	private static function has_proc() {
		return @is_readable( '/proc/self/cmdline' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- open_basedir may forbid it.
	}

	/**
	 * Arguments of a live process from /proc/<pid>/cmdline (empty when it is gone or a zombie).
	 *
	 * @param int $pid Pid.
	 * @return string[]
	 */
	private static function proc_argv( $pid ) {
		$raw = @file_get_contents( '/proc/' . (int) $pid . '/cmdline' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $raw || '' === $raw ) {
			return array();
		}
		return explode( "\0", rtrim( $raw, "\0" ) );
	}

	/**
	 * Whether $pid is a live sidecar this client may signal. With /proc, its command line must be exactly the
	 * one this client launches (is_our_argv()): a pid file left behind whose pid now belongs to another
	 * process is never signalled. Without /proc nothing read from the pid file is trusted: only a pid the
	 * sidecar reported itself, over our own socket, in its health answer ($reported).
	 *
	 * @param int  $pid      Pid.
	 * @param bool $reported Whether the pid comes from the sidecar's own health answer.
	 * @return bool
	 */
	private function may_signal( $pid, $reported ) {
		$pid = (int) $pid;
		if ( $pid <= 1 || getmypid() === $pid ) {
			return false;
		}
		if ( self::has_proc() ) {
			return $this->is_our_argv( self::proc_argv( $pid ) );
		}
		return $reported && function_exists( 'posix_kill' ) && @posix_kill( $pid, 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
	}

	/**
	 * Waits until a sidecar process is gone (or no longer ours).
	 *
	 * @param int   $pid      Pid.
	 * @param bool  $reported See may_signal().
	 * @param float $seconds  Maximum wait.
	 * @return bool Whether it is gone.
	 */
	private function wait_exit( $pid, $reported, $seconds ) {
		$deadline = microtime( true ) + max( 0.0, (float) $seconds );
		while ( $this->may_signal( $pid, $reported ) ) {
			if ( microtime( true ) >= $deadline ) {
				return false;
			}
			usleep( 50000 );
		}
		return true;
	}

	/**
	 * Contents of the marker file written when this plugin started the running sidecar (null when none).
	 *
	 * @return array|null
	 */
	public function read_marker() {
		$file = $this->marker_file();
		if ( ! is_file( $file ) || ! is_readable( $file ) ) {
			return null;
		}
		$marker = json_decode( (string) file_get_contents( $file ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return is_array( $marker ) && isset( $marker['pid'] ) ? $marker : null;
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
	 * see where the shared log is (see WPS3\Admin\Notices), so stored per-site errors do not name it.
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
	 * Stops a sidecar process: SIGTERM (it drains: stops accepting, lets requests finish), wait up to $grace
	 * seconds; then SIGTERM again (it cancels its requests and aborts every open multipart upload on storage,
	 * at most 10 s), wait up to ~12 s; only then SIGKILL. Nothing is signalled unless may_signal() agrees,
	 * checked again before every signal.
	 *
	 * @param int   $pid      Pid.
	 * @param bool  $reported Whether the pid comes from the sidecar's own health answer (see may_signal()).
	 * @param float $grace    Seconds of the first wait.
	 * @return bool Whether a process was signalled.
	 */
	private function terminate( $pid, $reported, $grace = 10.0 ) {
		$pid = (int) $pid;
		if ( ! function_exists( 'posix_kill' ) || ! $this->may_signal( $pid, $reported ) ) {
			return false;
		}
		posix_kill( $pid, 15 );
		/**
		 * Seconds a stopping sidecar gets to finish its work after SIGTERM before it is told to abort it.
		 *
		 * @param float $grace Seconds.
		 */
		$grace = (float) apply_filters( 'wps3_sidecar_stop_grace', $grace );
		if ( ! $this->wait_exit( $pid, $reported, $grace ) && $this->may_signal( $pid, $reported ) ) {
			// Second SIGTERM: the sidecar cancels what still runs and aborts open multipart uploads.
			posix_kill( $pid, 15 );
			/**
			 * Seconds a sidecar gets, after the second SIGTERM, to abort its open multipart uploads before
			 * it is killed (SIGKILL). Default 12 (the sidecar bounds the aborts to 10 s).
			 *
			 * @param float $seconds Seconds.
			 */
			$abort = (float) apply_filters( 'wps3_sidecar_abort_grace', 12.0 );
			if ( ! $this->wait_exit( $pid, $reported, $abort ) && $this->may_signal( $pid, $reported ) ) {
				posix_kill( $pid, 9 );
				$this->wait_exit( $pid, $reported, 2.0 );
			}
		}
		$this->ch = null;
		return true;
	}

	/**
	 * Whether the sidecar's listening endpoint exists: the socket file, or (TCP) a listener on the port.
	 *
	 * @return bool
	 */
	private function endpoint_exists() {
		if ( ! $this->uses_tcp() ) {
			clearstatcache( true, $this->socket_path() );
			return file_exists( $this->socket_path() );
		}
		$target = $this->tcp_target();
		$uids   = is_wp_error( $target ) ? null : self::port_listener_uids( $target['port'] );
		return null === $uids || array() !== $uids; // Unknown (no /proc): assume it exists.
	}

	/**
	 * Records that a sidecar of another version answers and is used as it is (it cannot be replaced: PHP
	 * may not start processes, or the sidecar was not started by this plugin), for an admin notice.
	 *
	 * @param array $health Health document.
	 * @return void
	 */
	private function note_version_mismatch( array $health ) {
		$running = isset( $health['sidecarVersion'] ) && is_scalar( $health['sidecarVersion'] ) ? (string) $health['sidecarVersion'] : '';
		set_transient(
			'wps3_sidecar_version',
			array(
				'running' => '' === $running ? __( 'unknown', 'wps3' ) : $running,
				'plugin'  => WPS3_VERSION,
				'spawn'   => self::can_spawn(),
				'time'    => time(),
			),
			HOUR_IN_SECONDS
		);
	}

	/**
	 * Starts the sidecar detached and waits until it answers. A sidecar that is stale (another plugin
	 * version) or hung (alive but not answering) is stopped first (terminate()), but only one whose command
	 * line is the one this plugin launches; one that is draining (alive, socket gone) is waited for. Runs
	 * under an flock so that concurrent requests start one sidecar.
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
			return \WPS3\Errors::make(
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
			return \WPS3\Errors::make(
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
				// Stale: a sidecar of another plugin version. Stop it and start ours, but only one that this
				// plugin launched (its command line is ours); one run as a service is used as it is.
				if ( ! $this->terminate( (int) ( $health['pid'] ?? 0 ), true ) ) {
					$this->note_version_mismatch( $health );
					return $health;
				}
			} elseif ( \WPS3\Errors::field( $health, 'no_start', false ) ) {
				return $health; // Starting a sidecar cannot help (wrong token, port of another user, …).
			} else {
				$pid = $this->read_pid();
				if ( $pid && $this->may_signal( $pid, false ) ) {
					if ( ! $this->endpoint_exists() ) {
						// Alive without its socket: it is draining after SIGTERM (its requests may run for up
						// to its 30 s grace period, then it aborts them). Wait for it to exit; do not signal it.
						/**
						 * Seconds to wait for a draining sidecar (alive, socket gone) to exit before starting
						 * a new one (default 35: the sidecar's 30 s grace plus a margin).
						 *
						 * @param float $seconds Seconds.
						 */
						$this->wait_exit( $pid, false, (float) apply_filters( 'wps3_sidecar_drain_wait', 35.0 ) );
					}
					if ( $this->may_signal( $pid, false ) ) {
						// A sidecar process exists but did not answer: it may be starting. Give it the same
						// bounded wait, then treat it as hung.
						$health = $this->wait_healthy( $pid, $timeout );
						if ( ! is_wp_error( $health ) && ! $this->is_stale( $health ) ) {
							return $health;
						}
						$this->terminate( $pid, false );
					}
				}
			}
			$socket = $this->socket_path();
			if ( ! $this->uses_tcp() && file_exists( $socket ) ) {
				@unlink( $socket ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- stale socket, nobody listens.
			}
			@unlink( $this->pid_file() ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions

			$log  = $this->log_file();
			$argv = array( $node, $script );
			// Exactly the command line is_our_argv() recognises later.
			foreach ( $this->launch_options() as $option => $value ) {
				$argv[] = $option;
				$argv[] = $value;
			}
			$child = $this->spawn_detached( $argv, $log );
			if ( $child <= 0 ) {
				return $this->unavailable( __( 'The sidecar could not be launched.', 'wps3' ), false );
			}

			$health = $this->wait_healthy( $child, $timeout );
			if ( is_wp_error( $health ) ) {
				// The log is shared by every site of the install: it is not copied into messages.
				return \WPS3\Errors::make(
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
	 * Stops the sidecar (terminate()): the pid it reports on our socket, else the pid file's if its command line
	 * is ours.
	 *
	 * @return bool Whether a process was signalled.
	 */
	public function stop() {
		$this->checked = false;
		$health        = $this->health( 1 );
		$pid           = is_wp_error( $health ) ? 0 : (int) ( $health['pid'] ?? 0 );
		if ( $pid && $this->terminate( $pid, true, 5.0 ) ) {
			return true;
		}
		$file_pid = $this->read_pid();
		return $file_pid && $file_pid !== $pid && $this->terminate( $file_pid, false, 5.0 );
	}

	/**
	 * Stops the sidecar only if this plugin started it (the marker file names its pid): a sidecar an admin
	 * runs (as a service) in a directory they chose is left alone.
	 *
	 * @return bool Whether a process was signalled.
	 */
	public function stop_if_started_by_us() {
		$marker = $this->read_marker();
		if ( null === $marker ) {
			return false;
		}
		$this->checked = false;
		$mpid          = (int) $marker['pid'];
		$health        = $this->health( 1 );
		$hpid          = is_wp_error( $health ) ? 0 : (int) ( $health['pid'] ?? 0 );
		if ( $hpid && $hpid !== $mpid ) {
			return false; // Another sidecar answers now: not the one we started.
		}
		return $this->terminate( $mpid, $hpid === $mpid, 5.0 );
	}

	/**
	 * Uninstall: removes what the plugin created in a runtime directory an admin chose (WPS3_SIDECAR_SOCKET):
	 * the socket if nothing listens on it, the pid file if it is ours (it names the sidecar this plugin
	 * started, per the marker, and that process no longer runs) and the marker. Generic names (lock, log, token) stay: they may
	 * belong to a sidecar the admin runs.
	 *
	 * @return void
	 */
	public function remove_own_files() {
		$socket = $this->socket_path();
		clearstatcache();
		if ( ! $this->uses_tcp() && 'socket' === @filetype( $socket ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
			$conn = @stream_socket_client( 'unix://' . $socket, $errno, $errstr, 1 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			if ( false === $conn ) {
				@unlink( $socket ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- nobody listens.
			} else {
				fclose( $conn ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
		}
		$marker = $this->read_marker();
		$pid    = $this->read_pid();
		// Ours: the pid of the sidecar this plugin started (marker), which no longer runs. A running sidecar's
		// pid file stays, whoever started it.
		$runs = self::has_proc() ? $this->may_signal( $pid, false ) : ( function_exists( 'posix_kill' ) && @posix_kill( $pid, 0 ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		if ( $pid && null !== $marker && (int) $marker['pid'] === $pid && ! $runs ) {
			@unlink( $this->pid_file() ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		}
		if ( file_exists( $this->marker_file() ) ) {
			@unlink( $this->marker_file() ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		}
	}
}
