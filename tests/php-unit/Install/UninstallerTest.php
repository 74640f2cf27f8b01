<?php
/**
 * Issue 10, hole 7: uninstall keeps an admin-supplied WPS3_SIDECAR_TOKEN_FILE, also when it lives in the
 * plugin's default runtime directory, and removes everything else there.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Install;

use WPS3\Install\Uninstaller;
use WPS3\Tests\Unit\TestCase;

/**
 * Uninstaller::clear_default_dir on a real directory.
 */
final class UninstallerTest extends TestCase {

	/**
	 * A fresh private directory holding the files a running plugin leaves in its default runtime directory.
	 *
	 * @return array{0: string, 1: string[]} The directory and the plugin's file list for it.
	 */
	private function runtime_dir(): array {
		$dir = sys_get_temp_dir() . '/wps3-unit-uninstall-' . bin2hex( random_bytes( 4 ) );
		mkdir( $dir, 0700 );
		$files = array();
		foreach ( array( 'sidecar.sock', 'sidecar.pid', 'sidecar.lock', 'sidecar.log', 'sidecar.started', 'sidecar.token' ) as $name ) {
			$files[] = $dir . '/' . $name;
			file_put_contents( $dir . '/' . $name, 'x' );
		}
		return array( $dir, $files );
	}

	/**
	 * Removes what a test left.
	 *
	 * @param string $dir Directory.
	 */
	private static function cleanup( string $dir ): void {
		foreach ( (array) glob( $dir . '/{,.}[!.]*', GLOB_BRACE ) as $file ) {
			unlink( (string) $file );
		}
		is_dir( $dir ) && rmdir( $dir );
	}

	/**
	 * The admin pointed WPS3_SIDECAR_TOKEN_FILE at the default name, at a name of their own, or at the
	 * default name spelled another way: that file stays, everything else goes.
	 */
	public function test_admin_token_file_in_the_default_directory_stays(): void {
		foreach ( array( 'sidecar.token', 'admin.token', './sidecar.token' ) as $name ) {
			list( $dir, $files ) = $this->runtime_dir();
			try {
				$token = $dir . '/' . $name;
				file_put_contents( $token, 'their token' );
				Uninstaller::clear_default_dir( $dir, $files, $token );
				clearstatcache();
				$this->assertFileExists( $token, "the admin-supplied token file $name is kept" );
				$this->assertSame( 'their token', file_get_contents( $token ) );
				$this->assertSame( array( realpath( $token ) ), glob( $dir . '/{,.}[!.]*', GLOB_BRACE ), 'everything else goes' );
			} finally {
				self::cleanup( $dir );
			}
		}
	}

	/**
	 * Without WPS3_SIDECAR_TOKEN_FILE the whole directory goes.
	 */
	public function test_without_an_admin_token_file_the_directory_is_removed(): void {
		list( $dir, $files ) = $this->runtime_dir();
		try {
			file_put_contents( $dir . '/stray', 'x' );
			Uninstaller::clear_default_dir( $dir, $files, '' );
			clearstatcache();
			$this->assertDirectoryDoesNotExist( $dir );
		} finally {
			self::cleanup( $dir );
		}
	}
}
