<?php
/**
 * Runs the backup queue in the request that queued a document, after its response was sent.
 *
 * WP-Cron's spawn is a fire-and-forget loopback with a 10 ms timeout. Under nginx + PHP-FPM on a busy
 * host that request can be dropped before it reaches PHP, and WP-Cron's `doing_cron` lock then holds
 * every further spawn for a minute. Where the SAPI can finish the response early (PHP-FPM, LiteSpeed), the
 * same worker runs the queue once the visitor has their page, so a backup starts in seconds. The
 * scheduled event stays as the fallback, for other SAPIs and for a run cut short.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Backup;

defined( 'ABSPATH' ) || exit;

/**
 * A queue run at `shutdown`, after the response was flushed to the client.
 */
final class AfterResponse {

	/**
	 * Sites (blog ids) whose queue runs after this response; empty until something was queued.
	 *
	 * @var array<int, true>
	 */
	private array $sites = array();

	/**
	 * Whether this request can run the queue after its response: the SAPI can finish the response, and it
	 * is a web request that is not WP-Cron itself.
	 *
	 * @return bool
	 */
	public static function available(): bool {
		if ( 'cli' === PHP_SAPI || wp_doing_cron() ) {
			return false;
		}
		if ( ! function_exists( 'fastcgi_finish_request' ) && ! function_exists( 'litespeed_finish_request' ) ) {
			return false; // Without finishing the response first, the visitor would wait for the uploads.
		}
		/**
		 * Whether the request that queued a backup runs the queue itself once its response is sent
		 * (default true; only where PHP-FPM or LiteSpeed can finish the response early). With false, only
		 * WP-Cron runs it.
		 *
		 * @param bool $run Run after the response.
		 */
		return (bool) apply_filters( 'wps3_run_after_response', true );
	}

	/**
	 * Asks for a run of the current site's queue at the end of this request.
	 *
	 * @return void
	 */
	public function request(): void {
		if ( ! $this->sites ) {
			// Late, after WordPress flushed its output buffers (priority 1) and other shutdown work.
			add_action( 'shutdown', array( $this, 'run' ), PHP_INT_MAX );
		}
		$this->sites[ get_current_blog_id() ] = true;
	}

	/**
	 * `shutdown` callback: sends the response, then processes each requested site's queue.
	 *
	 * @return void
	 */
	public function run(): void {
		$sites       = array_keys( $this->sites );
		$this->sites = array();
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		} elseif ( function_exists( 'litespeed_finish_request' ) ) {
			litespeed_finish_request();
		}
		foreach ( $sites as $blog_id ) {
			$switched = is_multisite() && get_current_blog_id() !== $blog_id && switch_to_blog( $blog_id );
			try {
				// One such run per site at a time: a burst of completed documents must not hold every PHP worker.
				// The others hand their jobs to WP-Cron. Jobs are claimed under a lease, so a WP-Cron run
				// alongside is harmless.
				if ( self::lock( $blog_id ) ) {
					try {
						Queue::instance()->process();
					} finally {
						self::unlock( $blog_id );
					}
				} else {
					// The run in progress may have finished claiming before this request's job was queued.
					Queue::instance()->spawn_cron();
				}
			} finally {
				if ( $switched ) {
					restore_current_blog();
				}
			}
		}
	}

	/**
	 * Takes the site's after-response lock without waiting (a MariaDB/MySQL named lock: it is released
	 * with the connection if the worker dies).
	 *
	 * @param int $blog_id Site.
	 * @return bool Whether this request holds it.
	 */
	private static function lock( int $blog_id ): bool {
		global $wpdb;
		return '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', self::lock_name( $blog_id ) ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a lock, not data.
	}

	/**
	 * Releases the site's after-response lock.
	 *
	 * @param int $blog_id Site.
	 * @return void
	 */
	private static function unlock( int $blog_id ): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::lock_name( $blog_id ) ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a lock, not data.
	}

	/**
	 * Lock name, per database and site (several WordPress installs can share one server).
	 *
	 * @param int $blog_id Site.
	 * @return string At most 64 characters, as MySQL allows.
	 */
	private static function lock_name( int $blog_id ): string {
		global $wpdb;
		return 'wps3_ar_' . substr( md5( DB_NAME . '|' . $wpdb->base_prefix . '|' . $blog_id ), 0, 24 );
	}
}
