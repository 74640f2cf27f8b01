<?php
/**
 * What administrators are told about the sidecar: the last start failure and a version mismatch.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

defined( 'ABSPATH' ) || exit;

/**
 * Records the sidecar's state for admin notices in transients (the Supervisor writes, the admin screens
 * read), so that a screen never waits on the sidecar to tell why backups stall.
 */
final class Status {

	/**
	 * Transient: `{ message, fix, time }` of the last failed start.
	 */
	public const START_ERROR = 'wps3_sidecar_error';

	/**
	 * Transient: `{ running, plugin, spawn, time }` when a sidecar of another version is used as it is.
	 */
	public const VERSION_MISMATCH = 'wps3_sidecar_version';

	/**
	 * A current sidecar answers: nothing to report.
	 *
	 * @return void
	 */
	public static function healthy(): void {
		self::forget_start_failure();
		if ( false !== get_transient( self::VERSION_MISMATCH ) ) {
			delete_transient( self::VERSION_MISMATCH );
		}
	}

	/**
	 * A sidecar answers (perhaps of another version, already reported): no start failure to report.
	 *
	 * @return void
	 */
	public static function started(): void {
		self::forget_start_failure();
	}

	/**
	 * Drops the recorded start failure (the site's copy and, on a network, the full one).
	 *
	 * @return void
	 */
	private static function forget_start_failure(): void {
		delete_transient( self::START_ERROR );
		if ( is_multisite() && false !== get_site_transient( self::START_ERROR ) ) {
			delete_site_transient( self::START_ERROR );
		}
	}

	/**
	 * The start failure the current user may read: on a network, network admins get the full record (with
	 * the host's paths), site admins the site's copy without them.
	 *
	 * @param bool $network_admin Whether the reader administers the network (or the single site).
	 * @return array<string, mixed>|null `{ message, fix, time }`.
	 */
	public static function start_failure( bool $network_admin ): ?array {
		$full = is_multisite() && $network_admin ? get_site_transient( self::START_ERROR ) : false;
		$mine = is_array( $full ) ? $full : get_transient( self::START_ERROR );
		return is_array( $mine ) ? $mine : null;
	}

	/**
	 * The sidecar could not be started.
	 *
	 * @param \WP_Error $error Why.
	 * @return void
	 */
	public static function start_failed( \WP_Error $error ): void {
		$record = static fn( \WP_Error $e ): array => array(
			'message' => $e->get_error_message(),
			'fix'     => Failure::field( $e, 'fix', '' ),
			'time'    => time(),
		);
		// Site admins of a network read the site's copy: without the runtime directory, log or binary paths.
		set_transient( self::START_ERROR, $record( Failure::for_sites( $error ) ), HOUR_IN_SECONDS );
		if ( is_multisite() ) {
			set_site_transient( self::START_ERROR, $record( $error ), HOUR_IN_SECONDS );
		}
	}

	/**
	 * A sidecar of another version answers and is used as it is (PHP may not start processes, or the plugin
	 * did not start that sidecar).
	 *
	 * @param array<string,mixed> $health Its health document.
	 * @return void
	 */
	public static function version_mismatch( array $health ): void {
		$running = isset( $health['sidecarVersion'] ) && is_scalar( $health['sidecarVersion'] ) ? (string) $health['sidecarVersion'] : '';
		set_transient(
			self::VERSION_MISMATCH,
			array(
				'running' => '' === $running ? __( 'unknown', 'wps3' ) : $running,
				'plugin'  => WPS3_VERSION,
				'spawn'   => Launcher::can_spawn(),
				'time'    => time(),
			),
			HOUR_IN_SECONDS
		);
	}
}
