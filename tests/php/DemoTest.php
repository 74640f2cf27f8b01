<?php
/**
 * Demo mode: sample documents have their own id space, and the panel and its actions exist only with WPS3_DEMO.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery

/**
 * Demo isolation (issue 10, hole 4).
 */
class DemoTest extends WPS3_E2E_TestCase {

	/**
	 * Sample documents before the test (restored after it).
	 *
	 * @var mixed
	 */
	private $saved_docs;

	/**
	 * Remembers the sample documents.
	 */
	protected function setUp(): void {
		parent::setUp();
		$this->saved_docs = get_option( \WPS3\Demo\Documents::OPTION, array() );
	}

	/**
	 * Restores the sample documents.
	 */
	protected function tearDown(): void {
		update_option( \WPS3\Demo\Documents::OPTION, $this->saved_docs, false );
		parent::tearDown();
	}

	/**
	 * A real document whose number the demo would have picked (1001 on a fresh site) keeps its own job, and the
	 * sample document gets another one: before, the sample's INSERT IGNORE met the real row and was dropped.
	 */
	public function test_sample_documents_never_share_a_job_with_real_documents() {
		$docs = get_option( \WPS3\Demo\Documents::OPTION, array() );
		$docs = is_array( $docs ) ? $docs : array();
		// Every number the demo could pick next (old scheme: 1000 + count + 1 and up; new: count + 1 and up).
		$real = array();
		foreach ( array( 1000 + count( $docs ) + 1, 1000 + count( $docs ) + 2, count( $docs ) + 1 ) as $number ) {
			$path            = $this->make_pdf( 'Real ' . $number );
			$real[ $number ] = array(
				'job'  => $this->enqueue( $number, 'Real ' . $number, $path ),
				'path' => $path,
			);
		}

		$sample            = \WPS3\Demo\Documents::create( 'Sample Contract' );
		$this->tmp_files[] = (string) $sample['path'];
		$this->assertNotNull( \WPS3\Demo\Documents::complete( (string) $sample['id'] ) );

		$sample_job = \WPS3\Backup\Queue::instance()->job_for_document( (string) $sample['id'] );
		$this->assertNotNull( $sample_job, 'the sample document got a job of its own' );
		$this->assertSame( (string) $sample['path'], $sample_job->file_path );
		foreach ( $real as $number => $r ) {
			$this->assertNotSame( $r['job'], $sample_job->id, "the sample document took real document #$number's job" );
			$job = \WPS3\Backup\Queue::instance()->job( $r['job'] );
			$this->assertSame( (string) $number, $job->document_id );
			$this->assertSame( $r['path'], $job->file_path, "real document #$number still points at its own PDF" );
		}
		$this->assertStringStartsWith( \WPS3\Backup\Document::DEMO_PREFIX, (string) $sample['id'] );

		// Both kinds upload, each under its own key.
		$stats = $this->process();
		$this->assertSame( count( $real ) + 1, $stats['done'] );
		$this->assertCount( 1, $this->uploaded_calls( (string) $sample['id'] ) );
		foreach ( array_keys( $real ) as $number ) {
			$this->assertCount( 1, $this->uploaded_calls( $number ) );
		}
	}

	/**
	 * A host cannot pass an id of the demo's space, so it can never meet a sample document either.
	 */
	public function test_hosts_cannot_use_the_demo_id_space() {
		$path = $this->make_pdf( 'Host' );
		foreach ( array( 'demo-1', 'DEMO-7', ' demo-x' ) as $id ) {
			$job = wps3_backup_document(
				array(
					'id'     => $id,
					'title'  => 'Host',
					'status' => 'completed',
					'path'   => $path,
				)
			);
			$this->assertInstanceOf( WP_Error::class, $job, $id );
			$this->assertSame( 'wps3_invalid_document', $job->get_error_code(), $id );
			$this->assertStringContainsString( 'reserved', $job->get_error_message() );
			$this->assertNull( \WPS3\Backup\Queue::instance()->job_for_document( trim( $id ) ), "no job for $id" );
		}
	}

	/**
	 * Samples stored by older versions under plain numbers are renamed into the demo's space on read.
	 */
	public function test_old_numeric_samples_move_into_the_demo_id_space() {
		$path = $this->make_pdf( 'Old sample' );
		update_option(
			\WPS3\Demo\Documents::OPTION,
			array(
				1001 => array(
					'id'     => 1001,
					'title'  => 'Old sample',
					'status' => 'awaiting_signatures',
					'path'   => $path,
				),
			),
			false
		);
		$this->assertNull( \WPS3\Demo\Documents::complete( '1001' ) );
		$doc = \WPS3\Demo\Documents::complete( 'demo-1001' );
		$this->assertIsArray( $doc );
		$this->assertNull( \WPS3\Backup\Queue::instance()->job_for_document( '1001' ) );
		$this->assertNotNull( \WPS3\Backup\Queue::instance()->job_for_document( 'demo-1001' ) );
	}

	/**
	 * Without WPS3_DEMO (or with it false) the panel, its admin-post actions and its handlers are unreachable;
	 * with it, they are there (so the check can fail).
	 */
	public function test_panel_and_actions_exist_only_with_wps3_demo() {
		$code = '
			require_once ABSPATH . "wp-admin/includes/admin.php";
			$admin = get_user_by( "login", getenv( "WPS3_ADMIN" ) );
			wp_set_current_user( $admin->ID );
			ob_start();
			\WPS3\Admin\Screen::instance()->render_page();
			$html = (string) ob_get_clean();
			$died = "";
			$handler = static function ( $message, $title, $args ) use ( &$died ) { $died = (string) ( $args["response"] ?? "" ); throw new \RuntimeException( "died" ); };
			add_filter( "wp_die_handler", static fn() => $handler );
			$_POST = array( "document" => "demo-1" );
			try { ( new \WPS3\Demo\Documents() )->handle_complete(); } catch ( \RuntimeException $e ) {}
			echo wp_json_encode(
				array(
					"complete" => (bool) has_action( "admin_post_wps3_demo_complete" ),
					"create"   => (bool) has_action( "admin_post_wps3_demo_create" ),
					"panel"    => false !== strpos( $html, "wps3-demo" ),
					"handler"  => $died,
				)
			);';
		$env  = array( 'WPS3_ADMIN' => self::env( 'ADMIN_USER' ) );
		foreach ( array(
			'off'    => array( array( 'WPS3_DEMO' => false ), false ),
			'string' => array( array( 'WPS3_DEMO' => 'false' ), false ),
			'on'     => array( array( 'WPS3_DEMO' => true ), true ),
		) as $case => list( $defines, $on ) ) {
			$out = json_decode( trim( $this->wait_wp( $this->spawn_wp( array( 'eval', $code ), $defines, $env ) ) ), true );
			$this->assertIsArray( $out, $case );
			$this->assertSame( $on, $out['complete'], "$case: admin_post_wps3_demo_complete" );
			$this->assertSame( $on, $out['create'], "$case: admin_post_wps3_demo_create" );
			$this->assertSame( $on, $out['panel'], "$case: demo panel on the page" );
			// With the demo off the handler stops with 404 before anything else; on, the nonce check (403) stops it.
			$this->assertSame( $on ? '403' : '404', (string) $out['handler'], "$case: handler" );
		}
	}
}
