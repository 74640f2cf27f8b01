<?php
/**
 * Every transfer route's validation, permission and rate limit, through WordPress's REST server:
 * each bad input gets a clear 4xx JSON error (code + message), never a 500 or storage internals.
 *
 * @package wps3
 */

// phpcs:disable WordPress.DB.DirectDatabaseQuery

use WPS3\Rest\TransfersController;
use WPS3\Transfers\Schema;

/**
 * REST-level tests (rest_do_request as a logged-in member).
 */
class TransfersRestTest extends WPS3_E2E_TestCase {

	/**
	 * A member (subscriber).
	 *
	 * @var int
	 */
	private static $member = 0;

	/**
	 * Logged in as a fresh member, no leftover filters or rate-limit counters.
	 */
	protected function setUp(): void {
		parent::setUp();
		add_filter( 'wps3_direct_uploads_enabled', '__return_true' );
		if ( ! self::$member ) {
			self::$member = (int) wp_insert_user(
				array(
					'user_login' => 'rest_member_' . wp_generate_password( 6, false ),
					'user_pass'  => wp_generate_password(),
					'role'       => 'subscriber',
				)
			);
		}
		wp_set_current_user( self::$member );
		\WPS3\Rest\RateLimiter::reset( TransfersController::RATE_ACTION, self::$member );
	}

	/**
	 * Removes the test's filters.
	 */
	protected function tearDown(): void {
		remove_filter( 'wps3_direct_uploads_enabled', '__return_true' );
		foreach ( array( 'wps3_transfers_capability', 'wps3_transfers_rate_limit', 'wps3_upload_max_size' ) as $hook ) {
			remove_all_filters( $hook );
		}
		wp_set_current_user( 0 );
		parent::tearDown();
	}

	/**
	 * Dispatches a request.
	 *
	 * @param string $method HTTP method.
	 * @param string $route  Route under wps3/v1.
	 * @param array  $params Parameters.
	 * @return WP_REST_Response
	 */
	private function call( $method, $route, array $params = array() ) {
		$request = new WP_REST_Request( $method, '/wps3/v1/' . $route );
		foreach ( $params as $k => $v ) {
			$request->set_param( $k, $v );
		}
		return rest_get_server()->dispatch( $request );
	}

	/**
	 * Asserts a clear client error: the status, a code, a sentence, and nothing internal.
	 *
	 * @param int              $status   Expected status.
	 * @param WP_REST_Response $response Response.
	 * @param string|null      $code     Expected error code.
	 * @return void
	 */
	private function assertClientError( $status, $response, $code = null ) {
		$data = $response->get_data();
		if ( is_wp_error( $data ) ) {
			$data = rest_get_server()->response_to_data( rest_convert_error_to_response( $data ), false );
		}
		$json = (string) wp_json_encode( $data );
		$this->assertSame( $status, $response->get_status(), $json );
		$this->assertIsArray( $data, $json );
		$this->assertIsString( $data['code'] ?? null, $json );
		$this->assertNotSame( '', trim( (string) ( $data['message'] ?? '' ) ), $json );
		if ( null !== $code ) {
			$this->assertSame( $code, $data['code'], $json );
		}
		foreach ( array( 'X-Amz-Signature', '<?xml', 'Stack trace', '#0 /' ) as $needle ) {
			$this->assertStringNotContainsString( $needle, $json );
		}
	}

