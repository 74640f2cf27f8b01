<?php
/**
 * Tables of direct browser transfers: upload intents and confirmed files.
 *
 * The installer (WPS3\Install\Schema::PARTS) creates, checks and drops them through its schema parts list, so
 * activation, `init` upgrades, multisite site creation/deletion and uninstall treat them like its own.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3\Transfers;

defined( 'ABSPATH' ) || exit;

/**
 * Table names, CREATE statements, required columns and cron hooks of the transfers area.
 */
final class Schema {

	/** Option where the demo remembers what it created (DemoPart). */
	const DEMO_OPTION = 'wps3_demo_transfers';

	/**
	 * Table names of the current site.
	 *
	 * @return array{intents:string,files:string}
	 */
	public static function tables(): array {
		global $wpdb;
		return array(
			'intents' => $wpdb->prefix . 'wps3_intents',
			'files'   => $wpdb->prefix . 'wps3_files',
		);
	}

	/**
	 * The dbDelta() statements. Keys and upload ids can be 1 KB long, so lookups go through their SHA-256
	 * (`*_hash`, unique) rather than an index prefix. Times are unix seconds.
	 *
	 * @param string $charset_collate `$wpdb->get_charset_collate()`.
	 * @return string[]
	 */
	public static function create_statements( string $charset_collate ): array {
		$t = self::tables();
		return array(
			"CREATE TABLE {$t['intents']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_id bigint(20) unsigned NOT NULL,
  object_key text NOT NULL,
  key_hash char(64) NOT NULL,
  bucket varchar(255) NOT NULL DEFAULT '',
  filename varchar(255) NOT NULL DEFAULT '',
  content_type varchar(255) NOT NULL DEFAULT '',
  size bigint(20) unsigned NOT NULL DEFAULT 0,
  max_size bigint(20) unsigned NOT NULL DEFAULT 0,
  shape varchar(16) NOT NULL DEFAULT '',
  upload_id text NULL,
  upload_id_hash char(64) NULL,
  status varchar(16) NOT NULL DEFAULT 'pending',
  file_id bigint(20) unsigned NULL,
  expires_at bigint(20) unsigned NOT NULL DEFAULT 0,
  created_at bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  UNIQUE KEY key_hash (key_hash),
  UNIQUE KEY upload_id_hash (upload_id_hash),
  KEY user_status (user_id,status),
  KEY status_expires (status,expires_at)
) $charset_collate;",
			"CREATE TABLE {$t['files']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  intent_id bigint(20) unsigned NOT NULL,
  user_id bigint(20) unsigned NOT NULL,
  bucket varchar(255) NOT NULL DEFAULT '',
  object_key text NOT NULL,
  filename varchar(255) NOT NULL DEFAULT '',
  content_type varchar(255) NOT NULL DEFAULT '',
  size bigint(20) unsigned NOT NULL DEFAULT 0,
  created_at bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  UNIQUE KEY intent_id (intent_id),
  KEY user_created (user_id,created_at)
) $charset_collate;",
		);
	}

	/**
	 * Columns each table must have.
	 *
	 * @return array<string,string[]> Table name => columns.
	 */
	public static function required_columns(): array {
		$t = self::tables();
		return array(
			$t['intents'] => array( 'id', 'user_id', 'object_key', 'key_hash', 'bucket', 'filename', 'content_type', 'size', 'max_size', 'shape', 'upload_id', 'upload_id_hash', 'status', 'file_id', 'expires_at', 'created_at' ),
			$t['files']   => array( 'id', 'intent_id', 'user_id', 'bucket', 'object_key', 'filename', 'content_type', 'size', 'created_at' ),
		);
	}

	/**
	 * Cron hooks to remove on deactivation and uninstall.
	 *
	 * @return string[]
	 */
	public static function cron_hooks(): array {
		return array( Cleanup::HOOK );
	}

	/**
	 * Options to delete on uninstall.
	 *
	 * @return string[]
	 */
	public static function options(): array {
		return array( Config::MODE_OPTION, self::DEMO_OPTION );
	}
}
