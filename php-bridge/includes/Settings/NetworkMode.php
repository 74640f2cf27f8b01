<?php
/**
 * Multisite: what a site may set itself, decided once per network by its network admin.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * The network option `wps3_network_mode`:
 *
 * - `own-credentials`: every site brings its own access key and secret. The network's credentials (the
 *   WPS3_ACCESS_KEY_ID / WPS3_SECRET_ACCESS_KEY constants, shared by every site of the install) are never
 *   used by a site, so no site admin can point them at a bucket of their choosing.
 * - `network-locked`: every site uses the network's credentials, locked together with provider, endpoint,
 *   account, region, bucket, path prefix and addressing style. Values come from the WPS3_* constants in
 *   wp-config.php; site admins cannot change any of them (the page shows them read-only, REST save refuses).
 *
 * Unset, the mode follows the network: `network-locked` when wp-config.php provides a secret (the state
 * that let a site admin reuse it against any bucket), `own-credentials` otherwise. Single sites have no mode.
 */
final class NetworkMode {

	public const OPTION = 'wps3_network_mode';
	public const OWN    = 'own-credentials';
	public const LOCKED = 'network-locked';

	/**
	 * Settings the network fixes in `network-locked` mode (besides the secret).
	 *
	 * @var string[]
	 */
	public const LOCKED_FIELDS = array( 'provider', 'endpoint', 'account_id', 'region', 'bucket', 'path_prefix', 'access_key_id', 'addressing_style' );

	/**
	 * Settings that are credentials: never taken from the network in `own-credentials` mode.
	 *
	 * @var string[]
	 */
	public const CREDENTIAL_FIELDS = array( 'access_key_id', 'secret_access_key' );

	/**
	 * The network's mode ('' on a single site).
	 *
	 * @return string self::OWN, self::LOCKED or ''.
	 */
	public static function get(): string {
		if ( ! is_multisite() ) {
			return '';
		}
		$mode = get_site_option( self::OPTION, '' );
		if ( self::OWN === $mode || self::LOCKED === $mode ) {
			return $mode;
		}
		return defined( 'WPS3_SECRET_ACCESS_KEY' ) ? self::LOCKED : self::OWN;
	}

	/**
	 * Whether the network option was chosen (rather than derived).
	 *
	 * @return bool
	 */
	public static function is_chosen(): bool {
		return in_array( get_site_option( self::OPTION, '' ), array( self::OWN, self::LOCKED ), true );
	}

	/**
	 * Stores the network's mode.
	 *
	 * @param string $mode self::OWN or self::LOCKED.
	 * @return bool Whether $mode is a mode (and was stored).
	 */
	public static function set( string $mode ): bool {
		if ( ! is_multisite() || ! in_array( $mode, array( self::OWN, self::LOCKED ), true ) ) {
			return false;
		}
		update_site_option( self::OPTION, $mode );
		return true;
	}

	/**
	 * How the mode changes whether a setting is fixed for the current site.
	 *
	 * @param string $field Setting (or `secret_access_key`).
	 * @return bool|null True: fixed by the network; false: the site's own, whatever wp-config.php defines;
	 *                   null: as on a single site (a WPS3_* constant fixes it).
	 */
	public static function locks( string $field ): ?bool {
		$mode = self::get();
		if ( self::LOCKED === $mode && ( 'secret_access_key' === $field || in_array( $field, self::LOCKED_FIELDS, true ) ) ) {
			return true;
		}
		if ( self::OWN === $mode && in_array( $field, self::CREDENTIAL_FIELDS, true ) ) {
			return false;
		}
		return null;
	}
}
