<?php
/**
 * Faults: storage outage, sidecar crash mid-upload, wrong credentials, no Node.js.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.PHP.DiscouragedPHPFunctions

/**
 * Fault tests.
 */
class FaultsTest extends WPS3_E2E_TestCase {

	/**
	 * Starts the TCP forwarder on $port in front of ministack.
	 *
	 * @param int $port Port.
	 * @return resource
	 */
	private function start_proxy( $port ) {
		$target = wp_parse_url( self::env( 'S3_ENDPOINT' ) );
		$proc   = proc_open(
			array( 'node', self::env( 'E2E_ROOT' ) . '/tests/e2e/bin/tcp-proxy.mjs', (string) $port, $target['host'], (string) $target['port'] ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ),
			$pipes
		);
		$this->assertSame( "ready\n", fgets( $pipes[1] ), 'proxy started' );
		$this->procs[] = $proc;
		return $proc;
	}

	/**
	 * Kills a helper process and waits for it.
	 *
	 * @param resource $proc Process.
	 */
	private function kill_proc( $proc ) {
		$status = proc_get_status( $proc );
		posix_kill( $status['pid'], 9 );
		proc_close( $proc );
	}

	/**
	 * A free TCP port.
	 *
	 * @return int
	 */
	private static function free_port() {
		$s    = stream_socket_server( 'tcp://127.0.0.1:0' );
		$name = stream_socket_get_name( $s, false );
		fclose( $s );
		return (int) substr( $name, strrpos( $name, ':' ) + 1 );
	}

	/**
	 * Fresh row (no object cache in the way).
	 *
	 * @param int|string $id Document id.
	 * @return array
	 */
	private function fresh_job( $id ) {
		global $wpdb;
		$table = WPS3\Install\Schema::tables()['jobs'];
		return $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE document_id = %s", $id ), ARRAY_A );
	}

