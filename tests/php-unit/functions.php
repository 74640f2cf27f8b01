<?php
/**
 * In-memory stand-ins for WordPress functions that pure plugin logic calls (unit tier only).
 *
 * Each one keeps WordPress's signature and its observable behaviour for ordinary input.
 * Storage (transients, options) is a global array that Wps3UnitState::reset() empties
 * before every test (see TestCase.php).
 *
 * @package wps3
 */

declare(strict_types=1);

// phpcs:disable Squiz.Commenting.FunctionComment -- WordPress's own signatures, documented there.

/**
 * The state behind the stand-ins, reset before every test.
 */
final class Wps3UnitState {

	/**
	 * Transients: name => array{value: mixed, expiration: int}.
	 *
	 * @var array<string, array{value: mixed, expiration: int}>
	 */
	public static array $transients = array();

	/**
	 * Options: name => value.
	 *
	 * @var array<string, mixed>
	 */
	public static array $options = array();

	/**
	 * Forgets every stored value and every hook callback.
	 */
	public static function reset(): void {
		self::$transients             = array();
		self::$options                = array();
		$GLOBALS['wp_filter']         = array();
		$GLOBALS['wp_actions']        = array();
		$GLOBALS['wp_current_filter'] = array();
	}
}

// Translation: WordPress returns the text itself when no translation is loaded.
function __( $text, $domain = 'default' ) {
	return $text;
}
function _x( $text, $context, $domain = 'default' ) {
	return $text;
}
function _n( $single, $plural, $number, $domain = 'default' ) {
	return 1 === (int) $number ? $single : $plural;
}
function esc_html( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' );
}
function esc_attr( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' );
}
function esc_html__( $text, $domain = 'default' ) {
	return esc_html( $text );
}
function esc_attr__( $text, $domain = 'default' ) {
	return esc_attr( $text );
}

function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}
function wp_json_encode( $data, $options = 0, $depth = 512 ) {
	return json_encode( $data, $options, $depth );
}
function absint( $maybeint ) {
	return abs( (int) $maybeint );
}
function sanitize_key( $key ) {
	return preg_replace( '/[^a-z0-9_\-]/', '', strtolower( (string) $key ) );
}
function wp_parse_args( $args, $defaults = array() ) {
	if ( is_object( $args ) ) {
		$args = get_object_vars( $args );
	} elseif ( ! is_array( $args ) ) {
		wp_parse_str( (string) $args, $args );
	}
	return array_merge( $defaults, $args );
}
function wp_parse_str( $input_string, &$result ) {
	parse_str( (string) $input_string, $result );
}

// Transients and options, in memory. Expiration is recorded (tests may read it), not enforced.
function get_transient( $transient ) {
	return Wps3UnitState::$transients[ $transient ]['value'] ?? false;
}
function set_transient( $transient, $value, $expiration = 0 ) {
	Wps3UnitState::$transients[ $transient ] = array(
		'value'      => $value,
		'expiration' => (int) $expiration,
	);
	return true;
}
function delete_transient( $transient ) {
	$had = isset( Wps3UnitState::$transients[ $transient ] );
	unset( Wps3UnitState::$transients[ $transient ] );
	return $had;
}
function get_option( $option, $default_value = false ) {
	return array_key_exists( $option, Wps3UnitState::$options ) ? Wps3UnitState::$options[ $option ] : $default_value;
}
function update_option( $option, $value, $autoload = null ) {
	Wps3UnitState::$options[ $option ] = $value;
	return true;
}
function delete_option( $option ) {
	$had = array_key_exists( $option, Wps3UnitState::$options );
	unset( Wps3UnitState::$options[ $option ] );
	return $had;
}
