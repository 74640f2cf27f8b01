<?php
/**
 * WPS3\Sidecar\LinkPage: the arguments of `presign-page` and its answer read into one slot per key.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Sidecar;

use WPS3\Errors;
use WPS3\Sidecar\LinkPage;
use WPS3\Tests\Unit\TestCase;

/**
 * Slots line up with the keys; a link's error is the core's, passed through; an answer that does not
 * fit the request is refused as a whole.
 */
final class LinkPageTest extends TestCase {

	/**
	 * Keys and per-key lists go out as JSON arrays even when the caller's arrays have other keys.
	 */
	public function test_args_are_lists(): void {
		$args = LinkPage::args(
			array( 'bucket' => 'b' ),
			array( 'accessKeyId' => 'AKID' ),
			array(
				'x' => 'a.pdf',
				'y' => 'b.pdf',
			),
			array(
				'expiresIn' => 300,
				'filenames' => array(
					5 => 'A.pdf',
					9 => null,
				),
			)
		);
		$this->assertSame( '{"storage":{"bucket":"b"},"credentials":{"accessKeyId":"AKID"},"keys":["a.pdf","b.pdf"],"expiresIn":300,"filenames":["A.pdf",null]}', json_encode( $args ) );
		$this->assertSame( '{"storage":{},"credentials":{},"keys":[]}', json_encode( LinkPage::args( array(), array(), array(), array() ) ) );
	}

	/**
	 * Every URL in its slot, a failed link's error model in its own.
	 */
	public function test_answer_slots(): void {
		$endpoint = array(
			'scheme' => 'https',
			'host'   => 'b.s3.amazonaws.com',
		);
		$error    = array(
			'code'     => 'INVALID_KEY',
			'message'  => 'an object key is 1 to 1024 UTF-8 bytes; this one is 0',
			'retry'    => 'never',
			'adviceId' => 'key-invalid',
		);
		$page     = LinkPage::from_answer(
			array(
				'urls'      => array( 'https://b.s3.amazonaws.com/a?X-Amz-Signature=1', null, 'https://b.s3.amazonaws.com/c?X-Amz-Signature=3' ),
				'errors'    => array(
					array(
						'index' => 1,
						'error' => $error,
					),
				),
				'expiresAt' => '2026-11-23T12:49:56Z',
				'endpoint'  => $endpoint,
			),
			3
		);
		$this->assertIsArray( $page );
		$this->assertSame( array( 0, 1, 2 ), array_keys( $page['urls'] ) );
		$this->assertSame( 'https://b.s3.amazonaws.com/a?X-Amz-Signature=1', $page['urls'][0] );
		$this->assertSame( 'https://b.s3.amazonaws.com/c?X-Amz-Signature=3', $page['urls'][2] );
		$this->assertInstanceOf( \WP_Error::class, $page['urls'][1] );
		$this->assertSame( $error, Errors::field( $page['urls'][1], 'raw' ) );
		$this->assertSame( 'never', Errors::field( $page['urls'][1], 'retry' ) );
		$this->assertSame( $endpoint, $page['endpoint'] );
		$this->assertSame( '2026-11-23T12:49:56Z', $page['expiresAt'] );
	}

	/**
	 * Too few or too many URLs, a missing URL without an error, or no endpoint: the page fails.
	 */
	public function test_answers_that_do_not_fit_are_refused(): void {
		$ok = array(
			'urls'     => array( 'u1', 'u2' ),
			'errors'   => array(),
			'endpoint' => array( 'host' => 'h' ),
		);
		$this->assertIsArray( LinkPage::from_answer( $ok, 2 ) );
		foreach ( array(
			'short'        => array( array( 'urls' => array( 'u1' ) ) + $ok, 2 ),
			'long'         => array( $ok, 1 ),
			'not a list'   => array( array( 'urls' => array( 1 => 'u1', 2 => 'u2' ) ) + $ok, 2 ),
			'null, no why' => array( array( 'urls' => array( 'u1', null ) ) + $ok, 2 ),
			'empty url'    => array( array( 'urls' => array( 'u1', '' ) ) + $ok, 2 ),
			'no endpoint'  => array( array( 'endpoint' => null ) + $ok, 2 ),
			'no urls'      => array( array( 'value' => null ), 0 ),
		) as $name => list( $answer, $count ) ) {
			$page = LinkPage::from_answer( $answer, $count );
			$this->assertInstanceOf( \WP_Error::class, $page, $name );
			$this->assertSame( 'PRESIGN_FAILED', Errors::field( $page, 'code' ), $name );
		}
	}
}
