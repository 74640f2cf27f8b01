<?php
/**
 * Transfers against the harness's ministack: confirm checks, cleanup of unconfirmed intents after their grace
 * period, and a presigned GET refused by storage once expired.
 *
 * @package wps3
 */

// phpcs:disable WordPress.DB.DirectDatabaseQuery, WordPress.WP.AlternativeFunctions

use WPS3\Transfers\Cleanup;
use WPS3\Transfers\IntentStore;
use WPS3\Transfers\Schema;
use WPS3\Transfers\Storage;
use WPS3\Transfers\Uploads;

/**
 * Service-level tests with real storage.
 */
class TransfersStorageTest extends WPS3_E2E_TestCase {

	/**
	 * Uploader.
	 *
	 * @var int
	 */
	private static $user = 0;

	/**
	 * A member to upload as.
	 */
	protected function setUp(): void {
		parent::setUp();
		add_filter( 'wps3_direct_uploads_enabled', '__return_true' );
		if ( ! self::$user ) {
			self::$user = (int) wp_insert_user(
				array(
					'user_login' => 'storage_member_' . wp_generate_password( 6, false ),
					'user_pass'  => wp_generate_password(),
					'role'       => 'subscriber',
				)
			);
		}
	}

	/**
	 * Removes the test's filters.
	 */
	protected function tearDown(): void {
		remove_filter( 'wps3_direct_uploads_enabled', '__return_true' );
		remove_all_filters( 'wps3_intent_grace' );
		parent::tearDown();
	}

	/**
	 * Puts bytes under a key through the sidecar (as a browser would have).
	 *
	 * @param string $key   Key.
	 * @param string $bytes Body.
	 * @param string $type  Content-Type.
	 * @return void
	 */
	private function put( $key, $bytes, $type ) {
		$file = wp_tempnam( 'wps3-transfer', trailingslashit( self::env( 'E2E_DIR' ) ) ); // Inside the harness's allowed root.
		file_put_contents( $file, $bytes );
		$this->tmp_files[] = $file;
		$put = Storage::call(
			'upload-file',
			array(
				'key'         => $key,
				'path'        => $file,
				'contentType' => $type,
			)
		);
		$this->assertIsArray( $put, is_wp_error( $put ) ? $put->get_error_message() : '' );
	}

	/**
	 * Issues an upload and returns its plan.
	 *
	 * @param int    $size Declared size.
	 * @param string $type Declared type.
	 * @return array
	 */
	private function begin( $size, $type = 'application/pdf' ) {
		$plan = Uploads::begin( self::$user, 'intent.pdf', $type, $size );
		$this->assertIsArray( $plan, is_wp_error( $plan ) ? $plan->get_error_message() : '' );
		return $plan;
	}

	/**
	 * Backdates an intent's expiry.
	 *
	 * @param string $key     Key.
	 * @param int    $seconds Seconds in the past.
	 * @return array Intent row.
	 */
	private function expire( $key, $seconds ) {
		global $wpdb;
		$intent = IntentStore::find_by_key( self::$user, $key );
		$wpdb->update( Schema::tables()['intents'], array( 'expires_at' => time() - $seconds ), array( 'id' => $intent['id'] ) );
		return $intent;
	}

	/**
	 * A stored object that does not match the intent is deleted and refused; a matching one is recorded once.
	 */
	public function test_confirm_checks_size_and_type_and_is_idempotent() {
		$plan = $this->begin( 1000 );
		$this->put( $plan['key'], str_repeat( 'x', 999 ), 'application/pdf' );
		$refused = Uploads::confirm( self::$user, $plan['key'], '', '' );
		$this->assertInstanceOf( WP_Error::class, $refused );
		$this->assertSame( 'wps3_upload_mismatch', $refused->get_error_code() );
		$this->assertFalse( Storage::head( $plan['key'] )['exists'], 'the mismatching object is deleted' );

		$plan = $this->begin( 1000, 'image/png' );
		$this->put( $plan['key'], str_repeat( 'x', 1000 ), 'application/pdf' );
		$refused = Uploads::confirm( self::$user, $plan['key'], '', '' );
		$this->assertSame( 'type', $refused->get_error_data()['reason'] );

		$plan = $this->begin( 1000 );
		$this->put( $plan['key'], str_repeat( 'x', 1000 ), 'application/pdf' );
		$first  = Uploads::confirm( self::$user, $plan['key'], '', 'Mein Vertrag.pdf' );
		$second = Uploads::confirm( self::$user, $plan['key'], '', '' );
		$this->assertIsArray( $first );
		$this->assertSame( $first, $second, 'confirming twice returns the same id' );
		$this->assertSame( 'Mein Vertrag.pdf', \WPS3\Transfers\FileStore::get( $first['file_id'] )['filename'] );
		$other = Uploads::confirm( self::$user + 1000, $plan['key'], '', '' );
		$this->assertSame( 'wps3_not_yours', $other->get_error_code() );
	}

