<?php
/**
 * Error helpers: one WP_Error shape for sidecar, storage and configuration failures.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

/**
 * Builds and classifies WP_Error objects.
 *
 * Every WP_Error the plugin returns carries, in its data array:
 * `code` (stable string: an S3 code such as `SignatureDoesNotMatch`, or a sidecar/core code such as
 * `NETWORK_ERROR`), `cause` and `fix` (human text), `retryable` and `permanent` (booleans).
 */
class WPS3_Errors {

	/**
	 * Creates a plugin error.
	 *
	 * @param string $code      Stable code.
	 * @param string $message   Message for humans.
	 * @param array  $data      Extra data: cause, fix, retryable, permanent, …
	 * @return WP_Error
	 */
	public static function make( $code, $message, array $data = array() ) {
		$data = array_merge(
			array(
				'code'      => $code,
				'cause'     => $message,
				'fix'       => '',
				'retryable' => false,
				'permanent' => true,
			),
			$data
		);
		return new WP_Error( 'wps3_' . strtolower( preg_replace( '/[^A-Za-z0-9_]/', '_', (string) $code ) ), $message, $data );
	}

	/**
	 * Turns an error object returned by the sidecar into a WP_Error.
	 *
	 * @param array $error Sidecar error object (`{ code, message, … }`).
	 * @return WP_Error
	 */
	public static function from_sidecar( array $error ) {
		$code    = isset( $error['code'] ) ? (string) $error['code'] : 'INTERNAL';
		$message = isset( $error['message'] ) ? (string) $error['message'] : __( 'The sidecar reported an error.', 'wps3' );

		$stable = $code;
		if ( 'S3_ERROR' === $code && ! empty( $error['s3Code'] ) ) {
			$stable = (string) $error['s3Code'];
		}

		$retryable = self::default_retryable( $code, $error );
		if ( array_key_exists( 'retryable', $error ) ) {
			$retryable = (bool) $error['retryable'];
		}
		$permanent = ! $retryable;
		if ( array_key_exists( 'permanent', $error ) ) {
			$permanent = (bool) $error['permanent'];
		}
		if ( $permanent ) {
			$retryable = false;
		}
		if ( in_array( $code, array( 'INTERNAL', 'CANCELLED' ), true ) ) {
			// A bug hit or a request cancelled in the sidecar says nothing about the document: the queue retries
			// it (bounded by max_attempts), whatever the sidecar's retryable flag says.
			$retryable = true;
			$permanent = false;
		}

		$defaults = self::describe( $code, $message );
		$data     = array(
			'code'      => $stable,
			'cause'     => ! empty( $error['cause'] ) ? (string) $error['cause'] : $defaults['cause'],
			'fix'       => ! empty( $error['fix'] ) ? (string) $error['fix'] : $defaults['fix'],
			'retryable' => $retryable,
			'permanent' => $permanent,
			'raw'       => $error,
		);
		return new WP_Error( 'wps3_' . strtolower( preg_replace( '/[^A-Za-z0-9_]/', '_', $stable ) ), $message, $data );
	}

	/**
	 * Whether a sidecar error code is worth retrying when the sidecar did not say.
	 *
	 * @param string $code  Sidecar code.
	 * @param array  $error Whole error.
	 * @return bool
	 */
	private static function default_retryable( $code, array $error ) {
		if ( in_array( $code, array( 'NETWORK_ERROR', 'SHUTTING_DOWN', 'INTERNAL', 'CANCELLED', 'SIDECAR_UNAVAILABLE', 'SIDECAR_BAD_RESPONSE', 'REQUEST_TIMEOUT', 'FILE_UNREADABLE', 'FILE_NOT_FOUND', 'FILE_CHANGED' ), true ) ) {
			// FILE_NOT_FOUND: the host may fire the hook before the PDF is written; the queue bounds these
			// retries (WPS3_Backup_Queue::file_attempts()).
			return true;
		}
		if ( 'S3_ERROR' === $code ) {
			$status = isset( $error['httpStatus'] ) ? (int) $error['httpStatus'] : 0;
			$s3code = isset( $error['s3Code'] ) ? (string) $error['s3Code'] : '';
			return $status >= 500 || 429 === $status || in_array( $s3code, array( 'SlowDown', 'RequestTimeout', 'InternalError', 'ServiceUnavailable' ), true );
		}
		return false;
	}

