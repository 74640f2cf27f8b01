<?php
/**
 * The core's settings schema: providers, their default regions and required fields, defaults.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Reads `settings-schema` once per request, so PHP never carries its own provider list or defaults.
 */
final class Schema {

	/**
	 * The schema, once asked in this request.
	 *
	 * @var array<string, mixed>|null
	 */
	private static ?array $schema = null;

	/**
	 * The core's settings schema (providers with labels, default regions and required fields; defaults).
	 *
	 * @return array<string, mixed>|\WP_Error
	 */
	public static function get(): array|\WP_Error {
		if ( null !== self::$schema ) {
			return self::$schema;
		}
		$schema = \WPS3\Sidecar\Client::instance()->call( 'settings-schema', array(), 10 );
		if ( is_wp_error( $schema ) ) {
			return $schema;
		}
		self::$schema = $schema;
		return $schema;
	}

	/**
	 * One provider of the schema, or null when the id is not a provider.
	 *
	 * @param array<string, mixed> $schema   Schema.
	 * @param string               $provider Provider id.
	 * @return array<string, mixed>|null
	 */
	public static function provider( array $schema, string $provider ): ?array {
		foreach ( (array) ( $schema['providers'] ?? array() ) as $entry ) {
			if ( is_array( $entry ) && ( $entry['id'] ?? null ) === $provider ) {
				return $entry;
			}
		}
		return null;
	}

	/**
	 * Provider ids and labels, in the core's order ('' labels when the core cannot be asked).
	 *
	 * @return array<string, string>
	 */
	public static function providers(): array {
		$schema = self::get();
		$out    = array();
		foreach ( is_array( $schema ) ? (array) ( $schema['providers'] ?? array() ) : array() as $entry ) {
			if ( is_array( $entry ) && isset( $entry['id'] ) && is_string( $entry['id'] ) ) {
				$out[ $entry['id'] ] = (string) ( $entry['label'] ?? $entry['id'] );
			}
		}
		return $out;
	}
}
