<?php
/**
 * REST routes of the integration page: read, save and test the storage settings.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Rest;

use WPS3\AdviceTexts;
use WPS3\Errors;
use WPS3\Settings\CoreCheck;
use WPS3\Settings\Settings;
use WPS3\Sidecar\Client;

defined( 'ABSPATH' ) || exit;

/**
 * `GET|POST /wps3/v1/settings` and `POST /wps3/v1/settings/test`.
 *
 * Every rule (validation, the connection verdicts) is the core's: this class checks who asks, how often,
 * maps field names between the form (the core's camelCase) and the stored options, and never sends the
 * secret back. Over ~300 lines because the three routes share their input mapping and error shapes.
 */
final class SettingsController {

	public const NAMESPACE = 'wps3/v1';

	/** Option: whether browsers upload directly (enables the CORS rule and the browser checks). */
	public const DIRECT_UPLOADS_OPTION = 'wps3_direct_uploads';

	/** Default requests per window per user. */
	private const LIMITS = array(
		'settings-test' => 5,
		'settings-save' => 10,
	);

	/** How long the browser has to report its probe back, in seconds. */
	private const PROBE_TTL = 300;

	/**
	 * Registers the routes and the nonce wording.
	 *
	 * @return void
	 */
	public function boot(): void {
		add_action( 'rest_api_init', array( $this, 'register' ) );
		// After core's rest_cookie_check_errors (100): only the wording of its verdict changes.
		add_filter( 'rest_authentication_errors', array( $this, 'nonce_message' ), 101 );
	}

	/**
	 * Registers the three routes.
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
					'permission_callback' => array( $this, 'can_manage' ),
				),
				array(
					'methods'             => 'POST',
					'callback'            => array( $this, 'save' ),
					'permission_callback' => array( $this, 'can_manage' ),
				),
			)
		);
		register_rest_route(
			self::NAMESPACE,
			'/settings/test',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'test' ),
				'permission_callback' => array( $this, 'can_manage' ),
			)
		);
	}

	/**
	 * Only administrators of the site (401 when logged out, 403 otherwise).
	 *
	 * @return true|\WP_Error
	 */
	public function can_manage(): bool|\WP_Error {
		if ( current_user_can( 'manage_options' ) ) {
			return true;
		}
		return new \WP_Error( 'rest_forbidden', __( 'You are not allowed to manage S3 backups.', 'wps3' ), array( 'status' => rest_authorization_required_code() ) );
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
		return $this->no_store( new \WP_REST_Response( $this->payload() ) );
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
		$limited = $this->limit( 'settings-save' );
		if ( null !== $limited ) {
			return $limited;
		}
		$input = $this->form_input( $request );
		if ( is_wp_error( $input ) ) {
			return $input;
		}
		$saved = Settings::instance()->save( $input );
		unset( $input );
		if ( is_wp_error( $saved ) ) {
			return $this->field_errors( $saved );
		}
		if ( null !== $request->get_param( 'directUploads' ) ) {
			update_option( self::DIRECT_UPLOADS_OPTION, rest_sanitize_boolean( $request->get_param( 'directUploads' ) ) ? '1' : '0', false );
		}
		return $this->no_store( new \WP_REST_Response( array( 'saved' => true ) + $this->payload() ) );
	}

	/**
	 * POST: Test Connection on the form's values (saved or not), through the sidecar.
	 *
	 * `phase: "browser"` reports the browser's own probe (URLs issued by the previous test) and gets the
	 * final checklist; it is not counted again against the limit.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response|\WP_Error
	 */
	public function test( \WP_REST_Request $request ): \WP_REST_Response|\WP_Error {
		$browser = 'browser' === $request->get_param( 'phase' );
		$pending = $browser ? get_transient( $this->probe_transient() ) : null;
		if ( $browser && ( ! is_array( $pending ) || $pending['key'] !== (string) $request->get_param( 'probeKey' ) ) ) {
			return new \WP_Error( 'wps3_no_probe', __( 'That browser check expired; run Test Connection again.', 'wps3' ), array( 'status' => 400 ) );
		}
		if ( ! $browser ) {
			$limited = $this->limit( 'settings-test' );
			if ( null !== $limited ) {
				return $limited;
			}
		}
		$input = $this->form_input( $request );
		if ( is_wp_error( $input ) ) {
			return $input;
		}
		$target = $this->target( $input );
		unset( $input );
		if ( is_wp_error( $target ) ) {
			return $target;
		}
		$direct = null !== $request->get_param( 'directUploads' ) ? rest_sanitize_boolean( $request->get_param( 'directUploads' ) ) : self::direct_uploads_enabled();
		if ( $browser ) {
			delete_transient( $this->probe_transient() );
			$outcome = $request->get_param( 'browser' );
			$result  = Client::instance()->call( 'diagnose-browser', $target + array( 'key' => $pending['key'], 'observations' => $pending['observations'], 'browser' => is_array( $outcome ) ? $outcome : array() ), 60 );
		} else {
			$result = Client::instance()->call( 'diagnose', $target + array( 'directUploads' => $direct, 'origin' => self::origin() ), 60 );
		}
		if ( is_wp_error( $result ) ) {
			return $this->sidecar_error( $result );
		}
		$out = array(
			'ok'           => (bool) ( $result['diagnosis']['ok'] ?? false ),
			'rows'         => array_map( array( $this, 'translate_row' ), (array) ( $result['diagnosis']['rows'] ?? array() ) ),
			'offer'        => $result['diagnosis']['offer'] ?? null,
			'probeKeyLeft' => $result['probeKeyLeft'] ?? null,
		);
		if ( ! $browser && isset( $result['browserProbe']['key'] ) ) {
			set_transient(
				$this->probe_transient(),
				array(
					'key'          => (string) $result['browserProbe']['key'],
					'observations' => $result['observations'] ?? array(),
				),
				self::PROBE_TTL
			);
			$out['browserProbe'] = $result['browserProbe'];
		}
		return $this->no_store( new \WP_REST_Response( $out ) );
	}

