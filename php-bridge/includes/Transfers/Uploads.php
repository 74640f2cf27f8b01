<?php
/**
 * Upload intents from issue to confirmation, single-request and multipart.
 *
 * Every rule (key, safe name, allowed type and size, POST policy conditions, part layout, whether the stored
 * object matches) is the core's, reached through sidecar ops; this class keeps the records and decides who
 * may touch which intent.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Issues and confirms uploads for one user at a time (multipart parts: Multipart).
 */
final class Uploads {

	/**
	 * Issues an upload: checks the request in the core, records the intent, returns what the browser sends.
	 *
	 * @param int    $user_id   Uploader.
	 * @param string $filename  File name.
	 * @param string $mime_type Declared type.
	 * @param int    $size      Declared size.
	 * @param string $resume    Upload id of a multipart upload to resume ('' = new).
	 * @return array|\WP_Error
	 */
	public static function begin( int $user_id, string $filename, string $mime_type, int $size, string $resume = '' ) {
		if ( ! Config::uploads_enabled() ) {
			return new \WP_Error( 'wps3_uploads_disabled', __( 'Uploads are turned off on this site. An administrator can turn on direct uploads in Settings → S3 Backups.', 'wps3' ), array( 'status' => 403 ) );
		}
		if ( '' !== $resume ) {
			return self::resume( $user_id, $resume, $filename, $size );
		}
		$plan = Storage::call(
			'transfer-upload',
			array(
				'userId'             => $user_id,
				'random'             => bin2hex( random_bytes( 8 ) ),
				'filename'           => $filename,
				'contentType'        => $mime_type,
				'size'               => $size,
				'maxSize'            => Config::max_size( $user_id ),
				'allowedTypes'       => Config::allowed_types(),
				'multipartThreshold' => Config::multipart_threshold(),
				'forcePut'           => Config::force_put(),
				'expiresIn'          => Config::upload_expires(),
			)
		);
		if ( is_wp_error( $plan ) ) {
			return $plan;
		}
		if ( empty( $plan['ok'] ) ) {
			return self::rejected( (array) ( $plan['errors'] ?? array() ) );
		}
		$upload_id = '';
		$expires   = (int) strtotime( (string) $plan['expiresAt'] );
		if ( 'multipart' === $plan['shape'] ) {
			$created = Storage::s3(
				'create_multipart_upload',
				array(
					'key'         => $plan['key'],
					'contentType' => $plan['contentType'],
				)
			);
			if ( is_wp_error( $created ) ) {
				return $created;
			}
			$upload_id = (string) ( $created['uploadId'] ?? '' );
			if ( '' === $upload_id ) {
				return new \WP_Error( 'wps3_storage_error', __( 'The storage did not start the multipart upload.', 'wps3' ), array( 'status' => 502 ) );
			}
			$expires = time() + Config::multipart_expires();
		}
		$intent = IntentStore::create(
			array(
				'user_id'      => $user_id,
				'object_key'   => $plan['key'],
				'bucket'       => Storage::bucket(),
				'filename'     => $filename,
				'content_type' => $plan['contentType'],
				'size'         => $size,
				'max_size'     => (int) $plan['maxSize'],
				'shape'        => $plan['shape'],
				'upload_id'    => $upload_id,
				'expires_at'   => $expires,
			)
		);
		if ( is_wp_error( $intent ) ) {
			if ( '' !== $upload_id ) {
				Storage::s3(
					'abort_multipart_upload',
					array(
						'key'      => $plan['key'],
						'uploadId' => $upload_id,
					)
				);
			}
			return $intent;
		}
		$upload = is_array( $plan['upload'] ?? null ) ? $plan['upload'] : array();
		$out    = array(
			'shape'     => $plan['shape'],
			'method'    => $upload['method'] ?? null,
			'url'       => $upload['url'] ?? null,
			'key'       => $plan['key'],
			'uploadId'  => '' === $upload_id ? null : $upload_id,
			'expiresAt' => gmdate( 'Y-m-d\TH:i:s\Z', $expires ),
			'partSize'  => $plan['partSize'],
			'partCount' => $plan['partCount'],
		);
		if ( isset( $upload['fields'] ) ) {
			$out['fields'] = $upload['fields'];
		}
		if ( isset( $upload['headers'] ) ) {
			$out['headers'] = $upload['headers'];
		}
		return $out;
	}

	/**
	 * The user's open multipart upload of the same file, to continue after a reload.
	 *
	 * @param int    $user_id   User.
	 * @param string $upload_id Upload id the browser remembered.
	 * @param string $filename  File name.
	 * @param int    $size      Size.
	 * @return array|\WP_Error
	 */
	private static function resume( int $user_id, string $upload_id, string $filename, int $size ) {
		$intent = IntentStore::find_by_upload_id( $user_id, $upload_id );
		if ( null === $intent || 'pending' !== $intent['status'] || (int) $intent['expires_at'] < time() ) {
			return new \WP_Error( 'wps3_not_resumable', __( 'That upload cannot be resumed (it finished, was cancelled or expired). Start it again.', 'wps3' ), array( 'status' => 404 ) );
		}
		if ( (int) $intent['size'] !== $size || $intent['filename'] !== $filename ) {
			return new \WP_Error( 'wps3_not_resumable', __( 'This is not the file that upload was started with. Pick the same file, or start a new upload.', 'wps3' ), array( 'status' => 409 ) );
		}
		$layout = Storage::pure( 'transfer-part-layout', array( 'size' => $size ) );
		if ( is_wp_error( $layout ) ) {
			return $layout;
		}
		return array(
			'shape'     => 'multipart',
			'method'    => null,
			'url'       => null,
			'key'       => $intent['object_key'],
			'uploadId'  => $upload_id,
			'expiresAt' => gmdate( 'Y-m-d\TH:i:s\Z', (int) $intent['expires_at'] ),
			'partSize'  => $layout['partSize'],
			'partCount' => $layout['partCount'],
			'resumed'   => true,
		);
	}

