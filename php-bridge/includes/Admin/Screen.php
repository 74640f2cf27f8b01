<?php
/**
 * Settings → S3 Backups: the menu entry, the page, and the backup actions posted from it.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Admin;

use WPS3\Backup\Queue;
use WPS3\Demo\Demo;
use WPS3\Errors;

defined( 'ABSPATH' ) || exit;

/**
 * The admin screen. Every action checks the capability and its own nonce, then redirects back with a
 * notice (post/redirect/get).
 */
final class Screen {

	public const PAGE       = 'wps3';
	public const CAPABILITY = 'manage_options';

	/**
	 * Shared instance.
	 *
	 * @var Screen|null
	 */
	private static ?Screen $instance = null;

	/**
	 * The storage settings of the page (REST-driven, www/admin/).
	 *
	 * @var SettingsPage
	 */
	private SettingsPage $form;

	/**
	 * Use instance().
	 */
	private function __construct() {
		$this->form = new SettingsPage();
	}

	/**
	 * The shared screen.
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
	 * Registers admin hooks.
	 *
	 * @return void
	 */
	public function boot(): void {
		add_action( 'admin_menu', array( $this, 'menu' ) );
		add_action( 'admin_notices', array( Notices::class, 'render_global' ) );
		add_action( 'admin_post_wps3_retry', array( $this, 'handle_retry' ) );
		add_action( 'admin_post_wps3_run_queue', array( $this, 'handle_run_queue' ) );
		add_action( 'admin_post_wps3_download', array( $this, 'handle_download' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( WPS3_PLUGIN_FILE ), array( $this, 'action_links' ) );
		$this->form->boot();
	}

	/**
	 * URL of the admin page.
	 *
	 * @param array<string, scalar> $args Extra query args.
	 * @return string
	 */
	public static function page_url( array $args = array() ): string {
		return add_query_arg( array_merge( array( 'page' => self::PAGE ), $args ), admin_url( 'options-general.php' ) );
	}

	/**
	 * Adds Settings → S3 Backups.
	 *
	 * @return void
	 */
	public function menu(): void {
		add_options_page( __( 'S3 Backups', 'wps3' ), __( 'S3 Backups', 'wps3' ), self::CAPABILITY, self::PAGE, array( $this, 'render_page' ) );
	}

	/**
	 * Adds a Settings link on the Plugins screen.
	 *
	 * @param string[] $links Links.
	 * @return string[]
	 */
	public function action_links( array $links ): array {
		array_unshift( $links, '<a href="' . esc_url( self::page_url() ) . '">' . esc_html__( 'Settings', 'wps3' ) . '</a>' );
		return $links;
	}

	/**
	 * Whether the current user administers the whole install (network admins on multisite, admins otherwise).
	 *
	 * @return bool
	 */
	public static function can_manage_network(): bool {
		return is_multisite() ? current_user_can( 'manage_network_options' ) : current_user_can( self::CAPABILITY );
	}

	/**
	 * Stops unless the current user may manage the plugin.
	 *
	 * @return void
	 */
	public static function require_capability(): void {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'You are not allowed to manage S3 backups.', 'wps3' ), '', array( 'response' => 403 ) );
		}
	}

	/**
	 * A positive integer id from the request, else 0. Not absint(): it folds "-5" into 5, so a mangled id
	 * would act on another row (the nonce of that row's link then matches).
	 *
	 * @param string $name Request field.
	 * @return int
	 */
	public static function request_id( string $name ): int {
		$raw = isset( $_REQUEST[ $name ] ) && is_string( $_REQUEST[ $name ] ) ? sanitize_text_field( wp_unslash( $_REQUEST[ $name ] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification -- the caller checks the nonce of the id read here.
		return ( ctype_digit( $raw ) && strlen( $raw ) < 19 ) ? (int) $raw : 0;
	}

	/**
	 * Redirects back to the page and stops.
	 *
	 * @return void
	 */
	public static function back(): void {
		wp_safe_redirect( self::page_url() );
		exit;
	}

	/**
	 * Renders Settings → S3 Backups.
	 *
	 * @return void
	 */
	public function render_page(): void {
		self::require_capability();
		echo '<div class="wrap wps3-admin">';
		echo '<h1>' . esc_html__( 'S3 Backups', 'wps3' ) . '</h1>';
		Notices::print_queued();
		if ( Demo::enabled() ) {
			Demo::instance()->render_panel();
		}
		$this->render_backups();
		$this->form->render();
		echo '</div>';
	}

	/**
	 * The backups list with its counts and the "Process queue now" button.
	 *
	 * @return void
	 */
	private function render_backups(): void {
		$counts = Queue::instance()->counts();
		echo '<h2 id="wps3-backups">' . esc_html__( 'Backups', 'wps3' ) . '</h2>';
		printf(
			'<p class="wps3-counts">%s</p>',
			esc_html(
				sprintf(
					/* translators: 1: done, 2: pending, 3: running, 4: failed */
					__( '%1$d backed up, %2$d waiting, %3$d uploading, %4$d failed.', 'wps3' ),
					$counts['done'],
					$counts['pending'],
					$counts['running'],
					$counts['failed']
				)
			)
		);
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="margin-bottom:1em">';
		echo '<input type="hidden" name="action" value="wps3_run_queue" />';
		wp_nonce_field( 'wps3_run_queue' );
		submit_button( __( 'Process queue now', 'wps3' ), 'secondary small', 'wps3_run', false );
		echo '</form>';

		require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
		$table = new BackupsListTable();
		$table->prepare_items();
		$table->views();
		$table->display();
		if ( $table->has_activity() ) {
			// Refresh while uploads are in progress (WP-Cron runs them on page loads).
			echo '<p class="description wps3-refreshing">' . esc_html__( 'Uploading… this list refreshes by itself.', 'wps3' ) . '</p>';
			echo '<script>setTimeout(function(){window.location.reload();},3000);</script>';
		}
	}

	/**
	 * Handles admin-post: retry one failed job.
	 *
	 * @return void
	 */
	public function handle_retry(): void {
		self::require_capability();
		$job_id = self::request_id( 'job' );
		check_admin_referer( 'wps3_retry_' . $job_id );
		if ( Queue::instance()->retry( $job_id ) ) {
			Notices::add( 'success', __( 'The backup was queued again.', 'wps3' ) );
		} else {
			Notices::add( 'warning', __( 'That backup is not waiting for a retry.', 'wps3' ) );
		}
		self::back();
	}

	/**
	 * Handles admin-post: process the queue now.
	 *
	 * @return void
	 */
	public function handle_run_queue(): void {
		self::require_capability();
		check_admin_referer( 'wps3_run_queue' );
		$stats = Queue::instance()->process();
		Notices::add(
			'info',
			/* translators: 1: uploaded, 2: rescheduled, 3: failed */
			sprintf( __( 'Queue processed: %1$d uploaded, %2$d rescheduled, %3$d failed.', 'wps3' ), $stats['done'], $stats['retry'], $stats['failed'] )
		);
		self::back();
	}

	/**
	 * Handles admin-post: redirect to a short-lived presigned GET of a backup.
	 *
	 * @return void
	 */
	public function handle_download(): void {
		self::require_capability();
		$backup_id = self::request_id( 'backup' );
		check_admin_referer( 'wps3_download_' . $backup_id );
		$queue  = Queue::instance();
		$backup = $queue->backup( $backup_id );
		if ( null === $backup ) {
			Notices::add( 'error', __( 'That backup does not exist.', 'wps3' ) );
			self::back();
		}
		$url = $queue->links()->download_url( $backup );
		if ( is_wp_error( $url ) ) {
			Notices::add(
				'error',
				/* translators: %s: reason */
				sprintf( __( 'The download link could not be created: %s', 'wps3' ), (string) Errors::field( $url, 'cause', $url->get_error_message() ) ),
				(string) Errors::field( $url, 'fix', '' )
			);
			self::back();
		}
		nocache_headers();
		// The URL goes to the storage host: wp_safe_redirect() would refuse it. BackupLinks verified that
		// it points at the endpoint the core resolved for this backup and that it is signed.
		wp_redirect( $url, 302, 'WPS3' ); // phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect
		exit;
	}
}
