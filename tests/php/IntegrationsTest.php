<?php
/**
 * Expiring links for stored objects: wps3_presigned_url(), the permission filter, and the WooCommerce and
 * EDD adapters called through their filters with exactly the arguments those hosts pass.
 *
 * Hosts (neither can be installed here), read from their download handlers:
 * - WooCommerce 8.x–10.x, WC_Download_Handler::download_product(): apply_filters(
 *   'woocommerce_download_product_filepath', string $file_path, string $email_address, WC_Order|false $order,
 *   WC_Product $product, WC_Customer_Download $download ), then in ::download() apply_filters(
 *   'woocommerce_file_download_method', string $method, int $product_id, string $file_path ).
 * - Easy Digital Downloads 3.1+, edd_process_download(): apply_filters( 'edd_requested_file',
 *   string $requested_file, array $download_files, int $file_key, array $args ) (EDD 2.x: the first three).
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions

use WPS3\Transfers\Storage;

/**
 * Stand-ins for the host objects the filters receive (the adapters only pass them on).
 */
final class WPS3_Test_WC_Product {
	/**
	 * Product id.
	 *
	 * @return int
	 */
	public function get_id() {
		return 42;
	}
}

/**
 * WC_Customer_Download stand-in.
 */
final class WPS3_Test_WC_Customer_Download {
	/**
	 * Download id.
	 *
	 * @return string
	 */
	public function get_download_id() {
		return 'c0ffee';
	}
}

/**
 * Link and adapter tests.
 */
class IntegrationsTest extends WPS3_E2E_TestCase {

	/**
	 * The object all forms point at: a key with `+`, spaces and non-ASCII.
	 */
	const KEY = 'shop/C++ Primer + Übungen (2. Auflage).pdf';

	/**
	 * Its bytes.
	 *
	 * @var string
	 */
	private static $bytes = '';

	/**
	 * Stores the object once.
	 */
	protected function setUp(): void {
		parent::setUp();
		if ( '' === self::$bytes ) {
			self::$bytes = '%PDF-1.4 ' . wp_generate_password( 64, true, true );
			$file        = wp_tempnam( 'wps3-link', trailingslashit( self::env( 'E2E_DIR' ) ) ); // Inside the harness's allowed root.
			file_put_contents( $file, self::$bytes );
			$put = Storage::call(
				'upload-file',
				array(
					'key'         => self::KEY,
					'path'        => $file,
					'contentType' => 'application/pdf',
				)
			);
			unlink( $file );
			$this->assertIsArray( $put, is_wp_error( $put ) ? $put->get_error_message() : '' );
		}
		add_filter( 'wp_die_handler', array( $this, 'die_handler' ) );
	}

	/**
	 * Removes the test's filters.
	 */
	protected function tearDown(): void {
		remove_filter( 'wp_die_handler', array( $this, 'die_handler' ) );
		remove_all_filters( 'wps3_object_link_allowed' );
		remove_all_filters( 'wps3_object_link_expires' );
		parent::tearDown();
	}

	/**
	 * Makes wp_die() testable.
	 *
	 * @return callable
	 */
	public function die_handler() {
		return static function ( $message ) {
			throw new RuntimeException( 'wp_die: ' . ( is_string( $message ) ? $message : wp_json_encode( $message ) ) );
		};
	}

	/**
	 * The reference forms an admin may paste.
	 *
	 * @return string[]
	 */
	private function forms() {
		$bucket  = self::env( 'S3_BUCKET' );
		$encoded = implode( '/', array_map( 'rawurlencode', explode( '/', self::KEY ) ) );
		return array(
			's3://' . $bucket . '/' . self::KEY,
			$bucket . '/' . self::KEY,
			self::env( 'S3_ENDPOINT' ) . '/' . $bucket . '/' . $encoded,
			'[wps3_object bucket="' . $bucket . '" key="' . self::KEY . '"]',
			'[wps3_object key="' . self::KEY . '"]',
		);
	}

