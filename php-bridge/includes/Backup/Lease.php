<?php
/**
 * How long a worker owns a claimed job, and keeping that ownership while an upload runs.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

defined( 'ABSPATH' ) || exit;

/**
 * Lease length and renewal. A lease lets a job whose worker died be taken over, and stops a worker that
 * lost its job from finishing it.
 */
final class Lease {

	/**
	 * Lease renewals go here.
	 *
	 * @param JobStore $store Job store.
	 */
	public function __construct( private readonly JobStore $store ) {
	}

	/**
	 * Lease of a claimed job in seconds (at least 60).
	 *
	 * @return int
	 */
	public function seconds(): int {
		/**
		 * Seconds a worker owns a claimed job before another worker may take it over (default 1800).
		 *
		 * @param int $lease Seconds.
		 */
		$lease = apply_filters( 'wps3_job_lease_seconds', defined( 'WPS3_JOB_LEASE' ) ? (int) WPS3_JOB_LEASE : 1800 );
		return max( 60, is_numeric( $lease ) ? (int) $lease : 1800 );
	}

	/**
	 * Unix time a lease taken or renewed now ends.
	 *
	 * @return int
	 */
	public function until(): int {
		return time() + $this->seconds();
	}

	/**
	 * Seconds between renewals of a running job's lease: the filtered value (default 60), at most a third
	 * of the lease (so a short lease never expires between renewals), at least 5 s.
	 *
	 * @return int
	 */
	public function renew_interval(): int {
		/**
		 * Seconds between renewals of the lease of a job whose upload is running (default 60; capped at a
		 * third of the lease, at least 5).
		 *
		 * @param int $seconds Seconds.
		 */
		$seconds = apply_filters( 'wps3_lease_renew_interval', 60 );
		$seconds = is_numeric( $seconds ) ? (int) $seconds : 60;
		return max( 5, min( $seconds, intdiv( $this->seconds(), 3 ) ) );
	}

	/**
	 * Extends the lease of a job this worker owns.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lease token.
	 * @return bool Whether the worker still owns the job.
	 */
	public function renew( int $id, #[\SensitiveParameter] string $token ): bool {
		return $this->store->renew_lease( $id, $token, $this->until() );
	}

	/**
	 * Progress callback for a long sidecar call: renews the lease about every renew_interval() seconds
	 * and returns false (abort the call) once the lease is lost.
	 *
	 * @param int    $id    Job id.
	 * @param string $token Lease token.
	 * @param bool   $lost  Set to true when the lease was lost.
	 * @return callable(): bool
	 */
	public function keeper( int $id, #[\SensitiveParameter] string $token, bool &$lost ): callable {
		$every = $this->renew_interval();
		$next  = time() + $every;
		return function () use ( $id, $token, $every, &$next, &$lost ): bool {
			if ( time() < $next ) {
				return true;
			}
			$next = time() + $every;
			if ( ! $this->renew( $id, $token ) ) {
				$lost = true;
				return false;
			}
			return true;
		};
	}
}
