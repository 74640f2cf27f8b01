<?php
/**
 * The transfers section of the demo panel (WPS3\Demo, `wps3_demo_parts`): where the demo members and pages
 * that DemoSeed created are.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Panel section.
 */
final class DemoPart implements \WPS3\Demo\Part {

	/**
	 * No hooks of its own: the pages work through the shortcodes.
	 *
	 * @return void
	 */
	public function boot(): void {}

	/**
	 * The panel section: where the members and pages are.
	 *
	 * @return void
	 */
	public function render(): void {
		$seeded = get_option( Schema::DEMO_OPTION );
		echo '<h3>' . esc_html__( 'Direct uploads and expiring links', 'wps3' ) . '</h3>';
		if ( ! is_array( $seeded ) ) {
			echo '<p>' . esc_html__( 'Run tools/demo to create the member accounts and pages.', 'wps3' ) . '</p>';
			return;
		}
		echo '<p>' . esc_html__( 'Log in as member (MEMBER_USER / MEMBER_PASSWORD printed by tools/demo) and open My files to upload; log in as member2 to see that the first member\'s files stay private.', 'wps3' ) . '</p><ul>';
		foreach ( (array) $seeded['pages'] as $page ) {
			echo '<li><a href="' . esc_url( (string) get_permalink( (int) $page ) ) . '">' . esc_html( get_the_title( (int) $page ) ) . '</a></li>';
		}
		echo '</ul>';
	}

	/**
	 * Adds this part to the demo panel (`wps3_demo_parts`).
	 *
	 * @param mixed $parts Parts.
	 * @return array
	 */
	public static function add( $parts ): array {
		$parts   = is_array( $parts ) ? $parts : array();
		$parts[] = new self();
		return $parts;
	}
}
