<?php
/**
 * A retry aborts the multipart upload an interrupted attempt of the same job left open on storage.
 *
 * @package wps3
 */

/**
 * Stale multipart uploads, against the harness's ministack.
 */
class StaleUploadsTest extends WPS3_E2E_TestCase {

	/**
	 * The generic s3 op with the site's storage and credentials.
	 *
	 * @param string $action Action.
	 * @param array  $args   Arguments.
	 * @return array Result.
	 */
	private function s3( $action, array $args ) {
		$settings = \WPS3\Settings\Settings::instance();
		$result   = \WPS3\Sidecar\Client::instance()->call(
			's3',
			array(
				'storage'     => $settings->storage(),
				'credentials' => $settings->credentials(),
				'action'      => $action,
				'args'        => $args,
			)
		);
		$this->assertIsArray( $result, is_wp_error( $result ) ? $result->get_error_message() : '' );
		return $result;
	}

	/**
	 * Open uploads of keys starting with $prefix, as [key, uploadId] pairs.
	 *
	 * @param string $prefix Prefix.
	 * @return array
	 */
	private function open_uploads( $prefix ) {
		return array_map(
			static fn( $u ) => array( $u['key'], $u['uploadId'] ),
			$this->s3( 'list_multipart_uploads', array( 'prefix' => $prefix ) )['uploads']
		);
	}

	/**
	 * Queues a 6 MiB document whose first attempt meets storage that is down; returns [id, key, path].
	 *
	 * @param string $title Title.
	 * @return array
	 */
	private function first_attempt_fails( $title ) {
		$mib           = 1024 * 1024;
		$this->offline = true;
		add_filter( 'wps3_retry_delay', static fn() => 1 );
		add_filter(
			'wps3_upload_args',
			function ( $args ) use ( $mib ) {
				$args['multipartThreshold'] = 5 * $mib;
				$args['partSize']           = 5 * $mib;
				if ( $this->offline ) {
					$args['storage']['endpoint'] = 'http://127.0.0.1:9';
				}
				return $args;
			}
		);
		$this->checked = array();
		add_action(
			'wps3_stale_uploads_checked',
			function ( $aborted, $key ) {
				$this->checked[] = array( $aborted, $key );
			},
			10,
			2
		);
		$id   = self::new_document_id();
		$path = $this->make_pdf( $title, 6 * $mib );
		$this->enqueue( $id, $title, $path );
		$this->assertSame( 1, $this->process()['retry'], 'the first attempt fails while storage is down' );
		$this->assertSame( array(), $this->checked, 'a first attempt has nothing to clean up' );
		$key = $this->job( $id )['object_key'];
		$this->assertSame( self::expected_key( $title, $id ), $key );
		return array( $id, $key, $path );
	}

	/**
	 * Whether the first attempt's storage is down.
	 *
	 * @var bool
	 */
	private $offline = false;

	/**
	 * Calls of wps3_stale_uploads_checked: [aborted, key].
	 *
	 * @var array
	 */
	private $checked = array();

	public function test_a_retry_aborts_the_open_multipart_upload_of_its_key_and_only_that() {
		list( $id, $key, $path ) = $this->first_attempt_fails( 'Stale Upload Contract' );

		// What a sidecar killed mid-upload leaves behind, and an upload of a longer key with the same start.
		$left  = $this->s3( 'create_multipart_upload', array( 'key' => $key ) )['uploadId'];
		$other = $this->s3( 'create_multipart_upload', array( 'key' => $key . '.bak' ) )['uploadId'];
		$this->assertEqualsCanonicalizing( array( array( $key, $left ), array( $key . '.bak', $other ) ), $this->open_uploads( $key ) );

		$this->offline = false;
		sleep( 2 );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( array( array( 1, $key ) ), $this->checked );
		$this->assertSame( array( array( $key . '.bak', $other ) ), $this->open_uploads( $key ), 'only the job\'s own stale upload was aborted' );
		$this->abort( $key . '.bak', $other );
		list( $status, $body ) = $this->get_object( $key );
		$this->assertSame( 200, $status );
		$this->assertSame( hash_file( 'sha256', $path ), hash( 'sha256', $body ) );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	public function test_an_upload_of_the_key_older_than_the_job_is_left_alone() {
		global $wpdb;
		list( $id, $key ) = $this->first_attempt_fails( 'Older Upload Contract' );
		$theirs           = $this->s3( 'create_multipart_upload', array( 'key' => $key ) )['uploadId'];
		// As if the job had been queued an hour after that upload started (a staging copy on the same bucket).
		$jobs = \WPS3\Install\Schema::tables()['jobs'];
		$wpdb->query( $wpdb->prepare( "UPDATE {$jobs} SET created_at = %s WHERE document_id = %s", gmdate( 'Y-m-d H:i:s', time() + HOUR_IN_SECONDS ), (string) $id ) ); // phpcs:ignore WordPress.DB

		$this->offline = false;
		sleep( 2 );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( array( array( 0, $key ) ), $this->checked );
		$this->assertSame( array( array( $key, $theirs ) ), $this->open_uploads( $key ) );
		$this->abort( $key, $theirs );
	}

	/**
	 * Aborts an upload the test made.
	 *
	 * @param string $key       Key.
	 * @param string $upload_id Upload id.
	 * @return void
	 */
	private function abort( $key, $upload_id ) {
		$this->s3(
			'abort_multipart_upload',
			array(
				'key'      => $key,
				'uploadId' => $upload_id,
			)
		);
	}
}
