<?php
/**
 * Site policy of browser transfers, each value filterable.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Reads the limits once per call through WordPress filters, clamped to what the routes can honour.
 */
final class Config {

	/** Option holding the upload mode (`auto` or `put`). */
	const MODE_OPTION = 'wps3_upload_mode';

	/**
	 * Capability a user needs for every transfer route (default `read`: members may upload).
	 *
	 * @return string
	 */
	public static function capability(): string {
		/**
		 * Filters the capability needed to upload, list, download and delete one's files.
		 *
		 * @param string $capability Default 'read'.
		 */
		$cap = apply_filters( 'wps3_transfers_capability', 'read' );
		return is_string( $cap ) && '' !== $cap ? $cap : 'read';
	}

	/**
	 * Whether browsers may upload here: the integration page's "direct uploads" setting (it also sets up the
	 * CORS rule and the uploads IAM statement), filter `wps3_direct_uploads_enabled`.
	 *
	 * @return bool
	 */
	public static function uploads_enabled(): bool {
		return \WPS3\Rest\SettingsController::direct_uploads_enabled();
	}

	/**
	 * MIME types accepted for upload.
	 *
	 * @return string[]
	 */
	public static function allowed_types(): array {
		/**
		 * Filters the MIME types users may upload.
		 *
		 * @param string[] $types Default PDF, JPEG, PNG, GIF, WebP.
		 */
		$types = apply_filters( 'wps3_upload_mime_types', array( 'application/pdf', 'image/jpeg', 'image/png', 'image/gif', 'image/webp' ) );
		return array_values( array_filter( (array) $types, 'is_string' ) );
	}

	/**
	 * Largest upload in bytes (default 20 MB).
	 *
	 * @param int $user_id Uploader.
	 * @return int
	 */
	public static function max_size( int $user_id ): int {
		/**
		 * Filters the largest file a user may upload, in bytes.
		 *
		 * @param int $bytes   Default 20 MB (20 * 1024 * 1024).
		 * @param int $user_id Uploader.
		 */
		$bytes = (int) apply_filters( 'wps3_upload_max_size', 20 * MB_IN_BYTES, $user_id );
		return max( 1, $bytes );
	}

	/**
	 * Files above this size go multipart (default 100 MiB).
	 *
	 * @return int
	 */
	public static function multipart_threshold(): int {
		/**
		 * Filters the size above which browsers upload in parts, in bytes.
		 *
		 * @param int $bytes Default 100 MiB.
		 */
		return max( 1, (int) apply_filters( 'wps3_multipart_threshold', 100 * MB_IN_BYTES ) );
	}

	/**
	 * Whether every provider uses presigned PUT instead of POST policies (option, constant or filter).
	 *
	 * @return bool
	 */
	public static function force_put(): bool {
		$mode = defined( 'WPS3_UPLOAD_MODE' ) ? (string) WPS3_UPLOAD_MODE : (string) get_option( self::MODE_OPTION, 'auto' );
		/**
		 * Filters the upload mode: 'auto' (the provider's shape: POST policy, PUT for R2) or 'put'.
		 *
		 * @param string $mode Mode.
		 */
		return 'put' === apply_filters( 'wps3_upload_mode', $mode );
	}

	/**
	 * Lifetime of an upload policy or presigned PUT, in seconds (default 20 minutes).
	 *
	 * @return int
	 */
	public static function upload_expires(): int {
		/**
		 * Filters how long a browser has to send a file once it got its upload URL, in seconds.
		 *
		 * @param int $seconds Default 1200.
		 */
		return max( 1, min( 7 * DAY_IN_SECONDS, (int) apply_filters( 'wps3_upload_expires', 20 * MINUTE_IN_SECONDS ) ) );
	}

	/**
	 * How long a multipart upload may take before cleanup may abort it, in seconds (default 1 day).
	 *
	 * @return int
	 */
	public static function multipart_expires(): int {
		/**
		 * Filters how long a multipart upload stays open for resuming, in seconds.
		 *
		 * @param int $seconds Default one day.
		 */
		return max( 60, (int) apply_filters( 'wps3_multipart_expires', DAY_IN_SECONDS ) );
	}

	/**
	 * Extra time after an intent's expiry before cron removes it, in seconds (default 1 hour).
	 *
	 * @return int
	 */
	public static function cleanup_grace(): int {
		/**
		 * Filters the grace period after an upload intent expired before its object is deleted.
		 *
		 * @param int $seconds Default 3600.
		 */
		return max( 0, (int) apply_filters( 'wps3_intent_grace', HOUR_IN_SECONDS ) );
	}

	/**
	 * Lifetime of download links, in seconds: 1 to 60 minutes, default 15.
	 *
	 * @return int
	 */
	public static function download_expires(): int {
		/**
		 * Filters how long download links of uploaded files work, in seconds (clamped to 60..3600).
		 *
		 * @param int $seconds Default 900.
		 */
		return max( MINUTE_IN_SECONDS, min( HOUR_IN_SECONDS, (int) apply_filters( 'wps3_file_download_expires', 15 * MINUTE_IN_SECONDS ) ) );
	}

	/**
	 * Transfer requests per user per minute (default 30).
	 *
	 * @return int
	 */
	public static function rate_limit(): int {
		/**
		 * Filters how many transfer requests a user may make per minute.
		 *
		 * @param int $limit Default 30.
		 */
		return max( 1, (int) apply_filters( 'wps3_transfers_rate_limit', 30 ) );
	}
}
