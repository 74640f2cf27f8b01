<?php
/**
 * Multisite: tables, settings and secrets are per site. Run with WPS3_E2E_MULTISITE=1 against a harness
 * started with E2E_MULTISITE=1 (tests/e2e/run.sh does both).
 *
 * @package wps3
 */

// phpcs:disable WordPress.DB.DirectDatabaseQuery

/**
 * Multisite.
 *
 * @group multisite
 */
class MultisiteTest extends WPS3_E2E_TestCase {

	/**
	 * Id of the second site.
	 *
	 * @return int
	 */
	private function site2() {
		$site = get_site_by_path( wp_parse_url( self::env( 'MS_SITE_URL' ), PHP_URL_HOST ) . ':' . wp_parse_url( self::env( 'MS_SITE_URL' ), PHP_URL_PORT ), '/site2/' );
		$this->assertNotFalse( $site, 'site2 exists' );
		return (int) $site->blog_id;
	}

	protected function setUp(): void {
		if ( ! is_multisite() ) {
			$this->markTestSkipped( 'not a multisite harness (WPS3_E2E_MULTISITE=1)' );
		}
		parent::setUp();
	}

	public function test_settings_tables_and_secrets_are_per_site() {
		global $wpdb;
		$this->assertTrue( is_plugin_active_for_network( 'wps3/wps3.php' ) );
		$main_prefix = WPS3_Settings::instance()->get( 'path_prefix' );
		$main_env    = get_option( WPS3_Settings::SECRET_OPTION );
		$this->assertSame( 'wpsigner/', $main_prefix );
		$this->assertNotEmpty( $main_env );

		$site2 = $this->site2();
		switch_to_blog( $site2 );
		try {
			$tables = WPS3_Installer::tables();
			$this->assertSame( $wpdb->base_prefix . $site2 . '_wps3_jobs', $tables['jobs'] );
			$this->assertSame( $tables['jobs'], $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $tables['jobs'] ) ), 'site2 has its own tables' );
			$wpdb->query( "TRUNCATE TABLE {$tables['jobs']}" );
			$wpdb->query( "TRUNCATE TABLE {$tables['backups']}" );
			delete_option( WPS3_Settings::OPTION );
			delete_option( WPS3_Settings::SECRET_OPTION );

			// Not configured on site2, although the main site is.
			$this->assertSame( '', WPS3_Settings::instance()->get( 'bucket' ) );
			$id = self::new_document_id();
			$this->enqueue( $id, 'Site Two Contract', $this->make_pdf( 'Site Two Contract' ) );
			$this->assertSame( 1, $this->process()['failed'] );
			$this->assertSame( 'NOT_CONFIGURED', $this->job( $id )['last_error_code'] );

			$this->use_storage( array( 'path_prefix' => 'site2/' ) );
			$site2_env = get_option( WPS3_Settings::SECRET_OPTION );
			$this->assertNotSame( $main_env, $site2_env );
			$this->assertSame( 'site:' . $site2 . '|field:secret_access_key', WPS3_Settings::instance()->secret_context() );
			$this->assertSame( 1, $this->process()['done'] );
			$this->assertStringStartsWith( 'site2/Site-Two-Contract_', wps3_get_backup( $id )['object_key'] );
			$calls = $this->uploaded_calls( $id );
			$this->assertCount( 1, $calls );
			$this->assertSame( (string) $site2, $calls[0][4], 'the hook fired on site2' );
		} finally {
			restore_current_blog();
		}
		// The main site is untouched and does not see site2's job.
		$this->assertSame( 'wpsigner/', WPS3_Settings::instance()->get( 'path_prefix' ) );
		$this->assertSame( $main_env, get_option( WPS3_Settings::SECRET_OPTION ) );
		$this->assertNull( WPS3_Backup_Queue::instance()->get_job_by_document( $id ) );
	}

	public function test_new_site_gets_tables_and_deleted_site_drops_them() {
		global $wpdb;
		$domain = wp_parse_url( self::env( 'MS_SITE_URL' ), PHP_URL_HOST );
		$blog   = wpmu_create_blog( $domain, '/site' . wp_rand( 100, 999 ) . '/', 'Temp', get_user_by( 'login', self::env( 'ADMIN_USER' ) )->ID, array(), 1 );
		$this->assertIsInt( $blog );
		$this->assertSame( $wpdb->base_prefix . $blog . '_wps3_jobs', $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->base_prefix . $blog . '_wps3_jobs' ) ), 'wp_initialize_site created the tables' );
		wp_delete_site( $blog );
		$this->assertNull( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->base_prefix . $blog . '_wps3_jobs' ) ), 'wpmu_drop_tables dropped them' );
	}
}
