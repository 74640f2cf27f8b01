<?php
/**
 * WPS3\Backup\BackupLinks::is_our_url(): the host check of the download URLs the sidecar returned.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Backup;

use WPS3\Backup\BackupLinks;
use WPS3\Tests\Unit\TestCase;

/**
 * A signed URL of the resolved endpoint passes; anything pointing elsewhere, or unsigned, does not. The
 * quick prefix check and the parsing one must agree.
 */
final class BackupLinksTest extends TestCase {

	/**
	 * URLs against a virtual-hosted https endpoint and a path-style one with a port.
	 */
	public function test_only_signed_urls_of_the_endpoint_pass(): void {
		$links = new BackupLinks();
		$aws   = array(
			'scheme' => 'https',
			'host'   => 'examplebucket.s3.amazonaws.com',
		);
		$local = array(
			'scheme' => 'http',
			'host'   => '127.0.0.1:9000',
		);
		$sig   = 'X-Amz-Date=20261123T123456Z&X-Amz-SignedHeaders=host&X-Amz-Signature=' . str_repeat( 'a', 64 );
		$cases = array(
			array( $aws, 'https://examplebucket.s3.amazonaws.com/a/b%20c.pdf?' . $sig, true ),
			array( $aws, 'HTTPS://ExampleBucket.S3.amazonaws.com/a.pdf?' . $sig, true ),
			array( $local, 'http://127.0.0.1:9000/bucket/a.pdf?' . $sig, true ),
			array( $local, 'http://127.0.0.1/bucket/a.pdf?' . $sig, false ),
			array( $local, 'http://127.0.0.1:9001/bucket/a.pdf?' . $sig, false ),
			array( $aws, 'http://examplebucket.s3.amazonaws.com/a.pdf?' . $sig, false ),
			array( $aws, 'https://evil.example/a.pdf?' . $sig, false ),
			array( $aws, 'https://examplebucket.s3.amazonaws.com@evil.example/a.pdf?' . $sig, false ),
			array( $aws, 'https://examplebucket.s3.amazonaws.com.evil.example/a.pdf?' . $sig, false ),
			array( $aws, 'https://examplebucket.s3.amazonaws.com/a.pdf', false ),
			array( $aws, 'https://examplebucket.s3.amazonaws.com/X-Amz-Signature=1?x=1', false ),
			array( $aws, 'https://examplebucket.s3.amazonaws.com/a.pdf?x=1#X-Amz-Signature=1', false ),
			array( array( 'host' => 'examplebucket.s3.amazonaws.com' ), '://examplebucket.s3.amazonaws.com/a?' . $sig, false ),
			array( array( 'scheme' => 'https' ), 'https:///a?' . $sig, false ),
			array( $aws, '', false ),
		);
		foreach ( $cases as $i => list( $endpoint, $url, $want ) ) {
			$this->assertSame( $want, $links->is_our_url( $url, $endpoint ), "case $i: $url" );
		}
	}
}
