<?php
/**
 * Tiny wp-cli stand-in for the harness: loads the test site and runs one command.
 *
 *   WPS3_E2E_DIR=/tmp/wps3e.X php tests/e2e/bin/wp.php run-queue        # prints JSON stats + peak memory
 *   WPS3_E2E_DIR=/tmp/wps3e.X php tests/e2e/bin/wp.php eval 'echo home_url();'
 *   WPS3_E2E_DIR=/tmp/wps3e.X php tests/e2e/bin/wp.php seed-demo "Service Agreement"
 *   WPS3_E2E_DIR=/tmp/wps3e.X php tests/e2e/bin/wp.php uninstall        # sidecar + demo files, deactivate + uninstall, list leftovers
 * WPS3_E2E_MULTISITE=1 runs the command on the harness's multisite network.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.Security.EscapeOutput, WordPress.PHP.DiscouragedPHPFunctions

$wps3_e2e_dir = getenv( 'WPS3_E2E_DIR' );
if ( ! $wps3_e2e_dir || ! is_readable( $wps3_e2e_dir . '/env.json' ) ) {
	fwrite( STDERR, "set WPS3_E2E_DIR to a harness directory (with env.json)\n" );
	exit( 2 );
}
$wps3_env   = json_decode( file_get_contents( $wps3_e2e_dir . '/env.json' ), true );
$wps3_multi = getenv( 'WPS3_E2E_MULTISITE' ) && ! empty( $wps3_env['MS_WP_DIR'] );
$wps3_url   = $wps3_multi ? $wps3_env['MS_SITE_URL'] : $wps3_env['SITE_URL'];
$wps3_parts = parse_url( $wps3_url );

$_SERVER['HTTP_HOST']       = $wps3_parts['host'] . ':' . $wps3_parts['port'];
$_SERVER['SERVER_NAME']     = $wps3_parts['host'];
$_SERVER['SERVER_PORT']     = (string) $wps3_parts['port'];
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';

require ( $wps3_multi ? $wps3_env['MS_WP_DIR'] : $wps3_env['WP_DIR'] ) . '/wp-load.php';

$wps3_cmd = $argv[1] ?? '';
switch ( $wps3_cmd ) {
	case 'run-queue':
		$wps3_t0    = microtime( true );
		$wps3_stats = \WPS3\Backup\Queue::instance()->process();
		echo wp_json_encode(
			$wps3_stats + array(
				'seconds'         => round( microtime( true ) - $wps3_t0, 3 ),
				'peakMemoryBytes' => memory_get_peak_usage( true ),
				'pid'             => getmypid(),
			)
		), "\n";
		break;
	case 'eval':
		eval( $argv[2] ); // phpcs:ignore Squiz.PHP.Eval.Discouraged -- test helper.
		break;
	case 'seed-demo':
		$wps3_doc = \WPS3\Demo\Documents::create( $argv[2] ?? 'Service Agreement' );
		echo wp_json_encode( $wps3_doc ), "\n";
		break;
	case 'uninstall':
		// The real WordPress flow: deactivate, then uninstall_plugin() runs uninstall.php. Then look for leftovers.
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		require_once ABSPATH . 'wp-admin/includes/file.php';
		// A running sidecar, and demo files on every site, that the uninstall must remove.
		$wps3_client  = WPS3\Sidecar\Client::instance();
		$wps3_health  = $wps3_client->ensure_running();
		$wps3_sc_pid  = is_wp_error( $wps3_health ) ? 0 : (int) $wps3_health['pid'];
		$wps3_rt_dir  = $wps3_client->runtime()->path();
		$wps3_default = $wps3_client->runtime()->is_default();
		$wps3_demo    = array();
		foreach ( is_multisite() ? get_sites( array( 'fields' => 'ids' ) ) : array( get_current_blog_id() ) as $wps3_site ) {
			is_multisite() && switch_to_blog( $wps3_site );
			\WPS3\Demo\Documents::create( 'Uninstall check' );
			$wps3_demo[] = \WPS3\Demo\Documents::dir();
			is_multisite() && restore_current_blog();
		}
		deactivate_plugins( 'wps3/wps3.php', true, is_multisite() );
		uninstall_plugin( 'wps3/wps3.php' );
		global $wpdb;
		clearstatcache();
		$wps3_sc_alive = $wps3_sc_pid && is_readable( "/proc/$wps3_sc_pid/stat" ) && ! preg_match( '/^\d+ \(.*\) [ZX] /', (string) @file_get_contents( "/proc/$wps3_sc_pid/stat" ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		$wps3_left     = array(
			'tables'   => $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', '%' . $wpdb->esc_like( 'wps3_' ) . '%' ) ),
			'options'  => array(),
			'cron'     => array(),
			'sites'    => is_multisite() ? count( get_sites( array( 'fields' => 'ids' ) ) ) : 1,
			'files'    => array_values( array_filter( $wps3_demo, 'file_exists' ) ),
			'sidecar'  => $wps3_sc_alive ? array( "pid $wps3_sc_pid still running" ) : array(),
			'checked'  => array( 'sidecarPid' => $wps3_sc_pid, 'runtimeDir' => $wps3_rt_dir, 'defaultRuntimeDir' => $wps3_default, 'demoDirs' => $wps3_demo ),
		);
		if ( ! $wps3_sc_pid ) {
			$wps3_left['sidecar'][] = 'no sidecar was running before the uninstall: ' . $wps3_health->get_error_message();
		}
		if ( $wps3_default && file_exists( $wps3_rt_dir ) ) {
			$wps3_left['files'][] = $wps3_rt_dir;
		}
		if ( is_multisite() ) {
			$wps3_left['options'] = $wpdb->get_col( "SELECT meta_key FROM {$wpdb->sitemeta} WHERE meta_key LIKE 'wps3\\_%'" );
		}
		foreach ( is_multisite() ? get_sites( array( 'fields' => 'ids' ) ) : array( get_current_blog_id() ) as $wps3_site ) {
			is_multisite() && switch_to_blog( $wps3_site );
			$wps3_left['options'] = array_merge( $wps3_left['options'], $wpdb->get_col( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE 'wps3\\_%' OR option_name LIKE '\\_transient\\_wps3\\_%'" ) );
			wp_cache_delete( 'cron', 'options' );
			foreach ( (array) _get_cron_array() as $wps3_events ) {
				foreach ( array_keys( (array) $wps3_events ) as $wps3_hook ) {
					if ( 0 === strpos( $wps3_hook, 'wps3_' ) ) {
						$wps3_left['cron'][] = $wps3_site . ':' . $wps3_hook;
					}
				}
			}
			is_multisite() && restore_current_blog();
		}
		echo wp_json_encode( $wps3_left ), "\n";
		exit( $wps3_left['tables'] || $wps3_left['options'] || $wps3_left['cron'] || $wps3_left['files'] || $wps3_left['sidecar'] ? 1 : 0 );
	default:
		fwrite( STDERR, "unknown command '$wps3_cmd' (run-queue | eval CODE | seed-demo TITLE | uninstall)\n" );
		exit( 2 );
}
