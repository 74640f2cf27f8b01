<?php
/**
 * Tables, activation, deactivation and multisite site lifecycle.
 *
 * @package wps3
 */

defined( 'ABSPATH' ) || exit;

/**
 * Creates and removes the plugin's per-site tables.
 */
class WPS3_Installer {

	const DB_VERSION_OPTION = 'wps3_db_version';

	/**
	 * Option names the plugin stores per site (deleted on uninstall).
	 *
	 * @var string[]
	 */
	public static $options = array(
		'wps3_settings',
		'wps3_secret_envelope',
		'wps3_db_version',
		'wps3_demo_documents',
	);

	/**
	 * Activation hook.
	 *
	 * @param bool $network_wide Whether the plugin is being network-activated.
	 * @return void
	 */
	public static function activate( $network_wide = false ) {
		// The random part of the default sidecar directory, once for the whole install (network option).
		WPS3_Sidecar_Client::ensure_runtime_suffix();
		if ( is_multisite() && $network_wide ) {
			foreach ( self::site_ids() as $site_id ) {
				switch_to_blog( $site_id );
				self::install_site();
				restore_current_blog();
			}
			return;
		}
		self::install_site();
	}

	/**
	 * Deactivation hook: removes scheduled events (tables and settings stay until uninstall).
	 *
	 * @param bool $network_wide Whether the plugin is being network-deactivated.
	 * @return void
	 */
	public static function deactivate( $network_wide = false ) {
		if ( is_multisite() && $network_wide ) {
			foreach ( self::site_ids() as $site_id ) {
				switch_to_blog( $site_id );
				self::unschedule();
				restore_current_blog();
			}
			return;
		}
		self::unschedule();
	}

