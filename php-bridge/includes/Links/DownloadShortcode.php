<?php
/**
 * `[wps3_download object="s3://bucket/key"]Download[/wps3_download]`: a link that sends logged-in visitors to a
 * fresh presigned GET. The link carries the reference and its HMAC, so a visitor cannot point it elsewhere.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Links;

defined( 'ABSPATH' ) || exit;

/**
 * Shortcode and its admin-post handler.
 */
final class DownloadShortcode {

	/** The admin-post action. */
	const ACTION = 'wps3_object_download';

	/**
	 * Registers the shortcode and the handlers.
	 *
	 * @return void
	 */
	public static function register(): void {
		add_shortcode( 'wps3_download', array( self::class, 'render' ) );
		add_action( 'admin_post_' . self::ACTION, array( self::class, 'handle' ) );
		add_action( 'admin_post_nopriv_' . self::ACTION, array( self::class, 'handle' ) );
	}

	/**
	 * Renders the link.
	 *
	 * @param mixed  $atts    Attributes (`object`).
	 * @param string $content Link text.
	 * @return string
	 */
	public static function render( $atts, $content = '' ): string {
		$atts = shortcode_atts( array( 'object' => '' ), is_array( $atts ) ? $atts : array(), 'wps3_download' );
		$ref  = (string) $atts['object'];
		if ( '' === $ref ) {
			return '';
		}
		$url  = add_query_arg(
			array(
				'action' => self::ACTION,
				'ref'    => rawurlencode( base64_encode( $ref ) ), // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- transport encoding of the reference, not obfuscation.
				'sig'    => wp_hash( 'wps3_download|' . $ref ),
			),
			admin_url( 'admin-post.php' )
		);
		$text = '' !== trim( (string) $content ) ? (string) $content : __( 'Download', 'wps3' );
		return '<a class="wps3-download" rel="nofollow noreferrer" href="' . esc_url( $url ) . '">' . esc_html( wp_strip_all_tags( $text ) ) . '</a>';
	}

	/**
	 * Checks the link, the visitor and the object, then redirects to a presigned GET.
	 *
	 * @return void
	 */
	public static function handle(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- the HMAC of the reference is the check; the link must work from any page.
		$ref = base64_decode( rawurldecode( (string) wp_unslash( $_GET['ref'] ?? '' ) ), true ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized,WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
		$sig = sanitize_text_field( wp_unslash( $_GET['sig'] ?? '' ) );
		// phpcs:enable WordPress.Security.NonceVerification.Recommended
		if ( ! is_string( $ref ) || '' === $ref || ! hash_equals( wp_hash( 'wps3_download|' . $ref ), $sig ) ) {
			wp_die( esc_html__( 'This download link is not valid.', 'wps3' ), esc_html__( 'Download unavailable', 'wps3' ), array( 'response' => 404 ) );
		}
		if ( ! is_user_logged_in() ) {
			wp_safe_redirect( wp_login_url( wp_get_referer() ? wp_get_referer() : home_url() ) );
			exit;
		}
		/**
		 * Filters whether the current user may follow a [wps3_download] link.
		 *
		 * @param bool   $allowed Default: any logged-in user.
		 * @param string $ref     The object reference.
		 * @param int    $user_id User.
		 */
		if ( true !== apply_filters( 'wps3_download_link_allowed', true, $ref, get_current_user_id() ) ) {
			wp_die( esc_html__( 'You may not download this file.', 'wps3' ), esc_html__( 'Download unavailable', 'wps3' ), array( 'response' => 403 ) );
		}
		$url = ObjectLinks::presigned_url( $ref, array( 'source' => 'shortcode' ) );
		if ( is_wp_error( $url ) ) {
			// A refused or malformed reference is the link's fault (4xx, as the error says); only storage trouble is 503.
			$data   = $url->get_error_data();
			$status = is_array( $data ) && isset( $data['status'] ) && (int) $data['status'] >= 400 && (int) $data['status'] < 500 ? (int) $data['status'] : 503;
			wp_die( esc_html( $url->get_error_message() ), esc_html__( 'Download unavailable', 'wps3' ), array( 'response' => $status ) );
		}
		nocache_headers();
		header( 'Cache-Control: no-store' );
		header( 'Referrer-Policy: no-referrer' );
		wp_redirect( $url ); // phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect -- the storage endpoint is not a local host.
		exit;
	}
}
