<?php
/**
 * Demo mode (define WPS3_DEMO true): a panel on Settings → S3 Backups that plays the host's part.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Demo;

defined( 'ABSPATH' ) || exit;

/**
 * The demo panel and its parts. The sample documents are built in; other parts join through the
 * `wps3_demo_parts` filter.
 */
final class Demo {

	/**
	 * Shared instance.
	 *
	 * @var Demo|null
	 */
	private static ?Demo $instance = null;

	/**
	 * Parts of the panel, in display order.
	 *
	 * @var Part[]|null
	 */
	private ?array $parts = null;

	/**
	 * The shared demo.
	 *
	 * @return self
	 */
	public static function instance(): self {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Whether demo mode is on: WPS3_DEMO is defined as true (or "1", "true", "yes", "on"); "false" is off.
	 *
	 * @return bool
	 */
	public static function enabled(): bool {
		return defined( 'WPS3_DEMO' ) && true === filter_var( WPS3_DEMO, FILTER_VALIDATE_BOOLEAN, FILTER_NULL_ON_FAILURE );
	}

	/**
	 * The panel's parts.
	 *
	 * @return Part[]
	 */
	public function parts(): array {
		if ( null === $this->parts ) {
			/**
			 * Filters the parts of the demo panel (each a WPS3\Demo\Part).
			 *
			 * @param Part[] $parts Parts; the sample documents come first.
			 */
			$parts       = apply_filters( 'wps3_demo_parts', array( new Documents() ) );
			$this->parts = array_values( array_filter( is_array( $parts ) ? $parts : array(), static fn( $part ): bool => $part instanceof Part ) );
		}
		return $this->parts;
	}

	/**
	 * Registers every part's hooks.
	 *
	 * @return void
	 */
	public function boot(): void {
		if ( ! self::enabled() ) {
			return;
		}
		foreach ( $this->parts() as $part ) {
			$part->boot();
		}
	}

	/**
	 * The demo panel on the admin page.
	 *
	 * @return void
	 */
	public function render_panel(): void {
		if ( ! self::enabled() ) {
			return;
		}
		echo '<div class="card wps3-demo" style="max-width:none">';
		foreach ( $this->parts() as $part ) {
			$part->render();
		}
		echo '</div>';
	}

	/**
	 * Stops unless demo mode is on and the current user may use the demo. Every demo action calls it first,
	 * so an action registered by mistake is still unreachable without WPS3_DEMO.
	 *
	 * @return void
	 */
	public static function require_capability(): void {
		if ( ! self::enabled() ) {
			wp_die( esc_html__( 'Demo mode is off (WPS3_DEMO is not defined).', 'wps3' ), '', array( 'response' => 404 ) );
		}
		if ( ! current_user_can( \WPS3\Admin\Screen::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'wps3' ), '', array( 'response' => 403 ) );
		}
	}
}
