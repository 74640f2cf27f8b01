<?php
/**
 * RPC client of the Node sidecar: HTTP/1.1 over its unix socket, or loopback TCP after the sidecar proved its token.
 *
 * Over 400 lines: every RPC shape (call, batch, presign_page, health) and the one request path both
 * transports share (start on a failed connect, watchdog, errors) stay in one place.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Talks to `php-bridge/sidecar/server.mjs` through ext-curl (unix socket) or a TcpChannel (TCP fallback).
 *
 * One curl handle is reused for the whole PHP request. The first request of a PHP request makes sure a
 * current sidecar answers (Supervisor); a request that cannot connect starts it and is sent once more.
 * Errors from the sidecar (the core's error model: code, retry, adviceId, …) pass through unchanged.
 */
final class Client {

	/**
	 * Shared client.
	 *
	 * @var Client|null
	 */
	private static ?Client $instance = null;

	/**
	 * Reused curl handle.
	 *
	 * @var \CurlHandle|null
	 */
	private ?\CurlHandle $ch = null;

	/**
	 * Reused connection of the TCP fallback.
	 *
	 * @var TcpChannel|null
	 */
	private ?TcpChannel $tcp = null;

	/**
	 * Runtime directory.
	 *
	 * @var RuntimeDir
	 */
	private RuntimeDir $runtime;

	/**
	 * Where the sidecar listens.
	 *
	 * @var Endpoint
	 */
	private Endpoint $endpoint;

	/**
	 * The command line the sidecar is launched with.
	 *
	 * @var Launcher
	 */
	private Launcher $launcher;

	/**
	 * Starts, replaces and stops the sidecar.
	 *
	 * @var Supervisor
	 */
	private Supervisor $supervisor;

	/**
	 * Returns the shared client.
	 *
	 * @return Client
	 */
	public static function instance(): Client {
		self::$instance ??= new self();
		return self::$instance;
	}

	/**
	 * Wires the runtime directory, endpoint and supervisor of the current configuration.
	 */
	public function __construct() {
		$this->runtime    = new RuntimeDir();
		$this->endpoint   = new Endpoint( $this->runtime );
		$this->launcher   = new Launcher( $this->endpoint, $this->runtime );
		$processes        = new ProcessTable( $this->runtime, $this->launcher );
		$this->supervisor = new Supervisor( $this, $this->runtime, $this->endpoint, $this->launcher, $processes );
	}

	/**
	 * The runtime directory (socket, pid file, log).
	 *
	 * @return RuntimeDir
	 */
	public function runtime(): RuntimeDir {
		return $this->runtime;
	}

	/**
	 * Where the sidecar listens.
	 *
	 * @return Endpoint
	 */
	public function endpoint(): Endpoint {
		return $this->endpoint;
	}

	/**
	 * The launcher (Node.js, script, exact command line).
	 *
	 * @return Launcher
	 */
	public function launcher(): Launcher {
		return $this->launcher;
	}

	/**
	 * The supervisor (start, stop).
	 *
	 * @return Supervisor
	 */
	public function supervisor(): Supervisor {
		return $this->supervisor;
	}

	/**
	 * Drops the reused connection (after the sidecar was stopped, or a request broke).
	 *
	 * @return void
	 */
	public function reset_connection(): void {
		$this->ch = null;
		$this->tcp?->close();
	}

