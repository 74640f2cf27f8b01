<?php
/**
 * REST route of the integration page's Test Connection: the server checks, then the browser's own probe.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Rest;

use WPS3\AdviceTexts;
use WPS3\Errors;
use WPS3\Settings\Settings;
use WPS3\Sidecar\Client;

defined( 'ABSPATH' ) || exit;

/**
 * `POST /wps3/v1/settings/test`: Test Connection on the form's values (saved or not).
 *
 * The verdicts are the core's (ops `diagnose`, `diagnose-browser` through the sidecar); this class
 * builds their target from the form, keeps the pending browser probe per user and translates the rows.
 */
final class ConnectionTestController {

	/** How long the browser has to report its probe back, in seconds. */
	private const PROBE_TTL = 300;

	/**
	 * Registers `POST /wps3/v1/settings/test`.
	 *
	 * @return void
	 */
	public function register(): void {
		register_rest_route(
			SettingsController::NAMESPACE,
			'/settings/test',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'test' ),
				'permission_callback' => array( SettingsRequest::class, 'can_manage' ),
			)
		);
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
			$limited = SettingsRequest::limit( 'settings-test' );
			if ( null !== $limited ) {
				return $limited;
			}
		}
		$input = SettingsRequest::form_input( $request );
		if ( is_wp_error( $input ) ) {
			return $input;
		}
		$target = $this->target( $input );
		unset( $input );
		if ( is_wp_error( $target ) ) {
			return $target;
		}
		$direct = null !== $request->get_param( 'directUploads' ) ? rest_sanitize_boolean( $request->get_param( 'directUploads' ) ) : SettingsController::direct_uploads_enabled();
		if ( $browser ) {
			delete_transient( $this->probe_transient() );
			$outcome = $request->get_param( 'browser' );
			$result  = Client::instance()->call( 'diagnose-browser', $target + array( 'key' => $pending['key'], 'observations' => $pending['observations'], 'browser' => is_array( $outcome ) ? $outcome : array() ), 60 );
		} else {
			$result = Client::instance()->call( 'diagnose', $target + array( 'directUploads' => $direct, 'origin' => SettingsController::origin() ), 60 );
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
		return SettingsRequest::no_store( new \WP_REST_Response( $out ) );
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
			return SettingsRequest::field_errors( $valid );
		}
		$storage = $settings->storage( $valid );
		if ( is_wp_error( $storage ) ) {
			return SettingsRequest::field_errors( $storage );
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
		// The sidecar refusing the request itself (a 1 MiB secret, say) is the request's fault, not a bad gateway.
		$status = 'PAYLOAD_TOO_LARGE' === $code ? 413 : ( 'BAD_REQUEST' === $code || str_starts_with( $code, 'INVALID_' ) ? 400 : 502 );
		return new \WP_Error(
			'wps3_test_failed',
			trim( $texts['cause'] . ' ' . $texts['fix'] ),
			array(
				'status' => $status,
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
	 * Transient holding the pending browser probe of the current user.
	 *
	 * @return string
	 */
	private function probe_transient(): string {
		return 'wps3_probe_' . get_current_user_id();
	}
}
