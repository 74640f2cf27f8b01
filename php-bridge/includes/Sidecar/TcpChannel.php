<?php
/**
 * One connection to the sidecar's TCP fallback: the sidecar proves the token first, then requests follow.
 * About 400 lines: the handshake and the small HTTP/1.1 reader it needs (one connection, bounded reads) belong
 * together.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * HTTP/1.1 over a PHP stream socket (docs/CONTRACTS.md, "TCP fallback"; issue 10, hole 6).
 *
 * Another local user may hold 127.0.0.1:<port> (TcpGuard's owner check and the connect are separate steps),
 * so nothing secret is written before the listener proved, on this very connection, that it holds the token:
 * PHP sends a fresh nonce (`GET /v1/hello`), the sidecar answers its own nonce and the HMAC of both nonces and
 * both ends of the connection. Then each request carries PHP's HMAC of the nonces, its sequence number, method,
 * path and body hash. The token itself is never written. Not curl: curl cannot promise that a request travels
 * on the connection the proof came over.
 *
 * The sidecar's HMACs are the core's (src/tcp_proof.rs); the two here (hash_hmac, hash_equals) are PHP's end of
 * that rule, WordPress-side wiring in the one place that cannot call the core before trusting the sidecar.
 */
final class TcpChannel {

	/**
	 * Seconds to wait for the connection and for the answer to the hello.
	 */
	private const HANDSHAKE_TIMEOUT = 5.0;

	/**
	 * Longest response head accepted.
	 */
	private const MAX_HEAD = 65536;

	/**
	 * Longest hello answer body accepted (a real one is under 200 bytes): whoever answers it has not
	 * proved anything yet, and must not make PHP buffer up to memory_limit (a fatal).
	 */
	private const MAX_HELLO_BODY = 4096;

	/**
	 * Longest answer body accepted from a proved sidecar (presign pages and batches are well under 1 MiB).
	 */
	private const MAX_BODY = 16777216;

	/**
	 * The connection, null before connecting and after it broke or was closed.
	 *
	 * @var resource|null
	 */
	private $stream = null;

	/**
	 * PHP's nonce of this connection's hello.
	 *
	 * @var string
	 */
	private string $client_nonce = '';

	/**
	 * The sidecar's nonce of this connection's hello.
	 *
	 * @var string
	 */
	private string $server_nonce = '';

	/**
	 * Number of the last request sent on this connection.
	 *
	 * @var int
	 */
	private int $seq = 0;

	/**
	 * A channel to 127.0.0.1:$port whose sidecar must prove $token.
	 *
	 * @param int    $port  Port.
	 * @param string $token The token (kept here, never written to the socket).
	 */
	public function __construct( private readonly int $port, #[\SensitiveParameter] private readonly string $token ) {
	}

	/**
	 * Whether this channel talks to $port with $token.
	 *
	 * @param int    $port  Port.
	 * @param string $token Token.
	 * @return bool
	 */
	public function is_for( int $port, #[\SensitiveParameter] string $token ): bool {
		return $port === $this->port && hash_equals( $this->token, $token );
	}

