<?php
/**
 * Tiny wp-cli stand-in for the harness: loads the test site and runs one command.
 *
 *   WPS3_E2E_DIR=/tmp/wps3e.X php tests/e2e/bin/wp.php run-queue        # prints JSON stats + peak memory
 *   WPS3_E2E_DIR=/tmp/wps3e.X php tests/e2e/bin/wp.php eval 'echo home_url();'
 *   WPS3_E2E_DIR=/tmp/wps3e.X php tests/e2e/bin/wp.php seed-demo "Service Agreement"
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

require ( $wps3_multi ? $wps3_env['MS_WP_DIR'] : $wps3_env['WP_DIR'] ) . '/wp-load.php';

$wps3_cmd = $argv[1] ?? '';
switch ( $wps3_cmd ) {
	case 'run-queue':
		$wps3_t0    = microtime( true );
		$wps3_stats = WPS3_Backup_Queue::instance()->process();
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
		$wps3_doc = WPS3_Demo::create_document( $argv[2] ?? 'Service Agreement' );
		echo wp_json_encode( $wps3_doc ), "\n";
		break;
	default:
		fwrite( STDERR, "unknown command '$wps3_cmd' (run-queue | eval CODE | seed-demo TITLE)\n" );
		exit( 2 );
}
