<?php
/**
 * Admin notices: the result of the last action on the page, and problems shown on every admin screen.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Admin;

use WPS3\Settings\Settings;

defined( 'ABSPATH' ) || exit;

/**
 * Queued per-user notices (shown once on the next view of the page) and site-wide warnings: failed
 * backups, a sidecar that does not run or belongs to another version, salts kept in the database, and a
 * completed document that could not be queued.
 */
final class Notices {

	private const TYPES = array( 'success', 'error', 'warning', 'info' );

	/**
	 * Queues a notice for the current user's next view of the page.
	 *
	 * @param string $type    success, error, warning or info.
	 * @param string $message Message (plain text).
	 * @param string $fix     Optional fix (plain text).
	 * @return void
	 */
	public static function add( string $type, string $message, string $fix = '' ): void {
		$key       = self::key();
		$notices   = get_transient( $key );
		$notices   = is_array( $notices ) ? $notices : array();
		$notices[] = array(
			'type'    => $type,
			'message' => $message,
			'fix'     => $fix,
		);
		set_transient( $key, $notices, 10 * MINUTE_IN_SECONDS );
	}

	/**
	 * Prints and forgets the current user's queued notices.
	 *
	 * @return void
	 */
	public static function print_queued(): void {
		$key     = self::key();
		$notices = get_transient( $key );
		delete_transient( $key );
		foreach ( is_array( $notices ) ? $notices : array() as $notice ) {
			$type = in_array( $notice['type'] ?? '', self::TYPES, true ) ? $notice['type'] : 'info';
			echo '<div class="notice notice-' . esc_attr( $type ) . ' wps3-notice"><p>' . esc_html( (string) ( $notice['message'] ?? '' ) ) . '</p>';
			self::print_fix( (string) ( $notice['fix'] ?? '' ) );
			echo '</div>';
		}
	}

	/**
	 * `admin_notices`: warnings on every admin screen, for users who manage the plugin.
	 *
	 * @return void
	 */
	public static function render_global(): void {
		if ( ! current_user_can( Screen::CAPABILITY ) ) {
			return;
		}
		self::failed_backups();
		self::sidecar_failure();
		self::sidecar_version();
		self::salts_in_database();
		$enqueue = get_transient( 'wps3_enqueue_error' );
		if ( is_array( $enqueue ) && ! empty( $enqueue['message'] ) ) {
			echo '<div class="notice notice-warning wps3-enqueue-notice"><p><strong>' . esc_html__( 'WP Signer S3 Backups: a completed document could not be queued.', 'wps3' ) . '</strong> ' . esc_html( (string) $enqueue['message'] ) . '</p></div>';
		}
	}

	/**
	 * Failed backups, with a link to the list.
	 *
	 * @return void
	 */
	private static function failed_backups(): void {
		$failed = \WPS3\Backup\Queue::instance()->counts()['failed'] ?? 0;
		if ( $failed <= 0 ) {
			return;
		}
		echo '<div class="notice notice-error wps3-failed-notice"><p>';
		printf(
			/* translators: %d: number of failed backups */
			esc_html( _n( 'WP Signer S3 Backups: %d document could not be backed up.', 'WP Signer S3 Backups: %d documents could not be backed up.', $failed, 'wps3' ) ),
			(int) $failed
		);
		echo ' <a href="' . esc_url( Screen::page_url( array( 'status' => 'failed' ) ) . '#wps3-backups' ) . '">' . esc_html__( 'See why and retry', 'wps3' ) . '</a></p></div>';
	}

	/**
	 * The last sidecar start failure, unless the sidecar runs again.
	 *
	 * @return void
	 */
	private static function sidecar_failure(): void {
		$sidecar = \WPS3\Sidecar\Status::start_failure( Screen::can_manage_network() );
		if ( is_array( $sidecar ) && \WPS3\Sidecar\Client::instance()->cached_health_ok() ) {
			// It runs again (started by another request, or by an admin): the old failure is history.
			\WPS3\Sidecar\Status::started();
			return;
		}
		if ( ! is_array( $sidecar ) || empty( $sidecar['message'] ) ) {
			return;
		}
		echo '<div class="notice notice-error wps3-sidecar-notice"><p><strong>' . esc_html__( 'WP Signer S3 Backups: the signing sidecar is not running.', 'wps3' ) . '</strong> ' . esc_html( (string) $sidecar['message'] ) . '</p>';
		self::print_fix( (string) ( $sidecar['fix'] ?? '' ) );
		if ( Screen::can_manage_network() ) {
			// The log is shared by every site of the install: only (network) administrators of the host see where.
			/* translators: %s: log path */
			echo '<p class="wps3-sidecar-log">' . esc_html( sprintf( __( 'Sidecar log: %s', 'wps3' ), \WPS3\Sidecar\Client::instance()->runtime()->log_file() ) ) . '</p>';
		}
		echo '</div>';
	}

	/**
	 * A running sidecar of another plugin version.
	 *
	 * @return void
	 */
	private static function sidecar_version(): void {
		$version = get_transient( 'wps3_sidecar_version' );
		if ( ! is_array( $version ) || ! isset( $version['running'], $version['plugin'] ) ) {
			return;
		}
		echo '<div class="notice notice-warning wps3-sidecar-version-notice"><p><strong>' . esc_html__( 'WP Signer S3 Backups: the running sidecar belongs to another plugin version.', 'wps3' ) . '</strong> ';
		echo esc_html(
			sprintf(
				/* translators: 1: sidecar version, 2: plugin version */
				__( 'It reports version %1$s; the plugin is %2$s. It is used as it is, because the plugin did not start it or cannot start processes (proc_open() is disabled).', 'wps3' ),
				(string) $version['running'],
				(string) $version['plugin']
			)
		);
		echo '</p>';
		self::print_fix( __( 'Restart the sidecar service with the sidecar/server.mjs of the installed plugin.', 'wps3' ) );
		echo '</div>';
	}

	/**
	 * A sealed secret whose key material lives in the database next to it.
	 *
	 * @return void
	 */
	private static function salts_in_database(): void {
		$settings = Settings::instance();
		$missing  = $settings->secret()->salts_in_database();
		if ( ! $missing || $settings->is_locked( 'secret_access_key' ) || ! $settings->has_secret() ) {
			return;
		}
		echo '<div class="notice notice-warning wps3-salt-notice"><p><strong>' . esc_html__( 'WP Signer S3 Backups: the stored secret access key is encrypted with salts kept in the database.', 'wps3' ) . '</strong> ';
		echo esc_html(
			sprintf(
				/* translators: %s: constant names */
				__( '%s are not defined in wp-config.php, so WordPress keeps generated values in the database, next to the encrypted secret: a copy of the database is enough to decrypt it. Define WPS3_ENCRYPTION_SALT (a long random string) or these salts in wp-config.php, then enter the secret again.', 'wps3' ),
				implode( ', ', $missing )
			)
		);
		echo '</p></div>';
	}

	/**
	 * "How to fix:" paragraph, when there is a fix.
	 *
	 * @param string $fix Fix (plain text).
	 * @return void
	 */
	private static function print_fix( string $fix ): void {
		if ( '' !== $fix ) {
			echo '<p><strong>' . esc_html__( 'How to fix:', 'wps3' ) . '</strong> ' . esc_html( $fix ) . '</p>';
		}
	}

	/**
	 * Transient of the current user's queued notices.
	 *
	 * @return string
	 */
	private static function key(): string {
		return 'wps3_notice_' . get_current_user_id();
	}
}
