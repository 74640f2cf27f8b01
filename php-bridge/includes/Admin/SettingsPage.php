<?php
/**
 * The storage-settings part of Settings → S3 Backups: a REST-driven page (www/admin/).
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Admin;

use WPS3\Rest\SettingsController;
use WPS3\Settings\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Renders the page's mount point and loads its ES module, the web wasm core and WordPress's own scripts
 * (wp-api-fetch for the nonce and errors, wp-i18n for translations, wp-a11y to announce results).
 * All behaviour lives in www/admin/settings.js; all rules in the core.
 */
final class SettingsPage {

	public const HANDLE = 'wps3-settings-page';

	/**
	 * Registers the asset hooks.
	 *
	 * @return void
	 */
	public function boot(): void {
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue' ) );
		add_filter( 'script_loader_tag', array( $this, 'module_tag' ), 10, 2 );
	}

	/**
	 * Loads the page's script and style on Settings → S3 Backups only.
	 *
	 * @param string $hook_suffix Current admin page.
	 * @return void
	 */
	public function enqueue( string $hook_suffix ): void {
		if ( 'settings_page_' . Screen::PAGE !== $hook_suffix || ! current_user_can( Screen::CAPABILITY ) ) {
			return;
		}
		$version = defined( 'WPS3_VERSION' ) ? (string) WPS3_VERSION : '0';
		wp_enqueue_style( self::HANDLE, plugins_url( 'www/admin/settings.css', WPS3_PLUGIN_FILE ), array(), $version );
		wp_enqueue_script( self::HANDLE, plugins_url( 'www/admin/settings.js', WPS3_PLUGIN_FILE ), array( 'wp-api-fetch', 'wp-i18n', 'wp-a11y' ), $version, true );
		wp_set_script_translations( self::HANDLE, 'wps3', plugin_dir_path( WPS3_PLUGIN_FILE ) . 'languages' );
		$settings = Settings::instance();
		$config   = array(
			'route'       => '/' . SettingsController::NAMESPACE . '/settings',
			'wasm'        => plugins_url( 'pkg/web/wps3.js', WPS3_PLUGIN_FILE ),
			'keyTemplate' => $settings->key_template(),
			// The preview renders {site} as this site's keys carry it (multisite only).
			'site'         => is_multisite() ? (string) get_current_blog_id() : null,
			// The browser's validateSettings gives the server's SSRF verdict while the admin types.
			'allowPrivate' => Settings::allow_private_endpoints(),
			'sample'      => array(
				'title' => 'Service Agreement',
				'id'    => 142,
			),
		);
		wp_add_inline_script( self::HANDLE, 'window.wps3SettingsPage = ' . wp_json_encode( $config ) . ';', 'before' );
	}

	/**
	 * Marks the page's script as an ES module (WordPress 6.1 has no script-module API).
	 *
	 * @param string $tag    The script tag.
	 * @param string $handle Its handle.
	 * @return string
	 */
	public function module_tag( string $tag, string $handle ): string {
		if ( self::HANDLE !== $handle ) {
			return $tag;
		}
		return (string) preg_replace( '/<script (?![^>]*type=)([^>]*\bsrc=)/', '<script type="module" $1', $tag, 1 );
	}

	/**
	 * The mount point; what it says stays when the module cannot run.
	 *
	 * @return void
	 */
	public function render(): void {
		echo '<h2 id="wps3-settings">' . esc_html__( 'Storage settings', 'wps3' ) . '</h2>';
		echo '<div id="wps3-settings-app" class="wps3-settings-app">';
		echo '<div class="notice notice-warning inline wps3-js-required"><p>';
		esc_html_e( 'The storage settings need JavaScript. If this message stays, the page\'s scripts did not load: check that JavaScript is enabled, then that the plugin was installed completely (its www/ and pkg/web/ folders), and look at the browser console.', 'wps3' );
		echo '</p></div></div>';
	}
}
