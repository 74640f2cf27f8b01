<?php
/**
 * The plugin's per-site tables: names, creation, verified upgrades.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Install;

defined( 'ABSPATH' ) || exit;

/**
 * Creates and upgrades the jobs and backups tables of the current site.
 *
 * Upgrades run under a MySQL named lock per site (another request already upgrading: skipped, the next
 * request checks again); the schema version is recorded only once the tables are read back with every
 * column and the binary document_id collation, because dbDelta reports no errors.
 */
final class Schema {

	/**
	 * Option holding the installed schema version (WPS3_DB_VERSION once current).
	 */
	public const DB_VERSION_OPTION = 'wps3_db_version';

	/**
	 * Columns each table must have in the current schema.
	 */
	private const REQUIRED_COLUMNS = array(
		'jobs'    => array( 'id', 'document_id', 'file_path', 'title', 'document', 'status', 'attempts', 'next_attempt_at', 'locked_by', 'locked_until', 'object_key', 'last_error_code', 'last_error_cause', 'last_error_fix', 'created_at', 'updated_at' ),
		'backups' => array( 'id', 'document_id', 'provider', 'endpoint', 'region', 'bucket', 'object_key', 'size', 'etag', 'uploaded_at' ),
	);

	/**
	 * Schema parts owned by other areas: classes with static `tables()`, `create_statements( $charset_collate )`,
	 * `required_columns()` (table => columns), `cron_hooks()` and `options()`. A list rather than a hook, because
	 * uninstall.php runs without the plugin loaded.
	 */
	public const PARTS = array( \WPS3\Transfers\Schema::class );

	/**
	 * Every table of the current site: the core tables and each part's.
	 *
	 * @return string[]
	 */
	public static function all_tables(): array {
		$tables = array_values( self::tables() );
		foreach ( self::PARTS as $part ) {
			$tables = array_merge( $tables, array_values( $part::tables() ) );
		}
		return $tables;
	}

	/**
	 * Table names of the current site.
	 *
	 * @return array{jobs:string,backups:string}
	 */
	public static function tables(): array {
		global $wpdb;
		return array(
			'jobs'    => $wpdb->prefix . 'wps3_jobs',
			'backups' => $wpdb->prefix . 'wps3_backups',
		);
	}

	/**
	 * Runs install() when the current site's schema is missing or outdated.
	 *
	 * @return void
	 */
	public static function maybe_upgrade(): void {
		if ( get_option( self::DB_VERSION_OPTION ) !== WPS3_DB_VERSION ) {
			self::install();
		}
	}

	/**
	 * Creates or upgrades the current site's tables and schedules the safety-net event (see the class
	 * comment for the lock and the verification).
	 *
	 * @return bool Whether the schema is current.
	 */
	public static function install(): bool {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';

		$lock = self::upgrade_lock_name();
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', $lock ) ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			return false; // Another request is upgrading this site's tables right now.
		}
		try {
			return self::install_locked();
		} finally {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		}
	}

	/**
	 * Name of the MySQL lock that serialises schema upgrades of the current site (at most 64 characters).
	 *
	 * @return string
	 */
	private static function upgrade_lock_name(): string {
		global $wpdb;
		$name = 'wps3_upgrade_' . $wpdb->prefix;
		return strlen( $name ) <= 64 ? $name : 'wps3_upgrade_' . md5( $wpdb->prefix );
	}

	/**
	 * The work of install(), under its lock.
	 *
	 * @return bool Whether the schema is current.
	 */
	private static function install_locked(): bool {
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
		foreach ( self::PARTS as $part ) {
			foreach ( $part::create_statements( $charset_collate ) as $sql ) {
				dbDelta( $sql );
			}
		}
		// The dbDelta() comparison covers column types only, not collations: upgrade document_id explicitly.
		$altered = self::binary_document_ids();

		Installer::schedule();
		if ( ! $altered || ! self::is_current() ) {
			return false;
		}
		update_option( self::DB_VERSION_OPTION, WPS3_DB_VERSION );
		return true;
	}

	/**
	 * Whether the current site's tables exist with every column and byte-exact document ids (read fresh).
	 *
	 * @return bool
	 */
	public static function is_current(): bool {
		global $wpdb;
		$tables = self::tables();
		foreach ( self::REQUIRED_COLUMNS as $key => $required ) {
			$wpdb->suppress_errors( true );
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$rows = $wpdb->get_results( "SHOW FULL COLUMNS FROM `{$tables[ $key ]}`", ARRAY_A );
			$wpdb->suppress_errors( false );
			$columns = array_column( (array) $rows, null, 'Field' );
			if ( array_diff( $required, array_keys( $columns ) ) || ! preg_match( '/_bin$/', (string) ( $columns['document_id']['Collation'] ?? '' ) ) ) {
				return false;
			}
		}
		foreach ( self::PARTS as $part ) {
			foreach ( $part::required_columns() as $table => $required ) {
				$wpdb->suppress_errors( true );
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				$names = $wpdb->get_col( "SHOW COLUMNS FROM `{$table}`" );
				$wpdb->suppress_errors( false );
				if ( array_diff( $required, (array) $names ) ) {
					return false;
				}
			}
		}
		return true;
	}

	/**
	 * Definition of the document_id columns: byte-exact (binary collation), so `ABC` and `abc` are two
	 * documents.
	 *
	 * @return string
	 */
	public static function document_id_column(): string {
		global $wpdb;
		$charset = $wpdb->has_cap( 'utf8mb4' ) ? 'utf8mb4' : 'utf8';
		return "varchar(191) CHARACTER SET {$charset} COLLATE {$charset}_bin NOT NULL";
	}

	/**
	 * Converts document_id columns of tables created before schema 2 to the binary collation.
	 *
	 * @return bool Whether every needed ALTER succeeded.
	 */
	private static function binary_document_ids(): bool {
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
}
