<?php
/**
 * WPS3\Backup\Job and Release: typed views of job rows and of how a failed attempt is written back.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Backup;

use WPS3\Backup\Job;
use WPS3\Backup\Release;
use WPS3\Tests\Unit\TestCase;

/**
 * Rows as MariaDB returns them (strings and NULLs) become typed jobs.
 */
final class JobTest extends TestCase {

	/**
	 * A row as `SELECT *` returns it.
	 *
	 * @param array<string, mixed> $over Columns to change.
	 * @return array<string, mixed>
	 */
	private static function row( array $over = array() ): array {
		return $over + array(
			'id'               => '7',
			'document_id'      => 'Doc-42',
			'file_path'        => '/srv/pdf/42.pdf',
			'title'            => 'Lease',
			'document'         => '{"id":"Doc-42","title":"Old title","user":"ann","path":"/old.pdf","pages":3}',
			'status'           => 'running',
			'attempts'         => '2',
			'next_attempt_at'  => '1700000000',
			'locked_by'        => 'token-a',
			'locked_until'     => '1700001800',
			'object_key'       => null,
			'last_error_code'  => 'NETWORK_ERROR',
			'last_error_cause' => 'down',
			'last_error_fix'   => null,
		);
	}

	/**
	 * Every column is typed; NULL stays null and the raw row is kept for hooks.
	 */
	public function test_from_row_types_every_column(): void {
		$job = Job::from_row( self::row() );
		$this->assertSame( 7, $job->id );
		$this->assertSame( 'Doc-42', $job->document_id );
		$this->assertSame( 2, $job->attempts );
		$this->assertSame( 1700000000, $job->next_attempt_at );
		$this->assertSame( 1700001800, $job->locked_until );
		$this->assertNull( $job->object_key );
		$this->assertNull( $job->last_error_fix );
		$this->assertSame( '', $job->stored_key() );
		$this->assertSame( '2', $job->row()['attempts'], 'hooks get the row as stored' );
	}

	/**
	 * The document handed to filters keeps the host's fields but names the job's current id, title and path.
	 */
	public function test_host_document_uses_the_current_title_and_path(): void {
		$doc = Job::from_row( self::row() )->host_document();
		$this->assertSame( 'Lease', $doc['title'] );
		$this->assertSame( '/srv/pdf/42.pdf', $doc['path'] );
		$this->assertSame( 'completed', $doc['status'] );
		$this->assertSame( 'ann', $doc['user'] );
		$this->assertSame( 3, $doc['pages'] );
	}

	/**
	 * A broken stored document is an empty one, not an error.
	 */
	public function test_unreadable_document_json_is_empty(): void {
		$job = Job::from_row( self::row( array( 'document' => '{not json' ) ) );
		$this->assertSame( array(), $job->document );
		$this->assertSame( 'Doc-42', $job->host_document()['id'] );
	}

	/**
	 * Lease ownership compares the whole token; a job without a lease belongs to nobody.
	 */
	public function test_lease_ownership(): void {
		$job = Job::from_row( self::row() );
		$this->assertTrue( $job->is_locked_by( 'token-a' ) );
		$this->assertFalse( $job->is_locked_by( 'token-' ) );
		$this->assertFalse( $job->is_locked_by( 'token-ab' ) );
		$this->assertFalse( Job::from_row( self::row( array( 'locked_by' => null ) ) )->is_locked_by( '' ) );
	}

	/**
	 * The admin list refreshes for a running job or one due within the window, not for one due later.
	 */
	public function test_activity_window(): void {
		$now = 1700000000;
		$this->assertTrue( Job::from_row( self::row() )->is_active_within( $now, 30 ) );
		$pending = static fn( int $due ): Job => Job::from_row( self::row( array( 'status' => 'pending', 'next_attempt_at' => (string) $due ) ) );
		$this->assertTrue( $pending( $now + 30 )->is_active_within( $now, 30 ) );
		$this->assertFalse( $pending( $now + 31 )->is_active_within( $now, 30 ) );
		$this->assertFalse( Job::from_row( self::row( array( 'status' => 'done' ) ) )->is_active_within( $now, 30 ) );
	}

	/**
	 * A retry keeps the job pending with its next attempt; a failure keeps the stored due time; codes fit
	 * their column.
	 */
	public function test_release_outcomes(): void {
		$retry = Release::retry_at( 3, 1700000060, 'SlowDown', 'busy', 'wait', true );
		$this->assertSame( Job::PENDING, $retry->status );
		$this->assertSame( 1700000060, $retry->next_attempt_at );
		$this->assertTrue( $retry->clear_key );
		$failed = Release::failed( 5, str_repeat( 'X', 150 ), 'c', 'f' );
		$this->assertSame( Job::FAILED, $failed->status );
		$this->assertNull( $failed->next_attempt_at );
		$this->assertFalse( $failed->clear_key );
		$this->assertSame( 100, strlen( $failed->stored_code() ) );
	}
}
