<?php
/**
 * Who owns a loopback TCP port, read from /proc/net/tcp and /proc/net/tcp6.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Refuses a sidecar port that another user's process holds, with a clear message, before connecting: nothing
 * is sent to 127.0.0.1:<port> unless every listener a connection can reach belongs to the user PHP runs as.
 * Without /proc/net/tcp the port is refused unless WPS3_SIDECAR_TRUST_PORT is true. The check and the connect
 * are separate steps, so it is not what keeps the credentials safe from a process that takes the port in
 * between: TcpChannel sends nothing before the listener proved it holds the token on that very connection.
 */
final class TcpGuard {

	/**
	 * State column of a listening socket in /proc/net/tcp.
	 */
	private const LISTEN = '0A';

	/**
	 * How /proc/net/tcp and /proc/net/tcp6 print the addresses a connection to 127.0.0.1 can reach: 127.0.0.1
	 * and 0.0.0.0, and over IPv6 ::ffff:127.0.0.1, ::ffff:0.0.0.0 and :: (dual-stack). Each 32-bit word is
	 * printed as a hex number in host byte order.
	 *
	 * @return string[] Upper-case hex.
	 */
	private static function loopback_addresses(): array {
		$out = array();
		foreach ( array( '127.0.0.1', '0.0.0.0', '::ffff:127.0.0.1', '::ffff:0.0.0.0', '::' ) as $ip ) {
			$hex = '';
			foreach ( str_split( (string) inet_pton( $ip ), 4 ) as $word ) {
				$hex .= sprintf( '%08X', unpack( 'L', $word )[1] );
			}
			$out[] = $hex;
		}
		return $out;
	}

	/**
	 * Uids of the sockets in the text of /proc/net/tcp (or tcp6) that listen on $port where a connection to
	 * 127.0.0.1:$port can land.
	 *
	 * @param string $text Contents of /proc/net/tcp or /proc/net/tcp6.
	 * @param int    $port Port.
	 * @return int[]
	 */
	public static function listener_uids( string $text, int $port ): array {
		$port_hex = sprintf( '%04X', $port );
		$accept   = self::loopback_addresses();
		$uids     = array();
		foreach ( (array) preg_split( '/\R/', $text ) as $line ) {
			// Columns: sl, local_address, rem_address, st, tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, ….
			$cols = (array) preg_split( '/\s+/', trim( (string) $line ) );
			if ( count( $cols ) < 8 || ! str_contains( (string) $cols[1], ':' ) ) {
				continue;
			}
			list( $address, $local_port ) = explode( ':', (string) $cols[1], 2 );
			if ( self::LISTEN !== strtoupper( (string) $cols[3] ) || strtoupper( $local_port ) !== $port_hex || ! in_array( strtoupper( $address ), $accept, true ) ) {
				continue;
			}
			$uids[] = (int) $cols[7];
		}
		return $uids;
	}

	/**
	 * Uids of the listeners a connection to 127.0.0.1:$port can reach, or null when /proc/net/tcp is unreadable.
	 *
	 * @param int $port Port.
	 * @return int[]|null
	 */
	public static function port_listener_uids( int $port ): ?array {
		$tcp = @file_get_contents( '/proc/net/tcp' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $tcp || '' === $tcp ) {
			return null;
		}
		$tcp6 = @file_get_contents( '/proc/net/tcp6' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- absent without IPv6.
		return array_merge( self::listener_uids( $tcp, $port ), false === $tcp6 ? array() : self::listener_uids( $tcp6, $port ) );
	}

	/**
	 * The first listener uid that is not $me, or null when every listener is ours.
	 *
	 * @param int[] $uids Listener uids.
	 * @param int   $me   Effective uid of PHP.
	 * @return int|null
	 */
	public static function foreign_uid( array $uids, int $me ): ?int {
		foreach ( $uids as $uid ) {
			if ( $me !== (int) $uid ) {
				return (int) $uid;
			}
		}
		return null;
	}

	/**
	 * Whether something listens on the port (true when it cannot be known: no /proc).
	 *
	 * @param int $port Port.
	 * @return bool
	 */
	public static function is_listening( int $port ): bool {
		$uids = self::port_listener_uids( $port );
		return null === $uids || array() !== $uids;
	}

	/**
	 * Checks that what listens on 127.0.0.1:$port belongs to the user PHP runs as.
	 *
	 * @param int $port Port.
	 * @return true|\WP_Error True, a "not connected" error (nothing listens: the sidecar may be started),
	 *                        or a refusal.
	 */
	public static function check_owner( int $port ): bool|\WP_Error {
		if ( defined( 'WPS3_SIDECAR_TRUST_PORT' ) && true === WPS3_SIDECAR_TRUST_PORT ) {
			return true;
		}
		$uids = self::port_listener_uids( $port );
		if ( null === $uids ) {
			return Failure::refused(
				__( 'The owner of the sidecar port cannot be checked (/proc/net/tcp is not readable), so nothing is sent to it.', 'wps3' ),
				__( 'Use the unix socket (remove WPS3_SIDECAR_URL), or, if only trusted users can run processes on this host, define WPS3_SIDECAR_TRUST_PORT as true in wp-config.php.', 'wps3' )
			);
		}
		if ( array() === $uids ) {
			return Failure::unavailable( __( 'Nothing listens on the sidecar port.', 'wps3' ), true );
		}
		$foreign = self::foreign_uid( $uids, (int) ( function_exists( 'posix_geteuid' ) ? posix_geteuid() : getmyuid() ) );
		if ( null !== $foreign ) {
			return Failure::refused(
				/* translators: 1: port, 2: user id */
				sprintf( __( 'Port %1$d on 127.0.0.1 is held by another user (uid %2$d), not by the sidecar of this site; nothing was sent to it.', 'wps3' ), $port, $foreign ),
				__( 'Stop that process, or choose a free port in WPS3_SIDECAR_URL.', 'wps3' )
			);
		}
		return true;
	}
}
