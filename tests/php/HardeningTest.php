<?php
/**
 * Review fixes: stored object keys, key and filter validation, attempts counted per claim, lease renewal
 * during long uploads, schema upgrade, old backups' endpoint, settings checked by the core.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.PHP.DiscouragedPHPFunctions

/**
 * Hardening tests.
 */
class HardeningTest extends WPS3_E2E_TestCase {

	/**
	 * `_doing_it_wrong()` calls seen by the test (function => message).
	 *
	 * @var array
	 */
	private $wrong = array();

	protected function setUp(): void {
		parent::setUp();
		$this->wrong = array();
		add_filter( 'doing_it_wrong_trigger_error', '__return_false' );
		add_action( 'doing_it_wrong_run', array( $this, 'record_wrong' ), 10, 2 );
	}

	protected function tearDown(): void {
		foreach ( array( 'doing_it_wrong_trigger_error', 'doing_it_wrong_run', 'wps3_storage', 'wps3_key_template', 'wps3_lease_renew_interval', 'wps3_backup_retry_scheduled', 'wps3_max_attempts', 'wps3_file_not_found_attempts' ) as $hook ) {
			remove_all_filters( $hook );
		}
		parent::tearDown();
	}

	/**
	 * Records a `_doing_it_wrong()` call.
	 *
	 * @param string $function Function (here: the filter name).
	 * @param string $message  Message.
	 */
	public function record_wrong( $function, $message ) {
		$this->wrong[ $function ] = $message;
	}

	/**
	 * Fresh job row.
	 *
	 * @param int|string $id Document id.
	 * @return array
	 */
	private function fresh_job( $id ) {
		global $wpdb;
		$table = WPS3\Install\Schema::tables()['jobs'];
		return $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE document_id = %s", $id ), ARRAY_A );
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
	 * Starts the TCP forwarder in front of ministack.
	 *
	 * @param int $port Port.
	 * @param int $rate Bytes per second toward storage (0 = unthrottled).
	 * @return resource
	 */
	private function start_proxy( $port, $rate = 0 ) {
		$target = wp_parse_url( self::env( 'S3_ENDPOINT' ) );
		$proc   = proc_open(
			array( 'node', self::env( 'E2E_ROOT' ) . '/tests/e2e/bin/tcp-proxy.mjs', (string) $port, $target['host'], (string) $target['port'], (string) $rate ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'file', '/dev/null', 'w' ) ),
			$pipes
		);
		$this->assertSame( "ready\n", fgets( $pipes[1] ), 'proxy started' );
		$this->procs[] = $proc;
		return $proc;
	}

	public function test_key_is_computed_once_and_reused_by_later_attempts() {
		$calls = 0;
		add_filter(
			'wps_s3_backup_key',
			function ( $key ) use ( &$calls ) {
				++$calls;
				// Differs on every call, as a key with the date does across midnight.
				return 'once/' . $calls . '-' . wp_generate_password( 6, false ) . '/' . basename( $key );
			}
		);
		add_filter( 'wps3_retry_delay', static function () { return 1; } );
		$this->use_storage( array( 'endpoint' => 'http://127.0.0.1:' . self::free_port() ) ); // Storage down.
		$id = self::new_document_id();
		$this->enqueue( $id, 'Once', $this->make_pdf( 'Once' ) );
		$this->assertSame( 1, $this->process()['retry'] );
		$first = $this->fresh_job( $id )['object_key'];
		$this->assertStringStartsWith( 'once/1-', (string) $first, 'the final key is stored with the job' );

		$this->use_storage(); // Back up.
		sleep( 2 );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( 1, $calls, 'wps_s3_backup_key runs once per document' );
		$this->assertSame( $first, wps3_get_backup( $id )['object_key'], 'the second attempt wrote the same key' );
		$this->assertSame( array( $first ), array_column( $this->uploaded_calls( $id ), 1 ) );
	}

	/**
	 * Keys the wps_s3_backup_key filter may not return.
	 *
	 * @return array
	 */
	public function bad_keys() {
		return array(
			'not a string'  => array( array( 'a', 'b' ) ),
			'null'          => array( null ),
			'empty'         => array( '' ),
			'too long'      => array( str_repeat( 'k', 1025 ) ),
			'newline'       => array( "a/b\nc.pdf" ),
			'NUL'           => array( "a/b\0.pdf" ),
			'dot segment'   => array( 'a/./b.pdf' ),
			'dotdot'        => array( 'a/../b.pdf' ),
			'only dotdot'   => array( '..' ),
			'leading slash' => array( '/a/b.pdf' ),
		);
	}

