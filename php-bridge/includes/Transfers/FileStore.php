<?php
/**
 * Confirmed uploads: what a user owns in the bucket. SQL only.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names come from $wpdb->prefix.

/**
 * Rows of `{prefix}wps3_files`, one per confirmed intent.
 */
final class FileStore {

	/**
	 * Table name.
	 *
	 * @return string
	 */
	private static function table(): string {
		return Schema::tables()['files'];
	}

	/**
	 * Records the file of a confirmed intent; a second call for the same intent returns the first id.
	 *
	 * @param array  $intent   Intent row.
	 * @param string $filename Display name.
	 * @return int|\WP_Error File id.
	 */
	public static function record( array $intent, string $filename ) {
		global $wpdb;
		// INSERT IGNORE on the unique intent_id: two confirms racing get one row.
		$wpdb->query(
			$wpdb->prepare(
				'INSERT IGNORE INTO ' . self::table() . ' (intent_id, user_id, bucket, object_key, filename, content_type, size, created_at) VALUES (%d, %d, %s, %s, %s, %s, %d, %d)',
				(int) $intent['id'],
				(int) $intent['user_id'],
				(string) $intent['bucket'],
				(string) $intent['object_key'],
				$filename,
				(string) $intent['content_type'],
				(int) $intent['size'],
				time()
			)
		);
		$id = (int) $wpdb->get_var( $wpdb->prepare( 'SELECT id FROM ' . self::table() . ' WHERE intent_id = %d', (int) $intent['id'] ) );
		if ( $id <= 0 ) {
			return new \WP_Error( 'wps3_db_error', __( 'The file could not be recorded.', 'wps3' ), array( 'status' => 500 ) );
		}
		return $id;
	}

	/**
	 * One file by id.
	 *
	 * @param int $id File id.
	 * @return array|null
	 */
	public static function get( int $id ): ?array {
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM ' . self::table() . ' WHERE id = %d', $id ), ARRAY_A );
		return is_array( $row ) ? $row : null;
	}

	/**
	 * A user's files, newest first.
	 *
	 * @param int $user_id User.
	 * @param int $limit   Rows.
	 * @param int $offset  Offset.
	 * @return array[]
	 */
	public static function for_user( int $user_id, int $limit = 100, int $offset = 0 ): array {
		global $wpdb;
		return (array) $wpdb->get_results( $wpdb->prepare( 'SELECT * FROM ' . self::table() . ' WHERE user_id = %d ORDER BY created_at DESC, id DESC LIMIT %d OFFSET %d', $user_id, $limit, $offset ), ARRAY_A );
	}

	/**
	 * Deletes a row.
	 *
	 * @param int $id File id.
	 * @return bool
	 */
	public static function delete( int $id ): bool {
		global $wpdb;
		return false !== $wpdb->delete( self::table(), array( 'id' => $id ), array( '%d' ) );
	}
}
