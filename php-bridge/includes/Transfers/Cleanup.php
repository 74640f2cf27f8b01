<?php
/**
 * Removes what unconfirmed uploads left in the bucket, after their expiry plus a grace period.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Hourly cron job. A bucket lifecycle rule (AbortIncompleteMultipartUpload, expiry under `uploads/`) backs it up
 * for sites whose cron does not run.
 */
final class Cleanup {

	/** Cron hook. */
	const HOOK = 'wps3_transfers_cleanup';

	/**
	 * Schedules the hourly run when it is missing.
	 *
	 * @return void
	 */
	public static function schedule(): void {
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'hourly', self::HOOK );
		}
	}

	/**
	 * Deletes the object and aborts the multipart upload of each intent past expiry + grace.
	 *
	 * @param int|null $now Unix time (tests).
	 * @return array{cleaned:int,failed:int}
	 */
	public static function run( ?int $now = null ): array {
		$now   = $now ?? time();
		$stats = array(
			'cleaned' => 0,
			'failed'  => 0,
		);
		foreach ( IntentStore::expired( $now - Config::cleanup_grace() ) as $intent ) {
			$ok = true;
			if ( ! empty( $intent['upload_id'] ) && 'pending' === $intent['status'] ) {
				$aborted = Storage::s3(
					'abort_multipart_upload',
					array(
						'key'      => $intent['object_key'],
						'uploadId' => $intent['upload_id'],
					),
					(string) $intent['bucket']
				);
				// NoSuchUpload: already aborted or completed; the DELETE below removes a completed object.
				$ok = ! is_wp_error( $aborted ) || 'NoSuchUpload' === ( $aborted->get_error_data()['code'] ?? '' ) || 'NoSuchUpload' === ( $aborted->get_error_data()['s3Code'] ?? '' );
			}
			$deleted = Storage::delete( (string) $intent['object_key'], (string) $intent['bucket'] );
			if ( $ok && ! is_wp_error( $deleted ) && IntentStore::transition( (int) $intent['id'], array( 'pending', 'completed' ), 'cleaned' ) ) {
				++$stats['cleaned'];
			} else {
				++$stats['failed']; // Tried again on the next run.
			}
		}
		return $stats;
	}
}
