<?php
/**
 * Shared helpers of the security suites (hostile input, secrets, access), run against a live e2e harness:
 *
 *   WPS3_E2E_DIR=/tmp/wps3e.XXXX php tests/security/<suite>.php
 *
 * The runner loads the harness's single site in-process (users, options, state snapshots without going
 * through the routes under test) and talks to the served site over HTTP with curl, as a browser would.
 * Every HTTP exchange is kept in memory (Sec::$exchanges) so a suite can search all of them afterwards.
 *
 * Over 400 lines: the harness boot, the HTTP client, the state snapshots and the form helpers the three
 * suites share; splitting it would give each suite a partial copy of the same harness knowledge.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.PHP.DiscouragedPHPFunctions, WordPress.Security.EscapeOutput

declare(strict_types=1);

$sec_dir = (string) getenv( 'WPS3_E2E_DIR' );
if ( '' === $sec_dir || ! is_readable( $sec_dir . '/env.json' ) ) {
	fwrite( STDERR, "set WPS3_E2E_DIR to a running harness (tests/e2e/run.sh, or E2E_KEEP=1 and e2e_up)\n" );
	exit( 2 );
}
$GLOBALS['sec_env'] = json_decode( (string) file_get_contents( $sec_dir . '/env.json' ), true );
$sec_parts          = parse_url( $GLOBALS['sec_env']['SITE_URL'] );

$_SERVER['HTTP_HOST']       = $sec_parts['host'] . ':' . $sec_parts['port'];
$_SERVER['SERVER_NAME']     = $sec_parts['host'];
$_SERVER['SERVER_PORT']     = (string) $sec_parts['port'];
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
define( 'DISABLE_WP_CRON', true );
require $GLOBALS['sec_env']['WP_DIR'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/user.php';

/**
 * Helpers as static methods (the suites are scripts; one namespace-free class keeps them together).
 */
final class Sec {

	/**
	 * Every HTTP exchange so far: list of array{method, url, request, status, headers, body}.
	 *
	 * @var array<int, array<string, mixed>>
	 */
	public static array $exchanges = array();

	/** Counters of the check() calls. */
	public static int $passed = 0;
	public static int $failed = 0;

	/**
	 * Harness value from env.json.
	 *
	 * @param string $key Key.
	 * @return string
	 */
	public static function env( string $key ): string {
		return (string) ( $GLOBALS['sec_env'][ $key ] ?? '' );
	}

	/**
	 * Prints one PASS/FAIL line and counts it.
	 *
	 * @param bool   $ok     Verdict.
	 * @param string $what   What was checked.
	 * @param string $detail Shown on failure.
	 * @return bool
	 */
	public static function check( bool $ok, string $what, string $detail = '' ): bool {
		if ( $ok ) {
			++self::$passed;
			echo "  ok   $what\n";
		} else {
			++self::$failed;
			echo "  FAIL $what" . ( '' !== $detail ? " — $detail" : '' ) . "\n";
		}
		return $ok;
	}

	/**
	 * One HTTP request (no redirects followed).
	 *
	 * @param string               $method  Method.
	 * @param string               $url     Absolute URL, or a path on the site.
	 * @param array<string, mixed> $opts    `jar` (cookie file), `headers` (list), `body` (string|array form), `json` (value),
	 *                                      `unix` (socket path), `timeout`.
	 * @return array{status: int, headers: string, body: string, url: string}
	 */
	public static function http( string $method, string $url, array $opts = array() ): array {
		$h = self::handle( $method, $url, $opts );
		$body = (string) curl_exec( $h );
		return self::finish( $h, $method, $url, $opts, $body );
	}

