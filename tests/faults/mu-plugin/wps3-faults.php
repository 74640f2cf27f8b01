<?php
/**
 * Plugin Name: wps3 fault-suite shims
 * Description: Test-site only (tests/faults/run.sh). Small multipart sizes, and a queue run over HTTP on each web node.
 *
 * @package wps3
 */

declare(strict_types=1);

// phpcs:disable WordPress.Security.NonceVerification, WordPress.Security.EscapeOutput

defined( 'ABSPATH' ) || exit;

// Multipart from 6 MiB in 5 MiB parts, so a "multipart-size" document stays small on a shared machine.
add_filter(
	'wps3_upload_args',
	static function ( $args ) {
		$args['multipartThreshold'] = 6 * MB_IN_BYTES;
		$args['partSize']           = 5 * MB_IN_BYTES;
		$args['concurrency']        = 2;
		return $args;
	}
);

// Short runs, so both nodes keep claiming side by side.
add_filter( 'wps3_queue_batch_size', static fn () => 4 );
add_filter( 'wps3_queue_time_budget', static fn () => 30 );

// GET /?wps3_faults_run=KEY runs the queue in this web server's PHP (as WP-Cron would, without its lock:
// two nodes run at once) and answers the stats as JSON.
add_action(
	'init',
	static function () {
		if ( ! defined( 'WPS3_FAULTS_KEY' ) || ! isset( $_GET['wps3_faults_run'] ) || ! hash_equals( WPS3_FAULTS_KEY, (string) $_GET['wps3_faults_run'] ) ) {
			return;
		}
		$stats = \WPS3\Backup\Queue::instance()->process();
		header( 'Content-Type: application/json' );
		echo wp_json_encode( $stats + array( 'pid' => getmypid() ) );
		exit;
	},
	0
);
