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

	public function test_a_retry_aborts_the_open_multipart_upload_of_its_key_and_only_that() {
		$mib     = 1024 * 1024;
		$offline = true;
		add_filter( 'wps3_retry_delay', static fn() => 1 );
		add_filter(
			'wps3_upload_args',
			static function ( $args ) use ( $mib, &$offline ) {
				$args['multipartThreshold'] = 5 * $mib;
				$args['partSize']           = 5 * $mib;
				if ( $offline ) { // The first attempt meets storage that is down.
					$args['storage']['endpoint'] = 'http://127.0.0.1:9';
				}
				return $args;
			}
		);
		$id    = self::new_document_id();
		$title = 'Stale Upload Contract';
		$path  = $this->make_pdf( $title, 6 * $mib );
		$this->enqueue( $id, $title, $path );
		$this->assertSame( 1, $this->process()['retry'], 'the first attempt fails while storage is down' );
		$key = $this->job( $id )['object_key'];
		$this->assertSame( self::expected_key( $title, $id ), $key );

		// What a sidecar killed mid-upload leaves behind, and an upload of a longer key with the same start.
		$left  = $this->s3( 'create_multipart_upload', array( 'key' => $key ) )['uploadId'];
		$other = $this->s3( 'create_multipart_upload', array( 'key' => $key . '.bak' ) )['uploadId'];
		$this->assertEqualsCanonicalizing( array( array( $key, $left ), array( $key . '.bak', $other ) ), $this->open_uploads( $key ) );

		$offline = false;
		sleep( 2 );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( array( array( $key . '.bak', $other ) ), $this->open_uploads( $key ), 'only the job\'s own stale upload was aborted' );
		$this->s3(
			'abort_multipart_upload',
			array(
				'key'      => $key . '.bak',
				'uploadId' => $other,
			)
		);
		list( $status, $body ) = $this->get_object( $key );
		$this->assertSame( 200, $status );
		$this->assertSame( hash_file( 'sha256', $path ), hash( 'sha256', $body ) );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}
}
