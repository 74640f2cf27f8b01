<?php
/**
 * The transfers area's one door to the sidecar: storage settings and credentials in, results out.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Runs sidecar ops against the configured storage. No S3 rules here: the core decides, the sidecar talks.
 */
final class Storage {

	/**
	 * The sidecar RPC client.
	 *
	 * @return \WPS3\Sidecar\Client
	 */
	private static function client(): \WPS3\Sidecar\Client {
		return \WPS3\Sidecar\Client::instance();
	}

	/**
	 * The settings service.
	 *
	 * @return object With storage( array $overrides ) and credentials().
	 */
	private static function settings(): object {
		return \WPS3\Settings\Settings::instance();
	}

	/**
	 * Storage and credentials of the configured bucket (or another bucket on the same endpoint).
	 *
	 * @param string $bucket Bucket to use instead of the configured one ('' = configured).
	 * @return array{storage:array,credentials:array}|\WP_Error
	 */
	public static function target( string $bucket = '' ) {
		$storage = self::settings()->storage( '' === $bucket ? array() : array( 'bucket' => $bucket ) );
		if ( is_wp_error( $storage ) ) {
			return $storage;
		}
		$credentials = self::settings()->credentials();
		if ( is_wp_error( $credentials ) ) {
			return $credentials;
		}
		return array(
			'storage'     => $storage,
			'credentials' => $credentials,
		);
	}

	/**
	 * Runs an op that needs no storage (pure core rules).
	 *
	 * @param string $op   Op name.
	 * @param array  $args Arguments.
	 * @return array|\WP_Error
	 */
	public static function pure( string $op, array $args ) {
		return self::client()->call( $op, $args, 15 );
	}

	/**
	 * Runs an op against the storage, adding `storage` and `credentials`.
	 *
	 * @param string $op     Op name.
	 * @param array  $args   Arguments.
	 * @param string $bucket Bucket ('' = configured).
	 * @return array|\WP_Error
	 */
	public static function call( string $op, array $args, string $bucket = '' ) {
		$target = self::target( $bucket );
		if ( is_wp_error( $target ) ) {
			return $target;
		}
		if ( isset( $args['path'] ) && is_string( $args['path'] ) ) {
			// A file is read only from inside the allowed roots (the sidecar checks what it opened).
			$args = array_merge( $args, \WPS3\Files\AllowedRoots::upload_args( $args['path'] ) );
		}
		return self::client()->call( $op, $target + $args, 60 );
	}

	/**
	 * One S3 action through the sidecar's generic `s3` op (the core builds and parses it).
	 *
	 * @param string $action Action, e.g. `create_multipart_upload`.
	 * @param array  $args   Action arguments (camelCase, as the core names them).
	 * @param string $bucket Bucket ('' = configured).
	 * @return array|\WP_Error
	 */
	public static function s3( string $action, array $args, string $bucket = '' ) {
		return self::call(
			's3',
			array(
				'action' => $action,
				'args'   => $args,
			),
			$bucket
		);
	}

	/**
	 * HEAD of an object: `exists`, `size`, `contentType`.
	 *
	 * @param string $key    Key.
	 * @param string $bucket Bucket ('' = configured).
	 * @return array|\WP_Error
	 */
	public static function head( string $key, string $bucket = '' ) {
		return self::call( 'head-object', array( 'key' => $key ), $bucket );
	}

	/**
	 * Deletes an object (a missing one counts as deleted).
	 *
	 * @param string $key    Key.
	 * @param string $bucket Bucket ('' = configured).
	 * @return array|\WP_Error
	 */
	public static function delete( string $key, string $bucket = '' ) {
		return self::call( 'delete-object', array( 'key' => $key ), $bucket );
	}

	/**
	 * The configured bucket's name, or '' when storage is not configured.
	 *
	 * @return string
	 */
	public static function bucket(): string {
		$storage = self::settings()->storage();
		return is_wp_error( $storage ) ? '' : (string) $storage['bucket'];
	}

	/**
	 * The configured provider id, or ''.
	 *
	 * @return string
	 */
	public static function provider(): string {
		$storage = self::settings()->storage();
		return is_wp_error( $storage ) ? '' : (string) $storage['provider'];
	}
}
