<?php
/**
 * Plugin Name:       WP Signer S3 Backups
 * Plugin URI:        https://example.invalid/wps3
 * Description:       Backs up every fully signed WP Signer document to Amazon S3, Wasabi, Cloudflare R2 or any S3-compatible storage. All signing and encryption is done by the bundled WebAssembly core through a local Node sidecar.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * Author:            wps3
 * License:           MIT
 * Text Domain:       wps3
 * Network:           false
 *
 * Bootstrap: constants, the class autoloader, activation hooks, and the global API functions a host calls
 * (they stay in the global namespace, so this file has none).
 *
 * @package wps3
 */

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

define( 'WPS3_VERSION', '0.1.0' );
define( 'WPS3_DB_VERSION', '3' );
define( 'WPS3_PLUGIN_FILE', __FILE__ );
define( 'WPS3_PLUGIN_DIR', __DIR__ );

require_once __DIR__ . '/includes/autoload.php';

register_activation_hook( __FILE__, array( WPS3\Install\Installer::class, 'activate' ) );
register_deactivation_hook( __FILE__, array( WPS3\Install\Installer::class, 'deactivate' ) );

WPS3\Plugin::instance()->boot();
WPS3\Transfers\Module::boot();
require_once __DIR__ . '/includes/transfers-functions.php';

if ( ! function_exists( 'wps3_backup_document' ) ) {
	/**
	 * Queues a fully signed document for backup to S3.
	 *
	 * The host (WP Signer) calls this, or fires `do_action( 'wps_document_completed', $document )`,
	 * once every signature is complete. Calling it twice for the same document is harmless.
	 *
	 * @param mixed $document Document (array or object) with `id`, `title`, `status` ('completed') and
	 *                        `path` (absolute path to the signed PDF); anything else gets a WP_Error.
	 * @return int|WP_Error Job id, or a WP_Error explaining why the document was not queued.
	 */
	function wps3_backup_document( mixed $document ): int|WP_Error {
		return WPS3\Backup\Queue::instance()->enqueue( $document );
	}
}

if ( ! function_exists( 'wps3_get_backup' ) ) {
	/**
	 * Returns the backup reference of a document (bucket, object key, size, etag, uploaded_at), or null.
	 *
	 * @param mixed $document_id Document id (string or int).
	 * @return array<string,mixed>|null
	 */
	function wps3_get_backup( mixed $document_id ): ?array {
		return is_scalar( $document_id ) ? WPS3\Backup\Queue::instance()->backup_for_document( (string) $document_id ) : null;
	}
}
