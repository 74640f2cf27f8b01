<?php
/**
 * The error model: sidecar errors, the core's verdict on storage answers, translated advice.
 *
 * @package wps3
 */

/**
 * Error mapping.
 */
class ErrorsTest extends PHPUnit\Framework\TestCase {

	/**
	 * Sidecar errors: the retry decision they carry and the stable code.
	 *
	 * @return array
	 */
	public function cases() {
		return array(
			'network, backoff'            => array( array( 'code' => 'NETWORK_ERROR', 'message' => 'ECONNREFUSED', 'retry' => 'backoff' ), 'NETWORK_ERROR', true ),
			'shutting down, backoff'      => array( array( 'code' => 'SHUTTING_DOWN', 'message' => 'bye', 'retry' => 'backoff' ), 'SHUTTING_DOWN', true ),
			'AccessDenied, never'         => array( array( 'code' => 'S3_ERROR', 's3Code' => 'AccessDenied', 'httpStatus' => 403, 'retry' => 'never', 'cause' => 'c', 'fix' => 'f' ), 'AccessDenied', false ),
			'skew, after-clock-fix'       => array( array( 'code' => 'S3_ERROR', 's3Code' => 'RequestTimeTooSkewed', 'httpStatus' => 403, 'retry' => 'after-clock-fix' ), 'RequestTimeTooSkewed', true ),
			'retry wins over retryable'   => array( array( 'code' => 'S3_ERROR', 's3Code' => 'X', 'httpStatus' => 500, 'retry' => 'never', 'retryable' => true ), 'X', false ),
			'old sidecar: retryable true' => array( array( 'code' => 'REQUEST_TIMEOUT', 'message' => 'slow body', 'retryable' => true ), 'REQUEST_TIMEOUT', true ),
			'old sidecar: retryable false' => array( array( 'code' => 'NETWORK_ERROR', 'message' => 'bad cert', 'retryable' => false ), 'NETWORK_ERROR', false ),
			'no verdict: not retried'     => array( array( 'code' => 'S3_ERROR', 's3Code' => 'SlowDown', 'httpStatus' => 503 ), 'SlowDown', false ),
			'unknown retry value'         => array( array( 'code' => 'INTERNAL', 'message' => 'x', 'retry' => 'sometimes' ), 'INTERNAL', false ),
			'file not found'              => array( array( 'code' => 'FILE_NOT_FOUND', 'message' => 'no file', 'retry' => 'never' ), 'FILE_NOT_FOUND', false ),
			'invalid key'                 => array( array( 'code' => 'INVALID_KEY', 'message' => 'bad key', 'retry' => 'never' ), 'INVALID_KEY', false ),
			'decrypt failed'              => array( array( 'code' => 'DECRYPT_FAILED', 'message' => 'tag mismatch', 'retry' => 'never' ), 'DECRYPT_FAILED', false ),
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
		$wp_error = \WPS3\Errors::from_sidecar( $error );
		$this->assertSame( $code, \WPS3\Errors::field( $wp_error, 'code' ) );
		$this->assertSame( $retryable, \WPS3\Errors::is_retryable( $wp_error ) );
		$this->assertSame( $retryable, \WPS3\Errors::field( $wp_error, 'retryable' ), 'retryable is derived from retry' );
		$this->assertNotSame( '', \WPS3\Errors::field( $wp_error, 'cause' ) );
		$this->assertArrayNotHasKey( 'permanent', $wp_error->get_error_data() );
	}

	/**
	 * Storage answers and whether the core says they are worth retrying.
	 *
	 * @return array
	 */
	public function storage_answers() {
		$xml = static function ( $code ) {
			return '<?xml version="1.0" encoding="UTF-8"?><Error><Code>' . $code . '</Code><Message>m</Message><RequestId>R1</RequestId></Error>';
		};
		return array(
			'503 SlowDown'          => array( 503, $xml( 'SlowDown' ), 'SlowDown', true ),
			'500 InternalError'     => array( 500, $xml( 'InternalError' ), 'InternalError', true ),
			'403 AccessDenied'      => array( 403, $xml( 'AccessDenied' ), 'AccessDenied', false ),
			'404 NoSuchBucket'      => array( 404, $xml( 'NoSuchBucket' ), 'NoSuchBucket', false ),
			'403 SignatureMismatch' => array( 403, $xml( 'SignatureDoesNotMatch' ), 'SignatureDoesNotMatch', false ),
		);
	}

	/**
	 * The core's verdict on a storage answer reaches the queue unchanged (no retry table in PHP).
	 *
	 * @dataProvider storage_answers
	 *
	 * @param int    $status    HTTP status.
	 * @param string $body      Response body.
	 * @param string $code      Expected S3 code.
	 * @param bool   $retryable Expected verdict.
	 */
	public function test_storage_errors_follow_the_core( $status, $body, $code, $retryable ) {
		$parsed = \WPS3\Sidecar\Client::instance()->call( 'parse-error', array( 'status' => $status, 'body' => $body, 'headers' => array() ) );
		$this->assertIsArray( $parsed, is_wp_error( $parsed ) ? $parsed->get_error_message() : '' );
		$error = \WPS3\Errors::from_sidecar( $parsed ); // parse-error answers in the error model already.
		$this->assertSame( $code, \WPS3\Errors::field( $error, 'code' ) );
		$this->assertSame( $retryable, \WPS3\Errors::is_retryable( $error ) );
		$this->assertNotSame( '', \WPS3\Errors::field( $error, 'fix' ) );
	}

	public function test_every_advice_id_of_the_core_has_a_translatable_text() {
		$catalog = \WPS3\Sidecar\Client::instance()->call( 'advice-catalog', array() );
		$this->assertIsArray( $catalog, is_wp_error( $catalog ) ? $catalog->get_error_message() : '' );
		$catalog = isset( $catalog['advice'] ) && is_array( $catalog['advice'] ) ? $catalog['advice'] : $catalog;
		$this->assertGreaterThan( 10, count( $catalog ), 'the core lists its advice ids' );
		$missing = array();
		foreach ( array_keys( $catalog ) as $advice_id ) {
			$texts = \WPS3\Errors::advice( (string) $advice_id );
			if ( null === $texts || ( '' === $texts['cause'] && '' === $texts['fix'] ) ) {
				$missing[] = $advice_id;
			}
		}
		$this->assertSame( array(), $missing, 'advice ids without a PHP translation entry (php-bridge/includes/AdviceTexts.php)' );
	}

	public function test_decrypt_failure_tells_the_admin_to_enter_the_secret_again() {
		$e = \WPS3\Errors::from_sidecar( array( 'code' => 'DECRYPT_FAILED', 'message' => 'x' ) );
		$this->assertStringContainsString( 'secret access key again', \WPS3\Errors::field( $e, 'fix' ) );
	}

	public function test_retry_delay_is_capped_exponential_with_jitter() {
		$policy = \WPS3\Backup\Queue::instance()->policy();
		for ( $attempt = 1; $attempt <= 12; $attempt++ ) {
			$expected = min( 3600, 15 * 2 ** $attempt );
			$delay    = $policy->delay( $attempt );
			$this->assertGreaterThanOrEqual( (int) floor( $expected * 0.8 ), $delay, "attempt $attempt" );
			$this->assertLessThanOrEqual( (int) ceil( $expected * 1.2 ), $delay, "attempt $attempt" );
		}
	}

	public function test_pdf_generator_writes_a_consistent_xref() {
		$pdf = \WPS3\Demo\Pdf::make( 'Service Agreement (draft)', 'line' );
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
