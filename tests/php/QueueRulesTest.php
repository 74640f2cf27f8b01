<?php
/**
 * Queue and schema rules: keys rendered again after Retry / re-completion, attempt budgets, lease renewal
 * interval, retryable sidecar errors, locked and verified schema upgrades.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared

/**
 * Queue rule tests.
 */
class QueueRulesTest extends WPS3_E2E_TestCase {

	/**
	 * Removes the filters these tests add.
	 */
	protected function tearDown(): void {
		foreach ( array( 'wps3_max_attempts', 'wps3_file_not_found_attempts', 'wps3_lease_renew_interval', 'wps3_job_lease_seconds', 'query' ) as $hook ) {
			remove_all_filters( $hook );
		}
		parent::tearDown();
	}

	/**
	 * Job row read from the database.
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
	 * Marks a job failed with a stored key.
	 *
	 * @param int    $job_id Job id.
	 * @param string $key    Stored key.
	 * @return void
	 */
	private function fail_with_key( $job_id, $key ) {
		global $wpdb;
		$wpdb->update(
			WPS3\Install\Schema::tables()['jobs'],
			array(
				'status'          => 'failed',
				'object_key'      => $key,
				'last_error_code' => 'AccessDenied',
			),
			array( 'id' => $job_id )
		);
	}

	public function test_retry_renders_the_key_again() {
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Retry Key' );
		$job  = $this->enqueue( $id, 'Retry Key', $path );
		$this->fail_with_key( $job, 'old-prefix/Retry-Key.pdf' );
		$this->assertTrue( \WPS3\Backup\Queue::instance()->retry( $job ) );
		$this->assertNull( $this->fresh_job( $id )['object_key'], 'Retry drops the stored key' );
		add_filter(
			'wps_s3_backup_key',
			function ( $key ) {
				return 'fixed/' . basename( $key );
			}
		);
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( 'fixed/' . basename( self::expected_key( 'Retry Key', $id ) ), wps3_get_backup( $id )['object_key'] );
	}

	public function test_completing_a_failed_document_again_renders_the_key_again() {
		$id   = self::new_document_id();
		$path = $this->make_pdf( 'Again Key' );
		$job  = $this->enqueue( $id, 'Again Key', $path );
		$this->fail_with_key( $job, 'old-prefix/Again-Key.pdf' );
		$this->assertSame( $job, $this->enqueue( $id, 'Again Key', $path ) );
		$row = $this->fresh_job( $id );
		$this->assertSame( 'pending', $row['status'] );
		$this->assertNull( $row['object_key'] );
		$this->assertSame( 1, $this->process()['done'] );
		$this->assertSame( self::expected_key( 'Again Key', $id ), wps3_get_backup( $id )['object_key'] );
	}

	public function test_missing_file_budget_is_not_cut_short_by_a_smaller_max_attempts() {
		global $wpdb;
		add_filter(
			'wps3_max_attempts',
			function () {
				return 2;
			}
		);
		$id  = self::new_document_id();
		$job = $this->enqueue( $id, 'Late File', self::env( 'E2E_DIR' ) . '/not-there-yet-' . $id . '.pdf' );
		$wpdb->update( WPS3\Install\Schema::tables()['jobs'], array( 'attempts' => 3 ), array( 'id' => $job ) );
		$this->process(); // Claim 4 of the 5 file attempts.
		$row = $this->fresh_job( $id );
		$this->assertSame( 'FILE_NOT_FOUND', $row['last_error_code'], 'not TOO_MANY_ATTEMPTS' );
		$this->assertSame( 'pending', $row['status'] );
		$this->assertSame( '4', (string) $row['attempts'] );
		// Past both budgets, a job whose workers keep vanishing ends as TOO_MANY_ATTEMPTS.
		$wpdb->update(
			WPS3\Install\Schema::tables()['jobs'],
			array(
				'attempts'        => 5,
				'next_attempt_at' => 0,
			),
			array( 'id' => $job )
		);
		$this->process();
		$this->assertSame( 'TOO_MANY_ATTEMPTS', $this->fresh_job( $id )['last_error_code'] );
	}

	public function test_lease_renew_interval_is_bounded_by_the_lease() {
		$queue = \WPS3\Backup\Queue::instance();
		$this->assertSame( 60, $queue->lease()->renew_interval(), 'default' );
		add_filter(
			'wps3_lease_renew_interval',
			function () {
				return 1;
			}
		);
		$this->assertSame( 5, $queue->lease()->renew_interval(), 'at least 5 s' );
		remove_all_filters( 'wps3_lease_renew_interval' );
		add_filter(
			'wps3_lease_renew_interval',
			function () {
				return 1000;
			}
		);
		add_filter(
			'wps3_job_lease_seconds',
			function () {
				return 90;
			}
		);
		$this->assertSame( 30, $queue->lease()->renew_interval(), 'at most a third of the lease' );
	}

