<?php
/**
 * Router for `php -S` serving a WordPress test site (see /work/shared/TOOLCHAIN.md):
 * directories without a trailing slash get a 301, existing files are served as they are,
 * everything else goes to index.php. Multisite subdirectory paths (/<site>/wp-admin/…) map to
 * the real files.
 *
 * @package wps3
 */

$root = $_SERVER['DOCUMENT_ROOT'];
$path = rawurldecode( parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) ?? '/' );
if ( str_contains( $path, '..' ) ) {
	http_response_code( 400 );
	return true;
}

$file = $root . $path;
if ( is_dir( $file ) ) {
	if ( ! str_ends_with( $path, '/' ) ) {
		$query = parse_url( $_SERVER['REQUEST_URI'], PHP_URL_QUERY );
		header( 'Location: ' . $path . '/' . ( $query ? '?' . $query : '' ), true, 301 );
		return true;
	}
	if ( file_exists( $file . 'index.php' ) ) {
		return false;
	}
} elseif ( is_file( $file ) ) {
	return false; // The built-in server serves it (and runs .php files).
}

// /site2/wp-admin/… → /wp-admin/… (subdirectory multisite).
if ( preg_match( '#^/[^/]+(/(?:wp-admin|wp-includes|wp-content)(?:/.*)?|/[^/]+\.php)$#', $path, $m ) ) {
	$real = $root . $m[1];
	if ( is_dir( $real ) ) {
		$real = rtrim( $real, '/' ) . '/index.php';
	}
	if ( is_file( $real ) ) {
		if ( ! str_ends_with( $real, '.php' ) ) {
			$type = array( 'css' => 'text/css', 'js' => 'application/javascript', 'svg' => 'image/svg+xml', 'png' => 'image/png' );
			$ext  = pathinfo( $real, PATHINFO_EXTENSION );
			header( 'Content-Type: ' . ( $type[ $ext ] ?? 'application/octet-stream' ) );
			readfile( $real );
			return true;
		}
		$_SERVER['SCRIPT_NAME']     = $path;
		$_SERVER['PHP_SELF']        = $path;
		$_SERVER['SCRIPT_FILENAME'] = $real;
		chdir( dirname( $real ) );
		require $real;
		return true;
	}
}

$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
chdir( $root );
require $root . '/index.php';
return true;