	/**
	 * The form's values by stored field name (`secret_access_key` when one was typed), with what this user
	 * may not change removed.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return array<string, mixed>|\WP_Error
	 */
	private function form_input( \WP_REST_Request $request ): array|\WP_Error {
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
		list( $input, $refused ) = self::filter_input_for_user( $input );
		if ( $refused ) {
			return new \WP_Error( 'wps3_endpoint_network_only', implode( ' ', $refused ), array( 'status' => 403 ) );
		}
		return $input;
	}

	/**
	 * Storage, credentials and prefix of the form's values, validated by the core.
	 *
	 * @param array<string, mixed> $input Form input (stored field names).
	 * @return array{storage: array<string, mixed>, credentials: array<string, mixed>, pathPrefix: string}|\WP_Error
	 */
	private function target( array $input ): array|\WP_Error {
		$settings = Settings::instance();
		$secret   = $settings->is_locked( 'secret_access_key' ) ? '' : (string) ( $input['secret_access_key'] ?? '' );
		unset( $input['secret_access_key'] );
		$values = array_merge( $settings->all(), array_diff_key( $input, $settings->locked_fields() ) );
		$valid  = $settings->validate( $values );
		if ( is_wp_error( $valid ) ) {
			return $this->field_errors( $valid );
		}
		$storage = $settings->storage( $valid );
		if ( is_wp_error( $storage ) ) {
			return $this->field_errors( $storage );
		}
		$key_id = (string) ( $valid['access_key_id'] ?? '' );
		if ( '' !== $secret ) {
			$credentials = array(
				'accessKeyId'     => $key_id,
				'secretAccessKey' => $secret,
			);
		} else {
			$credentials = $settings->credentials();
			if ( is_wp_error( $credentials ) || '' === $key_id ) {
				return $this->sign_failure();
			}
			$credentials['accessKeyId'] = $key_id;
		}
		return array(
			'storage'     => $storage,
			'credentials' => $credentials,
			'pathPrefix'  => (string) ( $valid['path_prefix'] ?? '' ),
		);
	}

	/**
	 * Counts one request; the 429 answer once over the limit.
	 *
	 * @param string $action `settings-test` or `settings-save`.
	 * @return \WP_REST_Response|null
	 */
	private function limit( string $action ): ?\WP_REST_Response {
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
	private function field_errors( \WP_Error $error ): \WP_Error {
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
	 * The promised words for missing or undecryptable keys.
	 *
	 * @return \WP_Error
	 */
	private function sign_failure(): \WP_Error {
		return new \WP_Error( 'wps3_sign_failed', __( 'Failed to sign request — re-enter both keys', 'wps3' ), array( 'status' => 400 ) );
	}

	/**
	 * A failed sidecar call as a REST error (no stack trace, no raw XML: the error model's words only).
	 *
	 * @param \WP_Error $error From Client::call().
	 * @return \WP_Error
	 */
	private function sidecar_error( \WP_Error $error ): \WP_Error {
		$code = (string) Errors::field( $error, 'code', $error->get_error_code() );
		if ( in_array( $code, array( 'DECRYPT_FAILED', 'UNSUPPORTED_ENVELOPE' ), true ) ) {
			return $this->sign_failure();
		}
		$data  = $error->get_error_data();
		$texts = AdviceTexts::resolve( (string) Errors::field( $error, 'adviceId', '' ), $code, is_array( $data ) ? $data : array(), $error->get_error_message() );
		return new \WP_Error(
			'wps3_test_failed',
			trim( $texts['cause'] . ' ' . $texts['fix'] ),
			array(
				'status' => 502,
				'code'   => $code,
			)
		);
	}

	/**
	 * A checklist row with its cause and fix in the site's language (the core's English otherwise).
	 *
	 * @param mixed $row Row from the core.
	 * @return array<string, mixed>
	 */
	private function translate_row( mixed $row ): array {
		$row = is_array( $row ) ? $row : array();
		if ( ! empty( $row['adviceId'] ) || ! empty( $row['cause'] ) ) {
			$data  = is_array( $row['data'] ?? null ) ? $row['data'] : array();
			$texts = AdviceTexts::resolve( (string) ( $row['adviceId'] ?? '' ), '', $row + $data, (string) ( $row['cause'] ?? '' ) );
			$row   = array_merge( $row, $texts );
		}
		// An empty map stays a JSON object.
		$row['data'] = (object) ( is_array( $row['data'] ?? null ) ? $row['data'] : array() );
		return $row;
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
		return array( $input, $errors );
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

	/**
	 * Answers are per user and hold settings: never cached.
	 *
	 * @param \WP_REST_Response $response Response.
	 * @return \WP_REST_Response
	 */
	private function no_store( \WP_REST_Response $response ): \WP_REST_Response {
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}

	/**
	 * Transient holding the pending browser probe of the current user.
	 *
	 * @return string
	 */
	private function probe_transient(): string {
		return 'wps3_probe_' . get_current_user_id();
	}
}
