<?php
/**
 * Runs one claimed backup job: key, upload through the sidecar, record, or give the job back.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

use WPS3\Errors;
use WPS3\Files\AllowedRoots;
use WPS3\Settings\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Claim, lease renewal while the upload runs, and the two ways an attempt ends: finalize() (uploaded and
 * recorded, exactly once per document) or fail() (retry later or failed, decided by RetryPolicy).
 */
final class Runner {

	public const DONE   = 'done';
	public const RETRY  = 'retry';
	public const FAILED = 'failed';

	/**
	 * Collaborators.
	 *
	 * @param JobStore    $store  Job store.
	 * @param Lease       $lease  Lease length and renewal.
	 * @param RetryPolicy $policy Attempt budgets and delays.
	 * @param ObjectKey   $keys   Key rendering.
	 * @param \Closure    $schedule Schedules a queue run no later than a Unix time (Queue::schedule_run).
	 */
	public function __construct(
		private readonly JobStore $store,
		private readonly Lease $lease,
		private readonly RetryPolicy $policy,
		private readonly ObjectKey $keys,
		private readonly \Closure $schedule
	) {
	}

	/**
	 * Claims a job atomically. Every claim counts as an attempt (also the takeover of a job whose worker
	 * died and whose lease expired), so a job that crashes PHP is not retried forever.
	 *
	 * @param int $id Job id.
	 * @return string|null Lease token, or null when another worker owns the job or it is not due.
	 */
	public function claim( int $id ): ?string {
		$token = wp_generate_uuid4();
		return $this->store->claim( $id, $token, $this->lease->until(), time() ) ? $token : null;
	}

	/**
	 * Uploads one claimed job.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lease token from claim().
	 * @return string Outcome: DONE, RETRY (also "not ours any more") or FAILED.
	 */
	public function run( int $id, #[\SensitiveParameter] string $token ): string {
		$job = $this->store->job( $id );
		if ( null === $job || ! $job->is_locked_by( $token ) ) {
			return self::RETRY;
		}
		if ( $job->attempts > $this->policy->claim_budget() ) {
			// Only claims of jobs whose worker vanished get here (fail() stops retryable errors earlier).
			return $this->fail(
				$job,
				$token,
				Errors::make(
					'TOO_MANY_ATTEMPTS',
					/* translators: %d: attempts */
					sprintf( __( 'The backup was started %d times without finishing: the worker stopped each time (PHP crash, time limit or lost lease).', 'wps3' ), $job->attempts - 1 ),
					array( 'fix' => __( 'Check the PHP error log for fatal errors or time limits during WP-Cron, then click Retry.', 'wps3' ) )
				)
			);
		}

		$settings    = Settings::instance();
		$provider_id = $settings->get( 'provider' );
		$storage     = $settings->storage();
		if ( is_wp_error( $storage ) ) {
			return $this->fail( $job, $token, $storage );
		}
		$credentials = $settings->credentials();
		if ( is_wp_error( $credentials ) ) {
			return $this->fail( $job, $token, $credentials );
		}

		// The key is rendered and filtered on the first attempt, then stored with the job and reused, so a
		// retry (after midnight, or after "uploaded but not recorded") never writes a second object.
		$key = $job->stored_key();
		if ( '' === $key ) {
			$key = $this->keys->for_job( $job, $provider_id );
			if ( is_wp_error( $key ) ) {
				return $this->fail( $job, $token, $key );
			}
			if ( ! $this->store->store_key( $job->id, $token, $key, $this->lease->until() ) ) {
				return self::RETRY; // The lease was lost meanwhile.
			}
		}

		$upload_args = $this->upload_args( $job, $storage, $credentials, $key );
		$path        = $upload_args['path'] ?? null;
		if ( is_string( $path ) && str_starts_with( $path, '/' ) && ! file_exists( $path ) ) {
			return $this->fail(
				$job,
				$token,
				Errors::make(
					'FILE_NOT_FOUND',
					/* translators: %s: path */
					sprintf( __( 'The signed PDF %s does not exist.', 'wps3' ), $path ),
					array( 'fix' => Errors::describe( 'FILE_NOT_FOUND', '' )['fix'] )
				)
			);
		}
		// After the filter, which may change the path but not where files may come from: the real path and
		// the allowed roots, which the sidecar checks the opened file against (FileOutsideAllowedRoots).
		$upload_args = array_merge( $upload_args, is_string( $path ) ? AllowedRoots::upload_args( $path ) : array( 'allowedRoots' => AllowedRoots::roots() ) );
		$stored      = $this->already_stored( $job, $upload_args, $key );
		if ( null !== $stored ) {
			return $this->finalize( $job, $token, $this->backup_row( $job, $storage, $provider_id, $key, $stored ) );
		}
		if ( '' !== $job->stored_key() ) {
			// An earlier attempt uploaded under this key and may have been cut off (sidecar killed, worker gone)
			// before it completed or aborted a multipart upload.
			$this->abort_stale_uploads( $job, $upload_args );
		}
		// No total timeout: an upload may take longer than the lease. The lease is renewed while it runs and
		// the transfer is aborted (the sidecar then aborts the upload) as soon as the lease is lost; a sidecar
		// that stops answering health checks is abandoned.
		$lease_lost = false;
		$result     = \WPS3\Sidecar\Client::instance()->call(
			'upload-file',
			$upload_args,
			0,
			array(
				'progress'    => $this->lease->keeper( $job->id, $token, $lease_lost ),
				'stall_check' => 60,
			)
		);
		if ( $lease_lost ) {
			return self::RETRY; // Another worker owns the job now; it is not ours to fail or finish.
		}
		if ( is_wp_error( $result ) ) {
			$refused = 'INVALID_KEY' === Errors::field( $result, 'code' );
			return $this->fail( $job, $token, $refused ? ObjectKey::refused( $result ) : $result );
		}
		return $this->finalize( $job, $token, $this->backup_row( $job, $storage, $provider_id, $key, $result ) );
	}

