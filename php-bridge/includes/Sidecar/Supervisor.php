<?php
/**
 * Keeps one current sidecar running: starts it, replaces stale and hung ones, waits for draining ones, stops it.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Process supervision of the sidecar for one PHP request.
 *
 * A sidecar that is stale (another plugin version) or hung (alive but not answering) is stopped first, but
 * only one whose command line is the one this plugin launches (ProcessTable); one that is draining (alive,
 * socket gone) is waited for. Starts run under an flock so that concurrent requests start one sidecar.
 */
final class Supervisor {

	/**
	 * Whether this PHP request already checked that the running sidecar is current (not stale, not hung).
	 *
	 * @var bool
	 */
	private bool $checked = false;

	/**
	 * Last start failure of this request (one request does not try to start a broken sidecar again and again).
	 *
	 * @var \WP_Error|null
	 */
	private ?\WP_Error $start_error = null;

	/**
	 * Creates the supervisor.
	 *
	 * @param Client       $client    RPC client (health checks; its connection is dropped after a stop).
	 * @param RuntimeDir   $runtime   Runtime directory.
	 * @param Endpoint     $endpoint  Where the sidecar listens.
	 * @param Launcher     $launcher  What is launched.
	 * @param ProcessTable $processes Which processes may be signalled.
	 */
	public function __construct(
		private readonly Client $client,
		private readonly RuntimeDir $runtime,
		private readonly Endpoint $endpoint,
		private readonly Launcher $launcher,
		private readonly ProcessTable $processes
	) {
	}

	/**
	 * The process table (pid file, marker, which pids are ours).
	 *
	 * @return ProcessTable
	 */
	public function processes(): ProcessTable {
		return $this->processes;
	}

	/**
	 * Whether the next request must first check (and if need be replace) the running sidecar.
	 *
	 * @return bool
	 */
	public function needs_check(): bool {
		return ! $this->checked;
	}

	/**
	 * Makes the next request check the sidecar again (after it stopped answering mid-request).
	 *
	 * @return void
	 */
	public function recheck(): void {
		$this->checked = false;
	}

	/**
	 * Forgets this request's start failure (a request did not connect: the sidecar may be startable now).
	 *
	 * @return void
	 */
	public function forget_start_error(): void {
		$this->start_error = null;
	}

	/**
	 * Makes sure a current sidecar answers, starting (or restarting a stale or hung) one if needed.
	 *
	 * @return array<string,mixed>|\WP_Error Health document, or why the sidecar cannot run.
	 */
	public function ensure_running(): array|\WP_Error {
		$this->checked = true;
		$health        = $this->client->health();
		if ( ! is_wp_error( $health ) && ! $this->is_stale( $health ) ) {
			Status::healthy();
			return $health;
		}
		if ( ! is_wp_error( $health ) && ! Launcher::can_spawn() ) {
			// Another version answers (run as a service) and PHP cannot start ours: use it, and tell the
			// admins, rather than failing every call.
			Status::version_mismatch( $health );
			Status::started();
			return $health;
		}
		if ( is_wp_error( $health ) && ( 'UNAUTHORIZED' === Failure::field( $health, 'code' ) || Failure::field( $health, 'no_start', false ) ) ) {
			// A sidecar runs there but we hold the wrong token, or the port is not ours, or the token file
			// is unreadable: starting another cannot help.
			return Failure::for_sites( $health );
		}
		if ( null !== $this->start_error ) {
			return $this->start_error;
		}
		$result = $this->start();
		if ( ! is_wp_error( $result ) ) {
			Status::started();
			return $result;
		}
		// Recorded in full for the (network) admins' notice; returned to callers, and so to a site's job
		// list and REST answers, without the host's paths on a multisite network.
		Status::start_failed( Failure::as_backoff( $result ) );
		$this->start_error = Failure::for_sites( Failure::as_backoff( $result ) );
		return $this->start_error;
	}