	/**
	 * Runs one sidecar op (`POST /v1/op/<op>`), starting the sidecar when needed.
	 *
	 * @param string              $op      Op name, e.g. `render-key`.
	 * @param array<string,mixed> $args    Op arguments (wasm shapes, camelCase).
	 * @param int                 $timeout Seconds before giving up (0 = no limit).
	 * @param array<string,mixed> $options `progress`: callable run about once a second while waiting;
	 *                                     returning false aborts the request (the sidecar then stops the
	 *                                     op). `stall_check`: seconds between health checks of the sidecar
	 *                                     on a second connection while waiting (0 = none); the request is
	 *                                     aborted when the sidecar stops answering them.
	 * @return array<string,mixed>|\WP_Error The op's result, or the error (code, cause, fix, retry, adviceId, …).
	 */
	public function call( string $op, array $args = array(), int $timeout = 30, array $options = array() ): array|\WP_Error {
		$body = wp_json_encode( (object) $args );
		if ( false === $body ) {
			return Failure::make( 'BAD_REQUEST', __( 'The request to the sidecar could not be encoded as JSON.', 'wps3' ) );
		}
		$response = $this->request_with_start( 'POST', '/v1/op/' . rawurlencode( $op ), $body, $timeout, $options );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		list( $status, $decoded ) = $response;
		if ( is_array( $decoded ) && array_key_exists( 'ok', $decoded ) ) {
			if ( true === $decoded['ok'] ) {
				return self::result( $decoded );
			}
			if ( isset( $decoded['error'] ) && is_array( $decoded['error'] ) ) {
				return Failure::from_sidecar( $decoded['error'] );
			}
		}
		return Failure::bad_response( $status );
	}

	/**
	 * Runs several ops in one round trip (`POST /v1/batch`), in order.
	 *
	 * With `$shared` (`storage` and/or `credentials`), the batch envelope states them once for every op whose
	 * args do not name their own (`{ op: "batch", storage, credentials, ops }`): the sidecar then opens the sealed
	 * secret and resolves the storage once for the whole batch, not once per op.
	 *
	 * @param array<int,array{op:string,args?:array<string,mixed>}>                $ops     The ops.
	 * @param int                                                                  $timeout Seconds.
	 * @param array{storage?:array<string,mixed>,credentials?:array<string,mixed>} $shared Stated once for all ops.
	 * @return array<int,array<string,mixed>|\WP_Error>|\WP_Error One entry per op: its result, or a WP_Error.
	 */
	public function batch( array $ops, int $timeout = 30, array $shared = array() ): array|\WP_Error {
		$list = array();
		foreach ( $ops as $op ) {
			$list[] = array(
				'op'   => (string) $op['op'],
				'args' => (object) ( $op['args'] ?? array() ),
			);
		}
		$envelope = array( 'op' => 'batch' );
		foreach ( array( 'storage', 'credentials' ) as $field ) {
			if ( isset( $shared[ $field ] ) && is_array( $shared[ $field ] ) ) {
				$envelope[ $field ] = (object) $shared[ $field ];
			}
		}
		$envelope['ops'] = $list;
		$body            = wp_json_encode( $envelope );
		if ( false === $body ) {
			return Failure::make( 'BAD_REQUEST', __( 'The request to the sidecar could not be encoded as JSON.', 'wps3' ) );
		}
		$response = $this->request_with_start( 'POST', '/v1/batch', $body, $timeout );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		list( $status, $decoded ) = $response;
		if ( 200 !== $status || ! is_array( $decoded ) || ! isset( $decoded['results'] ) || ! is_array( $decoded['results'] ) ) {
			if ( is_array( $decoded ) && isset( $decoded['error'] ) && is_array( $decoded['error'] ) ) {
				return Failure::from_sidecar( $decoded['error'] );
			}
			return Failure::bad_response( $status );
		}
		$out = array();
		foreach ( $decoded['results'] as $item ) {
			if ( is_array( $item ) && ! empty( $item['ok'] ) ) {
				$out[] = self::result( $item );
			} else {
				$out[] = Failure::from_sidecar( is_array( $item['error'] ?? null ) ? $item['error'] : array( 'code' => 'INTERNAL' ) );
			}
		}
		return $out;
	}