	/**
	 * Default cause and fix texts for non-storage codes.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @return array{cause:string,fix:string}
	 */
	public static function describe( $code, $message ) {
		switch ( $code ) {
			case 'NETWORK_ERROR':
				return array(
					'cause' => $message,
					'fix'   => __( 'The storage endpoint could not be reached. The backup is retried automatically; check the endpoint and the network if this persists.', 'wps3' ),
				);
			case 'FILE_NOT_FOUND':
				return array(
					'cause' => $message,
					'fix'   => __( 'The signed PDF is not at the recorded path. Restore the file (or complete the document again), then click Retry.', 'wps3' ),
				);
			case 'FILE_UNREADABLE':
				return array(
					'cause' => $message,
					'fix'   => __( 'The signed PDF cannot be read by the sidecar (a directory, or no permission). It is retried automatically; fix the file permissions if this persists.', 'wps3' ),
				);
			case 'FILE_CHANGED':
				return array(
					'cause' => $message,
					'fix'   => __( 'The signed PDF changed while it was uploaded. It is retried automatically.', 'wps3' ),
				);
			case 'REQUEST_TIMEOUT':
				return array(
					'cause' => $message,
					'fix'   => __( 'The sidecar did not receive the request in time. It is retried automatically.', 'wps3' ),
				);
			case 'DECRYPT_FAILED':
			case 'UNSUPPORTED_ENVELOPE':
				return array(
					'cause' => __( 'The stored secret access key cannot be decrypted (the WordPress salts or WPS3_ENCRYPTION_SALT changed).', 'wps3' ),
					'fix'   => __( 'Enter the secret access key again in Settings → S3 Backups and save.', 'wps3' ),
				);
			case 'INVALID_BUCKET':
			case 'INVALID_ENDPOINT':
			case 'INVALID_REGION':
				return array(
					'cause' => $message,
					'fix'   => __( 'Correct the storage settings in Settings → S3 Backups, then click Retry.', 'wps3' ),
				);
			case 'INVALID_KEY':
			case 'INVALID_TEMPLATE':
				return array(
					'cause' => $message,
					'fix'   => __( 'Check the key template and any wps_s3_backup_key filter, then click Retry.', 'wps3' ),
				);
			case 'SIDECAR_UNAVAILABLE':
				return array(
					'cause' => $message,
					'fix'   => __( 'The backup is retried automatically. If this persists, check that Node.js is installed (or set WPS3_NODE_BINARY) and read the sidecar log.', 'wps3' ),
				);
			default:
				return array(
					'cause' => $message,
					'fix'   => '',
				);
		}
	}

	/**
	 * Reads one field of a plugin WP_Error's data.
	 *
	 * @param WP_Error $error WP_Error.
	 * @param string   $key   Field.
	 * @param mixed    $fallback Default.
	 * @return mixed
	 */
	public static function field( WP_Error $error, $key, $fallback = null ) {
		$data = $error->get_error_data();
		if ( is_array( $data ) && array_key_exists( $key, $data ) ) {
			return $data[ $key ];
		}
		return $fallback;
	}

	/**
	 * Whether a WP_Error should be retried later.
	 *
	 * @param WP_Error $error Error.
	 * @return bool
	 */
	public static function is_retryable( WP_Error $error ) {
		return (bool) self::field( $error, 'retryable', false );
	}

	/**
	 * Reports a filter callback that returned an unusable value (a `_doing_it_wrong()` notice, never a fatal);
	 * the caller falls back to the default.
	 *
	 * @param string $hook     Filter name.
	 * @param string $expected What the filter must return.
	 * @param mixed  $value    What it returned.
	 * @return void
	 */
	public static function filter_misuse( $hook, $expected, $value ) {
		$message = sprintf(
			/* translators: 1: filter name, 2: expected type, 3: actual type */
			__( 'The %1$s filter must return %2$s; it returned %3$s. The default value is used instead.', 'wps3' ),
			$hook,
			$expected,
			is_object( $value ) ? get_class( $value ) : gettype( $value )
		);
		if ( function_exists( '_doing_it_wrong' ) ) {
			_doing_it_wrong( esc_html( $hook ), esc_html( $message ), '0.1.0' );
		}
	}
}
