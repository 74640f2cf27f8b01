<?php
/**
 * Upload intents: what a user was allowed to upload, until it is confirmed or cleaned up. SQL only.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names come from $wpdb->prefix.

/**
 * Rows of `{prefix}wps3_intents`. Status: pending → (completed, for multipart) → confirmed | rejected |
 * aborted | cleaned.
 */
final class IntentStore {

	/**
	 * Table name.
	 *
	 * @return string
	 */
	private static function table(): string {
		return Schema::tables()['intents'];
	}

	/**
	 * Records an intent.
	 *
	 * @param array $row user_id, object_key, bucket, filename, content_type, size, max_size, shape, upload_id?, expires_at.
	 * @return int|\WP_Error Intent id.
	 */
	public static function create( array $row ) {
		global $wpdb;
		$upload_id = isset( $row['upload_id'] ) && '' !== $row['upload_id'] ? (string) $row['upload_id'] : null;
		$data      = array(
			'user_id'        => (int) $row['user_id'],
			'object_key'     => (string) $row['object_key'],
			'key_hash'       => hash( 'sha256', (string) $row['object_key'] ),
			'bucket'         => (string) $row['bucket'],
			'filename'       => (string) $row['filename'],
			'content_type'   => (string) $row['content_type'],
			'size'           => (int) $row['size'],
			'max_size'       => (int) $row['max_size'],
			'shape'          => (string) $row['shape'],
			'upload_id'      => $upload_id,
			'upload_id_hash' => null === $upload_id ? null : hash( 'sha256', $upload_id ),
			'status'         => 'pending',
			'expires_at'     => (int) $row['expires_at'],
			'created_at'     => time(),
		);
		if ( false === $wpdb->insert( self::table(), $data ) ) {
			return new \WP_Error( 'wps3_db_error', __( 'The upload could not be recorded.', 'wps3' ), array( 'status' => 500 ) );
		}
		return (int) $wpdb->insert_id;
	}

	/**
	 * The user's intent for a key (null for a missing key or someone else's).
	 *
	 * @param int    $user_id User.
	 * @param string $key     Object key.
	 * @return array|null
	 */
	public static function find_by_key( int $user_id, string $key ): ?array {
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM ' . self::table() . ' WHERE key_hash = %s AND user_id = %d', hash( 'sha256', $key ), $user_id ), ARRAY_A );
		return is_array( $row ) && hash_equals( (string) $row['object_key'], $key ) ? $row : null;
	}

	/**
	 * The user's intent for a multipart upload id (null for a missing id or someone else's).
	 *
	 * @param int    $user_id   User.
	 * @param string $upload_id Upload id.
	 * @return array|null
	 */
	public static function find_by_upload_id( int $user_id, string $upload_id ): ?array {
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM ' . self::table() . ' WHERE upload_id_hash = %s AND user_id = %d', hash( 'sha256', $upload_id ), $user_id ), ARRAY_A );
		return is_array( $row ) && hash_equals( (string) $row['upload_id'], $upload_id ) ? $row : null;
	}

	/**
	 * Moves an intent from one status to another; false when it was no longer in `$from` (a concurrent request won).
	 *
	 * @param int      $id     Intent id.
	 * @param string[] $from   Statuses it may be in.
	 * @param string   $to     New status.
	 * @param int|null $file_id File id to record.
	 * @return bool
	 */
	public static function transition( int $id, array $from, string $to, ?int $file_id = null ): bool {
		global $wpdb;
		$in  = implode( ',', array_fill( 0, count( $from ), '%s' ) );
		$set = null === $file_id ? '' : $wpdb->prepare( ', file_id = %d', $file_id );
		$sql = $wpdb->prepare( 'UPDATE ' . self::table() . " SET status = %s{$set} WHERE id = %d AND status IN ($in)", array_merge( array( $to, $id ), $from ) ); // phpcs:ignore WordPress.DB.PreparedSQLPlaceholders
		return 1 === (int) $wpdb->query( $sql ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- prepared above.
	}

	/**
	 * Intents past expiry + grace that never got confirmed (pending or completed), oldest first.
	 *
	 * @param int $before Unix time: intents expiring before it.
	 * @param int $limit  Rows.
	 * @return array[]
	 */
	public static function expired( int $before, int $limit = 100 ): array {
		global $wpdb;
		return (array) $wpdb->get_results( $wpdb->prepare( 'SELECT * FROM ' . self::table() . " WHERE status IN ('pending','completed') AND expires_at < %d ORDER BY expires_at ASC LIMIT %d", $before, $limit ), ARRAY_A );
	}

	/**
	 * One intent by id (tests, cleanup).
	 *
	 * @param int $id Intent id.
	 * @return array|null
	 */
	public static function get( int $id ): ?array {
		global $wpdb;
		$row = $wpdb->get_row( $wpdb->prepare( 'SELECT * FROM ' . self::table() . ' WHERE id = %d', $id ), ARRAY_A );
		return is_array( $row ) ? $row : null;
	}
}
