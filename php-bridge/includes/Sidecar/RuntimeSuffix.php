<?php
/**
 * The random part of the default runtime directory's name, stored once per install.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Creates and reads the network-wide option holding the suffix, so that other users of the host cannot
 * predict the directory and create it first. Two concurrent first requests agree on one value: the row is
 * only inserted when missing (INSERT IGNORE on the options table; on multisite, whose sitemeta has no
 * unique key, under a named lock), and the value is then read back from the database, not from a cache.
 */
final class RuntimeSuffix {

	/**
	 * Network-wide option holding the suffix.
	 */
	public const OPTION = 'wps3_runtime_suffix';

	/**
	 * Whether a stored suffix is well-formed (16 lower-case hex digits).
	 *
	 * @param mixed $suffix Value.
	 * @return bool
	 */
	public static function is_valid( mixed $suffix ): bool {
		return is_string( $suffix ) && 1 === preg_match( '/^[a-f0-9]{16}\z/', $suffix );
	}

	/**
	 * The suffix through WordPress's option API (cached), created when missing or malformed.
	 *
	 * @return string
	 */
	public static function get(): string {
		$suffix = get_site_option( self::OPTION, '' );
		return self::is_valid( $suffix ) ? (string) $suffix : self::ensure();
	}

	/**
	 * Creates the suffix if it is missing (activation, or the first request without it) and returns the
	 * stored value.
	 *
	 * @return string
	 */
	public static function ensure(): string {
		$stored = self::stored();
		if ( self::is_valid( $stored ) ) {
			return (string) $stored;
		}
		$candidate = bin2hex( random_bytes( 8 ) );
		if ( is_multisite() ) {
			self::write_network( $stored, $candidate );
		} else {
			self::write_site( $stored, $candidate );
		}
		$stored = self::stored();
		// Without a database row (the write failed), this request still works with its own candidate.
		return self::is_valid( $stored ) ? (string) $stored : $candidate;
	}

	/**
	 * The stored suffix read straight from the database (no object cache), or null when there is none.
	 *
	 * @return string|null
	 */
	private static function stored(): ?string {
		global $wpdb;
		if ( is_multisite() ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$value = $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->sitemeta} WHERE meta_key = %s AND site_id = %d ORDER BY meta_id ASC LIMIT 1", self::OPTION, get_current_network_id() ) );
		} else {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$value = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s LIMIT 1", self::OPTION ) );
		}
		return null === $value ? null : (string) $value;
	}

	/**
	 * Multisite: inserts (or replaces a malformed) network option under a named lock.
	 *
	 * @param string|null $stored    Value read before (null: no row).
	 * @param string      $candidate New suffix.
	 * @return void
	 */
	private static function write_network( ?string $stored, string $candidate ): void {
		global $wpdb;
		$network = get_current_network_id();
		$lock    = substr( 'wps3_suffix_' . $wpdb->base_prefix . $network, 0, 64 );
		$locked  = '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 5)', $lock ) );
		$stored  = self::stored();
		if ( null === $stored ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery
			$wpdb->insert(
				$wpdb->sitemeta,
				array(
					'site_id'    => $network,
					'meta_key'   => self::OPTION, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
					'meta_value' => $candidate, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
				)
			);
		} elseif ( ! self::is_valid( $stored ) ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->sitemeta} SET meta_value = %s WHERE meta_key = %s AND site_id = %d AND meta_value = %s", $candidate, self::OPTION, $network, $stored ) );
		}
		if ( $locked ) {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		}
		wp_cache_delete( $network . ':' . self::OPTION, 'site-options' );
		wp_cache_delete( $network . ':notoptions', 'site-options' );
	}

	/**
	 * Single site: inserts the option unless a row exists, or replaces a malformed one unless another
	 * request already did.
	 *
	 * @param string|null $stored    Value read before (null: no row).
	 * @param string      $candidate New suffix.
	 * @return void
	 */
	private static function write_site( ?string $stored, string $candidate ): void {
		global $wpdb;
		if ( null === $stored ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'yes')", self::OPTION, $candidate ) );
		} else {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->options} SET option_value = %s WHERE option_name = %s AND option_value = %s", $candidate, self::OPTION, $stored ) );
		}
		wp_cache_delete( self::OPTION, 'options' );
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( 'notoptions', 'options' );
	}
}