	/**
	 * WP_Error for the core's rejections: 413 for too large, 415 for a type not accepted, else 400.
	 *
	 * @param array $errors `{ field, reason, message }` list.
	 * @return \WP_Error
	 */
	private static function rejected( array $errors ): \WP_Error {
		$status = 400;
		foreach ( $errors as $e ) {
			if ( 'too-large' === ( $e['reason'] ?? '' ) ) {
				$status = 413;
			} elseif ( 'not-allowed' === ( $e['reason'] ?? '' ) && 400 === $status ) {
				$status = 415;
			}
		}
		$messages = array_map( static fn ( $e ) => (string) ( $e['message'] ?? '' ), $errors );
		return new \WP_Error(
			'wps3_upload_rejected',
			implode( ' ', $messages ),
			array(
				'status' => $status,
				'errors' => array_map(
					static fn ( $e ) => array(
						'field'   => (string) ( $e['field'] ?? '' ),
						'reason'  => (string) ( $e['reason'] ?? '' ),
						'message' => (string) ( $e['message'] ?? '' ),
					),
					$errors
				),
			)
		);
	}

	/**
	 * The same answer for a key or upload id that was never issued and one issued to someone else.
	 *
	 * @return \WP_Error
	 */
	public static function not_yours(): \WP_Error {
		return new \WP_Error( 'wps3_not_yours', __( 'This upload was not issued to you.', 'wps3' ), array( 'status' => 403 ) );
	}

	/**
	 * Confirms an upload: HEAD through the sidecar, the core's verdict, then the file record.
	 *
	 * @param int    $user_id   User.
	 * @param string $key       Object key ('' when $upload_id is given).
	 * @param string $upload_id Multipart upload id ('' when $key is given).
	 * @param string $filename  Display name ('' = the name given at upload-url).
	 * @return array|\WP_Error `{ file_id }`.
	 */
	public static function confirm( int $user_id, string $key, string $upload_id, string $filename ) {
		$intent = '' !== $key ? IntentStore::find_by_key( $user_id, $key ) : IntentStore::find_by_upload_id( $user_id, $upload_id );
		if ( null === $intent ) {
			return self::not_yours();
		}
		if ( 'confirmed' === $intent['status'] && (int) $intent['file_id'] > 0 ) {
			return array( 'file_id' => (int) $intent['file_id'] );
		}
		if ( ! in_array( $intent['status'], array( 'pending', 'completed' ), true ) ) {
			return new \WP_Error( 'wps3_upload_gone', __( 'This upload was cancelled, rejected or expired. Upload the file again.', 'wps3' ), array( 'status' => 410 ) );
		}
		if ( 'multipart' === $intent['shape'] && 'completed' !== $intent['status'] ) {
			return new \WP_Error( 'wps3_upload_incomplete', __( 'The multipart upload is not complete yet.', 'wps3' ), array( 'status' => 409 ) );
		}
		$head = Storage::head( (string) $intent['object_key'], (string) $intent['bucket'] );
		if ( is_wp_error( $head ) ) {
			return $head;
		}
		$verdict = Storage::pure(
			'transfer-check',
			array(
				'size'        => (int) $intent['size'],
				'contentType' => (string) $intent['content_type'],
				'head'        => array(
					'exists'      => ! empty( $head['exists'] ),
					'size'        => $head['size'] ?? null,
					'contentType' => $head['contentType'] ?? null,
				),
			)
		);
		if ( is_wp_error( $verdict ) ) {
			return $verdict;
		}
		if ( 'missing' === $verdict['verdict'] ) {
			return new \WP_Error( 'wps3_not_uploaded', __( 'The file has not arrived in storage. Upload it first, then confirm.', 'wps3' ), array( 'status' => 409 ) );
		}
		if ( 'matches' !== $verdict['verdict'] ) {
			Storage::delete( (string) $intent['object_key'], (string) $intent['bucket'] );
			IntentStore::transition( (int) $intent['id'], array( 'pending', 'completed' ), 'rejected' );
			return new \WP_Error(
				'wps3_upload_mismatch',
				/* translators: %s: why the stored file does not match */
				sprintf( __( 'The uploaded file was refused and deleted: %s', 'wps3' ), (string) ( $verdict['message'] ?? '' ) ),
				array(
					'status' => 422,
					'reason' => (string) ( $verdict['reason'] ?? '' ),
				)
			);
		}
		$name    = '' !== $filename ? $filename : (string) $intent['filename'];
		$file_id = FileStore::record( $intent, $name );
		if ( is_wp_error( $file_id ) ) {
			return $file_id;
		}
		IntentStore::transition( (int) $intent['id'], array( 'pending', 'completed' ), 'confirmed', $file_id );
		/**
		 * Fires once when an uploaded file was checked and recorded.
		 *
		 * @param int   $file_id File id.
		 * @param int   $user_id Owner.
		 * @param array $intent  Intent row.
		 */
		do_action( 'wps3_file_uploaded', $file_id, $user_id, $intent );
		return array( 'file_id' => $file_id );
	}
}
