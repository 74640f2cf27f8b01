<?php
/**
 * SQL of the backup queue: `{prefix}wps3_jobs` and `{prefix}wps3_backups` of the current site.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

defined( 'ABSPATH' ) || exit;

// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the plugin's own tables; names come from the site prefix, values go through prepare().

/**
 * Reads and writes jobs and backups. No policy: callers decide what to write, this class only makes
 * each write atomic and conditional on the lease where it must be.
 */
final class JobStore {

	/**
	 * Table names of the current site (read on every call: switch_to_blog() changes them).
	 *
	 * @return array{jobs: string, backups: string}
	 */
	private function tables(): array {
		return \WPS3\Install\Schema::tables();
	}

	/**
	 * Current UTC time as a MySQL datetime.
	 *
	 * @return string
	 */
	private static function now_mysql(): string {
		return gmdate( 'Y-m-d H:i:s' );
	}

	/**
	 * The WordPress database.
	 *
	 * @return \wpdb
	 */
	private function db(): \wpdb {
		global $wpdb;
		return $wpdb;
	}

	/**
	 * Inserts a pending job unless the document already has one.
	 *
	 * @param array<string, mixed> $document Normalized document (id, title, path, …).
	 * @param string               $json     The document as stored.
	 * @param int                  $due      Unix time of the first attempt.
	 * @return int|null 1 inserted, 0 already queued, null on a database error.
	 */
	public function insert( array $document, string $json, int $due ): ?int {
		$now  = self::now_mysql();
		$rows = $this->db()->query(
			$this->db()->prepare(
				"INSERT IGNORE INTO {$this->tables()['jobs']} (document_id, file_path, title, document, status, attempts, next_attempt_at, created_at, updated_at) VALUES (%s, %s, %s, %s, 'pending', 0, %d, %s, %s)",
				(string) $document['id'],
				(string) $document['path'],
				(string) $document['title'],
				$json,
				$due,
				$now,
				$now
			)
		);
		return false === $rows ? null : (int) $rows;
	}

	/**
	 * The last database error message.
	 *
	 * @return string
	 */
	public function last_error(): string {
		return (string) $this->db()->last_error;
	}

	/**
	 * Id of a document's job (0 when there is none).
	 *
	 * @param string $document_id Document id.
	 * @return int
	 */
	public function id_for_document( string $document_id ): int {
		return (int) $this->db()->get_var( $this->db()->prepare( "SELECT id FROM {$this->tables()['jobs']} WHERE document_id = %s", $document_id ) );
	}

	/**
	 * Starts a failed job over with a new path and title; its key is rendered again. Jobs in any other
	 * status are left alone.
	 *
	 * @param int                  $id       Job id.
	 * @param array<string, mixed> $document Normalized document.
	 * @param string               $json     The document as stored.
	 * @param int                  $due      Unix time of the next attempt.
	 * @return bool Whether the job was failed and is pending now.
	 */
	public function restart_failed( int $id, array $document, string $json, int $due ): bool {
		$rows = $this->db()->query(
			$this->db()->prepare(
				"UPDATE {$this->tables()['jobs']} SET file_path = %s, title = %s, document = %s, status = 'pending', attempts = 0, next_attempt_at = %d, locked_by = NULL, locked_until = NULL, object_key = NULL, last_error_code = NULL, last_error_cause = NULL, last_error_fix = NULL, updated_at = %s WHERE id = %d AND status = 'failed'",
				(string) $document['path'],
				(string) $document['title'],
				$json,
				$due,
				self::now_mysql(),
				$id
			)
		);
		return 1 === (int) $rows;
	}

	/**
	 * Puts a failed or pending job back at the front of the queue, with a fresh attempt budget and no
	 * stored key.
	 *
	 * @param int $id  Job id.
	 * @param int $due Unix time of the next attempt.
	 * @return bool Whether a job was reset.
	 */
	public function reset_for_retry( int $id, int $due ): bool {
		$rows = $this->db()->query(
			$this->db()->prepare(
				"UPDATE {$this->tables()['jobs']} SET status = 'pending', attempts = 0, next_attempt_at = %d, locked_by = NULL, locked_until = NULL, object_key = NULL, updated_at = %s WHERE id = %d AND status IN ('failed','pending')",
				$due,
				self::now_mysql(),
				$id
			)
		);
		return 1 === (int) $rows;
	}

	/**
	 * Ids of jobs that are due and not leased, oldest due first.
	 *
	 * @param int $now   Unix time.
	 * @param int $limit Rows.
	 * @return int[]
	 */
	public function due_ids( int $now, int $limit = 10 ): array {
		$ids = $this->db()->get_col(
			$this->db()->prepare(
				"SELECT id FROM {$this->tables()['jobs']} WHERE status IN ('pending','running') AND next_attempt_at <= %d AND (locked_until IS NULL OR locked_until < %d) ORDER BY next_attempt_at ASC, id ASC LIMIT %d",
				$now,
				$now,
				$limit
			)
		);
		return array_map( 'intval', (array) $ids );
	}