	/**
	 * Sidecar errors and whether the queue retries them: the sidecar's (the core's) `retry` decides,
	 * also for INTERNAL and CANCELLED (docs/CONTRACTS.md: not retryable).
	 *
	 * @return array
	 */
	public function sidecar_errors() {
		return array(
			'INTERNAL, retry never'       => array( array( 'code' => 'INTERNAL', 'message' => 'bug', 'retry' => 'never', 'retryable' => false ), false ),
			'CANCELLED, retry never'      => array( array( 'code' => 'CANCELLED', 'message' => 'gone', 'retry' => 'never', 'retryable' => false ), false ),
			'INTERNAL, retry backoff'     => array( array( 'code' => 'INTERNAL', 'message' => 'bug', 'retry' => 'backoff', 'retryable' => true ), true ),
			'BAD_REQUEST'                 => array( array( 'code' => 'BAD_REQUEST', 'message' => 'bad', 'retry' => 'never', 'retryable' => false ), false ),
			'clock skew, after-clock-fix' => array( array( 'code' => 'S3_ERROR', 's3Code' => 'RequestTimeTooSkewed', 'message' => 'skew', 'retry' => 'after-clock-fix', 'retryable' => true ), true ),
		);
	}

	/**
	 * @dataProvider sidecar_errors
	 *
	 * @param array $error     Sidecar error.
	 * @param bool  $retryable Expected.
	 */
	public function test_the_sidecars_retry_decision_is_followed( array $error, $retryable ) {
		$e = \WPS3\Errors::from_sidecar( $error );
		$this->assertSame( $retryable, \WPS3\Errors::is_retryable( $e ) );
		$this->assertSame( $error['retry'], \WPS3\Errors::field( $e, 'retry' ) );
		$this->assertSame( $retryable ? $error['retry'] : 'never', \WPS3\Backup\Queue::instance()->policy()->decide( $e, 1 ), 'the queue retries what the core says is retryable' );
	}

	/**
	 * Puts the current site's tables back to schema 1 (case-insensitive ids, no object_key).
	 *
	 * @return void
	 */
	private function downgrade_schema() {
		global $wpdb;
		$tables = WPS3\Install\Schema::tables();
		$wpdb->query( "ALTER TABLE {$tables['jobs']} DROP COLUMN object_key, MODIFY document_id varchar(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL" );
		update_option( WPS3\Install\Schema::DB_VERSION_OPTION, '1' );
	}

	public function test_schema_upgrade_is_skipped_while_another_request_holds_the_lock() {
		global $wpdb;
		$this->downgrade_schema();
		$other = new wpdb( DB_USER, DB_PASSWORD, DB_NAME, DB_HOST );
		$lock  = 'wps3_upgrade_' . $wpdb->prefix;
		$this->assertSame( '1', (string) $other->get_var( $other->prepare( 'SELECT GET_LOCK(%s, 0)', $lock ) ) );
		try {
			$this->assertFalse( WPS3\Install\Schema::install() );
			$this->assertSame( '1', get_option( WPS3\Install\Schema::DB_VERSION_OPTION ), 'skipped, not recorded' );
			$this->assertFalse( WPS3\Install\Schema::is_current() );
		} finally {
			$other->query( $other->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) );
			$other->close();
		}
		WPS3\Install\Schema::maybe_upgrade();
		$this->assertSame( WPS3_DB_VERSION, get_option( WPS3\Install\Schema::DB_VERSION_OPTION ) );
		$this->assertTrue( WPS3\Install\Schema::is_current() );
	}

	public function test_schema_version_is_not_recorded_when_an_alter_fails() {
		global $wpdb;
		$this->downgrade_schema();
		$break = function ( $query ) {
			return false !== strpos( $query, 'MODIFY document_id' ) ? 'ALTER TABLE wps3_no_such_table MODIFY x int' : $query;
		};
		add_filter( 'query', $break );
		$wpdb->suppress_errors( true );
		$this->assertFalse( WPS3\Install\Schema::install() );
		$wpdb->suppress_errors( false );
		remove_filter( 'query', $break );
		$this->assertSame( '1', get_option( WPS3\Install\Schema::DB_VERSION_OPTION ), 'the next request tries again' );
		WPS3\Install\Schema::maybe_upgrade();
		$this->assertSame( WPS3_DB_VERSION, get_option( WPS3\Install\Schema::DB_VERSION_OPTION ) );
		$this->assertTrue( WPS3\Install\Schema::is_current() );
	}
}
