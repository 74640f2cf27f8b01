<?php
/**
 * REST routes of direct browser transfers under wps3/v1: upload-url, confirm-upload, multipart/*, download-url
 * and files. The bytes go between the browser and the bucket; these routes only hand out and check signatures.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Rest;

use WPS3\Transfers\Config;
use WPS3\Transfers\Files;
use WPS3\Transfers\Multipart;
use WPS3\Transfers\Uploads;

defined( 'ABSPATH' ) || exit;

/**
 * Route registration, argument schemas, permission, rate limit and the response shape.
 */
final class TransfersController {

	/** REST namespace. */
	const NS = 'wps3/v1';

	/** Rate-limit bucket shared by every transfer route. */
	const RATE_ACTION = 'transfers';

	/**
	 * Registers the routes (`rest_api_init`).
	 *
	 * @return void
	 */
	public static function register(): void {
		$string    = static fn ( bool $required ) => array(
			'type'      => 'string',
			'required'  => $required,
			'maxLength' => 1024,
		);
		$upload_id = array(
			'upload_id' => array_merge( $string( true ), array( 'minLength' => 1 ) ),
		);
		self::route(
			'upload-url',
			'POST',
			'upload_url',
			array(
				'filename'         => array_merge( $string( true ), array( 'maxLength' => 255 ) ),
				'mime_type'        => array_merge( $string( true ), array( 'maxLength' => 255 ) ),
				'file_size'        => array(
					'type'     => 'integer',
					'required' => true,
					'minimum'  => 0,
				),
				'resume_upload_id' => $string( false ),
			)
		);
		self::route(
			'confirm-upload',
			'POST',
			'confirm_upload',
			array(
				'key'       => $string( false ),
				'upload_id' => $string( false ),
				'filename'  => array_merge( $string( false ), array( 'maxLength' => 255 ) ),
			)
		);
		self::route(
			'multipart/sign-part',
			'POST',
			'sign_part',
			$upload_id + array(
				'part_numbers' => array(
					'type'     => 'array',
					'required' => true,
					'minItems' => 1,
					'maxItems' => 100,
					'items'    => array(
						'type'    => 'integer',
						'minimum' => 1,
						'maximum' => 10000,
					),
				),
			)
		);
		self::route( 'multipart/list-parts', 'POST', 'list_parts', $upload_id );
		self::route( 'multipart/complete', 'POST', 'complete', $upload_id );
		self::route( 'multipart/abort', 'POST', 'abort', $upload_id );
		self::route(
			'download-url',
			'GET',
			'download_url',
			array(
				'file_id'  => array(
					'type'     => 'integer',
					'required' => true,
					'minimum'  => 1,
				),
				'redirect' => array(
					'type'    => 'boolean',
					'default' => false,
				),
			)
		);
		self::route( 'files', 'GET', 'files', array() );
		self::route(
			'files/(?P<id>\d+)',
			'DELETE',
			'delete_file',
			array(
				'id' => array(
					'type'     => 'integer',
					'required' => true,
					'minimum'  => 1,
				),
			)
		);
	}

	/**
	 * Registers one route with the shared permission check.
	 *
	 * @param string $path    Route.
	 * @param string $method  HTTP method.
	 * @param string $handler Method of this class.
	 * @param array  $args    Argument schema.
	 * @return void
	 */
	private static function route( string $path, string $method, string $handler, array $args ): void {
		register_rest_route(
			self::NS,
			'/' . $path,
			array(
				'methods'             => $method,
				'callback'            => static fn ( \WP_REST_Request $r ) => self::run( $handler, $r ),
				'permission_callback' => array( self::class, 'permission' ),
				'args'                => $args,
			)
		);
	}

	/**
	 * Logged in (cookie + `wp_rest` nonce, checked by WordPress) and holding the transfers capability.
	 *
	 * @return true|\WP_Error
	 */
	public static function permission() {
		if ( ! is_user_logged_in() ) {
			return new \WP_Error( 'wps3_login_required', __( 'Log in to upload and download files.', 'wps3' ), array( 'status' => 401 ) );
		}
		if ( ! current_user_can( Config::capability() ) ) {
			return new \WP_Error( 'wps3_forbidden', __( 'Your account may not upload or download files here.', 'wps3' ), array( 'status' => 403 ) );
		}
		return true;
	}

	/**
	 * Applies the per-user rate limit, runs the handler and shapes its answer.
	 *
	 * @param string           $handler Method name.
	 * @param \WP_REST_Request $request Request.
	 * @return \WP_REST_Response
	 */
	private static function run( string $handler, \WP_REST_Request $request ): \WP_REST_Response {
		$user_id = get_current_user_id();
		$wait    = RateLimiter::hit( self::RATE_ACTION, $user_id, Config::rate_limit() );
		if ( null !== $wait ) {
			$response = self::error(
				new \WP_Error(
					'wps3_rate_limited',
					/* translators: %d: seconds */
					sprintf( __( 'Too many requests. Try again in %d seconds.', 'wps3' ), $wait ),
					array( 'status' => 429 )
				)
			);
			$response->header( 'Retry-After', (string) $wait );
			return $response;
		}
		// WordPress sends its own no-cache headers for logged-in users after ours; make them no-store.
		add_filter( 'nocache_headers', array( self::class, 'no_store' ) );
		$result   = self::$handler( $request, $user_id );
		$response = $result instanceof \WP_REST_Response ? $result : ( is_wp_error( $result ) ? self::error( $result ) : new \WP_REST_Response( $result, 200 ) );
		// Answers hold signed URLs and private file names: never cached, never sent on as a referrer.
		$response->header( 'Cache-Control', 'no-store' );
		$response->header( 'Referrer-Policy', 'no-referrer' );
		return $response;
	}

