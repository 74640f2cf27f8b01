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
		$main_prefix = \WPS3\Settings\Settings::instance()->get( 'path_prefix' );
		$main_env    = get_option( \WPS3\Settings\Settings::SECRET_OPTION );
		$this->assertSame( 'wpsigner/', $main_prefix );
		$this->assertNotEmpty( $main_env );

		$site2 = $this->site2();
		switch_to_blog( $site2 );
		try {
			$tables = WPS3\Install\Schema::tables();
			$this->assertSame( $wpdb->base_prefix . $site2 . '_wps3_jobs', $tables['jobs'] );
			$this->assertSame( $tables['jobs'], $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $tables['jobs'] ) ), 'site2 has its own tables' );
			$wpdb->query( "TRUNCATE TABLE {$tables['jobs']}" );
			$wpdb->query( "TRUNCATE TABLE {$tables['backups']}" );
			delete_option( \WPS3\Settings\Settings::OPTION );
			delete_option( \WPS3\Settings\Settings::SECRET_OPTION );

			// Not configured on site2, although the main site is.
			$this->assertSame( '', \WPS3\Settings\Settings::instance()->get( 'bucket' ) );
			$id = self::new_document_id();
			$this->enqueue( $id, 'Site Two Contract', $this->make_pdf( 'Site Two Contract' ) );
			$this->assertSame( 1, $this->process()['failed'] );
			$this->assertSame( 'NOT_CONFIGURED', $this->job( $id )['last_error_code'] );

			$this->use_storage( array( 'path_prefix' => 'site2/' ) );
			$site2_env = get_option( \WPS3\Settings\Settings::SECRET_OPTION );
			$this->assertNotSame( $main_env, $site2_env );
			$this->assertSame( 'site:' . $site2 . '|field:secret_access_key', \WPS3\Settings\Settings::instance()->secret()->context() );
			$this->assertSame( 1, $this->process()['done'] );
			$this->assertStringStartsWith( 'site2/Site-Two-Contract_', wps3_get_backup( $id )['object_key'] );
			$calls = $this->uploaded_calls( $id );
			$this->assertCount( 1, $calls );
			$this->assertSame( (string) $site2, $calls[0][4], 'the hook fired on site2' );
		} finally {
			restore_current_blog();
		}
		// The main site is untouched and does not see site2's job.
		$this->assertSame( 'wpsigner/', \WPS3\Settings\Settings::instance()->get( 'path_prefix' ) );
		$this->assertSame( $main_env, get_option( \WPS3\Settings\Settings::SECRET_OPTION ) );
		$this->assertNull( \WPS3\Backup\Queue::instance()->job_for_document( $id ) );
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

	/**
	 * A user who administers site2 only (not a super admin).
	 *
	 * @return int
	 */
	private function site2_admin() {
		$user = get_user_by( 'login', 'site2-admin' );
		$id   = $user ? $user->ID : wp_insert_user( array( 'user_login' => 'site2-admin', 'user_pass' => wp_generate_password( 20 ), 'user_email' => 'site2@example.test', 'role' => '' ) );
		$this->assertIsInt( $id );
		add_user_to_blog( $this->site2(), $id, 'administrator' );
		return $id;
	}

	public function test_only_network_admins_change_the_endpoint() {
		$site2 = $this->site2();
		$admin = $this->site2_admin();
		switch_to_blog( $site2 );
		try {
			$this->use_storage( array( 'path_prefix' => 'site2/' ) );
			wp_set_current_user( $admin );
			$this->assertTrue( current_user_can( \WPS3\Admin\Screen::CAPABILITY ) );
			$this->assertFalse( current_user_can( 'manage_network_options' ) );

			list( $input, $errors ) = \WPS3\Rest\SettingsController::filter_input_for_user( array( 'endpoint' => 'http://10.0.0.5:9000', 'bucket' => 'other-bucket' ) );
			$this->assertNotEmpty( $errors, 'a site admin cannot point the site at another server' );
			$this->assertArrayNotHasKey( 'endpoint', $input );
			list( $input, $errors ) = \WPS3\Rest\SettingsController::filter_input_for_user( array( 'endpoint' => self::env( 'S3_ENDPOINT' ), 'path_prefix' => 'mine/' ) );
			$this->assertSame( array(), $errors, 'the same endpoint posted back is fine' );
			// The other fields still save; the stored endpoint is kept when the (disabled) field is absent.
			$this->assertIsArray( \WPS3\Settings\Settings::instance()->save( $input + array( 'provider' => 'custom', 'bucket' => self::env( 'S3_BUCKET' ), 'region' => self::env( 'S3_REGION' ), 'access_key_id' => self::env( 'S3_ACCESS_KEY_ID' ) ) ) );
			$this->assertSame( self::env( 'S3_ENDPOINT' ), \WPS3\Settings\Settings::instance()->get( 'endpoint' ) );
			$this->assertSame( 'mine/', \WPS3\Settings\Settings::instance()->get( 'path_prefix' ) );

			// The page (www/admin) makes the endpoint read-only from this payload.
			$page = ( new \WPS3\Rest\SettingsController() )->payload();
			$this->assertFalse( $page['canEditEndpoint'] );
			$this->assertSame( array(), (array) $page['locked'], 'other fields stay editable' );

			wp_set_current_user( get_user_by( 'login', self::env( 'ADMIN_USER' ) )->ID ); // Super admin.
			list( , $errors ) = \WPS3\Rest\SettingsController::filter_input_for_user( array( 'endpoint' => 'http://10.0.0.5:9000' ) );
			$this->assertSame( array(), $errors );
		} finally {
			wp_set_current_user( 0 );
			restore_current_blog();
		}
	}

	public function test_sidecar_failures_do_not_show_the_shared_log_to_site_admins() {
		$site2   = $this->site2();
		$admin   = $this->site2_admin();
		$dir     = self::env( 'E2E_DIR' ) . '/sc-ms-' . wp_generate_password( 4, false );
		$defines = array(
			'DISABLE_WP_CRON'     => true,
			'WPS3_NODE_BINARY'    => '/bin/false',
			'WPS3_SIDECAR_SOCKET' => $dir . '/s.sock',
		);
		mkdir( $dir, 0700 );
		file_put_contents( $dir . '/sidecar.log', "{\"level\":\"error\",\"msg\":\"OTHER-SITE-SECRET-LOG-LINE\"}\n" );
		$code = 'switch_to_blog( ' . $site2 . ' ); add_filter( "wps3_sidecar_start_timeout", function () { return 1.0; } ); require_once ABSPATH . "wp-admin/includes/admin.php";'
			. ' $r = \WPS3\Sidecar\Client::instance()->call( "health" ); $out = array( "error" => $r->get_error_message() . " " . \WPS3\Errors::field( $r, "fix" ) );'
			. ' foreach ( array( "site" => (int) getenv( "SITE_ADMIN" ), "network" => (int) getenv( "SUPER_ADMIN" ) ) as $k => $u ) { wp_set_current_user( $u ); ob_start(); \WPS3\Admin\Notices::render_global(); $out[ $k ] = ob_get_clean(); }'
			. ' echo wp_json_encode( $out );';
		$out = json_decode(
			$this->wait_wp(
				$this->spawn_wp(
					array( 'eval', $code ),
					$defines,
					array(
						'SITE_ADMIN'  => (string) $admin,
						'SUPER_ADMIN' => (string) get_user_by( 'login', self::env( 'ADMIN_USER' ) )->ID,
					)
				)
			),
			true
		);
		$this->assertIsArray( $out );
		$this->assertStringNotContainsString( 'OTHER-SITE-SECRET-LOG-LINE', $out['error'], 'no log tail in errors' );
		$this->assertStringNotContainsString( $dir, $out['error'], 'no log path in per-site errors' );
		$this->assertStringContainsString( 'wps3-sidecar-notice', $out['site'], 'site admins learn that the sidecar failed' );
		$this->assertStringNotContainsString( 'sidecar.log', $out['site'] );
		$this->assertStringNotContainsString( 'OTHER-SITE-SECRET-LOG-LINE', $out['site'] );
		$this->assertStringContainsString( $dir . '/sidecar.log', $out['network'], 'network admins see where the log is' );
		$this->assertStringNotContainsString( 'OTHER-SITE-SECRET-LOG-LINE', $out['network'] );
		switch_to_blog( $site2 );
		delete_transient( 'wps3_sidecar_error' );
		restore_current_blog();
	}
}
