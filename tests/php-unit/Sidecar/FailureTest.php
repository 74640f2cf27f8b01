<?php
/**
 * WPS3\Sidecar\Failure and Watchdog::failure(): the errors of the PHP side of the sidecar link.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Sidecar;

use WPS3\Errors;
use WPS3\Sidecar\Failure;
use WPS3\Sidecar\Watchdog;
use WPS3\Tests\Unit\TestCase;

/**
 * Retry decisions of local failures, and the sidecar's own errors passed through.
 */
final class FailureTest extends TestCase {

	/**
	 * A configuration problem is not retried; an unreachable sidecar is, and says whether it was reached.
	 */
	public function test_local_failures_carry_one_retry_decision(): void {
		$setup = Failure::setup( 'Node.js was not found.', 'Install Node.js.', 'NODE_MISSING' );
		$this->assertSame( 'NODE_MISSING', Errors::field( $setup, 'code' ) );
		$this->assertSame( Errors::RETRY_NEVER, Errors::retry( $setup ) );
		$this->assertSame( 'Install Node.js.', Errors::field( $setup, 'fix' ) );

		$down = Failure::unavailable( 'The sidecar socket does not exist.', true );
		$this->assertSame( Errors::RETRY_BACKOFF, Errors::retry( $down ) );
		$this->assertTrue( Errors::field( $down, 'not_connected' ) );
		$this->assertNotSame( '', Errors::field( $down, 'fix' ) );

		$refused = Failure::refused( 'Port 7781 is held by another user.', 'Stop that process.' );
		$this->assertSame( Errors::RETRY_BACKOFF, Errors::retry( $refused ) );
		$this->assertFalse( Errors::field( $refused, 'not_connected' ) );
		$this->assertTrue( Errors::field( $refused, 'no_start' ), 'starting a sidecar cannot help' );
	}

	/**
	 * A start failure is retried later whatever it was, and keeps its code, message and fix.
	 */
	public function test_as_backoff(): void {
		$error = Failure::as_backoff( Failure::setup( 'The sidecar script is missing.', 'Reinstall the plugin.' ) );
		$this->assertSame( Errors::RETRY_BACKOFF, Errors::retry( $error ) );
		$this->assertTrue( Errors::is_retryable( $error ) );
		$this->assertSame( 'The sidecar script is missing.', $error->get_error_message() );
		$this->assertSame( 'Reinstall the plugin.', Errors::field( $error, 'fix' ) );
		$this->assertSame( 'wps3_sidecar_unavailable', $error->get_error_code() );
	}

	/**
	 * The core's verdict in a sidecar error is what PHP keeps: retry, adviceId and the fields, unchanged.
	 */
	public function test_sidecar_errors_pass_through(): void {
		$sent  = array(
			'code'              => 'S3_ERROR',
			'message'           => 'Slow down.',
			's3Code'            => 'SlowDown',
			'httpStatus'        => 503,
			'retry'             => 'backoff',
			'adviceId'          => 'slow-down',
			'retryAfterSeconds' => 7,
		);
		$error = Failure::from_sidecar( $sent );
		$this->assertSame( $sent, Errors::field( $error, 'raw' ) );
		$this->assertSame( 'backoff', Errors::field( $error, 'retry' ) );
		$this->assertSame( 'slow-down', Errors::field( $error, 'adviceId' ) );
		$this->assertSame( 7, Errors::field( $error, 'retryAfterSeconds' ) );
		$this->assertSame( Errors::RETRY_NEVER, Errors::retry( Failure::from_sidecar( array( 'retry' => 'never' ) + $sent ) ), 'PHP does not second-guess a 503 the core called final' );
	}

	/**
	 * A transfer that failed: aborted by the caller, abandoned as stalled, or not connected (errno 7 only).
	 */
	public function test_transfer_failures(): void {
		$never = fn (): bool => false;
		$dog   = new Watchdog( array( 'progress' => fn (): bool => false ), $never );
		$dog->callback()();
		$this->assertSame( 'ABORTED', Errors::field( $dog->failure( 42, 'Callback aborted' ), 'code' ) );
		$this->assertSame( Errors::RETRY_BACKOFF, Errors::retry( $dog->failure( 42, 'Callback aborted' ) ) );

		$now     = 0;
		$stalled = new Watchdog( array( 'stall_check' => 1 ), $never, function () use ( &$now ): int {
			return $now;
		} );
		$tick    = $stalled->callback();
		for ( $i = 0; $i < 3; $i++ ) {
			++$now;
			$tick();
		}
		$error = $stalled->failure( 42, 'Callback aborted' );
		$this->assertSame( 'SIDECAR_UNAVAILABLE', Errors::field( $error, 'code' ) );
		$this->assertFalse( Errors::field( $error, 'not_connected' ), 'the sidecar had the request: it is not replayed' );
		$this->assertStringContainsString( 'stopped answering', $error->get_error_message() );

		$plain = new Watchdog( array(), $never );
		$this->assertTrue( Errors::field( $plain->failure( 7, 'Could not connect' ), 'not_connected' ) );
		$timeout = $plain->failure( 28, 'Operation timed out' );
		$this->assertFalse( Errors::field( $timeout, 'not_connected' ) );
		$this->assertStringContainsString( 'curl error 28: Operation timed out', $timeout->get_error_message() );
	}
}
