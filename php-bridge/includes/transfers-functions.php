<?php
/**
 * Global API of expiring object links (hosts call it without knowing the plugin's namespaces).
 *
 * @package wps3
 */

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

if ( ! function_exists( 'wps3_presigned_url' ) ) {
	/**
	 * A presigned GET for a stored object, valid 5–60 minutes (default 15; filter `wps3_object_link_expires`).
	 *
	 * The caller decides entitlement; `wps3_object_link_allowed` can refuse objects (default: only the configured
	 * bucket, never backups or members' uploads).
	 *
	 * @param string|array $object `s3://bucket/key`, `bucket/key`, a URL on the configured endpoint,
	 *                             `[wps3_object bucket="…" key="…"]`, or `array( 'bucket' => …, 'key' => … )`.
	 * @param array        $args   `expires` (seconds), `filename` (saved as; default the key's last segment).
	 * @return string|WP_Error
	 */
	function wps3_presigned_url( $object, array $args = array() ) {
		return WPS3\Links\ObjectLinks::presigned_url( $object, $args );
	}
}
