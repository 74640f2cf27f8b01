<?php
/**
 * Plugin Name: wps3 e2e host shims
 * Description: Test-site only. No mail, no external HTTP, no gravatars; records wps_s3_uploaded calls.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

// No sendmail here: pretend every mail was sent.
add_filter( 'pre_wp_mail', '__return_true' );

// Only loopback HTTP (WP-Cron spawns, the site itself, the local S3 servers).
add_filter(
	'pre_http_request',
	static function ( $pre, $args, $url ) {
		$host = strtolower( (string) wp_parse_url( $url, PHP_URL_HOST ) );
		if ( in_array( $host, array( '127.0.0.1', 'localhost', '::1', '[::1]' ), true ) ) {
			return $pre;
		}
		return new WP_Error( 'wps3_e2e_offline', 'External HTTP is blocked on the test site: ' . $host );
	},
	10,
	3
);
add_filter( 'pre_option_show_avatars', '__return_zero' );

// The tests write their signed documents into the harness directory: as a host would, it declares that
// folder an allowed root of the plugin (uploads stays one too).
if ( defined( 'WPS3_E2E_FILES_ROOT' ) ) {
	add_filter(
		'wps3_allowed_roots',
		static function ( $roots ) {
			return array_merge( (array) $roots, array( WPS3_E2E_FILES_ROOT ) );
		}
	);
}

// Every call of wps_s3_uploaded, across processes: document_id <TAB> key <TAB> provider <TAB> pid <TAB> blog id
// <TAB> the script of the request it ran in (wp-cron.php, admin-post.php, ...; "cli" outside the web server).
if ( defined( 'WPS3_E2E_HOOK_LOG' ) ) {
	add_action(
		'wps_s3_uploaded',
		static function ( $document_id, $key, $provider_id ) {
			$script = 'cli' === PHP_SAPI ? 'cli' : basename( (string) wp_parse_url( (string) ( $_SERVER['REQUEST_URI'] ?? '' ), PHP_URL_PATH ) ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- test-site log, never output.
			$line   = $document_id . "\t" . $key . "\t" . $provider_id . "\t" . getmypid() . "\t" . get_current_blog_id() . "\t" . $script . "\n";
			file_put_contents( WPS3_E2E_HOOK_LOG, $line, FILE_APPEND | LOCK_EX );
		},
		10,
		3
	);
}

// No update checks against wordpress.org (blocked anyway; they only fill the debug log).
add_action(
	'init',
	static function () {
		remove_action( 'admin_init', '_maybe_update_core' );
		remove_action( 'admin_init', '_maybe_update_plugins' );
		remove_action( 'admin_init', '_maybe_update_themes' );
		remove_action( 'wp_version_check', 'wp_version_check' );
		remove_action( 'wp_update_plugins', 'wp_update_plugins' );
		remove_action( 'wp_update_themes', 'wp_update_themes' );
		remove_action( 'init', 'wp_schedule_update_checks' );
	},
	1
);
add_filter( 'pre_site_transient_update_core', static function () { return (object) array( 'last_checked' => time(), 'updates' => array(), 'version_checked' => get_bloginfo( 'version' ) ); } );
add_filter( 'pre_site_transient_update_plugins', static function () { return (object) array( 'last_checked' => time(), 'response' => array(), 'checked' => array() ); } );
add_filter( 'pre_site_transient_update_themes', static function () { return (object) array( 'last_checked' => time(), 'response' => array(), 'checked' => array() ); } );

// Test-only filter values for HTTP requests (transfers suite): the option `wps3_e2e_filters` maps a filter
// name to the value it returns, e.g. {"wps3_upload_expires": 2, "wps3_upload_mode": "put"}.
add_action(
	'plugins_loaded',
	static function () {
		$filters = get_option( 'wps3_e2e_filters' );
		foreach ( is_array( $filters ) ? $filters : array() as $hook => $value ) {
			add_filter( (string) $hook, static fn () => $value, 99 );
		}
	}
);
