<?php
/**
 * Expiring download links for objects an admin attached to something downloadable.
 *
 * Parsing references (`s3://bucket/key`, `bucket/key`, endpoint URLs, `[wps3_object …]`) is the core's rule,
 * reached through the sidecar op `object-ref`; keys keep `+`, spaces and non-ASCII exactly.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Links;

use WPS3\Transfers\Storage;

defined( 'ABSPATH' ) || exit;

/**
 * Parse, authorize, presign.
 */
final class ObjectLinks {

	/**
	 * Parses a reference. Null when the text is not one of ours (a local path, a foreign URL).
	 *
	 * @param string $reference Text from a product's file field.
	 * @return array{bucket:string,key:string}|null|\WP_Error
	 */
	public static function parse( string $reference ) {
		return self::parse_many( array( $reference ) )[0];
	}

	/**
	 * Parses many references in one sidecar round trip (a page of links), each as parse() does.
	 *
	 * @param array<int|string, string> $references Texts, by the caller's keys.
	 * @return array<int|string, array{bucket:string,key:string}|null|\WP_Error> Under the same keys.
	 */
	public static function parse_many( array $references ): array {
		$out  = array();
		$refs = array();
		foreach ( $references as $i => $reference ) {
			$out[ $i ] = null; // Empty text is no reference; the rest is filled in below, in the caller's order.
			if ( '' !== trim( $reference ) ) {
				$refs[ $i ] = trim( $reference );
			}
		}
		if ( array() === $refs ) {
			return $out;
		}
		$target = Storage::target();
		$ops    = array();
		foreach ( $refs as $reference ) {
			$ops[] = array(
				'op'   => 'object-ref',
				'args' => array(
					'ref'     => $reference,
					'storage' => is_wp_error( $target ) ? array() : $target['storage'],
				),
			);
		}
		$answers = is_wp_error( $target ) ? $target : \WPS3\Sidecar\Client::instance()->batch( $ops, 15 );
		$n       = 0;
		foreach ( array_keys( $refs ) as $i ) {
			$parsed = is_wp_error( $answers ) ? $answers : ( $answers[ $n++ ] ?? new \WP_Error( 'wps3_bad_object_ref', __( 'The sidecar answered fewer references than were asked for.', 'wps3' ) ) );
			if ( is_wp_error( $target ) ) {
				$out[ $i ] = $target;
			} elseif ( is_wp_error( $parsed ) ) {
				$out[ $i ] = new \WP_Error( 'wps3_bad_object_ref', $parsed->get_error_message(), array( 'status' => 400 ) );
			} elseif ( ! empty( $parsed['found'] ) ) {
				$out[ $i ] = array(
					'bucket' => (string) $parsed['bucket'],
					'key'    => (string) $parsed['key'],
				);
			}
		}
		return $out;
	}

	/**
	 * Whether links may be made for this object: by default only the configured bucket, and never the
	 * plugin's own backups (path prefix) or members' uploads (`uploads/`), which have their own access rules.
	 *
	 * @param array $object  `{ bucket, key }`.
	 * @param array $context `user_id`, `source` (`api`, `woocommerce`, `edd`) and host data.
	 * @return bool
	 */
	public static function allowed( array $object, array $context ): bool {
		$settings = \WPS3\Settings\Settings::instance();
		$prefix   = $settings->path_prefix();
		$key      = (string) $object['key'];
		$allowed  = Storage::bucket() === (string) $object['bucket']
			&& ! str_starts_with( $key, 'uploads/' )
			&& ( '' === $prefix || ! str_starts_with( $key, $prefix ) );
		/**
		 * Filters whether an expiring link may be made for a bucket object.
		 *
		 * @param bool  $allowed Default: configured bucket, outside the backup prefix and uploads/.
		 * @param array $object  `{ bucket, key }`.
		 * @param array $context `user_id`, `source` and what the host passed.
		 */
		return true === apply_filters( 'wps3_object_link_allowed', $allowed, $object, $context );
	}

	/**
	 * Lifetime of links in seconds: 5 to 60 minutes, default 15.
	 *
	 * @param int|null $requested Seconds asked for by the caller.
	 * @return int
	 */
	public static function expires( ?int $requested = null ): int {
		/**
		 * Filters the lifetime of expiring object links, in seconds (clamped to 300..3600).
		 *
		 * @param int $seconds Default 900.
		 */
		$seconds = (int) apply_filters( 'wps3_object_link_expires', $requested ?? 15 * MINUTE_IN_SECONDS );
		return max( 5 * MINUTE_IN_SECONDS, min( HOUR_IN_SECONDS, $seconds ) );
	}

	/**
	 * A presigned GET for an object reference.
	 *
	 * @param string|array $object Reference text, or `{ bucket, key }`.
	 * @param array        $args   `expires` (seconds), `filename` (default: the key's last segment), `user_id`,
	 *                             `source`, plus anything the permission filter should see.
	 * @return string|\WP_Error
	 */
	public static function presigned_url( $object, array $args = array() ) {
		return self::presigned_urls( array( $object ), $args )[0];
	}

