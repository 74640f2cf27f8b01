<?php
/**
 * Uninstall: stops the sidecar, deletes its default runtime directory, drops the plugin's tables and
 * deletes its options and demo files on every site.
 *
 * @package wps3
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

if ( ! defined( 'WPS3_PLUGIN_DIR' ) ) {
	define( 'WPS3_PLUGIN_DIR', __DIR__ );
}
if ( ! defined( 'WPS3_PLUGIN_FILE' ) ) {
	define( 'WPS3_PLUGIN_FILE', __DIR__ . '/wps3.php' );
}
if ( ! defined( 'WPS3_DB_VERSION' ) ) {
	define( 'WPS3_DB_VERSION', '2' );
}
if ( ! defined( 'WPS3_VERSION' ) ) {
	define( 'WPS3_VERSION', '0.1.0' );
}
require_once __DIR__ . '/includes/autoload.php';
require_once __DIR__ . '/includes/class-wps3-installer.php';
require_once __DIR__ . '/includes/class-wps3-sidecar-client.php';

// The sidecar serves the whole install: stop it once, then remove what the plugin created for it.
WPS3_Installer::uninstall_sidecar();

if ( is_multisite() ) {
	foreach ( WPS3_Installer::site_ids() as $wps3_site_id ) {
		switch_to_blog( $wps3_site_id );
		WPS3_Installer::uninstall_site();
		restore_current_blog();
	}
} else {
	WPS3_Installer::uninstall_site();
}
delete_site_option( WPS3_Sidecar_Client::SUFFIX_OPTION );