	/**
	 * Many requests at once (curl_multi), for rate limits under concurrency.
	 *
	 * @param array<int, array{0: string, 1: string, 2: array<string, mixed>}> $requests [method, url, opts] each.
	 * @return array<int, array{status: int, headers: string, body: string, url: string}>
	 */
	public static function parallel( array $requests ): array {
		$multi   = curl_multi_init();
		$handles = array();
		foreach ( $requests as $i => $r ) {
			$handles[ $i ] = self::handle( $r[0], $r[1], $r[2] );
			curl_setopt( $handles[ $i ], CURLOPT_RETURNTRANSFER, true );
			curl_multi_add_handle( $multi, $handles[ $i ] );
		}
		do {
			$status = curl_multi_exec( $multi, $running );
			if ( $running ) {
				curl_multi_select( $multi, 1.0 );
			}
		} while ( $running && CURLM_OK === $status );
		$out = array();
		foreach ( $handles as $i => $h ) {
			$out[ $i ] = self::finish( $h, $requests[ $i ][0], $requests[ $i ][1], $requests[ $i ][2], (string) curl_multi_getcontent( $h ) );
			curl_multi_remove_handle( $multi, $h );
		}
		curl_multi_close( $multi );
		return $out;
	}

	/**
	 * A configured curl handle.
	 *
	 * @param string               $method Method.
	 * @param string               $url    URL or site path.
	 * @param array<string, mixed> $opts   See http().
	 * @return \CurlHandle
	 */
	private static function handle( string $method, string $url, array $opts ) {
		if ( ! preg_match( '#^https?://#', $url ) ) {
			$url = self::env( 'SITE_URL' ) . $url;
		}
		$h       = curl_init( $url );
		$headers = (array) ( $opts['headers'] ?? array() );
		curl_setopt_array(
			$h,
			array(
				CURLOPT_CUSTOMREQUEST  => $method,
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_HEADER         => false,
				CURLOPT_FOLLOWLOCATION => false,
				CURLOPT_TIMEOUT        => (int) ( $opts['timeout'] ?? 120 ),
			)
		);
		if ( isset( $opts['unix'] ) ) {
			curl_setopt( $h, CURLOPT_UNIX_SOCKET_PATH, (string) $opts['unix'] );
		}
		if ( isset( $opts['jar'] ) ) {
			curl_setopt( $h, CURLOPT_COOKIEFILE, (string) $opts['jar'] );
			curl_setopt( $h, CURLOPT_COOKIEJAR, (string) $opts['jar'] );
		}
		$body = null;
		if ( array_key_exists( 'json', $opts ) ) {
			$body      = is_string( $opts['json'] ) ? $opts['json'] : (string) json_encode( $opts['json'], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
			$headers[] = 'Content-Type: application/json';
		} elseif ( isset( $opts['multipart'] ) ) {
			// Fields in order, the file last (as a browser's form sends a POST policy upload).
			curl_setopt( $h, CURLOPT_POSTFIELDS, (array) $opts['multipart'] );
			$headers[] = 'Expect:';
		} elseif ( isset( $opts['body'] ) ) {
			$body = is_array( $opts['body'] ) ? http_build_query( $opts['body'] ) : (string) $opts['body'];
		}
		if ( null !== $body ) {
			curl_setopt( $h, CURLOPT_POSTFIELDS, $body );
			$headers[] = 'Expect:';
		}
		curl_setopt( $h, CURLOPT_HTTPHEADER, $headers );
		$raw = '';
		curl_setopt(
			$h,
			CURLOPT_HEADERFUNCTION,
			static function ( $ch, string $line ) use ( &$raw ) {
				$raw .= $line;
				return strlen( $line );
			}
		);
		// The header text is read back in finish().
		self::$pending_headers[ spl_object_id( $h ) ] = &$raw;
		self::$pending_bodies[ spl_object_id( $h ) ]  = $body;
		return $h;
	}

	/**
	 * Header buffers of handles in flight, by object id.
	 *
	 * @var array<int, string>
	 */
	private static array $pending_headers = array();

	/**
	 * Request bodies of handles in flight, by object id.
	 *
	 * @var array<int, string|null>
	 */
	private static array $pending_bodies = array();

	/**
	 * Records and returns a finished exchange.
	 *
	 * @param \CurlHandle          $h      Handle.
	 * @param string               $method Method.
	 * @param string               $url    URL.
	 * @param array<string, mixed> $opts   Options.
	 * @param string               $body   Response body.
	 * @return array{status: int, headers: string, body: string, url: string}
	 */
	private static function finish( $h, string $method, string $url, array $opts, string $body ): array {
		$id      = spl_object_id( $h );
		$headers = (string) ( self::$pending_headers[ $id ] ?? '' );
		$request = self::$pending_bodies[ $id ] ?? null;
		unset( self::$pending_headers[ $id ], self::$pending_bodies[ $id ] );
		$out = array(
			'status'  => (int) curl_getinfo( $h, CURLINFO_RESPONSE_CODE ),
			'headers' => $headers,
			'body'    => $body,
			'url'     => $url,
		);
		curl_close( $h );
		unset( $opts );
		self::$exchanges[] = $out + array(
			'method'  => $method,
			'request' => $request,
		);
		return $out;
	}

	/**
	 * A header of a response ('' when absent).
	 *
	 * @param array<string, mixed> $res  Response.
	 * @param string               $name Header name.
	 * @return string
	 */
	public static function header( array $res, string $name ): string {
		return preg_match( '/^' . preg_quote( $name, '/' ) . ':\s*(.*?)\r?$/mi', (string) $res['headers'], $m ) ? $m[1] : '';
	}

	/**
	 * Logs a user in over HTTP; returns the session (cookie jar, wp_rest nonce, user id).
	 *
	 * @param string $login    User login.
	 * @param string $password Password.
	 * @param string $site     Site URL (default: the single site).
	 * @return array{jar: string, nonce: string, login: string, site: string, ok: bool}
	 */
	public static function login( string $login, string $password, string $site = '' ): array {
		$site = '' !== $site ? $site : self::env( 'SITE_URL' );
		$jar  = tempnam( sys_get_temp_dir(), 'wps3-sec-jar' );
		self::http( 'GET', "$site/wp-login.php", array( 'jar' => $jar ) );
		$res = self::http(
			'POST',
			"$site/wp-login.php",
			array(
				'jar'  => $jar,
				'body' => array(
					'log'        => $login,
					'pwd'        => $password,
					'testcookie' => '1',
					'wp-submit'  => 'Log In',
				),
			)
		);
		$nonce = self::http( 'GET', "$site/wp-admin/admin-ajax.php?action=rest-nonce", array( 'jar' => $jar ) );
		return array(
			'jar'   => $jar,
			'nonce' => 200 === $nonce['status'] ? trim( $nonce['body'] ) : '',
			'login' => $login,
			'site'  => $site,
			'ok'    => 302 === $res['status'],
		);
	}

	/**
	 * The session token of a cookie jar's logged-in cookie (nonces are bound to it).
	 *
	 * @param string $jar Cookie file.
	 * @return string
	 */
	public static function token( string $jar ): string {
		foreach ( (array) file( $jar ) as $line ) {
			$f = explode( "\t", trim( (string) $line ) );
			if ( count( $f ) >= 7 && str_starts_with( $f[5], 'wordpress_logged_in_' ) ) {
				return (string) ( explode( '|', rawurldecode( $f[6] ) )[2] ?? '' );
			}
		}
		return '';
	}

	/**
	 * A nonce as WordPress makes it for a user's session: what a page would give that user (0 ticks ago), or
	 * one that has expired (2 ticks ago).
	 *
	 * @param int    $uid    User.
	 * @param string $jar    The user's cookie jar.
	 * @param string $action Nonce action.
	 * @param int    $ticks  Half-lives ago.
	 * @return string
	 */
	public static function nonce( int $uid, string $jar, string $action, int $ticks = 0 ): string {
		$i = wp_nonce_tick( $action ) - $ticks;
		return substr( wp_hash( $i . '|' . $action . '|' . $uid . '|' . self::token( $jar ), 'nonce' ), -12, 10 );
	}

	/**
	 * A logged-out "session" (no cookies, no nonce).
	 *
	 * @param string $site Site URL.
	 * @return array{jar: string, nonce: string, login: string, site: string, ok: bool}
	 */
	public static function anonymous( string $site = '' ): array {
		return array(
			'jar'   => tempnam( sys_get_temp_dir(), 'wps3-sec-jar' ),
			'nonce' => '',
			'login' => '(logged out)',
			'site'  => '' !== $site ? $site : self::env( 'SITE_URL' ),
			'ok'    => true,
		);
	}

	/**
	 * Builds the [method, url, opts] of a REST call for a session.
	 *
	 * @param array<string, mixed> $s      Session.
	 * @param string               $method Method.
	 * @param string               $route  Route under wps3/v1, with its query.
	 * @param mixed                $body   JSON value, raw string (sent as JSON), or null.
	 * @param string|null          $nonce  Nonce override (null: the session's).
	 * @return array{0: string, 1: string, 2: array<string, mixed>}
	 */
	public static function rest_request( array $s, string $method, string $route, $body = null, ?string $nonce = null ): array {
		$nonce   = $nonce ?? (string) $s['nonce'];
		$opts    = array(
			'jar'     => $s['jar'],
			'headers' => '' !== $nonce ? array( 'X-WP-Nonce: ' . $nonce ) : array(),
		);
		if ( null !== $body ) {
			$opts['json'] = $body;
		}
		return array( $method, $s['site'] . '/wp-json/wps3/v1/' . ltrim( $route, '/' ), $opts );
	}

	/**
	 * A REST call for a session.
	 *
	 * @param array<string, mixed> $s      Session.
	 * @param string               $method Method.
	 * @param string               $route  Route.
	 * @param mixed                $body   Body.
	 * @param string|null          $nonce  Nonce override.
	 * @return array{status: int, headers: string, body: string, url: string}
	 */
	public static function rest( array $s, string $method, string $route, $body = null, ?string $nonce = null ): array {
		list( $m, $u, $o ) = self::rest_request( $s, $method, $route, $body, $nonce );
		return self::http( $m, $u, $o );
	}

	/**
	 * Decoded JSON of a response (null when not JSON).
	 *
	 * @param array<string, mixed> $res Response.
	 * @return mixed
	 */
	public static function json( array $res ) {
		return json_decode( (string) $res['body'], true );
	}

	/**
	 * The integration page's JSON for Save / Test Connection: the harness's storage, with these overrides.
	 *
	 * @param string               $secret   Secret field ('' = keep the stored one).
	 * @param array<string, mixed> $settings Settings overrides (core field names).
	 * @return array<string, mixed>
	 */
	public static function form( string $secret = '', array $settings = array() ): array {
		return array(
			'settings'        => $settings + array(
				'provider'    => 'custom',
				'endpoint'    => self::env( 'S3_ENDPOINT' ),
				'region'      => self::env( 'S3_REGION' ),
				'bucket'      => self::env( 'S3_BUCKET' ),
				'pathPrefix'  => 'wpsigner/',
				'accessKeyId' => self::env( 'S3_ACCESS_KEY_ID' ),
			),
			'secretAccessKey' => $secret,
		);
	}

	/**
	 * Uploads a small file as a member, the way the browser module does: upload-url, the bytes straight to the
	 * bucket (POST policy or presigned PUT), confirm-upload.
	 *
	 * @param array<string, mixed> $s    Session.
	 * @param string               $name File name.
	 * @param string               $mime Type.
	 * @param string               $data Bytes.
	 * @return array{file_id: int, key: string}|string The file, or what went wrong.
	 */
	public static function upload( array $s, string $name, string $mime, string $data ) {
		$res  = self::rest( $s, 'POST', 'upload-url', array( 'filename' => $name, 'mime_type' => $mime, 'file_size' => strlen( $data ) ) );
		$plan = self::json( $res );
		if ( 200 !== $res['status'] || ! isset( $plan['url'], $plan['key'] ) ) {
			return 'upload-url answered ' . $res['status'] . ': ' . substr( $res['body'], 0, 200 );
		}
		$tmp = tempnam( sys_get_temp_dir(), 'wps3-sec-up' );
		file_put_contents( $tmp, $data );
		if ( 'POST' === ( $plan['method'] ?? '' ) ) {
			$fields = array();
			foreach ( (array) ( $plan['fields'] ?? array() ) as $k => $v ) {
				// Pairs in the order the browser must send them (or a map).
				is_array( $v ) ? $fields[ (string) $v[0] ] = (string) $v[1] : $fields[ (string) $k ] = (string) $v;
			}
			$fields['file'] = new \CURLFile( $tmp, $mime, $name );
			$put            = self::http( 'POST', (string) $plan['url'], array( 'multipart' => $fields ) );
		} else {
			$headers = array();
			foreach ( (array) ( $plan['headers'] ?? array() ) as $k => $v ) {
				$headers[] = is_array( $v ) ? $v[0] . ': ' . $v[1] : $k . ': ' . $v;
			}
			$put = self::http( 'PUT', (string) $plan['url'], array( 'body' => $data, 'headers' => $headers ) );
		}
		unlink( $tmp );
		if ( $put['status'] < 200 || $put['status'] > 204 ) {
			return 'storage answered ' . $put['status'] . ': ' . substr( $put['body'], 0, 200 );
		}
		$res  = self::rest( $s, 'POST', 'confirm-upload', array( 'key' => $plan['key'], 'filename' => $name ) );
		$json = self::json( $res );
		if ( 200 !== $res['status'] || empty( $json['file_id'] ) ) {
			return 'confirm-upload answered ' . $res['status'] . ': ' . substr( $res['body'], 0, 200 );
		}
		return array(
			'file_id' => (int) $json['file_id'],
			'key'     => (string) $plan['key'],
		);
	}

	/**
	 * A user with a known password (created once; the role is set every time).
	 *
	 * @param string $login User login.
	 * @param string $role  Role.
	 * @return array{id: int, login: string, pass: string}
	 */
	public static function user( string $login, string $role = 'subscriber' ): array {
		$pass = 'pw-' . substr( hash( 'sha256', $login . wp_salt( 'auth' ) ), 0, 20 );
		$user = get_user_by( 'login', $login );
		$id   = $user ? (int) $user->ID : (int) wp_insert_user(
			array(
				'user_login' => $login,
				'user_pass'  => $pass,
				'user_email' => $login . '@example.test',
				'role'       => $role,
			)
		);
		wp_set_password( $pass, $id );
		( new \WP_User( $id ) )->set_role( $role );
		return array(
			'id'    => $id,
			'login' => $login,
			'pass'  => $pass,
		);
	}

	/**
	 * Sets the test-only filters of the e2e mu-plugin (served requests read them at plugins_loaded).
	 *
	 * @param array<string, mixed> $filters Filter name => value returned.
	 * @return void
	 */
	public static function filters( array $filters ): void {
		if ( $filters ) {
			update_option( 'wps3_e2e_filters', $filters, false );
		} else {
			delete_option( 'wps3_e2e_filters' );
		}
	}

	/**
	 * Forgets the rate-limit counters of a user (settings test/save, transfers).
	 *
	 * @param int $user_id User.
	 * @return void
	 */
	public static function reset_limits( int $user_id ): void {
		foreach ( array( 'settings-test', 'settings-save', 'transfers' ) as $action ) {
			\WPS3\Rest\RateLimiter::reset( $action, $user_id );
		}
	}

	/**
	 * Paths of the logs a suite watches: WordPress debug log, PHP server/FPM log, sidecar log.
	 *
	 * @return array<string, string> label => path
	 */
	public static function logs(): array {
		$dir = self::env( 'E2E_DIR' );
		return array(
			'debug.log'   => $dir . '/debug-wordpress.log',
			'php log'     => is_file( $dir . '/php-fpm.log' ) ? $dir . '/php-fpm.log' : $dir . '/php-server.log',
			'sidecar log' => $dir . '/sc/sidecar.log',
		);
	}

	/**
	 * Current sizes of the watched logs (to read only what a case added).
	 *
	 * @return array<string, int>
	 */
	public static function log_offsets(): array {
		clearstatcache();
		$out = array();
		foreach ( self::logs() as $label => $path ) {
			$out[ $label ] = is_file( $path ) ? (int) filesize( $path ) : 0;
		}
		return $out;
	}

	/**
	 * What the logs gained since $offsets.
	 *
	 * @param array<string, int> $offsets From log_offsets().
	 * @return array<string, string>
	 */
	public static function log_since( array $offsets ): array {
		clearstatcache();
		$out = array();
		foreach ( self::logs() as $label => $path ) {
			$from          = $offsets[ $label ] ?? 0;
			$out[ $label ] = is_file( $path ) && filesize( $path ) > $from ? (string) file_get_contents( $path, false, null, $from ) : '';
		}
		return $out;
	}

	/**
	 * PHP errors worth failing for in log text (deprecations of WordPress 6.1 on PHP 8.2 are not).
	 *
	 * @param string $text Log text.
	 * @return string[] Offending lines.
	 */
	public static function php_problems( string $text ): array {
		$bad = array();
		foreach ( preg_split( '/\R/', $text ) as $line ) {
			// The plugin's own _doing_it_wrong() for a misused wps3 filter is a deliberate note to developers.
			if ( str_contains( $line, 'was called <strong>incorrectly</strong>' ) && preg_match( '/Function wps3_\w+ was called/', $line ) ) {
				continue;
			}
			if ( preg_match( '/PHP (Fatal error|Warning|Notice|Parse error|Recoverable)|Uncaught |Stack trace:|uncaught exception|unhandled rejection/i', $line ) ) {
				$bad[] = substr( $line, 0, 300 );
			}
		}
		return $bad;
	}

	/**
	 * What a response must never show: stack traces, PHP errors, raw storage XML.
	 *
	 * @param string $text      Body (and headers).
	 * @param bool   $for_admin Words for the site's admin (a document's path on the backups list is theirs to see).
	 * @return string '' when clean, else what was found.
	 */
	public static function leak_in_response( string $text, bool $for_admin = false ): string {
		$patterns = array(
			'stack trace'  => '/Stack trace:|#\d+ \/[^\s]+\.(php|mjs|js)\(\d+\)|\sat [\w.<>]+ \(\/[^)]+:\d+:\d+\)/',
			'PHP error'    => '/(Fatal error|Warning|Notice|Parse error)<\/b>:|PHP (Fatal|Warning|Notice)|There has been a critical error/',
			'raw S3 XML'   => '/<\?xml|<Error>\s*<Code>|&lt;Error&gt;/',
			'server path'  => '#/php-bridge/|' . preg_quote( self::env( 'E2E_DIR' ), '#' ) . '/sc#',
		);
		// A document's path on the admin's own backups list is information the admin needs; in an API answer it is not.
		if ( ! $for_admin && ! preg_match( '/^content-type:\s*text\/html/mi', $text ) ) {
			$patterns['server path'] = '#' . preg_quote( rtrim( ABSPATH, '/' ), '#' ) . '|/php-bridge/|' . preg_quote( self::env( 'E2E_DIR' ), '#' ) . '/sc#';
		}
		foreach ( $patterns as $what => $re ) {
			if ( preg_match( $re, $text, $m ) ) {
				return $what . ': ' . substr( $m[0], 0, 120 );
			}
		}
		return '';
	}

	/**
	 * The site's storage target for direct bucket reads (the plugin's own settings).
	 *
	 * @return array{storage: array<string, mixed>, credentials: array<string, mixed>}|null
	 */
	public static function target(): ?array {
		$settings = \WPS3\Settings\Settings::instance();
		$storage  = $settings->storage();
		$creds    = $settings->credentials();
		if ( is_wp_error( $storage ) || is_wp_error( $creds ) ) {
			return null;
		}
		return array(
			'storage'     => $storage,
			'credentials' => $creds,
		);
	}

	/**
	 * Every object key in the harness's bucket, read with the harness's own credentials (not the site's
	 * settings, which a case may have broken).
	 *
	 * @return string[]|null Null when the bucket cannot be listed.
	 */
	public static function bucket_keys(): ?array {
		$storage = array(
			'provider'              => 'custom',
			'endpoint'              => self::env( 'S3_ENDPOINT' ),
			'region'                => self::env( 'S3_REGION' ),
			'bucket'                => self::env( 'S3_BUCKET' ),
			'addressingStyle'       => 'path',
			'allowPrivateEndpoints' => true,
		);
		$creds   = array(
			'accessKeyId'     => self::env( 'S3_ACCESS_KEY_ID' ),
			'secretAccessKey' => self::env( 'S3_SECRET_ACCESS_KEY' ),
		);
		$keys    = array();
		$token   = null;
		for ( $page = 0; $page < 50; $page++ ) {
			$args = array( 'maxKeys' => 1000 ) + ( null !== $token ? array( 'continuationToken' => $token ) : array() );
			$res  = \WPS3\Sidecar\Client::instance()->call(
				's3',
				array(
					'storage'     => $storage,
					'credentials' => $creds,
					'action'      => 'list_objects_v2',
					'args'        => $args,
				)
			);
			if ( is_wp_error( $res ) ) {
				return null;
			}
			foreach ( (array) ( $res['contents'] ?? $res['objects'] ?? array() ) as $obj ) {
				$keys[] = (string) ( $obj['key'] ?? '' );
			}
			$token = $res['nextContinuationToken'] ?? null;
			if ( empty( $res['isTruncated'] ) || ! $token ) {
				break;
			}
		}
		sort( $keys );
		return $keys;
	}

	/**
	 * Rows of every wps3 table, and every wps3 option (name => md5 of its value), read straight from the
	 * database. Rate-limit counters and the sidecar's own bookkeeping change on every request and are left out.
	 *
	 * @return array{tables: array<string, int>, options: array<string, string>, bucket: string[]|null}
	 */
	public static function state(): array {
		global $wpdb;
		$tables = array();
		foreach ( (array) $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $wpdb->prefix . 'wps3' ) . '%' ) ) as $t ) {
			$tables[ $t ] = (int) $wpdb->get_var( "SELECT COUNT(*) FROM `$t`" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names from SHOW TABLES.
		}
		$options = array();
		$rows    = $wpdb->get_results( "SELECT option_name, option_value FROM {$wpdb->options} WHERE option_name LIKE 'wps3%' OR option_name LIKE '\\_transient\\_%wps3%' OR option_name LIKE '\\_site\\_transient\\_%wps3%'", ARRAY_A );
		foreach ( (array) $rows as $row ) {
			if ( preg_match( self::VOLATILE_OPTIONS, (string) $row['option_name'] ) ) {
				continue;
			}
			$options[ (string) $row['option_name'] ] = md5( (string) $row['option_value'] );
		}
		ksort( $options );
		return array(
			'tables'  => $tables,
			'options' => $options,
			'bucket'  => self::bucket_keys(),
		);
	}

	/** Options that change on their own: rate-limit counters, sidecar health caches, admin notices (queued by a failure, shown and removed by the next page). */
	const VOLATILE_OPTIONS = '/^_transient_(timeout_)?wps3_(rl_|sidecar|notice_)|^wps3_(sidecar_|rl_)/';

	/**
	 * What differs between two states, in words ('' when nothing).
	 *
	 * @param array<string, mixed> $before State.
	 * @param array<string, mixed> $after  State.
	 * @return string
	 */
	public static function diff( array $before, array $after ): string {
		$out = array();
		foreach ( array_unique( array_merge( array_keys( $before['tables'] ), array_keys( $after['tables'] ) ) ) as $t ) {
			$a = $before['tables'][ $t ] ?? 0;
			$b = $after['tables'][ $t ] ?? 0;
			if ( $a !== $b ) {
				$out[] = sprintf( '%s rows %d→%d', $t, $a, $b );
			}
		}
		foreach ( array_unique( array_merge( array_keys( $before['options'] ), array_keys( $after['options'] ) ) ) as $o ) {
			$a = $before['options'][ $o ] ?? null;
			$b = $after['options'][ $o ] ?? null;
			if ( $a !== $b ) {
				$out[] = 'option ' . $o . ( null === $a ? ' added' : ( null === $b ? ' removed' : ' changed' ) );
			}
		}
		if ( null === $before['bucket'] || null === $after['bucket'] ) {
			$out[] = 'bucket not listable';
		} else {
			$added   = array_diff( $after['bucket'], $before['bucket'] );
			$removed = array_diff( $before['bucket'], $after['bucket'] );
			if ( $added ) {
				$out[] = 'objects added: ' . implode( ', ', array_slice( $added, 0, 3 ) );
			}
			if ( $removed ) {
				$out[] = 'objects removed: ' . implode( ', ', array_slice( $removed, 0, 3 ) );
			}
		}
		return implode( '; ', $out );
	}
}
