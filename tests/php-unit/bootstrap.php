<?php
/**
 * Unit-tier bootstrap: the plugin's autoloader, WordPress's own hook API and WP_Error, and
 * in-memory stand-ins for the few other WordPress functions pure logic calls.
 *
 * WordPress's plugin.php (add_filter/apply_filters/do_action) and class-wp-error.php need
 * nothing else, so the real files from Debian's wordpress package are loaded. The stand-ins in
 * functions.php behave like WordPress for the inputs the plugin passes (translations return the
 * English text, transients and options live in an array). Anything that needs the database,
 * HTTP or the sidecar is tested in tests/php against a real site; add a stand-in here only for
 * a function whose WordPress behaviour is that simple.
 *
 * @package wps3
 */

declare(strict_types=1);

$wps3_unit_wp = getenv( 'WPS3_WORDPRESS_DIR' ) ? getenv( 'WPS3_WORDPRESS_DIR' ) : '/usr/share/wordpress';
if ( ! is_readable( $wps3_unit_wp . '/wp-includes/plugin.php' ) ) {
	fwrite( STDERR, "WordPress's wp-includes not found under $wps3_unit_wp (bash tools/setup.sh wordpress, or set WPS3_WORDPRESS_DIR)\n" );
	exit( 2 );
}

// The plugin's files start with `defined( 'ABSPATH' ) || exit;`.
define( 'ABSPATH', $wps3_unit_wp . '/' );
define( 'WPINC', 'wp-includes' );
define( 'WPS3_UNIT', true );

require_once ABSPATH . WPINC . '/plugin.php';
require_once ABSPATH . WPINC . '/class-wp-error.php';
// WordPress's wp_parse_url() (WPS3\Sidecar\Endpoint); the file only defines functions.
require_once ABSPATH . WPINC . '/http.php';
require_once __DIR__ . '/functions.php';
require_once __DIR__ . '/../../php-bridge/includes/autoload.php';
require_once __DIR__ . '/TestCase.php';
