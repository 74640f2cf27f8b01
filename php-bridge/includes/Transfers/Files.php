<?php
/**
 * A user's confirmed files: listing, download links and deletion, with one ownership rule.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Answers "may this user touch this file" once, and acts on the answer.
 */
final class Files {

	/**
	 * Whether the user may download or delete the file: its owner, or an admin (`manage_options`); filterable.
	 *
	 * @param array  $file    File row.
	 * @param int    $user_id User.
	 * @param string $action  `download` or `delete`.
	 * @return bool
	 */
	public static function can_access( array $file, int $user_id, string $action ): bool {
		$allowed = $user_id > 0 && ( (int) $file['user_id'] === $user_id || user_can( $user_id, 'manage_options' ) );
		/**
		 * Filters whether a user may download or delete an uploaded file.
		 *
		 * @param bool   $allowed Default: the owner, or a user with manage_options.
		 * @param array  $file    File row (id, user_id, bucket, object_key, filename, content_type, size, created_at).
		 * @param int    $user_id User asking.
		 * @param string $action  'download' or 'delete'.
		 */
		return true === apply_filters( 'wps3_can_access_file', $allowed, $file, $user_id, $action );
	}

	/**
	 * One answer for a missing id and a file the user may not see, so ids reveal nothing.
	 *
	 * @return \WP_Error
	 */
	public static function not_found(): \WP_Error {
		return new \WP_Error( 'wps3_file_not_found', __( 'No such file.', 'wps3' ), array( 'status' => 404 ) );
	}

	/**
	 * The file if the user may act on it.
	 *
	 * @param int    $file_id File id.
	 * @param int    $user_id User.
	 * @param string $action  `download` or `delete`.
	 * @return array|\WP_Error
	 */
	private static function accessible( int $file_id, int $user_id, string $action ) {
		$file = $file_id > 0 ? FileStore::get( $file_id ) : null;
		return null !== $file && self::can_access( $file, $user_id, $action ) ? $file : self::not_found();
	}

	/**
	 * A presigned GET that saves under the original name.
	 *
	 * @param int $file_id File id.
	 * @param int $user_id User.
	 * @return array|\WP_Error `{ url, expiresAt }`.
	 */
	public static function download_url( int $file_id, int $user_id ) {
		$file = self::accessible( $file_id, $user_id, 'download' );
		if ( is_wp_error( $file ) ) {
			return $file;
		}
		return Storage::call(
			'transfer-download',
			array(
				'key'       => $file['object_key'],
				'filename'  => $file['filename'],
				'expiresIn' => Config::download_expires(),
			),
			(string) $file['bucket']
		);
	}

	/**
	 * Deletes the object, then the row (a row without its object would be a dead link).
	 *
	 * @param int $file_id File id.
	 * @param int $user_id User.
	 * @return array|\WP_Error `{ deleted: true }`.
	 */
	public static function delete( int $file_id, int $user_id ) {
		$file = self::accessible( $file_id, $user_id, 'delete' );
		if ( is_wp_error( $file ) ) {
			return $file;
		}
		$gone = Storage::delete( (string) $file['object_key'], (string) $file['bucket'] );
		if ( is_wp_error( $gone ) ) {
			return $gone;
		}
		FileStore::delete( $file_id );
		return array( 'deleted' => true );
	}

	/**
	 * The user's own files, for the list.
	 *
	 * @param int $user_id User.
	 * @return array[]
	 */
	public static function listing( int $user_id ): array {
		return array_map(
			static fn ( $f ) => array(
				'id'           => (int) $f['id'],
				'filename'     => (string) $f['filename'],
				'content_type' => (string) $f['content_type'],
				'size'         => (int) $f['size'],
				'created_at'   => gmdate( 'Y-m-d\TH:i:s\Z', (int) $f['created_at'] ),
			),
			FileStore::for_user( $user_id )
		);
	}
}
