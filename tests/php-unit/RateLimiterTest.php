<?php
/**
 * WPS3\Rest\RateLimiter: fixed windows per user and action.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit;

use WPS3\Rest\RateLimiter;

/**
 * The limiter's window arithmetic, with an injected clock.
 */
final class RateLimiterTest extends TestCase {

	/**
	 * The first `limit` hits pass, the next one is told how long the window still runs.
	 */
	public function test_allows_up_to_the_limit_then_reports_the_wait(): void {
		$now = 1_700_000_000;
		for ( $i = 0; $i < 5; $i++ ) {
			$this->assertNull( RateLimiter::hit( 'settings-test', 7, 5, 60, $now + $i ), "hit $i" );
		}
		$this->assertSame( 56, RateLimiter::hit( 'settings-test', 7, 5, 60, $now + 4 ) );
		$this->assertSame( 1, RateLimiter::hit( 'settings-test', 7, 5, 60, $now + 59 ) );
	}

	/**
	 * Once the window has run out the count starts again.
	 */
	public function test_a_new_window_starts_after_the_old_one_ends(): void {
		$now = 1_700_000_000;
		$this->assertNull( RateLimiter::hit( 'a', 1, 1, 10, $now ) );
		$this->assertSame( 10, RateLimiter::hit( 'a', 1, 1, 10, $now ) );
		$this->assertNull( RateLimiter::hit( 'a', 1, 1, 10, $now + 10 ) );
		$this->assertSame( 10, RateLimiter::hit( 'a', 1, 1, 10, $now + 10 ) );
	}

	/**
	 * Users and actions have separate counters; reset() forgets one of them.
	 */
	public function test_counters_are_per_user_and_action(): void {
		$now = 1_700_000_000;
		$this->assertNull( RateLimiter::hit( 'a', 1, 1, 60, $now ) );
		$this->assertNotNull( RateLimiter::hit( 'a', 1, 1, 60, $now ) );
		$this->assertNull( RateLimiter::hit( 'a', 2, 1, 60, $now ), 'another user' );
		$this->assertNull( RateLimiter::hit( 'b', 1, 1, 60, $now ), 'another action' );
		RateLimiter::reset( 'a', 1 );
		$this->assertNull( RateLimiter::hit( 'a', 1, 1, 60, $now ), 'after reset' );
	}

	/**
	 * Limits and windows below 1 act as 1; the transient lives only as long as the window.
	 */
	public function test_bounds_and_transient_lifetime(): void {
		$now = 1_700_000_000;
		$this->assertNull( RateLimiter::hit( 'x', 3, 0, 0, $now ) );
		$this->assertSame( 1, RateLimiter::hit( 'x', 3, 0, 0, $now ) );
		RateLimiter::hit( 'y', 3, 5, 30, $now );
		RateLimiter::hit( 'y', 3, 5, 30, $now + 12 );
		$stored = array_values( \Wps3UnitState::$transients );
		$this->assertCount( 2, $stored );
		$this->assertSame( 18, $stored[1]['expiration'], 'expires when the window ends' );
		foreach ( array_keys( \Wps3UnitState::$transients ) as $name ) {
			$this->assertLessThanOrEqual( 172, strlen( $name ) );
		}
	}

	/**
	 * A corrupted stored value starts a fresh window instead of failing.
	 */
	public function test_garbage_in_the_transient_starts_a_fresh_window(): void {
		$now = 1_700_000_000;
		RateLimiter::hit( 'g', 4, 1, 60, $now );
		$name = array_key_first( \Wps3UnitState::$transients );
		set_transient( $name, 'not an array', 60 );
		$this->assertNull( RateLimiter::hit( 'g', 4, 1, 60, $now ) );
	}
}
