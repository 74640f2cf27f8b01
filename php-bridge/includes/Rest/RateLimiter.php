<?php
/**
 * Fixed-window request limits per user and action, kept in transients.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Rest;

defined( 'ABSPATH' ) || exit;

/**
 * Counts requests per (action, user) in a window and tells how long to wait once the limit is hit.
 *
 * A fixed window (not a sliding one) is enough for "5 tests per minute": the worst case lets
 * 2 × limit through around a window edge, which the limits tolerate, and it needs one
 * transient per user and action instead of a list of timestamps.
 */
final class RateLimiter {

	/**
	 * Records one request and says whether it may proceed.
	 *
	 * @param string $action  Stable action name, e.g. `settings-test`.
	 * @param int    $user_id The caller.
	 * @param int    $limit   Requests allowed per window (at least 1).
	 * @param int    $window  Window length in seconds (at least 1).
	 * @param int    $now     Unix time; injectable for tests.
	 * @return int|null Null when allowed; otherwise the seconds until the window resets (>= 1).
	 */
	public static function hit( string $action, int $user_id, int $limit, int $window = 60, ?int $now = null ): ?int {
		$now    = $now ?? time();
		$limit  = max( 1, $limit );
		$window = max( 1, $window );
		$name   = self::transient_name( $action, $user_id );
		$state  = get_transient( $name );
		if ( ! is_array( $state ) || ! isset( $state['start'], $state['count'] ) || $now >= (int) $state['start'] + $window ) {
			$state = array(
				'start' => $now,
				'count' => 0,
			);
		}
		$reset_in = max( 1, (int) $state['start'] + $window - $now );
		if ( (int) $state['count'] >= $limit ) {
			return $reset_in;
		}
		++$state['count'];
		set_transient( $name, $state, $reset_in );
		return null;
	}

	/**
	 * Forgets the counter (tests, and after a user is deleted).
	 *
	 * @param string $action  Action name.
	 * @param int    $user_id User.
	 * @return void
	 */
	public static function reset( string $action, int $user_id ): void {
		delete_transient( self::transient_name( $action, $user_id ) );
	}

	/**
	 * Builds the transient name; actions are hashed so any string stays under the 172-character limit.
	 *
	 * @param string $action  Action name.
	 * @param int    $user_id User.
	 * @return string
	 */
	private static function transient_name( string $action, int $user_id ): string {
		return 'wps3_rl_' . substr( md5( $action ), 0, 12 ) . '_' . $user_id;
	}
}
