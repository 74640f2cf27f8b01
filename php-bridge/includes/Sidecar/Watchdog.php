<?php
/**
 * Watches one transfer to the sidecar: the caller's abort callback and the sidecar's health meanwhile.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Curl progress handling for Client::call()'s `progress` and `stall_check` options, and the error of a
 * transfer that failed: aborted by the caller, abandoned because the sidecar stopped answering health
 * checks, or broken (a connect failure may start the sidecar; anything else is not replayed).
 */
final class Watchdog {

	/**
	 * Health checks in a row that may fail before the transfer is abandoned.
	 */
	private const MAX_MISSES = 3;

	/**
	 * Curl's "could not connect" (no listener, stale socket file): safe to start the sidecar and resend.
	 */
	private const CURLE_COULDNT_CONNECT = 7;

	/**
	 * Why the transfer was aborted: 'callback', 'stalled' or null.
	 *
	 * @var string|null
	 */
	private ?string $aborted = null;

	/**
	 * Creates the watchdog of one transfer.
	 *
	 * @param array<string,mixed> $options See Client::call(): `progress` (callable, false aborts) and
	 *                                     `stall_check` (seconds between health checks, 0 = none).
	 * @param \Closure            $probe   Returns whether the sidecar answers a health check.
	 * @param \Closure|null       $clock   Returns the time in seconds (default time()).
	 */
	public function __construct( private readonly array $options, private readonly \Closure $probe, private readonly ?\Closure $clock = null ) {
	}

	/**
	 * Why the transfer was aborted ('callback', 'stalled'), or null.
	 *
	 * @return string|null
	 */
	public function aborted(): ?string {
		return $this->aborted;
	}

	/**
	 * Curl options installing the progress callback (none without `progress` or `stall_check`).
	 *
	 * @return array<int,mixed>
	 */
	public function curl_options(): array {
		if ( empty( $this->options['progress'] ) && empty( $this->options['stall_check'] ) ) {
			return array();
		}
		return array(
			CURLOPT_NOPROGRESS       => false,
			CURLOPT_XFERINFOFUNCTION => $this->callback(),
		);
	}

	/**
	 * The progress callback: returns 1 (abort) when `progress` returns false or after MAX_MISSES failed
	 * health checks, else 0.
	 *
	 * @return \Closure
	 */
	public function callback(): \Closure {
		$progress    = $this->options['progress'] ?? null;
		$stall_every = max( 0, (int) ( $this->options['stall_check'] ?? 0 ) );
		$next_check  = $this->now() + $stall_every;
		$misses      = 0;
		return function () use ( $progress, $stall_every, &$next_check, &$misses ): int {
			if ( is_callable( $progress ) && false === call_user_func( $progress ) ) {
				$this->aborted = 'callback';
				return 1;
			}
			if ( $stall_every > 0 && $this->now() >= $next_check ) {
				$next_check = $this->now() + $stall_every;
				$misses     = ( $this->probe )() ? 0 : $misses + 1;
				if ( $misses >= self::MAX_MISSES ) {
					$this->aborted = 'stalled';
					return 1;
				}
			}
			return 0;
		};
	}

	/**
	 * The error of a transfer that failed.
	 *
	 * @param int    $errno Curl error number.
	 * @param string $error Curl error text.
	 * @return \WP_Error
	 */
	public function failure( int $errno, string $error ): \WP_Error {
		if ( 'callback' === $this->aborted ) {
			return Failure::make( 'ABORTED', __( 'The request to the sidecar was aborted (the worker no longer owns the job).', 'wps3' ), array(), Failure::BACKOFF );
		}
		if ( 'stalled' === $this->aborted ) {
			return Failure::unavailable( __( 'The sidecar stopped answering health checks during the request; it was abandoned.', 'wps3' ), false );
		}
		return Failure::unavailable(
			/* translators: 1: curl error number, 2: curl error text */
			sprintf( __( 'The sidecar did not answer (curl error %1$d: %2$s).', 'wps3' ), $errno, $error ),
			self::CURLE_COULDNT_CONNECT === $errno
		);
	}

	/**
	 * Current time in seconds.
	 *
	 * @return int
	 */
	private function now(): int {
		return null === $this->clock ? time() : (int) ( $this->clock )();
	}
}
