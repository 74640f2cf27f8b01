<?php
/**
 * The object key of a document's backup: rendered by the core, then the site's filters.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

use WPS3\Errors;
use WPS3\Settings\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Renders a job's key with the core's `render-key` op and runs `wps3_key_template` and
 * `wps_s3_backup_key`. Whether a key is acceptable is the core's call: the sidecar checks every key it
 * writes, and Runner reports a refused key as the filter's fault.
 */
final class ObjectKey {

	/**
	 * The key of a job's first attempt (later attempts reuse the stored key).
	 *
	 * @param Job    $job         Job.
	 * @param string $provider_id Provider id of the effective settings.
	 * @return string|\WP_Error
	 */
	public function for_job( Job $job, string $provider_id ): string|\WP_Error {
		$document = $job->host_document();
		$key      = $this->render( $job, $document );
		if ( is_wp_error( $key ) ) {
			return $key;
		}
		/**
		 * Filters the object key of a document backup. Runs once per document: the result is stored with
		 * the job and reused by later attempts.
		 *
		 * @param string $key         Rendered key, e.g. `wpsigner/Service-Agreement_2025-01-31_42.pdf`.
		 * @param string $document_id Document id.
		 * @param array  $document    Document (id, title, status, path, and the host's scalar fields).
		 * @param string $provider_id Provider id: amazon_s3, wasabi, cloudflare_r2 or custom.
		 */
		$filtered = apply_filters( 'wps_s3_backup_key', $key, $job->document_id, $document, $provider_id );
		// Only what cannot even be sent is refused here; the core judges every string.
		if ( ! is_string( $filtered ) ) {
			/* translators: %s: PHP type */
			return self::filter_error( sprintf( __( 'returned a %s instead of a string', 'wps3' ), is_object( $filtered ) ? get_class( $filtered ) : gettype( $filtered ) ) );
		}
		if ( '' === $filtered ) {
			return self::filter_error( __( 'returned an empty key', 'wps3' ) );
		}
		if ( ! mb_check_encoding( $filtered, 'UTF-8' ) ) {
			return self::filter_error( __( 'returned a key that is not valid UTF-8', 'wps3' ) );
		}
		return $filtered;
	}

	/**
	 * The error of a key the core refused (`INVALID_KEY` from the sidecar), told as the filter's or the
	 * template's fault, which is where the admin can change it.
	 *
	 * @param \WP_Error $refused The sidecar's INVALID_KEY.
	 * @return \WP_Error
	 */
	public static function refused( \WP_Error $refused ): \WP_Error {
		/* translators: %s: why the key was refused */
		return self::filter_error( sprintf( __( 'or the key template produced a key the storage cannot take: %s', 'wps3' ), $refused->get_error_message() ) );
	}

	/**
	 * INVALID_KEY naming the wps_s3_backup_key filter.
	 *
	 * @param string $reason What the filter did.
	 * @return \WP_Error
	 */
	private static function filter_error( string $reason ): \WP_Error {
		return Errors::make(
			'INVALID_KEY',
			/* translators: %s: what the filter did */
			sprintf( __( 'The wps_s3_backup_key filter %s.', 'wps3' ), $reason ),
			array( 'fix' => __( 'Change the wps_s3_backup_key filter (or the key template) so that it returns a key the storage accepts (the cause says what was wrong), then click Retry.', 'wps3' ) )
		);
	}

	/**
	 * Renders the key with the sidecar's `render-key` op.
	 *
	 * @param Job                  $job      Job.
	 * @param array<string, mixed> $document Host document.
	 * @return string|\WP_Error
	 */
	private function render( Job $job, array $document ): string|\WP_Error {
		$settings = Settings::instance();
		$template = $settings->key_template();
		/**
		 * Filters the key template before rendering. Tokens: {path_prefix} {sanitized_title} {date} {year}
		 * {month} {day} {document_id} {user} {site} (the blog id on a multisite network, 1 on a single site).
		 *
		 * @param string $template Template ('' for the core's default).
		 * @param array  $document Document.
		 */
		$filtered = apply_filters( 'wps3_key_template', $template, $document );
		if ( ! is_string( $filtered ) || ( '' === trim( $filtered ) && '' !== $template ) ) {
			Errors::filter_misuse( 'wps3_key_template', __( 'a non-empty template string', 'wps3' ), $filtered );
			$filtered = $template;
		}
		// Dates in keys follow the site's timezone: shift "now" to the site's wall clock.
		$offset = wp_timezone()->getOffset( new \DateTime( 'now', new \DateTimeZone( 'UTC' ) ) );
		$args   = array(
			'pathPrefix' => $settings->get( 'path_prefix' ),
			'title'      => $job->title,
			'documentId' => $job->document_id,
			'now'        => time() + $offset,
		);
		if ( '' !== $filtered ) {
			$args['template'] = $filtered; // Without one the core uses its default template.
		}
		if ( is_multisite() ) {
			// {site}, and the core's multisite default template when none is set: sites never share keys.
			$args['site'] = (string) get_current_blog_id();
		}
		if ( isset( $document['user'] ) && is_scalar( $document['user'] ) && '' !== (string) $document['user'] ) {
			$args['user'] = (string) $document['user'];
		}
		$result = \WPS3\Sidecar\Client::instance()->call( 'render-key', $args );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		if ( empty( $result['key'] ) || ! is_string( $result['key'] ) ) {
			return Errors::make( 'INVALID_KEY', __( 'The sidecar returned no key.', 'wps3' ), array( 'retry' => Errors::RETRY_BACKOFF ) );
		}
		return $result['key'];
	}
}
