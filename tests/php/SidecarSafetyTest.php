<?php
/**
 * What the plugin may signal, where it may send secrets, and what it leaves alone: exact command-line pid
 * checks, the owner of the TCP port, the two-step stop, draining sidecars, admin-run sidecars (other versions,
 * uninstall in a directory the admin chose), unreadable token files, TCP listeners that cannot prove the token.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.PHP.DiscouragedPHPFunctions

require_once __DIR__ . '/class-wps3-sidecar-testcase.php';

/**
 * Sidecar safety tests.
 */
class SidecarSafetyTest extends WPS3_Sidecar_TestCase {

	const CALL = '$c = WPS3\Sidecar\Client::instance(); $r = $c->call( "render-key", array( "title" => "Safe", "documentId" => "7", "now" => 1700000000 ) ); $h = $c->health(); echo wp_json_encode( array( "result" => is_wp_error( $r ) ? $r->get_error_data() : $r, "pid" => is_wp_error( $h ) ? 0 : $h["pid"] ) );';

	const KEY = 'wpsigner/Safe_2023-11-14_7.pdf';

	public function test_command_line_must_be_exactly_ours() {
		$c      = WPS3\Sidecar\Client::instance();
		$script = $c->launcher()->server_script();
		$ours   = array( '/usr/bin/node', $script, '--socket', $c->runtime()->socket_path(), '--pid-file', $c->runtime()->pid_file() );
		$this->assertTrue( $c->launcher()->is_ours( $ours ) );
		$this->assertTrue( $c->launcher()->is_ours( array( 'node', $script, '--pid-file', $c->runtime()->pid_file(), '--socket', $c->runtime()->socket_path() ) ), 'option order does not matter' );
		$this->assertFalse( $c->launcher()->is_ours( array_merge( $ours, array( '--debug' ) ) ) );
		$this->assertFalse( $c->launcher()->is_ours( array_merge( $ours, array( '--pid-file', '/tmp/other.pid' ) ) ) );
		$this->assertFalse( $c->launcher()->is_ours( array( 'node', $script, '--socket', $c->runtime()->socket_path() ) ), 'no pid file' );
		$this->assertFalse( $c->launcher()->is_ours( array( 'node', $script, '--socket', $c->runtime()->socket_path(), '--pid-file', $c->runtime()->pid_file() . 'x' ) ) );
		$this->assertFalse( $c->launcher()->is_ours( array( 'node', '/elsewhere/server.mjs', '--socket', $c->runtime()->socket_path(), '--pid-file', $c->runtime()->pid_file() ) ) );
		$this->assertFalse( $c->launcher()->is_ours( array( 'node', 'x.js', 'server.mjs', '--pid-file', $c->runtime()->pid_file() ) ) );
		$this->assertFalse( $c->launcher()->is_ours( array() ) );
		// The wps3_sidecar_script filter names another file: the check follows it.
		$other = function () {
			return '/opt/wps3/sidecar-entry.mjs';
		};
		add_filter( 'wps3_sidecar_script', $other );
		$this->assertTrue( $c->launcher()->is_ours( array( 'node', '/opt/wps3/sidecar-entry.mjs', '--socket', $c->runtime()->socket_path(), '--pid-file', $c->runtime()->pid_file() ) ) );
		$this->assertFalse( $c->launcher()->is_ours( $ours ) );
		remove_filter( 'wps3_sidecar_script', $other );
	}

