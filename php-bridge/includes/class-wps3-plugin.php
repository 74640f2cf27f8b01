<?php
/**
 * Wires the plugin into WordPress.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

/**
 * Registers hooks.
 */
class WPS3_Plugin {

	/**
	 * Singleton.
	 *
	 * @var WPS3_Plugin|null
	 */
	private static $instance = null;

	/**
	 * Whether boot() ran.
	 *
	 * @var bool
	 */
	private $booted = false;

	/**
	 * Returns the plugin.
	 *
	 * @return WPS3_Plugin
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Registers every hook once.
	 *
	 * @return void
	 */
	public function boot() {
		if ( $this->booted ) {
			return;
		}
		$this->booted = true;

		add_filter( 'cron_schedules', array( $this, 'cron_schedules' ) ); // phpcs:ignore WordPress.WP.CronInterval -- 5 minutes is the intended safety-net interval.
		add_action( \WPS3\Backup\Queue::CRON_HOOK, array( $this, 'run_queue' ), 10, 0 );
		add_action( 'wps_document_completed', array( $this, 'on_document_completed' ), 10, 1 );
		add_action( 'init', array( $this, 'on_init' ) );
		add_action( 'wp_initialize_site', array( 'WPS3_Installer', 'on_initialize_site' ), 200, 1 );
		add_filter( 'wpmu_drop_tables', array( 'WPS3_Installer', 'on_drop_tables' ) );
		add_action( 'wps3_settings_saved', array( $this, 'on_settings_saved' ) );

		if ( is_admin() ) {
			\WPS3\Admin\Screen::instance()->boot();
		}
		if ( \WPS3\Demo\Demo::enabled() ) {
			\WPS3\Demo\Demo::instance()->boot();
		}
	}

	/**
	 * `init`: creates missing tables (e.g. a site added before network activation) and the safety-net event.
	 *
	 * @return void
	 */
	public function on_init() {
		WPS3_Installer::maybe_upgrade();
		if ( ! wp_next_scheduled( \WPS3\Backup\Queue::CRON_HOOK, \WPS3\Backup\Queue::RECURRING_ARGS ) ) {
			WPS3_Installer::schedule();
		}
	}

	/**
	 * Adds the five-minute schedule.
	 *
	 * @param array $schedules Schedules.
	 * @return array
	 */
	public function cron_schedules( $schedules ) {
		$schedules[ \WPS3\Backup\Queue::CRON_SCHEDULE ] = array(
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
	public function run_queue() {
		\WPS3\Backup\Queue::instance()->process();
	}

	/**
	 * `wps_document_completed` handler.
	 *
	 * @param array|object $document Host document.
	 * @return void
	 */
	public function on_document_completed( $document ) {
		$result = wps3_backup_document( $document );
		if ( is_wp_error( $result ) ) {
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
			 * @param WP_Error     $error    Why.
			 * @param array|object $document Host document.
			 */
			do_action( 'wps3_enqueue_failed', $result, $document );
		}
	}

	/**
	 * After new settings were saved, jobs that failed because the plugin was not configured get another chance.
	 *
	 * @return void
	 */
	public function on_settings_saved() {
		\WPS3\Backup\Queue::instance()->retry_after_settings_saved();
	}
}