	/**
	 * Starts the sidecar detached and waits until it answers (see the class comment).
	 *
	 * @return array<string,mixed>|\WP_Error Health document.
	 */
	public function start(): array|\WP_Error {
		$ready = $this->runtime->prepare();
		if ( is_wp_error( $ready ) ) {
			return $ready;
		}
		$argv = $this->launcher->prepare();
		if ( is_wp_error( $argv ) ) {
			return $argv;
		}
		$timeout = $this->start_timeout();
		$lock    = $this->lock( $timeout + 15.0 );
		if ( is_wp_error( $lock ) ) {
			return $lock;
		}
		try {
			// Another request may have started (or restarted) it while we waited for the lock.
			$current = $this->take_over( $timeout );
			return $current ?? $this->launch( $argv, $timeout );
		} finally {
			flock( $lock, LOCK_UN );
			fclose( $lock ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
	}

	/**
	 * Seconds a new sidecar gets to answer (filter `wps3_sidecar_start_timeout`, default 5).
	 *
	 * @return float
	 */
	private function start_timeout(): float {
		$timeout = (float) apply_filters( 'wps3_sidecar_start_timeout', 5.0 );
		return $timeout > 0 ? $timeout : 5.0;
	}

	/**
	 * Takes the start lock, waiting for another request that holds it.
	 *
	 * @param float $seconds Maximum wait.
	 * @return resource|\WP_Error The locked file handle.
	 */
	private function lock( float $seconds ): mixed {
		$lock = @fopen( $this->runtime->lock_file(), 'c' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $lock ) {
			return Failure::unavailable( __( 'Cannot open the sidecar lock file.', 'wps3' ), false );
		}
		$deadline = microtime( true ) + $seconds;
		while ( microtime( true ) < $deadline ) {
			if ( flock( $lock, LOCK_EX | LOCK_NB ) ) {
				return $lock;
			}
			usleep( 100000 );
		}
		fclose( $lock ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		return Failure::unavailable( __( 'Another request is starting the sidecar and it did not finish in time.', 'wps3' ), false );
	}

	/**
	 * Deals with what runs now, under the lock: a current sidecar is used; a stale one is stopped if ours
	 * (else used as it is); a draining one is waited for; a hung one gets the start timeout, then is stopped.
	 *
	 * @param float $timeout Start timeout.
	 * @return array<string,mixed>|\WP_Error|null What to return, or null to launch a new sidecar.
	 */
	private function take_over( float $timeout ): array|\WP_Error|null {
		$health = $this->client->health();
		if ( ! is_wp_error( $health ) ) {
			if ( ! $this->is_stale( $health ) ) {
				return $health;
			}
			// Stop and replace it only if this plugin launched it (its command line is ours); one run as a
			// service is used as it is.
			if ( ! $this->terminate( (int) ( $health['pid'] ?? 0 ), true ) ) {
				Status::version_mismatch( $health );
				return $health;
			}
			return null;
		}
		if ( Failure::field( $health, 'no_start', false ) ) {
			return $health; // Starting a sidecar cannot help (wrong token, port of another user, …).
		}
		$pid = $this->processes->read_pid();
		if ( ! $pid || ! $this->processes->may_signal( $pid, false ) ) {
			return null;
		}
		if ( ! $this->endpoint->exists() ) {
			// Alive without its socket: it is draining after SIGTERM (its requests may run for up to its
			// 30 s grace period, then it aborts them). Wait for it to exit; do not signal it.
			/**
			 * Seconds to wait for a draining sidecar (alive, socket gone) to exit before starting a new one
			 * (default 35: the sidecar's 30 s grace plus a margin).
			 *
			 * @param float $seconds Seconds.
			 */
			$this->processes->wait_exit( $pid, false, (float) apply_filters( 'wps3_sidecar_drain_wait', 35.0 ) );
		}
		if ( $this->processes->may_signal( $pid, false ) ) {
			// A sidecar process exists but did not answer: it may be starting. Give it the same bounded
			// wait, then treat it as hung.
			$health = $this->wait_healthy( $pid, $timeout );
			if ( ! is_wp_error( $health ) && ! $this->is_stale( $health ) ) {
				return $health;
			}
			$this->terminate( $pid, false );
		}
		return null;
	}

	/**
	 * Launches a new sidecar over the leftovers of the old one and records it once it answers.
	 *
	 * @param string[] $argv    Command line (Launcher::prepare()).
	 * @param float    $timeout Start timeout.
	 * @return array<string,mixed>|\WP_Error Health document.
	 */
	private function launch( array $argv, float $timeout ): array|\WP_Error {
		$socket = $this->runtime->socket_path();
		if ( ! $this->endpoint->uses_tcp() && file_exists( $socket ) ) {
			@unlink( $socket ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- stale socket, nobody listens.
		}
		$this->processes->remove_pid_file();
		$child = $this->launcher->spawn( $argv );
		if ( $child <= 0 ) {
			return Failure::unavailable( __( 'The sidecar could not be launched.', 'wps3' ), false );
		}
		$health = $this->wait_healthy( $child, $timeout );
		if ( is_wp_error( $health ) ) {
			// The log is shared by every site of the install: it is not copied into messages.
			return Failure::make(
				'SIDECAR_UNAVAILABLE',
				/* translators: %s: seconds */
				sprintf( __( 'The sidecar did not become ready within %s s.', 'wps3' ), $timeout ),
				array( 'fix' => $this->log_fix() ),
				Failure::BACKOFF
			);
		}
		$pid = (int) ( $health['pid'] ?? $child );
		$this->processes->write_pid( $pid );
		$this->processes->write_marker( $pid, $health );
		return $health;
	}

	/**
	 * Polls the health endpoint until it answers, the process dies or the time is up.
	 *
	 * @param int   $pid     Process to watch (0 = do not watch).
	 * @param float $timeout Seconds.
	 * @return array<string,mixed>|\WP_Error
	 */
	private function wait_healthy( int $pid, float $timeout ): array|\WP_Error {
		$deadline = microtime( true ) + $timeout;
		$health   = Failure::unavailable( __( 'The sidecar did not start.', 'wps3' ), false );
		while ( microtime( true ) < $deadline ) {
			if ( $this->endpoint->may_answer() ) {
				$health = $this->client->health( 1 );
				if ( ! is_wp_error( $health ) ) {
					return $health;
				}
			}
			if ( $pid > 0 && function_exists( 'posix_kill' ) && ! ProcessTable::exists( $pid ) ) {
				break; // It exited.
			}
			usleep( 50000 );
		}
		return $health;
	}

	/**
	 * Whether a running sidecar belongs to another version of the plugin.
	 *
	 * A sidecar that reports `sidecarVersion` equal to the plugin version is current. One that reports
	 * another version, or none, is stale, unless this plugin version started that very process from its
	 * own script (the start marker), so a sidecar that reports no version is restarted once, not on every
	 * request.
	 *
	 * @param array<string,mixed> $health Health document.
	 * @return bool
	 */
	public function is_stale( array $health ): bool {
		$version = isset( $health['sidecarVersion'] ) && is_scalar( $health['sidecarVersion'] ) ? (string) $health['sidecarVersion'] : null;
		if ( WPS3_VERSION === $version ) {
			return false;
		}
		$marker = $this->processes->read_marker();
		return ! ( null !== $marker && isset( $marker['plugin'], $health['pid'] ) && (int) $marker['pid'] === (int) $health['pid'] && WPS3_VERSION === $marker['plugin']
			&& ( null === $version || ( isset( $marker['sidecarVersion'] ) && $marker['sidecarVersion'] === $version ) ) );
	}

	/**
	 * Fix text pointing at the sidecar log: the path on single sites; on multisite only network admins see
	 * where the shared log is, so stored per-site errors do not name it.
	 *
	 * @return string
	 */
	private function log_fix(): string {
		if ( is_multisite() ) {
			return __( 'A network administrator can read the sidecar log (its path is shown to network administrators). Check the Node.js version (20 or newer) and that the WebAssembly build is present.', 'wps3' );
		}
		return sprintf(
			/* translators: %s: log path */
			__( 'Read %s. Check the Node.js version (20 or newer) and that the WebAssembly build is present.', 'wps3' ),
			$this->runtime->log_file()
		);
	}

	/**
	 * Stops a sidecar process: SIGTERM (it drains: stops accepting, lets requests finish), wait up to $grace
	 * seconds; then SIGTERM again (it cancels its requests and aborts every open multipart upload on
	 * storage, at most 10 s), wait up to ~12 s; only then SIGKILL. Nothing is signalled unless
	 * ProcessTable::may_signal() agrees, checked again before every signal.
	 *
	 * @param int   $pid      Pid.
	 * @param bool  $reported Whether the pid comes from the sidecar's own health answer.
	 * @param float $grace    Seconds of the first wait.
	 * @return bool Whether a process was signalled.
	 */
	public function terminate( int $pid, bool $reported, float $grace = 10.0 ): bool {
		if ( ! $this->processes->signal( $pid, $reported, ProcessTable::TERM ) ) {
			return false;
		}
		/**
		 * Seconds a stopping sidecar gets to finish its work after SIGTERM before it is told to abort it.
		 *
		 * @param float $grace Seconds.
		 */
		$grace = (float) apply_filters( 'wps3_sidecar_stop_grace', $grace );
		// Second SIGTERM: the sidecar cancels what still runs and aborts open multipart uploads.
		if ( ! $this->processes->wait_exit( $pid, $reported, $grace ) && $this->processes->signal( $pid, $reported, ProcessTable::TERM ) ) {
			/**
			 * Seconds a sidecar gets, after the second SIGTERM, to abort its open multipart uploads before
			 * it is killed (SIGKILL). Default 12 (the sidecar bounds the aborts to 10 s).
			 *
			 * @param float $seconds Seconds.
			 */
			$abort = (float) apply_filters( 'wps3_sidecar_abort_grace', 12.0 );
			if ( ! $this->processes->wait_exit( $pid, $reported, $abort ) && $this->processes->signal( $pid, $reported, ProcessTable::KILL ) ) {
				$this->processes->wait_exit( $pid, $reported, 2.0 );
			}
		}
		$this->client->reset_connection();
		return true;
	}

	/**
	 * Stops the sidecar: the pid it reports on our socket, else the pid file's if its command line is ours.
	 *
	 * @return bool Whether a process was signalled.
	 */
	public function stop(): bool {
		$this->checked = false;
		$health        = $this->client->health( 1 );
		$pid           = is_wp_error( $health ) ? 0 : (int) ( $health['pid'] ?? 0 );
		if ( $pid && $this->terminate( $pid, true, 5.0 ) ) {
			return true;
		}
		$file_pid = $this->processes->read_pid();
		return $file_pid && $file_pid !== $pid && $this->terminate( $file_pid, false, 5.0 );
	}
}
