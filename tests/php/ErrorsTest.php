<?php
/**
 * Classification of sidecar errors (no network).
 *
 * @package wps3
 */

/**
 * Error mapping.
 */
class ErrorsTest extends PHPUnit\Framework\TestCase {

	/**
	 * Sidecar errors and whether the queue retries them.
	 *
	 * @return array
	 */
	public function cases() {
		return array(
			'network'                   => array( array( 'code' => 'NETWORK_ERROR', 'message' => 'ECONNREFUSED' ), 'NETWORK_ERROR', true ),
			'shutting down'             => array( array( 'code' => 'SHUTTING_DOWN', 'message' => 'bye' ), 'SHUTTING_DOWN', true ),
			'503 SlowDown (no flags)'   => array( array( 'code' => 'S3_ERROR', 's3Code' => 'SlowDown', 'httpStatus' => 503 ), 'SlowDown', true ),
			'500 (no flags)'            => array( array( 'code' => 'S3_ERROR', 's3Code' => 'InternalError', 'httpStatus' => 500 ), 'InternalError', true ),
			'AccessDenied permanent'    => array( array( 'code' => 'S3_ERROR', 's3Code' => 'AccessDenied', 'httpStatus' => 403, 'permanent' => true, 'retryable' => false, 'cause' => 'c', 'fix' => 'f' ), 'AccessDenied', false ),
			'permanent wins'            => array( array( 'code' => 'S3_ERROR', 's3Code' => 'X', 'httpStatus' => 500, 'permanent' => true, 'retryable' => true ), 'X', false ),
			'sidecar says retryable'    => array( array( 'code' => 'S3_ERROR', 's3Code' => 'RequestTimeTooSkewed', 'httpStatus' => 403, 'retryable' => true, 'permanent' => false ), 'RequestTimeTooSkewed', true ),
			'NoSuchBucket (no flags)'   => array( array( 'code' => 'S3_ERROR', 's3Code' => 'NoSuchBucket', 'httpStatus' => 404 ), 'NoSuchBucket', false ),
			'file not found (sidecar)'  => array( array( 'code' => 'FILE_NOT_FOUND', 'message' => 'no file', 'retryable' => false ), 'FILE_NOT_FOUND', false ),
			'file not found (no flags)' => array( array( 'code' => 'FILE_NOT_FOUND', 'message' => 'no file' ), 'FILE_NOT_FOUND', true ),
			'file unreadable'           => array( array( 'code' => 'FILE_UNREADABLE', 'message' => 'EACCES' ), 'FILE_UNREADABLE', true ),
			'request timeout'           => array( array( 'code' => 'REQUEST_TIMEOUT', 'message' => 'slow body' ), 'REQUEST_TIMEOUT', true ),
			'request timeout (flag)'    => array( array( 'code' => 'REQUEST_TIMEOUT', 'message' => 'slow body', 'retryable' => true ), 'REQUEST_TIMEOUT', true ),
			'sidecar says not retryable' => array( array( 'code' => 'NETWORK_ERROR', 'message' => 'bad cert', 'retryable' => false ), 'NETWORK_ERROR', false ),
			'invalid key'               => array( array( 'code' => 'INVALID_KEY', 'message' => 'bad key' ), 'INVALID_KEY', false ),
			'decrypt failed'            => array( array( 'code' => 'DECRYPT_FAILED', 'message' => 'tag mismatch' ), 'DECRYPT_FAILED', false ),
			'invalid bucket'            => array( array( 'code' => 'INVALID_BUCKET', 'message' => 'bad' ), 'INVALID_BUCKET', false ),
		);
	}

	/**
	 * @dataProvider cases
	 *
	 * @param array  $error     Sidecar error.
	 * @param string $code      Expected stable code.
	 * @param bool   $retryable Expected retryability.
	 */
	public function test_classification( $error, $code, $retryable ) {
		$wp_error = WPS3_Errors::from_sidecar( $error );
		$this->assertSame( $code, WPS3_Errors::field( $wp_error, 'code' ) );
		$this->assertSame( $retryable, WPS3_Errors::is_retryable( $wp_error ) );
		$this->assertSame( ! $retryable, WPS3_Errors::field( $wp_error, 'permanent' ) );
		$this->assertNotSame( '', WPS3_Errors::field( $wp_error, 'cause' ) );
	}

	public function test_decrypt_failure_tells_the_admin_to_enter_the_secret_again() {
		$e = WPS3_Errors::from_sidecar( array( 'code' => 'DECRYPT_FAILED', 'message' => 'x' ) );
		$this->assertStringContainsString( 'secret access key again', WPS3_Errors::field( $e, 'fix' ) );
	}

	public function test_retry_delay_is_capped_exponential_with_jitter() {
		$queue = WPS3_Backup_Queue::instance();
		for ( $attempt = 1; $attempt <= 12; $attempt++ ) {
			$expected = min( 3600, 15 * 2 ** $attempt );
			$delay    = $queue->retry_delay( $attempt );
			$this->assertGreaterThanOrEqual( (int) floor( $expected * 0.8 ), $delay, "attempt $attempt" );
			$this->assertLessThanOrEqual( (int) ceil( $expected * 1.2 ), $delay, "attempt $attempt" );
		}
	}

	public function test_pdf_generator_writes_a_consistent_xref() {
		$pdf = WPS3_Demo::make_pdf( 'Service Agreement (draft)', 'line' );
		$this->assertStringStartsWith( '%PDF-1.4', $pdf );
		$this->assertMatchesRegularExpression( '/startxref\n(\d+)\n%%EOF\n$/', $pdf );
		preg_match( '/startxref\n(\d+)\n/', $pdf, $m );
		$this->assertSame( 'xref', substr( $pdf, (int) $m[1], 4 ) );
		preg_match_all( '/^(\d{10}) 00000 n $/m', $pdf, $offsets );
		foreach ( $offsets[1] as $i => $offset ) {
			$this->assertSame( ( $i + 1 ) . ' 0 obj', substr( $pdf, (int) $offset, strlen( ( $i + 1 ) . ' 0 obj' ) ) );
		}
	}
}