	/**
	 * Closes the connection (the sidecar cancels a request still running on it).
	 *
	 * @return void
	 */
	public function close(): void {
		if ( null !== $this->stream ) {
			fclose( $this->stream ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
		$this->stream = null;
	}

	/**
	 * One request: on the open connection when it is still alive and $fresh is false, else on a new one that is
	 * proved first. A reused connection that the sidecar had closed (idle) before answering anything is
	 * replaced once, as curl does; $fresh requests are never resent, except once after the sidecar's 401
	 * `no_session` (it refused the request unread: no proof on that connection).
	 *
	 * @param string      $method  GET or POST.
	 * @param string      $path    Path.
	 * @param string|null $body    JSON body.
	 * @param int         $timeout  Seconds for the whole exchange (0 = none).
	 * @param Watchdog    $watchdog Its callback runs about once a second while waiting (Client::call()'s
	 *                              `progress` and `stall_check`); its failure() is the error of an abort.
	 * @param bool        $fresh    Open a new connection even when one is open.
	 * @return array{0:int,1:array<string,mixed>|null}|\WP_Error Status and decoded JSON.
	 */
	public function exchange( string $method, string $path, ?string $body, int $timeout, Watchdog $watchdog, bool $fresh ): array|\WP_Error {
		$tick     = $watchdog->callback();
		$deadline = $timeout > 0 ? microtime( true ) + $timeout : INF;
		$reused   = ! $fresh && $this->alive();
		if ( ! $reused ) {
			$opened = $this->open( $deadline );
			if ( true !== $opened ) {
				return $opened;
			}
		}
		$answer = $this->send( $method, $path, (string) $body, $deadline, $tick );
		// A sidecar with no proof for this connection (it restarted behind it, say) refused the request
		// before reading its body: a newly proved connection gets it once, $fresh or not.
		$no_session = is_wp_error( $answer ) && Failure::field( $answer, 'no_session', false );
		if ( $no_session || ( $reused && is_wp_error( $answer ) && Failure::field( $answer, 'unanswered', false ) ) ) {
			$opened = $this->open( $deadline );
			if ( true !== $opened ) {
				return $opened;
			}
			$answer = $this->send( $method, $path, (string) $body, $deadline, $tick );
		}
		return is_wp_error( $answer ) && null !== $watchdog->aborted() ? $watchdog->failure( 0, '' ) : $answer;
	}

	/**
	 * Whether the open connection can take another request (the sidecar has not closed it).
	 *
	 * @return bool
	 */
	private function alive(): bool {
		if ( null === $this->stream ) {
			return false;
		}
		$read  = array( $this->stream );
		$write = null;
		$error = null;
		// Readable while idle means closed (or garbage): either way not reusable.
		if ( 0 !== stream_select( $read, $write, $error, 0 ) || feof( $this->stream ) ) {
			$this->close();
			return false;
		}
		return true;
	}

	/**
	 * The message the sidecar's hello proof covers (src/tcp_proof.rs, hello_message; docs/CONTRACTS.md has a
	 * test vector both sides check).
	 *
	 * @param string $client_nonce PHP's nonce.
	 * @param string $server_nonce The sidecar's nonce.
	 * @param string $ends         "<client end>\n<server end>", each `address:port`.
	 * @return string
	 */
	public static function hello_message( string $client_nonce, string $server_nonce, string $ends ): string {
		return "wps3-tcp-hello-v1\n{$client_nonce}\n{$server_nonce}\n{$ends}";
	}

	/**
	 * The message PHP's proof of one request covers (src/tcp_proof.rs, request_message).
	 *
	 * @param string $client_nonce PHP's nonce of the connection's hello.
	 * @param string $server_nonce The sidecar's nonce of that hello.
	 * @param int    $seq          1 for the first request after the hello, then 2, 3 and so on.
	 * @param string $method       Method.
	 * @param string $path         Request target.
	 * @param string $body_sha256  Lower-case hex SHA-256 of the body.
	 * @return string
	 */
	public static function request_message( string $client_nonce, string $server_nonce, int $seq, string $method, string $path, string $body_sha256 ): string {
		return "wps3-tcp-request-v1\n{$client_nonce}\n{$server_nonce}\n{$seq}\n{$method}\n{$path}\n{$body_sha256}";
	}

	/**
	 * Connects and has the sidecar prove the token for this connection (the message: src/tcp_proof.rs,
	 * hello_message; the request's: request_message).
	 *
	 * @param float $deadline Absolute time limit.
	 * @return true|array{0:int,1:array<string,mixed>|null}|\WP_Error True once proved; the sidecar's answer
	 *                                                                  when it refused the hello itself.
	 */
	private function open( float $deadline ): bool|array|\WP_Error {
		$this->close();
		$errno  = 0;
		$errstr = '';
		$stream = @stream_socket_client( 'tcp://127.0.0.1:' . $this->port, $errno, $errstr, min( self::HANDSHAKE_TIMEOUT, max( 0.1, $deadline - microtime( true ) ) ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors -- the error is returned.
		if ( false === $stream ) {
			return Failure::unavailable(
				/* translators: 1: port, 2: system error text */
				sprintf( __( 'Nothing accepts connections on 127.0.0.1:%1$d (%2$s).', 'wps3' ), $this->port, $errstr ),
				true
			);
		}
		stream_set_blocking( $stream, false );
		$this->stream       = $stream;
		$this->seq          = 0;
		$this->client_nonce = bin2hex( random_bytes( 32 ) );
		$this->server_nonce = '';
		// Both ends as PHP sees them, read now: an answer delimited by a close leaves no stream to ask.
		$ends  = stream_socket_get_name( $stream, false ) . "\n" . stream_socket_get_name( $stream, true );
		$hello = $this->roundtrip( "GET /v1/hello HTTP/1.1\r\nHost: 127.0.0.1:{$this->port}\r\nAccept: application/json\r\nX-WPS3-Nonce: {$this->client_nonce}\r\n\r\n", min( $deadline, microtime( true ) + self::HANDSHAKE_TIMEOUT ), static fn (): int => 0, self::MAX_HELLO_BODY );
		if ( is_wp_error( $hello ) ) {
			return $hello; // Hung, closed, garbled: the round trip's own error (a hung sidecar gets replaced).
		}
		if ( 200 !== $hello[0] ) {
			// Not a proof, nor a claim to be one: nothing but the nonce was sent. The sidecar's own error
			// (draining, core not loaded) is the answer; a 401 is a sidecar from before the proof (it wanted
			// the token itself), which the supervisor may replace like any other that does not answer.
			$this->close();
			$code = $hello[1]['error']['code'] ?? null;
			if ( 401 !== $hello[0] && 'UNAUTHORIZED' !== $code ) {
				return $hello;
			}
			return Failure::unavailable(
				/* translators: %d: port */
				sprintf( __( 'The process on 127.0.0.1:%d refused the proof handshake (HTTP 401): it may be a sidecar of an older plugin version.', 'wps3' ), $this->port ),
				false
			);
		}
		$result = is_array( $hello[1]['result'] ?? null ) ? $hello[1]['result'] : array();
		$nonce  = is_string( $result['nonce'] ?? null ) ? $result['nonce'] : '';
		$proof  = is_string( $result['proof'] ?? null ) ? $result['proof'] : '';
		if ( null !== $this->stream && 1 === preg_match( '/^[0-9a-f]{64}$/D', $nonce ) && hash_equals( hash_hmac( 'sha256', self::hello_message( $this->client_nonce, $nonce, $ends ), $this->token ), $proof ) ) {
			$this->server_nonce = $nonce;
			return true;
		}
		// A 200 hello that does not prove the token (or is no hello answer at all): whoever listens there
		// claims to be the sidecar and is not this site's.
		$this->close();
		return Failure::make(
			'UNAUTHORIZED',
			/* translators: %d: port */
			sprintf( __( 'The sidecar could not prove itself: the process on 127.0.0.1:%d did not answer with the proof of the sidecar token, so nothing was sent to it.', 'wps3' ), $this->port ),
			array( 'fix' => __( 'Another program may hold the port, or WPS3_SIDECAR_TOKEN_FILE is not the token file of the sidecar on WPS3_SIDECAR_URL. Stop that program or choose a free port in WPS3_SIDECAR_URL, and check the token file.', 'wps3' ) ),
			Failure::BACKOFF
		);
	}

	/**
	 * Sends one proved request on the open connection and reads its answer.
	 *
	 * @param string   $method   Method.
	 * @param string   $path     Path.
	 * @param string   $body     Body ('' for none).
	 * @param float    $deadline Absolute time limit.
	 * @param \Closure $tick     Watchdog callback: returning 1 aborts.
	 * @return array{0:int,1:array<string,mixed>|null}|\WP_Error
	 */
	private function send( string $method, string $path, string $body, float $deadline, \Closure $tick ): array|\WP_Error {
		++$this->seq;
		$hash   = hash( 'sha256', $body );
		$proof  = hash_hmac( 'sha256', self::request_message( $this->client_nonce, $this->server_nonce, $this->seq, $method, $path, $hash ), $this->token );
		$head   = "{$method} {$path} HTTP/1.1\r\nHost: 127.0.0.1:{$this->port}\r\nAccept: application/json\r\n"
			. ( 'POST' === $method ? "Content-Type: application/json\r\nContent-Length: " . strlen( $body ) . "\r\n" : '' )
			. "X-WPS3-Body-SHA256: {$hash}\r\nX-WPS3-Proof: {$proof}\r\n\r\n";
		$answer = $this->roundtrip( $head . ( 'POST' === $method ? $body : '' ), $deadline, $tick, self::MAX_BODY );
		if ( is_array( $answer ) && 401 === $answer[0] ) {
			$this->close(); // The sidecar closes it too: its session ended.
			return Failure::make(
				'UNAUTHORIZED',
				__( 'The sidecar refused this site\'s proof of the sidecar token.', 'wps3' ),
				array(
					'fix'        => __( 'WPS3_SIDECAR_TOKEN_FILE must be the token file the sidecar on WPS3_SIDECAR_URL was started with.', 'wps3' ),
					'no_session' => 'no_session' === ( $answer[1]['error']['reason'] ?? null ),
				),
				Failure::BACKOFF
			);
		}
		return $answer;
	}

	/**
	 * Writes $request and reads one answer (Content-Length, or up to the close) of at most $max_body bytes.
	 *
	 * @param string   $request  Bytes to write.
	 * @param float    $deadline Absolute time limit.
	 * @param \Closure $tick     Watchdog callback: returning 1 aborts.
	 * @param int      $max_body Longest body read; a longer one (declared or sent) is an error, not read on.
	 * @return array{0:int,1:array<string,mixed>|null}|\WP_Error Errors: ABORTED (tick), SIDECAR_BAD_RESPONSE (too
	 *                                                          large), or carrying `unanswered` (closed before any byte).
	 */
	private function roundtrip( string $request, float $deadline, \Closure $tick, int $max_body ): array|\WP_Error {
		$stream = $this->stream;
		$buffer = '';
		$length = null;
		$start  = 0;
		$status = 0;
		$close  = false;
		$next   = microtime( true ) + 1.0; // The watchdog runs about once a second, as curl's progress callback.
		while ( true ) {
			$wait = min( 1.0, $deadline - microtime( true ) );
			if ( $wait <= 0 ) {
				return $this->broken( __( 'The sidecar did not answer in time.', 'wps3' ) );
			}
			$read  = array( $stream );
			$write = '' === $request ? null : array( $stream );
			$error = null;
			$ready = @stream_select( $read, $write, $error, (int) $wait, (int) ( ( $wait - (int) $wait ) * 1e6 ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors -- EINTR.
			if ( microtime( true ) >= $next ) {
				$next = microtime( true ) + 1.0;
				if ( 0 !== ( $tick )() ) {
					$this->close();
					return Failure::make( 'ABORTED', 'aborted' );
				}
			}
			if ( ! $ready ) {
				continue;
			}
			if ( '' !== $request && array() !== (array) $write ) {
				$sent = @fwrite( $stream, $request ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
				if ( false === $sent ) {
					return $this->broken( __( 'The connection to the sidecar broke while sending.', 'wps3' ), '' === $buffer );
				}
				$request = (string) substr( $request, $sent );
			}
			if ( array() === (array) $read ) {
				continue;
			}
			$chunk = fread( $stream, 65536 ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			if ( false === $chunk || ( '' === $chunk && feof( $stream ) ) ) {
				if ( null === $length && $close && $start > 0 ) {
					break; // Answer delimited by the close.
				}
				return $this->broken( __( 'The sidecar closed the connection before answering.', 'wps3' ), '' === $buffer );
			}
			$buffer .= $chunk;
			if ( 0 === $start ) {
				$end = strpos( $buffer, "\r\n\r\n" );
				if ( false === $end ) {
					if ( strlen( $buffer ) > self::MAX_HEAD ) {
						return $this->broken( __( 'The sidecar sent an invalid answer.', 'wps3' ) );
					}
					continue;
				}
				$start = $end + 4;
				if ( 1 !== preg_match( '#^HTTP/1\.[01] (\d{3})#', $buffer, $m ) ) {
					return $this->broken( __( 'The sidecar sent an invalid answer.', 'wps3' ) );
				}
				$status = (int) $m[1];
				$head   = substr( $buffer, 0, $end );
				$length = 1 === preg_match( '/^content-length:\s*(\d+)\s*$/mi', $head, $m ) ? (int) $m[1] : null;
				$close  = 1 === preg_match( '/^connection:\s*close\s*$/mi', $head );
			}
			if ( ( $length ?? 0 ) > $max_body || strlen( $buffer ) - $start > $max_body ) {
				$this->close();
				return Failure::make(
					'SIDECAR_BAD_RESPONSE',
					/* translators: %d: bytes */
					sprintf( __( 'The answer on the sidecar\'s port is larger than %d bytes; it was not read.', 'wps3' ), $max_body ),
					array( 'fix' => __( 'Check that the process on WPS3_SIDECAR_URL is this plugin\'s sidecar; see the sidecar log.', 'wps3' ) ),
					Failure::BACKOFF
				);
			}
			if ( null !== $length && strlen( $buffer ) - $start >= $length ) {
				break;
			}
		}
		$body = null === $length ? substr( $buffer, $start ) : substr( $buffer, $start, $length );
		if ( $close ) {
			$this->close();
		}
		$decoded = json_decode( $body, true );
		return array( $status, is_array( $decoded ) ? $decoded : null );
	}

	/**
	 * The error of a connection that broke; the connection is dropped.
	 *
	 * @param string $why        Message.
	 * @param bool   $unanswered Nothing of the answer had arrived (a reused connection may be replaced once).
	 * @return \WP_Error
	 */
	private function broken( string $why, bool $unanswered = false ): \WP_Error {
		$this->close();
		$error = Failure::unavailable( $why, false );
		$error->add_data( array_merge( (array) $error->get_error_data(), array( 'unanswered' => $unanswered ) ) );
		return $error;
	}
}
