<?php
/**
 * The host's document, as the queue accepts it.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * Turns what the host passes to `wps_document_completed` / wps3_backup_document() into the fields the
 * queue stores. Nothing about S3 here: only what makes a document a document (an id, a completed status,
 * an absolute path).
 */
final class Document {

	/**
	 * Ids that start with this belong to the demo's sample documents (WPS3\Demo\Documents), never to a host's.
	 * Jobs are unique per document id, so a shared id space would let a sample document take a real
	 * document's job (or the other way round) without a word.
	 */
	public const DEMO_PREFIX = 'demo-';

	/**
	 * Whether ids with DEMO_PREFIX are accepted right now (only inside demo_scope()).
	 *
	 * @var bool
	 */
	private static bool $demo_scope = false;

	/**
	 * Runs $fn (the demo firing `wps_document_completed`) with the demo's id space open.
	 *
	 * @param callable $fn Callback.
	 * @return void
	 */
	public static function demo_scope( callable $fn ): void {
		$before           = self::$demo_scope;
		self::$demo_scope = true;
		try {
			$fn();
		} finally {
			self::$demo_scope = $before;
		}
	}

	/**
	 * Normalizes a host document (array or object).
	 *
	 * @param mixed $document Host document with `id` (or `document_id`), `title`, `status`, `path` (or `file_path`).
	 * @return array<string, mixed>|\WP_Error The host's scalar fields plus normalized id, title, status and path.
	 */
	public static function normalize( $document ): array|\WP_Error {
		if ( is_object( $document ) ) {
			$document = get_object_vars( $document );
		}
		if ( ! is_array( $document ) ) {
			return Errors::make( 'INVALID_DOCUMENT', __( 'The document must be an array or an object with id, title, status and path.', 'wps3' ) );
		}
		$id = $document['id'] ?? ( $document['document_id'] ?? null );
		if ( ! is_scalar( $id ) || '' === trim( (string) $id ) || strlen( (string) $id ) > 191 || preg_match( '/[\x00-\x1F\x7F]/', (string) $id ) ) {
			return Errors::make( 'INVALID_DOCUMENT', __( 'The document has no usable id.', 'wps3' ) );
		}
		$id = trim( (string) $id );
		if ( ! self::$demo_scope && str_starts_with( strtolower( $id ), self::DEMO_PREFIX ) ) {
			return Errors::make(
				'INVALID_DOCUMENT',
				/* translators: %s: the reserved id prefix */
				sprintf( __( 'Document ids starting with "%s" are reserved for the plugin\'s demo documents.', 'wps3' ), self::DEMO_PREFIX )
			);
		}
		$status = isset( $document['status'] ) && is_scalar( $document['status'] ) ? (string) $document['status'] : 'completed';
		if ( 'completed' !== $status ) {
			return Errors::make(
				'NOT_COMPLETED',
				/* translators: %s: status */
				sprintf( __( 'Only completed documents are backed up (status is "%s").', 'wps3' ), $status )
			);
		}
		$path = $document['path'] ?? ( $document['file_path'] ?? '' );
		if ( ! is_string( $path ) || '' === $path || '/' !== $path[0] || preg_match( '/[\x00-\x1F]/', $path ) ) {
			return Errors::make( 'INVALID_DOCUMENT', __( 'The document path must be the absolute path of the signed PDF.', 'wps3' ) );
		}
		$title = isset( $document['title'] ) && is_scalar( $document['title'] ) ? sanitize_text_field( (string) $document['title'] ) : '';
		if ( '' === $title ) {
			/* translators: %s: document id */
			$title = sprintf( __( 'Document %s', 'wps3' ), $id );
		}
		$out = array();
		foreach ( $document as $key => $value ) {
			if ( is_string( $key ) && ( is_scalar( $value ) || null === $value ) ) {
				$out[ $key ] = $value;
			}
		}
		$out['id']     = $id;
		$out['title']  = $title;
		$out['status'] = 'completed';
		$out['path']   = $path;
		return $out;
	}

	/**
	 * The document as stored with the job (JSON, at most 64 KiB; '' when it cannot be encoded).
	 *
	 * @param array<string, mixed> $document Normalized document.
	 * @return string
	 */
	public static function to_json( array $document ): string {
		$json = wp_json_encode( $document );
		return false === $json ? '' : substr( $json, 0, 65535 );
	}
}
