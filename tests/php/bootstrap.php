<?php
/**
 * PHPUnit bootstrap: loads WordPress from the e2e harness's test site (WPS3_E2E_DIR).
 * With WPS3_E2E_MULTISITE=1 it loads the harness's multisite network instead.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions

$wps3_e2e_dir = getenv( 'WPS3_E2E_DIR' );
if ( ! $wps3_e2e_dir || ! is_readable( $wps3_e2e_dir . '/env.json' ) ) {
	fwrite( STDERR, "WPS3_E2E_DIR must point at a running harness (run tests/e2e/run.sh, or source tests/e2e/lib.sh and e2e_up).\n" );
	exit( 2 );
}
$GLOBALS['wps3_e2e_env'] = json_decode( file_get_contents( $wps3_e2e_dir . '/env.json' ), true );
$wps3_e2e_multi          = (bool) getenv( 'WPS3_E2E_MULTISITE' );
if ( $wps3_e2e_multi && empty( $GLOBALS['wps3_e2e_env']['MS_WP_DIR'] ) ) {
	fwrite( STDERR, "WPS3_E2E_MULTISITE is set but the harness has no multisite network (E2E_MULTISITE=1).\n" );
	exit( 2 );
}
$wps3_e2e_url   = $wps3_e2e_multi ? $GLOBALS['wps3_e2e_env']['MS_SITE_URL'] : $GLOBALS['wps3_e2e_env']['SITE_URL'];
$wps3_e2e_parts = parse_url( $wps3_e2e_url );

$_SERVER['HTTP_HOST']       = $wps3_e2e_parts['host'] . ':' . $wps3_e2e_parts['port'];
$_SERVER['SERVER_NAME']     = $wps3_e2e_parts['host'];
$_SERVER['SERVER_PORT']     = (string) $wps3_e2e_parts['port'];
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';

// No WP-Cron spawns from the test process: the tests run the queue themselves.
define( 'DISABLE_WP_CRON', true );

require ( $wps3_e2e_multi ? $GLOBALS['wps3_e2e_env']['MS_WP_DIR'] : $GLOBALS['wps3_e2e_env']['WP_DIR'] ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
require_once __DIR__ . '/class-wps3-e2e-testcase.php';
