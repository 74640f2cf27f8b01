<?php
/**
 * The storage settings form of Settings → S3 Backups (admin-post, no JavaScript).
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Admin;

use WPS3\Errors;
use WPS3\Settings\Schema;
use WPS3\Settings\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Renders the form and handles Save and Test connection. Kept in this one class so a REST-driven
 * settings page can replace it without touching the rest of the screen.
 */
final class SettingsForm {

	/**
	 * Registers the form's admin-post actions.
	 *
	 * @return void
	 */
	public function boot(): void {
		add_action( 'admin_post_wps3_save_settings', array( $this, 'handle_save' ) );
		add_action( 'admin_post_wps3_test_connection', array( $this, 'handle_test_connection' ) );
	}

	/**
	 * Whether the current user may change the endpoint: on multisite only network admins may point a site at
	 * another server (the endpoint decides where the sidecar connects from the host).
	 *
	 * @return bool
	 */
	public static function can_edit_endpoint(): bool {
		return ! is_multisite() || current_user_can( 'manage_network_options' );
	}

	/**
	 * Removes from posted settings what the current user may not change.
	 *
	 * @param array<string, mixed> $input Posted settings.
	 * @return array{0: array<string, mixed>, 1: string[]} Filtered input and error messages.
	 */
	public static function filter_input_for_user( array $input ): array {
		$errors = array();
		if ( array_key_exists( 'endpoint', $input ) && ! self::can_edit_endpoint() ) {
			$posted = is_scalar( $input['endpoint'] ) ? rtrim( trim( (string) $input['endpoint'] ), '/' ) : '';
			if ( Settings::instance()->get( 'endpoint' ) !== $posted ) {
				$errors[] = __( 'Only a network administrator can change the endpoint.', 'wps3' );
			}
			unset( $input['endpoint'] );
		}
		return array( $input, $errors );
	}

	/**
	 * Handles admin-post: save settings.
	 *
	 * @return void
	 */
	public function handle_save(): void {
		Screen::require_capability();
		check_admin_referer( 'wps3_save_settings' );
		// phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- every field is sanitized in Settings::save() and validated by the core.
		$input                   = isset( $_POST['wps3'] ) && is_array( $_POST['wps3'] ) ? wp_unslash( $_POST['wps3'] ) : array();
		list( $input, $refused ) = self::filter_input_for_user( $input );
		if ( $refused ) {
			foreach ( $refused as $message ) {
				Notices::add( 'error', $message );
			}
			Notices::add( 'error', __( 'Settings were not saved.', 'wps3' ) );
			Screen::back();
		}
		$saved = Settings::instance()->save( $input );
		unset( $input );
		if ( is_wp_error( $saved ) ) {
			foreach ( $saved->get_error_messages() as $message ) {
				Notices::add( 'error', $message );
			}
			Notices::add( 'error', __( 'Settings were not saved.', 'wps3' ) );
		} else {
			Notices::add( 'success', __( 'Settings saved.', 'wps3' ) );
		}
		Screen::back();
	}

	/**
	 * Handles admin-post: test the connection with the saved settings.
	 *
	 * @return void
	 */
	public function handle_test_connection(): void {
		Screen::require_capability();
		check_admin_referer( 'wps3_test_connection' );
		$result = Settings::instance()->test_connection();
		if ( is_wp_error( $result ) ) {
			Notices::add(
				'error',
				/* translators: 1: error code, 2: cause */
				sprintf( __( 'Connection failed (%1$s): %2$s', 'wps3' ), (string) Errors::field( $result, 'code', '' ), (string) Errors::field( $result, 'cause', $result->get_error_message() ) ),
				(string) Errors::field( $result, 'fix', '' )
			);
		} else {
			Notices::add(
				'success',
				/* translators: %d: milliseconds */
				sprintf( __( 'Connection OK: the bucket answered in %d ms.', 'wps3' ), (int) ( $result['latencyMs'] ?? 0 ) )
			);
		}
		Screen::back();
	}

