<?php
/**
 * Transitional: the old global name of the sidecar client, for callers not yet converted to
 * WPS3\Sidecar\Client. Removed once no caller on main uses it.
 *
 * @package wps3
 */

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

// phpcs:disable PSR1.Classes.ClassDeclaration.MissingNamespace -- the old global name, kept only until its last caller is converted.

use WPS3\Sidecar\Client;

/**
 * Forwards the old public methods to WPS3\Sidecar\Client and its parts.
 *
 * @deprecated Use WPS3\Sidecar\Client::instance().
 */
final class WPS3_Sidecar_Client {

	/**
	 * Shared instance.
	 *
	 * @var WPS3_Sidecar_Client|null
	 */
	private static ?WPS3_Sidecar_Client $instance = null;

	/**
	 * Returns the shared instance.
	 *
	 * @return WPS3_Sidecar_Client
	 */
	public static function instance(): WPS3_Sidecar_Client {
		self::$instance ??= new self();
		return self::$instance;
	}

	/**
	 * See Client::call().
	 *
	 * @param string              $op      Op.
	 * @param array<string,mixed> $args    Arguments.
	 * @param int                 $timeout Seconds.
	 * @param array<string,mixed> $options Options.
	 * @return array<string,mixed>|WP_Error
	 */
	public function call( string $op, array $args = array(), int $timeout = 30, array $options = array() ): array|WP_Error {
		return Client::instance()->call( $op, $args, $timeout, $options );
	}

	/**
	 * See Client::batch().
	 *
	 * @param array<int,array<string,mixed>> $ops     Ops.
	 * @param int                            $timeout Seconds.
	 * @return array<int,mixed>|WP_Error
	 */
	public function batch( array $ops, int $timeout = 30 ): array|WP_Error {
		return Client::instance()->batch( $ops, $timeout );
	}

	/**
	 * See Client::health().
	 *
	 * @param int $timeout Seconds.
	 * @return array<string,mixed>|WP_Error
	 */
	public function health( int $timeout = 2 ): array|WP_Error {
		return Client::instance()->health( $timeout );
	}

	/**
	 * See Client::ensure_running().
	 *
	 * @return array<string,mixed>|WP_Error
	 */
	public function ensure_running(): array|WP_Error {
		return Client::instance()->ensure_running();
	}

	/**
	 * See Supervisor::stop().
	 *
	 * @return bool
	 */
	public function stop(): bool {
		return Client::instance()->supervisor()->stop();
	}

	/**
	 * See Client::cached_health_ok().
	 *
	 * @return bool
	 */
	public function cached_health_ok(): bool {
		return Client::instance()->cached_health_ok();
	}

	/**
	 * See RuntimeDir::log_file().
	 *
	 * @return string
	 */
	public function log_file(): string {
		return Client::instance()->runtime()->log_file();
	}

	/**
	 * See RuntimeDir::path().
	 *
	 * @return string
	 */
	public function runtime_dir(): string {
		return Client::instance()->runtime()->path();
	}
}
