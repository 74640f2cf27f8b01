<?php
/**
 * Short-lived download links of stored backups.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

use WPS3\Errors;
use WPS3\Settings\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Presigns a GET of a backup (as an attachment) and checks that the URL the sidecar returned points at
 * the storage the core resolved for that backup.
 */
final class BackupLinks {

	/**
	 * Presigned GET URL for downloading a backup.
	 *
	 * @param array<string, mixed> $backup Backup row (object_key, bucket, and the provider, endpoint and region it was written with).
	 * @return string|\WP_Error
	 */
	public function download_url( array $backup ): string|\WP_Error {
		$settings = Settings::instance();
		// Old backups are read with the settings they were written with (provider, endpoint, region).
		$overrides = array( 'bucket' => (string) ( $backup['bucket'] ?? '' ) );
		foreach ( array( 'provider', 'endpoint', 'region' ) as $field ) {
			if ( isset( $backup[ $field ] ) && is_string( $backup[ $field ] ) && '' !== $backup[ $field ] ) {
				$overrides[ $field ] = $backup[ $field ];
			}
		}
		$storage = $settings->storage( $overrides );
		if ( is_wp_error( $storage ) ) {
			return $storage;
		}
		$credentials = $settings->credentials();
		if ( is_wp_error( $credentials ) ) {
			return $credentials;
		}
		$key      = (string) ( $backup['object_key'] ?? '' );
		$filename = basename( $key );
		$prepared = \WPS3\Sidecar\Client::instance()->batch(
			array(
				array(
					'op'   => 'content-disposition',
					'args' => array(
						'filename'    => '' === $filename ? 'backup.pdf' : $filename,
						'disposition' => 'attachment',
					),
				),
				array(
					'op'   => 'validate-settings',
					'args' => $storage,
				),
			)
		);
		if ( is_wp_error( $prepared ) ) {
			return $prepared;
		}
		foreach ( $prepared as $answer ) {
			if ( is_wp_error( $answer ) ) {
				return $answer;
			}
		}
		$endpoint = is_array( $prepared[1]['endpoint'] ?? null ) ? $prepared[1]['endpoint'] : null;
		if ( null === $endpoint ) {
			return self::unexpected( __( 'The core could not resolve the storage endpoint of this backup.', 'wps3' ) );
		}
		/**
		 * Lifetime in seconds of download links (default 300).
		 *
		 * @param int $expires Seconds.
		 */
		$expires = (int) apply_filters( 'wps3_download_expires', 300 );
		$signed  = \WPS3\Sidecar\Client::instance()->call(
			'presign',
			array(
				'storage'                    => $storage,
				'credentials'                => $credentials,
				'method'                     => 'GET',
				'key'                        => $key,
				'expiresIn'                  => max( 1, min( 604800, $expires ) ),
				'query'                      => array(),
				'headers'                    => array(),
				'responseContentDisposition' => (string) ( $prepared[0]['value'] ?? '' ),
				'responseContentType'        => 'application/pdf',
			)
		);
		if ( is_wp_error( $signed ) ) {
			return $signed;
		}
		$url = isset( $signed['url'] ) ? (string) $signed['url'] : '';
		if ( ! $this->is_our_url( $url, $endpoint ) ) {
			return self::unexpected( __( 'The sidecar returned a download URL for an unexpected host.', 'wps3' ) );
		}
		return $url;
	}

	/**
	 * The endpoint the core resolves for a storage object (`validate-settings`), or why not.
	 *
	 * @param array<string, mixed> $storage Storage object.
	 * @return array<string, mixed>|\WP_Error `{ scheme, host, addressingStyle, region, bucketUrl }`.
	 */
	public function endpoint_of( array $storage ): array|\WP_Error {
		$checked = \WPS3\Sidecar\Client::instance()->call( 'validate-settings', $storage );
		if ( is_wp_error( $checked ) ) {
			return $checked;
		}
		return is_array( $checked['endpoint'] ?? null ) ? $checked['endpoint'] : self::unexpected( __( 'The core could not resolve the storage endpoint.', 'wps3' ) );
	}

	/**
	 * Whether a presigned URL carries a signature and points at the resolved endpoint (same scheme, same
	 * host and port).
	 *
	 * @param string               $url      URL.
	 * @param array<string, mixed> $endpoint The core's resolved endpoint (`scheme`, `host` with a non-default port).
	 * @return bool
	 */
	public function is_our_url( string $url, array $endpoint ): bool {
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || empty( $parts['query'] ) || ! str_contains( $parts['query'], 'X-Amz-Signature=' ) ) {
			return false;
		}
		$scheme = strtolower( (string) ( $parts['scheme'] ?? '' ) );
		$host   = strtolower( $parts['host'] ) . ( isset( $parts['port'] ) ? ':' . (int) $parts['port'] : '' );
		return '' !== $scheme
			&& strtolower( (string) ( $endpoint['scheme'] ?? '' ) ) === $scheme
			&& strtolower( (string) ( $endpoint['host'] ?? '' ) ) === $host;
	}

	/**
	 * PRESIGN_FAILED.
	 *
	 * @param string $message Why.
	 * @return \WP_Error
	 */
	private static function unexpected( string $message ): \WP_Error {
		return Errors::make( 'PRESIGN_FAILED', $message );
	}
}