	/**
	 * Every route with bad or missing parameters.
	 */
	public function test_every_route_rejects_bad_input_with_a_clear_4xx() {
		$cases = array(
			array( 'POST', 'upload-url', array(), 400, 'rest_missing_callback_param' ),
			array( 'POST', 'upload-url', array( 'filename' => 'a.pdf', 'mime_type' => 'application/pdf' ), 400, 'rest_missing_callback_param' ),
			array( 'POST', 'upload-url', array( 'filename' => 'a.pdf', 'mime_type' => 'application/pdf', 'file_size' => 'lots' ), 400, 'rest_invalid_param' ),
			array( 'POST', 'upload-url', array( 'filename' => 'a.pdf', 'mime_type' => 'application/pdf', 'file_size' => -1 ), 400, 'rest_invalid_param' ),
			array( 'POST', 'upload-url', array( 'filename' => str_repeat( 'a', 300 ) . '.pdf', 'mime_type' => 'application/pdf', 'file_size' => 10 ), 400, 'rest_invalid_param' ),
			array( 'POST', 'upload-url', array( 'filename' => 'a.pdf', 'mime_type' => 'application/pdf', 'file_size' => 0 ), 400, 'wps3_upload_rejected' ),
			array( 'POST', 'upload-url', array( 'filename' => '   ', 'mime_type' => 'application/pdf', 'file_size' => 10 ), 400, 'wps3_upload_rejected' ),
			array( 'POST', 'upload-url', array( 'filename' => 'a.pdf', 'mime_type' => 'pdf', 'file_size' => 10 ), 400, 'wps3_upload_rejected' ),
			array( 'POST', 'upload-url', array( 'filename' => 'a.exe', 'mime_type' => 'application/x-msdownload', 'file_size' => 10 ), 415, 'wps3_upload_rejected' ),
			array( 'POST', 'upload-url', array( 'filename' => 'a.pdf', 'mime_type' => 'application/pdf', 'file_size' => 21 * MB_IN_BYTES ), 413, 'wps3_upload_rejected' ),
			array( 'POST', 'upload-url', array( 'filename' => 'a.pdf', 'mime_type' => 'application/pdf', 'file_size' => 10, 'resume_upload_id' => 'never-issued' ), 404, 'wps3_not_resumable' ),
			array( 'POST', 'confirm-upload', array(), 400, 'wps3_bad_request' ),
			array( 'POST', 'confirm-upload', array( 'key' => 'uploads/1/a', 'upload_id' => 'x' ), 400, 'wps3_bad_request' ),
			array( 'POST', 'confirm-upload', array( 'key' => 'uploads/1/0000000000000000_a.pdf' ), 403, 'wps3_not_yours' ),
			array( 'POST', 'confirm-upload', array( 'upload_id' => 'never-issued' ), 403, 'wps3_not_yours' ),
			array( 'POST', 'confirm-upload', array( 'key' => array( 'x' ) ), 400, 'rest_invalid_param' ),
			array( 'POST', 'multipart/sign-part', array( 'part_numbers' => array( 1 ) ), 400, 'rest_missing_callback_param' ),
			array( 'POST', 'multipart/sign-part', array( 'upload_id' => 'x' ), 400, 'rest_missing_callback_param' ),
			array( 'POST', 'multipart/sign-part', array( 'upload_id' => 'x', 'part_numbers' => array() ), 400, 'rest_invalid_param' ),
			array( 'POST', 'multipart/sign-part', array( 'upload_id' => 'x', 'part_numbers' => array( 0 ) ), 400, 'rest_invalid_param' ),
			array( 'POST', 'multipart/sign-part', array( 'upload_id' => 'x', 'part_numbers' => array( 10001 ) ), 400, 'rest_invalid_param' ),
			array( 'POST', 'multipart/sign-part', array( 'upload_id' => 'x', 'part_numbers' => range( 1, 101 ) ), 400, 'rest_invalid_param' ),
			array( 'POST', 'multipart/sign-part', array( 'upload_id' => 'x', 'part_numbers' => array( 'one' ) ), 400, 'rest_invalid_param' ),
			array( 'POST', 'multipart/sign-part', array( 'upload_id' => 'never-issued', 'part_numbers' => array( 1 ) ), 403, 'wps3_not_yours' ),
			array( 'POST', 'multipart/list-parts', array(), 400, 'rest_missing_callback_param' ),
			array( 'POST', 'multipart/list-parts', array( 'upload_id' => '' ), 400, 'rest_invalid_param' ),
			array( 'POST', 'multipart/list-parts', array( 'upload_id' => 'never-issued' ), 403, 'wps3_not_yours' ),
			array( 'POST', 'multipart/complete', array(), 400, 'rest_missing_callback_param' ),
			array( 'POST', 'multipart/complete', array( 'upload_id' => 'never-issued' ), 403, 'wps3_not_yours' ),
			array( 'POST', 'multipart/abort', array(), 400, 'rest_missing_callback_param' ),
			array( 'POST', 'multipart/abort', array( 'upload_id' => 'never-issued' ), 403, 'wps3_not_yours' ),
			array( 'GET', 'download-url', array(), 400, 'rest_missing_callback_param' ),
			array( 'GET', 'download-url', array( 'file_id' => 0 ), 400, 'rest_invalid_param' ),
			array( 'GET', 'download-url', array( 'file_id' => 'abc' ), 400, 'rest_invalid_param' ),
			array( 'GET', 'download-url', array( 'file_id' => 99999999 ), 404, 'wps3_file_not_found' ),
			array( 'GET', 'download-url', array( 'file_id' => 1, 'redirect' => 'maybe' ), 400, 'rest_invalid_param' ),
			array( 'DELETE', 'files/0', array(), 400, 'rest_invalid_param' ),
			array( 'DELETE', 'files/99999999', array(), 404, 'wps3_file_not_found' ),
			array( 'PUT', 'upload-url', array(), 404, 'rest_no_route' ),
		);
		foreach ( $cases as list( $method, $route, $params, $status, $code ) ) {
			\WPS3\Rest\RateLimiter::reset( TransfersController::RATE_ACTION, self::$member );
			$this->assertClientError( $status, $this->call( $method, $route, $params ), $code );
		}
	}