	/**
	 * @dataProvider bad_keys
	 *
	 * @param mixed $bad What the filter returns.
	 */
	public function test_bad_keys_from_the_filter_fail_permanently_with_invalid_key( $bad ) {
		add_filter(
			'wps_s3_backup_key',
			static function () use ( $bad ) {
				return $bad;
			}
		);
		$id = self::new_document_id();
		$this->enqueue( $id, 'Bad Key', $this->make_pdf( 'Bad Key' ) );
		$this->assertSame( 1, $this->process()['failed'] );
		$job = $this->fresh_job( $id );
		$this->assertSame( 'failed', $job['status'] );
		$this->assertSame( 'INVALID_KEY', $job['last_error_code'] );
		$this->assertStringContainsString( 'wps_s3_backup_key', $job['last_error_cause'] );
		$this->assertStringContainsString( 'wps_s3_backup_key', $job['last_error_fix'] );
		$this->assertNull( $job['object_key'], 'a refused key is not stored' );
		$this->assertCount( 0, $this->uploaded_calls( $id ) );

		// Fix the filter, Retry: the key is computed again.
		remove_all_filters( 'wps_s3_backup_key' );
		$this->assertTrue( \WPS3\Backup\Queue::instance()->retry( (int) $job['id'] ) );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( self::expected_key( 'Bad Key', $id ), wps3_get_backup( $id )['object_key'] );
	}

	public function test_invalid_key_from_the_sidecar_is_permanent() {
		$e = \WPS3\Errors::from_sidecar( array( 'code' => 'INVALID_KEY', 'message' => 'key has a .. segment' ) );
		$this->assertFalse( \WPS3\Errors::is_retryable( $e ) );
		$this->assertSame( \WPS3\Errors::RETRY_NEVER, \WPS3\Errors::field( $e, 'retry' ) );
		$this->assertStringContainsString( 'wps_s3_backup_key', \WPS3\Errors::field( $e, 'fix' ) );
	}

	public function test_garbage_from_other_filters_falls_back_to_defaults_with_a_notice_not_a_fatal() {
		add_filter( 'wps3_retry_delay', static function () { return 'soon'; } );
		$this->assertGreaterThanOrEqual( 24, \WPS3\Backup\Queue::instance()->policy()->delay( 1 ) );
		$this->assertArrayHasKey( 'wps3_retry_delay', $this->wrong );
		add_filter( 'wps3_retry_delay', static function () { return array( 5 ); }, 11 );
		$this->assertGreaterThanOrEqual( 24, \WPS3\Backup\Queue::instance()->policy()->delay( 1 ) );

		add_filter( 'wps3_storage', static function () { return 'not an array'; } );
		$storage = \WPS3\Settings\Settings::instance()->storage();
		$this->assertIsArray( $storage );
		$this->assertSame( self::env( 'S3_BUCKET' ), $storage['bucket'] );
		$this->assertArrayHasKey( 'wps3_storage', $this->wrong );

		add_filter( 'wps3_upload_args', static function () { return null; } );
		add_filter( 'wps3_key_template', static function () { return 42.5; } );
		$id = self::new_document_id();
		$this->enqueue( $id, 'Garbage Filters', $this->make_pdf( 'Garbage Filters' ) );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( self::expected_key( 'Garbage Filters', $id ), wps3_get_backup( $id )['object_key'] );
		$this->assertArrayHasKey( 'wps3_upload_args', $this->wrong );
		$this->assertArrayHasKey( 'wps3_key_template', $this->wrong );
		$this->assertStringContainsString( 'default', $this->wrong['wps3_upload_args'] );
	}

