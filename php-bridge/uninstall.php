<?php
/**
 * Uninstall: stops the sidecar, deletes its default runtime directory, drops the plugin's tables and
 * deletes its options and demo files on every site (WPS3\Install\Uninstaller).
 *
 * WordPress runs this file without loading the plugin, so it defines what the plugin's bootstrap would.
 *
 * @package wps3
 */

declare(strict_types=1);

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

defined( 'WPS3_PLUGIN_DIR' ) || define( 'WPS3_PLUGIN_DIR', __DIR__ );
defined( 'WPS3_PLUGIN_FILE' ) || define( 'WPS3_PLUGIN_FILE', __DIR__ . '/wps3.php' );
defined( 'WPS3_DB_VERSION' ) || define( 'WPS3_DB_VERSION', '3' );
defined( 'WPS3_VERSION' ) || define( 'WPS3_VERSION', '0.1.0' );

require_once __DIR__ . '/includes/autoload.php';

WPS3\Install\Uninstaller::run();
