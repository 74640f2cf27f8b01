<?php
/**
 * WooCommerce adapter: a downloadable product's file may be a bucket object; the buyer is redirected to a
 * presigned GET, so PHP never proxies the bytes.
 *
 * Written against WC_Download_Handler::download_product() and ::download() (WooCommerce 8.x–10.x trunk):
 * `woocommerce_download_product_filepath` ($file_path, $email_address, $order, $product, $download), since
 * 4.0.0, runs after the purchase checks that identify the download, and `woocommerce_file_download_method`
 * ($method, $product_id, $file_path), since 4.5.0, picks redirect/xsendfile/force. Only these two filters are
 * used. WooCommerce's "Approved download directories" must list the reference's prefix (e.g. `s3://bucket/`).
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Integrations;

use WPS3\Links\ObjectLinks;

defined( 'ABSPATH' ) || exit;

/**
 * Filter callbacks.
 */
final class WooCommerce {

	/**
	 * Presigned URLs this request produced (to recognize them in the method filter).
	 *
	 * @var array<string,bool>
	 */
	private static array $ours = array();

	/**
	 * Registers the filters (they only run inside WooCommerce's download handler).
	 *
	 * @return void
	 */
	public static function boot(): void {
		add_filter( 'woocommerce_download_product_filepath', array( self::class, 'filepath' ), 20, 5 );
		add_filter( 'woocommerce_file_download_method', array( self::class, 'method' ), 20, 3 );
	}

	/**
	 * Replaces a bucket reference by a presigned GET; anything else passes through untouched.
	 *
	 * @param mixed $file_path     The product file's path or URL.
	 * @param mixed $email_address Buyer's email.
	 * @param mixed $order         WC_Order or false.
	 * @param mixed $product       WC_Product.
	 * @param mixed $download      WC_Customer_Download.
	 * @return mixed
	 */
	public static function filepath( $file_path, $email_address = '', $order = false, $product = null, $download = null ) {
		if ( ! is_string( $file_path ) ) {
			return $file_path;
		}
		$object = ObjectLinks::parse( $file_path );
		if ( null === $object ) {
			return $file_path;
		}
		if ( ! is_wp_error( $object ) ) {
			$url = ObjectLinks::presigned_url(
				$object,
				array(
					'user_id'  => get_current_user_id(),
					'source'   => 'woocommerce',
					'email'    => is_string( $email_address ) ? $email_address : '',
					'order'    => $order,
					'product'  => $product,
					'download' => $download,
				)
			);
			if ( is_string( $url ) ) {
				self::$ours[ $url ] = true;
				return $url;
			}
			$object = $url;
		}
		// A broken reference must not fall through to WooCommerce's local-file handling.
		wp_die( esc_html( $object->get_error_message() ), esc_html__( 'Download unavailable', 'wps3' ), array( 'response' => 503 ) );
	}

	/**
	 * Forces the redirect method for our presigned URLs (never `force`, which would stream through PHP).
	 *
	 * @param mixed $method     Configured method.
	 * @param mixed $product_id Product id.
	 * @param mixed $file_path  The (filtered) file path.
	 * @return mixed
	 */
	public static function method( $method, $product_id = 0, $file_path = '' ) {
		return is_string( $file_path ) && isset( self::$ours[ $file_path ] ) ? 'redirect' : $method;
	}
}
