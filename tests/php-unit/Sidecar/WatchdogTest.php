<?php
/**
 * WPS3\Sidecar\Watchdog: when a transfer to the sidecar is aborted.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Sidecar;

use WPS3\Sidecar\Watchdog;
use WPS3\Tests\Unit\TestCase;

/**
 * The progress callback with a fake clock and a fake health probe.
 */
final class WatchdogTest extends TestCase {

	/**
	 * Fake time in seconds.
	 *
	 * @var int
	 */
	private int $now = 1000;

	/**
	 * What the fake health probe answers next (true = the sidecar answered).
	 *
	 * @var bool[]
	 */
	private array $answers = array();

	/**
	 * How often the probe ran.
	 *
	 * @var int
	 */
	private int $probes = 0;

	/**
	 * A watchdog on the fake clock and probe.
	 *
	 * @param array<string,mixed> $options Options.
	 * @return Watchdog
	 */
	private function watchdog( array $options ): Watchdog {
		return new Watchdog(
			$options,
			function (): bool {
				++$this->probes;
				return (bool) array_shift( $this->answers );
			},
			fn (): int => $this->now
		);
	}

	/**
	 * Without progress or stall_check nothing is installed.
	 */
	public function test_no_options_no_callback(): void {
		$this->assertSame( array(), $this->watchdog( array() )->curl_options() );
		$this->assertSame( array(), $this->watchdog( array( 'stall_check' => 0 ) )->curl_options() );
		$this->assertArrayHasKey( CURLOPT_XFERINFOFUNCTION, $this->watchdog( array( 'stall_check' => 2 ) )->curl_options() );
	}

	/**
	 * The caller's callback returning false aborts; anything else continues.
	 */
	public function test_progress_false_aborts(): void {
		$owned    = true;
		$watchdog = $this->watchdog(
			array(
				'progress' => function () use ( &$owned ) {
					return $owned ? null : false;
				},
			)
		);
		$tick     = $watchdog->callback();
		$this->assertSame( 0, $tick() );
		$this->assertNull( $watchdog->aborted() );
		$owned = false;
		$this->assertSame( 1, $tick() );
		$this->assertSame( 'callback', $watchdog->aborted() );
		$this->assertSame( 0, $this->probes, 'no stall_check, no health checks' );
	}

	/**
	 * Health checks run once per interval; three misses in a row abandon the transfer, an answer in
	 * between starts the count again.
	 */
	public function test_three_missed_health_checks_in_a_row_abandon_the_transfer(): void {
		$watchdog      = $this->watchdog( array( 'stall_check' => 5 ) );
		$tick          = $watchdog->callback();
		$this->answers = array( false, false, true, false, false, false );
		$this->assertSame( 0, $tick() );
		$this->assertSame( 0, $this->probes, 'not before the first interval' );
		$results = array();
		for ( $i = 0; $i < 6; $i++ ) {
			$this->now += 5;
			$results[]  = $tick();
			$this->assertSame( 0, $tick(), 'at most one check per interval' );
		}
		$this->assertSame( array( 0, 0, 0, 0, 0, 1 ), $results );
		$this->assertSame( 6, $this->probes );
		$this->assertSame( 'stalled', $watchdog->aborted() );
	}
}
