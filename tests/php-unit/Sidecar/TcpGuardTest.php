<?php
/**
 * WPS3\Sidecar\TcpGuard: which listeners in /proc/net/tcp{,6} a connection to 127.0.0.1:<port> reaches.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Sidecar;

use WPS3\Sidecar\TcpGuard;
use WPS3\Tests\Unit\TestCase;

/**
 * The /proc/net/tcp parser and the owner verdict, on hand-written kernel tables.
 */
final class TcpGuardTest extends TestCase {

	/**
	 * One /proc/net/tcp line.
	 *
	 * @param string $local Local address:port, kernel hex.
	 * @param string $state State column (0A = listen).
	 * @param int    $uid   Owner.
	 * @return string
	 */
	private static function line( string $local, string $state, int $uid ): string {
		return sprintf( "   0: %s 00000000:0000 %s 00000000:00000000 00:00000000 00000000 %5d        0 99 1 0000000000000000 100 0 0 10 0\n", $local, $state, $uid );
	}

	/**
	 * Port 8080 is 1F90; 127.0.0.1 prints as 0100007F on a little-endian host.
	 */
	public function test_only_listening_loopback_sockets_on_the_port_count(): void {
		$table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
			. self::line( '0100007F:1F90', '0A', 501 )   // 127.0.0.1:8080, listening.
			. self::line( '0100007F:1F90', '06', 502 )   // Same address, TIME_WAIT: not a listener.
			. self::line( '0100007F:1F91', '0A', 503 )   // Another port.
			. self::line( '0101A8C0:1F90', '0A', 504 )   // 192.168.1.1: a loopback connection cannot land there.
			. self::line( '00000000:1F90', '0A', 505 );  // 0.0.0.0 accepts loopback connections.
		$this->assertSame( array( 501, 505 ), TcpGuard::listener_uids( $table, 8080 ) );
		$this->assertSame( array( 503 ), TcpGuard::listener_uids( $table, 8081 ) );
		$this->assertSame( array(), TcpGuard::listener_uids( $table, 80 ) );
	}

	/**
	 * IPv6: `::` (dual stack) and the v4-mapped loopback count; `::1` does not (127.0.0.1 never reaches it).
	 */
	public function test_ipv6_listeners_reachable_from_127_0_0_1(): void {
		$table = self::line( '00000000000000000000000000000000:1F90', '0A', 601 )
			. self::line( '00000000000000000000000001000000:1F90', '0A', 602 )
			. self::line( '0000000000000000FFFF00000100007F:1F90', '0A', 603 )
			. self::line( '0000000000000000FFFF000000000000:1F90', '0A', 604 );
		$this->assertSame( array( 601, 603, 604 ), TcpGuard::listener_uids( $table, 8080 ) );
	}

	/**
	 * Lower-case hex (as some kernels print it) and odd spacing parse the same; junk lines are skipped.
	 */
	public function test_case_and_malformed_lines(): void {
		$table = "garbage\n\n  7: 0100007f:1f90 00000000:0000 0a 0 0 0 700\n  8: nocolon 0 0A 0 0 0 800\n";
		$this->assertSame( array( 700 ), TcpGuard::listener_uids( $table, 8080 ) );
		$this->assertSame( array(), TcpGuard::listener_uids( '', 8080 ) );
	}

	/**
	 * The first uid that is not PHP's is reported; none when every listener is ours.
	 */
	public function test_foreign_uid(): void {
		$this->assertNull( TcpGuard::foreign_uid( array(), 33 ) );
		$this->assertNull( TcpGuard::foreign_uid( array( 33, 33 ), 33 ) );
		$this->assertSame( 0, TcpGuard::foreign_uid( array( 33, 0, 65534 ), 33 ) );
	}
}
