<?php
/**
 * Persistent backup queue: enqueue on completion, claim atomically, upload through the sidecar, retry.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

/**
 * The backup queue of the current site (`{$wpdb->prefix}wps3_jobs`).
 */
class WPS3_Backup_Queue {

	const CRON_HOOK      = 'wps3_process_queue';
	const CRON_SCHEDULE  = 'wps3_every_five_minutes';
	const RECURRING_ARGS = array( 'recurring' );

	/**
	 * Singleton.
	 *
	 * @var WPS3_Backup_Queue|null
	 */
	private static $instance = null;

	/**
	 * Returns the shared queue.
	 *
	 * @return WPS3_Backup_Queue
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Jobs table of the current site.
	 *
	 * @return string
	 */
	private function jobs_table() {
		return WPS3_Installer::tables()['jobs'];
	}

	/**
	 * Backups table of the current site.
	 *
	 * @return string
	 */
	private function backups_table() {
		return WPS3_Installer::tables()['backups'];
	}

	/**
	 * Current UTC time as a MySQL datetime.
	 *
	 * @return string
	 */
	private static function now_mysql() {
		return gmdate( 'Y-m-d H:i:s' );
	}

	/**
	 * Normalizes a host document (array or object) into the fields the plugin uses.
	 *
	 * @param array|object $document Host document.
	 * @return array|WP_Error `array( id, title, status, path, extra )`.
	 */
	public static function normalize_document( $document ) {
		if ( is_object( $document ) ) {
			$document = get_object_vars( $document );
		}
		if ( ! is_array( $document ) ) {
			return WPS3_Errors::make( 'INVALID_DOCUMENT', __( 'The document must be an array or an object with id, title, status and path.', 'wps3' ) );
		}
		$id = $document['id'] ?? ( $document['document_id'] ?? null );
		if ( ! is_scalar( $id ) || '' === trim( (string) $id ) || strlen( (string) $id ) > 191 || preg_match( '/[\x00-\x1F\x7F]/', (string) $id ) ) {
			return WPS3_Errors::make( 'INVALID_DOCUMENT', __( 'The document has no usable id.', 'wps3' ) );
		}
		$id     = trim( (string) $id );
		$status = isset( $document['status'] ) && is_scalar( $document['status'] ) ? (string) $document['status'] : 'completed';
		if ( 'completed' !== $status ) {
			return WPS3_Errors::make(
				'NOT_COMPLETED',
				/* translators: %s: status */
				sprintf( __( 'Only completed documents are backed up (status is "%s").', 'wps3' ), $status )
			);
		}
		$path = $document['path'] ?? ( $document['file_path'] ?? '' );
		if ( ! is_string( $path ) || '' === $path || '/' !== $path[0] || preg_match( '/[\x00-\x1F]/', $path ) ) {
			return WPS3_Errors::make( 'INVALID_DOCUMENT', __( 'The document path must be the absolute path of the signed PDF.', 'wps3' ) );
		}
		$title = isset( $document['title'] ) && is_scalar( $document['title'] ) ? sanitize_text_field( (string) $document['title'] ) : '';
		if ( '' === $title ) {
			/* translators: %s: document id */
			$title = sprintf( __( 'Document %s', 'wps3' ), $id );
		}
		$extra = array();
		foreach ( $document as $k => $v ) {
			if ( is_string( $k ) && ( is_scalar( $v ) || null === $v ) ) {
				$extra[ $k ] = $v;
			}
		}
		$extra['id']     = $id;
		$extra['title']  = $title;
		$extra['status'] = 'completed';
		$extra['path']   = $path;
		return $extra;
	}