	/**
	 * A page of presigned links in one round trip (`presign-page`): the core checks what the page shares once,
	 * builds each link's Content-Disposition from its file name, and signs every key with one signing key.
	 *
	 * @param array<string,mixed> $storage     Storage object.
	 * @param array<string,mixed> $credentials Credentials (sealed secret).
	 * @param string[]            $keys        Object keys, in order.
	 * @param array<string,mixed> $page        `expiresIn` (seconds); optional `filenames` (one per key, null for none),
	 *                                         `contentDispositions`, `disposition` (`attachment`, `inline`), `method`,
	 *                                         `responseContentType`, `responseCacheControl`, `now`.
	 * @param int                 $timeout     Seconds.
	 * @return array{urls:array<int,string|\WP_Error>,expiresAt:string,endpoint:array<string,mixed>}|\WP_Error
	 *         `urls`: one URL or the link's own error per key (list order); a WP_Error alone when the page failed.
	 */
	public function presign_page( array $storage, #[\SensitiveParameter] array $credentials, array $keys, array $page, int $timeout = 30 ): array|\WP_Error {
		$answer = $this->call( 'presign-page', LinkPage::args( $storage, $credentials, $keys, $page ), $timeout );
		return is_wp_error( $answer ) ? $answer : LinkPage::from_answer( $answer, count( $keys ) );
	}

	/**
	 * `GET /v1/health` without starting anything.
	 *
	 * @param int $timeout Seconds.
	 * @return array<string,mixed>|\WP_Error
	 */
	public function health( int $timeout = 2 ): array|\WP_Error {
		$response = $this->request( 'GET', '/v1/health', null, $timeout, array( 'handle' => 'health' ) );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		list( $status, $decoded ) = $response;
		if ( 200 === $status && is_array( $decoded ) && ! empty( $decoded['ok'] ) ) {
			return $decoded;
		}
		return Failure::bad_response( $status );
	}

	/**
	 * Health of the sidecar for admin screens, cached for a minute so that screens do not wait on it.
	 *
	 * @return bool Whether the sidecar answered.
	 */
	public function cached_health_ok(): bool {
		$key    = 'wps3_sc_health_' . substr( md5( $this->endpoint->address() ), 0, 12 );
		$cached = get_transient( $key );
		if ( 'ok' === $cached || 'down' === $cached ) {
			return 'ok' === $cached;
		}
		$ok = ! is_wp_error( $this->health( 1 ) );
		set_transient( $key, $ok ? 'ok' : 'down', MINUTE_IN_SECONDS );
		return $ok;
	}

	/**
	 * Makes sure a current sidecar answers (Supervisor::ensure_running()).
	 *
	 * @return array<string,mixed>|\WP_Error Health document, or why the sidecar cannot run.
	 */
	public function ensure_running(): array|\WP_Error {
		return $this->supervisor->ensure_running();
	}

	/**
	 * The `result` of a successful answer; a scalar result is wrapped as `value`.
	 *
	 * @param array<string,mixed> $answer `{ ok: true, result }`.
	 * @return array<string,mixed>
	 */
	private static function result( array $answer ): array {
		return isset( $answer['result'] ) && is_array( $answer['result'] ) ? $answer['result'] : array( 'value' => $answer['result'] ?? null );
	}

	/**
	 * Sends a request; on a connect failure starts the sidecar and tries once more. The first request of a
	 * PHP request also makes sure the running sidecar is current (restarting a stale or hung one).
	 *
	 * @param string              $method  GET or POST.
	 * @param string              $path    Path.
	 * @param string|null         $body    JSON body.
	 * @param int                 $timeout Seconds.
	 * @param array<string,mixed> $options See call().
	 * @return array{0:int,1:array<string,mixed>|null}|\WP_Error Status and decoded JSON.
	 */
	private function request_with_start( string $method, string $path, ?string $body, int $timeout, array $options = array() ): array|\WP_Error {
		if ( $this->supervisor->needs_check() ) {
			$started = $this->supervisor->ensure_running();
			if ( is_wp_error( $started ) ) {
				return $started;
			}
		}
		$response = $this->request( $method, $path, $body, $timeout, $options );
		if ( ! is_wp_error( $response ) || ! Failure::field( $response, 'not_connected', false ) ) {
			// A request that reached the sidecar and broke (crash mid-request, timeout, aborted) is not
			// replayed here; the caller decides (the backup queue retries the whole job).
			return $response;
		}
		$this->supervisor->forget_start_error();
		$started = $this->supervisor->ensure_running();
		if ( is_wp_error( $started ) ) {
			return $started;
		}
		return $this->request( $method, $path, $body, $timeout, $options );
	}

