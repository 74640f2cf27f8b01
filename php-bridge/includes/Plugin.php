<?php
/**
 * Wires the plugin into WordPress.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3;

use WPS3\Admin\Screen;
use WPS3\Backup\Queue;
use WPS3\Demo\Demo;
use WPS3\Install\Installer;
use WPS3\Install\Schema;

defined( 'ABSPATH' ) || exit;

/**
 * Registers the plugin's hooks once per request.
 */
final class Plugin {

	/**
	 * Shared instance.
	 *
	 * @var Plugin|null
	 */
	private static ?Plugin $instance = null;

	/**
	 * Whether boot() ran.
	 *
	 * @var bool
	 */
	private bool $booted = false;

	/**
	 * Returns the plugin.
	 *
	 * @return Plugin
	 */
	public static function instance(): Plugin {
		self::$instance ??= new self();
		return self::$instance;
	}

	/**
	 * Registers every hook once.
	 *
	 * @return void
	 */
	public function boot(): void {
		if ( $this->booted ) {
			return;
		}
		$this->booted = true;

		add_filter( 'cron_schedules', array( $this, 'cron_schedules' ) ); // phpcs:ignore WordPress.WP.CronInterval -- 5 minutes is the intended safety-net interval.
		add_action( Queue::CRON_HOOK, array( $this, 'run_queue' ), 10, 0 );
		add_action( 'wps_document_completed', array( $this, 'on_document_completed' ), 10, 1 );
		add_action( 'init', array( $this, 'on_init' ) );
		add_action( 'wp_initialize_site', array( Installer::class, 'on_initialize_site' ), 200, 1 );
		add_filter( 'wpmu_drop_tables', array( Installer::class, 'on_drop_tables' ) );
		add_action( 'wps3_settings_saved', array( $this, 'on_settings_saved' ) );

		( new \WPS3\Rest\SettingsController() )->boot();
		if ( is_admin() ) {
			Screen::instance()->boot();
			\WPS3\Admin\NetworkScreen::boot();
		}
		if ( Demo::enabled() ) {
			Demo::instance()->boot();
		}
	}

	/**
	 * `init`: creates missing tables (e.g. a site added before network activation) and the safety-net event.
	 *
	 * @return void
	 */
	public function on_init(): void {
		Schema::maybe_upgrade();
		Installer::schedule();
	}

	/**
	 * Adds the five-minute schedule.
	 *
	 * @param mixed $schedules Schedules (an array, unless another filter broke it).
	 * @return array<string,array{interval:int,display:string}>
	 */
	public function cron_schedules( mixed $schedules ): array {
		$schedules                         = is_array( $schedules ) ? $schedules : array();
		$schedules[ Queue::CRON_SCHEDULE ] = array(
			'interval' => 5 * MINUTE_IN_SECONDS,
			'display'  => __( 'Every five minutes (S3 backups)', 'wps3' ),
		);
		return $schedules;
	}

	/**
	 * Cron callback of `wps3_process_queue`.
	 *
	 * @return void
	 */
	public function run_queue(): void {
		Queue::instance()->process();
	}

	/**
	 * `wps_document_completed` handler.
	 *
	 * @param mixed $document Host document (array or object; anything else is refused with a WP_Error).
	 * @return void
	 */
	public function on_document_completed( mixed $document ): void {
		$result = wps3_backup_document( $document );
		if ( ! is_wp_error( $result ) ) {
			return;
		}
		set_transient(
			'wps3_enqueue_error',
			array(
				'message' => $result->get_error_message(),
				'time'    => time(),
			),
			DAY_IN_SECONDS
		);
		/**
		 * Fires when a completed document could not be queued (bad document, missing file, database error).
		 *
		 * @param \WP_Error    $error    Why.
		 * @param array|object $document Host document.
		 */
		do_action( 'wps3_enqueue_failed', $result, $document );
	}

	/**
	 * After new settings were saved, jobs that failed because the plugin was not configured get another chance.
	 *
	 * @return void
	 */
	public function on_settings_saved(): void {
		Queue::instance()->retry_after_settings_saved();
	}
}
