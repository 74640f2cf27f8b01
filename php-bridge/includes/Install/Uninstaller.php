<?php
/**
 * Uninstall: stops the sidecar, removes what the plugin created, drops its tables and options.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Install;

use WPS3\Sidecar\Client;
use WPS3\Sidecar\RuntimeSuffix;

defined( 'ABSPATH' ) || exit;

/**
 * Removes the plugin from the whole install (uninstall.php runs run()).
 */
final class Uninstaller {

	/**
	 * Option names the plugin stores per site.
	 */
	private const OPTIONS = array(
		'wps3_settings',
		'wps3_secret_envelope',
		Schema::DB_VERSION_OPTION,
		'wps3_demo_documents',
		\WPS3\Rest\SettingsController::DIRECT_UPLOADS_OPTION,
	);

	/**
	 * The whole uninstall: the sidecar serves the whole install, so it is stopped once; then every site's
	 * data goes, then the network-wide runtime suffix.
	 *
	 * @return void
	 */
	public static function run(): void {
		self::uninstall_sidecar();
		Installer::on_each_site( true, array( self::class, 'uninstall_site' ) );
		delete_site_option( RuntimeSuffix::OPTION );
		delete_site_option( \WPS3\Settings\NetworkMode::OPTION );
		delete_site_transient( \WPS3\Sidecar\Status::START_ERROR );
	}

	/**
	 * Stops the sidecar and deletes its runtime directory when it is the plugin's default one (socket, pid,
	 * lock, marker, token and log). A directory chosen with WPS3_SIDECAR_SOCKET belongs to the admin: the
	 * sidecar is stopped only if the plugin started it (marker file), and only what remove_own_files()
	 * names is removed, never the directory.
	 *
	 * @return void
	 */
	public static function uninstall_sidecar(): void {
		$client  = Client::instance();
		$runtime = $client->runtime();
		$dir     = $runtime->path();
		if ( ! $runtime->is_default() ) {
			self::stop_if_started_by_us( $client );
			if ( is_dir( $dir ) && ! is_link( $dir ) ) {
				self::remove_own_files( $client );
			}
			return;
		}
		$client->supervisor()->stop();
		$admin_file = defined( 'WPS3_SIDECAR_TOKEN_FILE' ) ? (string) WPS3_SIDECAR_TOKEN_FILE : '';
		self::clear_default_dir( $dir, $runtime->files(), $admin_file );
	}

