<?php
/**
 * Where the sidecar is reached: the unix socket, or the loopback TCP fallback whose token both sides prove.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Reads the configuration (WPS3_SIDECAR_SOCKET, WPS3_SIDECAR_URL, WPS3_SIDECAR_TOKEN_FILE) and gives the
 * curl options of one request over the unix socket, or the TcpChannel of the TCP fallback. Nothing (sealed
 * secret, key material) is sent over TCP before the listener proved it holds the token (TcpChannel); the
 * token itself is never sent.
 */
final class Endpoint {

	/**
	 * Longest unix socket path the kernel accepts, with a margin (sun_path is 108 bytes).
	 */
	private const MAX_SOCKET_PATH = 100;

	/**
	 * Creates the endpoint of a runtime directory.
	 *
	 * @param RuntimeDir $runtime Runtime directory.
	 */
	public function __construct( private readonly RuntimeDir $runtime ) {
	}

	/**
	 * Whether the sidecar is reached over TCP (WPS3_SIDECAR_URL) instead of a unix socket.
	 *
	 * @return bool
	 */
	public function uses_tcp(): bool {
		return defined( 'WPS3_SIDECAR_URL' ) && '' !== (string) WPS3_SIDECAR_URL;
	}

	/**
	 * A loopback http URL with a port as `array{base, host, port}`, or null for anything else (another
	 * host, https, credentials, a query).
	 *
	 * @param string $url URL.
	 * @return array{base:string,host:string,port:int}|null
	 */
	public static function parse_tcp_url( string $url ): ?array {
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) ) {
			return null;
		}
		$host = strtolower( trim( (string) ( $parts['host'] ?? '' ), '[]' ) );
		if ( 'http' !== strtolower( (string) ( $parts['scheme'] ?? '' ) ) || empty( $parts['port'] )
			|| ! in_array( $host, array( '127.0.0.1', 'localhost' ), true ) || isset( $parts['user'] ) || isset( $parts['query'] ) ) {
			return null;
		}
		// The sidecar listens on 127.0.0.1 only.
		return array(
			'base' => 'http://127.0.0.1:' . (int) $parts['port'],
			'host' => '127.0.0.1',
			'port' => (int) $parts['port'],
		);
	}

	/**
	 * Parsed WPS3_SIDECAR_URL, or an error when it is not a loopback http URL with a port.
	 *
	 * @return array{base:string,host:string,port:int}|\WP_Error
	 */
	public function tcp_target(): array|\WP_Error {
		$url    = (string) WPS3_SIDECAR_URL;
		$target = self::parse_tcp_url( $url );
		if ( null !== $target ) {
			return $target;
		}
		return Failure::make(
			'SIDECAR_UNAVAILABLE',
			/* translators: %s: URL */
			sprintf( __( 'WPS3_SIDECAR_URL must be a loopback URL with a port, such as http://127.0.0.1:7781 (it is %s).', 'wps3' ), $url ),
			array( 'fix' => __( 'Set WPS3_SIDECAR_URL in wp-config.php to http://127.0.0.1:<port>, or remove it to use the unix socket.', 'wps3' ) ),
			Failure::BACKOFF
		);
	}

	/**
	 * Where the sidecar is reached, for messages and cache keys.
	 *
	 * @return string
	 */
	public function address(): string {
		return $this->uses_tcp() ? (string) WPS3_SIDECAR_URL : $this->runtime->socket_path();
	}

	/**
	 * Whether the sidecar's listening endpoint exists: the socket file, or (TCP) a listener on the port.
	 * A sidecar process alive without it is draining after SIGTERM.
	 *
	 * @return bool
	 */
	public function exists(): bool {
		if ( ! $this->uses_tcp() ) {
			clearstatcache( true, $this->runtime->socket_path() );
			return file_exists( $this->runtime->socket_path() );
		}
		$target = $this->tcp_target();
		return is_wp_error( $target ) || TcpGuard::is_listening( $target['port'] ); // Unknown: assume it exists.
	}

	/**
	 * Whether a health request is worth sending while a sidecar starts (the socket file appeared, or TCP).
	 *
	 * @return bool
	 */
	public function may_answer(): bool {
		return $this->uses_tcp() || file_exists( $this->runtime->socket_path() );
	}

	/**
	 * Token of the TCP fallback: '' when the file does not exist yet (the sidecar creates it when it
	 * starts), an error when it exists but PHP cannot read it (starting a sidecar cannot fix that: one that
	 * reads it may already listen on the port).
	 *
	 * @return string|\WP_Error
	 */
	public function token(): string|\WP_Error {
		$file = $this->runtime->token_file();
		clearstatcache( true, $file );
		if ( ! file_exists( $file ) && ! is_link( $file ) ) {
			return '';
		}
		$raw = ( is_file( $file ) && is_readable( $file ) ) ? @file_get_contents( $file ) : false; // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
		if ( false === $raw ) {
			return Failure::refused(
				/* translators: %s: path */
				sprintf( __( 'The sidecar token file %s exists but this PHP process cannot read it.', 'wps3' ), $file ),
				/* translators: %s: path */
				sprintf( __( 'Make %s a regular file readable by the web server user (owned by it, mode 0600), or point WPS3_SIDECAR_TOKEN_FILE at the token file of the sidecar on WPS3_SIDECAR_URL.', 'wps3' ), $file )
			);
		}
		return trim( $raw );
	}

	/**
	 * Curl options and extra headers that send a request for $path to the sidecar's unix socket (the TCP
	 * fallback goes through tcp_channel()).
	 *
	 * @param string $path Request path, e.g. `/v1/health`.
	 * @return array{options:array<int,mixed>,headers:string[]}|\WP_Error
	 */
	public function transport( string $path ): array|\WP_Error {
		$socket = $this->runtime->socket_path();
		if ( strlen( $socket ) > self::MAX_SOCKET_PATH ) {
			return Failure::setup(
				/* translators: %s: socket path */
				sprintf( __( 'The sidecar socket path is too long for a unix socket: %s', 'wps3' ), $socket ),
				__( 'Define a shorter WPS3_SIDECAR_SOCKET in wp-config.php, e.g. /run/wps3/sidecar.sock.', 'wps3' )
			);
		}
		if ( ! file_exists( $socket ) ) {
			return Failure::unavailable( __( 'The sidecar socket does not exist.', 'wps3' ), true );
		}
		return array(
			'options' => array(
				CURLOPT_UNIX_SOCKET_PATH => $socket,
				CURLOPT_URL              => 'http://localhost' . $path,
			),
			'headers' => array(),
		);
	}

	/**
	 * The channel of the TCP fallback: the token is read and the port's owner checked first (TcpGuard gives the
	 * clearer error for a port of another user; the channel's proof is what keeps the token and the request from
	 * a listener that took the port after that check). $current is kept when it is for the same port and token.
	 *
	 * @param TcpChannel|null $current The channel in use, if any.
	 * @return TcpChannel|\WP_Error
	 */
	public function tcp_channel( ?TcpChannel $current = null ): TcpChannel|\WP_Error {
		$target = $this->tcp_target();
		if ( is_wp_error( $target ) ) {
			return $target;
		}
		$token = $this->token();
		if ( is_wp_error( $token ) ) {
			return $token;
		}
		$owned = TcpGuard::check_owner( $target['port'] );
		if ( is_wp_error( $owned ) ) {
			return $owned;
		}
		if ( '' === $token ) {
			return Failure::unavailable( __( 'The sidecar token file does not exist yet.', 'wps3' ), true );
		}
		if ( null !== $current && $current->is_for( $target['port'], $token ) ) {
			return $current;
		}
		$current?->close();
		return new TcpChannel( $target['port'], $token );
	}
}
