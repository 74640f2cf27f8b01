<?php
/**
 * WordPress-free bootstrap of the PHP benchmarks: the plugin's own classes (WPS3\Sidecar\Client,
 * Settings, Secret) with WordPress's hook API and WP_Error, and the unit tier's in-memory stand-ins
 * for options and transients. Options persist in $WPS3_BENCH_RUN/options.json so that fresh PHP
 * processes see the settings and the sealed secret that `setup` stored, as a real site's would.
 *
 * The sidecar is started by the plugin's Supervisor on the first call (WPS3_SIDECAR_SOCKET in the
 * run directory), exactly as a PHP-FPM worker starts it.
 *
 * @package wps3
 */

declare(strict_types=1);

$wps3_bench_run = (string) getenv( 'WPS3_BENCH_RUN' );
if ( '' === $wps3_bench_run || ! is_dir( $wps3_bench_run ) ) {
	fwrite( STDERR, "set WPS3_BENCH_RUN to a private directory (bench/run does)\n" );
	exit( 2 );
}
$wps3_wp = getenv( 'WPS3_WORDPRESS_DIR' ) ? (string) getenv( 'WPS3_WORDPRESS_DIR' ) : '/usr/share/wordpress';
$wps3_root = dirname( __DIR__, 2 );

define( 'ABSPATH', $wps3_wp . '/' );
define( 'WPINC', 'wp-includes' );
define( 'WPS3_PLUGIN_DIR', $wps3_root . '/php-bridge' );
define( 'WPS3_PLUGIN_FILE', WPS3_PLUGIN_DIR . '/wps3.php' );
// The plugin's version, read from its header constant (the Supervisor restarts a sidecar of another version).
preg_match( "/define\\(\\s*'WPS3_VERSION',\\s*'([^']+)'/", (string) file_get_contents( WPS3_PLUGIN_FILE ), $wps3_m );
define( 'WPS3_VERSION', $wps3_m[1] ?? '0.0.0' );
define( 'WPS3_SIDECAR_SOCKET', $wps3_bench_run . '/sidecar.sock' );
define( 'MINUTE_IN_SECONDS', 60 );
define( 'HOUR_IN_SECONDS', 3600 );
define( 'DAY_IN_SECONDS', 86400 );

require_once ABSPATH . WPINC . '/plugin.php';
require_once ABSPATH . WPINC . '/class-wp-error.php';
require_once ABSPATH . WPINC . '/http.php';
require_once $wps3_root . '/tests/php-unit/functions.php';
require_once WPS3_PLUGIN_DIR . '/includes/autoload.php';

// The few WordPress functions the sidecar client, Settings and Secret reach beyond the unit stand-ins.
if ( ! function_exists( 'is_multisite' ) ) {
	function is_multisite() { // phpcs:ignore
		return false;
	}
}
if ( ! function_exists( 'get_current_blog_id' ) ) {
	function get_current_blog_id() { // phpcs:ignore
		return 1;
	}
}
if ( ! function_exists( 'get_site_option' ) ) {
	function get_site_option( $option, $default_value = false ) { // phpcs:ignore
		return get_option( $option, $default_value );
	}
}
if ( ! function_exists( 'wp_cache_delete' ) ) {
	function wp_cache_delete( $key, $group = '' ) { // phpcs:ignore
		return true;
	}
}
if ( ! function_exists( 'wp_salt' ) ) {
	function wp_salt( $scheme = 'auth' ) { // phpcs:ignore
		return 'bench-salt-' . $scheme . '-0123456789abcdef0123456789abcdef';
	}
}

$wps3_options_file = $wps3_bench_run . '/options.json';
if ( is_readable( $wps3_options_file ) ) {
	Wps3UnitState::$options = (array) json_decode( (string) file_get_contents( $wps3_options_file ), true );
}

/**
 * Writes the in-memory options where the next fresh PHP process reads them.
 */
function wps3_bench_save_options(): void {
	file_put_contents( (string) getenv( 'WPS3_BENCH_RUN' ) . '/options.json', json_encode( Wps3UnitState::$options ) );
}

/**
 * The workload (bench/lib/workload.mjs), from $WPS3_BENCH_RUN/expected.json.
 *
 * @return array<string,mixed>
 */
function wps3_bench_expected(): array {
	static $e = null;
	$e ??= (array) json_decode( (string) file_get_contents( (string) getenv( 'WPS3_BENCH_RUN' ) . '/expected.json' ), true );
	return $e;
}

/**
 * The presign args BackupLinks::download_url() sends, for one key.
 *
 * @param array<string,mixed> $storage     Settings::storage().
 * @param array<string,mixed> $credentials Settings::credentials() (sealed secret).
 * @param string              $key         Object key.
 * @return array<string,mixed>
 */
function wps3_bench_presign_args( array $storage, array $credentials, string $key ): array {
	return array(
		'storage'     => $storage,
		'credentials' => $credentials,
	) + wps3_bench_presign_fields( $key );
}

/**
 * The per-link fields of a presign op, for a batch envelope that states storage and credentials once
 * (as BackupLinks::download_urls() sends a page).
 *
 * @param string $key Object key.
 * @return array<string,mixed>
 */
function wps3_bench_presign_fields( string $key ): array {
	$w = wps3_bench_expected()['workload'];
	return array(
		'now'                        => $w['nowSeconds'],
		'method'                     => 'GET',
		'key'                        => $key,
		'expiresIn'                  => $w['getExpires'],
		'query'                      => array(),
		'headers'                    => array(),
		'responseContentDisposition' => $w['contentDisposition'],
	);
}
