<?php
/**
 * Network Admin → Settings → S3 Backups: the network admin picks what sites may set themselves.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Admin;

use WPS3\Settings\NetworkMode;
use WPS3\Settings\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * The `wps3_network_mode` choice (Settings\NetworkMode) and what wp-config.php provides the network.
 */
final class NetworkScreen {

	public const SLUG   = 'wps3-network';
	public const ACTION = 'wps3_network_mode';

	/**
	 * Registers the page and its form handler (multisite only).
	 *
	 * @return void
	 */
	public static function boot(): void {
		if ( ! is_multisite() ) {
			return;
		}
		add_action( 'network_admin_menu', array( self::class, 'menu' ) );
		add_action( 'network_admin_edit_' . self::ACTION, array( self::class, 'handle' ) );
	}

	/**
	 * Adds the page under Network Admin → Settings.
	 *
	 * @return void
	 */
	public static function menu(): void {
		add_submenu_page( 'settings.php', __( 'S3 Backups', 'wps3' ), __( 'S3 Backups', 'wps3' ), 'manage_network_options', self::SLUG, array( self::class, 'render' ) );
	}

	/**
	 * Saves the mode (network admins only, with a nonce).
	 *
	 * @return void
	 */
	public static function handle(): void {
		if ( ! current_user_can( 'manage_network_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'wps3' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::ACTION );
		$mode = isset( $_POST['wps3_network_mode'] ) ? sanitize_key( wp_unslash( $_POST['wps3_network_mode'] ) ) : '';
		$ok   = NetworkMode::set( $mode );
		wp_safe_redirect( add_query_arg( array( 'page' => self::SLUG, 'updated' => $ok ? '1' : '0' ), network_admin_url( 'settings.php' ) ) );
		exit;
	}

	/**
	 * The page.
	 *
	 * @return void
	 */
	public static function render(): void {
		if ( ! current_user_can( 'manage_network_options' ) ) {
			return;
		}
		$mode = NetworkMode::get();
		echo '<div class="wrap wps3-network"><h1>' . esc_html__( 'S3 Backups: sites of this network', 'wps3' ) . '</h1>';
		if ( isset( $_GET['updated'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification -- display only.
			$ok = '1' === sanitize_key( wp_unslash( $_GET['updated'] ) ); // phpcs:ignore WordPress.Security.NonceVerification -- display only.
			echo '<div class="notice ' . ( $ok ? 'notice-success' : 'notice-error' ) . '"><p>' . esc_html( $ok ? __( 'Saved.', 'wps3' ) : __( 'Nothing was saved: pick one of the two modes.', 'wps3' ) ) . '</p></div>';
		}
		echo '<form method="post" action="' . esc_url( network_admin_url( 'edit.php?action=' . self::ACTION ) ) . '">';
		wp_nonce_field( self::ACTION );
		echo '<fieldset><legend class="screen-reader-text">' . esc_html__( 'Storage settings of the sites', 'wps3' ) . '</legend>';
		$choices = array(
			NetworkMode::OWN    => array(
				__( 'Each site brings its own credentials', 'wps3' ),
				__( 'Site admins enter their own access key and secret (and bucket, region and prefix). The access key and secret in wp-config.php are never used by a site.', 'wps3' ),
			),
			NetworkMode::LOCKED => array(
				__( 'Every site uses the network\'s credentials, locked', 'wps3' ),
				__( 'Sites use the WPS3_* constants of wp-config.php: credentials together with provider, endpoint, region, bucket and path prefix. Site admins see them read-only and cannot change them; each site\'s keys carry its site id.', 'wps3' ),
			),
		);
		foreach ( $choices as $value => $text ) {
			echo '<p><label><input type="radio" name="wps3_network_mode" value="' . esc_attr( $value ) . '" ' . checked( $mode, $value, false ) . ' /> <strong>' . esc_html( $text[0] ) . '</strong></label><br /><span class="description">' . esc_html( $text[1] ) . '</span></p>';
		}
		echo '</fieldset>';
		if ( ! NetworkMode::is_chosen() ) {
			echo '<p class="description">' . esc_html__( 'Not chosen yet: the mode follows wp-config.php (locked when it defines WPS3_SECRET_ACCESS_KEY).', 'wps3' ) . '</p>';
		}
		submit_button();
		echo '</form>';
		self::render_constants();
		echo '</div>';
	}

	/**
	 * Which WPS3_* constants wp-config.php defines (the secret only as "defined").
	 *
	 * @return void
	 */
	private static function render_constants(): void {
		echo '<h2>' . esc_html__( 'Network settings from wp-config.php', 'wps3' ) . '</h2><table class="widefat striped"><tbody>';
		foreach ( Settings::CONSTANTS + array( 'secret_access_key' => 'WPS3_SECRET_ACCESS_KEY' ) as $field => $constant ) {
			if ( ! defined( $constant ) ) {
				$shown = __( 'not defined', 'wps3' );
			} elseif ( 'secret_access_key' === $field ) {
				$shown = __( 'defined', 'wps3' );
			} else {
				$shown = (string) constant( $constant );
			}
			echo '<tr><th scope="row"><code>' . esc_html( $constant ) . '</code></th><td>' . esc_html( $shown ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}
}
