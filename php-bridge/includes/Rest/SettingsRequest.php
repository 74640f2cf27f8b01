<?php
/**
 * What both settings routes share: who may call them, the form's input, field errors, limits, no-store answers.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Rest;

use WPS3\Settings\CoreCheck;

defined( 'ABSPATH' ) || exit;

/**
 * Request and answer helpers of `/wps3/v1/settings` and `/wps3/v1/settings/test`.
 *
 * Both routes read the same form (the core's camelCase field names mapped to the stored options, the
 * secret only when one was typed), answer refused fields in one shape and count requests per user.
 */
final class SettingsRequest {

	/** Default requests per window per user. */
	private const LIMITS = array(
		'settings-test' => 5,
		'settings-save' => 10,
	);

	/**
	 * Only administrators of the site (401 when logged out, 403 otherwise).
	 *
	 * @return true|\WP_Error
	 */
	public static function can_manage(): bool|\WP_Error {
		if ( current_user_can( 'manage_options' ) ) {
			return true;
		}
		return new \WP_Error( 'rest_forbidden', __( 'You are not allowed to manage S3 backups.', 'wps3' ), array( 'status' => rest_authorization_required_code() ) );
	}

	/**
	 * The form's values by stored field name (`secret_access_key` when one was typed), with what this user
	 * may not change removed.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return array<string, mixed>|\WP_Error
	 */
	public static function form_input( \WP_REST_Request $request ): array|\WP_Error {
		$posted = $request->get_param( 'settings' );
		if ( ! is_array( $posted ) ) {
			return new \WP_Error( 'wps3_bad_request', __( 'The request holds no settings.', 'wps3' ), array( 'status' => 400 ) );
		}
		$input = array();
		foreach ( CoreCheck::FIELDS as $field => $name ) {
			if ( array_key_exists( $name, $posted ) && is_scalar( $posted[ $name ] ) ) {
				$input[ $field ] = (string) $posted[ $name ];
			}
		}
		$secret = $request->get_param( 'secretAccessKey' );
		if ( is_string( $secret ) && '' !== trim( $secret ) ) {
			$input['secret_access_key'] = $secret;
		}
		list( $input, $refused ) = SettingsController::filter_input_for_user( $input );
		if ( $refused ) {
			$code = \WPS3\Settings\NetworkMode::LOCKED === \WPS3\Settings\NetworkMode::get() ? 'wps3_network_locked' : 'wps3_endpoint_network_only';
			return new \WP_Error( $code, implode( ' ', $refused ), array( 'status' => 403 ) );
		}
		return $input;
	}

	/**
	 * Counts one request; the 429 answer once over the limit.
	 *
	 * @param string $action `settings-test` or `settings-save`.
	 * @return \WP_REST_Response|null
	 */
	public static function limit( string $action ): ?\WP_REST_Response {
		/**
		 * Filters how many requests of one kind a user may make per window.
		 *
		 * @param int    $limit  Default 5 tests, 10 saves.
		 * @param string $action `settings-test` or `settings-save`.
		 */
		$limit = (int) apply_filters( 'wps3_rate_limit', self::LIMITS[ $action ], $action );
		/**
		 * Filters the rate-limit window in seconds (default 60).
		 *
		 * @param int    $window Seconds.
		 * @param string $action `settings-test` or `settings-save`.
		 */
		$window = (int) apply_filters( 'wps3_rate_limit_window', MINUTE_IN_SECONDS, $action );
		$wait   = RateLimiter::hit( $action, get_current_user_id(), $limit, $window );
		if ( null === $wait ) {
			return null;
		}
		$response = new \WP_REST_Response(
			array(
				'code'    => 'wps3_rate_limited',
				/* translators: %d: seconds */
				'message' => sprintf( _n( 'Too many requests — wait %d second', 'Too many requests — wait %d seconds', $wait, 'wps3' ), $wait ),
				'data'    => array(
					'status'     => 429,
					'retryAfter' => $wait,
				),
			),
			429
		);
		$response->header( 'Retry-After', (string) $wait );
		return $response;
	}

	/**
	 * One 400 with a message per refused field (`errors: [{field, message}]`, the core's field names).
	 *
	 * @param \WP_Error $error Errors with codes `wps3_<stored field>`.
	 * @return \WP_Error
	 */
	public static function field_errors( \WP_Error $error ): \WP_Error {
		$fields = array();
		foreach ( $error->get_error_codes() as $code ) {
			$field = substr( (string) $code, 5 );
			foreach ( $error->get_error_messages( $code ) as $message ) {
				$fields[] = array(
					'field'   => CoreCheck::FIELDS[ $field ] ?? ( 'secret_access_key' === $field || 'secret' === $field ? 'secretAccessKey' : '' ),
					'message' => $message,
				);
			}
		}
		return new \WP_Error(
			'wps3_invalid_settings',
			__( 'The settings were not saved or tested: correct the fields marked below.', 'wps3' ),
			array(
				'status' => 400,
				'errors' => $fields,
			)
		);
	}

	/**
	 * Answers are per user and hold settings: never cached.
	 *
	 * @param \WP_REST_Response $response Response.
	 * @return \WP_REST_Response
	 */
	public static function no_store( \WP_REST_Response $response ): \WP_REST_Response {
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}
}
