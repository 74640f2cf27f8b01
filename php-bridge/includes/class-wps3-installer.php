<?php
/**
 * Transitional: the old global name of the installer, for callers not yet converted to WPS3\Install\Schema.
 * Removed once no caller on main uses it.
 *
 * @package wps3
 */

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

// phpcs:disable PSR1.Classes.ClassDeclaration.MissingNamespace -- the old global name, kept only until its last caller is converted.

use WPS3\Install\Schema;

/**
 * Forwards the table helpers the backup queue uses.
 *
 * @deprecated Use WPS3\Install\Schema.
 */
final class WPS3_Installer {

	/**
	 * See Schema::tables().
	 *
	 * @return array{jobs:string,backups:string}
	 */
	public static function tables(): array {
		return Schema::tables();
	}

	/**
	 * See Schema::maybe_upgrade().
	 *
	 * @return void
	 */
	public static function maybe_upgrade(): void {
		Schema::maybe_upgrade();
	}
}