	/**
	 * Empties and removes the default runtime directory (the plugin's alone: random name, 0700), except
	 * an admin-supplied token file (WPS3_SIDECAR_TOKEN_FILE), which stays even when it lives there.
	 *
	 * @param string   $dir         The default runtime directory.
	 * @param string[] $files       The files the plugin may have created there.
	 * @param string   $admin_file WPS3_SIDECAR_TOKEN_FILE, '' when not set.
	 * @return void
	 */
	public static function clear_default_dir( string $dir, array $files, string $admin_file ): void {
		if ( ! is_dir( $dir ) || is_link( $dir ) ) {
			return;
		}
		// Compared by real path: the constant may spell the same file another way.
		$keep = '' !== $admin_file ? realpath( $admin_file ) : false;
		foreach ( $files as $file ) {
			if ( ( file_exists( $file ) || is_link( $file ) ) && ( false === $keep || realpath( $file ) !== $keep ) ) {
				@unlink( $file ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			}
		}
		// The directory itself goes too, unless the admin's token file keeps it.
		self::remove_dir( $dir, false, false === $keep ? '' : $keep );
	}

	/**
	 * Stops the sidecar only if this plugin started it (the marker names its pid): a sidecar an admin runs
	 * (as a service) in a directory they chose is left alone.
	 *
	 * @param Client $client Sidecar client.
	 * @return bool Whether a process was signalled.
	 */
	private static function stop_if_started_by_us( Client $client ): bool {
		$marker = $client->supervisor()->processes()->read_marker();
		if ( null === $marker ) {
			return false;
		}
		$client->supervisor()->recheck();
		$mpid   = (int) $marker['pid'];
		$health = $client->health( 1 );
		$hpid   = is_wp_error( $health ) ? 0 : (int) ( $health['pid'] ?? 0 );
		if ( $hpid && $hpid !== $mpid ) {
			return false; // Another sidecar answers now: not the one we started.
		}
		return $client->supervisor()->terminate( $mpid, $hpid === $mpid, 5.0 );
	}

	/**
	 * In a runtime directory an admin chose: removes the socket if nothing listens on it, the pid file if it
	 * is ours (it names the sidecar this plugin started, per the marker, and that process no longer runs)
	 * and the marker. Generic names (lock, log, token) stay: they may belong to a sidecar the admin runs.
	 *
	 * @param Client $client Sidecar client.
	 * @return void
	 */
	private static function remove_own_files( Client $client ): void {
		$socket    = $client->runtime()->socket_path();
		$processes = $client->supervisor()->processes();
		clearstatcache();
		if ( ! $client->endpoint()->uses_tcp() && 'socket' === @filetype( $socket ) ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors
			$conn = @stream_socket_client( 'unix://' . $socket, $errno, $errstr, 1 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors
			if ( false === $conn ) {
				@unlink( $socket ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions -- nobody listens.
			} else {
				fclose( $conn ); // phpcs:ignore WordPress.WP.AlternativeFunctions
			}
		}
		$marker = $processes->read_marker();
		$pid    = $processes->read_pid();
		// A running sidecar's pid file stays, whoever started it.
		if ( $pid && null !== $marker && (int) $marker['pid'] === $pid && ! $processes->runs( $pid ) ) {
			$processes->remove_pid_file();
		}
		$processes->remove_marker();
	}

	/**
	 * Deletes the files in a directory (not sub-directories), then the directory if it is empty.
	 *
	 * @param string $dir          Directory.
	 * @param bool   $regular_only Only regular files and links (the demo folder), or anything but
	 *                             directories (the runtime directory: sockets too).
	 * @param string $keep         Real path of a file that stays ('' for none).
	 * @return void
	 */
	private static function remove_dir( string $dir, bool $regular_only, string $keep = '' ): void {
		foreach ( (array) glob( $dir . '/{,.}[!.]*', GLOB_BRACE ) as $file ) {
			$file = (string) $file;
			if ( '' !== $keep && realpath( $file ) === $keep ) {
				continue;
			}
			if ( $regular_only ? ( is_file( $file ) || is_link( $file ) ) : ( ! is_dir( $file ) || is_link( $file ) ) ) {
				@unlink( $file ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			}
		}
		@rmdir( $dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,Generic.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
	}

	/**
	 * Drops the tables and deletes the options, transients and demo folder (uploads/wps3-demo) of the
	 * current site.
	 *
	 * @return void
	 */
	public static function uninstall_site(): void {
		global $wpdb;
		Installer::unschedule();
		foreach ( Schema::all_tables() as $table ) {
			$wpdb->query( "DROP TABLE IF EXISTS `{$table}`" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery.SchemaChange -- table name is built from $wpdb->prefix.
		}
		foreach ( Schema::PARTS as $part ) {
			array_map( 'delete_option', $part::options() );
		}
		foreach ( self::OPTIONS as $option ) {
			delete_option( $option );
		}
		$uploads = wp_upload_dir( null, false );
		if ( ! empty( $uploads['basedir'] ) ) {
			$demo = trailingslashit( $uploads['basedir'] ) . 'wps3-demo';
			if ( is_dir( $demo ) && ! is_link( $demo ) ) {
				self::remove_dir( $demo, true );
			}
		}
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s", $wpdb->esc_like( '_transient_wps3_' ) . '%', $wpdb->esc_like( '_transient_timeout_wps3_' ) . '%' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	}
}