	/**
	 * Unix time at which the earliest unfinished job can next be claimed, or null when none is left.
	 *
	 * @return int|null
	 */
	public function next_due(): ?int {
		$next = $this->db()->get_var( "SELECT MIN(GREATEST(next_attempt_at, COALESCE(locked_until, 0))) FROM {$this->tables()['jobs']} WHERE status IN ('pending','running')" );
		return null === $next ? null : (int) $next;
	}

	/**
	 * Leases a due job to $token and counts the attempt, atomically.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lease token.
	 * @param int    $until Unix time the lease ends.
	 * @param int    $now   Unix time.
	 * @return bool Whether this worker got the job.
	 */
	public function claim( int $id, #[\SensitiveParameter] string $token, int $until, int $now ): bool {
		$rows = $this->db()->query(
			$this->db()->prepare(
				"UPDATE {$this->tables()['jobs']} SET locked_by = %s, locked_until = %d, status = 'running', attempts = attempts + 1, updated_at = %s WHERE id = %d AND status IN ('pending','running') AND next_attempt_at <= %d AND (locked_until IS NULL OR locked_until < %d)",
				$token,
				$until,
				self::now_mysql(),
				$id,
				$now,
				$now
			)
		);
		return 1 === (int) $rows;
	}

	/**
	 * Extends the lease of a running job this worker owns.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lease token.
	 * @param int    $until Unix time the lease ends.
	 * @return bool Whether the worker still owns the job (a database hiccup is not a lost lease).
	 */
	public function renew_lease( int $id, #[\SensitiveParameter] string $token, int $until ): bool {
		$table = $this->tables()['jobs'];
		$rows  = $this->db()->query( $this->db()->prepare( "UPDATE {$table} SET locked_until = %d WHERE id = %d AND locked_by = %s AND status = 'running'", $until, $id, $token ) );
		if ( false === $rows ) {
			return true;
		}
		// MariaDB counts changed rows: a renewal within the same second changes nothing, so check ownership.
		if ( 0 === (int) $rows ) {
			$owner = $this->db()->get_var( $this->db()->prepare( "SELECT locked_by FROM {$table} WHERE id = %d AND status = 'running'", $id ) );
			return $owner === $token;
		}
		return true;
	}

	/**
	 * Stores the final object key of a job this worker owns.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lease token.
	 * @param string $key   Object key.
	 * @param int    $until Lease end used to confirm ownership when the row did not change.
	 * @return bool Whether this worker still owns the job.
	 */
	public function store_key( int $id, #[\SensitiveParameter] string $token, string $key, int $until ): bool {
		$rows = $this->db()->query( $this->db()->prepare( "UPDATE {$this->tables()['jobs']} SET object_key = %s WHERE id = %d AND locked_by = %s", $key, $id, $token ) );
		return false !== $rows && ( 1 === (int) $rows || $this->renew_lease( $id, $token, $until ) );
	}

	/**
	 * Records a failed attempt and releases the lease, if $token still holds it.
	 *
	 * @param int     $id      Job id.
	 * @param string  $token   Lease token.
	 * @param Release $release What to write.
	 * @return bool Whether the row was ours and was updated (false: another worker took the job over).
	 */
	public function release( int $id, #[\SensitiveParameter] string $token, Release $release ): bool {
		$db   = $this->db();
		$next = null === $release->next_attempt_at ? '' : $db->prepare( ', next_attempt_at = %d', $release->next_attempt_at );
		$key  = $release->clear_key ? ', object_key = NULL' : '';
		$rows = $db->query(
			$db->prepare(
				"UPDATE {$this->tables()['jobs']} SET status = %s, attempts = %d{$next}{$key}, locked_by = NULL, locked_until = NULL, last_error_code = %s, last_error_cause = %s, last_error_fix = %s, updated_at = %s WHERE id = %d AND locked_by = %s",
				$release->status,
				$release->attempts,
				$release->stored_code(),
				$release->cause,
				$release->fix,
				self::now_mysql(),
				$id,
				$token
			)
		);
		return 1 === (int) $rows;
	}

