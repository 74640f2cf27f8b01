<?php
/**
 * 1 GiB upload on Garage (which checks payload hashes): bounded memory in PHP and in the sidecar.
 * Size can be changed with WPS3_E2E_LARGE_BYTES. Figures go to STDERR and $E2E_DIR/large-upload.json.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions

/**
 * Large upload.
 *
 * @group large
 */
class LargeUploadTest extends WPS3_E2E_TestCase {

	/**
	 * Peak resident set (VmHWM) of a process in bytes.
	 *
	 * @param int $pid Pid.
	 * @return int
	 */
	private static function vm_hwm( $pid ) {
		$status = (string) file_get_contents( "/proc/$pid/status" );
		return preg_match( '/^VmHWM:\s+(\d+) kB/m', $status, $m ) ? (int) $m[1] * 1024 : 0;
	}

	public function test_one_gib_upload_on_garage_with_bounded_memory() {
		$this->use_garage();
		$bytes = (int) ( getenv( 'WPS3_E2E_LARGE_BYTES' ) ?: 1024 * MB_IN_BYTES );
		$path  = $this->make_pdf( 'Large Archive', $bytes );
		$id    = self::new_document_id();

		// A fresh sidecar, so its VmHWM is this upload's peak.
		WPS3\Sidecar\Client::instance()->supervisor()->stop();
		$pid      = $this->sidecar_pid();
		$hwm_idle = self::vm_hwm( $pid );

		$this->enqueue( $id, 'Large Archive', $path );
		memory_reset_peak_usage();
		$php_before = memory_get_usage();
		$t0         = microtime( true );
		$stats      = $this->process();
		$seconds    = microtime( true ) - $t0;
		$php_peak   = memory_get_peak_usage();
		$php_peak_r = memory_get_peak_usage( true );
		$hwm        = self::vm_hwm( $pid );

		$this->assertSame( 1, $stats['done'], wp_json_encode( $this->job( $id ) ) );
		$backup = wps3_get_backup( $id );
		$this->assertSame( $bytes, (int) $backup['size'] );
		$this->assertMatchesRegularExpression( '/-\d+$/', $backup['etag'], 'multipart ETag' );

		$t1         = microtime( true );
		$local_hash = hash_file( 'sha256', $path );
		$this->assertSame( $local_hash, $this->object_sha256( $backup['object_key'] ), 'the stored object equals the file' );
		$verify_seconds = microtime( true ) - $t1;

		$figures = array(
			'bytes'                   => $bytes,
			'uploadSeconds'           => round( $seconds, 2 ),
			'throughputMBps'          => round( $bytes / MB_IN_BYTES / $seconds, 1 ),
			'phpPeakDuringUploadMB'   => round( ( $php_peak - $php_before ) / MB_IN_BYTES, 2 ),
			'phpPeakUsageMB'          => round( $php_peak / MB_IN_BYTES, 1 ),
			'phpPeakRealUsageMB'      => round( $php_peak_r / MB_IN_BYTES, 1 ),
			'sidecarVmHWMIdleMB'      => round( $hwm_idle / MB_IN_BYTES, 1 ),
			'sidecarVmHWMMB'          => round( $hwm / MB_IN_BYTES, 1 ),
			'sidecarPid'              => $pid,
			'storage'                 => 'garage',
			'verifySeconds'           => round( $verify_seconds, 1 ),
		);
		file_put_contents( self::env( 'E2E_DIR' ) . '/large-upload.json', wp_json_encode( $figures, JSON_PRETTY_PRINT ) );
		fwrite( STDERR, "\n[large-upload] " . wp_json_encode( $figures ) . "\n" );

		$this->assertLessThan( 4 * MB_IN_BYTES, $php_peak - $php_before, 'PHP never holds the file' );
		$this->assertLessThan( 512 * MB_IN_BYTES, $hwm, 'the sidecar streams' );
		$this->assertLessThan( 120, $seconds );
	}
}
