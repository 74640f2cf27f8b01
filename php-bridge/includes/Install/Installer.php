<?php
/**
 * Activation, deactivation, the safety-net cron event and the multisite site lifecycle.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Install;

use WPS3\Backup\Queue;
use WPS3\Sidecar\RuntimeSuffix;

defined( 'ABSPATH' ) || exit;

/**
 * Sets the plugin up on every site it is activated on, and on sites added to a network later.
 */
final class Installer {

	/**
	 * Activation hook.
	 *
	 * @param bool $network_wide Whether the plugin is being network-activated.
	 * @return void
	 */
	public static function activate( bool $network_wide = false ): void {
		// The random part of the default sidecar directory, once for the whole install (network option).
		RuntimeSuffix::ensure();
		self::on_each_site( $network_wide, array( Schema::class, 'install' ) );
	}

	/**
	 * Deactivation hook: removes scheduled events (tables and settings stay until uninstall).
	 *
	 * @param bool $network_wide Whether the plugin is being network-deactivated.
	 * @return void
	 */
	public static function deactivate( bool $network_wide = false ): void {
		self::on_each_site( $network_wide, array( self::class, 'unschedule' ) );
	}

	/**
	 * Runs $task on every site of the network when $network_wide, else on the current site.
	 *
	 * @param bool     $network_wide Whether the whole network is meant.
	 * @param callable $task         Task.
	 * @return void
	 */
	public static function on_each_site( bool $network_wide, callable $task ): void {
		if ( ! is_multisite() || ! $network_wide ) {
			$task();
			return;
		}
		foreach ( self::site_ids() as $site_id ) {
			switch_to_blog( $site_id );
			$task();
			restore_current_blog();
		}
	}

	/**
	 * All site ids of the network.
	 *
	 * @return int[]
	 */
	public static function site_ids(): array {
		if ( ! is_multisite() ) {
			return array( get_current_blog_id() );
		}
		return array_map(
			'intval',
			get_sites(
				array(
					'fields' => 'ids',
					'number' => 0,
				)
			)
		);
	}

	/**
	 * Schedules the recurring safety-net run of the queue.
	 *
	 * @return void
	 */
	public static function schedule(): void {
		if ( ! wp_next_scheduled( Queue::CRON_HOOK, Queue::RECURRING_ARGS ) ) {
			wp_schedule_event( time() + 60, Queue::CRON_SCHEDULE, Queue::CRON_HOOK, Queue::RECURRING_ARGS );
		}
	}

	/**
	 * Removes every scheduled event of the plugin on the current site.
	 *
	 * @return void
	 */
	public static function unschedule(): void {
		wp_clear_scheduled_hook( Queue::CRON_HOOK );
		wp_clear_scheduled_hook( Queue::CRON_HOOK, Queue::RECURRING_ARGS );
		foreach ( Schema::PARTS as $part ) {
			foreach ( $part::cron_hooks() as $hook ) {
				wp_unschedule_hook( $hook );
			}
		}
	}

	/**
	 * `wp_initialize_site`: installs the tables on a new site when the plugin is network-active.
	 *
	 * @param \WP_Site $site New site.
	 * @return void
	 */
	public static function on_initialize_site( \WP_Site $site ): void {
		if ( ! function_exists( 'is_plugin_active_for_network' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		if ( ! is_plugin_active_for_network( plugin_basename( WPS3_PLUGIN_FILE ) ) ) {
			return;
		}
		switch_to_blog( (int) $site->blog_id );
		Schema::install();
		restore_current_blog();
	}

	/**
	 * `wpmu_drop_tables`: drops the plugin's tables with a deleted site.
	 *
	 * @param mixed $tables Tables WordPress will drop (an array, unless another filter broke it).
	 * @return string[]
	 */
	public static function on_drop_tables( mixed $tables ): array {
		return array_merge( is_array( $tables ) ? $tables : array(), Schema::all_tables() );
	}
}