	public function test_storage_down_then_up_completes_with_exponential_backoff() {
		$port  = self::free_port();
		$proxy = $this->start_proxy( $port );
		$this->use_storage( array( 'endpoint' => 'http://127.0.0.1:' . $port ) );
		$this->kill_proc( $proxy ); // Storage goes down.

		$delays = array();
		add_filter(
			'wps3_retry_delay',
			function ( $delay, $attempts ) use ( &$delays ) {
				$delays[ $attempts ] = $delay;
				return 1; // Keep the test short; the computed delays are checked below.
			},
			10,
			2
		);
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Outage Contract' );
		$this->enqueue( $id, 'Outage Contract', $path );

		$this->assertSame( 1, $this->process()['retry'] );
		$job = $this->fresh_job( $id );
		$this->assertSame( 'pending', $job['status'] );
		$this->assertSame( '1', $job['attempts'] );
		$this->assertSame( 'NETWORK_ERROR', $job['last_error_code'] );
		$this->assertGreaterThan( time() - 1, (int) $job['next_attempt_at'] );
		$scheduled = wp_next_scheduled( \WPS3\Backup\Queue::CRON_HOOK );
		$this->assertNotFalse( $scheduled, 'a retry run is scheduled' );
		$this->assertLessThanOrEqual( (int) $job['next_attempt_at'], $scheduled );
		$this->assertSame( 0, $this->process()['claimed'], 'not retried before next_attempt_at' );

		sleep( 2 );
		$this->assertSame( 1, $this->process()['retry'], 'still down' );
		$this->assertSame( '2', $this->fresh_job( $id )['attempts'] );
		// min(cap, 15 s * 2^attempts) ± 20 %.
		$this->assertGreaterThanOrEqual( 24, $delays[1] );
		$this->assertLessThanOrEqual( 36, $delays[1] );
		$this->assertGreaterThanOrEqual( 48, $delays[2] );
		$this->assertLessThanOrEqual( 72, $delays[2] );
		$this->assertCount( 0, $this->uploaded_calls( $id ) );

		$this->start_proxy( $port ); // Storage is back.
		sleep( 2 );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( 'done', $this->fresh_job( $id )['status'] );
		list( $status, $body ) = $this->get_object( self::expected_key( 'Outage Contract', $id ) );
		$this->assertSame( 200, $status );
		$this->assertSame( file_get_contents( $path ), $body );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	/**
	 * Server-side errors that must be retried.
	 *
	 * @return array
	 */
	public function server_errors() {
		return array(
			'503 SlowDown'      => array( 503, 'SlowDown' ),
			'500 InternalError' => array( 500, 'InternalError' ),
		);
	}

	/**
	 * @dataProvider server_errors
	 *
	 * @param int    $status HTTP status.
	 * @param string $code   S3 code.
	 */
	public function test_server_errors_are_retried_then_complete( $status, $code ) {
		$port = self::free_port();
		$fake = proc_open(
			array( 'node', self::env( 'E2E_ROOT' ) . '/tests/e2e/bin/fake-s3.mjs', (string) $port, (string) $status, $code ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ),
			$pipes
		);
		$this->assertSame( "ready\n", fgets( $pipes[1] ) );
		$this->procs[] = $fake;
		$this->use_storage( array( 'endpoint' => 'http://127.0.0.1:' . $port ) );
		add_filter( 'wps3_retry_delay', static function () { return 1; } );

		$id = self::new_document_id();
		$this->enqueue( $id, 'Busy Storage', $this->make_pdf( 'Busy Storage' ) );
		$this->assertSame( 1, $this->process()['retry'] );
		$job = $this->fresh_job( $id );
		$this->assertSame( 'pending', $job['status'] );
		$this->assertSame( $code, $job['last_error_code'] );
		$this->assertCount( 0, $this->uploaded_calls( $id ) );

		$this->use_storage(); // The storage recovers.
		sleep( 2 );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	public function test_sidecar_killed_mid_upload_then_job_completes_after_restart() {
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Big Contract', 384 * MB_IN_BYTES );
		$this->enqueue( $id, 'Big Contract', $path );
		$old_pid = $this->sidecar_pid();

		$worker = $this->spawn_wp(
			array( 'run-queue' ),
			array(
				'DISABLE_WP_CRON' => true,
				'WPS3_RETRY_BASE' => 0.25,
			)
		);
		// Wait until the upload is under way, then kill -9 the sidecar.
		$end = microtime( true ) + 30;
		do {
			usleep( 50000 );
			$job = $this->fresh_job( $id );
		} while ( 'running' !== $job['status'] && microtime( true ) < $end );
		$this->assertSame( 'running', $job['status'] );
		// The upload is in flight when the sidecar still has work after 300 ms (render-key takes ~1 ms).
		$client = WPS3\Sidecar\Client::instance();
		$busy   = 0;
		while ( $busy < 2 && microtime( true ) < $end ) {
			$health = $client->health();
			$busy   = ( is_array( $health ) && $health['inFlight'] >= 1 ) ? $busy + 1 : 0;
			usleep( 300000 );
		}
		$this->assertSame( 2, $busy, 'the upload was in flight' );
		$this->assertTrue( posix_kill( $old_pid, 9 ) );
		$stats = json_decode( trim( $this->wait_wp( $worker ) ), true );
		$this->assertSame( 1, $stats['retry'], 'the worker saw the crash as retryable: ' . wp_json_encode( $stats ) );

		$job = $this->fresh_job( $id );
		$this->assertSame( 'pending', $job['status'], 'the job survived the crash' );
		$this->assertSame( 'SIDECAR_UNAVAILABLE', $job['last_error_code'] );
		$this->assertCount( 0, $this->uploaded_calls( $id ) );

		sleep( 2 ); // Backoff (0.25 s * 2 ± 20 %).
		$this->assertSame( 1, $this->process()['done'], 'the plugin restarted the sidecar and uploaded' );
		$this->assertNotSame( $old_pid, $this->sidecar_pid(), 'a new sidecar' );
		$backup = wps3_get_backup( $id );
		$this->assertSame( filesize( $path ), (int) $backup['size'] );
		$this->assertSame( hash_file( 'sha256', $path ), $this->object_sha256( $backup['object_key'] ) );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	/**
	 * A database connection lost inside the commit of a finished upload: not reported done, retried, and the
	 * retry records the object already stored instead of writing it again.
	 */
	public function test_connection_lost_at_commit_is_retried_and_announced_once() {
		global $wpdb;
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Lost Commit' );
		$this->enqueue( $id, 'Lost Commit', $path );
		add_filter( 'wps3_retry_delay', static function () { return 1; } );
		// The database drops the connection just before the backup is committed (as a restart does); wpdb
		// reconnects and sends COMMIT again on a new connection, where it commits nothing.
		$killed = 0;
		$kill   = static function ( $query ) use ( $wpdb, &$killed ) {
			if ( 'COMMIT' === $query && 0 === $killed++ ) {
				mysqli_query( $wpdb->dbh, 'KILL ' . mysqli_thread_id( $wpdb->dbh ) );
			}
			return $query;
		};
		add_filter( 'query', $kill );
		$stats = $this->process();
		remove_filter( 'query', $kill );
		$this->assertSame( 1, $killed, 'the connection was killed at COMMIT' );
		$job = $this->fresh_job( $id );
		$this->assertSame( 0, $stats['done'], 'not reported done: nothing was committed (' . wp_json_encode( $stats ) . ', job ' . $job['status'] . ')' );
		$this->assertSame( 'pending', $job['status'], 'the job is retried' );
		$this->assertSame( 'DB_ERROR', $job['last_error_code'] );
		$this->assertCount( 0, $this->uploaded_calls( $id ), 'wps_s3_uploaded did not fire for an unrecorded backup' );
		// The object was stored before the commit failed.
		list( $status, , $headers ) = $this->get_object( $job['object_key'] );
		$this->assertSame( 200, $status );
		$stored_at = $headers['last-modified'];

		sleep( 2 );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( 'done', $this->fresh_job( $id )['status'] );
		$this->assertCount( 1, $this->uploaded_calls( $id ), 'announced exactly once' );
		list( $status, $body, $headers ) = $this->get_object( wps3_get_backup( $id )['object_key'] );
		$this->assertSame( 200, $status );
		$this->assertSame( file_get_contents( $path ), $body );
		$this->assertSame( $stored_at, $headers['last-modified'], 'the retry recorded the stored object instead of writing it again' );
		$this->assertSame( filesize( $path ), (int) wps3_get_backup( $id )['size'] );
	}

	/**
	 * Wrong credentials per ministack.
	 *
	 * @return array
	 */
	public function wrong_settings() {
		return array(
			'wrong secret'        => array( array( 'secret_access_key' => 'wrong-secret-0123456789abcdefghijklmnopqr' ), array( 'SignatureDoesNotMatch' ) ),
			'unknown access key'  => array( array( 'access_key_id' => 'AKIANOSUCHKEY0000000' ), array( 'InvalidAccessKeyId', 'SignatureDoesNotMatch' ) ),
			'missing bucket'      => array( array( 'bucket' => 'wps3-no-such-bucket' ), array( 'NoSuchBucket' ) ),
		);
	}

	/**
	 * @dataProvider wrong_settings
	 *
	 * @param array    $settings Settings overrides.
	 * @param string[] $codes    Acceptable S3 codes.
	 */
	public function test_permanent_storage_errors_fail_with_cause_fix_and_retry_button( $settings, $codes ) {
		$this->use_storage( $settings );
		$failed = array();
		add_action(
			'wps3_backup_failed',
			function ( $document_id, $error, $job ) use ( &$failed ) {
				$failed[] = func_get_args();
			},
			10,
			3
		);
		$id = self::new_document_id();
		$this->enqueue( $id, 'Wrong Config', $this->make_pdf( 'Wrong Config' ) );
		$this->assertSame( 1, $this->process()['failed'] );

		$job = $this->job( $id );
		$this->assertSame( 'failed', $job['status'] );
		$this->assertContains( $job['last_error_code'], $codes );
		$this->assertNotEmpty( $job['last_error_cause'] );
		$this->assertNotEmpty( $job['last_error_fix'], 'the mapped fix is stored' );
		$this->assertCount( 0, $this->uploaded_calls( $id ) );
		$this->assertCount( 1, $failed, 'wps3_backup_failed fired once' );
		$this->assertSame( (string) $id, (string) $failed[0][0] );
		$this->assertInstanceOf( WP_Error::class, $failed[0][1] );

		// The admin sees cause, fix and a Retry button (with its nonce), and a notice on every screen.
		$html = $this->render_admin_page();
		$this->assertStringContainsString( esc_html( $job['last_error_fix'] ), $html );
		$this->assertStringContainsString( 'wps3-retry', $html );
		$this->assertStringContainsString( 'name="_wpnonce"', $html );
		$this->assertStringContainsString( 'wps3-failed-notice', $html );

		// Test connection reports the same mapped error.
		$test = \WPS3\Settings\Settings::instance()->test_connection();
		$this->assertInstanceOf( WP_Error::class, $test );
		$this->assertContains( \WPS3\Errors::field( $test, 'code' ), $codes );
		$this->assertNotEmpty( \WPS3\Errors::field( $test, 'fix' ) );

		// Fix the settings, click Retry: the backup completes.
		$this->use_storage();
		$this->assertTrue( \WPS3\Backup\Queue::instance()->retry( (int) $job['id'] ) );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}

	public function test_no_node_binary_gives_an_admin_visible_error_and_the_job_waits() {
		$id = self::new_document_id();
		$this->enqueue( $id, 'No Node', $this->make_pdf( 'No Node' ) );
		$socket_dir = self::env( 'E2E_DIR' ) . '/sc-nonode';
		$out        = $this->wait_wp(
			$this->spawn_wp(
				array( 'run-queue' ),
				array(
					'DISABLE_WP_CRON'     => true,
					'WPS3_NODE_BINARY'    => '/nonexistent/node',
					'WPS3_SIDECAR_SOCKET' => $socket_dir . '/s.sock',
				)
			)
		);
		$stats = json_decode( trim( $out ), true );
		$this->assertSame( 1, $stats['retry'], 'no fatal, the job is rescheduled: ' . $out );
		$job = $this->fresh_job( $id );
		$this->assertSame( 'pending', $job['status'] );
		$this->assertSame( 'NODE_MISSING', $job['last_error_code'] );
		$this->assertStringContainsString( 'WPS3_NODE_BINARY', $job['last_error_fix'] );

		// An admin screen of that (broken) install shows why.
		$html = $this->wait_wp(
			$this->spawn_wp(
				array( 'eval', 'require_once ABSPATH . "wp-admin/includes/admin.php"; wp_set_current_user( get_user_by( "login", getenv( "ADMIN_USER" ) )->ID ); \WPS3\Admin\Notices::render_global();' ),
				array(
					'DISABLE_WP_CRON'     => true,
					'WPS3_NODE_BINARY'    => '/nonexistent/node',
					'WPS3_SIDECAR_SOCKET' => $socket_dir . '/s.sock',
				),
				array( 'ADMIN_USER' => self::env( 'ADMIN_USER' ) )
			)
		);
		$this->assertStringContainsString( 'wps3-sidecar-notice', $html );
		$this->assertStringContainsString( 'WPS3_NODE_BINARY', $html );
		// Where the sidecar is healthy, the stale notice goes away.
		wp_cache_flush();
		$this->assertStringNotContainsString( 'wps3-sidecar-notice', $this->render_admin_page() );

		// A Node that exits at once: the start is bounded and reported, not a hang.
		$t0  = microtime( true );
		$out = $this->wait_wp(
			$this->spawn_wp(
				array( 'eval', '$r = WPS3\Sidecar\Client::instance()->call( "health" ); echo wp_json_encode( array( is_wp_error( $r ), is_wp_error( $r ) ? $r->get_error_data() : null ) );' ),
				array(
					'DISABLE_WP_CRON'     => true,
					'WPS3_NODE_BINARY'    => '/bin/false',
					'WPS3_SIDECAR_SOCKET' => $socket_dir . '/s.sock',
				)
			)
		);
		$this->assertLessThan( 15, microtime( true ) - $t0 );
		$result = json_decode( $out, true );
		$this->assertTrue( $result[0], $out );
		$this->assertSame( 'SIDECAR_UNAVAILABLE', $result[1]['code'] );
		$this->assertTrue( $result[1]['retryable'] );

		// With the real sidecar the job completes.
		global $wpdb;
		$wpdb->update( WPS3\Install\Schema::tables()['jobs'], array( 'next_attempt_at' => time() ), array( 'document_id' => $id ) );
		$this->assertSame( 1, $this->process()['done'] );
	}

	public function test_sidecar_started_once_by_concurrent_requests() {
		$client = WPS3\Sidecar\Client::instance();
		$this->assertTrue( $client->supervisor()->stop() );
		$workers = array();
		for ( $i = 0; $i < 4; $i++ ) {
			$workers[] = $this->spawn_wp( array( 'eval', '$h = WPS3\Sidecar\Client::instance()->ensure_running(); echo is_wp_error( $h ) ? "ERR " . $h->get_error_message() : $h["pid"];' ), array( 'DISABLE_WP_CRON' => true ) );
		}
		$pids = array();
		foreach ( $workers as $w ) {
			$pids[] = trim( $this->wait_wp( $w ) );
		}
		$this->assertCount( 1, array_unique( $pids ), 'all requests got the same sidecar: ' . implode( ',', $pids ) );
		$this->assertMatchesRegularExpression( '/^\d+$/', $pids[0] );
		$procs = 0;
		foreach ( glob( '/proc/[0-9]*/cmdline' ) as $file ) {
			$argv = explode( "\0", (string) @file_get_contents( $file ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			if ( str_ends_with( $argv[0], 'node' ) && in_array( WPS3_SIDECAR_SOCKET, $argv, true ) ) {
				++$procs;
			}
		}
		$this->assertSame( 1, $procs, 'exactly one sidecar process' );
	}
}
