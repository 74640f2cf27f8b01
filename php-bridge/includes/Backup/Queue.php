<?php
/**
 * The backup queue of the current site: what hooks, the admin screen and the global API call.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * Enqueue on completion, process due jobs (WP-Cron), retry, and read jobs and backups.
 */
final class Queue {

	public const CRON_HOOK      = 'wps3_process_queue';
	public const CRON_SCHEDULE  = 'wps3_every_five_minutes';
	public const RECURRING_ARGS = array( 'recurring' );

	/**
	 * Codes of failures that new settings may cure (retried when settings are saved).
	 *
	 * @var string[]
	 */
	private const SETTINGS_CODES = array( 'NOT_CONFIGURED', 'DECRYPT_FAILED' );

	/**
	 * Shared instance.
	 *
	 * @var Queue|null
	 */
	private static ?Queue $instance = null;

	/**
	 * Job store.
	 *
	 * @var JobStore
	 */
	private JobStore $store;

	/**
	 * Attempt runner.
	 *
	 * @var Runner
	 */
	private Runner $runner;

	/**
	 * Lease length and renewal.
	 *
	 * @var Lease
	 */
	private Lease $lease;

	/**
	 * Budgets and delays.
	 *
	 * @var RetryPolicy
	 */
	private RetryPolicy $policy;

	/**
	 * Download links.
	 *
	 * @var BackupLinks
	 */
	private BackupLinks $links;

	/**
	 * Reads for the backups list.
	 *
	 * @var JobListing
	 */
	private JobListing $listing;

	/**
	 * The run at the end of this request.
	 *
	 * @var AfterResponse
	 */
	private AfterResponse $after_response;

	/**
	 * Wires the queue's parts.
	 */
	private function __construct() {
		$this->store   = new JobStore();
		$this->lease   = new Lease( $this->store );
		$this->policy  = new RetryPolicy();
		$this->runner  = new Runner( $this->store, $this->lease, $this->policy, new ObjectKey(), \Closure::fromCallable( array( $this, 'schedule_run' ) ) );
		$this->links   = new BackupLinks();
		$this->listing = new JobListing();

		$this->after_response = new AfterResponse();
	}

	/**
	 * The shared queue.
	 *
	 * @return self
	 */
	public static function instance(): self {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * The attempt runner (claim, run).
	 *
	 * @return Runner
	 */
	public function runner(): Runner {
		return $this->runner;
	}

	/**
	 * The lease settings.
	 *
	 * @return Lease
	 */
	public function lease(): Lease {
		return $this->lease;
	}

	/**
	 * The retry policy.
	 *
	 * @return RetryPolicy
	 */
	public function policy(): RetryPolicy {
		return $this->policy;
	}

	/**
	 * Download links.
	 *
	 * @return BackupLinks
	 */
	public function links(): BackupLinks {
		return $this->links;
	}

	/**
	 * Reads for the backups list.
	 *
	 * @return JobListing
	 */
	public function listing(): JobListing {
		return $this->listing;
	}

	/**
	 * Queues a completed document. Idempotent: a document never gets two jobs.
	 *
	 * @param mixed $document Host document (array or object).
	 * @return int|\WP_Error Job id (the existing one when already queued).
	 */
	public function enqueue( $document ): int|\WP_Error {
		$doc = Document::normalize( $document );
		if ( is_wp_error( $doc ) ) {
			return $doc;
		}
		\WPS3\Install\Schema::maybe_upgrade(); // This site's tables may predate the running code (multisite: switch_to_blog()).
		// The PDF may not be on disk yet (the host fires the hook before it finished writing it): the job is
		// queued anyway and the worker retries FILE_NOT_FOUND a few times (RetryPolicy::file_attempts()).
		$json     = Document::to_json( $doc );
		$inserted = $this->store->insert( $doc, $json, time() );
		if ( null === $inserted ) {
			return Errors::make(
				'DB_ERROR',
				/* translators: %s: database error */
				sprintf( __( 'The backup job could not be saved: %s', 'wps3' ), $this->store->last_error() ),
				array( 'fix' => __( 'Deactivate and activate the plugin to recreate its tables.', 'wps3' ) )
			);
		}
		$job_id = $this->store->id_for_document( (string) $doc['id'] );
		if ( 1 === $inserted ) {
			/**
			 * Fires when a completed document was queued for backup (not when it was already queued).
			 *
			 * @param string $document_id Document id.
			 * @param int    $job_id      Job id.
			 * @param array  $document    Normalized document.
			 */
			do_action( 'wps3_backup_queued', $doc['id'], $job_id, $doc );
			$this->run_soon();
		} elseif ( $this->store->restart_failed( $job_id, $doc, $json, time() ) ) {
			// Completed again: a job that failed starts over with the new path and title, and its key is rendered
			// again (a fixed prefix, template or filter applies); a pending, running or done job is left alone.
			$this->run_soon();
		}
		return $job_id;
	}

	/**
	 * Puts a failed (or stuck) job back in the queue and schedules a run. The stored key is dropped, so the
	 * next attempt renders it again with the current prefix, template and wps_s3_backup_key filter.
	 *
	 * @param int $id Job id.
	 * @return bool Whether a job was reset.
	 */
	public function retry( int $id ): bool {
		if ( ! $this->store->reset_for_retry( $id, time() ) ) {
			return false;
		}
		$this->run_soon();
		return true;
	}

	/**
	 * After new settings were saved, jobs that failed because the plugin was not configured (or the secret
	 * could not be decrypted) get another chance.
	 *
	 * @return void
	 */
	public function retry_after_settings_saved(): void {
		foreach ( $this->store->failed_ids_with( self::SETTINGS_CODES ) as $id ) {
			$this->retry( $id );
		}
	}

	/**
	 * Cron callback: processes due jobs of the current site.
	 *
	 * @return array{claimed: int, done: int, retry: int, failed: int}
	 */
	public function process(): array {
		$stats = array(
			'claimed'      => 0,
			Runner::DONE   => 0,
			Runner::RETRY  => 0,
			Runner::FAILED => 0,
		);
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore Generic.PHP.NoSilencedErrors,WordPress.PHP.NoSilencedErrors -- disabled on some hosts; the lease covers a run that is cut short.
		}
		ignore_user_abort( true );
		/**
		 * Seconds after which a run stops claiming new jobs (default 120).
		 *
		 * @param int $budget Seconds.
		 */
		$deadline = time() + (int) apply_filters( 'wps3_queue_time_budget', 120 );
		/**
		 * Maximum jobs processed in one run (default 25).
		 *
		 * @param int $max Jobs.
		 */
		$max = (int) apply_filters( 'wps3_queue_batch_size', 25 );
		\WPS3\Install\Schema::maybe_upgrade();
		$seen = array();
		while ( $stats['claimed'] < $max && time() < $deadline ) {
			$ids = array_diff( $this->store->due_ids( time() ), $seen );
			if ( ! $ids ) {
				break;
			}
			foreach ( $ids as $id ) {
				$seen[] = $id;
				$token  = $this->runner->claim( $id );
				if ( null === $token ) {
					continue; // Another worker has it.
				}
				++$stats['claimed'];
				++$stats[ $this->runner->run( $id, $token ) ];
				if ( $stats['claimed'] >= $max || time() >= $deadline ) {
					break;
				}
			}
		}
		$next = $this->store->next_due();
		if ( null !== $next ) {
			$this->schedule_run( $next );
		}
		return $stats;
	}

