<?php
/**
 * Aborts the multipart uploads an interrupted attempt of a backup left open under its key.
 *
 * A sidecar killed mid-upload (or a PHP worker cut off while it waited) leaves its multipart upload on
 * storage: the parts stay stored, and billed, until someone completes or aborts them. The next attempt of
 * the same job knows the key, so it aborts those uploads before it starts its own.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

use WPS3\Sidecar\Client;

defined( 'ABSPATH' ) || exit;

/**
 * Lists the open multipart uploads of one key (ListMultipartUploads, built and parsed by the core) and
 * aborts each.
 */
final class StaleUploads {

	/**
	 * Pages of 1000 uploads looked at, at most (a key with more open uploads than that is not ours to sweep).
	 */
	private const MAX_PAGES = 5;

	/**
	 * Aborts every open multipart upload of exactly $key. Best effort: storage that refuses the listing
	 * (an IAM policy without s3:ListBucketMultipartUploads) or an abort leaves them to the bucket's
	 * lifecycle rule, and the backup goes on.
	 *
	 * @param array<string, mixed> $storage     Storage.
	 * @param array<string, mixed> $credentials Credentials.
	 * @param string               $key         Object key.
	 * @return int Uploads aborted.
	 */
	public function abort_for( array $storage, #[\SensitiveParameter] array $credentials, string $key ): int {
		$client  = Client::instance();
		$base    = array(
			'storage'     => $storage,
			'credentials' => $credentials,
		);
		$aborted = 0;
		$marker  = array();
		for ( $page = 0; $page < self::MAX_PAGES; ++$page ) {
			$listed = $client->call( 's3', $base + array( 'action' => 'list_multipart_uploads', 'args' => array( 'prefix' => $key ) + $marker ) );
			if ( is_wp_error( $listed ) ) {
				return $aborted;
			}
			foreach ( (array) ( $listed['uploads'] ?? array() ) as $upload ) {
				// The prefix also matches longer keys ("a.pdf" lists "a.pdf.bak"): only this key's uploads.
				if ( ! is_array( $upload ) || ( $upload['key'] ?? null ) !== $key || ! is_string( $upload['uploadId'] ?? null ) ) {
					continue;
				}
				$done = $client->call(
					's3',
					$base + array(
						'action' => 'abort_multipart_upload',
						'args'   => array(
							'key'      => $key,
							'uploadId' => $upload['uploadId'],
						),
					)
				);
				if ( ! is_wp_error( $done ) ) {
					++$aborted;
				}
			}
			if ( empty( $listed['isTruncated'] ) || ! is_string( $listed['nextKeyMarker'] ?? null ) ) {
				break;
			}
			$marker = array_filter(
				array(
					'keyMarker'      => $listed['nextKeyMarker'],
					'uploadIdMarker' => $listed['nextUploadIdMarker'] ?? null,
				),
				'is_string'
			);
		}
		return $aborted;
	}
}
