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
		return $this->download_urls( array( $backup ) )[0];
	}

	/**
	 * Presigned GET URLs for many backups (a page of links). Per storage the backups were written to, one
	 * round trip signs them all, with the storage and the sealed secret stated once (the sidecar opens the
	 * secret once for the whole page).
	 *
	 * @param array<int|string, array<string, mixed>> $backups Backup rows, as download_url() takes them.
	 * @return array<int|string, string|\WP_Error> One URL or error per backup, under the same keys, in the same order.
	 */
	public function download_urls( array $backups ): array {
		$settings    = Settings::instance();
		$credentials = $settings->credentials();
		$out         = array();
		$groups      = array();
		foreach ( $backups as $i => $backup ) {
			// A page's backups were mostly written with the same settings: one storage object and one batch each.
			$overrides = self::overrides( $backup );
			$id        = (string) wp_json_encode( $overrides );
			if ( ! isset( $groups[ $id ] ) ) {
				$groups[ $id ] = array(
					'storage' => $settings->storage( $overrides ),
					'backups' => array(),
				);
			}
			$storage = $groups[ $id ]['storage'];
			if ( is_wp_error( $storage ) || is_wp_error( $credentials ) ) {
				$out[ $i ] = is_wp_error( $storage ) ? $storage : $credentials;
				continue;
			}
			$groups[ $id ]['backups'][ $i ] = $backup;
		}
		foreach ( $groups as $group ) {
			if ( array() !== $group['backups'] ) {
				$out = $this->sign_group( $group['storage'], (array) $credentials, $group['backups'] ) + $out;
			}
		}
		$ordered = array();
		foreach ( array_keys( $backups ) as $i ) {
			$ordered[ $i ] = $out[ $i ];
		}
		return $ordered;
	}

	/**
	 * Old backups are read with the settings they were written with (provider, endpoint, region).
	 *
	 * @param array<string, mixed> $backup Backup row.
	 * @return array<string, string> Settings overrides.
	 */
	private static function overrides( array $backup ): array {
		$overrides = array( 'bucket' => (string) ( $backup['bucket'] ?? '' ) );
		foreach ( array( 'provider', 'endpoint', 'region' ) as $field ) {
			if ( isset( $backup[ $field ] ) && is_string( $backup[ $field ] ) && '' !== $backup[ $field ] ) {
				$overrides[ $field ] = $backup[ $field ];
			}
		}
		return $overrides;
	}

	/**
	 * Download URLs of backups that share one storage, in one round trip (`presign-page`): the core builds each
	 * Content-Disposition from the backup's file name, signs every key, and names the endpoint it signed for.
	 *
	 * @param array<string, mixed>                    $storage     Storage object.
	 * @param array<string, mixed>                    $credentials Credentials (sealed secret).
	 * @param array<int|string, array<string, mixed>> $backups     Backup rows.
	 * @return array<int|string, string|\WP_Error>
	 */
	private function sign_group( array $storage, #[\SensitiveParameter] array $credentials, array $backups ): array {
		$keys      = array();
		$filenames = array();
		foreach ( $backups as $backup ) {
			$key         = (string) ( $backup['object_key'] ?? '' );
			$filename    = basename( $key );
			$keys[]      = $key;
			$filenames[] = '' === $filename ? 'backup.pdf' : $filename;
		}
		/**
		 * Lifetime in seconds of download links (default 300).
		 *
		 * @param int $expires Seconds.
		 */
		$expires = max( 1, min( 604800, (int) apply_filters( 'wps3_download_expires', 300 ) ) );
		$page    = \WPS3\Sidecar\Client::instance()->presign_page(
			$storage,
			$credentials,
			$keys,
			array(
				'expiresIn'           => $expires,
				'filenames'           => $filenames,
				'disposition'         => 'attachment',
				'responseContentType' => 'application/pdf',
			)
		);
		if ( is_wp_error( $page ) ) {
			return array_fill_keys( array_keys( $backups ), $page );
		}
		$out = array();
		$n   = 0;
		foreach ( array_keys( $backups ) as $i ) {
			$url       = $page['urls'][ $n++ ];
			$out[ $i ] = is_wp_error( $url ) || $this->is_our_url( $url, $page['endpoint'] ) ? $url : self::unexpected( __( 'The sidecar returned a download URL for an unexpected host.', 'wps3' ) );
		}
		return $out;
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
		// A page's URLs start with the endpoint itself: no parsing for them (a fragment or anything else goes the
		// parsing way, which decides the same for every URL this way accepts).
		$scheme = strtolower( (string) ( $endpoint['scheme'] ?? '' ) );
		$host   = strtolower( (string) ( $endpoint['host'] ?? '' ) );
		$origin = $scheme . '://' . $host . '/';
		$query  = strpos( $url, '?' );
		if ( '' !== $scheme && '' !== $host && false !== $query && ! str_contains( $url, '#' ) && str_starts_with( $url, $origin )
			&& str_contains( substr( $url, $query ), 'X-Amz-Signature=' ) ) {
			return true;
		}
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
