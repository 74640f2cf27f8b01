<?php
/**
 * Files outside their place: only files under the allowed roots (uploads, plus `wps3_allowed_roots`) are
 * uploaded; wp-config.php, symlinks out of a root and `..` paths fail permanently with a clear error.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions

/**
 * Allowed roots (issue 10, hole 2).
 */
class AllowedRootsTest extends WPS3_E2E_TestCase {

	/**
	 * Files and links made under uploads.
	 *
	 * @var string[]
	 */
	private $made = array();

	/**
	 * Only the default root (the harness's mu-plugin also allows its own folder, which holds wp-config.php).
	 */
	protected function setUp(): void {
		parent::setUp();
		add_filter( 'wps3_allowed_roots', array( $this, 'default_roots_only' ), 100 );
	}

	/**
	 * Removes the filter and what the test made.
	 */
	protected function tearDown(): void {
		remove_all_filters( 'wps3_allowed_roots', 100 );
		remove_all_filters( 'wps3_backup_failed' );
		remove_all_filters( 'wps3_backup_retry_scheduled' );
		foreach ( array_reverse( $this->made ) as $file ) {
			is_dir( $file ) && ! is_link( $file ) ? rmdir( $file ) : unlink( $file );
		}
		parent::tearDown();
	}

	/**
	 * `wps3_allowed_roots` callback: the plugin's default, the uploads folder.
	 *
	 * @return string[]
	 */
	public function default_roots_only() {
		return array( wp_upload_dir( null, false )['basedir'] );
	}

	/**
	 * A PDF under uploads/wps3-roots-test/.
	 *
	 * @param string $name File name.
	 * @return string
	 */
	private function upload_pdf( $name ) {
		$dir = wp_upload_dir( null, false )['basedir'] . '/wps3-roots-test';
		if ( ! is_dir( $dir ) ) {
			wp_mkdir_p( $dir );
			$this->made[] = $dir;
		}
		$path = $dir . '/' . $name;
		file_put_contents( $path, \WPS3\Demo\Pdf::make( $name, 'Signed' ) );
		$this->made[] = $path;
		return $path;
	}

	/**
	 * Queues and runs one document; returns its job row.
	 *
	 * @param string $path  Path the host passes.
	 * @param string $title Title.
	 * @return array{0: array, 1: int|string} Job row and document id.
	 */
	private function back_up( $path, $title ) {
		$id = self::new_document_id();
		$this->enqueue( $id, $title, $path );
		$this->process();
		return array( $this->job( $id ), $id );
	}

	/**
	 * Asserts a job failed for good with FileOutsideAllowedRoots and left nothing behind.
	 *
	 * @param array      $job   Job row.
	 * @param int|string $id    Document id.
	 * @param string     $title Title.
	 * @return void
	 */
	private function assert_refused( $job, $id, $title ) {
		$this->assertSame( 'failed', $job['status'], $title . ': ' . (string) $job['last_error_cause'] );
		$this->assertSame( 'FileOutsideAllowedRoots', $job['last_error_code'] );
		$this->assertSame( 1, (int) $job['attempts'], 'no second attempt' );
		$this->assertStringContainsString( 'outside the folders', (string) $job['last_error_cause'] );
		$this->assertStringContainsString( 'wps3_allowed_roots', (string) $job['last_error_fix'] );
		$this->assertNull( wps3_get_backup( $id ), 'no backup recorded' );
		$this->assertSame( array(), $this->uploaded_calls( $id ) );
		$this->assertSame( 0, (int) $job['locked_until'], 'not held by a worker' );
		list( $status ) = $this->get_object( self::expected_key( $title, $id ) );
		$this->assertSame( 404, $status, 'nothing in the bucket' );
	}

	/**
	 * The site's wp-config.php fails permanently (one attempt, no retry) with a translated cause on the admin page.
	 */
	public function test_wp_config_is_never_uploaded() {
		$failed = 0;
		$retry  = 0;
		add_action( 'wps3_backup_failed', function () use ( &$failed ) {
			++$failed;
		} );
		add_action( 'wps3_backup_retry_scheduled', function () use ( &$retry ) {
			++$retry;
		} );
		list( $job, $id ) = $this->back_up( ABSPATH . 'wp-config.php', 'Config' );
		$this->assert_refused( $job, $id, 'Config' );
		$this->assertSame( array( 1, 0 ), array( $failed, $retry ), 'failed once, never retried' );

		// The admin sees the reason in the site's language (the plugin's own text for the advice id).
		$advice = \WPS3\Errors::advice( 'file-outside-allowed-roots' );
		$this->assertNotNull( $advice );
		$this->assertSame( $advice['cause'], $job['last_error_cause'] );
		$html = $this->render_admin_page();
		$this->assertStringContainsString( esc_html( $advice['cause'] ), $html );
	}

