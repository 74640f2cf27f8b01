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
		if ( ! is_file( $doc['path'] ) || ! is_readable( $doc['path'] ) ) {
			return WPS3_Errors::make(
				'FILE_NOT_FOUND',
				/* translators: %s: path */
				sprintf( __( 'The signed PDF %s does not exist or is not readable.', 'wps3' ), $doc['path'] )
			);
		}
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
	 * Claims a job atomically.
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
				"UPDATE {$table} SET locked_by = %s, locked_until = %d, status = 'running', updated_at = %s WHERE id = %d AND status IN ('pending','running') AND next_attempt_at <= %d AND (locked_until IS NULL OR locked_until < %d)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
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
		global $wpdb;
		$table = $this->jobs_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE id = %d", (int) $id ), ARRAY_A );
		return $row ? $row : null;
	}

	/**
	 * The job of a document.
	 *
	 * @param string|int $document_id Document id.
	 * @return array|null
	 */
	public function get_job_by_document( $document_id ) {
		global $wpdb;
		$table = $this->jobs_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE document_id = %s", (string) $document_id ), ARRAY_A );
		return $row ? $row : null;
	}

	/**
	 * The backup reference of a document.
	 *
	 * @param string|int $document_id Document id.
	 * @return array|null
	 */
	public function get_backup( $document_id ) {
		global $wpdb;
		$table = $this->backups_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE document_id = %s", (string) $document_id ), ARRAY_A );
		return $row ? $row : null;
	}

	/**
	 * A backup row by id.
	 *
	 * @param int $id Backup id.
	 * @return array|null
	 */
	public function get_backup_by_id( $id ) {
		global $wpdb;
		$table = $this->backups_table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE id = %d", (int) $id ), ARRAY_A );
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
	 * Puts a failed (or stuck) job back in the queue and schedules a run.
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
				"UPDATE {$table} SET status = 'pending', attempts = 0, next_attempt_at = %d, locked_by = NULL, locked_until = NULL, updated_at = %s WHERE id = %d AND status IN ('failed','pending')", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
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

		// 1) Render the key.
		$key = $this->render_key( $job, $document );
		if ( is_wp_error( $key ) ) {
			return $this->fail( $job, $token, $key );
		}

		// 2) Let the site change it.
		/**
		 * Filters the object key of a document backup.
		 *
		 * @param string $key         Rendered key, e.g. `wpsigner/Service-Agreement_2025-01-31_42.pdf`.
		 * @param string $document_id Document id.
		 * @param array  $document    Document (id, title, status, path, and the host's scalar fields).
		 * @param string $provider_id Provider id: amazon_s3, wasabi, cloudflare_r2 or custom.
		 */
		$key = apply_filters( 'wps_s3_backup_key', $key, $job['document_id'], $document, $provider_id );
		if ( ! is_string( $key ) || '' === trim( $key, '/ ' ) ) {
			return $this->fail(
				$job,
				$token,
				WPS3_Errors::make( 'INVALID_KEY', __( 'The wps_s3_backup_key filter returned an empty or non-string key.', 'wps3' ), array( 'fix' => __( 'Check the wps_s3_backup_key filter, then click Retry.', 'wps3' ) ) )
			);
		}
		$key = ltrim( $key, '/' );

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
		$upload_args = apply_filters( 'wps3_upload_args', $upload_args, $job );
		$result      = $client->call( 'upload-file', $upload_args, max( 60, $this->lease_seconds() - 60 ) );
		if ( is_wp_error( $result ) ) {
			return $this->fail( $job, $token, $result );
		}

		// 4) Record the backup, only if this worker still owns the job.
		$backup = array(
			'document_id' => (string) $job['document_id'],
			'provider'    => $provider_id,
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
		$template = (string) apply_filters( 'wps3_key_template', $template, $document );
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
				"INSERT INTO {$backups} (document_id, provider, bucket, object_key, size, etag, uploaded_at) VALUES (%s, %s, %s, %s, %d, %s, %s) ON DUPLICATE KEY UPDATE provider = VALUES(provider), bucket = VALUES(bucket), object_key = VALUES(object_key), size = VALUES(size), etag = VALUES(etag), uploaded_at = VALUES(uploaded_at)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$backup['document_id'],
				$backup['provider'],
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
		return max( 1, (int) round( apply_filters( 'wps3_retry_delay', (int) round( $delay ), (int) $attempts, $error ) ) );
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
		global $wpdb;
		$table    = $this->jobs_table();
		$attempts = (int) $job['attempts'] + 1;
		$code     = (string) WPS3_Errors::field( $error, 'code', $error->get_error_code() );
		$cause    = (string) WPS3_Errors::field( $error, 'cause', $error->get_error_message() );
		$fix      = (string) WPS3_Errors::field( $error, 'fix', '' );
		$retry    = WPS3_Errors::is_retryable( $error ) && $attempts < $this->max_attempts();

		if ( $retry ) {
			$delay = $this->retry_delay( $attempts, $error );
			$next  = time() + $delay;
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$wpdb->query(
				$wpdb->prepare(
					"UPDATE {$table} SET status = 'pending', attempts = %d, next_attempt_at = %d, locked_by = NULL, locked_until = NULL, last_error_code = %s, last_error_cause = %s, last_error_fix = %s, updated_at = %s WHERE id = %d AND locked_by = %s", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$attempts,
					$next,
					substr( $code, 0, 100 ),
					$cause,
					$fix,
					self::now_mysql(),
					(int) $job['id'],
					$token
				)
			);
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

		// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET status = 'failed', attempts = %d, locked_by = NULL, locked_until = NULL, last_error_code = %s, last_error_cause = %s, last_error_fix = %s, updated_at = %s WHERE id = %d AND locked_by = %s", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$attempts,
				substr( $code, 0, 100 ),
				$cause,
				$fix,
				self::now_mysql(),
				(int) $job['id'],
				$token
			)
		);
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
		$storage  = $settings->storage( array( 'bucket' => (string) $backup['bucket'] ) );
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
}
