<?php
/**
 * The folders uploads may read files from.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Files;

use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * A host may hand the plugin any path (wps3_backup_document(), `wps_document_completed`), and whatever is
 * uploaded can later be downloaded again, so a file is only read when it really lies inside an allowed root:
 * this site's uploads folder, plus the folders the `wps3_allowed_roots` filter adds.
 *
 * WordPress's part is to resolve: the file's real path and the roots' real paths (symlinks followed). The
 * sidecar opens the file and compares what it actually opened with those roots by the core's rule
 * (checkFileRoots), so a folder swapped for a symlink after this check is caught too; a file outside fails
 * with FileOutsideAllowedRoots, which is never retried.
 */
final class AllowedRoots {

	public const FILTER = 'wps3_allowed_roots';

	/**
	 * The allowed roots, resolved: absolute folders that exist.
	 *
	 * @return string[]
	 */
	public static function roots(): array {
		$uploads = wp_upload_dir( null, false );
		$default = array( (string) $uploads['basedir'] );
		/**
		 * Filters the folders the plugin may upload files from (absolute paths). Default: the uploads folder
		 * of the current site. Add the folder a host keeps its signed documents in; symlinks are resolved,
		 * and a file whose real path is outside every root is refused.
		 *
		 * @param string[] $roots Absolute folder paths.
		 */
		$roots = apply_filters( self::FILTER, $default );
		if ( ! is_array( $roots ) ) {
			Errors::filter_misuse( self::FILTER, __( 'an array of absolute folder paths', 'wps3' ), $roots );
			$roots = $default;
		}
		$out = array();
		foreach ( $roots as $root ) {
			if ( ! is_string( $root ) || '' === $root || '/' !== $root[0] ) {
				continue;
			}
			$real = realpath( $root );
			if ( false !== $real && is_dir( $real ) ) {
				$out[] = $real;
			}
		}
		return array_values( array_unique( $out ) );
	}

	/**
	 * The `path` and `allowedRoots` arguments of a sidecar op that reads $path (upload-file, s3 with a path).
	 *
	 * @param string $path Absolute path as the host gave it.
	 * @return array{path: string, allowedRoots: string[]} The real path ($path itself when it does not resolve:
	 *                                                      the sidecar then reports the missing file).
	 */
	public static function upload_args( string $path ): array {
		$real = '' !== $path ? realpath( $path ) : false;
		return array(
			'path'         => false === $real ? $path : $real,
			'allowedRoots' => self::roots(),
		);
	}
}
