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
		$name   = self::transient_name( $action, $user_id );
		$locked = self::lock( $name );
		try {
			return self::count( $name, $limit, $window, $now ?? time() );
		} finally {
			if ( $locked ) {
				self::unlock( $name );
			}
		}
	}

	/**
	 * Reads, checks and stores the counter (under the lock when there is one).
	 *
	 * @param string $name   Transient.
	 * @param int    $limit  Requests per window.
	 * @param int    $window Seconds.
	 * @param int    $now    Unix time.
	 * @return int|null
	 */
	private static function count( string $name, int $limit, int $window, int $now ): ?int {
		$limit  = max( 1, $limit );
		$window = max( 1, $window );
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
	 * Takes the database lock of one counter: parallel requests of one user (50 at once from a script) would
	 * otherwise all read the same count and each let itself through. Without a database (unit tests) there
	 * is no lock; after 5 s of waiting the request goes on unlocked rather than failing.
	 *
	 * @param string $name Transient name.
	 * @return bool Whether the lock is held.
	 */
	private static function lock( string $name ): bool {
		global $wpdb;
		if ( ! ( $wpdb instanceof \wpdb ) ) {
			return false;
		}
		return '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 5)', self::lock_name( $name ) ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a lock, not data.
	}

	/**
	 * Releases the lock of lock().
	 *
	 * @param string $name Transient name.
	 * @return void
	 */
	private static function unlock( string $name ): void {
		global $wpdb;
		$wpdb->get_var( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::lock_name( $name ) ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a lock, not data.
	}

	/**
	 * Lock names are per database server: the table prefix keeps sites and installs apart.
	 *
	 * @param string $name Transient name.
	 * @return string
	 */
	private static function lock_name( string $name ): string {
		global $wpdb;
		return substr( DB_NAME . '.' . $wpdb->options . '.' . $name, 0, 64 );
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