	/**
	 * All site ids of the network.
	 *
	 * @return int[]
	 */
	public static function site_ids() {
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
	 * Table names of the current site.
	 *
	 * @return array{jobs:string,backups:string}
	 */
	public static function tables() {
		global $wpdb;
		return array(
			'jobs'    => $wpdb->prefix . 'wps3_jobs',
			'backups' => $wpdb->prefix . 'wps3_backups',
		);
	}

	/**
	 * Creates or upgrades the current site's tables and schedules the safety-net event. Runs under a MySQL
	 * named lock per site (another request already upgrading: skipped, the next request checks again); the
	 * schema version is recorded only once the tables are read back with every column and the binary
	 * document_id collation.
	 *
	 * @return bool Whether the schema is current.
	 */
	public static function install_site() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';

		$lock = self::upgrade_lock_name();
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', $lock ) ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			return false; // Another request is upgrading this site's tables right now.
		}
		try {
			return self::install_site_locked();
		} finally {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		}
	}

	/**
	 * Name of the MySQL lock that serialises schema upgrades of the current site (at most 64 characters).
	 *
	 * @return string
	 */
	private static function upgrade_lock_name() {
		global $wpdb;
		$name = 'wps3_upgrade_' . $wpdb->prefix;
		return strlen( $name ) <= 64 ? $name : 'wps3_upgrade_' . md5( $wpdb->prefix );
	}

	/**
	 * install_site() under its lock.
	 *
	 * @return bool Whether the schema is current.
	 */
	private static function install_site_locked() {
		global $wpdb;

		$charset_collate = $wpdb->get_charset_collate();
		$tables          = self::tables();
		$id_column       = self::document_id_column();

		// Times that the queue compares (next_attempt_at, locked_until) are unix seconds.
		$sql_jobs = "CREATE TABLE {$tables['jobs']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  document_id $id_column,
  file_path text NOT NULL,
  title text NOT NULL,
  document longtext NULL,
  status varchar(20) NOT NULL DEFAULT 'pending',
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  next_attempt_at bigint(20) unsigned NOT NULL DEFAULT 0,
  locked_by varchar(64) NULL,
  locked_until bigint(20) unsigned NULL,
  object_key text NULL,
  last_error_code varchar(100) NULL,
  last_error_cause text NULL,
  last_error_fix text NULL,
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY document_id (document_id),
  KEY status_next (status,next_attempt_at)
) $charset_collate;";

		$sql_backups = "CREATE TABLE {$tables['backups']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  document_id $id_column,
  provider varchar(32) NOT NULL,
  endpoint varchar(255) NOT NULL DEFAULT '',
  region varchar(64) NOT NULL DEFAULT '',
  bucket varchar(255) NOT NULL,
  object_key text NOT NULL,
  size bigint(20) unsigned NOT NULL DEFAULT 0,
  etag varchar(255) NOT NULL DEFAULT '',
  uploaded_at datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY document_id (document_id)
) $charset_collate;";

		dbDelta( $sql_jobs );
		dbDelta( $sql_backups );
		// dbDelta compares column types only, not collations: upgrade document_id explicitly.
		$altered = self::binary_document_ids();

		self::schedule();
		// dbDelta reports no errors: read the tables back before recording the version.
		if ( ! $altered || ! self::schema_is_current() ) {
			return false;
		}
		update_option( self::DB_VERSION_OPTION, WPS3_DB_VERSION );
		return true;
	}

	/**
	 * Columns each table must have in the current schema.
	 *
	 * @return array<string,string[]> Table key (jobs, backups) => columns.
	 */
	private static function required_columns() {
		return array(
			'jobs'    => array( 'id', 'document_id', 'file_path', 'title', 'document', 'status', 'attempts', 'next_attempt_at', 'locked_by', 'locked_until', 'object_key', 'last_error_code', 'last_error_cause', 'last_error_fix', 'created_at', 'updated_at' ),
			'backups' => array( 'id', 'document_id', 'provider', 'endpoint', 'region', 'bucket', 'object_key', 'size', 'etag', 'uploaded_at' ),
		);
	}

	/**
	 * Whether the current site's tables exist with every column and byte-exact document ids (read fresh).
	 *
	 * @return bool
	 */
	public static function schema_is_current() {
		global $wpdb;
		$tables = self::tables();
		foreach ( self::required_columns() as $key => $required ) {
			$wpdb->suppress_errors( true );
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$rows = $wpdb->get_results( "SHOW FULL COLUMNS FROM `{$tables[ $key ]}`", ARRAY_A );
			$wpdb->suppress_errors( false );
			$columns = array_column( (array) $rows, null, 'Field' );
			if ( array_diff( $required, array_keys( $columns ) ) || ! preg_match( '/_bin$/', (string) ( $columns['document_id']['Collation'] ?? '' ) ) ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Definition of the document_id columns: byte-exact (binary collation), so `ABC` and `abc` are
	 * two documents.
	 *
	 * @return string
	 */
	public static function document_id_column() {
		global $wpdb;
		$charset = $wpdb->has_cap( 'utf8mb4' ) ? 'utf8mb4' : 'utf8';
		return "varchar(191) CHARACTER SET {$charset} COLLATE {$charset}_bin NOT NULL";
	}

	/**
	 * Converts document_id columns of tables created before schema 2 to the binary collation.
	 *
	 * @return bool Whether every needed ALTER succeeded.
	 */
	private static function binary_document_ids() {
		global $wpdb;
		$definition = self::document_id_column();
		$ok         = true;
		foreach ( self::tables() as $table ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$column = $wpdb->get_row( "SHOW FULL COLUMNS FROM `{$table}` LIKE 'document_id'", ARRAY_A );
			if ( is_array( $column ) && ! preg_match( '/_bin$/', (string) $column['Collation'] ) ) {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$ok = ( false !== $wpdb->query( "ALTER TABLE `{$table}` MODIFY document_id {$definition}" ) ) && $ok;
			}
		}
		return $ok;
	}

	/**
	 * Runs install_site() when the current site's schema is missing or outdated.
	 *
	 * @return void
	 */
	public static function maybe_upgrade() {
		if ( get_option( self::DB_VERSION_OPTION ) !== WPS3_DB_VERSION ) {
			self::install_site();
		}
	}

	/**
	 * Schedules the recurring safety-net run of the queue.
	 *
	 * @return void
	 */
	public static function schedule() {
		if ( ! wp_next_scheduled( \WPS3\Backup\Queue::CRON_HOOK, \WPS3\Backup\Queue::RECURRING_ARGS ) ) {
			wp_schedule_event( time() + 60, \WPS3\Backup\Queue::CRON_SCHEDULE, \WPS3\Backup\Queue::CRON_HOOK, \WPS3\Backup\Queue::RECURRING_ARGS );
		}
	}

	/**
	 * Removes every scheduled event of the plugin on the current site.
	 *
	 * @return void
	 */
	public static function unschedule() {
		wp_clear_scheduled_hook( \WPS3\Backup\Queue::CRON_HOOK );
		wp_clear_scheduled_hook( \WPS3\Backup\Queue::CRON_HOOK, \WPS3\Backup\Queue::RECURRING_ARGS );
	}

	/**
	 * `wp_initialize_site`: installs the tables on a new site when the plugin is network-active.
	 *
	 * @param WP_Site $site New site.
	 * @return void
	 */
	public static function on_initialize_site( $site ) {
		if ( ! function_exists( 'is_plugin_active_for_network' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		if ( ! is_plugin_active_for_network( plugin_basename( WPS3_PLUGIN_FILE ) ) ) {
			return;
		}
		switch_to_blog( (int) $site->blog_id );
		self::install_site();
		restore_current_blog();
	}

	/**
	 * `wpmu_drop_tables`: drops the plugin's tables with a deleted site.
	 *
	 * @param string[] $tables Tables WordPress will drop.
	 * @return string[]
	 */
	public static function on_drop_tables( $tables ) {
		$ours = self::tables();
		$tables[] = $ours['jobs'];
		$tables[] = $ours['backups'];
		return $tables;
	}

	/**
	 * Stops the sidecar and deletes its runtime directory when it is the plugin's default one (socket, pid,
	 * lock, marker, token and log). A directory chosen with WPS3_SIDECAR_SOCKET belongs to the admin: the
	 * sidecar is stopped only if the plugin started it (marker file), and only the socket (if nothing listens),
	 * our pid file and the marker are removed, never the directory or generic names (lock, log, token).
	 *
	 * @return void
	 */
	public static function uninstall_sidecar() {
		$client = WPS3_Sidecar_Client::instance();
		if ( ! $client->is_default_runtime_dir() ) {
			$client->stop_if_started_by_us();
			$dir = $client->runtime_dir();
			if ( is_dir( $dir ) && ! is_link( $dir ) ) {
				$client->remove_own_files();
			}
			return;
		}
		$client->stop();
		$dir = $client->runtime_dir();
		if ( ! is_dir( $dir ) || is_link( $dir ) ) {
			return;
		}
		$files = $client->runtime_files();
		if ( defined( 'WPS3_SIDECAR_TOKEN_FILE' ) && WPS3_SIDECAR_TOKEN_FILE ) {
			// An admin-provided token file stays.
			$files = array_diff( $files, array( (string) WPS3_SIDECAR_TOKEN_FILE ) );
		}
		foreach ( $files as $file ) {
			if ( file_exists( $file ) || is_link( $file ) ) {
				@unlink( $file ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			}
		}
		// The default directory is the plugin's alone (random name, 0700): remove all of it.
		foreach ( (array) glob( $dir . '/{,.}[!.]*', GLOB_BRACE ) as $file ) {
			if ( ! is_dir( $file ) || is_link( $file ) ) {
				@unlink( $file ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			}
		}
		@rmdir( $dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
	}

	/**
	 * Deletes the demo documents folder (uploads/wps3-demo) of the current site.
	 *
	 * @return void
	 */
	private static function delete_demo_dir() {
		$uploads = wp_upload_dir( null, false );
		if ( empty( $uploads['basedir'] ) ) {
			return;
		}
		$dir = trailingslashit( $uploads['basedir'] ) . 'wps3-demo';
		if ( ! is_dir( $dir ) || is_link( $dir ) ) {
			return;
		}
		foreach ( (array) glob( $dir . '/{,.}[!.]*', GLOB_BRACE ) as $file ) {
			if ( is_file( $file ) || is_link( $file ) ) {
				@unlink( $file ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
			}
		}
		@rmdir( $dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors,WordPress.WP.AlternativeFunctions
	}

	/**
	 * Drops the tables and deletes the options of the current site.
	 *
	 * @return void
	 */
	public static function uninstall_site() {
		global $wpdb;
		self::unschedule();
		foreach ( self::tables() as $table ) {
			$wpdb->query( "DROP TABLE IF EXISTS `{$table}`" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.DirectDatabaseQuery.SchemaChange -- table name is built from $wpdb->prefix.
		}
		foreach ( self::$options as $option ) {
			delete_option( $option );
		}
		self::delete_demo_dir();
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s", $wpdb->esc_like( '_transient_wps3_' ) . '%', $wpdb->esc_like( '_transient_timeout_wps3_' ) . '%' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	}
}
