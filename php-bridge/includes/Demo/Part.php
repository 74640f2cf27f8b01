<?php
/**
 * One part of the demo panel.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Demo;

defined( 'ABSPATH' ) || exit;

/**
 * A demo part registers its admin-post actions and renders its share of the panel. Add one with the
 * `wps3_demo_parts` filter (e.g. demo member accounts for browser transfers).
 */
interface Part {

	/**
	 * Registers the part's hooks (admin-post actions).
	 *
	 * @return void
	 */
	public function boot(): void;

	/**
	 * Renders the part inside the demo panel of Settings → S3 Backups.
	 *
	 * @return void
	 */
	public function render(): void;
}
