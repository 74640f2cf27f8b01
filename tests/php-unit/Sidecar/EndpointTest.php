<?php
/**
 * WPS3\Sidecar\Endpoint: which WPS3_SIDECAR_URL values are accepted.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Sidecar;

use WPS3\Sidecar\Endpoint;
use WPS3\Tests\Unit\TestCase;

/**
 * Only a loopback http URL with a port, and the sidecar is always reached on 127.0.0.1.
 */
final class EndpointTest extends TestCase {

	/**
	 * Accepted spellings and what they become.
	 */
	public function test_loopback_urls(): void {
		$expected = array(
			'base' => 'http://127.0.0.1:7781',
			'host' => '127.0.0.1',
			'port' => 7781,
		);
		foreach ( array( 'http://127.0.0.1:7781', 'http://localhost:7781', 'HTTP://LocalHost:7781/', 'http://127.0.0.1:7781/ignored/path' ) as $url ) {
			$this->assertSame( $expected, Endpoint::parse_tcp_url( $url ), $url );
		}
	}

	/**
	 * URLs that would send the token elsewhere, or are ambiguous.
	 *
	 * @return array<string, array{0: string}>
	 */
	public function refused_urls(): array {
		return array(
			'no port'         => array( 'http://127.0.0.1' ),
			'https'           => array( 'https://127.0.0.1:7781' ),
			'other host'      => array( 'http://192.0.2.10:7781' ),
			'lookalike host'  => array( 'http://127.0.0.1.example.com:7781' ),
			'IPv6 loopback'   => array( 'http://[::1]:7781' ),
			'credentials'     => array( 'http://user:pw@127.0.0.1:7781' ),
			'query'           => array( 'http://127.0.0.1:7781/?x=1' ),
			'no scheme'       => array( '127.0.0.1:7781' ),
			'not a URL'       => array( 'http://:7781' ),
			'unix socket URL' => array( 'unix:///run/wps3/s.sock' ),
		);
	}

	/**
	 * Each is refused.
	 *
	 * @dataProvider refused_urls
	 *
	 * @param string $url URL.
	 */
	public function test_refused( string $url ): void {
		$this->assertNull( Endpoint::parse_tcp_url( $url ) );
	}
}