	/**
	 * A rejected upload names the field and records nothing.
	 */
	public function test_rejections_name_the_field_and_record_nothing() {
		global $wpdb;
		$tables = Schema::tables();
		$before = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$tables['intents']}" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$res    = $this->call(
			'POST',
			'upload-url',
			array(
				'filename'  => 'a.html',
				'mime_type' => 'text/html',
				'file_size' => 0,
			)
		);
		$data   = $res->get_data();
		$fields = array_column( $data['data']['errors'], 'field' );
		$this->assertSame( array( 'mime_type', 'file_size' ), $fields );
		$this->assertStringContainsString( 'not accepted', $data['message'] );
		$this->assertSame( $before, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$tables['intents']}" ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Logged out: 401 on every route; without the (filtered) capability: 403.
	 */
	public function test_login_and_capability_are_required() {
		$up     = array( 'upload_id' => 'x' );
		$routes = array(
			array( 'POST', 'upload-url', array( 'filename' => 'a.pdf', 'mime_type' => 'application/pdf', 'file_size' => 1 ) ),
			array( 'POST', 'confirm-upload', array( 'key' => 'k' ) ),
			array( 'POST', 'multipart/sign-part', $up + array( 'part_numbers' => array( 1 ) ) ),
			array( 'POST', 'multipart/list-parts', $up ),
			array( 'POST', 'multipart/complete', $up ),
			array( 'POST', 'multipart/abort', $up ),
			array( 'GET', 'download-url', array( 'file_id' => 1 ) ),
			array( 'GET', 'files', array() ),
			array( 'DELETE', 'files/1', array() ),
		);
		wp_set_current_user( 0 );
		foreach ( $routes as list( $method, $route, $params ) ) {
			$this->assertClientError( 401, $this->call( $method, $route, $params ), 'wps3_login_required' );
		}
		wp_set_current_user( self::$member );
		add_filter( 'wps3_transfers_capability', static fn () => 'upload_files' );
		foreach ( $routes as list( $method, $route, $params ) ) {
			$this->assertClientError( 403, $this->call( $method, $route, $params ), 'wps3_forbidden' );
		}
		remove_all_filters( 'wps3_transfers_capability' );
		$this->assertSame( 200, $this->call( 'GET', 'files' )->get_status() );
	}

	/**
	 * The per-user limit answers 429 with Retry-After once exceeded.
	 */
	public function test_rate_limit_answers_429_with_retry_after() {
		add_filter( 'wps3_transfers_rate_limit', static fn () => 2 );
		$this->assertSame( 200, $this->call( 'GET', 'files' )->get_status() );
		$this->assertSame( 200, $this->call( 'GET', 'files' )->get_status() );
		$third = $this->call( 'GET', 'files' );
		$this->assertClientError( 429, $third, 'wps3_rate_limited' );
		$this->assertGreaterThanOrEqual( 1, (int) ( $third->get_headers()['Retry-After'] ?? 0 ) );
	}

	/**
	 * An issued upload never carries a credential, and its key is under the member's prefix.
	 */
	public function test_upload_url_issues_a_post_policy_for_the_members_prefix() {
		$res  = $this->call(
			'POST',
			'upload-url',
			array(
				'filename'  => 'Rechnung März.pdf',
				'mime_type' => 'application/pdf',
				'file_size' => 1234,
			)
		);
		$data = $res->get_data();
		$this->assertSame( 200, $res->get_status(), (string) wp_json_encode( $data ) );
		$this->assertSame( 'post', $data['shape'] );
		$this->assertMatchesRegularExpression( '#^uploads/' . self::$member . '/[0-9a-f]{16}_Rechnung-März\.pdf$#u', $data['key'] );
		$this->assertStringNotContainsString( self::env( 'S3_SECRET_ACCESS_KEY' ), (string) wp_json_encode( $data ) );
		$this->assertSame( 'no-store', $res->get_headers()['Cache-Control'] );
		$names = array_column( $data['fields'], 0 );
		$this->assertSame( array( 'Content-Type', 'key', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'policy', 'x-amz-signature' ), $names );
	}
}