	/**
	 * Aborts the multipart uploads an earlier attempt of this job left open, where the upload goes.
	 *
	 * @param Job                  $job         Job.
	 * @param array<string, mixed> $upload_args The upload-file arguments of this attempt (after the filter).
	 * @return void
	 */
	private function abort_stale_uploads( Job $job, #[\SensitiveParameter] array $upload_args ): void {
		$key     = is_string( $upload_args['key'] ?? null ) ? $upload_args['key'] : '';
		$queued  = strtotime( (string) ( $job->row()['created_at'] ?? '' ) . ' UTC' );
		$aborted = '' === $key || false === $queued ? 0 : ( new StaleUploads() )->abort_for( (array) ( $upload_args['storage'] ?? array() ), (array) ( $upload_args['credentials'] ?? array() ), $key, $queued );
		/**
		 * Fires after a retry looked for multipart uploads an earlier attempt left open under its key.
		 *
		 * @param int|\WP_Error $aborted     Uploads aborted, or why they could not be listed (for example an
		 *                                  IAM policy without s3:ListBucketMultipartUploads; the bucket's
		 *                                  lifecycle rule then removes them).
		 * @param string        $key         Object key.
		 * @param string        $document_id Document id.
		 */
		do_action( 'wps3_stale_uploads_checked', $aborted, $key, $job->document_id );
	}

	/**
	 * Arguments of the sidecar's `upload-file` op, after the `wps3_upload_args` filter.
	 *
	 * @param Job                  $job         Job.
	 * @param array<string, mixed> $storage     Storage.
	 * @param array<string, mixed> $credentials Credentials.
	 * @param string               $key         Object key.
	 * @return array<string, mixed>
	 */
	private function upload_args( Job $job, array $storage, #[\SensitiveParameter] array $credentials, string $key ): array {
		$args = array(
			'storage'            => $storage,
			'key'                => $key,
			'path'               => $job->file_path,
			'contentType'        => 'application/pdf',
			'metadata'           => array(
				'wps3-document-id' => rawurlencode( $job->document_id ),
				'wps3-source'      => self::source_marker( $job ),
			),
			'multipartThreshold' => 64 * MB_IN_BYTES,
			'partSize'           => 16 * MB_IN_BYTES,
			'concurrency'        => 4,
		);
		/**
		 * Filters the arguments of the sidecar `upload-file` op (part size, concurrency, metadata, content type).
		 * The credentials are not among them: they carry the key material derived from the WordPress salts,
		 * which no public hook sees; they are added after the filter.
		 *
		 * @param array $upload_args Op arguments.
		 * @param array $job         Job row.
		 */
		$filtered = apply_filters( 'wps3_upload_args', $args, $job->row() );
		if ( ! is_array( $filtered ) ) {
			Errors::filter_misuse( 'wps3_upload_args', __( 'an array of upload-file arguments', 'wps3' ), $filtered );
			$filtered = $args;
		}
		$filtered['credentials'] = $credentials;
		return $filtered;
	}