	/**
	 * The settings form and the Test connection button.
	 *
	 * @return void
	 */
	public function render(): void {
		$settings = Settings::instance();
		$values   = $settings->all();
		echo '<h2 id="wps3-settings">' . esc_html__( 'Storage settings', 'wps3' ) . '</h2>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" id="wps3-settings-form">';
		echo '<input type="hidden" name="action" value="wps3_save_settings" />';
		wp_nonce_field( 'wps3_save_settings' );
		echo '<table class="form-table" role="presentation"><tbody>';

		$locked = $settings->is_locked( 'provider' );
		echo '<tr><th scope="row"><label for="wps3-provider">' . esc_html__( 'Provider', 'wps3' ) . '</label></th><td>';
		echo '<select id="wps3-provider" name="wps3[provider]"' . ( $locked ? ' disabled="disabled"' : '' ) . '>';
		$providers = Schema::providers();
		if ( '' !== $values['provider'] && ! isset( $providers[ $values['provider'] ] ) ) {
			$providers = array( $values['provider'] => $values['provider'] ) + $providers; // Keep what is stored visible.
		}
		foreach ( $providers as $id => $label ) {
			echo '<option value="' . esc_attr( $id ) . '"' . selected( $values['provider'], $id, false ) . '>' . esc_html( $label ) . '</option>';
		}
		echo '</select>';
		$this->locked_note( 'provider' );
		echo '</td></tr>';

		$this->text_row( 'endpoint', __( 'Endpoint', 'wps3' ), $values['endpoint'], __( 'Only for S3-compatible storage, e.g. https://s3.example.com or http://127.0.0.1:9000.', 'wps3' ) );
		$this->text_row( 'account_id', __( 'Cloudflare account ID', 'wps3' ), $values['account_id'], __( 'Only for Cloudflare R2.', 'wps3' ) );
		$this->text_row( 'region', __( 'Region', 'wps3' ), $values['region'], __( 'For example eu-west-1. Empty: the provider\'s default region.', 'wps3' ) );
		$this->text_row( 'bucket', __( 'Bucket', 'wps3' ), $values['bucket'] );
		$this->text_row( 'path_prefix', __( 'Path prefix', 'wps3' ), $values['path_prefix'], __( 'Folder inside the bucket, e.g. wpsigner/.', 'wps3' ) );
		$this->text_row( 'access_key_id', __( 'Access key ID', 'wps3' ), $values['access_key_id'] );

		echo '<tr><th scope="row"><label for="wps3-secret-access-key">' . esc_html__( 'Secret access key', 'wps3' ) . '</label></th><td>';
		if ( $settings->is_locked( 'secret_access_key' ) ) {
			$this->locked_note( 'secret_access_key' );
		} else {
			if ( $settings->has_secret() ) {
				echo '<p class="wps3-secret-stored"><code>••••</code> ' . esc_html__( 'stored (encrypted)', 'wps3' ) . '</p>';
			}
			echo '<input type="password" class="regular-text" id="wps3-secret-access-key" name="wps3[secret_access_key]" value="" autocomplete="new-password" spellcheck="false" placeholder="' . esc_attr( $settings->has_secret() ? __( 'Enter a new secret to replace it', 'wps3' ) : '' ) . '" />';
			echo '<p class="description">' . esc_html__( 'Stored encrypted with this site\'s salts; it is never shown again.', 'wps3' ) . '</p>';
		}
		echo '</td></tr>';
		echo '</tbody></table>';
		submit_button( __( 'Save settings', 'wps3' ), 'primary', 'wps3_save', false );
		echo '</form>';

		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" id="wps3-test-form" style="margin-top:1em">';
		echo '<input type="hidden" name="action" value="wps3_test_connection" />';
		wp_nonce_field( 'wps3_test_connection' );
		submit_button( __( 'Test connection', 'wps3' ), 'secondary', 'wps3_test', false );
		echo ' <span class="description">' . esc_html__( 'Uses the saved settings.', 'wps3' ) . '</span>';
		echo '</form>';
	}

	/**
	 * One text field row.
	 *
	 * @param string $field Field.
	 * @param string $label Label.
	 * @param string $value Effective value.
	 * @param string $help  Help text.
	 * @return void
	 */
	private function text_row( string $field, string $label, string $value, string $help = '' ): void {
		$id      = 'wps3-' . str_replace( '_', '-', $field );
		$locked  = Settings::instance()->is_locked( $field );
		$network = ! $locked && 'endpoint' === $field && ! self::can_edit_endpoint();
		echo '<tr><th scope="row"><label for="' . esc_attr( $id ) . '">' . esc_html( $label ) . '</label></th><td>';
		echo '<input type="text" class="regular-text" id="' . esc_attr( $id ) . '" name="wps3[' . esc_attr( $field ) . ']" value="' . esc_attr( $value ) . '"' . ( $locked || $network ? ' disabled="disabled"' : '' ) . ' autocomplete="off" spellcheck="false" />';
		$this->locked_note( $field );
		if ( $network ) {
			echo ' <span class="wps3-locked wps3-network-only description">🔒 ' . esc_html__( 'Only a network administrator can change the endpoint.', 'wps3' ) . '</span>';
		}
		if ( '' !== $help ) {
			echo '<p class="description">' . esc_html( $help ) . '</p>';
		}
		echo '</td></tr>';
	}

	/**
	 * "Set by CONSTANT in wp-config.php" next to a locked field.
	 *
	 * @param string $field Field (or secret_access_key).
	 * @return void
	 */
	private function locked_note( string $field ): void {
		$constant = Settings::instance()->locked_fields()[ $field ] ?? '';
		if ( '' !== $constant ) {
			/* translators: %s: constant name */
			echo ' <span class="wps3-locked description">🔒 ' . esc_html( sprintf( __( 'Set by %s in wp-config.php', 'wps3' ), $constant ) ) . '</span>';
		}
	}
}
