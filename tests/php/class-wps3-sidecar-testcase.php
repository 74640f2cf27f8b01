<?php
/**
 * Base class of the sidecar tests: private directories, fresh WordPress processes, helper processes and the
 * fake sidecar (tests/e2e/bin/fake-sidecar.mjs).
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.PHP.DiscouragedPHPFunctions

/**
 * Helpers shared by SidecarLifecycleTest and SidecarSafetyTest.
 */
abstract class WPS3_Sidecar_TestCase extends WPS3_E2E_TestCase {

	/**
	 * A free TCP port.
	 *
	 * @return int
	 */
	protected static function free_port() {
		$s    = stream_socket_server( 'tcp://127.0.0.1:0' );
		$name = stream_socket_get_name( $s, false );
		fclose( $s );
		return (int) substr( $name, strrpos( $name, ':' ) + 1 );
	}

	/**
	 * A fresh 0700 directory inside the harness.
	 *
	 * @param string $name Name.
	 * @return string
	 */
	protected function private_dir( $name ) {
		$dir = self::env( 'E2E_DIR' ) . '/' . $name . '-' . wp_generate_password( 4, false );
		mkdir( $dir, 0700 );
		return $dir;
	}

	/**
	 * Runs PHP code in a fresh WordPress process; returns its decoded JSON output.
	 *
	 * @param string $code    Code (echoes JSON).
	 * @param array  $defines Constants.
	 * @param array  $ini     php.ini settings.
	 * @return mixed
	 */
	protected function eval_json( $code, array $defines, array $ini = array() ) {
		$out = $this->wait_wp( $this->spawn_wp( array( 'eval', $code ), $defines + array( 'DISABLE_WP_CRON' => true ), array(), $ini ), true, 120 );
		$r   = json_decode( $out, true );
		$this->assertNotNull( $r, $out );
		return $r;
	}

	/**
	 * Whether a process is alive (and not a zombie).
	 *
	 * @param int $pid Pid.
	 * @return bool
	 */
	protected static function alive( $pid ) {
		$stat = @file_get_contents( "/proc/$pid/stat" ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		return false !== $stat && ! preg_match( '/^\d+ \(.*\) [ZX] /', $stat );
	}

	/**
	 * Path of the fake sidecar.
	 *
	 * @return string
	 */
	protected static function fake() {
		return self::env( 'E2E_ROOT' ) . '/tests/e2e/bin/fake-sidecar.mjs';
	}

	/**
	 * PHP pointing the wps3_sidecar_script filter at the fake (another file name than server.mjs).
	 *
	 * @return string
	 */
	protected static function fake_filter() {
		return 'add_filter( "wps3_sidecar_script", function () { return ' . var_export( self::fake(), true ) . '; } );';
	}

	/**
	 * Starts a process and waits for its first stdout line.
	 *
	 * @param string[] $cmd  Command.
	 * @param array    $env  Extra environment.
	 * @param string   $line Expected first line (prefix).
	 * @return int Pid.
	 */
	protected function start_proc( array $cmd, array $env = array(), $line = 'ready' ) {
		$proc = proc_open(
			$cmd,
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ),
			$pipes,
			null,
			array_merge( getenv(), $env )
		);
		$this->procs[] = $proc;
		$first         = (string) fgets( $pipes[1] );
		$this->assertStringStartsWith( $line, $first );
		$this->pipes[] = $pipes[1];
		return (int) proc_get_status( $proc )['pid'];
	}

	/**
	 * Stdout pipes of started processes.
	 *
	 * @var resource[]
	 */
	protected $pipes = array();

	/**
	 * Starts the fake sidecar with the plugin's argument shape in $dir.
	 *
	 * @param string $mode Mode.
	 * @param string $dir  Runtime directory.
	 * @param array  $env  Extra environment.
	 * @return int Pid.
	 */
	protected function start_fake( $mode, $dir, array $env = array() ) {
		$this->start_proc(
			array( 'node', self::fake(), '--socket', $dir . '/s.sock', '--pid-file', $dir . '/sidecar.pid' ),
			array( 'WPS3_FAKE_SIDECAR' => $mode ) + $env
		);
		return (int) file_get_contents( $dir . '/sidecar.pid' );
	}
}