	/**
	 * An unconfirmed intent's object is deleted once expiry + grace passed, not before.
	 */
	public function test_unconfirmed_intent_is_cleaned_after_its_grace_period() {
		add_filter( 'wps3_intent_grace', static fn () => 600 );
		$plan = $this->begin( 10 );
		$this->put( $plan['key'], '0123456789', 'application/pdf' );
		$intent = $this->expire( $plan['key'], 300 );
		Cleanup::run();
		$this->assertTrue( Storage::head( $plan['key'] )['exists'], 'within the grace period the object stays' );
		$this->assertSame( 'pending', IntentStore::get( (int) $intent['id'] )['status'] );

		$this->expire( $plan['key'], 700 );
		$stats = Cleanup::run();
		$this->assertGreaterThanOrEqual( 1, $stats['cleaned'] );
		$this->assertFalse( Storage::head( $plan['key'] )['exists'], 'after the grace period the object is deleted' );
		$this->assertSame( 'cleaned', IntentStore::get( (int) $intent['id'] )['status'] );
		$late = Uploads::confirm( self::$user, $plan['key'], '', '' );
		$this->assertSame( 'wps3_upload_gone', $late->get_error_code() );
	}

	/**
	 * An abandoned multipart upload is aborted on storage by the cleanup (no parts stay behind).
	 */
	public function test_abandoned_multipart_upload_is_aborted_by_cleanup() {
		add_filter( 'wps3_upload_max_size', static fn () => 1024 * MB_IN_BYTES );
		add_filter( 'wps3_intent_grace', static fn () => 0 );
		$plan = Uploads::begin( self::$user, 'abandoned.pdf', 'application/pdf', 300 * MB_IN_BYTES );
		$this->assertIsArray( $plan, is_wp_error( $plan ) ? $plan->get_error_message() : '' );
		$this->assertSame( 'multipart', $plan['shape'] );
		$args = array(
			'key'      => $plan['key'],
			'uploadId' => $plan['uploadId'],
		);
		$this->assertIsArray( Storage::s3( 'list_parts', $args ), 'the upload is open before the cleanup' );
		$intent = $this->expire( $plan['key'], 10 );
		Cleanup::run();
		$this->assertSame( 'cleaned', IntentStore::get( (int) $intent['id'] )['status'] );
		$gone = Storage::s3( 'list_parts', $args );
		$this->assertInstanceOf( WP_Error::class, $gone, 'the multipart upload was aborted' );
		remove_all_filters( 'wps3_upload_max_size' );
	}

	/**
	 * A confirmed upload is never cleaned.
	 */
	public function test_confirmed_upload_survives_cleanup() {
		add_filter( 'wps3_intent_grace', static fn () => 0 );
		$plan = $this->begin( 10 );
		$this->put( $plan['key'], '0123456789', 'application/pdf' );
		$this->assertIsArray( Uploads::confirm( self::$user, $plan['key'], '', '' ) );
		$this->expire( $plan['key'], 100 );
		Cleanup::run();
		$this->assertTrue( Storage::head( $plan['key'] )['exists'] );
	}

	/**
	 * Storage refuses a presigned GET past its expiry (short expiry: 1 s).
	 */
	public function test_expired_presigned_get_is_refused_by_storage() {
		$key = 'e2e-expiry/' . wp_generate_password( 8, false ) . '.pdf';
		$this->put( $key, 'bytes', 'application/pdf' );
		$link = Storage::call(
			'transfer-download',
			array(
				'key'       => $key,
				'filename'  => 'x.pdf',
				'expiresIn' => 1,
			)
		);
		$this->assertSame( 200, wp_remote_retrieve_response_code( wp_remote_get( $link['url'] ) ) );
		sleep( 3 );
		$late = wp_remote_get( $link['url'] );
		$this->assertSame( 403, wp_remote_retrieve_response_code( $late ), wp_remote_retrieve_body( $late ) );
	}
}
