<?php
/**
 * WPS3\Sidecar\RuntimeDir and RuntimeSuffix: the default runtime directory's name.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Sidecar;

use WPS3\Sidecar\RuntimeDir;
use WPS3\Sidecar\RuntimeSuffix;
use WPS3\Tests\Unit\TestCase;

/**
 * Suffix validation and the directory name built from it.
 */
final class RuntimeDirTest extends TestCase {

	/**
	 * Only 16 lower-case hex digits are a stored suffix; anything else is replaced.
	 */
	public function test_suffix_validation(): void {
		$this->assertTrue( RuntimeSuffix::is_valid( '0123456789abcdef' ) );
		foreach ( array( '', '0123456789ABCDEF', '0123456789abcde', '0123456789abcdef0', '0123456789abcdeg', "0123456789abcdef\n", '../../../../tmp/x', null, 1234567890123456, array( 'a' ) ) as $bad ) {
			$this->assertFalse( RuntimeSuffix::is_valid( $bad ), var_export( $bad, true ) );
		}
	}

	/**
	 * The name depends on the install and the plugin copy (8 hex digits) and ends with the suffix.
	 */
	public function test_default_path(): void {
		$a = RuntimeDir::default_path( '/tmp/', '/srv/a/', '/srv/a/wp-content/plugins/wps3', '0123456789abcdef' );
		$this->assertMatchesRegularExpression( '#^/tmp/wps3-[0-9a-f]{8}-0123456789abcdef$#', $a );
		$this->assertSame( $a, RuntimeDir::default_path( '/tmp', '/srv/a/', '/srv/a/wp-content/plugins/wps3', '0123456789abcdef' ), 'a trailing slash on the temp dir changes nothing' );
		$this->assertNotSame( $a, RuntimeDir::default_path( '/tmp', '/srv/b/', '/srv/a/wp-content/plugins/wps3', '0123456789abcdef' ), 'another install' );
		$this->assertNotSame( $a, RuntimeDir::default_path( '/tmp', '/srv/a/', '/srv/a/wp-content/plugins/wps3-copy', '0123456789abcdef' ), 'another plugin copy' );
		$this->assertLessThan( 100 - strlen( '/sidecar.sock' ), strlen( RuntimeDir::default_path( '/var/tmp/php', '/srv/a/', '/p', 'ffffffffffffffff' ) ), 'leaves room for the socket name' );
	}
}