	/**
	 * Fetches a presigned URL and checks bytes and the saved name.
	 *
	 * @param mixed  $url      URL.
	 * @param string $filename Expected name.
	 * @return void
	 */
	private function assertServes( $url, $filename ) {
		$this->assertIsString( $url, is_wp_error( $url ) ? $url->get_error_message() : '' );
		$this->assertStringStartsWith( self::env( 'S3_ENDPOINT' ) . '/', $url );
		$res = wp_remote_get( $url );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $res ), wp_remote_retrieve_body( $res ) );
		$this->assertSame( self::$bytes, wp_remote_retrieve_body( $res ), 'the key was kept exactly (+, spaces, non-ASCII)' );
		$disposition = (string) wp_remote_retrieve_header( $res, 'content-disposition' );
		// Plain ASCII names need no filename*; others carry it next to an ASCII fallback.
		if ( preg_match( '/^[ -~]*$/', $filename ) ) {
			$this->assertSame( 'attachment; filename="' . $filename . '"', $disposition );
		} else {
			$this->assertMatchesRegularExpression( "/filename\\*=UTF-8''([^;\\s]+)/", $disposition );
			preg_match( "/filename\\*=UTF-8''([^;\\s]+)/", $disposition, $m );
			$this->assertSame( $filename, rawurldecode( $m[1] ) );
		}
	}

	/**
	 * Every reference form resolves to the same object; the key's `+` stays a plus.
	 */
	public function test_presigned_url_accepts_every_reference_form() {
		foreach ( $this->forms() as $form ) {
			$this->assertServes( wps3_presigned_url( $form ), 'C++ Primer + Übungen (2. Auflage).pdf' );
		}
		$this->assertServes(
			wps3_presigned_url(
				array(
					'bucket' => self::env( 'S3_BUCKET' ),
					'key'    => self::KEY,
				),
				array( 'filename' => 'Buch.pdf' )
			),
			'Buch.pdf'
		);
	}

	/**
	 * A page of links in one call: every form of one object in one batch envelope, each answer under its
	 * caller's key and in order, refusals and broken references in their own slots.
	 */
	public function test_presigned_urls_signs_a_page_in_order() {
		$bucket  = self::env( 'S3_BUCKET' );
		$objects = array();
		foreach ( $this->forms() as $n => $form ) {
			$objects[ "form-$n" ] = $form;
		}
		$objects['forbidden'] = 's3://' . $bucket . '/uploads/7/x.pdf';
		$objects['renamed']   = array(
			'bucket'   => $bucket,
			'key'      => self::KEY,
			'filename' => 'Buch.pdf',
		);
		$objects['foreign']   = '/var/www/file.zip';
		$urls                 = \WPS3\Links\ObjectLinks::presigned_urls( $objects );
		$this->assertSame( array_keys( $objects ), array_keys( $urls ) );
		foreach ( array_keys( $this->forms() ) as $n ) {
			$this->assertServes( $urls[ "form-$n" ], 'C++ Primer + Übungen (2. Auflage).pdf' );
		}
		$this->assertServes( $urls['renamed'], 'Buch.pdf' );
		$this->assertSame( 'wps3_link_forbidden', $urls['forbidden']->get_error_code() );
		$this->assertSame( 'wps3_not_an_object_ref', $urls['foreign']->get_error_code() );
	}

	/**
	 * Client::presign_page() against the storage: every URL is the single `presign` op's for its link and serves
	 * the object under the file name the core built the disposition from; a bad key fails its own slot only.
	 */
	public function test_client_presign_page_signs_each_link_as_a_single_presign_would() {
		$target = Storage::target();
		$this->assertIsArray( $target );
		$client    = \WPS3\Sidecar\Client::instance();
		$now       = time();
		$keys      = array( self::KEY, '', self::KEY, self::KEY );
		$filenames = array( 'Buch.pdf', 'x.pdf', null, 'Prüfung 2 + 2.pdf' );
		$page      = $client->presign_page(
			$target['storage'],
			$target['credentials'],
			$keys,
			array(
				'now'       => $now,
				'expiresIn' => 600,
				'filenames' => $filenames,
			)
		);
		$this->assertIsArray( $page, is_wp_error( $page ) ? $page->get_error_message() : '' );
		$this->assertSame( array( 0, 1, 2, 3 ), array_keys( $page['urls'] ) );
		$this->assertInstanceOf( WP_Error::class, $page['urls'][1] );
		$this->assertSame( 'INVALID_KEY', \WPS3\Errors::field( $page['urls'][1], 'code' ) );
		$this->assertSame( gmdate( 'Y-m-d\TH:i:s\Z', $now + 600 ), $page['expiresAt'] );
		$this->assertTrue( \WPS3\Backup\Queue::instance()->links()->is_our_url( $page['urls'][0], $page['endpoint'] ) );
		foreach ( array( 0, 2, 3 ) as $i ) {
			$disposition = null === $filenames[ $i ] ? null : $client->call(
				'content-disposition',
				array(
					'filename'    => $filenames[ $i ],
					'disposition' => 'attachment',
				)
			)['value'];
			$single      = $client->call(
				'presign',
				$target + array(
					'now'                        => $now,
					'method'                     => 'GET',
					'key'                        => $keys[ $i ],
					'expiresIn'                  => 600,
					'responseContentDisposition' => $disposition,
				)
			);
			$this->assertIsArray( $single );
			$this->assertSame( $single['url'], $page['urls'][ $i ], "link $i" );
		}
		$this->assertServes( $page['urls'][0], 'Buch.pdf' );
		$this->assertServes( $page['urls'][3], 'Prüfung 2 + 2.pdf' );
		$res = wp_remote_get( $page['urls'][2] );
		$this->assertSame( self::$bytes, wp_remote_retrieve_body( $res ) );
		$this->assertSame( '', (string) wp_remote_retrieve_header( $res, 'content-disposition' ), 'no file name, no disposition' );

		$refused = $client->presign_page( $target['storage'], $target['credentials'], $keys, array( 'expiresIn' => 0 ) );
		$this->assertInstanceOf( WP_Error::class, $refused, 'what the page shares fails the page' );
		$this->assertSame( 'INVALID_EXPIRES', \WPS3\Errors::field( $refused, 'code' ) );
	}

	/**
	 * Lifetimes are clamped to 5–60 minutes (default 15).
	 */
	public function test_link_lifetime_is_clamped() {
		$ref = $this->forms()[0];
		$this->assertStringContainsString( 'X-Amz-Expires=900&', wps3_presigned_url( $ref ) );
		$this->assertStringContainsString( 'X-Amz-Expires=300&', wps3_presigned_url( $ref, array( 'expires' => 5 ) ) );
		$this->assertStringContainsString( 'X-Amz-Expires=3600&', wps3_presigned_url( $ref, array( 'expires' => 999999 ) ) );
	}

	/**
	 * Backups, members' uploads and other buckets are refused unless the filter allows them.
	 */
	public function test_permission_filter_guards_objects() {
		foreach ( array( 's3://' . self::env( 'S3_BUCKET' ) . '/wpsigner/contract.pdf', 's3://' . self::env( 'S3_BUCKET' ) . '/uploads/7/x.pdf', 's3://other-bucket/a.pdf' ) as $ref ) {
			$err = wps3_presigned_url( $ref );
			$this->assertInstanceOf( WP_Error::class, $err, $ref );
			$this->assertSame( 'wps3_link_forbidden', $err->get_error_code() );
		}
		add_filter( 'wps3_object_link_allowed', '__return_false' );
		$this->assertInstanceOf( WP_Error::class, wps3_presigned_url( $this->forms()[0] ) );
		add_filter( 'wps3_object_link_allowed', static fn ( $allowed, $object ) => 'other-bucket' === $object['bucket'], 20, 2 );
		$this->assertIsString( wps3_presigned_url( 's3://other-bucket/a.pdf' ) );
	}

	/**
	 * Broken and foreign references.
	 */
	public function test_references_that_are_not_ours_or_broken() {
		$this->assertSame( 'wps3_not_an_object_ref', wps3_presigned_url( '/var/www/file.zip' )->get_error_code() );
		$this->assertSame( 'wps3_bad_object_ref', wps3_presigned_url( 's3://bucket-only' )->get_error_code() );
		$this->assertSame( 'wps3_bad_object_ref', wps3_presigned_url( array( 'key' => 'x' ) )->get_error_code() );
	}

	/**
	 * WooCommerce: the path filter as WC_Download_Handler::download_product() calls it, then the method filter.
	 */
	public function test_woocommerce_filepath_and_redirect_method() {
		$product  = new WPS3_Test_WC_Product();
		$download = new WPS3_Test_WC_Customer_Download();
		foreach ( $this->forms() as $form ) {
			$url = apply_filters( 'woocommerce_download_product_filepath', $form, 'buyer@example.test', false, $product, $download );
			$this->assertServes( $url, 'C++ Primer + Übungen (2. Auflage).pdf' );
			$this->assertSame( 'redirect', apply_filters( 'woocommerce_file_download_method', 'force', $product->get_id(), $url ) );
		}
		foreach ( array( '/var/www/html/wp-content/uploads/woocommerce_uploads/file.zip', 'https://example.com/file.zip' ) as $foreign ) {
			$this->assertSame( $foreign, apply_filters( 'woocommerce_download_product_filepath', $foreign, 'buyer@example.test', false, $product, $download ) );
			$this->assertSame( 'force', apply_filters( 'woocommerce_file_download_method', 'force', $product->get_id(), $foreign ) );
		}
		$this->expectException( RuntimeException::class );
		apply_filters( 'woocommerce_download_product_filepath', 's3://bucket-only', 'buyer@example.test', false, $product, $download );
	}

	/**
	 * EDD: edd_requested_file as edd_process_download() calls it (3.x with $args, 2.x without).
	 */
	public function test_edd_requested_file() {
		$ref   = $this->forms()[0];
		$files = array(
			0 => array(
				'index'          => '0',
				'attachment_id'  => 0,
				'thumbnail_size' => false,
				'name'           => 'Primer.pdf',
				'file'           => $ref,
				'condition'      => 'all',
			),
		);
		$args  = array(
			'download' => 12,
			'email'    => 'buyer@example.test',
			'file_key' => 0,
			'price_id' => false,
			'payment'  => 99,
		);
		$this->assertServes( apply_filters( 'edd_requested_file', $ref, $files, 0, $args ), 'Primer.pdf' );
		$this->assertServes( apply_filters( 'edd_requested_file', $ref, $files, 0 ), 'Primer.pdf' );
		$this->assertSame( '/srv/edd/file.zip', apply_filters( 'edd_requested_file', '/srv/edd/file.zip', $files, 0, $args ) );
		$this->expectException( RuntimeException::class );
		apply_filters( 'edd_requested_file', 's3://' . self::env( 'S3_BUCKET' ) . '/uploads/1/a.pdf', $files, 0, $args );
	}
}
