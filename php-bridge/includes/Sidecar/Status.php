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
		delete_transient( self::START_ERROR );
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
		delete_transient( self::START_ERROR );
	}

	/**
	 * The sidecar could not be started.
	 *
	 * @param \WP_Error $error Why.
	 * @return void
	 */
	public static function start_failed( \WP_Error $error ): void {
		set_transient(
			self::START_ERROR,
			array(
				'message' => $error->get_error_message(),
				'fix'     => Failure::field( $error, 'fix', '' ),
				'time'    => time(),
			),
			HOUR_IN_SECONDS
		);
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