	/**
	 * Marks a job done and records its backup in one transaction, if $token still holds the lease.
	 *
	 * @param int                  $id     Job id.
	 * @param string               $token  Lease token.
	 * @param array<string, mixed> $backup Backup row (document_id, provider, endpoint, region, bucket, object_key, size, etag, uploaded_at).
	 * @return bool|string True when committed, false when the job was not ours, or the database error.
	 */
	public function finalize( int $id, #[\SensitiveParameter] string $token, array $backup ): bool|string {
		$db     = $this->db();
		$tables = $this->tables();
		$db->query( 'START TRANSACTION' );
		$connection = $db->get_var( 'SELECT CONNECTION_ID()' );
		$rows       = $db->query(
			$db->prepare(
				"UPDATE {$tables['jobs']} SET status = 'done', locked_by = NULL, locked_until = NULL, last_error_code = NULL, last_error_cause = NULL, last_error_fix = NULL, updated_at = %s WHERE id = %d AND locked_by = %s AND status = 'running'",
				self::now_mysql(),
				$id,
				$token
			)
		);
		if ( 1 !== (int) $rows ) {
			$db->query( 'ROLLBACK' );
			return false;
		}
		$ok = $db->query(
			$db->prepare(
				"INSERT INTO {$tables['backups']} (document_id, provider, endpoint, region, bucket, object_key, size, etag, uploaded_at) VALUES (%s, %s, %s, %s, %s, %s, %d, %s, %s) ON DUPLICATE KEY UPDATE provider = VALUES(provider), endpoint = VALUES(endpoint), region = VALUES(region), bucket = VALUES(bucket), object_key = VALUES(object_key), size = VALUES(size), etag = VALUES(etag), uploaded_at = VALUES(uploaded_at)",
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
			$error = $this->last_error();
			$db->query( 'ROLLBACK' );
			return '' !== $error ? $error : 'unknown database error';
		}
		$commit = $db->query( 'COMMIT' );
		if ( false !== $commit && null !== $connection && $db->get_var( 'SELECT CONNECTION_ID()' ) === $connection ) {
			return true;
		}
		// The connection dropped inside the transaction (a database restart) and wpdb reconnected and ran the
		// rest again: the server rolled back what ran before the drop, and what ran after it was committed on
		// its own. Only the job row tells whether "done" was written; claiming success otherwise would fire
		// wps_s3_uploaded for a job that stays running and is uploaded and announced again later.
		$status = $db->get_var( $db->prepare( "SELECT status FROM {$tables['jobs']} WHERE id = %d AND locked_by IS NULL", $id ) );
		return 'done' === $status ? true : 'the database connection was lost while the backup was being recorded';
	}

	/**
	 * A job by id.
	 *
	 * @param int $id Job id.
	 * @return Job|null
	 */
	public function job( int $id ): ?Job {
		$row = $this->row( $this->tables()['jobs'], 'id', '%d', $id );
		return null === $row ? null : Job::from_row( $row );
	}

	/**
	 * The job of a document.
	 *
	 * @param string $document_id Document id.
	 * @return Job|null
	 */
	public function job_for_document( string $document_id ): ?Job {
		$row = $this->row( $this->tables()['jobs'], 'document_id', '%s', $document_id );
		return null === $row ? null : Job::from_row( $row );
	}

	/**
	 * The backup row of a document.
	 *
	 * @param string $document_id Document id.
	 * @return array<string, mixed>|null
	 */
	public function backup_for_document( string $document_id ): ?array {
		return $this->row( $this->tables()['backups'], 'document_id', '%s', $document_id );
	}

	/**
	 * A backup row by id.
	 *
	 * @param int $id Backup id.
	 * @return array<string, mixed>|null
	 */
	public function backup( int $id ): ?array {
		return $this->row( $this->tables()['backups'], 'id', '%d', $id );
	}

	/**
	 * Ids of failed jobs whose last error has one of $codes.
	 *
	 * @param string[] $codes Error codes.
	 * @return int[]
	 */
	public function failed_ids_with( array $codes ): array {
		if ( ! $codes ) {
			return array();
		}
		$marks = implode( ',', array_fill( 0, count( $codes ), '%s' ) );
		$ids   = $this->db()->get_col( $this->db()->prepare( "SELECT id FROM {$this->tables()['jobs']} WHERE status = 'failed' AND last_error_code IN ({$marks})", ...array_values( $codes ) ) );
		return array_map( 'intval', (array) $ids );
	}

	/**
	 * One row of one of our tables by a unique column.
	 *
	 * @param string     $table       Table name (ours).
	 * @param string     $column      'id' or 'document_id' (never input).
	 * @param string     $placeholder '%d' or '%s'.
	 * @param int|string $value       Value to match.
	 * @return array<string, mixed>|null
	 */
	private function row( string $table, string $column, string $placeholder, int|string $value ): ?array {
		$row = $this->db()->get_row( $this->db()->prepare( "SELECT * FROM {$table} WHERE {$column} = {$placeholder}", $value ), ARRAY_A );
		return is_array( $row ) ? $row : null;
	}
}