	public function test_claiming_a_job_whose_lease_expired_counts_an_attempt_and_crash_loops_end() {
		global $wpdb;
		$table = WPS3\Install\Schema::tables()['jobs'];
		$id    = self::new_document_id();
		$jobid = $this->enqueue( $id, 'Crashy', $this->make_pdf( 'Crashy' ) );
		$queue = \WPS3\Backup\Queue::instance();
		add_filter( 'wps3_max_attempts', static function () { return 3; } );
		// The budget is the larger of max_attempts and the missing-file attempts.
		add_filter( 'wps3_file_not_found_attempts', static function () { return 3; } );
		// A worker claims the job and dies (PHP fatal, time limit): nothing is written back but the claim.
		for ( $i = 1; $i <= 3; $i++ ) {
			$this->assertNotNull( $queue->runner()->claim( $jobid ) );
			$this->assertSame( (string) $i, $this->fresh_job( $id )['attempts'], 'each claim is an attempt' );
			$wpdb->update( $table, array( 'locked_until' => time() - 1 ), array( 'id' => $jobid ) );
		}
		$failed = array();
		add_action(
			'wps3_backup_failed',
			function ( $document_id, $error ) use ( &$failed ) {
				$failed[] = \WPS3\Errors::field( $error, 'code' );
			},
			10,
			2
		);
		$this->assertSame( 1, $this->process()['failed'], 'the fourth claim gives up' );
		$job = $this->fresh_job( $id );
		$this->assertSame( 'failed', $job['status'] );
		$this->assertSame( 'TOO_MANY_ATTEMPTS', $job['last_error_code'] );
		$this->assertSame( array( 'TOO_MANY_ATTEMPTS' ), $failed );
		$this->assertCount( 0, $this->uploaded_calls( $id ) );
	}

	public function test_a_worker_that_lost_its_job_fires_no_failure_or_retry_hooks() {
		global $wpdb;
		$table = WPS3\Install\Schema::tables()['jobs'];
		$id    = self::new_document_id();
		$jobid = $this->enqueue( $id, 'Lost', $this->make_pdf( 'Lost' ) );
		$queue = \WPS3\Backup\Queue::instance();
		$stale = $queue->runner()->claim( $jobid );
		$job   = $queue->job( $jobid );
		$wpdb->update( $table, array( 'locked_until' => time() - 1 ), array( 'id' => $jobid ) );
		$this->assertNotNull( $queue->runner()->claim( $jobid ), 'another worker took over' );
		$fired = array();
		add_action(
			'wps3_backup_failed',
			function () use ( &$fired ) {
				$fired[] = 'failed';
			}
		);
		add_action(
			'wps3_backup_retry_scheduled',
			function () use ( &$fired ) {
				$fired[] = 'retry';
			}
		);
		$fail = new ReflectionMethod( \WPS3\Backup\Runner::class, 'fail' );
		$fail->setAccessible( true );
		$fail->invoke( $queue->runner(), $job, $stale, \WPS3\Errors::make( 'AccessDenied', 'denied' ) );
		$fail->invoke( $queue->runner(), $job, $stale, \WPS3\Errors::make( 'NETWORK_ERROR', 'down', array( 'retry' => \WPS3\Errors::RETRY_BACKOFF ) ) );
		$this->assertSame( array(), $fired, 'the stale worker changed nothing, so it announces nothing' );
		$this->assertSame( 'running', $this->fresh_job( $id )['status'] );
	}

	public function test_lease_is_renewed_during_a_long_upload_and_a_lost_lease_aborts_it() {
		$port = self::free_port();
		$this->start_proxy( $port, 128 * 1024 ); // A slow uplink: 3 MiB take ~24 s.
		$this->use_storage( array( 'endpoint' => 'http://127.0.0.1:' . $port ) );
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Slow Upload', 3 * MB_IN_BYTES );
		$this->enqueue( $id, 'Slow Upload', $path );

		$worker = $this->spawn_wp(
			array( 'eval', 'add_filter( "wps3_lease_renew_interval", function () { return 1; } ); $t = microtime( true ); $s = \WPS3\Backup\Queue::instance()->process(); $s["seconds"] = microtime( true ) - $t; echo wp_json_encode( $s );' ),
			array( 'DISABLE_WP_CRON' => true )
		);
		$end = microtime( true ) + 30;
		do {
			usleep( 100000 );
			$job = $this->fresh_job( $id );
		} while ( 'running' !== $job['status'] && microtime( true ) < $end );
		$this->assertSame( 'running', $job['status'] );
		$first_until = (int) $job['locked_until'];
		sleep( 7 ); // Renewals are at least 5 s apart.
		$job = $this->fresh_job( $id );
		$this->assertSame( 'running', $job['status'], 'still uploading' );
		$this->assertGreaterThanOrEqual( $first_until + 2, (int) $job['locked_until'], 'the lease was renewed while the upload ran' );

		// Another worker takes the job over (as after an expired lease): the first one must stop at once.
		global $wpdb;
		$wpdb->update( WPS3\Install\Schema::tables()['jobs'], array( 'locked_by' => 'another-worker' ), array( 'id' => $job['id'] ) );
		$t0    = microtime( true );
		$stats = json_decode( trim( $this->wait_wp( $worker, true, 60 ) ), true );
		$this->assertLessThan( 9, microtime( true ) - $t0, 'the transfer was aborted at the next renewal, not finished' );
		$this->assertSame( 1, $stats['retry'], wp_json_encode( $stats ) );
		$job = $this->fresh_job( $id );
		$this->assertSame( 'another-worker', $job['locked_by'], 'the worker that lost the lease wrote nothing back' );
		$this->assertSame( 'running', $job['status'] );
		$this->assertNull( $job['last_error_code'] );
		$this->assertNull( wps3_get_backup( $id ) );
		$this->assertCount( 0, $this->uploaded_calls( $id ) );
	}