	/**
	 * Queues a completed document. Idempotent: a document never gets two jobs.
	 *
	 * @param array|object $document Host document.
	 * @return int|WP_Error Job id (the existing one when already queued).
	 */
	public function enqueue( $document ) {
		global $wpdb;
		$doc = self::normalize_document( $document );
		if ( is_wp_error( $doc ) ) {
			return $doc;
		}
		WPS3_Installer::maybe_upgrade(); // This site's tables may predate the running code (multisite: switch_to_blog()).
		// The PDF may not be on disk yet (the host fires the hook before it finished writing it): the job is
		// queued anyway and the worker retries FILE_NOT_FOUND a few times (file_attempts()).
		$table = $this->jobs_table();
		$now   = self::now_mysql();
		$json  = wp_json_encode( $doc );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$inserted = $wpdb->query(
			$wpdb->prepare(
				"INSERT IGNORE INTO {$table} (document_id, file_path, title, document, status, attempts, next_attempt_at, created_at, updated_at) VALUES (%s, %s, %s, %s, 'pending', 0, %d, %s, %s)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$doc['id'],
				$doc['path'],
				$doc['title'],
				false === $json ? '' : substr( $json, 0, 65535 ),
				time(),
				$now,
				$now
			)
		);
		if ( false === $inserted ) {
			return WPS3_Errors::make(
				'DB_ERROR',
				/* translators: %s: database error */
				sprintf( __( 'The backup job could not be saved: %s', 'wps3' ), $wpdb->last_error ),
				array( 'fix' => __( 'Deactivate and activate the plugin to recreate its tables.', 'wps3' ) )
			);
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$job_id = (int) $wpdb->get_var( $wpdb->prepare( "SELECT id FROM {$table} WHERE document_id = %s", $doc['id'] ) );
		if ( 1 !== (int) $inserted ) {
			// Completed again: a job that failed starts over with the new path and title, and its key is rendered
			// again (a fixed prefix, template or filter applies); a pending, running or done job is left alone.
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$reset = $wpdb->query(
				$wpdb->prepare(
					"UPDATE {$table} SET file_path = %s, title = %s, document = %s, status = 'pending', attempts = 0, next_attempt_at = %d, locked_by = NULL, locked_until = NULL, object_key = NULL, last_error_code = NULL, last_error_cause = NULL, last_error_fix = NULL, updated_at = %s WHERE id = %d AND status = 'failed'", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$doc['path'],
					$doc['title'],
					false === $json ? '' : substr( $json, 0, 65535 ),
					time(),
					$now,
					$job_id
				)
			);
			if ( 1 === (int) $reset ) {
				$this->schedule_run( time() );
				$this->maybe_spawn_cron();
			}
		}
		if ( 1 === (int) $inserted ) {
			/**
			 * Fires when a completed document was queued for backup (not when it was already queued).
			 *
			 * @param string $document_id Document id.
			 * @param int    $job_id      Job id.
			 * @param array  $document    Normalized document.
			 */
			do_action( 'wps3_backup_queued', $doc['id'], $job_id, $doc );
			$this->schedule_run( time() );
			$this->maybe_spawn_cron();
		}
		return $job_id;
	}

	/**
	 * Makes sure a single run of the queue is scheduled no later than $timestamp.
	 *
	 * @param int $timestamp Unix time.
	 * @return void
	 */
	public function schedule_run( $timestamp ) {
		$timestamp = max( time(), (int) $timestamp );
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
	 * Asks WP-Cron to run now (non-blocking loopback request) unless disabled.
	 *
	 * @return void
	 */
	private function maybe_spawn_cron() {
		/**
		 * Whether to spawn WP-Cron right after a document was queued (default true).
		 *
		 * @param bool $spawn Spawn.
		 */
		if ( ! apply_filters( 'wps3_spawn_cron', ! ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) && ! wp_doing_cron() && 'cli' !== PHP_SAPI ) ) {
			return;
		}
		if ( function_exists( 'spawn_cron' ) ) {
			spawn_cron();
		}
	}

	/**
	 * Cron callback: processes due jobs of the current site.
	 *
	 * @return array{claimed:int,done:int,retry:int,failed:int}
	 */
	public function process() {
		global $wpdb;
		$stats = array(
			'claimed' => 0,
			'done'    => 0,
			'retry'   => 0,
			'failed'  => 0,
		);
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( 0 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		}
		if ( function_exists( 'ignore_user_abort' ) ) {
			ignore_user_abort( true );
		}
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
		$max   = (int) apply_filters( 'wps3_queue_batch_size', 25 );
		WPS3_Installer::maybe_upgrade();
		$seen  = array();
		$table = $this->jobs_table();

		while ( $stats['claimed'] < $max && time() < $deadline ) {
			$now = time();
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$ids = $wpdb->get_col(
				$wpdb->prepare(
					"SELECT id FROM {$table} WHERE status IN ('pending','running') AND next_attempt_at <= %d AND (locked_until IS NULL OR locked_until < %d) ORDER BY next_attempt_at ASC, id ASC LIMIT 10", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$now,
					$now
				)
			);
			$ids = array_diff( array_map( 'intval', (array) $ids ), $seen );
			if ( ! $ids ) {
				break;
			}
			foreach ( $ids as $id ) {
				$seen[] = $id;
				$token  = $this->claim( $id );
				if ( null === $token ) {
					continue; // Another worker has it.
				}
				++$stats['claimed'];
				$outcome = $this->run_job( $id, $token );
				++$stats[ $outcome ];
				if ( $stats['claimed'] >= $max || time() >= $deadline ) {
					break;
				}
			}
		}
		$this->schedule_next();
		return $stats;
	}

	/**
	 * Schedules a single run for the earliest pending job (if any).
	 *
	 * @return void
	 */
	private function schedule_next() {
		global $wpdb;
		$table = $this->jobs_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$next = $wpdb->get_var( "SELECT MIN(GREATEST(next_attempt_at, COALESCE(locked_until, 0))) FROM {$table} WHERE status IN ('pending','running')" );
		if ( null !== $next ) {
			$this->schedule_run( (int) $next );
		}
	}

	/**
	 * Lease of a claimed job in seconds.
	 *
	 * @return int
	 */
	public function lease_seconds() {
		/**
		 * Seconds a worker owns a claimed job before another worker may take it over (default 1800).
		 *
		 * @param int $lease Seconds.
		 */
		return max( 60, (int) apply_filters( 'wps3_job_lease_seconds', defined( 'WPS3_JOB_LEASE' ) ? (int) WPS3_JOB_LEASE : 1800 ) );
	}

	/**
	 * Claims a job atomically. Every claim counts as an attempt (also the takeover of a job whose worker
	 * died and whose lease expired), so a job that crashes PHP is not retried forever.
	 *
	 * @param int $id Job id.
	 * @return string|null Lock token, or null when another worker owns the job or it is not due.
	 */
	public function claim( $id ) {
		global $wpdb;
		$token = wp_generate_uuid4();
		$now   = time();
		$table = $this->jobs_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET locked_by = %s, locked_until = %d, status = 'running', attempts = attempts + 1, updated_at = %s WHERE id = %d AND status IN ('pending','running') AND next_attempt_at <= %d AND (locked_until IS NULL OR locked_until < %d)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$token,
				$now + $this->lease_seconds(),
				self::now_mysql(),
				(int) $id,
				$now,
				$now
			)
		);
		return 1 === (int) $rows ? $token : null;
	}

	/**
	 * A job row.
	 *
	 * @param int $id Job id.
	 * @return array|null
	 */
	public function get_job( $id ) {
		return $this->find_row( $this->jobs_table(), 'id', '%d', (int) $id );
	}

	/**
	 * The job of a document.
	 *
	 * @param string|int $document_id Document id.
	 * @return array|null
	 */
	public function get_job_by_document( $document_id ) {
		return $this->find_row( $this->jobs_table(), 'document_id', '%s', (string) $document_id );
	}

	/**
	 * The backup reference of a document.
	 *
	 * @param string|int $document_id Document id.
	 * @return array|null
	 */
	public function get_backup( $document_id ) {
		return $this->find_row( $this->backups_table(), 'document_id', '%s', (string) $document_id );
	}

	/**
	 * A backup row by id.
	 *
	 * @param int $id Backup id.
	 * @return array|null
	 */
	public function get_backup_by_id( $id ) {
		return $this->find_row( $this->backups_table(), 'id', '%d', (int) $id );
	}

	/**
	 * One row of one of our tables by a unique column.
	 *
	 * @param string     $table       Table name (ours, from the site prefix).
	 * @param string     $column      Column: 'id' or 'document_id' (never user input).
	 * @param string     $placeholder '%d' or '%s'.
	 * @param int|string $value       Value to match.
	 * @return array|null
	 */
	private function find_row( $table, $column, $placeholder, $value ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE {$column} = {$placeholder}", $value ), ARRAY_A );
		return $row ? $row : null;
	}

	/**
	 * Jobs with their backup rows, newest first.
	 *
	 * @param int $limit  Rows.
	 * @param int $offset Offset.
	 * @return array[]
	 */
	public function list_jobs( $limit = 50, $offset = 0 ) {
		global $wpdb;
		$jobs    = $this->jobs_table();
		$backups = $this->backups_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return (array) $wpdb->get_results(
			$wpdb->prepare(
				"SELECT j.*, b.id AS backup_id, b.provider, b.bucket, b.object_key, b.size, b.etag, b.uploaded_at FROM {$jobs} j LEFT JOIN {$backups} b ON b.document_id = j.document_id ORDER BY j.id DESC LIMIT %d OFFSET %d", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				(int) $limit,
				(int) $offset
			),
			ARRAY_A
		);
	}

	/**
	 * Counts jobs per status.
	 *
	 * @return array<string,int>
	 */
	public function counts() {
		global $wpdb;
		$table = $this->jobs_table();
		$out   = array(
			'pending' => 0,
			'running' => 0,
			'done'    => 0,
			'failed'  => 0,
		);
		$wpdb->suppress_errors( true );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->get_results( "SELECT status, COUNT(*) AS n FROM {$table} GROUP BY status", ARRAY_A );
		$wpdb->suppress_errors( false );
		foreach ( (array) $rows as $row ) {
			$out[ $row['status'] ] = (int) $row['n'];
		}
		return $out;
	}

	/**
	 * Puts a failed (or stuck) job back in the queue and schedules a run. The stored key is dropped, so the
	 * next attempt renders it again with the current prefix, template and wps_s3_backup_key filter.
	 *
	 * @param int $id Job id.
	 * @return bool Whether a job was reset.
	 */
	public function retry( $id ) {
		global $wpdb;
		$table = $this->jobs_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET status = 'pending', attempts = 0, next_attempt_at = %d, locked_by = NULL, locked_until = NULL, object_key = NULL, updated_at = %s WHERE id = %d AND status IN ('failed','pending')", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				time(),
				self::now_mysql(),
				(int) $id
			)
		);
		if ( 1 !== (int) $rows ) {
			return false;
		}
		$this->schedule_run( time() );
		$this->maybe_spawn_cron();
		return true;
	}

	/**
	 * Uploads one claimed job.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lock token from claim().
	 * @return string Outcome: done, retry or failed.
	 */
	public function run_job( $id, $token ) {
		$job = $this->get_job( $id );
		if ( ! $job || $job['locked_by'] !== $token ) {
			return 'retry';
		}
		// The larger budget applies: a job waiting for its PDF may be claimed up to file_attempts() times.
		if ( (int) $job['attempts'] > max( $this->max_attempts(), $this->file_attempts() ) ) {
			// Only claims of jobs whose worker vanished get here (fail() stops retryable errors earlier).
			return $this->fail(
				$job,
				$token,
				WPS3_Errors::make(
					'TOO_MANY_ATTEMPTS',
					/* translators: %d: attempts */
					sprintf( __( 'The backup was started %d times without finishing: the worker stopped each time (PHP crash, time limit or lost lease).', 'wps3' ), (int) $job['attempts'] - 1 ),
					array( 'fix' => __( 'Check the PHP error log for fatal errors or time limits during WP-Cron, then click Retry.', 'wps3' ) )
				)
			);
		}
		$document = json_decode( (string) $job['document'], true );
		if ( ! is_array( $document ) ) {
			$document = array();
		}
		$document = array_merge(
			$document,
			array(
				'id'     => $job['document_id'],
				'title'  => $job['title'],
				'status' => 'completed',
				'path'   => $job['file_path'],
			)
		);

		$settings    = WPS3_Settings::instance();
		$provider_id = $settings->get( 'provider' );
		$storage     = $settings->storage();
		if ( is_wp_error( $storage ) ) {
			return $this->fail( $job, $token, $storage );
		}
		$credentials = $settings->credentials();
		if ( is_wp_error( $credentials ) ) {
			return $this->fail( $job, $token, $credentials );
		}
		$client = WPS3_Sidecar_Client::instance();

		// 1) + 2) The key: rendered and filtered on the first attempt, then stored with the job and reused,
		// so a retry (after midnight, or after "uploaded but not recorded") never writes a second object.
		$key = isset( $job['object_key'] ) ? (string) $job['object_key'] : '';
		if ( '' === $key ) {
			$key = $this->render_key( $job, $document );
			if ( is_wp_error( $key ) ) {
				return $this->fail( $job, $token, $key );
			}
			/**
			 * Filters the object key of a document backup. Runs once per document: the result is stored with
			 * the job and reused by later attempts.
			 *
			 * @param string $key         Rendered key, e.g. `wpsigner/Service-Agreement_2025-01-31_42.pdf`.
			 * @param string $document_id Document id.
			 * @param array  $document    Document (id, title, status, path, and the host's scalar fields).
			 * @param string $provider_id Provider id: amazon_s3, wasabi, cloudflare_r2 or custom.
			 */
			$key   = apply_filters( 'wps_s3_backup_key', $key, $job['document_id'], $document, $provider_id );
			$valid = self::validate_key( $key );
			if ( is_wp_error( $valid ) ) {
				return $this->fail( $job, $token, $valid );
			}
			if ( ! $this->store_key( $job, $token, $key ) ) {
				return 'retry'; // The lease was lost meanwhile.
			}
		}

		// 3) Upload: the sidecar streams the file from disk; PHP never reads it.
		$upload_args = array(
			'storage'            => $storage,
			'credentials'        => $credentials,
			'key'                => $key,
			'path'               => $job['file_path'],
			'contentType'        => 'application/pdf',
			'metadata'           => array(
				'wps3-document-id' => rawurlencode( (string) $job['document_id'] ),
			),
			'multipartThreshold' => 64 * MB_IN_BYTES,
			'partSize'           => 16 * MB_IN_BYTES,
			'concurrency'        => 4,
		);
		/**
		 * Filters the arguments of the sidecar `upload-file` op (part size, concurrency, metadata, content type).
		 *
		 * @param array $upload_args Op arguments.
		 * @param array $job         Job row.
		 */
		$filtered = apply_filters( 'wps3_upload_args', $upload_args, $job );
		if ( ! is_array( $filtered ) ) {
			WPS3_Errors::filter_misuse( 'wps3_upload_args', __( 'an array of upload-file arguments', 'wps3' ), $filtered );
			$filtered = $upload_args;
		}
		$upload_args = $filtered;
		if ( is_string( $upload_args['path'] ?? null ) && '/' === substr( (string) $upload_args['path'], 0, 1 ) && ! file_exists( $upload_args['path'] ) ) {
			return $this->fail(
				$job,
				$token,
				WPS3_Errors::make(
					'FILE_NOT_FOUND',
					/* translators: %s: path */
					sprintf( __( 'The signed PDF %s does not exist.', 'wps3' ), $upload_args['path'] ),
					array( 'fix' => WPS3_Errors::describe( 'FILE_NOT_FOUND', '' )['fix'] )
				)
			);
		}
		// No total timeout: an upload may take longer than the lease. The lease is renewed while it runs and
		// the transfer is aborted (the sidecar then aborts the upload) as soon as the lease is lost; a sidecar
		// that stops answering health checks is abandoned.
		$lease_lost = false;
		$result     = $client->call(
			'upload-file',
			$upload_args,
			0,
			array(
				'progress'    => $this->lease_keeper( (int) $job['id'], $token, $lease_lost ),
				'stall_check' => 60,
			)
		);
		if ( $lease_lost ) {
			return 'retry'; // Another worker owns the job now; it is not ours to fail or finish.
		}
		if ( is_wp_error( $result ) ) {
			return $this->fail( $job, $token, $result );
		}

		// 4) Record the backup, only if this worker still owns the job.
		$backup = array(
			'document_id' => (string) $job['document_id'],
			'provider'    => (string) ( $storage['provider'] ?? $provider_id ),
			'endpoint'    => isset( $storage['endpoint'] ) && is_string( $storage['endpoint'] ) ? $storage['endpoint'] : '',
			'region'      => isset( $storage['region'] ) && is_string( $storage['region'] ) ? $storage['region'] : '',
			'bucket'      => isset( $result['bucket'] ) ? (string) $result['bucket'] : (string) $storage['bucket'],
			'object_key'  => isset( $result['key'] ) ? (string) $result['key'] : $key,
			'size'        => isset( $result['size'] ) ? (int) $result['size'] : (int) @filesize( $job['file_path'] ), // phpcs:ignore WordPress.PHP.NoSilencedErrors
			'etag'        => isset( $result['etag'] ) ? trim( (string) $result['etag'], '"' ) : '',
			'uploaded_at' => self::now_mysql(),
		);
		if ( ! $this->finalize( $job, $token, $backup ) ) {
			return 'retry';
		}

		// 5) Exactly once per document: only the worker whose finalize() committed gets here.
		/**
		 * Fires once per document after its backup was uploaded and recorded.
		 *
		 * @param string $document_id Document id.
		 * @param string $key         Object key in the bucket.
		 * @param string $provider_id Provider id: amazon_s3, wasabi, cloudflare_r2 or custom.
		 */
		do_action( 'wps_s3_uploaded', $job['document_id'], $backup['object_key'], $provider_id );
		return 'done';
	}

	/**
	 * Renders the object key with the sidecar's `render-key` op.
	 *
	 * @param array $job      Job row.
	 * @param array $document Document.
	 * @return string|WP_Error
	 */
	private function render_key( array $job, array $document ) {
		$template = defined( 'WPS3_KEY_TEMPLATE' ) ? (string) WPS3_KEY_TEMPLATE : '{path_prefix}{sanitized_title}_{date}_{document_id}.pdf';
		/**
		 * Filters the key template before rendering. Tokens: {path_prefix} {sanitized_title} {date} {year}
		 * {month} {day} {document_id} {user}.
		 *
		 * @param string $template Template.
		 * @param array  $document Document.
		 */
		$filtered = apply_filters( 'wps3_key_template', $template, $document );
		if ( ! is_string( $filtered ) || '' === trim( $filtered ) ) {
			WPS3_Errors::filter_misuse( 'wps3_key_template', __( 'a non-empty template string', 'wps3' ), $filtered );
			$filtered = $template;
		}
		$template = $filtered;
		// Dates in keys follow the site's timezone: shift "now" to the site's wall clock.
		$offset = (int) ( (float) get_option( 'gmt_offset', 0 ) * HOUR_IN_SECONDS );
		if ( function_exists( 'wp_timezone' ) ) {
			$offset = wp_timezone()->getOffset( new DateTime( 'now', new DateTimeZone( 'UTC' ) ) );
		}
		$document_id = (string) $job['document_id'];
		$args        = array(
			'template'   => $template,
			'pathPrefix' => WPS3_Settings::instance()->path_prefix(),
			'title'      => (string) $job['title'],
			'documentId' => $document_id,
			'now'        => time() + $offset,
		);
		if ( isset( $document['user'] ) && is_scalar( $document['user'] ) && '' !== (string) $document['user'] ) {
			$args['user'] = (string) $document['user'];
		}
		$result = WPS3_Sidecar_Client::instance()->call( 'render-key', $args );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		if ( empty( $result['key'] ) || ! is_string( $result['key'] ) ) {
			return WPS3_Errors::make( 'INVALID_KEY', __( 'The sidecar returned no key.', 'wps3' ), array( 'retryable' => true, 'permanent' => false ) );
		}
		return $result['key'];
	}

	/**
	 * Marks a job done and records its backup in one transaction, if the worker still owns it.
	 *
	 * @param array  $job    Job row.
	 * @param string $token  Lock token.
	 * @param array  $backup Backup row.
	 * @return bool Whether this worker finalized the job.
	 */
	private function finalize( array $job, $token, array $backup ) {
		global $wpdb;
		$jobs    = $this->jobs_table();
		$backups = $this->backups_table();
		$wpdb->query( 'START TRANSACTION' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$jobs} SET status = 'done', locked_by = NULL, locked_until = NULL, last_error_code = NULL, last_error_cause = NULL, last_error_fix = NULL, updated_at = %s WHERE id = %d AND locked_by = %s AND status = 'running'", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				self::now_mysql(),
				(int) $job['id'],
				$token
			)
		);
		if ( 1 !== (int) $rows ) {
			$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			return false;
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$ok = $wpdb->query(
			$wpdb->prepare(
				"INSERT INTO {$backups} (document_id, provider, endpoint, region, bucket, object_key, size, etag, uploaded_at) VALUES (%s, %s, %s, %s, %s, %s, %d, %s, %s) ON DUPLICATE KEY UPDATE provider = VALUES(provider), endpoint = VALUES(endpoint), region = VALUES(region), bucket = VALUES(bucket), object_key = VALUES(object_key), size = VALUES(size), etag = VALUES(etag), uploaded_at = VALUES(uploaded_at)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$backup['document_id'],
				$backup['provider'],
				$backup['endpoint'],
				$backup['region'],
				$backup['bucket'],
				$backup['object_key'],
				$backup['size'],
				$backup['etag'],
				$backup['uploaded_at']
			)
		);
		if ( false === $ok ) {
			$error = $wpdb->last_error;
			$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$this->fail(
				$job,
				$token,
				WPS3_Errors::make(
					'DB_ERROR',
					/* translators: %s: database error */
					sprintf( __( 'The backup was uploaded but could not be recorded: %s', 'wps3' ), $error ),
					array(
						'retryable' => true,
						'permanent' => false,
					)
				)
			);
			return false;
		}
		$wpdb->query( 'COMMIT' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return true;
	}

	/**
	 * Retry delay after the given number of failed attempts: min(cap, base * 2^attempts) ± 20 %
	 * (base WPS3_RETRY_BASE, default 15 s; cap WPS3_RETRY_CAP, default 3600 s).
	 *
	 * @param int      $attempts Failed attempts so far (>= 1).
	 * @param WP_Error $error    The failure.
	 * @return int Seconds.
	 */
	public function retry_delay( $attempts, $error = null ) {
		$base  = defined( 'WPS3_RETRY_BASE' ) ? (float) WPS3_RETRY_BASE : 15.0;
		$cap   = defined( 'WPS3_RETRY_CAP' ) ? (float) WPS3_RETRY_CAP : 3600.0;
		$delay = min( $cap, $base * pow( 2, max( 0, (int) $attempts ) ) );
		$delay = $delay * ( 0.8 + wp_rand( 0, 400 ) / 1000 );
		/**
		 * Filters the delay before the next attempt of a failed backup.
		 *
		 * @param int           $delay    Seconds.
		 * @param int           $attempts Failed attempts so far.
		 * @param WP_Error|null $error    The failure.
		 */
		$delay    = (int) round( $delay );
		$filtered = apply_filters( 'wps3_retry_delay', $delay, (int) $attempts, $error );
		if ( ! is_numeric( $filtered ) || ! is_finite( (float) $filtered ) ) {
			WPS3_Errors::filter_misuse( 'wps3_retry_delay', __( 'a number of seconds', 'wps3' ), $filtered );
			$filtered = $delay;
		}
		return (int) max( 1, min( 30 * DAY_IN_SECONDS, round( (float) $filtered ) ) );
	}

	/**
	 * Attempts for a document whose PDF is missing or unreadable before the failure becomes permanent.
	 *
	 * @return int
	 */
	public function file_attempts() {
		/**
		 * Attempts (with backoff) before a missing or unreadable PDF is a permanent failure (default 5).
		 *
		 * @param int $attempts Attempts.
		 */
		$attempts = apply_filters( 'wps3_file_not_found_attempts', 5 );
		return is_numeric( $attempts ) ? max( 1, (int) $attempts ) : 5;
	}

	/**
	 * Seconds between renewals of a running job's lease: the filtered value (default 60), at most a third of
	 * the lease (so a short lease never expires between renewals), at least 5 s.
	 *
	 * @return int
	 */
	public function lease_renew_interval() {
		/**
		 * Seconds between renewals of the lease of a job whose upload is running (default 60; capped at a
		 * third of the lease, at least 5).
		 *
		 * @param int $seconds Seconds.
		 */
		$seconds = apply_filters( 'wps3_lease_renew_interval', 60 );
		$seconds = is_numeric( $seconds ) ? (int) $seconds : 60;
		return max( 5, min( $seconds, intdiv( $this->lease_seconds(), 3 ) ) );
	}

	/**
	 * Extends the lease of a job this worker owns.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lock token.
	 * @return bool Whether the worker still owns the job (false: the lease was lost).
	 */
	public function renew_lease( $id, $token ) {
		global $wpdb;
		$table = $this->jobs_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET locked_until = %d WHERE id = %d AND locked_by = %s AND status = 'running'", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				time() + $this->lease_seconds(),
				(int) $id,
				$token
			)
		);
		if ( false === $rows ) {
			return true; // A database hiccup is not a lost lease; the next renewal tries again.
		}
		// MariaDB counts changed rows: a renewal within the same second changes nothing, so check ownership.
		if ( 0 === (int) $rows ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$owner = $wpdb->get_var( $wpdb->prepare( "SELECT locked_by FROM {$table} WHERE id = %d AND status = 'running'", (int) $id ) );
			return $owner === $token;
		}
		return true;
	}

	/**
	 * Progress callback for a long sidecar call: renews the lease about every lease_renew_interval()
	 * seconds and returns false (abort) once the lease is lost.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lock token.
	 * @param bool   $lost  Set to true when the lease was lost.
	 * @return callable
	 */
	private function lease_keeper( $id, $token, &$lost ) {
		$every = $this->lease_renew_interval();
		$next  = time() + $every;
		return function () use ( $id, $token, $every, &$next, &$lost ) {
			if ( time() < $next ) {
				return true;
			}
			$next = time() + $every;
			if ( ! $this->renew_lease( $id, $token ) ) {
				$lost = true;
				return false;
			}
			return true;
		};
	}

	/**
	 * Stores the final object key with the job (first attempt only).
	 *
	 * @param array  $job   Job row.
	 * @param string $token Lock token.
	 * @param string $key   Key.
	 * @return bool Whether this worker still owns the job.
	 */
	private function store_key( array $job, $token, $key ) {
		global $wpdb;
		$table = $this->jobs_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->query( $wpdb->prepare( "UPDATE {$table} SET object_key = %s WHERE id = %d AND locked_by = %s", $key, (int) $job['id'], $token ) );
		return false !== $rows && ( 1 === (int) $rows || $this->renew_lease( (int) $job['id'], $token ) );
	}

	/**
	 * Checks an object key returned by the wps_s3_backup_key filter.
	 *
	 * @param mixed $key Key.
	 * @return true|WP_Error INVALID_KEY (permanent) with the reason.
	 */
	public static function validate_key( $key ) {
		$reason = '';
		if ( ! is_string( $key ) ) {
			/* translators: %s: PHP type */
			$reason = sprintf( __( 'returned a %s instead of a string', 'wps3' ), is_object( $key ) ? get_class( $key ) : gettype( $key ) );
		} elseif ( '' === trim( $key ) ) {
			$reason = __( 'returned an empty key', 'wps3' );
		} elseif ( strlen( $key ) > 1024 ) {
			/* translators: %d: bytes */
			$reason = sprintf( __( 'returned a key of %d bytes (S3 allows at most 1024)', 'wps3' ), strlen( $key ) );
		} elseif ( ! wp_check_invalid_utf8( $key ) || strlen( wp_check_invalid_utf8( $key ) ) !== strlen( $key ) ) {
			$reason = __( 'returned a key that is not valid UTF-8', 'wps3' );
		} elseif ( preg_match( '/[\x00-\x1F\x7F]/', $key ) ) {
			$reason = __( 'returned a key with control characters (such as a newline)', 'wps3' );
		} elseif ( '/' === $key[0] ) {
			$reason = __( 'returned a key that starts with "/"', 'wps3' );
		} elseif ( array_intersect( explode( '/', $key ), array( '.', '..' ) ) ) {
			$reason = __( 'returned a key with a "." or ".." segment', 'wps3' );
		}
		if ( '' === $reason ) {
			return true;
		}
		return WPS3_Errors::make(
			'INVALID_KEY',
			/* translators: %s: reason */
			sprintf( __( 'The wps_s3_backup_key filter %s.', 'wps3' ), $reason ),
			array( 'fix' => __( 'Change the wps_s3_backup_key filter so that it returns a non-empty string of at most 1024 bytes, without control characters, "." or ".." segments or a leading "/", then click Retry.', 'wps3' ) )
		);
	}

	/**
	 * Maximum attempts before a retryable failure becomes permanent.
	 *
	 * @return int
	 */
	public function max_attempts() {
		/**
		 * Attempts after which a job that keeps failing with retryable errors is marked failed (default 50).
		 *
		 * @param int $max Attempts.
		 */
		return max( 1, (int) apply_filters( 'wps3_max_attempts', defined( 'WPS3_MAX_ATTEMPTS' ) ? (int) WPS3_MAX_ATTEMPTS : 50 ) );
	}

	/**
	 * Records a failure: schedules a retry for retryable errors, marks the job failed otherwise.
	 *
	 * @param array    $job   Job row.
	 * @param string   $token Lock token.
	 * @param WP_Error $error Failure.
	 * @return string retry or failed.
	 */
	private function fail( array $job, $token, WP_Error $error ) {
		$attempts = max( 1, (int) $job['attempts'] ); // claim() counted this attempt.
		$code     = (string) WPS3_Errors::field( $error, 'code', $error->get_error_code() );
		$cause    = (string) WPS3_Errors::field( $error, 'cause', $error->get_error_message() );
		$fix      = (string) WPS3_Errors::field( $error, 'fix', '' );
		if ( in_array( $code, array( 'FILE_NOT_FOUND', 'FILE_UNREADABLE' ), true ) ) {
			// The PDF may still be on its way (or its permissions about to be fixed): a few attempts with
			// backoff, then the admin is told.
			$retry = $attempts < $this->file_attempts();
		} else {
			$retry = WPS3_Errors::is_retryable( $error ) && $attempts < $this->max_attempts();
		}
		// A key the storage or the core refused is computed again (with a fixed filter) on the next attempt.
		$clear_key = 'INVALID_KEY' === $code ? ', object_key = NULL' : '';

		if ( $retry ) {
			$delay = $this->retry_delay( $attempts, $error );
			$next  = time() + $delay;
			$rows = $this->release_job( $job, $token, 'pending', $attempts, $next, $code, $cause, $fix, $clear_key );
			if ( 1 !== (int) $rows ) {
				return 'retry'; // Another worker took the job over: its outcome, not ours.
			}
			$this->schedule_run( $next );
			/**
			 * Fires when a backup failed with a retryable error and was rescheduled.
			 *
			 * @param string   $document_id Document id.
			 * @param WP_Error $error       Failure (data: code, cause, fix, retryable, permanent).
			 * @param int      $attempts    Failed attempts so far.
			 * @param int      $delay       Seconds until the next attempt.
			 */
			do_action( 'wps3_backup_retry_scheduled', $job['document_id'], $error, $attempts, $delay );
			return 'retry';
		}

		$rows = $this->release_job( $job, $token, 'failed', $attempts, null, $code, $cause, $fix, $clear_key );
		if ( 1 !== (int) $rows ) {
			return 'retry'; // Another worker took the job over.
		}
		/**
		 * Fires when a backup failed permanently (it stays in the list with a Retry button).
		 *
		 * @param string   $document_id Document id.
		 * @param WP_Error $error       Failure (data: code, cause, fix, retryable, permanent).
		 * @param array    $job         Job row before the failure.
		 */
		do_action( 'wps3_backup_failed', $job['document_id'], $error, $job );
		return 'failed';
	}

	/**
	 * Presigned GET URL for downloading a backup.
	 *
	 * @param array $backup Backup row.
	 * @return string|WP_Error
	 */
	public function download_url( array $backup ) {
		$settings = WPS3_Settings::instance();
		// Old backups are read with the settings they were written with (provider, endpoint, region).
		$overrides = array( 'bucket' => (string) $backup['bucket'] );
		foreach ( array( 'provider', 'endpoint', 'region' ) as $field ) {
			if ( isset( $backup[ $field ] ) && is_string( $backup[ $field ] ) && '' !== $backup[ $field ] ) {
				$overrides[ $field ] = $backup[ $field ];
			}
		}
		$storage = $settings->storage( $overrides );
		if ( is_wp_error( $storage ) ) {
			return $storage;
		}
		$credentials = $settings->credentials();
		if ( is_wp_error( $credentials ) ) {
			return $credentials;
		}
		$client      = WPS3_Sidecar_Client::instance();
		$key         = (string) $backup['object_key'];
		$filename    = basename( $key );
		$disposition = $client->call(
			'content-disposition',
			array(
				'filename'    => '' === $filename ? 'backup.pdf' : $filename,
				'disposition' => 'attachment',
			)
		);
		if ( is_wp_error( $disposition ) ) {
			return $disposition;
		}
		/**
		 * Lifetime in seconds of download links (default 300).
		 *
		 * @param int $expires Seconds.
		 */
		$expires = (int) apply_filters( 'wps3_download_expires', 300 );
		$signed  = $client->call(
			'presign',
			array(
				'storage'                    => $storage,
				'credentials'                => $credentials,
				'method'                     => 'GET',
				'key'                        => $key,
				'expiresIn'                  => max( 1, min( 604800, $expires ) ),
				'query'                      => array(),
				'headers'                    => array(),
				'responseContentDisposition' => (string) ( $disposition['value'] ?? '' ),
				'responseContentType'        => 'application/pdf',
			)
		);
		if ( is_wp_error( $signed ) ) {
			return $signed;
		}
		$url = isset( $signed['url'] ) ? (string) $signed['url'] : '';
		if ( ! $this->is_our_url( $url, $storage ) ) {
			return WPS3_Errors::make( 'PRESIGN_FAILED', __( 'The sidecar returned a download URL for an unexpected host.', 'wps3' ) );
		}
		return $url;
	}

	/**
	 * Checks that a presigned URL points at the configured storage and carries a signature.
	 *
	 * @param string $url     URL.
	 * @param array  $storage Storage.
	 * @return bool
	 */
	public function is_our_url( $url, array $storage ) {
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || ! in_array( $parts['scheme'] ?? '', array( 'http', 'https' ), true ) ) {
			return false;
		}
		if ( empty( $parts['query'] ) || false === strpos( $parts['query'], 'X-Amz-Signature=' ) ) {
			return false;
		}
		$host = strtolower( $parts['host'] );
		if ( ! empty( $storage['endpoint'] ) ) {
			$endpoint_host = strtolower( (string) wp_parse_url( $storage['endpoint'], PHP_URL_HOST ) );
			return $host === $endpoint_host || str_ends_with( $host, '.' . $endpoint_host );
		}
		$suffixes = array(
			'amazon_s3'     => array( '.amazonaws.com', '.amazonaws.com.cn' ),
			'wasabi'        => array( '.wasabisys.com' ),
			'cloudflare_r2' => array( '.r2.cloudflarestorage.com' ),
		);
		foreach ( $suffixes[ $storage['provider'] ] ?? array() as $suffix ) {
			if ( str_ends_with( $host, $suffix ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Records an attempt's failure and releases the lease, if this worker still holds it.
	 *
	 * @param array    $job             Job row.
	 * @param string   $token           Lease token.
	 * @param string   $status          'pending' (retry later) or 'failed'.
	 * @param int      $attempts        Failed attempts so far.
	 * @param int|null $next_attempt_at Unix time of the next attempt; null keeps the stored one.
	 * @param string   $code            Error code.
	 * @param string   $cause           Cause shown to the admin.
	 * @param string   $fix             Fix shown to the admin.
	 * @param string   $clear_key       ', object_key = NULL' to render the key again, or ''.
	 * @return int Rows updated: 1, or 0 when another worker took the job over.
	 */
	private function release_job( $job, $token, $status, $attempts, $next_attempt_at, $code, $cause, $fix, $clear_key ) {
		global $wpdb;
		$table = $this->jobs_table();
		$next  = null === $next_attempt_at ? '' : $wpdb->prepare( ', next_attempt_at = %d', (int) $next_attempt_at );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET status = %s, attempts = %d{$next}, locked_by = NULL, locked_until = NULL, last_error_code = %s, last_error_cause = %s, last_error_fix = %s, updated_at = %s{$clear_key} WHERE id = %d AND locked_by = %s", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$status,
				$attempts,
				substr( $code, 0, 100 ),
				$cause,
				$fix,
				self::now_mysql(),
				(int) $job['id'],
				$token
			)
		);
		return (int) $rows;
	}
}
