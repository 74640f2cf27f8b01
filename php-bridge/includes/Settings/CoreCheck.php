<?php
/**
 * Settings validation, by the core.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Settings;

use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * Sends settings to the core's `validate-settings` op and turns its answer into what Settings stores
 * (normalized values) or shows (one translated message per refused field).
 */
final class CoreCheck {

	/**
	 * Stored setting => field of the core's `validate-settings`.
	 *
	 * @var array<string, string>
	 */
	public const FIELDS = array(
		'provider'      => 'provider',
		'endpoint'      => 'endpoint',
		'account_id'    => 'accountId',
		'region'        => 'region',
		'bucket'        => 'bucket',
		'path_prefix'   => 'pathPrefix',
		'access_key_id' => 'accessKeyId',
		'addressing_style' => 'addressingStyle',
	);

	/**
	 * The core's verdict on settings, kept apart: refused fields, or a call that failed.
	 *
	 * @param array<string, string> $values Settings (stored field names).
	 * @param string                $secret A new secret access key ('' when none): checked, never echoed back.
	 * @return array{normalized: array<string, string>, errors: \WP_Error|null, failure: \WP_Error|null}
	 */
	public static function check( array $values, #[\SensitiveParameter] string $secret = '' ): array {
		$out  = array(
			'normalized' => array(),
			'errors'     => null,
			'failure'    => null,
		);
		$args = array(
			'provider' => '',
			'bucket'   => '',
		);
		foreach ( self::FIELDS as $field => $core ) {
			// Sent even when empty: an empty path prefix means "no folder", an absent one the default folder.
			$args[ $core ] = (string) ( $values[ $field ] ?? '' );
		}
		if ( '' !== $secret ) {
			$args['secretAccessKey'] = $secret;
		}
		if ( defined( 'WPS3_KEY_TEMPLATE' ) ) {
			$args['keyTemplate'] = (string) WPS3_KEY_TEMPLATE;
		}
		if ( Settings::allow_private_endpoints() ) {
			$args['allowPrivateEndpoints'] = true;
		}
		$checked = \WPS3\Sidecar\Client::instance()->call( 'validate-settings', $args, 10 );
		if ( is_wp_error( $checked ) ) {
			$out['failure'] = $checked;
			return $out;
		}
		if ( empty( $checked['valid'] ) ) {
			$errors = new \WP_Error();
			foreach ( (array) ( $checked['errors'] ?? array() ) as $error ) {
				$error  = is_array( $error ) ? $error : array();
				$field  = array_search( (string) ( $error['field'] ?? '' ), self::FIELDS + array( 'secret_access_key' => 'secretAccessKey' ), true );
				$advice = Errors::advice( (string) ( $error['adviceId'] ?? '' ) );
				$text   = null !== $advice ? trim( $advice['cause'] . ' ' . $advice['fix'] ) : (string) ( $error['message'] ?? '' );
				$errors->add( 'wps3_' . ( false === $field ? 'settings' : $field ), '' !== $text ? $text : __( 'The storage settings are not valid.', 'wps3' ), $error );
			}
			if ( ! $errors->has_errors() ) {
				$errors->add( 'wps3_settings', __( 'The storage settings are not valid.', 'wps3' ) );
			}
			$out['errors'] = $errors;
			return $out;
		}
		$normalized = is_array( $checked['settings'] ?? null ) ? $checked['settings'] : array();
		foreach ( self::FIELDS as $field => $core ) {
			$out['normalized'][ $field ] = isset( $normalized[ $core ] ) && is_scalar( $normalized[ $core ] ) ? (string) $normalized[ $core ] : (string) ( $values[ $field ] ?? '' );
		}
		return $out;
	}
}
