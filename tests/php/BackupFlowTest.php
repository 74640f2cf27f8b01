<?php
/**
 * The backup flow against real storage (ministack): key, bytes, hooks, idempotency, concurrency, download.
 * Slightly over 400 lines: one test per behaviour of the flow, sharing one storage fixture.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery

/**
 * Backup flow.
 */
class BackupFlowTest extends WPS3_E2E_TestCase {

	public function test_completed_document_lands_in_bucket_under_expected_key_with_identical_bytes() {
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Service Agreement' );
		$this->enqueue( $id, 'Service Agreement', $path );
		$this->assertSame( 'pending', $this->job( $id )['status'] );
		$this->assertNotFalse( wp_next_scheduled( \WPS3\Backup\Queue::CRON_HOOK ), 'a cron run is scheduled on enqueue' );

		$stats = $this->process();
		$this->assertSame( 1, $stats['done'] );

		$job    = $this->job( $id );
		$backup = wps3_get_backup( $id );
		$key    = self::expected_key( 'Service Agreement', $id );
		$this->assertSame( 'done', $job['status'] );
		$this->assertSame( $key, $backup['object_key'] );
		$this->assertMatchesRegularExpression( '#^wpsigner/Service-Agreement_\d{4}-\d{2}-\d{2}_' . $id . '\.pdf$#', $backup['object_key'] );
		$this->assertSame( 'custom', $backup['provider'] );
		$this->assertSame( self::env( 'S3_BUCKET' ), $backup['bucket'] );
		$this->assertSame( filesize( $path ), (int) $backup['size'] );
		$this->assertNotEmpty( $backup['etag'] );

		list( $status, $body ) = $this->get_object( $key );
		$this->assertSame( 200, $status );
		$this->assertSame( file_get_contents( $path ), $body, 'bucket bytes equal the signed PDF' );
		$this->assertStringStartsWith( '%PDF-1.4', $body );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	public function test_host_action_and_function_both_queue_and_are_idempotent() {
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Lease' );
		do_action(
			'wps_document_completed',
			(object) array(
				'id'     => $id,
				'title'  => 'Lease',
				'status' => 'completed',
				'path'   => $path,
			)
		);
		$job = $this->job( $id );
		$again = wps3_backup_document(
			array(
				'id'     => $id,
				'title'  => 'Lease',
				'status' => 'completed',
				'path'   => $path,
			)
		);
		$this->assertSame( (int) $job['id'], $again, 'the same job is returned' );
		global $wpdb;
		$table = WPS3\Install\Schema::tables()['jobs'];
		$this->assertSame( '1', $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$table} WHERE document_id = %s", $id ) ) );
		$this->process();
		// Completing again after the backup is done neither re-uploads nor fires again.
		do_action( 'wps_document_completed', array( 'id' => $id, 'title' => 'Lease', 'status' => 'completed', 'path' => $path ) );
		$this->process();
		$this->assertSame( 'done', $this->job( $id )['status'] );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	public function test_key_filter_changes_key_and_receives_exact_arguments() {
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'NDA' );
		$seen = null;
		add_filter(
			'wps_s3_backup_key',
			function ( $key, $document_id, $document, $provider_id ) use ( &$seen ) {
				$seen = func_get_args();
				return 'custom-folder/' . $document_id . '/' . basename( $key );
			},
			10,
			4
		);
		$this->enqueue( $id, 'NDA', $path );
		$this->process();

		$this->assertNotNull( $seen, 'wps_s3_backup_key ran' );
		$this->assertSame( self::expected_key( 'NDA', $id ), $seen[0] );
		$this->assertSame( (string) $id, (string) $seen[1] );
		$this->assertSame( 'NDA', $seen[2]['title'] );
		$this->assertSame( $path, $seen[2]['path'] );
		$this->assertSame( 'completed', $seen[2]['status'] );
		$this->assertSame( 'custom', $seen[3] );

		$expected = 'custom-folder/' . $id . '/' . basename( self::expected_key( 'NDA', $id ) );
		$this->assertSame( $expected, wps3_get_backup( $id )['object_key'] );
		list( $status, $body ) = $this->get_object( $expected );
		$this->assertSame( 200, $status );
		$this->assertSame( file_get_contents( $path ), $body );

		$calls = $this->uploaded_calls( $id );
		$this->assertCount( 1, $calls );
		$this->assertSame( $expected, $calls[0][1], 'wps_s3_uploaded gets the filtered key' );
		$this->assertSame( 'custom', $calls[0][2] );
	}

	public function test_uploaded_fires_once_when_the_queue_runs_twice_and_concurrently() {
		$ids = array();
		for ( $i = 0; $i < 4; $i++ ) {
			$id    = self::new_document_id();
			$ids[] = $id;
			$this->enqueue( $id, "Contract $i", $this->make_pdf( "Contract $i", 3 * MB_IN_BYTES ) );
		}
		// Four workers at once (separate PHP processes, WP-Cron off so they are the only ones),
		// then two more runs.
		$workers = array();
		for ( $i = 0; $i < 4; $i++ ) {
			$workers[] = $this->spawn_wp( array( 'run-queue' ), array( 'DISABLE_WP_CRON' => true ) );
		}
		$claimed = 0;
		foreach ( $workers as $w ) {
			$stats    = json_decode( trim( $this->wait_wp( $w ) ), true );
			$claimed += (int) $stats['claimed'];
			$all[]    = $stats;
		}
		$this->process();
		$this->run_queue_subprocess( array( 'DISABLE_WP_CRON' => true ) );

		$this->assertSame( 4, $claimed, 'each job was claimed by exactly one worker: ' . wp_json_encode( $all ) );
		foreach ( $ids as $id ) {
			$this->assertSame( 'done', $this->job( $id )['status'] );
			$this->assertCount( 1, $this->uploaded_calls( $id ), "wps_s3_uploaded fired once for $id" );
		}
	}

	public function test_uploaded_fires_once_with_wp_cron_over_http_racing_a_cli_worker() {
		$ids = array();
		for ( $i = 0; $i < 3; $i++ ) {
			$id    = self::new_document_id();
			$ids[] = $id;
			$this->enqueue( $id, "Race $i", $this->make_pdf( "Race $i", MB_IN_BYTES ) );
		}
		// Real WP-Cron requests to the site (php -S, 4 workers) plus a CLI worker, all at once.
		$multi   = curl_multi_init();
		$handles = array();
		for ( $i = 0; $i < 3; $i++ ) {
			$ch = curl_init( self::env( 'SITE_URL' ) . '/wp-cron.php?doing_wp_cron=' . microtime( true ) . $i );
			curl_setopt_array( $ch, array( CURLOPT_RETURNTRANSFER => true, CURLOPT_PROXY => '', CURLOPT_TIMEOUT => 120 ) );
			curl_multi_add_handle( $multi, $ch );
			$handles[] = $ch;
		}
		$cli = $this->spawn_wp( array( 'run-queue' ), array( 'DISABLE_WP_CRON' => true ) );
		do {
			curl_multi_exec( $multi, $running );
			curl_multi_select( $multi, 0.1 );
		} while ( $running );
		$this->wait_wp( $cli );
		$this->process();
		foreach ( $ids as $id ) {
			$this->assertSame( 'done', $this->job( $id )['status'] );
			$this->assertCount( 1, $this->uploaded_calls( $id ), "wps_s3_uploaded fired once for $id" );
		}
	}

	public function test_a_worker_whose_lease_expired_does_not_finish_the_job() {
		$id    = self::new_document_id();
		$jobid = $this->enqueue( $id, 'Stale Worker', $this->make_pdf( 'Stale Worker' ) );
		$queue = \WPS3\Backup\Queue::instance();
		$stale = $queue->runner()->claim( $jobid );
		$this->assertNotNull( $stale );
		$this->assertNull( $queue->runner()->claim( $jobid ), 'a claimed job cannot be claimed again' );

		// The lease runs out (worker died); another worker takes over and finishes.
		global $wpdb;
		$wpdb->update( WPS3\Install\Schema::tables()['jobs'], array( 'locked_until' => time() - 1 ), array( 'id' => $jobid ) );
		$this->assertSame( 1, $this->process()['done'] );
		// The stale worker wakes up: nothing happens.
		$this->assertSame( 'retry', $queue->runner()->run( $jobid, $stale ) );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	public function test_download_redirect_target_is_a_short_presigned_attachment_url() {
		$id = self::new_document_id();
		$this->enqueue( $id, 'Service Agreement', $this->make_pdf( 'Service Agreement' ) );
		$this->process();
		$backup = wps3_get_backup( $id );
		$url    = \WPS3\Backup\Queue::instance()->links()->download_url( $backup );
		$this->assertIsString( $url );
		$this->assertStringStartsWith( self::env( 'S3_ENDPOINT' ), $url );
		$this->assertStringContainsString( 'X-Amz-Expires=300', $url );
		$this->assertStringContainsString( 'response-content-disposition=', $url );

		list( $status, $body, $headers ) = $this->get_object( $backup['object_key'] );
		$this->assertSame( 200, $status );
		$this->assertStringContainsString( 'attachment', $headers['content-disposition'] ?? '' );
		$this->assertStringContainsString( basename( $backup['object_key'] ), $headers['content-disposition'] ?? '' );
		$this->assertStringStartsWith( '%PDF', $body );

		// A URL for some other host is refused.
		$links    = \WPS3\Backup\Queue::instance()->links();
		$endpoint = $links->endpoint_of( \WPS3\Settings\Settings::instance()->storage() );
		$this->assertIsArray( $endpoint, 'the core resolves the endpoint' );
		$this->assertTrue( $links->is_our_url( $url, $endpoint ) );
		$this->assertFalse( $links->is_our_url( 'https://evil.example/x?X-Amz-Signature=1', $endpoint ) );
		$this->assertFalse( $links->is_our_url( self::env( 'S3_ENDPOINT' ) . '/unsigned', $endpoint ) );
	}

	public function test_download_urls_signs_a_page_of_backups_in_order() {
		$id = self::new_document_id();
		$this->enqueue( $id, 'Page Of Links', $this->make_pdf( 'Page Of Links' ) );
		$this->process();
		$backup = wps3_get_backup( $id );
		$this->assertIsArray( $backup );
		$page = array(
			'first'  => $backup,
			'broken' => array( 'bucket' => 'Bad_Bucket!' ) + $backup,
			'last'   => $backup,
		);
		$urls = \WPS3\Backup\Queue::instance()->links()->download_urls( $page );
		$this->assertSame( array( 'first', 'broken', 'last' ), array_keys( $urls ) );
		$this->assertInstanceOf( WP_Error::class, $urls['broken'] );
		foreach ( array( 'first', 'last' ) as $which ) {
			$this->assertIsString( $urls[ $which ], is_wp_error( $urls[ $which ] ) ? $urls[ $which ]->get_error_message() : '' );
			$this->assertStringContainsString( 'X-Amz-Expires=300', $urls[ $which ] );
			$res = wp_remote_get( $urls[ $which ] );
			$this->assertSame( 200, wp_remote_retrieve_response_code( $res ), $which );
			$this->assertStringStartsWith( '%PDF', wp_remote_retrieve_body( $res ) );
			$this->assertStringContainsString( 'attachment', (string) wp_remote_retrieve_header( $res, 'content-disposition' ) );
		}
		$single = \WPS3\Backup\Queue::instance()->links()->download_url( array( 'bucket' => 'Bad_Bucket!' ) + $backup );
		$this->assertSame( $urls['broken']->get_error_code(), $single->get_error_code(), 'a page reports what a single link reports' );
	}

	public function test_bad_documents_are_rejected_with_clear_errors() {
		$path = $this->make_pdf( 'X' );
		$cases = array(
			'not completed' => array( array( 'id' => 1, 'title' => 'X', 'status' => 'draft', 'path' => $path ), 'wps3_not_completed' ),
			'no id'         => array( array( 'title' => 'X', 'status' => 'completed', 'path' => $path ), 'wps3_invalid_document' ),
			'relative path' => array( array( 'id' => 2, 'title' => 'X', 'status' => 'completed', 'path' => 'x.pdf' ), 'wps3_invalid_document' ),
			'not an array'  => array( 'hello', 'wps3_invalid_document' ),
		);
		foreach ( $cases as $name => list( $doc, $code ) ) {
			$result = wps3_backup_document( $doc );
			$this->assertWPError( $result, $name );
			$this->assertSame( $code, $result->get_error_code(), $name );
		}
		// Through the action: no fatal, an admin notice.
		do_action( 'wps_document_completed', array( 'status' => 'completed', 'path' => '/nonexistent.pdf' ) );
		$this->assertStringContainsString( 'could not be queued', $this->render_admin_page() );
		$this->assertSame( array( 'pending' => 0, 'running' => 0, 'done' => 0, 'failed' => 0 ), \WPS3\Backup\Queue::instance()->counts() );
	}

	/**
	 * Runs the queue until the job of a document stops being pending (skipping its backoff), at most $max runs.
	 *
	 * @param int|string $id  Document id.
	 * @param int        $max Runs.
	 * @return int Runs.
	 */
	private function run_until_settled( $id, $max = 10 ) {
		global $wpdb;
		$table = WPS3\Install\Schema::tables()['jobs'];
		for ( $runs = 1; $runs <= $max; $runs++ ) {
			$this->process();
			if ( 'pending' !== $this->job( $id )['status'] ) {
				break;
			}
			$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET next_attempt_at = 0 WHERE document_id = %s", $id ) );
		}
		return $runs;
	}

	public function test_file_removed_before_upload_is_retried_a_few_times_then_fails_permanently_with_fix() {
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Gone' );
		$this->enqueue( $id, 'Gone', $path );
		unlink( $path );
		$failed = 0;
		add_action(
			'wps3_backup_failed',
			function () use ( &$failed ) {
				++$failed;
			}
		);
		$this->process();
		$job = $this->job( $id );
		$this->assertSame( 'pending', $job['status'], 'FILE_NOT_FOUND is retried (the PDF may still be on its way)' );
		$this->assertSame( 'FILE_NOT_FOUND', $job['last_error_code'] );
		$this->assertGreaterThan( time(), (int) $job['next_attempt_at'], 'with backoff' );

		$this->run_until_settled( $id );
		$job = $this->job( $id );
		$this->assertSame( 'failed', $job['status'] );
		$this->assertSame( '5', $job['attempts'], 'five attempts, then permanent' );
		$this->assertSame( 'FILE_NOT_FOUND', $job['last_error_code'] );
		$this->assertNotEmpty( $job['last_error_fix'] );
		$this->assertSame( 1, $failed, 'wps3_backup_failed fired once' );
		$this->assertCount( 0, $this->uploaded_calls( $id ) );
	}

	public function test_document_queued_before_its_pdf_exists_is_backed_up_when_it_appears() {
		$id   = self::new_document_id();
		$path = self::env( 'E2E_DIR' ) . '/late-' . $id . '.pdf';
		$this->tmp_files[] = $path;
		$job = wps3_backup_document( array( 'id' => $id, 'title' => 'Late', 'status' => 'completed', 'path' => $path ) );
		$this->assertIsInt( $job, 'a document whose PDF is not written yet is still queued' );
		$this->process();
		$this->assertSame( 'pending', $this->job( $id )['status'] );
		file_put_contents( $path, \WPS3\Demo\Pdf::make( 'Late' ) );
		$this->run_until_settled( $id );
		$this->assertSame( 'done', $this->job( $id )['status'] );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	public function test_completing_a_failed_document_again_resets_it_with_the_new_path_and_title() {
		$id = self::new_document_id();
		$this->enqueue( $id, 'First Title', '/nonexistent/first.pdf' );
		add_filter( 'wps3_file_not_found_attempts', static function () { return 1; } );
		$this->process();
		$this->assertSame( 'failed', $this->job( $id )['status'] );
		remove_all_filters( 'wps3_file_not_found_attempts' );

		$path = $this->make_pdf( 'Second Title' );
		$again = $this->enqueue( $id, 'Second Title', $path );
		$job   = $this->job( $id );
		$this->assertSame( (int) $job['id'], $again );
		$this->assertSame( 'pending', $job['status'] );
		$this->assertSame( $path, $job['file_path'] );
		$this->assertSame( 'Second Title', $job['title'] );
		$this->assertSame( '0', $job['attempts'] );
		$this->assertNull( $job['last_error_code'] );
		$this->assertSame( 1, $this->process()['done'] );
		list( $status, $body ) = $this->get_object( wps3_get_backup( $id )['object_key'] );
		$this->assertSame( 200, $status );
		$this->assertSame( file_get_contents( $path ), $body );
	}

	public function test_document_ids_are_case_sensitive() {
		$base = 'Doc-' . self::new_document_id();
		$up   = $this->enqueue( strtoupper( $base ), 'Upper', $this->make_pdf( 'Upper' ) );
		$low  = $this->enqueue( strtolower( $base ), 'Lower', $this->make_pdf( 'Lower' ) );
		$this->assertNotSame( $up, $low, 'ABC and abc are two documents' );
		$this->assertSame( 2, $this->process()['done'] );
		$this->assertSame( strtoupper( $base ), wps3_get_backup( strtoupper( $base ) )['document_id'] );
		$this->assertSame( strtolower( $base ), wps3_get_backup( strtolower( $base ) )['document_id'] );
		$this->assertNotSame( wps3_get_backup( strtoupper( $base ) )['object_key'], wps3_get_backup( strtolower( $base ) )['object_key'] );
	}

	public function test_admin_list_shows_backups_and_download_button() {
		$id = self::new_document_id();
		$this->enqueue( $id, 'Service Agreement', $this->make_pdf( 'Service Agreement' ) );
		$this->process();
		$html = $this->render_admin_page();
		$this->assertStringContainsString( esc_html( self::expected_key( 'Service Agreement', $id ) ), $html );
		$this->assertStringContainsString( 'wps3-download', $html );
		$this->assertMatchesRegularExpression( '/action=wps3_download&(amp;|#038;)backup=\d+&(amp;|#038;)_wpnonce=[0-9a-f]{10}/', $html );
	}

	/**
	 * Document ids of the rows of the backups list, in page order.
	 *
	 * @param array $get Query arguments of the page request.
	 * @return string[]
	 */
	private function listed_ids( array $get ) {
		$saved = $_GET;
		$_GET  = $get; // phpcs:ignore WordPress.Security.NonceVerification -- test input.
		try {
			$html = $this->render_admin_page();
		} finally {
			$_GET = $saved;
		}
		preg_match_all( '/<tr class="wps3-job[^"]*" data-document-id="([^"]+)">/', $html, $m );
		return $m[1];
	}

	public function test_backups_list_pages_sorts_and_filters_by_status() {
		global $wpdb;
		$ids = array();
		foreach ( array( 'Charlie', 'Alpha', 'Bravo' ) as $title ) {
			$id            = self::new_document_id();
			$ids[ $title ] = (string) $id;
			$this->enqueue( $id, $title, $this->make_pdf( $title ) );
		}
		$this->assertSame( 3, $this->process()['done'] );
		$wpdb->update( \WPS3\Install\Schema::tables()['jobs'], array( 'status' => 'failed', 'last_error_code' => 'AccessDenied' ), array( 'document_id' => $ids['Bravo'] ) );
		add_filter(
			'wps3_backups_per_page',
			static function () {
				return 2;
			}
		);
		try {
			$this->assertSame( array( $ids['Bravo'], $ids['Alpha'] ), $this->listed_ids( array() ), 'newest first, two per page' );
			$this->assertSame( array( $ids['Charlie'] ), $this->listed_ids( array( 'paged' => '2' ) ) );
			$this->assertSame( array( $ids['Alpha'], $ids['Bravo'] ), $this->listed_ids( array( 'orderby' => 'title', 'order' => 'asc' ) ) );
			$this->assertSame( array( $ids['Charlie'] ), $this->listed_ids( array( 'orderby' => 'title', 'order' => 'asc', 'paged' => '2' ) ) );
			$this->assertSame( array( $ids['Bravo'] ), $this->listed_ids( array( 'status' => 'failed' ) ), 'the status filter' );
			$this->assertSame( array( $ids['Bravo'], $ids['Alpha'] ), $this->listed_ids( array( 'status' => "failed' OR 1=1 -- ", 'orderby' => 'nope' ) ), 'junk arguments fall back to the default list' );
			$html = $this->render_admin_page();
			$this->assertStringContainsString( 'Failed <span class="count">(1)</span>', $html, 'status views with counts' );
			$this->assertStringContainsString( 'All <span class="count">(3)</span>', $html );
			$this->assertMatchesRegularExpression( '/class="tablenav-pages[^"]*"/', $html, 'pagination' );
		} finally {
			remove_all_filters( 'wps3_backups_per_page' );
		}
	}

	/**
	 * WP_Error assertion.
	 *
	 * @param mixed  $actual  Value.
	 * @param string $message Message.
	 */
	private function assertWPError( $actual, $message = '' ) {
		$this->assertInstanceOf( WP_Error::class, $actual, $message );
	}
}