	/**
	 * `nocache_headers` filter for transfer routes.
	 *
	 * @param mixed $headers Headers.
	 * @return array
	 */
	public static function no_store( $headers ): array {
		return array_merge( is_array( $headers ) ? $headers : array(), array( 'Cache-Control' => 'no-store' ) );
	}

	/**
	 * A clean JSON error: code, message, status, and for storage failures the core's cause and fix — never
	 * raw storage answers, URLs or stack traces.
	 *
	 * @param \WP_Error $error Error.
	 * @return \WP_REST_Response
	 */
	private static function error( \WP_Error $error ): \WP_REST_Response {
		$data   = (array) $error->get_error_data();
		$status = isset( $data['status'] ) ? (int) $data['status'] : self::status_for( (string) ( $data['code'] ?? '' ) );
		$out    = array( 'status' => $status );
		foreach ( array( 'errors', 'reason', 'cause', 'fix', 'retry' ) as $field ) {
			if ( isset( $data[ $field ] ) && ( is_string( $data[ $field ] ) || is_array( $data[ $field ] ) ) ) {
				$out[ $field ] = $data[ $field ];
			}
		}
		if ( isset( $data['code'] ) && is_string( $data['code'] ) ) {
			$out['storageCode'] = $data['code'];
		}
		return new \WP_REST_Response(
			array(
				'code'    => $error->get_error_code(),
				'message' => $error->get_error_message(),
				'data'    => $out,
			),
			$status
		);
	}

	/**
	 * HTTP status for a sidecar or storage error code.
	 *
	 * @param string $code Code from the sidecar (`NOT_CONFIGURED`, `INVALID_ARGUMENT`, an S3 code, …).
	 * @return int
	 */
	private static function status_for( string $code ): int {
		if ( 'BAD_REQUEST' === $code || str_starts_with( $code, 'INVALID_' ) ) {
			return 400;
		}
		if ( in_array( $code, array( 'NOT_CONFIGURED', 'DECRYPT_FAILED', 'SHUTTING_DOWN' ), true ) || str_starts_with( $code, 'SIDECAR' ) ) {
			return 503;
		}
		return 502;
	}

	/**
	 * `POST upload-url`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array|\WP_Error
	 */
	private static function upload_url( \WP_REST_Request $r, int $user_id ) {
		return Uploads::begin( $user_id, (string) $r['filename'], (string) $r['mime_type'], (int) $r['file_size'], (string) ( $r['resume_upload_id'] ?? '' ) );
	}

	/**
	 * `POST confirm-upload`: exactly one of `key` and `upload_id`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array|\WP_Error
	 */
	private static function confirm_upload( \WP_REST_Request $r, int $user_id ) {
		$key       = (string) ( $r['key'] ?? '' );
		$upload_id = (string) ( $r['upload_id'] ?? '' );
		if ( ( '' === $key ) === ( '' === $upload_id ) ) {
			return new \WP_Error( 'wps3_bad_request', __( 'Give either key or upload_id.', 'wps3' ), array( 'status' => 400 ) );
		}
		return Uploads::confirm( $user_id, $key, $upload_id, trim( (string) ( $r['filename'] ?? '' ) ) );
	}

	/**
	 * `POST multipart/sign-part`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array|\WP_Error
	 */
	private static function sign_part( \WP_REST_Request $r, int $user_id ) {
		return Multipart::sign_parts( $user_id, (string) $r['upload_id'], (array) $r['part_numbers'] );
	}

	/**
	 * `POST multipart/list-parts`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array|\WP_Error
	 */
	private static function list_parts( \WP_REST_Request $r, int $user_id ) {
		return Multipart::list_parts( $user_id, (string) $r['upload_id'] );
	}

	/**
	 * `POST multipart/complete`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array|\WP_Error
	 */
	private static function complete( \WP_REST_Request $r, int $user_id ) {
		return Multipart::complete( $user_id, (string) $r['upload_id'] );
	}

	/**
	 * `POST multipart/abort`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array|\WP_Error
	 */
	private static function abort( \WP_REST_Request $r, int $user_id ) {
		return Multipart::abort( $user_id, (string) $r['upload_id'] );
	}

	/**
	 * `GET download-url?file_id=N[&redirect=1]`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array|\WP_Error|\WP_REST_Response
	 */
	private static function download_url( \WP_REST_Request $r, int $user_id ) {
		$link = Files::download_url( (int) $r['file_id'], $user_id );
		if ( is_wp_error( $link ) || ! $r['redirect'] ) {
			return $link;
		}
		$response = new \WP_REST_Response( null, 302 );
		$response->header( 'Location', (string) $link['url'] );
		return $response;
	}

	/**
	 * `GET files`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array
	 */
	private static function files( \WP_REST_Request $r, int $user_id ): array {
		unset( $r );
		return array( 'files' => Files::listing( $user_id ) );
	}

	/**
	 * `DELETE files/{id}`.
	 *
	 * @param \WP_REST_Request $r       Request.
	 * @param int              $user_id User.
	 * @return array|\WP_Error
	 */
	private static function delete_file( \WP_REST_Request $r, int $user_id ) {
		return Files::delete( (int) $r['id'], $user_id );
	}
}
