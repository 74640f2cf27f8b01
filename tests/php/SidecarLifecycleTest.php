<?php
/**
 * The sidecar seen from PHP: the TCP fallback (both sides prove the token), stale and hung sidecars replaced,
 * the default runtime directory.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.PHP.DiscouragedPHPFunctions

require_once __DIR__ . '/class-wps3-sidecar-testcase.php';

/**
 * Sidecar lifecycle tests.
 */
class SidecarLifecycleTest extends WPS3_Sidecar_TestCase {

	const CALL = '$c = WPS3\Sidecar\Client::instance(); $r = $c->call( "render-key", array( "title" => "Over TCP", "documentId" => "7", "now" => 1700000000 ) ); $h = $c->health(); echo wp_json_encode( array( "result" => is_wp_error( $r ) ? $r->get_error_data() : $r, "pid" => is_wp_error( $h ) ? 0 : $h["pid"] ) );';

	public function test_tcp_fallback_to_a_sidecar_started_by_hand() {
		$dir   = $this->private_dir( 'tcp' );
		$port  = self::free_port();
		$token = $dir . '/token';
		$proc  = proc_open(
			array( 'node', WPS3_PLUGIN_DIR . '/sidecar/server.mjs', '--port', (string) $port, '--token-file', $token, '--pid-file', $dir . '/sidecar.pid' ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'file', $dir . '/sidecar.log', 'a' ) ),
			$pipes
		);
		$this->procs[] = $proc;
		$ready         = json_decode( (string) fgets( $pipes[1] ), true );
		$this->assertSame( 'ready', $ready['event'] ?? null );

		$defines = array(
			'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
			'WPS3_SIDECAR_TOKEN_FILE' => $token,
			'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
		);
		$r = $this->eval_json( self::CALL, $defines );
		$this->assertSame( 'wpsigner/Over-TCP_2023-11-14_7.pdf', $r['result']['key'] ?? null, wp_json_encode( $r ) );
		$this->assertSame( $ready['pid'], $r['pid'], 'the sidecar started by hand answered' );

		// Several requests in one PHP request share one proved connection (seq 1, 2, 3 …), and a connection the
		// sidecar closed while idle (keep-alive 5 s) is replaced by a newly proved one.
		$r = $this->eval_json(
			'$c = WPS3\Sidecar\Client::instance(); $keys = array(); foreach ( array( 0, 0, 6 ) as $pause ) { sleep( $pause ); $r = $c->call( "render-key", array( "title" => "Over TCP", "documentId" => "7", "now" => 1700000000 ) ); $keys[] = is_wp_error( $r ) ? $r->get_error_data() : $r["key"]; } echo wp_json_encode( $keys );',
			$defines
		);
		$this->assertSame( array_fill( 0, 3, 'wpsigner/Over-TCP_2023-11-14_7.pdf' ), $r );

