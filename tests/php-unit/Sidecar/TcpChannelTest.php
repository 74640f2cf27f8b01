<?php
/**
 * WPS3\Sidecar\TcpChannel: PHP's end of the TCP proof messages.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Sidecar;

use WPS3\Sidecar\TcpChannel;
use WPS3\Tests\Unit\TestCase;

/**
 * The test vector of docs/CONTRACTS.md ("TCP fallback"), which src/tcp_proof.rs checks too: the two
 * languages build the same messages without a sidecar between them.
 */
final class TcpChannelTest extends TestCase {

	private const TOKEN = 'wps3-test-vector-token';

	/**
	 * The hello and request messages and their HMACs match the documented values.
	 */
	public function test_contract_test_vector(): void {
		$client = str_repeat( '0123456789abcdef', 4 );
		$server = str_repeat( 'fedcba9876543210', 4 );
		$hello  = TcpChannel::hello_message( $client, $server, "127.0.0.1:54321\n127.0.0.1:7781" );
		$this->assertSame( "wps3-tcp-hello-v1\n{$client}\n{$server}\n127.0.0.1:54321\n127.0.0.1:7781", $hello );
		$this->assertSame( '3177d14dc962c453ffa8928b2dec0c270321413a69f92801582df4664901e790', hash_hmac( 'sha256', $hello, self::TOKEN ) );
		$body = hash( 'sha256', '{"title":"Safe"}' );
		$this->assertSame( 'ca4989e169e8b8b35e714675cfc1bb98e268d74bac43dc6a64697f2b1c75fbb2', $body );
		$request = TcpChannel::request_message( $client, $server, 1, 'POST', '/v1/op/render-key', $body );
		$this->assertSame( 'afba61f40ae3dc9a9c9d20ab484cce36319983a1305c2b2d47f386766b1fe8f8', hash_hmac( 'sha256', $request, self::TOKEN ) );
	}
}
