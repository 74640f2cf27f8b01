<?php
/**
 * One error model for sidecar, storage and WordPress-side failures.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3;

defined( 'ABSPATH' ) || exit;

/**
 * Builds and reads the plugin's WP_Error objects.
 *
 * Every WP_Error the plugin returns carries, in its data array:
 * - `code`: a stable string (the S3 code such as `SignatureDoesNotMatch` for storage errors, otherwise
 *   the sidecar's or the plugin's code such as `NETWORK_ERROR`);
 * - `retry`: the single retry decision, `never`, `backoff` or `after-clock-fix`. The core makes it for
 *   everything the sidecar reports; PHP sets it only for failures that happen on the WordPress side
 *   (database, missing settings, a sidecar that cannot be reached);
 * - `retryable`: `retry !== 'never'`, derived, for hooks and callers that only need a yes or no;
 * - `adviceId`, `cause`, `fix`: what the admin reads, translated through {@see AdviceTexts}.
 */
final class Errors {

	public const RETRY_NEVER           = 'never';
	public const RETRY_BACKOFF         = 'backoff';
	public const RETRY_AFTER_CLOCK_FIX = 'after-clock-fix';

	/**
	 * Values of `retry`.
	 *
	 * @var string[]
	 */
	private const RETRY_VALUES = array( self::RETRY_NEVER, self::RETRY_BACKOFF, self::RETRY_AFTER_CLOCK_FIX );

	/**
	 * Fields of a sidecar error that are kept in the WP_Error's data as they are.
	 *
	 * @var string[]
	 */
	private const PASSTHROUGH = array( 's3Code', 'httpStatus', 'requestId', 'region', 'bucketRegion', 'endpoint', 'serverTime', 'clockSkewSeconds', 'retryAfterSeconds' );

	/**
	 * Creates an error that happened on the WordPress side.
	 *
	 * @param string               $code    Stable code.
	 * @param string               $message Message for humans (also the default cause).
	 * @param array<string, mixed> $data    Extra data: fix, retry (default never), adviceId, and anything callers read back with field().
	 * @return \WP_Error
	 */
	public static function make( string $code, string $message, array $data = array() ): \WP_Error {
		$retry = self::normalize_retry( $data['retry'] ?? null ) ?? self::RETRY_NEVER;
		$data  = array_merge(
			array(
				'code'     => $code,
				'cause'    => $message,
				'fix'      => '',
				'adviceId' => '',
			),
			$data
		);

		$data['retry']     = $retry;
		$data['retryable'] = self::RETRY_NEVER !== $retry;
		return new \WP_Error( self::wp_code( $code ), $message, $data );
	}

	/**
	 * Turns an error object returned by the sidecar (docs/CONTRACTS.md) into a WP_Error.
	 *
	 * @param array<string, mixed> $error Sidecar error object (`{ code, message, retry, adviceId, … }`).
	 * @return \WP_Error
	 */
	public static function from_sidecar( array $error ): \WP_Error {
		$code    = isset( $error['code'] ) && is_string( $error['code'] ) && '' !== $error['code'] ? $error['code'] : 'INTERNAL';
		$message = isset( $error['message'] ) && is_scalar( $error['message'] ) ? (string) $error['message'] : __( 'The sidecar reported an error.', 'wps3' );
		$stable  = $code;
		if ( 'S3_ERROR' === $code && ! empty( $error['s3Code'] ) && is_string( $error['s3Code'] ) ) {
			$stable = $error['s3Code'];
		}

		$advice_id = isset( $error['adviceId'] ) && is_string( $error['adviceId'] ) ? $error['adviceId'] : '';
		$texts     = AdviceTexts::resolve( $advice_id, $code, $error, $message );

		$data = array(
			'code'      => $stable,
			'cause'     => $texts['cause'],
			'fix'       => $texts['fix'],
			'adviceId'  => $advice_id,
			'retry'     => self::retry_of( $error ),
			'retryable' => false,
			'raw'       => $error,
		);
		foreach ( self::PASSTHROUGH as $field ) {
			if ( isset( $error[ $field ] ) ) {
				$data[ $field ] = $error[ $field ];
			}
		}
		$data['retryable'] = self::RETRY_NEVER !== $data['retry'];
		return new \WP_Error( self::wp_code( $stable ), $message, $data );
	}

	/**
	 * The retry decision a sidecar error carries.
	 *
	 * Sidecars built before the `retry` enum (an old service sidecar the plugin did not start) send only the
	 * boolean `retryable`; it is the same decision, so it is read when `retry` is absent.
	 *
	 * @param array<string, mixed> $error Sidecar error object.
	 * @return string One of the RETRY_* constants.
	 */
	public static function retry_of( array $error ): string {
		$retry = self::normalize_retry( $error['retry'] ?? null );
		if ( null !== $retry ) {
			return $retry;
		}
		return ! empty( $error['retryable'] ) ? self::RETRY_BACKOFF : self::RETRY_NEVER;
	}

	/**
	 * Translated cause and fix of a stable advice id, or null when the plugin has no entry for it.
	 *
	 * @param string               $advice_id Kebab-case advice id from the core (or one of the plugin's own).
	 * @param array<string, mixed> $fields    Error fields the texts may name (region, bucketRegion, requestId, …).
	 * @return array{cause: string, fix: string}|null
	 */
	public static function advice( string $advice_id, array $fields = array() ): ?array {
		return AdviceTexts::translated( $advice_id, $fields );
	}

	/**
	 * Reads one field of a plugin WP_Error's data.
	 *
	 * @param \WP_Error $error    WP_Error.
	 * @param string    $key      Field.
	 * @param mixed     $fallback Value when the field is absent.
	 * @return mixed
	 */
	public static function field( \WP_Error $error, string $key, $fallback = null ) {
		$data = $error->get_error_data();
		if ( is_array( $data ) && array_key_exists( $key, $data ) ) {
			return $data[ $key ];
		}
		return $fallback;
	}

	/**
	 * The retry decision of an error (`never` for a WP_Error that is not one of ours).
	 *
	 * @param \WP_Error $error Error.
	 * @return string One of the RETRY_* constants.
	 */
	public static function retry( \WP_Error $error ): string {
		return self::normalize_retry( self::field( $error, 'retry' ) ) ?? self::RETRY_NEVER;
	}

	/**
	 * Whether sending the same request again later may succeed.
	 *
	 * @param \WP_Error $error Error.
	 * @return bool
	 */
	public static function is_retryable( \WP_Error $error ): bool {
		return self::RETRY_NEVER !== self::retry( $error );
	}

	/**
	 * Default cause and fix texts for a code the plugin itself reports (sidecar start, files, settings).
	 *
	 * @param string $code    Code.
	 * @param string $message Message (the cause).
	 * @return array{cause: string, fix: string}
	 */
	public static function describe( string $code, string $message ): array {
		return AdviceTexts::resolve( '', $code, array(), $message );
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
	public static function filter_misuse( string $hook, string $expected, $value ): void {
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

	/**
	 * A known retry value, or null.
	 *
	 * @param mixed $value Candidate.
	 * @return string|null
	 */
	private static function normalize_retry( $value ): ?string {
		return is_string( $value ) && in_array( $value, self::RETRY_VALUES, true ) ? $value : null;
	}

	/**
	 * The WP_Error code of a stable code: `wps3_` plus the code in lower case.
	 *
	 * @param string $code Stable code.
	 * @return string
	 */
	private static function wp_code( string $code ): string {
		return 'wps3_' . strtolower( (string) preg_replace( '/[^A-Za-z0-9_]/', '_', $code ) );
	}
}
