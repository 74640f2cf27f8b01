<?php
/**
 * Reads behind the backups list: one page of jobs with their backups, and counts per status.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

defined( 'ABSPATH' ) || exit;

// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the plugin's own tables; names come from the site prefix, the ORDER BY from JobQuery's whitelist, values go through prepare().

/**
 * SQL for the admin list (read-only; JobStore does every write).
 */
final class JobListing {

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
	 * One page of jobs with their backup rows.
	 *
	 * @param JobQuery $query Filter, order and page.
	 * @return array<int, array<string, mixed>> Job columns plus backup_id, provider, bucket, object_key, size, etag, uploaded_at.
	 */
	public function list( JobQuery $query ): array {
		$tables = \WPS3\Install\Schema::tables();
		$where  = '' === $query->status ? '' : $this->db()->prepare( 'WHERE j.status = %s', $query->status );
		return (array) $this->db()->get_results(
			$this->db()->prepare(
				"SELECT j.*, b.id AS backup_id, b.provider, b.bucket, b.object_key, b.size, b.etag, b.uploaded_at FROM {$tables['jobs']} j LEFT JOIN {$tables['backups']} b ON b.document_id = j.document_id {$where} ORDER BY {$query->order_sql()} LIMIT %d OFFSET %d",
				$query->per_page,
				$query->offset()
			),
			ARRAY_A
		);
	}

	/**
	 * Number of jobs the query's filter matches (all pages).
	 *
	 * @param JobQuery $query Filter.
	 * @return int
	 */
	public function total( JobQuery $query ): int {
		$counts = $this->counts();
		return '' === $query->status ? array_sum( $counts ) : (int) ( $counts[ $query->status ] ?? 0 );
	}

	/**
	 * Jobs per status (every status present, 0 when none).
	 *
	 * @return array<string, int>
	 */
	public function counts(): array {
		$out   = array_fill_keys( JobQuery::STATUSES, 0 );
		$db    = $this->db();
		$table = \WPS3\Install\Schema::tables()['jobs'];
		$db->suppress_errors( true );
		$rows = $db->get_results( "SELECT status, COUNT(*) AS n FROM {$table} GROUP BY status", ARRAY_A );
		$db->suppress_errors( false );
		foreach ( (array) $rows as $row ) {
			$out[ (string) $row['status'] ] = (int) $row['n'];
		}
		return $out;
	}
}
