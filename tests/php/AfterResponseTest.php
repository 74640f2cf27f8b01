<?php
/**
 * The queue run after the response (PHP-FPM, LiteSpeed): one per site at a time.
 *
 * @package wps3
 */

// phpcs:disable WordPress.DB.DirectDatabaseQuery

/**
 * AfterResponse against the harness's WordPress and ministack (CLI: no response to finish, the run itself
 * and its lock are what is tested).
 */
class AfterResponseTest extends WPS3_E2E_TestCase {

	/**
	 * The site's lock name (private to the class: read it the way MariaDB sees it).
	 *
	 * @return string
	 */
	private static function lock_name() {
		$m = new ReflectionMethod( \WPS3\Backup\AfterResponse::class, 'lock_name' );
		$m->setAccessible( true );
		return $m->invoke( null, get_current_blog_id() );
	}

	public function test_a_run_waits_for_no_one_and_only_one_runs_per_site() {
		global $wpdb;
		$id    = self::new_document_id();
		$title = 'After Response Contract';
		$this->enqueue( $id, $title, $this->make_pdf( $title ) );
		$this->assertFalse( \WPS3\Backup\AfterResponse::available(), 'the CLI has no response to finish first' );

		// Another worker's run holds the site's lock: this one leaves the job to WP-Cron at once.
		$lock   = self::lock_name();
		$holder = $this->spawn_wp( array( 'eval', '$GLOBALS["wpdb"]->get_var( "SELECT GET_LOCK(\'' . $lock . '\', 0)" ); sleep( 8 );' ), array( 'DISABLE_WP_CRON' => true ) ); // Its WP-Cron spawn would run the queue on the web server.
		$end    = microtime( true ) + 10;
		while ( null === $wpdb->get_var( $wpdb->prepare( 'SELECT IS_USED_LOCK(%s)', $lock ) ) && microtime( true ) < $end ) {
			usleep( 50000 );
		}
		$this->assertNotNull( $wpdb->get_var( $wpdb->prepare( 'SELECT IS_USED_LOCK(%s)', $lock ) ), 'the other worker holds the lock' );
		$run = new \WPS3\Backup\AfterResponse();
		$run->request();
		$t0 = microtime( true );
		$run->run();
		$this->assertLessThan( 2, microtime( true ) - $t0, 'it did not wait for the lock' );
		$this->assertSame( 'pending', $this->job( $id )['status'] );

		// Once the lock is free the run processes the queue, and releases the lock.
		proc_terminate( $holder['proc'], 9 );
		$end = microtime( true ) + 10;
		while ( null !== $wpdb->get_var( $wpdb->prepare( 'SELECT IS_USED_LOCK(%s)', $lock ) ) && microtime( true ) < $end ) {
			usleep( 50000 );
		}
		$run->request();
		$run->run();
		$this->assertSame( 'done', $this->job( $id )['status'] );
		$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SELECT IS_USED_LOCK(%s)', $lock ) ), 'released after the run' );
		$this->assertCount( 1, $this->uploaded_calls( $id ) );
	}
}