	/**
	 * Files under uploads upload; a host folder only once the host declares it.
	 */
	public function test_files_under_uploads_upload_and_host_roots_can_be_added() {
		list( $job, $id ) = $this->back_up( $this->upload_pdf( 'in-uploads.pdf' ), 'In Uploads' );
		$this->assertSame( 'done', $job['status'], (string) $job['last_error_cause'] );
		$this->assertSame( 200, $this->get_object( wps3_get_backup( $id )['object_key'] )[0] );

		// A host folder is refused until the host declares it.
		$path             = $this->make_pdf( 'Host Folder' );
		list( $job, $id ) = $this->back_up( $path, 'Host Folder' );
		$this->assert_refused( $job, $id, 'Host Folder' );
		$host_root = static function ( $roots ) use ( $path ) {
			return array_merge( $roots, array( dirname( $path ) ) );
		};
		add_filter( 'wps3_allowed_roots', $host_root, 101 );
		list( $job, $id ) = $this->back_up( $path, 'Host Folder' );
		remove_filter( 'wps3_allowed_roots', $host_root, 101 );
		$this->assertSame( 'done', $job['status'], (string) $job['last_error_cause'] );
	}

	/**
	 * A symlinked file, a symlinked folder and a `..` path out of uploads are refused.
	 */
	public function test_symlinks_and_dot_dot_out_of_uploads_are_refused() {
		$inside = $this->upload_pdf( 'anchor.pdf' );
		$link   = dirname( $inside ) . '/config.pdf';
		symlink( ABSPATH . 'wp-config.php', $link );
		$this->made[]     = $link;
		list( $job, $id ) = $this->back_up( $link, 'Linked File' );
		$this->assert_refused( $job, $id, 'Linked File' );

		$dir_link = dirname( $inside ) . '/site';
		symlink( rtrim( ABSPATH, '/' ), $dir_link );
		$this->made[]     = $dir_link;
		list( $job, $id ) = $this->back_up( $dir_link . '/wp-config.php', 'Linked Folder' );
		$this->assert_refused( $job, $id, 'Linked Folder' );

		$dots             = dirname( $inside ) . '/../../../wp-config.php';
		list( $job, $id ) = $this->back_up( $dots, 'Dot Dot' );
		$this->assert_refused( $job, $id, 'Dot Dot' );
	}

	/**
	 * Transfers\\Storage::call() passes the roots too.
	 */
	public function test_transfers_storage_reads_files_under_the_same_rule() {
		$key = 'roots-test/' . self::new_document_id() . '/config.php';
		$put = \WPS3\Transfers\Storage::call(
			'upload-file',
			array(
				'key'         => $key,
				'path'        => ABSPATH . 'wp-config.php',
				'contentType' => 'text/plain',
			)
		);
		$this->assertInstanceOf( WP_Error::class, $put );
		$this->assertSame( 'FileOutsideAllowedRoots', \WPS3\Errors::field( $put, 'code' ) );
		$this->assertSame( 404, $this->get_object( $key )[0] );
		$ok = \WPS3\Transfers\Storage::call(
			'upload-file',
			array(
				'key'         => 'roots-test/in-uploads.pdf',
				'path'        => $this->upload_pdf( 'transfer.pdf' ),
				'contentType' => 'application/pdf',
			)
		);
		$this->assertIsArray( $ok, is_wp_error( $ok ) ? $ok->get_error_message() : '' );
	}

	/**
	 * A filter that returns no array falls back to the uploads folder.
	 */
	public function test_a_filter_returning_garbage_keeps_the_default() {
		add_filter( 'wps3_allowed_roots', '__return_false', 102 );
		add_filter( 'doing_it_wrong_trigger_error', '__return_false' ); // Errors::filter_misuse() reports it.
		$roots = \WPS3\Files\AllowedRoots::roots();
		remove_filter( 'doing_it_wrong_trigger_error', '__return_false' );
		remove_filter( 'wps3_allowed_roots', '__return_false', 102 );
		$this->assertSame( array( realpath( wp_upload_dir( null, false )['basedir'] ) ), $roots );
	}
}