	/**
	 * One HTTP exchange with the sidecar.
	 *
	 * @param string              $method  GET or POST.
	 * @param string              $path    Path.
	 * @param string|null         $body    JSON body.
	 * @param int                 $timeout Seconds (0 = none).
	 * @param array<string,mixed> $options See call(); `handle` => 'health' uses a separate curl handle.
	 * @return array{0:int,1:array<string,mixed>|null}|\WP_Error Status and decoded JSON.
	 */
	private function request( string $method, string $path, ?string $body, int $timeout, array $options = array() ): array|\WP_Error {
		// Health checks may run from inside a transfer's progress callback: never on that transfer's handle.
		$separate = 'health' === ( $options['handle'] ?? null );
		$watchdog = new Watchdog( $options, fn (): bool => ! is_wp_error( $this->health( 5 ) ) );
		if ( $this->endpoint->uses_tcp() ) {
			$channel = $this->endpoint->tcp_channel( $separate ? null : $this->tcp );
			if ( is_wp_error( $channel ) ) {
				return $channel;
			}
			$this->tcp = $separate ? $this->tcp : $channel;
			// Long ops get their own connection, never resent (as CURLOPT_FRESH_CONNECT below).
			$answer = $channel->exchange( $method, $path, $body, $timeout, $watchdog, $separate || 0 === $timeout || $timeout > 60 );
			if ( $separate ) {
				$channel->close();
			}
			if ( 'stalled' === $watchdog->aborted() ) {
				$this->supervisor->recheck();
			}
			return $answer;
		}
		if ( ! function_exists( 'curl_init' ) ) {
			return Failure::setup( __( 'The PHP curl extension is missing.', 'wps3' ), __( 'Install and enable the PHP curl extension (php-curl).', 'wps3' ) );
		}
		$transport = $this->endpoint->transport( $path );
		if ( is_wp_error( $transport ) ) {
			return $transport;
		}
		$ch       = $separate ? curl_init() : $this->shared_handle();
		$headers  = array_merge( array( 'Accept: application/json', 'Expect:' ), $transport['headers'] );
		$settings = $transport['options'] + array(
			CURLOPT_RETURNTRANSFER    => true,
			CURLOPT_HEADER            => false,
			CURLOPT_CONNECTTIMEOUT_MS => 2000,
			CURLOPT_TIMEOUT           => max( 0, $timeout ),
			CURLOPT_NOSIGNAL          => true,
			CURLOPT_PROXY             => '',
			CURLOPT_FOLLOWLOCATION    => false,
			// Long ops get their own connection: if the sidecar dies mid-upload, libcurl must not silently
			// replay the request on a new connection (it does that for reused ones); the caller decides.
			CURLOPT_FRESH_CONNECT     => 0 === $timeout || $timeout > 60,
		) + $watchdog->curl_options();
		if ( 'POST' === $method ) {
			$headers[]                      = 'Content-Type: application/json';
			$settings[ CURLOPT_POST ]       = true;
			$settings[ CURLOPT_POSTFIELDS ] = (string) $body;
		} else {
			$settings[ CURLOPT_HTTPGET ] = true;
		}
		$settings[ CURLOPT_HTTPHEADER ] = $headers;
		curl_setopt_array( $ch, $settings );

		$raw = curl_exec( $ch );
		if ( false === $raw ) {
			if ( ! $separate ) {
				$this->ch = null; // Do not keep a connection the sidecar may still be working on.
			}
			if ( 'stalled' === $watchdog->aborted() ) {
				$this->supervisor->recheck(); // The next request checks the sidecar again (and replaces a hung one).
			}
			return $watchdog->failure( curl_errno( $ch ), curl_error( $ch ) );
		}
		$status  = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		$decoded = json_decode( (string) $raw, true );
		return array( $status, is_array( $decoded ) ? $decoded : null );
	}

	/**
	 * The reused curl handle, reset for a new request.
	 *
	 * @return \CurlHandle
	 */
	private function shared_handle(): \CurlHandle {
		if ( null === $this->ch ) {
			$this->ch = curl_init();
		} else {
			curl_reset( $this->ch );
		}
		return $this->ch;
	}
}