	public function test_schema_upgrade_adds_columns_and_binary_document_ids() {
		global $wpdb;
		$tables = WPS3\Install\Schema::tables();
		// Schema 1: no object_key/endpoint/region, case-insensitive document ids.
		$wpdb->query( "ALTER TABLE {$tables['jobs']} DROP COLUMN object_key, MODIFY document_id varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL" );
		$wpdb->query( "ALTER TABLE {$tables['backups']} DROP COLUMN endpoint, DROP COLUMN region, MODIFY document_id varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL" );
		update_option( WPS3\Install\Schema::DB_VERSION_OPTION, '1' );
		WPS3\Install\Schema::maybe_upgrade();
		$this->assertSame( WPS3_DB_VERSION, get_option( WPS3\Install\Schema::DB_VERSION_OPTION ) );
		$jobs = array_column( $wpdb->get_results( "SHOW FULL COLUMNS FROM {$tables['jobs']}", ARRAY_A ), null, 'Field' );
		$this->assertArrayHasKey( 'object_key', $jobs );
		$this->assertSame( 'utf8mb4_bin', $jobs['document_id']['Collation'] );
		$backups = array_column( $wpdb->get_results( "SHOW FULL COLUMNS FROM {$tables['backups']}", ARRAY_A ), null, 'Field' );
		$this->assertArrayHasKey( 'endpoint', $backups );
		$this->assertArrayHasKey( 'region', $backups );
		$this->assertSame( 'utf8mb4_bin', $backups['document_id']['Collation'] );
	}

	public function test_old_backups_download_with_the_endpoint_and_region_they_were_written_with() {
		$port = self::free_port();
		$this->start_proxy( $port );
		$this->use_storage( array( 'endpoint' => 'http://127.0.0.1:' . $port ) );
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Moved Storage' );
		$this->enqueue( $id, 'Moved Storage', $path );
		$this->assertSame( 1, $this->process()['done'] );
		$backup = wps3_get_backup( $id );
		$this->assertSame( 'http://127.0.0.1:' . $port, $backup['endpoint'] );
		$this->assertSame( self::env( 'S3_REGION' ), $backup['region'] );

		$this->use_storage( array( 'region' => 'eu-west-3' ) ); // New settings for new backups.
		$url = \WPS3\Backup\Queue::instance()->links()->download_url( $backup );
		$this->assertIsString( $url, is_wp_error( $url ) ? $url->get_error_message() : '' );
		$this->assertStringStartsWith( 'http://127.0.0.1:' . $port . '/', $url );
		$this->assertStringContainsString( '%2F' . self::env( 'S3_REGION' ) . '%2F', $url );
		$ch = curl_init( $url );
		curl_setopt_array( $ch, array( CURLOPT_RETURNTRANSFER => true, CURLOPT_PROXY => '' ) );
		$body = curl_exec( $ch );
		$this->assertSame( 200, (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE ) );
		$this->assertSame( file_get_contents( $path ), $body );
	}

	public function test_admin_notices_cache_the_sidecar_health() {
		set_transient( 'wps3_sidecar_error', array( 'message' => 'old failure', 'fix' => '', 'time' => time() ), HOUR_IN_SECONDS );
		$key = 'wps3_sc_health_' . substr( md5( WPS3\Sidecar\Client::instance()->endpoint()->address() ), 0, 12 );
		delete_transient( $key );
		$this->render_admin_page();
		$this->assertSame( 'ok', get_transient( $key ), 'the health result is cached' );
		// A cached "down" is believed for a minute: no health request on every admin screen.
		set_transient( $key, 'down', MINUTE_IN_SECONDS );
		set_transient( 'wps3_sidecar_error', array( 'message' => 'old failure', 'fix' => '', 'time' => time() ), HOUR_IN_SECONDS );
		$this->assertStringContainsString( 'wps3-sidecar-notice', $this->render_admin_page() );
		delete_transient( $key );
		delete_transient( 'wps3_sidecar_error' );
	}
}
