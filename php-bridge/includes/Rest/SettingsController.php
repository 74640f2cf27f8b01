<?php
/**
 * REST routes of the integration page: read and save the storage settings.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Rest;

use WPS3\Settings\CoreCheck;
use WPS3\Settings\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * `GET|POST /wps3/v1/settings`; boots the Test Connection route too (ConnectionTestController).
 *
 * Every rule (validation, the connection verdicts) is the core's: this class checks who asks, how often,
 * maps field names between the form (the core's camelCase) and the stored options, and never sends the
 * secret back. The input mapping and error shapes it shares with the test route are in SettingsRequest.
 */
final class SettingsController {

	public const NAMESPACE = 'wps3/v1';

	/** Option: whether browsers upload directly (enables the CORS rule and the browser checks). */
	public const DIRECT_UPLOADS_OPTION = 'wps3_direct_uploads';

	/**
	 * Registers the routes and the nonce wording.
	 *
	 * @return void
	 */
	public function boot(): void {
		add_action( 'rest_api_init', array( $this, 'register' ) );
		add_action( 'rest_api_init', array( new ConnectionTestController(), 'register' ) );
		// After core's rest_cookie_check_errors (100): only the wording of its verdict changes.
		add_filter( 'rest_authentication_errors', array( $this, 'nonce_message' ), 101 );
	}

	/**
	 * Registers `GET|POST /wps3/v1/settings`.
	 *
	 * @return void
	 */
	public function register(): void {
		register_rest_route(
			self::NAMESPACE,
			'/settings',
			array(
				array(
					'methods'             => 'GET',
					'callback'            => array( $this, 'read' ),
					'permission_callback' => array( SettingsRequest::class, 'can_manage' ),
				),
				array(
					'methods'             => 'POST',
					'callback'            => array( $this, 'save' ),
					'permission_callback' => array( SettingsRequest::class, 'can_manage' ),
				),
			)
		);
	}

	/**
	 * A bad or expired nonce on our routes reads as the product promises.
	 *
	 * @param mixed $result Earlier authentication verdict.
	 * @return mixed
	 */
	public function nonce_message( mixed $result ): mixed {
		if ( ! is_wp_error( $result ) || 'rest_cookie_invalid_nonce' !== $result->get_error_code() ) {
			return $result;
		}
		$route = isset( $GLOBALS['wp']->query_vars['rest_route'] ) ? (string) $GLOBALS['wp']->query_vars['rest_route'] : '';
		if ( ! str_starts_with( ltrim( $route, '/' ), self::NAMESPACE . '/' ) ) {
			return $result;
		}
		return new \WP_Error( 'rest_cookie_invalid_nonce', __( 'Security check failed — refresh the page', 'wps3' ), array( 'status' => 403 ) );
	}

	/**
	 * Whether direct browser uploads are enabled on this site.
	 *
	 * @return bool
	 */
	public static function direct_uploads_enabled(): bool {
		/**
		 * Filters whether browsers upload to the bucket directly (CORS rule, browser checks, uploads IAM statement).
		 *
		 * @param bool $enabled The page's setting.
		 */
		return (bool) apply_filters( 'wps3_direct_uploads_enabled', '1' === (string) get_option( self::DIRECT_UPLOADS_OPTION, '0' ) );
	}

	/**
	 * GET: the effective settings without the secret.
	 *
	 * @return \WP_REST_Response
	 */
	public function read(): \WP_REST_Response {
		return SettingsRequest::no_store( new \WP_REST_Response( $this->payload() ) );
	}

	/**
	 * What the page shows: values by the core's field names, `secretSet`, locked fields with their constants.
	 *
	 * @return array<string, mixed>
	 */
	public function payload(): array {
		$settings = Settings::instance();
		$values   = array();
		foreach ( CoreCheck::FIELDS as $field => $name ) {
			$values[ $name ] = $settings->get( $field );
		}
		$locked = array();
		foreach ( $settings->locked_fields() as $field => $constant ) {
			$locked[ CoreCheck::FIELDS[ $field ] ?? 'secretAccessKey' ] = $constant;
		}
		return array(
			'settings'        => $values,
			'directUploads'   => self::direct_uploads_enabled(),
			'secretSet'       => $settings->has_secret(),
			'locked'          => (object) $locked,
			'canEditEndpoint' => self::can_edit_endpoint(),
			'networkMode'     => \WPS3\Settings\NetworkMode::get(),
			'origin'          => self::origin(),
		);
	}

	/**
	 * POST: validates (through the core), seals a new secret and saves. An empty secret keeps the stored one.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function save( \WP_REST_Request $request ): \WP_REST_Response|\WP_Error {
		$limited = SettingsRequest::limit( 'settings-save' );
		if ( null !== $limited ) {
			return $limited;
		}
		$input = SettingsRequest::form_input( $request );
		if ( is_wp_error( $input ) ) {
			return $input;
		}
		$saved = Settings::instance()->save( $input );
		unset( $input );
		if ( is_wp_error( $saved ) ) {
			return SettingsRequest::field_errors( $saved );
		}
		if ( null !== $request->get_param( 'directUploads' ) ) {
			update_option( self::DIRECT_UPLOADS_OPTION, rest_sanitize_boolean( $request->get_param( 'directUploads' ) ) ? '1' : '0', false );
		}
		return SettingsRequest::no_store( new \WP_REST_Response( array( 'saved' => true ) + $this->payload() ) );
	}

	/**
	 * Whether the current user may change the endpoint: on multisite only network admins may point a site
	 * at another server (the endpoint decides where the sidecar connects from the host).
	 *
	 * @return bool
	 */
	public static function can_edit_endpoint(): bool {
		return ! is_multisite() || current_user_can( 'manage_network_options' );
	}

	/**
	 * Removes from posted settings what the current user may not change.
	 *
	 * @param array<string, mixed> $input Posted settings (stored field names).
	 * @return array{0: array<string, mixed>, 1: string[]} Filtered input and why something was refused.
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
		if ( \WPS3\Settings\NetworkMode::LOCKED === \WPS3\Settings\NetworkMode::get() ) {
			// The network's credentials come with its bucket, region and prefix: a site admin who could change
			// one of them could aim the network's key at any bucket, or at another site's objects.
			$settings = Settings::instance();
			foreach ( array_merge( \WPS3\Settings\NetworkMode::LOCKED_FIELDS, array( 'secret_access_key' ) ) as $field ) {
				if ( ! array_key_exists( $field, $input ) ) {
					continue;
				}
				$posted = is_scalar( $input[ $field ] ) ? trim( (string) $input[ $field ] ) : '';
				$same   = 'secret_access_key' === $field ? '' === $posted : rtrim( $posted, '/' ) === rtrim( $settings->get( $field ), '/' );
				if ( ! $same && ! current_user_can( 'manage_network_options' ) ) {
					$errors[] = __( 'The network administrator locked the storage settings and credentials of every site; only wp-config.php changes them.', 'wps3' );
				}
				unset( $input[ $field ] );
			}
		}
		return array( $input, array_values( array_unique( $errors ) ) );
	}

	/**
	 * This site's admin origin (`scheme://host[:port]`): where the page, and so the browser probe, runs.
	 *
	 * @return string
	 */
	public static function origin(): string {
		$parts = wp_parse_url( admin_url() );
		$port  = isset( $parts['port'] ) ? ':' . $parts['port'] : '';
		return ( $parts['scheme'] ?? 'https' ) . '://' . ( $parts['host'] ?? '' ) . $port;
	}
}
