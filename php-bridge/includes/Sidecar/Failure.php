<?php
/**
 * The errors the PHP side of the sidecar link raises itself (nothing answered, refused port, bad reply).
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Sidecar;

use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * Builds the plugin's WP_Error shape for failures that never reached the core, and turns the sidecar's
 * own error objects into WP_Error unchanged (the error model's `retry` and `adviceId` pass through).
 *
 * Every local failure says whether retrying can help: `backoff` for a sidecar that is down or not ready
 * (an admin can fix it and the queue keeps its jobs), `never` for a configuration that must change first.
 */
final class Failure {

	/**
	 * Retry decision: retrying later may work.
	 */
	public const BACKOFF = Errors::RETRY_BACKOFF;

	/**
	 * Retry decision: it fails the same way until something is changed.
	 */
	public const NEVER = Errors::RETRY_NEVER;

	/**
	 * A plugin error.
	 *
	 * @param string               $code    Stable code, e.g. `SIDECAR_UNAVAILABLE`.
	 * @param string               $message Message for humans (already translated).
	 * @param array<string, mixed> $data    Extra data (fix, not_connected, no_start).
	 * @param string               $retry   self::BACKOFF or self::NEVER.
	 * @return \WP_Error
	 */
	public static function make( string $code, string $message, array $data = array(), string $retry = self::NEVER ): \WP_Error {
		return Errors::make( $code, $message, array( 'retry' => $retry ) + $data );
	}

	/**
	 * The sidecar's error object as a WP_Error (code, message, retry, adviceId and the rest kept as sent).
	 *
	 * @param array<string, mixed> $error Error object from the sidecar's JSON.
	 * @return \WP_Error
	 */
	public static function from_sidecar( array $error ): \WP_Error {
		return Errors::from_sidecar( $error );
	}

	/**
	 * One field of a plugin error's data.
	 *
	 * @param \WP_Error $error    Error.
	 * @param string    $key      Field.
	 * @param mixed     $fallback Value when the field is absent.
	 * @return mixed
	 */
	public static function field( \WP_Error $error, string $key, mixed $fallback = null ): mixed {
		return Errors::field( $error, $key, $fallback );
	}

	/**
	 * The same error, retried later: whatever keeps the sidecar from starting (no Node.js, a broken build,
	 * permissions) an admin can fix, so callers such as the backup queue keep their jobs.
	 *
	 * @param \WP_Error $error Error.
	 * @return \WP_Error
	 */
	public static function as_backoff( \WP_Error $error ): \WP_Error {
		$data = array(
			'retry'     => self::BACKOFF,
			'retryable' => true,
		) + (array) $error->get_error_data();
		return new \WP_Error( $error->get_error_code(), $error->get_error_message(), $data );
	}

	/**
	 * The same error for a site of a multisite network: the sidecar's runtime directory, socket, log, token
	 * file and binaries are the host's, shared by every site, so file paths are left out of the message and
	 * the fix (network admins read them in their notice). Unchanged on a single site.
	 *
	 * @param \WP_Error $error Error.
	 * @return \WP_Error
	 */
	public static function for_sites( \WP_Error $error ): \WP_Error {
		if ( ! is_multisite() ) {
			return $error;
		}
		$data = (array) $error->get_error_data();
		foreach ( array( 'fix', 'cause', 'message' ) as $key ) {
			if ( isset( $data[ $key ] ) && is_string( $data[ $key ] ) ) {
				$data[ $key ] = self::hide_paths( $data[ $key ] );
			}
		}
		return new \WP_Error( $error->get_error_code(), self::hide_paths( $error->get_error_message() ), $data );
	}

	/**
	 * Replaces absolute file paths in a text (not URLs) with "[…]".
	 *
	 * @param string $text Text.
	 * @return string
	 */
	private static function hide_paths( string $text ): string {
		return (string) preg_replace( '#(?<![\w.:/~-])/[^\s\'"),;]*(?<!\.)#u', __( '[path shown to network administrators]', 'wps3' ), $text );
	}

	/**
	 * "The sidecar cannot be reached": retried later.
	 *
	 * @param string $message       Message.
	 * @param bool   $not_connected Whether the request never reached a sidecar (then starting one may help).
	 * @return \WP_Error
	 */
	public static function unavailable( string $message, bool $not_connected ): \WP_Error {
		return self::make(
			'SIDECAR_UNAVAILABLE',
			$message,
			array(
				'fix'           => Errors::describe( 'SIDECAR_UNAVAILABLE', $message )['fix'],
				'not_connected' => $not_connected,
			),
			self::BACKOFF
		);
	}

	/**
	 * "Nothing is sent there, and starting a sidecar cannot help" (a port of another user, an unreadable
	 * token file): retried later, once an admin fixed it.
	 *
	 * @param string $message Message.
	 * @param string $fix     What the admin does.
	 * @return \WP_Error
	 */
	public static function refused( string $message, string $fix ): \WP_Error {
		return self::make(
			'SIDECAR_UNAVAILABLE',
			$message,
			array(
				'fix'           => $fix,
				'not_connected' => false,
				'no_start'      => true,
			),
			self::BACKOFF
		);
	}

	/**
	 * A configuration or installation problem around the sidecar (missing Node.js, script, curl, …).
	 *
	 * @param string $message Message.
	 * @param string $fix     What the admin does.
	 * @param string $code    Code (SIDECAR_UNAVAILABLE or NODE_MISSING).
	 * @return \WP_Error
	 */
	public static function setup( string $message, string $fix, string $code = 'SIDECAR_UNAVAILABLE' ): \WP_Error {
		return self::make( $code, $message, array( 'fix' => $fix ) );
	}

	/**
	 * The sidecar answered something that is not its JSON protocol.
	 *
	 * @param int $status HTTP status.
	 * @return \WP_Error
	 */
	public static function bad_response( int $status ): \WP_Error {
		return self::make(
			'SIDECAR_BAD_RESPONSE',
			/* translators: %d: HTTP status */
			sprintf( __( 'The sidecar sent an unexpected response (HTTP %d).', 'wps3' ), $status ),
			array( 'fix' => __( 'Check that the sidecar matches this plugin version; see the sidecar log.', 'wps3' ) ),
			self::BACKOFF
		);
	}
}