	/**
	 * Presigned GETs for many objects (a page of links): each is parsed and authorized as presigned_url() does,
	 * then every object of one bucket is signed in one `presign-page` call, with the storage and the sealed
	 * secret stated once (the sidecar opens the secret once for the whole page).
	 *
	 * @param array<int|string, string|array> $objects References or `{ bucket, key }` (a `filename` entry of an array
	 *                                                 overrides `$args['filename']` for that object).
	 * @param array                           $args    As presigned_url() takes them, for every object.
	 * @return array<int|string, string|\WP_Error> One URL or error per object, under the same keys, in the same order.
	 */
	public static function presigned_urls( array $objects, array $args = array() ): array {
		$out     = array();
		$buckets = array();
		// Every reference text of the page parsed in one round trip.
		$parsed = self::parse_many( array_filter( $objects, 'is_string' ) );
		foreach ( $objects as $i => $object ) {
			$op = self::download_op( is_string( $object ) ? ( $parsed[ $i ] ?? self::not_a_ref() ) : $object, $args );
			if ( is_wp_error( $op ) ) {
				$out[ $i ] = $op;
				continue;
			}
			$buckets[ $op['bucket'] ][ $i ] = $op['args'];
		}
		foreach ( $buckets as $bucket => $ops ) {
			$out = self::sign_bucket( (string) $bucket, $ops ) + $out;
		}
		$ordered = array();
		foreach ( array_keys( $objects ) as $i ) {
			$ordered[ $i ] = $out[ $i ];
		}
		return $ordered;
	}

	/**
	 * Parses and authorizes one object; returns its bucket and link (`key`, `filename`, `expiresIn`).
	 *
	 * @param string|array|\WP_Error $object Reference text, `{ bucket, key }`, or why a parsed reference is none.
	 * @param array                  $args   See presigned_url().
	 * @return array{bucket:string,args:array<string,mixed>}|\WP_Error
	 */
	private static function download_op( $object, array $args ) {
		if ( is_string( $object ) ) {
			$object = self::parse( $object ) ?? self::not_a_ref();
		}
		if ( is_wp_error( $object ) ) {
			return $object;
		}
		if ( ! is_array( $object ) || ! isset( $object['bucket'], $object['key'] ) || ! is_string( $object['bucket'] ) || ! is_string( $object['key'] ) ) {
			return new \WP_Error( 'wps3_bad_object_ref', __( 'An object is a reference string or an array with bucket and key.', 'wps3' ), array( 'status' => 400 ) );
		}
		$context = $args + array(
			'user_id' => get_current_user_id(),
			'source'  => 'api',
		);
		if ( ! self::allowed( $object, $context ) ) {
			return new \WP_Error( 'wps3_link_forbidden', __( 'Links to this object are not allowed.', 'wps3' ), array( 'status' => 403 ) );
		}
		$key   = $object['key'];
		$named = $object['filename'] ?? ( $args['filename'] ?? null );
		return array(
			'bucket' => $object['bucket'],
			'args'   => array(
				'key'       => $key,
				'filename'  => is_string( $named ) && '' !== $named ? $named : (string) substr( (string) strrchr( '/' . $key, '/' ), 1 ),
				'expiresIn' => self::expires( isset( $args['expires'] ) ? (int) $args['expires'] : null ),
			),
		);
	}

	/**
	 * The error for text that is not a reference.
	 *
	 * @return \WP_Error
	 */
	private static function not_a_ref(): \WP_Error {
		return new \WP_Error( 'wps3_not_an_object_ref', __( 'This is not a reference to a stored object (s3://bucket/key, bucket/key, a storage URL or [wps3_object]).', 'wps3' ), array( 'status' => 400 ) );
	}

	/**
	 * Signs the downloads of one bucket: one `presign-page` round trip per lifetime (the lifetime filter sees
	 * each link; a page's links normally share one), the core building each Content-Disposition.
	 *
	 * @param string                                 $bucket Bucket.
	 * @param array<int|string, array<string,mixed>> $ops    `key`, `filename`, `expiresIn` by the caller's keys.
	 * @return array<int|string, string|\WP_Error>
	 */
	private static function sign_bucket( string $bucket, array $ops ): array {
		$target = Storage::target( $bucket );
		if ( is_wp_error( $target ) ) {
			return array_fill_keys( array_keys( $ops ), $target );
		}
		$pages = array();
		foreach ( $ops as $i => $args ) {
			$pages[ (int) $args['expiresIn'] ][ $i ] = $args;
		}
		$out = array();
		foreach ( $pages as $expires => $links ) {
			$page = \WPS3\Sidecar\Client::instance()->presign_page(
				$target['storage'],
				$target['credentials'],
				array_column( $links, 'key' ),
				array(
					'expiresIn' => $expires,
					'filenames' => array_column( $links, 'filename' ),
				),
				60
			);
			$n    = 0;
			foreach ( array_keys( $links ) as $i ) {
				$out[ $i ] = is_wp_error( $page ) ? $page : $page['urls'][ $n++ ];
			}
		}
		return $out;
	}
}
