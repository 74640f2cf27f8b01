<?php
/**
 * WordPress's part of retrying a backup: attempt budgets (filters) and when the next attempt runs.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * Whether a failed attempt is tried again, and when.
 *
 * Whether an error is worth retrying is the core's decision (`retry` on every error). The delay comes
 * from the core too (`retry-delay`). What stays here is what a site owner tunes: how many attempts a job
 * gets, and the `wps3_retry_delay` filter.
 */
final class RetryPolicy {

	/**
	 * Seconds until the next attempt when the core cannot be asked (the sidecar is not running).
	 */
	private const DELAY_WITHOUT_CORE = 60;

	/**
	 * Codes of a PDF that is missing or cannot be read yet.
	 *
	 * @var string[]
	 */
	private const FILE_CODES = array( 'FILE_NOT_FOUND', 'FILE_UNREADABLE' );

	/**
	 * Maximum attempts before a retryable failure becomes permanent.
	 *
	 * @return int
	 */
	public function max_attempts(): int {
		/**
		 * Attempts after which a job that keeps failing with retryable errors is marked failed (default 50).
		 *
		 * @param int $max Attempts.
		 */
		$max = apply_filters( 'wps3_max_attempts', defined( 'WPS3_MAX_ATTEMPTS' ) ? (int) WPS3_MAX_ATTEMPTS : 50 );
		return max( 1, is_numeric( $max ) ? (int) $max : 50 );
	}

	/**
	 * Attempts for a document whose PDF is missing or unreadable before the failure becomes permanent.
	 *
	 * @return int
	 */
	public function file_attempts(): int {
		/**
		 * Attempts (with backoff) before a missing or unreadable PDF is a permanent failure (default 5).
		 *
		 * @param int $attempts Attempts.
		 */
		$attempts = apply_filters( 'wps3_file_not_found_attempts', 5 );
		return is_numeric( $attempts ) ? max( 1, (int) $attempts ) : 5;
	}

	/**
	 * Claims after which a job is given up even if no attempt ever reported a failure (the worker died
	 * each time). The larger budget applies: a job waiting for its PDF may be claimed file_attempts() times.
	 *
	 * @return int
	 */
	public function claim_budget(): int {
		return max( $this->max_attempts(), $this->file_attempts() );
	}

	/**
	 * The retry decision for a failed attempt, within this site's budgets.
	 *
	 * A missing PDF is the host's timing, not a storage failure: the host may fire its hook before the file
	 * is written, so it is retried (with backoff) up to file_attempts() times whatever the sidecar says.
	 *
	 * @param \WP_Error $error    The failure.
	 * @param int       $attempts Failed attempts so far, this one included.
	 * @return string Errors::RETRY_NEVER, or the kind of retry to schedule.
	 */
	public function decide( \WP_Error $error, int $attempts ): string {
		$code = (string) Errors::field( $error, 'code', $error->get_error_code() );
		if ( in_array( $code, self::FILE_CODES, true ) ) {
			return $attempts < $this->file_attempts() ? Errors::RETRY_BACKOFF : Errors::RETRY_NEVER;
		}
		$retry = Errors::retry( $error );
		return Errors::RETRY_NEVER !== $retry && $attempts < $this->max_attempts() ? $retry : Errors::RETRY_NEVER;
	}

	/**
	 * Seconds until the next attempt: the core's backoff for this attempt, then the `wps3_retry_delay` filter.
	 *
	 * @param int            $attempts Failed attempts so far (>= 1).
	 * @param \WP_Error|null $error    The failure.
	 * @param string         $retry    The retry kind decide() returned.
	 * @return int Seconds, 1 to 30 days.
	 */
	public function delay( int $attempts, ?\WP_Error $error = null, string $retry = Errors::RETRY_BACKOFF ): int {
		$args = array(
			'retry'   => Errors::RETRY_NEVER === $retry ? Errors::RETRY_BACKOFF : $retry,
			'attempt' => max( 1, $attempts ),
			'jitter'  => wp_rand( 0, 1000 ) / 1000,
		);
		// WPS3_RETRY_BASE / WPS3_RETRY_CAP tune the core's backoff (first step, ceiling) for this site.
		if ( defined( 'WPS3_RETRY_BASE' ) && is_numeric( WPS3_RETRY_BASE ) ) {
			$args['baseSeconds'] = (float) WPS3_RETRY_BASE;
		}
		if ( defined( 'WPS3_RETRY_CAP' ) && is_numeric( WPS3_RETRY_CAP ) ) {
			$args['capSeconds'] = (float) WPS3_RETRY_CAP;
		}
		$after = null === $error ? null : Errors::field( $error, 'retryAfterSeconds' );
		if ( is_numeric( $after ) ) {
			$args['retryAfterSeconds'] = (int) $after;
		}
		$answer = \WPS3\Sidecar\Client::instance()->call( 'retry-delay', $args, 10 );
		if ( is_wp_error( $answer ) && 'SIDECAR_UNAVAILABLE' === Errors::field( $answer, 'code' ) ) {
			// Right after a sidecar crash the first request can meet the dead connection; retry-delay is a
			// pure function, so asking once more (which starts a new sidecar) is safe.
			$answer = \WPS3\Sidecar\Client::instance()->call( 'retry-delay', $args, 10 );
		}
		$delay = is_array( $answer ) && isset( $answer['delaySeconds'] ) && is_numeric( $answer['delaySeconds'] )
			? (int) round( (float) $answer['delaySeconds'] )
			: self::DELAY_WITHOUT_CORE;
		/**
		 * Filters the delay before the next attempt of a failed backup.
		 *
		 * @param int            $delay    Seconds.
		 * @param int            $attempts Failed attempts so far.
		 * @param \WP_Error|null $error    The failure.
		 */
		$filtered = apply_filters( 'wps3_retry_delay', $delay, $attempts, $error );
		if ( ! is_numeric( $filtered ) || ! is_finite( (float) $filtered ) ) {
			Errors::filter_misuse( 'wps3_retry_delay', __( 'a number of seconds', 'wps3' ), $filtered );
			$filtered = $delay;
		}
		return (int) max( 1, min( 30 * DAY_IN_SECONDS, round( (float) $filtered ) ) );
	}
}
