<?php
/**
 * Multipart uploads of one user: presigned parts, the stored part list, complete and abort. Only the user's
 * own upload id is accepted; any other id gets the same 403 as one never issued.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Parts, completion and cancellation (the upload itself is issued by Uploads::begin()).
 */
final class Multipart {

	/**
	 * The user's open multipart intent, or the error to answer.
	 *
	 * @param int    $user_id   User.
	 * @param string $upload_id Upload id.
	 * @return array|\WP_Error
	 */
	private static function open_multipart( int $user_id, string $upload_id ) {
		$intent = IntentStore::find_by_upload_id( $user_id, $upload_id );
		if ( null === $intent || 'multipart' !== $intent['shape'] ) {
			return Uploads::not_yours();
		}
		if ( 'pending' !== $intent['status'] ) {
			return new \WP_Error( 'wps3_upload_gone', __( 'This upload is already completed, cancelled or expired.', 'wps3' ), array( 'status' => 409 ) );
		}
		return $intent;
	}

	/**
	 * Presigned URLs for parts of the user's own multipart upload.
	 *
	 * @param int    $user_id      User.
	 * @param string $upload_id    Upload id.
	 * @param int[]  $part_numbers Parts.
	 * @return array|\WP_Error `{ parts: [ { partNumber, url, headers, size } ], expiresAt }`.
	 */
	public static function sign_parts( int $user_id, string $upload_id, array $part_numbers ) {
		$intent = self::open_multipart( $user_id, $upload_id );
		if ( is_wp_error( $intent ) ) {
			return $intent;
		}
		return Storage::call(
			'transfer-sign-parts',
			array(
				'key'         => $intent['object_key'],
				'uploadId'    => $upload_id,
				'size'        => (int) $intent['size'],
				'partNumbers' => array_map( 'intval', $part_numbers ),
				'expiresIn'   => Config::upload_expires(),
			),
			(string) $intent['bucket']
		);
	}

	/**
	 * Parts already stored (ListParts, every page).
	 *
	 * @param array $intent Intent row.
	 * @return array[]|\WP_Error `[ { partNumber, size, etag } ]`.
	 */
	private static function stored_parts( array $intent ) {
		$parts  = array();
		$marker = null;
		for ( $page = 0; $page < 20; $page++ ) {
			$args = array(
				'key'      => $intent['object_key'],
				'uploadId' => $intent['upload_id'],
			);
			if ( null !== $marker ) {
				$args['partNumberMarker'] = $marker;
			}
			$listed = Storage::s3( 'list_parts', $args, (string) $intent['bucket'] );
			if ( is_wp_error( $listed ) ) {
				return $listed;
			}
			foreach ( (array) ( $listed['parts'] ?? array() ) as $p ) {
				$parts[] = array(
					'partNumber' => (int) ( $p['partNumber'] ?? 0 ),
					'size'       => (int) ( $p['size'] ?? 0 ),
					'etag'       => (string) ( $p['etag'] ?? '' ),
				);
			}
			if ( empty( $listed['isTruncated'] ) || empty( $listed['nextPartNumberMarker'] ) ) {
				break;
			}
			$marker = (int) $listed['nextPartNumberMarker'];
		}
		return $parts;
	}

	/**
	 * The user's open multipart intent and its stored parts.
	 *
	 * @param int    $user_id   User.
	 * @param string $upload_id Upload id.
	 * @return array|\WP_Error `array( $intent, $parts )`.
	 */
	private static function open_with_parts( int $user_id, string $upload_id ) {
		$intent = self::open_multipart( $user_id, $upload_id );
		if ( is_wp_error( $intent ) ) {
			return $intent;
		}
		$parts = self::stored_parts( $intent );
		return is_wp_error( $parts ) ? $parts : array( $intent, $parts );
	}

	/**
	 * Parts already stored, for resuming (numbers and sizes).
	 *
	 * @param int    $user_id   User.
	 * @param string $upload_id Upload id.
	 * @return array|\WP_Error `{ parts: [ { partNumber, size } ] }`.
	 */
	public static function list_parts( int $user_id, string $upload_id ) {
		$open = self::open_with_parts( $user_id, $upload_id );
		if ( is_wp_error( $open ) ) {
			return $open;
		}
		list( , $parts ) = $open;
		return array(
			'parts' => array_map(
				static fn ( $p ) => array(
					'partNumber' => $p['partNumber'],
					'size'       => $p['size'],
				),
				$parts
			),
		);
	}

	/**
	 * Completes the user's multipart upload from the stored part list (the core checks it covers the file).
	 *
	 * @param int    $user_id   User.
	 * @param string $upload_id Upload id.
	 * @return array|\WP_Error `{ key }`.
	 */
	public static function complete( int $user_id, string $upload_id ) {
		$open = self::open_with_parts( $user_id, $upload_id );
		if ( is_wp_error( $open ) ) {
			return $open;
		}
		list( $intent, $parts ) = $open;
		$checked                = Storage::pure(
			'transfer-completion-parts',
			array(
				'size'  => (int) $intent['size'],
				'parts' => $parts,
			)
		);
		if ( is_wp_error( $checked ) ) {
			return new \WP_Error( 'wps3_upload_incomplete', $checked->get_error_message(), array( 'status' => 409 ) );
		}
		$done = Storage::s3(
			'complete_multipart_upload',
			array(
				'key'      => $intent['object_key'],
				'uploadId' => $upload_id,
				'parts'    => $checked['parts'],
			),
			(string) $intent['bucket']
		);
		if ( is_wp_error( $done ) ) {
			return $done;
		}
		IntentStore::transition( (int) $intent['id'], array( 'pending' ), 'completed' );
		return array( 'key' => $intent['object_key'] );
	}

	/**
	 * Cancels the user's multipart upload: aborted on storage, so no parts stay behind.
	 *
	 * @param int    $user_id   User.
	 * @param string $upload_id Upload id.
	 * @return array|\WP_Error `{ aborted: true }`.
	 */
	public static function abort( int $user_id, string $upload_id ) {
		$intent = self::open_multipart( $user_id, $upload_id );
		if ( is_wp_error( $intent ) ) {
			return $intent;
		}
		$aborted = Storage::s3(
			'abort_multipart_upload',
			array(
				'key'      => $intent['object_key'],
				'uploadId' => $upload_id,
			),
			(string) $intent['bucket']
		);
		if ( is_wp_error( $aborted ) ) {
			return $aborted;
		}
		IntentStore::transition( (int) $intent['id'], array( 'pending' ), 'aborted' );
		return array( 'aborted' => true );
	}
}
