<?php
/**
 * WPS3\Backup\JobQuery: the backups list's request arguments, whitelisted.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Backup;

use WPS3\Backup\JobQuery;
use WPS3\Tests\Unit\TestCase;

/**
 * Only whitelisted values reach SQL; anything else falls back to the default.
 */
final class JobQueryTest extends TestCase {

	/**
	 * No arguments: newest first, all statuses, first page.
	 */
	public function test_defaults(): void {
		$q = JobQuery::from_request( array() );
		$this->assertSame( '', $q->status );
		$this->assertSame( 'j.id DESC', $q->order_sql() );
		$this->assertSame( 1, $q->page );
		$this->assertSame( 0, $q->offset() );
	}

	/**
	 * Known values are taken (case-insensitively); ties are broken by id in the same direction.
	 */
	public function test_filter_sort_and_page(): void {
		$q = JobQuery::from_request(
			array(
				'status'  => 'Failed',
				'orderby' => 'title',
				'order'   => 'asc',
				'paged'   => '3',
			),
			25
		);
		$this->assertSame( 'failed', $q->status );
		$this->assertSame( 'j.title ASC, j.id ASC', $q->order_sql() );
		$this->assertSame( 50, $q->offset() );
		$this->assertSame( 'b.uploaded_at DESC, j.id DESC', JobQuery::from_request( array( 'orderby' => 'uploaded_at' ) )->order_sql() );
	}

	/**
	 * Injection attempts and junk become defaults.
	 */
	public function test_unknown_values_fall_back(): void {
		$q = JobQuery::from_request(
			array(
				'status'  => "failed' OR 1=1 --",
				'orderby' => 'id; DROP TABLE x',
				'order'   => 'sideways',
				'paged'   => '-4',
			),
			0
		);
		$this->assertSame( '', $q->status );
		$this->assertSame( 'j.id DESC', $q->order_sql() );
		$this->assertSame( 1, $q->page );
		$this->assertSame( 1, $q->per_page, 'at least one row per page' );
		$this->assertSame( '', JobQuery::from_request( array( 'status' => array( 'failed' ) ) )->status, 'arrays are not words' );
		$this->assertSame( JobQuery::MAX_PER_PAGE, JobQuery::from_request( array(), 100000 )->per_page );
	}

	/**
	 * Page count for the pagination links.
	 */
	public function test_pages(): void {
		$q = JobQuery::from_request( array(), 20 );
		$this->assertSame( 1, $q->pages( 0 ) );
		$this->assertSame( 1, $q->pages( 20 ) );
		$this->assertSame( 2, $q->pages( 21 ) );
	}
}