	/**
	 * Which file of which job an object was written from: a hash of the job id, the file's path, size and
	 * modification time (not of its bytes: hashing a large PDF in PHP on every upload costs seconds). The
	 * storage checked the bytes when the upload was made (payload hash, Content-Length).
	 *
	 * @param Job $job Job.
	 * @return string 32 hex characters ('' when the file cannot be read).
	 */
	private static function source_marker( Job $job ): string {
		clearstatcache( true, $job->file_path );
		$stat = @stat( $job->file_path ); // phpcs:ignore Generic.PHP.NoSilencedErrors,WordPress.PHP.NoSilencedErrors -- a missing file fails the upload with its own error.
		return false === $stat ? '' : substr( hash( 'sha256', $job->id . "\n" . $job->file_path . "\n" . $stat['size'] . "\n" . $stat['mtime'] ), 0, 32 );
	}

	/**
	 * The object an earlier attempt of this job already stored under $key, if any. An attempt can store
	 * the object and stop before recording it (database down, PHP request killed, lease lost while the
	 * sidecar went on): the next attempt records that object instead of writing the same bytes again.
	 * Only asked on a retry with a key stored by an earlier attempt; any doubt means upload again.
	 *
	 * @param Job                  $job         Job.
	 * @param array<string, mixed> $upload_args The upload-file arguments of this attempt.
	 * @param string               $key         Object key.
	 * @return array<string, mixed>|null A result shaped like upload-file's, or null to upload.
	 */
	private function already_stored( Job $job, array $upload_args, string $key ): ?array {
		$marker = $upload_args['metadata']['wps3-source'] ?? '';
		if ( $job->attempts < 2 || '' === $job->stored_key() || ! is_string( $marker ) || '' === $marker || ( $upload_args['key'] ?? '' ) !== $key ) {
			return null;
		}
		$head = \WPS3\Sidecar\Client::instance()->call(
			'head-object',
			array(
				'storage'     => $upload_args['storage'] ?? array(),
				'credentials' => $upload_args['credentials'] ?? array(),
				'key'         => $key,
			)
		);
		if ( ! is_array( $head ) || empty( $head['exists'] ) || ( $head['metadata']['wps3-source'] ?? null ) !== $marker
			|| (int) ( $head['size'] ?? -1 ) !== (int) @filesize( $job->file_path ) ) { // phpcs:ignore Generic.PHP.NoSilencedErrors,WordPress.PHP.NoSilencedErrors -- see source_marker().
			return null;
		}
		return array(
			'key'  => $key,
			'size' => (int) $head['size'],
			'etag' => (string) ( $head['etag'] ?? '' ),
		);
	}

	/**
	 * The backup row of a finished upload.
	 *
	 * @param Job                  $job         Job.
	 * @param array<string, mixed> $storage     Storage the upload went to.
	 * @param string               $provider_id Provider id.
	 * @param string               $key         Object key.
	 * @param array<string, mixed> $result      The sidecar's `upload-file` result.
	 * @return array<string, mixed>
	 */
	private function backup_row( Job $job, array $storage, string $provider_id, string $key, array $result ): array {
		$size = isset( $result['size'] ) ? (int) $result['size'] : (int) @filesize( $job->file_path ); // phpcs:ignore Generic.PHP.NoSilencedErrors,WordPress.PHP.NoSilencedErrors -- a file gone since the upload just has no size.
		return array(
			'document_id' => $job->document_id,
			'provider'    => (string) ( $storage['provider'] ?? $provider_id ),
			'endpoint'    => isset( $storage['endpoint'] ) && is_string( $storage['endpoint'] ) ? $storage['endpoint'] : '',
			'region'      => isset( $storage['region'] ) && is_string( $storage['region'] ) ? $storage['region'] : '',
			'bucket'      => isset( $result['bucket'] ) ? (string) $result['bucket'] : (string) ( $storage['bucket'] ?? '' ),
			'object_key'  => isset( $result['key'] ) ? (string) $result['key'] : $key,
			'size'        => $size,
			'etag'        => isset( $result['etag'] ) ? trim( (string) $result['etag'], '"' ) : '',
			'uploaded_at' => gmdate( 'Y-m-d H:i:s' ),
		);
	}

