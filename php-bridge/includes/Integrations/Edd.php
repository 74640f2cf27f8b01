<?php
/**
 * Easy Digital Downloads adapter: a download's file may be a bucket object; the buyer gets a presigned GET.
 *
 * Written against edd_process_download() (EDD 3.1+, includes/process-download.php): after the purchase
 * checks it runs `edd_requested_file` ($requested_file, $download_files, $file_key, $args) — 2.x passes the
 * first three only — and then redirects to any non-local http(s) URL whatever the download method, so
 * returning the presigned URL is enough.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Integrations;

use WPS3\Links\ObjectLinks;

defined( 'ABSPATH' ) || exit;

/**
 * Filter callback.
 */
final class Edd {

	/**
	 * Registers the filter.
	 *
	 * @return void
	 */
	public static function boot(): void {
		add_filter( 'edd_requested_file', array( self::class, 'requested_file' ), 20, 4 );
	}

	/**
	 * Replaces a bucket reference by a presigned GET; anything else passes through untouched.
	 *
	 * @param mixed $requested_file File path or URL.
	 * @param mixed $download_files The download's files.
	 * @param mixed $file_key       Key of the requested file.
	 * @param mixed $args           Verified download arguments (EDD 3.x).
	 * @return mixed
	 */
	public static function requested_file( $requested_file, $download_files = array(), $file_key = '', $args = array() ) {
		if ( ! is_string( $requested_file ) ) {
			return $requested_file;
		}
		$object = ObjectLinks::parse( $requested_file );
		if ( null === $object ) {
			return $requested_file;
		}
		$files = is_array( $download_files ) ? $download_files : array();
		$name  = is_scalar( $file_key ) && isset( $files[ $file_key ]['name'] ) && is_string( $files[ $file_key ]['name'] ) ? $files[ $file_key ]['name'] : '';
		$url   = is_wp_error( $object ) ? $object : ObjectLinks::presigned_url(
			$object,
			array(
				'user_id'  => get_current_user_id(),
				'source'   => 'edd',
				'file_key' => $file_key,
				'args'     => is_array( $args ) ? $args : array(),
			) + ( '' !== $name && str_contains( $name, '.' ) ? array( 'filename' => $name ) : array() )
		);
		if ( is_string( $url ) ) {
			return $url;
		}
		wp_die( esc_html( $url->get_error_message() ), esc_html__( 'Download unavailable', 'wps3' ), array( 'response' => 503 ) );
	}
}