	public function test_unrelated_process_named_in_the_pid_file_is_never_signalled() {
		$dir = $this->private_dir( 'decoy' );
		// Same options as the plugin's sidecar, "server.mjs" in its name, but another script: not ours.
		file_put_contents( $dir . '/server.mjs', 'process.stdout.write("ready\n"); setInterval(() => {}, 1000);' );
		$decoy = $this->start_proc( array( 'node', $dir . '/server.mjs', '--socket', $dir . '/s.sock', '--pid-file', $dir . '/sidecar.pid' ) );
		file_put_contents( $dir . '/sidecar.pid', (string) $decoy );
		$defines = array( 'WPS3_SIDECAR_SOCKET' => $dir . '/s.sock' );

		$this->assertFalse( $this->eval_json( 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->supervisor()->stop() );', $defines ) );
		$this->assertTrue( self::alive( $decoy ), 'stop() left the unrelated process alone' );

		// A call starts a real sidecar next to it, without signalling it; stopping that one spares the decoy.
		$r = $this->eval_json( 'add_filter( "wps3_sidecar_start_timeout", function () { return 3.0; } );' . self::CALL, $defines );
		$this->assertSame( self::KEY, $r['result']['key'] ?? null, wp_json_encode( $r ) );
		$this->assertNotSame( $decoy, $r['pid'] );
		$this->assertTrue( self::alive( $decoy ) );
		$this->assertTrue( $this->eval_json( 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->supervisor()->stop() );', $defines ) );
		$this->assertFalse( self::alive( $r['pid'] ) );
		$this->assertTrue( self::alive( $decoy ) );
	}

	public function test_stop_sends_a_second_sigterm_before_sigkill() {
		$dir     = $this->private_dir( 'two-term' );
		$events  = $dir . '/events';
		$fake    = $this->start_fake( 'two-sigterms', $dir, array( 'WPS3_FAKE_EVENTS' => $events ) );
		$defines = array( 'WPS3_SIDECAR_SOCKET' => $dir . '/s.sock' );
		$stopped = $this->eval_json(
			self::fake_filter() . 'add_filter( "wps3_sidecar_stop_grace", function () { return 1.0; } ); echo wp_json_encode( WPS3\Sidecar\Client::instance()->supervisor()->stop() );',
			$defines
		);
		$this->assertTrue( $stopped );
		$this->assertFalse( self::alive( $fake ) );
		$this->assertSame( "sigterm\nsigterm\nexit\n", (string) file_get_contents( $events ), 'the second SIGTERM (abort uploads) ended it, not SIGKILL' );
	}

	public function test_a_draining_sidecar_is_waited_for_not_signalled_again() {
		$dir     = $this->private_dir( 'drain' );
		$events  = $dir . '/events';
		$fake    = $this->start_fake( 'drain', $dir, array( 'WPS3_FAKE_EVENTS' => $events, 'WPS3_FAKE_VERSION' => WPS3_VERSION, 'WPS3_FAKE_DRAIN_MS' => '3000' ) );
		$defines = array( 'WPS3_SIDECAR_SOCKET' => $dir . '/s.sock' );
		posix_kill( $fake, 15 ); // It removes its socket and keeps running for 3 s, as with requests in flight.
		$end = microtime( true ) + 5;
		while ( file_exists( $dir . '/s.sock' ) && microtime( true ) < $end ) {
			usleep( 20000 );
		}
		$this->assertFileDoesNotExist( $dir . '/s.sock' );
		$t0 = microtime( true );
		$r  = $this->eval_json( self::fake_filter() . 'add_filter( "wps3_sidecar_start_timeout", function () { return 1.0; } );' . self::CALL, $defines );
		$this->assertSame( self::KEY, $r['result']['key'] ?? null, wp_json_encode( $r ) );
		$this->assertGreaterThan( 2.0, microtime( true ) - $t0, 'the new sidecar started after the old one exited' );
		$this->assertSame( "sigterm\nexit\n", (string) file_get_contents( $events ), 'no second SIGTERM for a draining sidecar' );
		$this->assertTrue( $this->eval_json( self::fake_filter() . 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->supervisor()->stop() );', $defines ) );
	}

	public function test_sidecar_of_another_version_is_used_when_it_cannot_be_replaced() {
		$code    = '$c = \WPS3\Sidecar\Client::instance(); $r = $c->call( "render-key", array( "title" => "x", "documentId" => "1" ) ); wp_set_current_user( 1 ); ob_start(); \WPS3\Admin\Notices::render_global(); $html = ob_get_clean(); echo wp_json_encode( array( "result" => is_wp_error( $r ) ? $r->get_error_data() : $r, "notice" => get_transient( "wps3_sidecar_version" ), "html" => $html ) );';
		$dir     = $this->private_dir( 'old-service' );
		$fake    = $this->start_fake( 'stale', $dir );
		$defines = array( 'WPS3_SIDECAR_SOCKET' => $dir . '/s.sock' );

		// proc_open() disabled (the sidecar runs as a service): the old sidecar answers, admins are told.
		$r = $this->eval_json( self::fake_filter() . $code, $defines, array( 'disable_functions' => 'proc_open' ) );
		$this->assertSame( array( 'stale' => true ), $r['result'], wp_json_encode( $r ) );
		$this->assertSame( '0.0.0-old', $r['notice']['running'] ?? null );
		$this->assertStringContainsString( 'wps3-sidecar-version-notice', $r['html'] );
		$this->assertStringContainsString( '0.0.0-old', $r['html'] );
		$this->assertTrue( self::alive( $fake ) );

		// proc_open() allowed, but the process is not one the plugin launched (another script): not signalled.
		$r = $this->eval_json( $code, $defines );
		$this->assertSame( array( 'stale' => true ), $r['result'], wp_json_encode( $r ) );
		$this->assertStringContainsString( 'wps3-sidecar-version-notice', $r['html'] );
		$this->assertTrue( self::alive( $fake ) );
		$this->eval_json( 'delete_transient( "wps3_sidecar_version" ); echo 1;', $defines );
	}

	public function test_tcp_port_held_by_another_user_gets_nothing() {
		$port  = self::free_port();
		$dir   = $this->private_dir( 'tcp-foreign' );
		$token = $dir . '/token';
		file_put_contents( $token, str_repeat( 'a', 64 ) );
		chmod( $token, 0600 );
		$listener = 'const s = require("net").createServer((c) => c.on("data", (d) => process.stdout.write("DATA " + d.length + "\n"))); s.listen(' . $port . ', "127.0.0.1", () => process.stdout.write("ready\n"));';
		$pid      = $this->start_proc( array( 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'node', '-e', $listener ) );
		$defines  = array(
			'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
			'WPS3_SIDECAR_TOKEN_FILE' => $token,
			'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
		);
		$r        = $this->eval_json( self::CALL, $defines );
		$this->assertSame( 'SIDECAR_UNAVAILABLE', $r['result']['code'] ?? null, wp_json_encode( $r ) );
		$this->assertStringContainsString( 'another user', $r['result']['cause'] );
		$this->assertSame( 0, $r['pid'] );
		$this->assertFalse( file_exists( $dir . '/sidecar.pid' ), 'no sidecar was started' );
		posix_kill( $pid, 9 );
		usleep( 200000 );
		$pipe = end( $this->pipes );
		stream_set_blocking( $pipe, false );
		$this->assertSame( '', (string) stream_get_contents( $pipe ), 'not a byte (token, credentials) reached the foreign listener' );
	}

	/**
	 * How a listener that does not hold the token answers: a well-formed but unproved hello (keeping the
	 * connection, or closing it after the answer), or nothing at all.
	 *
	 * @return array
	 */
	public function unproved_listeners() {
		return array(
			'forged answer'          => array( 'keep' ),
			'forged answer, closing' => array( 'close' ),
			'silent'                 => array( 'silent' ),
		);
	}

	/**
	 * Issue 10, hole 6: a process of the same user that wins the port between TcpGuard's owner check and the
	 * connect (simulated: it simply holds the port) receives the nonce and nothing else: no token, no request,
	 * no body.
	 *
	 * @dataProvider unproved_listeners
	 *
	 * @param string $mode How it answers.
	 */
	public function test_tcp_listener_that_cannot_prove_the_token_gets_no_token_and_no_request( $mode ) {
		$port     = self::free_port();
		$dir      = $this->private_dir( 'tcp-unproved-' . $mode );
		$token    = str_repeat( 'b', 64 );
		$received = $dir . '/received';
		file_put_contents( $dir . '/token', $token );
		chmod( $dir . '/token', 0600 );
		$answer   = wp_json_encode(
			array(
				'ok'     => true,
				'result' => array(
					'nonce' => str_repeat( 'a', 64 ),
					'proof' => str_repeat( 'c', 64 ),
					'key'   => 'forged',
					'pid'   => 4242,
				),
			)
		);
		$listener = 'const fs = require("fs"); require("net").createServer((c) => { let buf = ""; c.on("data", (d) => { fs.appendFileSync(' . var_export( $received, true ) . ', d); buf += d.toString("latin1"); while (buf.includes("\r\n\r\n")) { buf = buf.slice(buf.indexOf("\r\n\r\n") + 4); const a = ' . var_export( (string) $answer, true ) . '; const mode = ' . var_export( $mode, true ) . '; if (mode === "silent") continue; c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + (mode === "close" ? "Connection: close\r\n" : "") + "Content-Length: " + a.length + "\r\n\r\n" + a); if (mode === "close") c.end(); } }); }).listen(' . $port . ', "127.0.0.1", () => process.stdout.write("ready\n"));';
		$this->start_proc( array( 'node', '-e', $listener ) );
		$defines = array(
			'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
			'WPS3_SIDECAR_TOKEN_FILE' => $dir . '/token',
			'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
		);
		$r       = $this->eval_json( self::CALL, $defines );
		if ( 'silent' === $mode ) {
			// Not a failed proof but no answer: what a hung sidecar does, so PHP tries to start one (which
			// cannot listen on the held port) and reports that, as over the Unix socket.
			$this->assertSame( 'SIDECAR_UNAVAILABLE', $r['result']['code'] ?? null, wp_json_encode( $r ) );
		} else {
			$this->assertSame( 'UNAUTHORIZED', $r['result']['code'] ?? null, wp_json_encode( $r ) );
			$this->assertStringContainsString( 'could not prove', $r['result']['cause'] );
			$this->assertStringContainsString( 'nothing was sent', $r['result']['cause'] );
			$this->assertFalse( file_exists( $dir . '/sidecar.pid' ), 'no sidecar was started' );
		}
		$this->assertSame( 0, $r['pid'], 'health() refused it too' );
		clearstatcache();
		$seen = (string) @file_get_contents( $received ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		$this->assertStringNotContainsString( $token, $seen, 'the token never reached the listener' );
		$this->assertStringNotContainsStringIgnoringCase( 'authorization', $seen );
		$this->assertStringNotContainsString( 'Safe', $seen, 'no request body reached the listener' );
		$this->assertSame( 0, preg_match( '#^(POST|GET /v1/health)#m', $seen ), 'no request but the hello: ' . $seen );
		$this->assertGreaterThan( 0, preg_match_all( '#^GET /v1/hello HTTP/1\.1\r$#m', $seen ), 'PHP asked for the proof: ' . $seen );
	}

	/**
	 * Listeners that answer with more than PHP should buffer: on the hello (declaring a huge length, or
	 * streaming until the close), or, having proved the token, on an op.
	 *
	 * @return array
	 */
	public function flooding_listeners() {
		return array(
			'hello, huge Content-Length' => array( 'hello-length' ),
			'hello, endless until close' => array( 'hello-endless' ),
			'op after a valid proof'     => array( 'op-endless' ),
		);
	}

	/**
	 * The TCP channel reads at most 4 KiB of a hello answer and a bounded op answer; beyond that a clear
	 * error, not a PHP fatal at memory_limit (before, only the response head was limited).
	 *
	 * @dataProvider flooding_listeners
	 *
	 * @param string $mode What floods.
	 */
	public function test_tcp_answer_larger_than_the_limit_is_a_clear_error( $mode ) {
		$port     = self::free_port();
		$dir      = $this->private_dir( 'tcp-flood-' . $mode );
		$token    = str_repeat( 'c', 64 );
		file_put_contents( $dir . '/token', $token );
		chmod( $dir . '/token', 0600 );
		$this->start_proving_listener( $dir, $port, $token, $mode );
		$defines = array(
			'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
			'WPS3_SIDECAR_TOKEN_FILE' => $dir . '/token',
			'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
		);
		// The hello's flood is seen by health() (a call would go on to try starting a sidecar); an op's by call().
		$code = 'op-endless' === $mode
			? '$r = WPS3\Sidecar\Client::instance()->call( "render-key", array( "title" => "Safe", "documentId" => "7", "now" => 1700000000 ) );'
			: '$r = WPS3\Sidecar\Client::instance()->health();';
		$t0   = microtime( true );
		$r    = $this->eval_json( $code . ' echo wp_json_encode( is_wp_error( $r ) ? $r->get_error_data() : $r );', $defines, array( 'memory_limit' => '128M' ) );
		$this->assertSame( 'SIDECAR_BAD_RESPONSE', $r['code'] ?? null, wp_json_encode( $r ) );
		$this->assertMatchesRegularExpression( '/larger than ' . ( 'op-endless' === $mode ? '16777216' : '4096' ) . ' bytes/', $r['cause'] );
		$this->assertLessThan( 10, microtime( true ) - $t0, 'not read until a timeout' );
	}

	/**
	 * Starts a listener that holds the token (it proves the hello with it, as the sidecar would) and then
	 * misbehaves as $mode says: hello-length, hello-endless (floods instead of proving), op-endless (floods
	 * an op's answer), no-session-once (refuses the first op with 401 no_session), bad-proof (refuses every
	 * op with 401 bad_proof). Each hello appends a line to $dir/hellos.
	 *
	 * @param string $dir   Private directory.
	 * @param int    $port  Port.
	 * @param string $token Token.
	 * @param string $mode  Mode.
	 * @return void
	 */
	private function start_proving_listener( $dir, $port, $token, $mode ) {
		$listener = <<<'JS'
const crypto = require('crypto');
const [port, token, mode, version, hellos] = process.argv.slice(2);
let refused = false;
const send = (c, o) => { const b = JSON.stringify(o); c.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`); };
const flood = (c, head) => { c.write(head); const chunk = Buffer.alloc(65536, 'a'); const go = () => { while (!c.destroyed && c.write(chunk)); if (!c.destroyed) c.once('drain', go); }; go(); };
require('net').createServer((c) => {
  let buf = '';
  c.on('error', () => {});
  c.on('data', (d) => {
    buf += d.toString('latin1');
    let end;
    while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
      const head = buf.slice(0, end);
      const length = Number((/^content-length:\s*(\d+)/mi.exec(head) || [0, 0])[1]);
      buf = buf.slice(end + 4 + length);
      if (head.startsWith('GET /v1/hello') && mode === 'hello-length') return flood(c, 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n');
      if (head.startsWith('GET /v1/hello') && mode === 'hello-endless') return flood(c, 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n');
      if (head.startsWith('GET /v1/hello')) {
        require('fs').appendFileSync(hellos, 'hello\n');
        const nonce = crypto.randomBytes(32).toString('hex');
        const message = `wps3-tcp-hello-v1\n${/^x-wps3-nonce:\s*(\S+)/mi.exec(head)[1]}\n${nonce}\n${c.remoteAddress}:${c.remotePort}\n${c.localAddress}:${c.localPort}`;
        send(c, { ok: true, result: { nonce, proof: crypto.createHmac('sha256', token).update(message).digest('hex') } });
      } else if (head.startsWith('GET /v1/health')) {
        send(c, { ok: true, version, sidecarVersion: version, pid: process.pid });
      } else if (mode === 'bad-proof' || (mode === 'no-session-once' && !refused)) {
        refused = true;
        const b = JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'refused', retry: 'never', reason: mode === 'bad-proof' ? 'bad_proof' : 'no_session' } });
        c.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`);
        return;
      } else if (mode === 'no-session-once') {
        send(c, { ok: true, result: { key: 'proved again' } });
      } else {
        return flood(c, 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n');
      }
    }
  });
}).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
JS;
		file_put_contents( $dir . '/listener.js', $listener );
		$this->start_proc( array( 'node', $dir . '/listener.js', (string) $port, $token, $mode, WPS3_VERSION, $dir . '/hellos' ) );
	}

	/**
	 * A 401 `no_session` (the sidecar has no proof for the connection) gets one newly proved connection; a
	 * `bad_proof` one is reported at once (before, both were UNAUTHORIZED at once).
	 */
	public function test_tcp_no_session_refusal_is_proved_again_once() {
		foreach ( array( 'no-session-once', 'bad-proof' ) as $mode ) {
			$port  = self::free_port();
			$dir   = $this->private_dir( 'tcp-' . $mode );
			$token = str_repeat( 'd', 64 );
			file_put_contents( $dir . '/token', $token );
			chmod( $dir . '/token', 0600 );
			$this->start_proving_listener( $dir, $port, $token, $mode );
			$defines = array(
				'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
				'WPS3_SIDECAR_TOKEN_FILE' => $dir . '/token',
				'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
			);
			$r       = $this->eval_json( '$r = WPS3\Sidecar\Client::instance()->call( "render-key", array( "title" => "Safe" ) ); echo wp_json_encode( is_wp_error( $r ) ? $r->get_error_data() : $r );', $defines );
			$hellos  = substr_count( (string) file_get_contents( $dir . '/hellos' ), "hello\n" );
			if ( 'no-session-once' === $mode ) {
				$this->assertSame( 'proved again', $r['key'] ?? null, wp_json_encode( $r ) );
				$this->assertSame( 3, $hellos, 'health, the op, the op again on a newly proved connection' );
			} else {
				$this->assertSame( 'UNAUTHORIZED', $r['code'] ?? null, wp_json_encode( $r ) );
				$this->assertSame( 2, $hellos, 'health and the op: a refused proof is not tried again' );
			}
		}
	}

	/**
	 * Issue 10, hole 6: a real sidecar started with another token (another site's, a stale file) cannot prove
	 * this site's token, so PHP sends it no request.
	 */
	public function test_tcp_sidecar_with_another_token_is_refused_before_any_request() {
		$dir   = $this->private_dir( 'tcp-other-token' );
		$port  = self::free_port();
		$mine  = $dir . '/mine';
		$theirs = $dir . '/theirs';
		file_put_contents( $mine, str_repeat( 'd', 64 ) );
		file_put_contents( $theirs, str_repeat( 'e', 64 ) );
		chmod( $mine, 0600 );
		chmod( $theirs, 0600 );
		$pid     = $this->start_proc( array( 'node', WPS3_PLUGIN_DIR . '/sidecar/server.mjs', '--port', (string) $port, '--token-file', $theirs ), array(), '{"event":"ready"' );
		$defines = array(
			'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
			'WPS3_SIDECAR_TOKEN_FILE' => $mine,
			'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
		);
		$r       = $this->eval_json( self::CALL, $defines );
		$this->assertSame( 'UNAUTHORIZED', $r['result']['code'] ?? null, wp_json_encode( $r ) );
		$this->assertStringContainsString( 'could not prove', $r['result']['cause'], 'PHP refused the sidecar, not the other way round' );
		$this->assertSame( 'backoff', $r['result']['retry'] ?? null );
		$this->assertSame( 0, $r['pid'] );
		$this->assertTrue( self::alive( $pid ), 'the other sidecar is left alone' );
		$this->assertFalse( file_exists( $dir . '/sidecar.pid' ), 'no second sidecar was started' );
	}

	public function test_proc_net_tcp_parser() {
		$port = 7781; // 0x1E65.
		$tcp  = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
			. "   0: 0100007F:1E65 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n"
			. "   1: 0100007F:1E65 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 20 4 30 10 -1\n"
			. "   2: 00000000:1E66 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 4244 1 0000000000000000 100 0 0 10 0\n"
			. "   3: 0200007F:1E65 00000000:0000 0A 00000000:00000000 00:00000000 00000000    44        0 4245 1 0000000000000000 100 0 0 10 0\n";
		$this->assertSame( array( 1000 ), WPS3\Sidecar\TcpGuard::listener_uids( $tcp, $port ), 'only the 127.0.0.1 listener, not the connection or 127.0.0.2' );
		$this->assertSame( array( 33 ), WPS3\Sidecar\TcpGuard::listener_uids( $tcp, 7782 ), '0.0.0.0 accepts loopback connections too' );
		$tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
			. "   0: 00000000000000000000000000000000:1E65 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    55        0 1 1 0000000000000000 100 0 0 10 0\n"
			. "   1: 00000000000000000000000001000000:1E65 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    66        0 2 1 0000000000000000 100 0 0 10 0\n"
			. "   2: 0000000000000000FFFF00000100007F:1E65 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    77        0 3 1 0000000000000000 100 0 0 10 0\n";
		$this->assertSame( array( 55, 77 ), WPS3\Sidecar\TcpGuard::listener_uids( $tcp6, $port ), ':: (dual stack) and ::ffff:127.0.0.1, not ::1' );
		$this->assertSame( array(), WPS3\Sidecar\TcpGuard::listener_uids( "garbage\n\n", $port ) );
	}

	public function test_unreadable_token_file_gives_a_clear_error_and_starts_nothing() {
		$port = self::free_port();
		$dir  = $this->private_dir( 'tcp-token' );
		mkdir( $dir . '/token', 0700 ); // Exists, but no token can be read from it.
		$r = $this->eval_json(
			self::CALL,
			array(
				'WPS3_SIDECAR_URL'        => 'http://127.0.0.1:' . $port,
				'WPS3_SIDECAR_TOKEN_FILE' => $dir . '/token',
				'WPS3_SIDECAR_SOCKET'     => $dir . '/unused.sock',
			)
		);
		$this->assertSame( 'SIDECAR_UNAVAILABLE', $r['result']['code'] ?? null, wp_json_encode( $r ) );
		$this->assertStringContainsString( 'cannot read', $r['result']['cause'] );
		$this->assertFalse( $r['result']['not_connected'] );
		$this->assertStringContainsString( $dir . '/token', $r['result']['fix'] );
		$this->assertFalse( file_exists( $dir . '/sidecar.pid' ), 'no sidecar was started' );
	}

	public function test_uninstall_in_an_admin_directory_spares_an_admin_run_sidecar() {
		$dir  = $this->private_dir( 'admin-run' );
		$sock = $dir . '/sidecar.sock';
		$pid  = $this->start_proc( array( 'node', WPS3_PLUGIN_DIR . '/sidecar/server.mjs', '--socket', $sock, '--pid-file', $dir . '/sidecar.pid' ), array(), '{"event":"ready"' );
		foreach ( array( 'sidecar.log', 'sidecar.lock', 'sidecar.token', 'notes.txt' ) as $name ) {
			file_put_contents( $dir . '/' . $name, 'admin' );
		}
		$defines = array( 'WPS3_SIDECAR_SOCKET' => $sock );
		$this->eval_json( 'WPS3\Install\Uninstaller::uninstall_sidecar(); echo 1;', $defines );
		$this->assertTrue( self::alive( $pid ), 'a sidecar the plugin did not start keeps running' );
		clearstatcache();
		foreach ( array( 'sidecar.sock', 'sidecar.pid', 'sidecar.log', 'sidecar.lock', 'sidecar.token', 'notes.txt' ) as $name ) {
			$this->assertFileExists( $dir . '/' . $name );
		}
	}

	public function test_uninstall_in_an_admin_directory_removes_only_our_files() {
		$dir     = $this->private_dir( 'admin-dir' );
		$defines = array( 'WPS3_SIDECAR_SOCKET' => $dir . '/sidecar.sock' );
		$r       = $this->eval_json( self::CALL, $defines );
		$this->assertSame( self::KEY, $r['result']['key'] ?? null, wp_json_encode( $r ) );
		$this->assertFileExists( $dir . '/sidecar.started' );
		file_put_contents( $dir . '/notes.txt', 'admin' );
		$this->eval_json( 'WPS3\Install\Uninstaller::uninstall_sidecar(); echo 1;', $defines );
		$this->assertFalse( self::alive( $r['pid'] ), 'the sidecar the plugin started is stopped' );
		clearstatcache();
		foreach ( array( 'sidecar.sock', 'sidecar.pid', 'sidecar.started' ) as $name ) {
			$this->assertFileDoesNotExist( $dir . '/' . $name );
		}
		foreach ( array( 'sidecar.log', 'sidecar.lock', 'notes.txt' ) as $name ) {
			$this->assertFileExists( $dir . '/' . $name, 'generic names and admin files stay' );
		}
		$this->assertDirectoryExists( $dir );
	}

	public function test_a_stalled_upload_forces_a_new_health_check() {
		$dir     = $this->private_dir( 'stall' );
		$fake    = $this->start_fake( 'stall', $dir, array( 'WPS3_FAKE_VERSION' => WPS3_VERSION ) );
		$defines = array( 'WPS3_SIDECAR_SOCKET' => $dir . '/s.sock' );
		$r       = $this->eval_json(
			'$c = WPS3\Sidecar\Client::instance(); $r = $c->call( "upload-file", array( "key" => "k" ), 0, array( "stall_check" => 1 ) ); $p = new ReflectionProperty( $c->supervisor(), "checked" ); $p->setAccessible( true ); echo wp_json_encode( array( "error" => is_wp_error( $r ) ? $r->get_error_data() : $r, "checked" => $p->getValue( $c->supervisor() ) ) );',
			$defines
		);
		$this->assertSame( 'SIDECAR_UNAVAILABLE', $r['error']['code'] ?? null, wp_json_encode( $r ) );
		$this->assertStringContainsString( 'stopped answering', $r['error']['cause'] );
		$this->assertFalse( $r['checked'], 'the next call checks (and if need be replaces) the sidecar first' );
		posix_kill( $fake, 9 );
	}

	public function test_concurrent_first_requests_agree_on_the_runtime_suffix() {
		global $wpdb;
		$original = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", WPS3\Sidecar\RuntimeSuffix::OPTION ) );
		$wpdb->delete( $wpdb->options, array( 'option_name' => WPS3\Sidecar\RuntimeSuffix::OPTION ) );
		try {
			$procs = array();
			for ( $i = 0; $i < 4; $i++ ) {
				$procs[] = $this->spawn_wp( array( 'eval', 'echo wp_json_encode( WPS3\Sidecar\Client::instance()->runtime()->path() );' ), array( 'WPS3_SIDECAR_SOCKET' => '', 'DISABLE_WP_CRON' => true ) ); // No WP-Cron spawns (they would hold the web site's cron lock).
			}
			$dirs = array();
			foreach ( $procs as $p ) {
				$dirs[] = json_decode( $this->wait_wp( $p, true, 60 ), true );
			}
			$stored = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", WPS3\Sidecar\RuntimeSuffix::OPTION ) );
			$this->assertMatchesRegularExpression( '/^[0-9a-f]{16}$/', (string) $stored );
			$this->assertCount( 1, array_unique( $dirs ), wp_json_encode( $dirs ) );
			$this->assertStringEndsWith( '-' . $stored, $dirs[0] );
		} finally {
			$wpdb->delete( $wpdb->options, array( 'option_name' => WPS3\Sidecar\RuntimeSuffix::OPTION ) );
			if ( null !== $original ) {
				$wpdb->insert(
					$wpdb->options,
					array(
						'option_name'  => WPS3\Sidecar\RuntimeSuffix::OPTION,
						'option_value' => $original,
						'autoload'     => 'yes',
					)
				);
			}
			wp_cache_delete( 'alloptions', 'options' );
			wp_cache_delete( WPS3\Sidecar\RuntimeSuffix::OPTION, 'options' );
		}
	}
}
