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
 * aborts those this job can have started.
 */
final class StaleUploads {

	/**
	 * Seconds the storage's clock may run behind ours when it stamps an upload's initiation.
	 */
	private const CLOCK_TOLERANCE = 300;

	/**
	 * Aborts the open multipart uploads of exactly $key that were initiated after $since (when the job was
	 * queued): an older upload of the same key belongs to someone else (a staging copy of the site on the
	 * same bucket, another job a key filter sent there). Best effort: storage that refuses the listing (an
	 * IAM policy without s3:ListBucketMultipartUploads) or an abort leaves them to the bucket's lifecycle
	 * rule, and the backup goes on.
	 *
	 * @param array<string, mixed> $storage     Storage.
	 * @param array<string, mixed> $credentials Credentials.
	 * @param string               $key         Object key.
	 * @param int                  $since       Unix time the job was queued.
	 * @return int|\WP_Error Uploads aborted, or why the open uploads could not be listed.
	 */
	public function abort_for( array $storage, #[\SensitiveParameter] array $credentials, string $key, int $since ): int|\WP_Error {
		$client = Client::instance();
		$base   = array(
			'storage'     => $storage,
			'credentials' => $credentials,
		);
		// One page (up to 1000 uploads of keys starting with this one) is far more than one job leaves.
		$listed = $client->call( 's3', $base + array( 'action' => 'list_multipart_uploads', 'args' => array( 'prefix' => $key ) ) );
		if ( is_wp_error( $listed ) ) {
			return $listed;
		}
		$aborted = 0;
		foreach ( (array) ( $listed['uploads'] ?? array() ) as $upload ) {
			// The prefix also matches longer keys ("a.pdf" lists "a.pdf.bak"): only this key's uploads.
			if ( ! is_array( $upload ) || ( $upload['key'] ?? null ) !== $key || ! is_string( $upload['uploadId'] ?? null ) ) {
				continue;
			}
			$initiated = is_string( $upload['initiated'] ?? null ) ? strtotime( $upload['initiated'] ) : false;
			if ( false === $initiated || $initiated < $since - self::CLOCK_TOLERANCE ) {
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
		return $aborted;
	}
}
