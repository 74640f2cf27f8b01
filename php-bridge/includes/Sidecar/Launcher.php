<?php
/**
 * The command line the plugin runs the sidecar with, and launching it detached.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Finds Node.js and the sidecar script, builds the exact argv (which ProcessTable later recognises as
 * ours) and starts it in its own session, detached from PHP.
 */
final class Launcher {

	/**
	 * Creates the launcher of an endpoint.
	 *
	 * @param Endpoint   $endpoint Where the sidecar will listen.
	 * @param RuntimeDir $runtime  Runtime directory (pid file, log, working directory).
	 */
	public function __construct( private readonly Endpoint $endpoint, private readonly RuntimeDir $runtime ) {
	}

	/**
	 * Whether proc_open() may be used.
	 *
	 * @return bool
	 */
	public static function can_spawn(): bool {
		$disabled = array_map( 'trim', explode( ',', (string) ini_get( 'disable_functions' ) ) );
		return function_exists( 'proc_open' ) && ! in_array( 'proc_open', $disabled, true );
	}

	/**
	 * Path of the sidecar script.
	 *
	 * @return string
	 */
	public function server_script(): string {
		$default = WPS3_PLUGIN_DIR . '/sidecar/server.mjs';
		/**
		 * Filters the path of the sidecar script the plugin starts (default `sidecar/server.mjs` of the plugin).
		 *
		 * @param string $script Absolute path.
		 */
		$script = apply_filters( 'wps3_sidecar_script', $default );
		return is_string( $script ) && '' !== $script ? $script : $default;
	}

	/**
	 * Options the sidecar is launched with for the current configuration (after the script).
	 *
	 * @return array<string,string> Option => value, in launch order.
	 */
	public function options(): array {
		$options = array();
		if ( $this->endpoint->uses_tcp() ) {
			$target = $this->endpoint->tcp_target();
			if ( is_wp_error( $target ) ) {
				return array();
			}
			$options['--port']       = (string) $target['port'];
			$options['--token-file'] = $this->runtime->token_file();
		} else {
			$options['--socket'] = $this->runtime->socket_path();
		}
		$options['--pid-file'] = $this->runtime->pid_file();
		return $options;
	}

	/**
	 * Whether a command line is exactly the one this launcher runs (see ProcessTable::argv_matches()).
	 *
	 * @param string[] $argv Arguments (argv[0] is the binary).
	 * @return bool
	 */
	public function is_ours( array $argv ): bool {
		return ProcessTable::argv_matches( $argv, $this->server_script(), $this->options() );
	}

	/**
	 * The Node binary to run, or an error when there is none.
	 *
	 * @return string|\WP_Error
	 */
	public function node_binary(): string|\WP_Error {
		if ( defined( 'WPS3_NODE_BINARY' ) && WPS3_NODE_BINARY ) {
			$node = (string) WPS3_NODE_BINARY;
			if ( is_file( $node ) && is_executable( $node ) ) {
				return $node;
			}
			return Failure::setup(
				/* translators: %s: path */
				sprintf( __( 'WPS3_NODE_BINARY points to %s, which is not an executable file.', 'wps3' ), $node ),
				__( 'Set WPS3_NODE_BINARY in wp-config.php to the absolute path of Node.js 20 or newer.', 'wps3' ),
				'NODE_MISSING'
			);
		}
		$dirs = array_filter( explode( PATH_SEPARATOR, (string) getenv( 'PATH' ) ) );
		$dirs = array_merge( $dirs, array( '/usr/local/bin', '/usr/bin', '/bin', '/opt/homebrew/bin' ) );
		foreach ( array_unique( $dirs ) as $dir ) {
			$candidate = rtrim( $dir, '/' ) . '/node';
			if ( @is_file( $candidate ) && @is_executable( $candidate ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors -- open_basedir may forbid the look-up.
				return $candidate;
			}
		}
		return Failure::setup(
			__( 'Node.js was not found on this server, so the S3 sidecar cannot start.', 'wps3' ),
			__( 'Install Node.js 20 or newer, or define WPS3_NODE_BINARY in wp-config.php with its absolute path.', 'wps3' ),
			'NODE_MISSING'
		);
	}

	/**
	 * Everything a launch needs, checked before the start lock is taken: Node.js, the script, a valid
	 * TCP URL, proc_open().
	 *
	 * @return string[]|\WP_Error The argv to launch.
	 */
	public function prepare(): array|\WP_Error {
		$node = $this->node_binary();
		if ( is_wp_error( $node ) ) {
			return $node;
		}
		$script = $this->server_script();
		if ( ! is_readable( $script ) ) {
			return Failure::setup(
				/* translators: %s: path */
				sprintf( __( 'The sidecar script %s is missing.', 'wps3' ), $script ),
				__( 'Reinstall the plugin: the sidecar/ folder and its WebAssembly build must be present.', 'wps3' )
			);
		}
		if ( $this->endpoint->uses_tcp() ) {
			$target = $this->endpoint->tcp_target();
			if ( is_wp_error( $target ) ) {
				return $target;
			}
		}
		if ( ! self::can_spawn() ) {
			return Failure::setup(
				__( 'PHP cannot start the sidecar because proc_open() is disabled.', 'wps3' ),
				__( 'Start the sidecar as a service (node sidecar/server.mjs --socket …) and set WPS3_SIDECAR_SOCKET, or allow proc_open().', 'wps3' )
			);
		}
		$argv = array( $node, $script );
		// Exactly the command line is_ours() recognises later.
		foreach ( $this->options() as $option => $value ) {
			$argv[] = $option;
			$argv[] = $value;
		}
		return $argv;
	}

	/**
	 * Launches a command detached from PHP: through proc_open() with an explicit descriptor list (stdin
	 * /dev/null, so php-fpm's listening socket on fd 0 is not inherited), a shell that closes fds 3-9 and
	 * backgrounds the command in a new session (setsid) with its output appended to the log.
	 *
	 * @param string[] $argv Command and arguments.
	 * @return int Pid of the launched process (0 on failure).
	 */
	public function spawn( array $argv ): int {
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
		$cmd    = array_merge( array( '/bin/sh', '-c', $script, 'wps3-sidecar', $this->runtime->log_file() ), $argv );
		$pipes  = array();
		$proc   = proc_open( // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_proc_open
			$cmd,
			array(
				0 => array( 'file', '/dev/null', 'r' ),
				1 => array( 'pipe', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes,
			$this->runtime->path(),
			null,
			array( 'bypass_shell' => true )
		);
		if ( ! is_resource( $proc ) ) {
			return 0;
		}
		$out = (string) stream_get_contents( $pipes[1] );
		fclose( $pipes[1] ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return 0 === proc_close( $proc ) ? (int) trim( $out ) : 0;
	}
}