		// A sidecar with another token cannot prove this site's token: PHP refuses it and starts no second one.
		$wrong = $dir . '/wrong-token';
		file_put_contents( $wrong, str_repeat( 'f', 64 ) );
		chmod( $wrong, 0600 );
		$r = $this->eval_json( self::CALL, array( 'WPS3_SIDECAR_TOKEN_FILE' => $wrong ) + $defines );
		$this->assertSame( 'UNAUTHORIZED', $r['result']['code'] ?? null, wp_json_encode( $r ) );
		$this->assertSame( 0, $r['pid'] );
	}

	public function test_plugin_starts_and_stops_a_tcp_sidecar() {
		$dir     = $this->private_dir( 'tcp-auto' );
		$port    = self::free_port();
		$defines = array(
			'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
			'WPS3_SIDECAR_TOKEN_FILE' => $dir . '/token',
			'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
		);
		$r = $this->eval_json( self::CALL, $defines );
		$this->assertSame( 'wpsigner/Over-TCP_2023-11-14_7.pdf', $r['result']['key'] ?? null, wp_json_encode( $r ) );
		$this->assertGreaterThan( 0, $r['pid'] );
		$this->assertSame( 0600, fileperms( $dir . '/token' ) & 0777, 'the sidecar created a private token file' );
		$cmdline = (string) file_get_contents( '/proc/' . $r['pid'] . '/cmdline' );
		$this->assertStringContainsString( "--port\0" . $port, $cmdline );
		$stopped = $this->eval_json( 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->supervisor()->stop() );', $defines );
		$this->assertTrue( $stopped );
		$this->assertFalse( self::alive( $r['pid'] ) );
	}

	public function test_non_loopback_sidecar_url_is_refused() {
		$r = $this->eval_json(
			'$r = WPS3\Sidecar\Client::instance()->call( "health" ); echo wp_json_encode( is_wp_error( $r ) ? $r->get_error_data() : $r );',
			array(
				'WPS3_SIDECAR_URL'    => 'http://192.0.2.10:7781',
				'WPS3_SIDECAR_SOCKET' => $this->private_dir( 'tcp-bad' ) . '/unused.sock',
			)
		);
		$this->assertSame( 'SIDECAR_UNAVAILABLE', $r['code'] );
		$this->assertStringContainsString( 'loopback', $r['cause'] );
	}

	/**
	 * Old (stale) and hung sidecars.
	 *
	 * @return array
	 */
	public function broken_sidecars() {
		return array(
			'stale (another version)' => array( 'stale' ),
			'hung (never answers, ignores SIGTERM)' => array( 'hung' ),
		);
	}

	/**
	 * @dataProvider broken_sidecars
	 *
	 * @param string $mode Mode of the fake sidecar.
	 */
	public function test_stale_or_hung_sidecar_is_replaced( $mode ) {
		$dir     = $this->private_dir( 'sc-' . $mode );
		$fake    = $this->start_fake( $mode, $dir );
		$defines = array( 'WPS3_SIDECAR_SOCKET' => $dir . '/s.sock' );
		$t0      = microtime( true );
		$r       = $this->eval_json(
			self::fake_filter() . 'add_filter( "wps3_sidecar_start_timeout", function () { return 2.0; } ); add_filter( "wps3_sidecar_stop_grace", function () { return 1.0; } ); add_filter( "wps3_sidecar_abort_grace", function () { return 1.0; } );' . self::CALL,
			$defines
		);
		$this->assertLessThan( 30, microtime( true ) - $t0 );
		$this->assertSame( 'wpsigner/Over-TCP_2023-11-14_7.pdf', $r['result']['key'] ?? null, wp_json_encode( $r ) );
		$this->assertNotSame( $fake, $r['pid'], 'a new sidecar answers' );
		$this->assertFalse( self::alive( $fake ), 'the old one was stopped' );
		$health = $this->eval_json( 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->health() );', $defines );
		$this->assertSame( WPS3_VERSION, $health['sidecarVersion'] ?? null );
		// The next request keeps it (no restart loop).
		$again = $this->eval_json( self::fake_filter() . self::CALL, $defines );
		$this->assertSame( $r['pid'], $again['pid'] );
		$this->assertTrue( $this->eval_json( self::fake_filter() . 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->supervisor()->stop() );', $defines ) );
	}

	/**
	 * TCP sidecars that do not answer the hello with a proof, nor with a refusal of it: one stopped (SIGSTOP,
	 * the hello times out) and one from before the proof (it answers 401, wanting the token itself).
	 *
	 * @return array
	 */
	public function unanswering_tcp_sidecars() {
		return array(
			'stopped (SIGSTOP)'          => array( 'stopped' ),
			'before the proof (401)'     => array( 'bearer' ),
		);
	}

	/**
	 * Neither is a listener that failed the proof: PHP replaces them as it does over the Unix socket (before,
	 * every hello failure was UNAUTHORIZED, which the supervisor never replaces).
	 *
	 * @dataProvider unanswering_tcp_sidecars
	 *
	 * @param string $mode How the old sidecar fails.
	 */
	public function test_hung_or_old_tcp_sidecar_is_replaced( $mode ) {
		$dir     = $this->private_dir( 'tcp-' . $mode );
		$port    = self::free_port();
		$token   = $dir . '/token';
		$defines = array(
			'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
			'WPS3_SIDECAR_TOKEN_FILE' => $token,
			'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
		);
		$filters = self::fake_filter() . 'add_filter( "wps3_sidecar_start_timeout", function () { return 2.0; } ); add_filter( "wps3_sidecar_stop_grace", function () { return 1.0; } ); add_filter( "wps3_sidecar_abort_grace", function () { return 1.0; } );';
		if ( 'stopped' === $mode ) {
			$old = $this->eval_json( $filters . self::CALL, $defines )['pid'];
			$this->assertGreaterThan( 0, $old );
			posix_kill( $old, 19 ); // SIGSTOP: it holds the port and answers nothing.
		} else {
			file_put_contents( $token, str_repeat( 'a', 64 ) );
			chmod( $token, 0600 );
			$this->start_proc( array( 'node', self::fake(), '--port', (string) $port, '--token-file', $token, '--pid-file', $dir . '/sidecar.pid' ), array( 'WPS3_FAKE_SIDECAR' => 'bearer' ) );
			$old = (int) file_get_contents( $dir . '/sidecar.pid' );
		}
		$t0 = microtime( true );
		$r  = $this->eval_json( $filters . self::CALL, $defines );
		$this->assertLessThan( 40, microtime( true ) - $t0 );
		$this->assertSame( 'wpsigner/Over-TCP_2023-11-14_7.pdf', $r['result']['key'] ?? null, wp_json_encode( $r ) );
		$this->assertNotSame( $old, $r['pid'], 'a new sidecar answers' );
		$this->assertFalse( self::alive( $old ), 'the old one was stopped' );
		$this->assertTrue( $this->eval_json( $filters . 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->supervisor()->stop() );', $defines ) );
	}

	public function test_the_sidecars_error_fields_reach_php_unchanged() {
		$dir   = $this->private_dir( 'sc-error' );
		$error = array(
			'code'             => 'S3_ERROR',
			'message'          => 'The difference between the request time and the current time is too large.',
			's3Code'           => 'RequestTimeTooSkewed',
			'httpStatus'       => 403,
			'retry'            => 'after-clock-fix',
			'adviceId'         => 'clock-skew',
			'retryable'        => true,
			'requestId'        => 'req-4711',
			'serverTime'       => '2026-12-01T20:00:00Z',
			'clockSkewSeconds' => -912,
		);
		$fake  = $this->start_fake( 'error', $dir, array( 'WPS3_FAKE_VERSION' => WPS3_VERSION, 'WPS3_FAKE_ERROR' => wp_json_encode( $error ) ) );
		$r     = $this->eval_json(
			'$r = WPS3\Sidecar\Client::instance()->call( "upload-file", array( "key" => "k" ) ); echo wp_json_encode( is_wp_error( $r ) ? $r->get_error_data() : array( "not" => "an error" ) );',
			array( 'WPS3_SIDECAR_SOCKET' => $dir . '/s.sock' )
		);
		$this->assertSame( $error, $r['raw'] ?? null, wp_json_encode( $r ) );
		$this->assertSame( 'RequestTimeTooSkewed', $r['code'] );
		$this->assertSame( 'after-clock-fix', $r['retry'], 'the core\'s retry decision, not one PHP made' );
		$this->assertSame( 'clock-skew', $r['adviceId'] );
		$this->assertSame( -912, $r['clockSkewSeconds'] );
		$this->assertTrue( self::alive( $fake ), 'an error answer is not a reason to replace the sidecar' );
	}

	public function test_default_runtime_directory_has_an_unpredictable_name() {
		$r = $this->eval_json(
			'$c = WPS3\Sidecar\Client::instance(); echo wp_json_encode( array( $c->runtime()->path(), $c->runtime()->is_default(), get_site_option( WPS3\Sidecar\RuntimeSuffix::OPTION ) ) );',
			array( 'WPS3_SIDECAR_SOCKET' => '' )
		);
		$this->assertTrue( $r[1] );
		$this->assertMatchesRegularExpression( '#^' . preg_quote( rtrim( sys_get_temp_dir(), '/' ), '#' ) . '/wps3-[0-9a-f]{8}-[0-9a-f]{16}$#', $r[0] );
		$this->assertStringEndsWith( $r[2], $r[0], 'the random part is stored, so every request finds the same directory' );
		$again = $this->eval_json( 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->runtime()->path() );', array( 'WPS3_SIDECAR_SOCKET' => '' ) );
		$this->assertSame( $r[0], $again );
	}
}
