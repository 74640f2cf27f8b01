<?php
/**
 * Issue 10, hole 5: every plugin function parameter that carries a secret, a token, a password, credentials,
 * an envelope or key material is marked #[\SensitiveParameter], so PHP leaves its value out of stack traces
 * (fatal errors in the log, debug backtraces, error reporters). Reflection over every class and function of
 * the plugin: a new parameter with such a name and no attribute fails here.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Tests\Unit\Security;

use WPS3\Tests\Unit\TestCase;

/**
 * Reflects over php-bridge/ and checks parameter attributes.
 */
final class SensitiveParameterTest extends TestCase {

	/**
	 * Parameter names that carry secret material (matched anywhere in the name, case-insensitively).
	 */
	private const SENSITIVE = '/secret|token|passw|credential|envelope|salt|key_?material|plaintext|bearer|hmac/i';

	/**
	 * Every class, interface and trait the plugin's PSR-4 tree declares, loaded through its autoloader.
	 *
	 * @return string[]
	 */
	private static function plugin_classes(): array {
		if ( ! class_exists( 'WP_List_Table', false ) ) {
			// BackupsListTable extends it; WordPress's file only declares the class.
			require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
		}
		$root    = dirname( __DIR__, 3 ) . '/php-bridge/includes';
		$classes = array();
		$files   = new \RecursiveIteratorIterator( new \RecursiveDirectoryIterator( $root, \FilesystemIterator::SKIP_DOTS ) );
		foreach ( $files as $file ) {
			$relative = substr( (string) $file, strlen( $root ) + 1 );
			if ( ! str_ends_with( $relative, '.php' ) || ! preg_match( '/^[A-Z]/', basename( $relative ) ) ) {
				continue; // Files with no class (autoload.php, transfers-functions.php): their functions are checked below.
			}
			$name = 'WPS3\\' . str_replace( '/', '\\', substr( $relative, 0, -4 ) );
			if ( ! class_exists( $name ) && ! interface_exists( $name ) && ! trait_exists( $name ) ) {
				self::fail( "$relative declares no $name" );
			}
			$classes[] = $name;
		}
		sort( $classes );
		return $classes;
	}

	/**
	 * The global functions the plugin declares (wps3.php and includes/*-functions.php), by parsing: loading
	 * wps3.php would boot the plugin.
	 *
	 * @return array<string, array{0: string, 1: string}> Function => [file, parameter list source].
	 */
	private static function global_functions(): array {
		$base = dirname( __DIR__, 3 ) . '/php-bridge';
		$out  = array();
		foreach ( array_merge( array( $base . '/wps3.php', $base . '/uninstall.php' ), glob( $base . '/includes/*-functions.php' ) ) as $file ) {
			$tokens = \PhpToken::tokenize( (string) file_get_contents( $file ) );
			$count  = count( $tokens );
			for ( $i = 0; $i < $count; $i++ ) {
				if ( T_FUNCTION !== $tokens[ $i ]->id ) {
					continue;
				}
				$j = $i + 1;
				while ( $j < $count && $tokens[ $j ]->isIgnorable() ) {
					++$j;
				}
				if ( T_STRING !== $tokens[ $j ]->id ) {
					continue; // A closure.
				}
				$name  = $tokens[ $j ]->text;
				$depth = 0;
				$src   = '';
				for ( $k = $j + 1; $k < $count; $k++ ) {
					$depth += ( '(' === $tokens[ $k ]->text ) - ( ')' === $tokens[ $k ]->text );
					$src   .= $tokens[ $k ]->text;
					if ( 0 === $depth && '' !== trim( $src ) ) {
						break;
					}
				}
				$out[ $name ] = array( basename( $file ), $src );
			}
		}
		return $out;
	}

	/**
	 * Every sensitive-looking parameter of every plugin method and function has the attribute.
	 */
	public function test_every_secret_parameter_is_marked_sensitive(): void {
		$checked = 0;
		$missing = array();
		$classes = self::plugin_classes();
		$this->assertGreaterThan( 40, count( $classes ), 'the plugin tree was found' );
		foreach ( $classes as $class ) {
			$reflection = new \ReflectionClass( $class );
			foreach ( $reflection->getMethods() as $method ) {
				if ( $method->getDeclaringClass()->getName() !== $class ) {
					continue; // Inherited: checked where declared (WP_List_Table's are WordPress's).
				}
				foreach ( $method->getParameters() as $param ) {
					if ( ! preg_match( self::SENSITIVE, $param->getName() ) ) {
						continue;
					}
					++$checked;
					if ( ! $param->getAttributes( \SensitiveParameter::class ) ) {
						$missing[] = "$class::{$method->getName()}( \${$param->getName()} )";
					}
				}
			}
		}
		foreach ( self::global_functions() as $name => list( $file, $params ) ) {
			// Each parameter with its leading attributes: `#[\SensitiveParameter] string $secret`.
			foreach ( preg_split( '/,(?![^(]*\))/', trim( $params, '()' ) ) as $param ) {
				if ( preg_match( '/\$(\w+)/', $param, $m ) && preg_match( self::SENSITIVE, $m[1] ) ) {
					++$checked;
					if ( ! str_contains( $param, 'SensitiveParameter' ) ) {
						$missing[] = "$name( \${$m[1]} ) in $file";
					}
				}
			}
		}
		$this->assertGreaterThan( 10, $checked, 'sensitive parameters were found at all' );
		$this->assertSame( array(), $missing, 'parameters carrying secrets without #[\SensitiveParameter]' );
	}

	/**
	 * The check itself: PHP really drops a marked parameter from a trace, and the pattern catches the names.
	 */
	public function test_the_attribute_redacts_and_the_pattern_matches(): void {
		$probe = static function ( string $plain, #[\SensitiveParameter] string $secret ): array {
			return ( new \Exception( $plain ) )->getTrace()[0]['args'] ?? array();
		};
		ini_set( 'zend.exception_ignore_args', '0' ); // phpcs:ignore WordPress.PHP.IniSet.Risky
		$args = $probe( 'visible', 'hunter2' );
		$this->assertSame( 'visible', $args[0] ?? null );
		$this->assertInstanceOf( \SensitiveParameterValue::class, $args[1] ?? null );
		foreach ( array( 'secret', 'secret_access_key', 'token', 'lease_token', 'password1', 'credentials', 'envelope', 'key_material', 'keyMaterial', 'plaintext' ) as $name ) {
			$this->assertMatchesRegularExpression( self::SENSITIVE, $name );
		}
		foreach ( array( 'key', 'object_key', 'storage', 'document_id' ) as $name ) {
			$this->assertDoesNotMatchRegularExpression( self::SENSITIVE, $name );
		}
	}
}