	/**
	 * Makes sure a single run of the queue is scheduled no later than $timestamp.
	 *
	 * @param int $timestamp Unix time.
	 * @return void
	 */
	public function schedule_run( int $timestamp ): void {
		$timestamp = max( time(), $timestamp );
		$next      = wp_next_scheduled( self::CRON_HOOK );
		if ( $next && $next <= $timestamp ) {
			return;
		}
		if ( $next ) {
			wp_unschedule_event( $next, self::CRON_HOOK );
		}
		wp_schedule_single_event( $timestamp, self::CRON_HOOK );
	}

	/**
	 * Schedules a run now, then runs it in this request once the response is sent (PHP-FPM, LiteSpeed) or
	 * asks WP-Cron to start it (a non-blocking loopback request) unless disabled.
	 *
	 * @return void
	 */
	private function run_soon(): void {
		$this->schedule_run( time() );
		if ( AfterResponse::available() ) {
			$this->after_response->request();
			return;
		}
		$this->spawn_cron();
	}

	/**
	 * Asks WP-Cron to start the scheduled run now (a non-blocking loopback request), unless disabled.
	 *
	 * @return void
	 */
	public function spawn_cron(): void {
		/**
		 * Whether to spawn WP-Cron right after a document was queued (default true).
		 *
		 * @param bool $spawn Spawn.
		 */
		if ( apply_filters( 'wps3_spawn_cron', ! ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) && ! wp_doing_cron() && 'cli' !== PHP_SAPI ) && function_exists( 'spawn_cron' ) ) {
			spawn_cron();
		}
	}

	/**
	 * A job by id.
	 *
	 * @param int $id Job id.
	 * @return Job|null
	 */
	public function job( int $id ): ?Job {
		return $this->store->job( $id );
	}

	/**
	 * The job of a document.
	 *
	 * @param string|int $document_id Document id.
	 * @return Job|null
	 */
	public function job_for_document( string|int $document_id ): ?Job {
		return $this->store->job_for_document( (string) $document_id );
	}

	/**
	 * The backup reference of a document (bucket, object_key, size, etag, uploaded_at, …).
	 *
	 * @param string|int $document_id Document id.
	 * @return array<string, mixed>|null
	 */
	public function backup_for_document( string|int $document_id ): ?array {
		return $this->store->backup_for_document( (string) $document_id );
	}

	/**
	 * A backup row by id.
	 *
	 * @param int $id Backup id.
	 * @return array<string, mixed>|null
	 */
	public function backup( int $id ): ?array {
		return $this->store->backup( $id );
	}

	/**
	 * Jobs per status.
	 *
	 * @return array<string, int>
	 */
	public function counts(): array {
		return $this->listing->counts();
	}
}
