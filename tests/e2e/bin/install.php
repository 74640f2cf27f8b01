<?php
/**
 * Installs a throwaway WordPress without wp-cli, activates the plugin and configures storage.
 *
 * Environment: WP_DIR_INSTALL, SITE_URL_INSTALL, ADMIN_USER, ADMIN_PASSWORD, ADMIN_EMAIL,
 * S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (optional),
 * E2E_MULTISITE_INSTALL (non-empty: install a subdirectory network and a second site "site2"),
 * E2E_NO_PLUGIN (non-empty: leave the plugin out; tests/e2e/lib.sh installs its zip through wp-admin).
 * With the argument `network-finish` it runs the second half of a network install; with `storage`
 * it only stores the storage settings (for a plugin installed and activated meanwhile).
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.Security.EscapeOutput

$wps3_dir   = getenv( 'WP_DIR_INSTALL' );
$wps3_url   = getenv( 'SITE_URL_INSTALL' );
$wps3_ms    = (string) getenv( 'E2E_MULTISITE_INSTALL' ) !== '';
$wps3_phase = $argv[1] ?? 'install';
$wps3_parts = parse_url( $wps3_url );
$wps3_host  = $wps3_parts['host'] . ( isset( $wps3_parts['port'] ) ? ':' . $wps3_parts['port'] : '' );

$_SERVER['HTTP_HOST']       = $wps3_host;
$_SERVER['SERVER_NAME']     = $wps3_parts['host'];
$_SERVER['SERVER_PORT']     = (string) ( $wps3_parts['port'] ?? 80 );
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';

function wps3_install_fail( $message ) {
	fwrite( STDERR, "install.php: $message\n" );
	exit( 1 );
}

function wps3_install_configure_storage() {
	if ( ! getenv( 'S3_ENDPOINT' ) ) {
		return;
	}
	$saved = \WPS3\Settings\Settings::instance()->save(
		array(
			'provider'          => 'custom',
			'endpoint'          => getenv( 'S3_ENDPOINT' ),
			'region'            => getenv( 'S3_REGION' ),
			'bucket'            => getenv( 'S3_BUCKET' ),
			'path_prefix'       => 'wpsigner/',
			'access_key_id'     => getenv( 'S3_ACCESS_KEY_ID' ),
			'secret_access_key' => getenv( 'S3_SECRET_ACCESS_KEY' ),
		)
	);
	if ( is_wp_error( $saved ) ) {
		wps3_install_fail( 'storage settings: ' . implode( ' | ', $saved->get_error_messages() ) );
	}
}

if ( 'storage' === $wps3_phase ) {
	require $wps3_dir . '/wp-load.php';
	require_once ABSPATH . 'wp-admin/includes/plugin.php';
	if ( ! is_plugin_active( 'wps3/wps3.php' ) ) {
		wps3_install_fail( 'storage: the plugin wps3/wps3.php is not active' );
	}
	wps3_install_configure_storage();
	echo "storage configured for $wps3_url\n";
	exit( 0 );
}

if ( 'network-finish' === $wps3_phase ) {
	require $wps3_dir . '/wp-load.php';
	require_once ABSPATH . 'wp-admin/includes/plugin.php';
	require_once ABSPATH . 'wp-admin/includes/admin.php';
	$wps3_activated = activate_plugin( 'wps3/wps3.php', '', true );
	if ( is_wp_error( $wps3_activated ) ) {
		wps3_install_fail( 'network activation: ' . $wps3_activated->get_error_message() );
	}
	$wps3_user  = get_user_by( 'login', getenv( 'ADMIN_USER' ) );
	$wps3_blog  = wpmu_create_blog( $wps3_parts['host'], '/site2/', 'Site 2', $wps3_user->ID, array( 'public' => 0 ), 1 );
	if ( is_wp_error( $wps3_blog ) ) {
		wps3_install_fail( 'site2: ' . $wps3_blog->get_error_message() );
	}
	// wpmu_create_blog() drops the ":port" of the domain: put it back (TOOLCHAIN.md).
	global $wpdb;
	$wpdb->update( $wpdb->blogs, array( 'domain' => $wps3_host ), array( 'blog_id' => $wps3_blog ) );
	switch_to_blog( $wps3_blog );
	update_option( 'home', $wps3_url . '/site2' );
	update_option( 'siteurl', $wps3_url . '/site2' );
	restore_current_blog();
	clean_blog_cache( $wps3_blog );
	wps3_install_configure_storage();
	echo "network ready: site2 = blog $wps3_blog\n";
	exit( 0 );
}

define( 'WP_INSTALLING', true );
global $wpdb;
if ( $wps3_ms ) {
	define( 'WPS3_E2E_INSTALLING_NETWORK', true );
}
require $wps3_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$wps3_result = wp_install( 'wps3 test site', getenv( 'ADMIN_USER' ), getenv( 'ADMIN_EMAIL' ), false, '', wp_slash( getenv( 'ADMIN_PASSWORD' ) ) );
if ( is_wp_error( $wps3_result ) ) {
	wps3_install_fail( $wps3_result->get_error_message() );
}
update_option( 'permalink_structure', '/%postname%/' );
update_option( 'show_avatars', 0 );
update_option( 'timezone_string', 'UTC' );

if ( $wps3_ms ) {
	require_once ABSPATH . 'wp-admin/includes/network.php';
	// As wp-admin/network.php does: reference the network tables, then create them.
	foreach ( $wpdb->tables( 'ms_global' ) as $wps3_table => $wps3_prefixed ) {
		$wpdb->$wps3_table = $wps3_prefixed;
	}
	install_network();
	$wps3_net = populate_network( 1, $wps3_host, getenv( 'ADMIN_EMAIL' ), 'wps3 network', '/', false );
	if ( is_wp_error( $wps3_net ) && 'no_wildcard_dns' !== $wps3_net->get_error_code() ) {
		wps3_install_fail( 'network: ' . $wps3_net->get_error_message() );
	}
	// Second half in a fresh process, now with MULTISITE on.
	$wps3_cmd = escapeshellarg( PHP_BINARY ) . ' ' . escapeshellarg( __FILE__ ) . ' network-finish';
	exec( $wps3_cmd . ' 2>&1', $wps3_out, $wps3_code );
	echo implode( "\n", $wps3_out ), "\n";
	if ( 0 !== $wps3_code || false === strpos( implode( "\n", $wps3_out ), 'network ready' ) ) {
		wps3_install_fail( 'network-finish failed' );
	}
	exit( 0 );
}

if ( getenv( 'E2E_NO_PLUGIN' ) ) {
	echo "installed $wps3_url (without the plugin)\n";
	exit( 0 );
}
$wps3_activated = activate_plugin( 'wps3/wps3.php' );
if ( is_wp_error( $wps3_activated ) ) {
	wps3_install_fail( 'activation: ' . $wps3_activated->get_error_message() );
}
wps3_install_configure_storage();
echo "installed $wps3_url\n";
