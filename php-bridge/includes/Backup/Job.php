<?php
/**
 * A backup job as stored in `{prefix}wps3_jobs`.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

defined( 'ABSPATH' ) || exit;

/**
 * Immutable view of one job row, typed.
 */
final class Job {

	public const PENDING = 'pending';
	public const RUNNING = 'running';
	public const DONE    = 'done';
	public const FAILED  = 'failed';

	/**
	 * Builds a job from its fields; use from_row() for database rows.
	 *
	 * @param int                  $id              Job id.
	 * @param string               $document_id     Host document id (case-sensitive).
	 * @param string               $file_path       Absolute path of the signed PDF.
	 * @param string               $title           Document title.
	 * @param array<string, mixed> $document        The host document as queued (scalar fields).
	 * @param string               $status          pending, running, done or failed.
	 * @param int                  $attempts        Claims so far (each claim counts as an attempt).
	 * @param int                  $next_attempt_at Unix time before which the job is not claimed.
	 * @param string|null          $locked_by       Lease token of the worker that owns the job.
	 * @param int|null             $locked_until    Unix time the lease ends.
	 * @param string|null          $object_key      Final object key, stored on the first attempt.
	 * @param string|null          $last_error_code Code of the last failure.
	 * @param string|null          $last_error_cause Cause of the last failure.
	 * @param string|null          $last_error_fix  Fix of the last failure.
	 * @param array<string, mixed> $row             The row as the database returned it.
	 */
	public function __construct(
		public readonly int $id,
		public readonly string $document_id,
		public readonly string $file_path,
		public readonly string $title,
		public readonly array $document,
		public readonly string $status,
		public readonly int $attempts,
		public readonly int $next_attempt_at,
		public readonly ?string $locked_by,
		public readonly ?int $locked_until,
		public readonly ?string $object_key,
		public readonly ?string $last_error_code,
		public readonly ?string $last_error_cause,
		public readonly ?string $last_error_fix,
		private readonly array $row = array()
	) {
	}

	/**
	 * A job from a database row (`SELECT *`).
	 *
	 * @param array<string, mixed> $row Row.
	 * @return self
	 */
	public static function from_row( array $row ): self {
		$document = json_decode( (string) ( $row['document'] ?? '' ), true );
		return new self(
			id: (int) ( $row['id'] ?? 0 ),
			document_id: (string) ( $row['document_id'] ?? '' ),
			file_path: (string) ( $row['file_path'] ?? '' ),
			title: (string) ( $row['title'] ?? '' ),
			document: is_array( $document ) ? $document : array(),
			status: (string) ( $row['status'] ?? self::PENDING ),
			attempts: (int) ( $row['attempts'] ?? 0 ),
			next_attempt_at: (int) ( $row['next_attempt_at'] ?? 0 ),
			locked_by: self::nullable_string( $row['locked_by'] ?? null ),
			locked_until: isset( $row['locked_until'] ) ? (int) $row['locked_until'] : null,
			object_key: self::nullable_string( $row['object_key'] ?? null ),
			last_error_code: self::nullable_string( $row['last_error_code'] ?? null ),
			last_error_cause: self::nullable_string( $row['last_error_cause'] ?? null ),
			last_error_fix: self::nullable_string( $row['last_error_fix'] ?? null ),
			row: $row
		);
	}

	/**
	 * The row as read from the database (what hooks such as `wps3_backup_failed` receive).
	 *
	 * @return array<string, mixed>
	 */
	public function row(): array {
		return $this->row;
	}

	/**
	 * Whether the worker holding $token owns this job.
	 *
	 * @param string $token Lease token.
	 * @return bool
	 */
	public function is_locked_by( #[\SensitiveParameter] string $token ): bool {
		return null !== $this->locked_by && hash_equals( $this->locked_by, $token );
	}

	/**
	 * The key stored by an earlier attempt, or '' when the key is still to be rendered.
	 *
	 * @return string
	 */
	public function stored_key(): string {
		return (string) $this->object_key;
	}

	/**
	 * The host document handed to filters: the queued fields, with the job's current id, title and path.
	 *
	 * @return array<string, mixed>
	 */
	public function host_document(): array {
		return array_merge(
			$this->document,
			array(
				'id'     => $this->document_id,
				'title'  => $this->title,
				'status' => 'completed',
				'path'   => $this->file_path,
			)
		);
	}

	/**
	 * Whether something will happen to the job within $seconds (an upload runs, or an attempt is due).
	 *
	 * @param int $now     Unix time.
	 * @param int $seconds Window.
	 * @return bool
	 */
	public function is_active_within( int $now, int $seconds ): bool {
		return self::RUNNING === $this->status || ( self::PENDING === $this->status && $this->next_attempt_at <= $now + $seconds );
	}

	/**
	 * A string column that may be NULL.
	 *
	 * @param mixed $value Column value.
	 * @return string|null
	 */
	private static function nullable_string( $value ): ?string {
		return null === $value ? null : (string) $value;
	}
}
