<?php
/**
 * Wires direct transfers, expiring links and the shop adapters into WordPress.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

use WPS3\Integrations\Edd;
use WPS3\Integrations\WooCommerce;
use WPS3\Links\DownloadShortcode;
use WPS3\Rest\TransfersController;

defined( 'ABSPATH' ) || exit;

/**
 * Registers the hooks of the transfers area once.
 */
final class Module {

	/**
	 * Whether boot() ran.
	 *
	 * @var bool
	 */
	private static bool $booted = false;

	/**
	 * Registers every hook.
	 *
	 * @return void
	 */
	public static function boot(): void {
		if ( self::$booted ) {
			return;
		}
		self::$booted = true;
		add_action( 'rest_api_init', array( TransfersController::class, 'register' ) );
		add_action( Cleanup::HOOK, array( self::class, 'run_cleanup' ), 10, 0 );
		add_action( 'init', array( self::class, 'on_init' ) );
		WooCommerce::boot();
		Edd::boot();
		add_filter( 'wps3_demo_parts', array( DemoPart::class, 'add' ) );
	}

	/**
	 * `init`: the cleanup event, the shortcode and the block.
	 *
	 * @return void
	 */
	public static function on_init(): void {
		Cleanup::schedule();
		MyFiles::register();
		DownloadShortcode::register();
	}

	/**
	 * Cron callback.
	 *
	 * @return void
	 */
	public static function run_cleanup(): void {
		Cleanup::run();
	}
}
