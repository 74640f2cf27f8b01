<?php
/**
 * Sidecar processes: pid file, start marker, /proc/<pid>/cmdline checks and signals.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Decides which pids the plugin may signal, and signals them.
 *
 * With /proc, a process is ours only if its command line is exactly the one the Launcher runs: a pid
 * file left behind whose pid now belongs to another process is never signalled. Without /proc nothing
 * read from the pid file is trusted: only a pid the sidecar reported itself, over our own socket, in its
 * health answer.
 */
final class ProcessTable {

	/**
	 * SIGTERM.
	 */
	public const TERM = 15;

	/**
	 * SIGKILL.
	 */
	public const KILL = 9;

	/**
	 * Creates the process table of a runtime directory.
	 *
	 * @param RuntimeDir $runtime  Runtime directory (pid file, marker).
	 * @param Launcher   $launcher The command line that identifies our sidecar.
	 */
	public function __construct( private readonly RuntimeDir $runtime, private readonly Launcher $launcher ) {
	}

	/**
	 * Whether $argv is exactly: any binary, then $script, then each of $expected once with its value, in
	 * any order.
	 *
	 * @param string[]             $argv     Arguments (argv[0] is the binary).
	 * @param string               $script   Script path.
	 * @param array<string,string> $expected Option => value.
	 * @return bool
	 */
	public static function argv_matches( array $argv, string $script, array $expected ): bool {
		$argv  = array_values( $argv );
		$count = count( $argv );
		if ( $count < 2 || $argv[1] !== $script || ! $expected || 0 !== ( $count - 2 ) % 2 ) {
			return false;
		}
		$seen = array();
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
	 * Arguments in the text of /proc/<pid>/cmdline (NUL-separated).
	 *
	 * @param string $raw File contents.
	 * @return string[]
	 */
	public static function parse_cmdline( string $raw ): array {
		return '' === $raw ? array() : explode( "\0", rtrim( $raw, "\0" ) );
	}

	/**
	 * Whether /proc describes processes here (Linux).
	 *
	 * @return bool
	 */
	public static function has_proc(): bool {
		return @is_readable( '/proc/self/cmdline' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors -- open_basedir may forbid it.
	}

	/**
	 * Arguments of a live process (empty when it is gone or a zombie).
	 *
	 * @param int $pid Pid.
	 * @return string[]
	 */
	public static function argv_of( int $pid ): array {
		$raw = @file_get_contents( '/proc/' . $pid . '/cmdline' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		return false === $raw ? array() : self::parse_cmdline( $raw );
	}

	/**
	 * Whether a process with this pid exists (signal 0), whoever runs it.
	 *
	 * @param int $pid Pid.
	 * @return bool
	 */
	public static function exists( int $pid ): bool {
		return $pid > 0 && function_exists( 'posix_kill' ) && @posix_kill( $pid, 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors
	}

	/**
	 * Whether $pid is a live sidecar this plugin may signal.
	 *
	 * @param int  $pid      Pid.
	 * @param bool $reported Whether the pid comes from the sidecar's own health answer.
	 * @return bool
	 */
	public function may_signal( int $pid, bool $reported ): bool {
		if ( $pid <= 1 || getmypid() === $pid ) {
			return false;
		}
		if ( self::has_proc() ) {
			return $this->launcher->is_ours( self::argv_of( $pid ) );
		}
		return $reported && self::exists( $pid );
	}

	/**
	 * Whether the pid still runs as our sidecar (with /proc), or at all (without).
	 *
	 * @param int $pid Pid.
	 * @return bool
	 */
	public function runs( int $pid ): bool {
		return self::has_proc() ? $this->may_signal( $pid, false ) : self::exists( $pid );
	}

	/**
	 * Sends a signal, checking again just before that the pid is ours.
	 *
	 * @param int  $pid      Pid.
	 * @param bool $reported See may_signal().
	 * @param int  $signal   self::TERM or self::KILL.
	 * @return bool Whether the pid was ours and a signal could be sent.
	 */
	public function signal( int $pid, bool $reported, int $signal ): bool {
		if ( ! function_exists( 'posix_kill' ) || ! $this->may_signal( $pid, $reported ) ) {
			return false;
		}
		posix_kill( $pid, $signal );
		return true;
	}

	/**
	 * Waits until a sidecar process is gone (or no longer ours).
	 *
	 * @param int   $pid      Pid.
	 * @param bool  $reported See may_signal().
	 * @param float $seconds  Maximum wait.
	 * @return bool Whether it is gone.
	 */
	public function wait_exit( int $pid, bool $reported, float $seconds ): bool {
		$deadline = microtime( true ) + max( 0.0, $seconds );
		while ( $this->may_signal( $pid, $reported ) ) {
			if ( microtime( true ) >= $deadline ) {
				return false;
			}
			usleep( 50000 );
		}
		return true;
	}

	/**
	 * Pid from the pid file (0 when none).
	 *
	 * @return int
	 */
	public function read_pid(): int {
		$file = $this->runtime->pid_file();
		if ( ! is_readable( $file ) ) {
			return 0;
		}
		return (int) trim( (string) file_get_contents( $file ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions
	}

	/**
	 * Writes the pid file unless the sidecar already wrote it.
	 *
	 * @param int $pid Pid.
	 * @return void
	 */
	public function write_pid( int $pid ): void {
		if ( ! file_exists( $this->runtime->pid_file() ) ) {
			file_put_contents( $this->runtime->pid_file(), (string) $pid ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
	}

	/**
	 * Removes the pid file.
	 *
	 * @return void
	 */
	public function remove_pid_file(): void {
		@unlink( $this->runtime->pid_file() ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
	}

	/**
	 * Contents of the marker file written when this plugin started the running sidecar (null when none).
	 *
	 * @return array<string,mixed>|null `pid`, `plugin`, `sidecarVersion`, `script`, `startedAt`.
	 */
	public function read_marker(): ?array {
		$file = $this->runtime->marker_file();
		if ( ! is_file( $file ) || ! is_readable( $file ) ) {
			return null;
		}
		$marker = json_decode( (string) file_get_contents( $file ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return is_array( $marker ) && isset( $marker['pid'] ) ? $marker : null;
	}

	/**
	 * Records that this plugin version started the sidecar $pid from its own script.
	 *
	 * @param int                 $pid    Pid.
	 * @param array<string,mixed> $health Its health document.
	 * @return void
	 */
	public function write_marker( int $pid, array $health ): void {
		file_put_contents( // phpcs:ignore WordPress.WP.AlternativeFunctions
			$this->runtime->marker_file(),
			wp_json_encode(
				array(
					'pid'            => $pid,
					'plugin'         => WPS3_VERSION,
					'sidecarVersion' => isset( $health['sidecarVersion'] ) ? (string) $health['sidecarVersion'] : null,
					'script'         => $this->launcher->server_script(),
					'startedAt'      => time(),
				)
			)
		);
	}

	/**
	 * Removes the marker file.
	 *
	 * @return void
	 */
	public function remove_marker(): void {
		if ( file_exists( $this->runtime->marker_file() ) ) {
			@unlink( $this->runtime->marker_file() ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		}
	}
}