	/**
	 * Marks the job done and records its backup, if this worker still owns it; then fires
	 * `wps_s3_uploaded`, exactly once per document.
	 *
	 * @param Job                  $job    Job.
	 * @param string               $token  Lease token.
	 * @param array<string, mixed> $backup Backup row.
	 * @return string DONE, or RETRY when the job was not ours any more or could not be recorded.
	 */
	private function finalize( Job $job, #[\SensitiveParameter] string $token, array $backup ): string {
		$committed = $this->store->finalize( $job->id, $token, $backup );
		if ( is_string( $committed ) ) {
			$this->fail(
				$job,
				$token,
				Errors::make(
					'DB_ERROR',
					/* translators: %s: database error */
					sprintf( __( 'The backup was uploaded but could not be recorded: %s', 'wps3' ), $committed ),
					array( 'retry' => Errors::RETRY_BACKOFF )
				)
			);
			return self::RETRY;
		}
		if ( true !== $committed ) {
			return self::RETRY;
		}
		/**
		 * Fires once per document after its backup was uploaded and recorded.
		 *
		 * @param string $document_id Document id.
		 * @param string $key         Object key in the bucket.
		 * @param string $provider_id Provider id: amazon_s3, wasabi, cloudflare_r2 or custom.
		 */
		do_action( 'wps_s3_uploaded', $job->document_id, (string) $backup['object_key'], Settings::instance()->get( 'provider' ) );
		return self::DONE;
	}

	/**
	 * Records a failure: another attempt later when the policy says so, failed otherwise.
	 *
	 * @param Job       $job   Job as claimed.
	 * @param string    $token Lease token.
	 * @param \WP_Error $error Failure.
	 * @return string RETRY or FAILED (RETRY also when another worker took the job over: its outcome, not ours).
	 */
	private function fail( Job $job, #[\SensitiveParameter] string $token, \WP_Error $error ): string {
		$attempts = max( 1, $job->attempts ); // The claim counted this attempt.
		$code     = (string) Errors::field( $error, 'code', $error->get_error_code() );
		$cause    = (string) Errors::field( $error, 'cause', $error->get_error_message() );
		$fix      = (string) Errors::field( $error, 'fix', '' );
		// A key the storage or the core refused is computed again (with a fixed filter) on the next attempt.
		$clear_key = 'INVALID_KEY' === $code;
		$retry     = $this->policy->decide( $error, $attempts );

		if ( Errors::RETRY_NEVER !== $retry ) {
			$delay = $this->policy->delay( $attempts, $error, $retry );
			$next  = time() + $delay;
			if ( ! $this->store->release( $job->id, $token, Release::retry_at( $attempts, $next, $code, $cause, $fix, $clear_key ) ) ) {
				return self::RETRY;
			}
			( $this->schedule )( $next );
			/**
			 * Fires when a backup failed with a retryable error and was rescheduled.
			 *
			 * @param string    $document_id Document id.
			 * @param \WP_Error $error       Failure (data: code, cause, fix, retry, retryable, adviceId).
			 * @param int       $attempts    Failed attempts so far.
			 * @param int       $delay       Seconds until the next attempt.
			 */
			do_action( 'wps3_backup_retry_scheduled', $job->document_id, $error, $attempts, $delay );
			return self::RETRY;
		}

		if ( ! $this->store->release( $job->id, $token, Release::failed( $attempts, $code, $cause, $fix, $clear_key ) ) ) {
			return self::RETRY;
		}
		/**
		 * Fires when a backup failed permanently (it stays in the list with a Retry button).
		 *
		 * @param string    $document_id Document id.
		 * @param \WP_Error $error       Failure (data: code, cause, fix, retry, retryable, adviceId).
		 * @param array     $job         Job row before the failure.
		 */
		do_action( 'wps3_backup_failed', $job->document_id, $error, $job->row() );
		return self::FAILED;
	}
}
