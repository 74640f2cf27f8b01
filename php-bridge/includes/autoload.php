<?php
/**
 * Class autoloader for the plugin's namespaced classes.
 *
 * `WPS3\Sidecar\Client` lives in `includes/Sidecar/Client.php` (PSR-4, base `includes/`).
 * WordPress's own `class-*.php` naming is not used because namespaces already say where a
 * class belongs; phpcs.xml.dist records that deviation.
 *
 * @package wps3
 */

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

spl_autoload_register(
	static function ( string $class_name ): void {
		if ( ! str_starts_with( $class_name, 'WPS3\\' ) ) {
			return;
		}
		$relative = str_replace( '\\', '/', substr( $class_name, 5 ) );
		$file     = __DIR__ . '/' . $relative . '.php';
		if ( is_readable( $file ) ) {
			require_once $file;
		}
	}
);
