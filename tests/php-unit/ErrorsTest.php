<?php
/**
 * WPS3\Errors and WPS3\AdviceTexts: one retry decision, and translatable texts by advice id.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit;

use WPS3\Errors;

/**
 * The error model without a sidecar: what from_sidecar() keeps, and which texts an admin reads.
 */
final class ErrorsTest extends TestCase {

	/**
	 * `retry` is the decision; `retryable` is derived from it, `permanent` is gone.
	 */
	public function test_retry_is_the_single_decision(): void {
		$e = Errors::from_sidecar( array( 'code' => 'S3_ERROR', 's3Code' => 'RequestTimeTooSkewed', 'message' => 'm', 'retry' => 'after-clock-fix', 'retryable' => false, 'permanent' => true ) );
		$this->assertSame( 'after-clock-fix', Errors::retry( $e ) );
		$this->assertTrue( Errors::is_retryable( $e ) );
		$this->assertTrue( Errors::field( $e, 'retryable' ) );
		$this->assertArrayNotHasKey( 'permanent', $e->get_error_data() );
		$this->assertSame( 'RequestTimeTooSkewed', Errors::field( $e, 'code' ) );
		$this->assertSame( 'wps3_requesttimetooskewed', $e->get_error_code() );
	}

	/**
	 * Plugin-side errors default to "never" and take the enum; a boolean alone decides nothing.
	 */
	public function test_make(): void {
		$this->assertSame( 'never', Errors::retry( Errors::make( 'DB_ERROR', 'x' ) ) );
		$this->assertSame( 'backoff', Errors::retry( Errors::make( 'DB_ERROR', 'x', array( 'retry' => 'backoff' ) ) ) );
		$this->assertSame( 'never', Errors::retry( Errors::make( 'X', 'x', array( 'retryable' => true ) ) ), 'retry is the only input' );
		$this->assertFalse( Errors::field( Errors::make( 'X', 'x', array( 'retryable' => true ) ), 'retryable' ), 'retryable is derived' );
		$this->assertSame( 'never', Errors::retry( Errors::make( 'X', 'x', array( 'retry' => 'never', 'retryable' => true ) ) ), 'retry wins' );
		$this->assertSame( 'never', Errors::retry( new \WP_Error( 'other', 'not ours' ) ) );
		$this->assertSame( 'x', Errors::field( Errors::make( 'X', 'x' ), 'cause' ) );
	}

	/**
	 * A known advice id gets the plugin's (translatable) text, with the fields it names.
	 */
	public function test_known_advice_ids_use_the_translatable_text(): void {
		$e = Errors::from_sidecar(
			array(
				'code'         => 'S3_ERROR',
				's3Code'       => 'PermanentRedirect',
				'message'      => 'm',
				'adviceId'     => 'wrong-region',
				'bucketRegion' => 'eu-west-3',
				'cause'        => 'core English cause',
				'fix'          => 'core English fix',
				'retry'        => 'never',
			)
		);
		$this->assertStringContainsString( '"eu-west-3"', Errors::field( $e, 'cause' ) );
		$this->assertStringContainsString( 'Set the region to "eu-west-3"', Errors::field( $e, 'fix' ) );
		$this->assertSame( 'wrong-region', Errors::field( $e, 'adviceId' ) );
		$this->assertSame( 'eu-west-3', Errors::field( $e, 'bucketRegion' ), 'error fields pass through' );
	}

	/**
	 * An advice id the plugin does not know falls back to the core's English, then to the message.
	 */
	public function test_unknown_advice_ids_fall_back_to_the_core(): void {
		$e = Errors::from_sidecar( array( 'code' => 'S3_ERROR', 's3Code' => 'Weird', 'message' => 'msg', 'adviceId' => 'no-such-advice-id', 'cause' => 'core cause', 'fix' => 'core fix' ) );
		$this->assertSame( 'core cause', Errors::field( $e, 'cause' ) );
		$this->assertSame( 'core fix', Errors::field( $e, 'fix' ) );
		$this->assertNull( Errors::advice( 'no-such-advice-id' ) );
		$bare = Errors::from_sidecar( array( 'code' => 'S3_ERROR', 's3Code' => 'Weird', 'message' => 'msg' ) );
		$this->assertSame( 'msg', Errors::field( $bare, 'cause' ) );
		$this->assertSame( '', Errors::field( $bare, 'fix' ) );
	}

	/**
	 * Entries with an empty cause keep the error's own message (it names the file, the errno, …).
	 */
	public function test_fix_only_entries_keep_the_specific_cause(): void {
		$e = Errors::from_sidecar( array( 'code' => 'FILE_NOT_FOUND', 'message' => 'no file at /x.pdf', 'retry' => 'never' ) );
		$this->assertSame( 'no file at /x.pdf', Errors::field( $e, 'cause' ) );
		$this->assertStringContainsString( 'click Retry', Errors::field( $e, 'fix' ) );
		$skew = Errors::advice( 'clock-skew', array( 'clockSkewSeconds' => -90 ) );
		$this->assertNotNull( $skew );
		$this->assertStringContainsString( '90 seconds ahead', $skew['cause'] );
	}

	/**
	 * Codes without an advice id map to the WordPress-side texts (they name the admin screen or wp-config).
	 */
	public function test_wordpress_side_texts(): void {
		$this->assertStringContainsString( 'secret access key again', Errors::describe( 'DECRYPT_FAILED', 'x' )['fix'] );
		$this->assertStringContainsString( 'WPS3_NODE_BINARY', Errors::describe( 'SIDECAR_UNAVAILABLE', 'x' )['fix'] );
		$this->assertSame( array( 'cause' => 'x', 'fix' => '' ), Errors::describe( 'SOMETHING_ELSE', 'x' ) );
	}
}
