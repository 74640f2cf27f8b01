<?php
/**
 * Multisite boundaries (issue 10, hole 3): the network mode (own credentials vs network-locked), keys that
 * carry the site, and start-up failures whose host paths only network admins read.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery

/**
 * Network mode.
 *
 * @group multisite
 */
class NetworkModeTest extends WPS3_E2E_TestCase {

	/**
	 * Multisite only; the mode is reset after each test.
	 */
	protected function setUp(): void {
		if ( ! is_multisite() ) {
			$this->markTestSkipped( 'not a multisite harness (WPS3_E2E_MULTISITE=1)' );
		}
		parent::setUp();
	}

	/**
	 * Forgets the mode.
	 */
	protected function tearDown(): void {
		if ( is_multisite() ) {
			delete_site_option( \WPS3\Settings\NetworkMode::OPTION );
		}
		parent::tearDown();
	}

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

	/**
	 * A user who administers site2 only.
	 *
	 * @return int
	 */
	private function site2_admin() {
		$user = get_user_by( 'login', 'site2-admin' );
		$id   = $user ? $user->ID : wp_insert_user(
			array(
				'user_login' => 'site2-admin',
				'user_pass'  => wp_generate_password( 20 ),
				'user_email' => 'site2@example.test',
				'role'       => '',
			)
		);
		$this->assertIsInt( $id );
		add_user_to_blog( $this->site2(), $id, 'administrator' );
		return $id;
	}

	/**
	 * Runs PHP on site2 as its (non-network) admin in a process with the network's WPS3_* constants.
	 *
	 * @param string $code    PHP that echoes JSON.
	 * @param array  $defines Constants.
	 * @return array
	 */
	private function on_site2( $code, array $defines ) {
		$prefix = 'switch_to_blog( ' . $this->site2() . ' ); require_once ABSPATH . "wp-admin/includes/admin.php"; wp_set_current_user( (int) getenv( "SITE_ADMIN" ) );';
		$out    = $this->wait_wp(
			$this->spawn_wp(
				array( 'eval', $prefix . $code ),
				$defines,
				array(
					'SITE_ADMIN'  => (string) $this->site2_admin(),
					'SUPER_ADMIN' => (string) get_user_by( 'login', self::env( 'ADMIN_USER' ) )->ID,
				)
			)
		);
		$json = json_decode( trim( $out ), true );
		$this->assertIsArray( $json, $out );
		return $json;
	}

	/**
	 * The harness storage as wp-config.php constants.
	 *
	 * @return array
	 */
	private function network_constants() {
		return array(
			'WPS3_PROVIDER'          => 'custom',
			'WPS3_ENDPOINT'          => self::env( 'S3_ENDPOINT' ),
			'WPS3_REGION'            => self::env( 'S3_REGION' ),
			'WPS3_BUCKET'            => self::env( 'S3_BUCKET' ),
			'WPS3_ACCESS_KEY_ID'     => self::env( 'S3_ACCESS_KEY_ID' ),
			'WPS3_SECRET_ACCESS_KEY' => self::env( 'S3_SECRET_ACCESS_KEY' ),
		);
	}

	/**
	 * Locked: a site admin can change none of credentials, bucket, region, prefix (REST refuses, save ignores
	 * them, a value stored earlier is not used), and the page shows them read-only.
	 */
	public function test_network_locked_sites_cannot_aim_the_network_key_elsewhere() {
		$this->assertTrue( \WPS3\Settings\NetworkMode::set( \WPS3\Settings\NetworkMode::LOCKED ) );
		$code = '
			$s = \WPS3\Settings\Settings::instance();
			// What a site admin might have stored before the network was locked.
			update_option( \WPS3\Settings\Settings::OPTION, array( "bucket" => "other-bucket", "path_prefix" => "site1/", "access_key_id" => "AKIAOTHER", "region" => "eu-west-3" ) );
			$refused = array();
			foreach ( array( "bucket" => "other-bucket", "region" => "eu-west-3", "path_prefix" => "site1/", "access_key_id" => "AKIAOTHER", "endpoint" => "http://10.0.0.5:9000", "secret_access_key" => "guess" ) as $f => $v ) {
				list( , $errors ) = \WPS3\Rest\SettingsController::filter_input_for_user( array( $f => $v ) );
				$refused[ $f ] = count( $errors );
			}
			list( , $same ) = \WPS3\Rest\SettingsController::filter_input_for_user( array( "bucket" => $s->get( "bucket" ), "path_prefix" => $s->get( "path_prefix" ) ) );
			$req = new WP_REST_Request( "POST", "/wps3/v1/settings" );
			$req->set_body_params( array( "settings" => array( "provider" => "custom", "bucket" => "other-bucket", "region" => $s->get( "region" ) ) ) );
			$rest = rest_do_request( $req );
			$saved = $s->save( array( "bucket" => "other-bucket", "path_prefix" => "mine/", "access_key_id" => "AKIAOTHER" ) );
			$payload = ( new \WPS3\Rest\SettingsController() )->payload();
			$creds = $s->credentials();
			echo wp_json_encode( array(
				"refused" => $refused, "same" => count( $same ),
				"rest" => $rest->get_status(), "restCode" => $rest->as_error() ? $rest->as_error()->get_error_code() : "",
				"bucket" => $s->get( "bucket" ), "prefix" => $s->get( "path_prefix" ), "region" => $s->get( "region" ), "key" => $s->get( "access_key_id" ),
				"creds" => is_wp_error( $creds ) ? $creds->get_error_code() : $creds["accessKeyId"],
				"locked" => array_keys( (array) $payload["locked"] ), "mode" => $payload["networkMode"],
			) );';
		$out  = $this->on_site2( $code, $this->network_constants() );
		foreach ( $out['refused'] as $field => $count ) {
			$this->assertGreaterThanOrEqual( 1, $count, "a site admin cannot change $field" );
		}
		$this->assertSame( 0, $out['same'], 'posting the locked values back is fine' );
		$this->assertSame( 403, $out['rest'] );
		$this->assertSame( 'wps3_network_locked', $out['restCode'] );
		$this->assertSame( self::env( 'S3_BUCKET' ), $out['bucket'] );
		$this->assertSame( 'wpsigner/', $out['prefix'], 'the network default, not the stored site1/' );
		$this->assertSame( self::env( 'S3_REGION' ), $out['region'] );
		$this->assertSame( self::env( 'S3_ACCESS_KEY_ID' ), $out['key'] );
		$this->assertSame( self::env( 'S3_ACCESS_KEY_ID' ), $out['creds'] );
		foreach ( array( 'provider', 'endpoint', 'region', 'bucket', 'pathPrefix', 'accessKeyId', 'secretAccessKey' ) as $field ) {
			$this->assertContains( $field, $out['locked'], "the page shows $field read-only" );
		}
		$this->assertSame( 'network-locked', $out['mode'] );
	}

	/**
	 * Own credentials: the network's secret is never a site's, so a site admin cannot pair it with a bucket.
	 */
	public function test_own_credentials_never_use_the_network_secret() {
		$this->assertTrue( \WPS3\Settings\NetworkMode::set( \WPS3\Settings\NetworkMode::OWN ) );
		$code = '
			delete_option( \WPS3\Settings\Settings::SECRET_OPTION );
			update_option( \WPS3\Settings\Settings::OPTION, array( "provider" => "custom", "endpoint" => "http://127.0.0.1:9", "bucket" => "probe-bucket", "access_key_id" => "AKIASITE" ) );
			$s = \WPS3\Settings\Settings::instance();
			$creds = $s->credentials();
			list( , $errors ) = \WPS3\Rest\SettingsController::filter_input_for_user( array( "bucket" => "probe-bucket" ) );
			echo wp_json_encode( array(
				"locked" => $s->is_locked( "secret_access_key" ), "keyLocked" => $s->is_locked( "access_key_id" ),
				"hasSecret" => $s->has_secret(), "key" => $s->get( "access_key_id" ),
				"creds" => is_wp_error( $creds ) ? $creds->get_error_code() : "credentials",
				"errors" => count( $errors ),
			) );';
		$out  = $this->on_site2( $code, $this->network_constants() );
		$this->assertFalse( $out['locked'], 'the network secret is not the site\'s' );
		$this->assertFalse( $out['keyLocked'] );
		$this->assertFalse( $out['hasSecret'] );
		$this->assertSame( 'AKIASITE', $out['key'] );
		$this->assertSame( 'wps3_not_configured', $out['creds'], 'no credentials until the site enters its own secret' );
		$this->assertSame( 0, $out['errors'], 'the site chooses its own bucket' );
	}

	/**
	 * Unchosen, a network whose wp-config.php provides a secret is locked; one without is own-credentials.
	 */
	public function test_the_default_mode_follows_wp_config() {
		delete_site_option( \WPS3\Settings\NetworkMode::OPTION );
		$this->assertSame( 'own-credentials', \WPS3\Settings\NetworkMode::get() );
		$code = 'echo wp_json_encode( array( "mode" => \WPS3\Settings\NetworkMode::get(), "regionLocked" => \WPS3\Settings\Settings::instance()->is_locked( "region" ) ) );';
		$out  = $this->on_site2( $code, array( 'WPS3_SECRET_ACCESS_KEY' => 'x' ) );
		$this->assertSame( array( 'mode' => 'network-locked', 'regionLocked' => true ), $out );
		$this->assertFalse( \WPS3\Settings\NetworkMode::set( 'anything' ) );
	}

	/**
	 * Two sites with the same prefix and the same document id write two objects: the key carries the site.
	 */
	public function test_keys_carry_the_site() {
		$site2 = $this->site2();
		$id    = self::new_document_id();
		$this->enqueue( $id, 'Shared Id', $this->make_pdf( 'Shared Id' ) );
		$this->assertSame( 1, $this->process()['done'] );
		$main = wps3_get_backup( $id )['object_key'];
		switch_to_blog( $site2 );
		try {
			global $wpdb;
			$tables = WPS3\Install\Schema::tables();
			$wpdb->query( "TRUNCATE TABLE {$tables['jobs']}" );
			$wpdb->query( "TRUNCATE TABLE {$tables['backups']}" );
			$this->use_storage(); // Same bucket, same prefix as the main site.
			$this->enqueue( $id, 'Shared Id', $this->make_pdf( 'Shared Id' ) );
			$this->assertSame( 1, $this->process()['done'] );
			$other = wps3_get_backup( $id )['object_key'];
		} finally {
			restore_current_blog();
		}
		$date = wp_date( 'Y-m-d' );
		$this->assertSame( 'wpsigner/Shared-Id_' . $date . '_' . get_current_blog_id() . '-' . $id . '.pdf', $main );
		$this->assertSame( 'wpsigner/Shared-Id_' . $date . '_' . $site2 . '-' . $id . '.pdf', $other );
		$this->assertSame( 200, $this->get_object( $main )[0] );
		$this->assertSame( 200, $this->get_object( $other )[0] );
	}

	/**
	 * A start-up failure names host paths (the runtime directory, the Node binary): site admins get the
	 * failure without them, network admins with them.
	 */
	public function test_start_up_failures_keep_host_paths_from_site_admins() {
		$secret_dir = self::env( 'E2E_DIR' ) . '/sc-hidden-' . wp_generate_password( 6, false );
		$cases      = array(
			'runtime dir' => array( array( 'WPS3_SIDECAR_SOCKET' => '/proc/wps3-nope/' . basename( $secret_dir ) . '/s.sock' ), '/proc/wps3-nope' ),
			'node binary' => array(
				array(
					'WPS3_NODE_BINARY'    => $secret_dir . '/node',
					'WPS3_SIDECAR_SOCKET' => $secret_dir . '/s.sock',
				),
				$secret_dir,
			),
		);
		$code       = 'add_filter( "wps3_sidecar_start_timeout", function () { return 1.0; } );'
			. ' $r = \WPS3\Sidecar\Client::instance()->call( "health" );'
			. ' $out = array( "error" => $r->get_error_message() . " " . \WPS3\Errors::field( $r, "fix" ) );'
			. ' foreach ( array( "site" => (int) getenv( "SITE_ADMIN" ), "network" => (int) getenv( "SUPER_ADMIN" ) ) as $k => $u ) { wp_set_current_user( $u ); ob_start(); \WPS3\Admin\Notices::render_global(); $out[ $k ] = ob_get_clean(); }'
			. ' \WPS3\Sidecar\Status::started(); echo wp_json_encode( $out );';
		mkdir( $secret_dir, 0700 );
		foreach ( $cases as $case => list( $defines, $path ) ) {
			$out = $this->on_site2( $code, $defines + array( 'DISABLE_WP_CRON' => true ) );
			$this->assertStringNotContainsString( $path, $out['error'], "$case: the error a site sees" );
			$this->assertStringContainsString( 'wps3-sidecar-notice', $out['site'], "$case: site admins learn that it failed" );
			$this->assertStringNotContainsString( $path, $out['site'], "$case: site admin notice" );
			$this->assertStringContainsString( $path, $out['network'], "$case: network admins see where" );
		}
	}

	/**
	 * The network admin page stores the mode (nonce, network capability); a site admin cannot.
	 */
	public function test_network_screen_saves_the_mode_for_network_admins_only() {
		$code = '
			$out = array();
			add_filter( "wp_redirect", function ( $to ) { throw new RuntimeException( "redirect " . $to ); } );
			add_filter( "wp_die_handler", function () { return function ( $m, $t, $a ) { throw new RuntimeException( "die " . ( $a["response"] ?? "" ) ); }; } );
			foreach ( array( "site" => (int) getenv( "SITE_ADMIN" ), "network" => (int) getenv( "SUPER_ADMIN" ) ) as $who => $user ) {
				wp_set_current_user( $user );
				$_POST = $_REQUEST = array( "wps3_network_mode" => "network-locked", "_wpnonce" => wp_create_nonce( \WPS3\Admin\NetworkScreen::ACTION ) );
				try { \WPS3\Admin\NetworkScreen::handle(); } catch ( RuntimeException $e ) { $out[ $who ] = $e->getMessage(); }
				$out[ $who . "Mode" ] = get_site_option( \WPS3\Settings\NetworkMode::OPTION, "" );
			}
			ob_start(); \WPS3\Admin\NetworkScreen::render(); $out["page"] = ob_get_clean();
			echo wp_json_encode( $out );';
		$out  = $this->on_site2( $code, array() );
		$this->assertSame( 'die 403', $out['site'] );
		$this->assertSame( '', $out['siteMode'], 'a site admin changed nothing' );
		$this->assertStringStartsWith( 'redirect ', $out['network'] );
		$this->assertSame( 'network-locked', $out['networkMode'] );
		$this->assertMatchesRegularExpression( '/value="network-locked"\s+checked/', $out['page'] );
		$this->assertStringContainsString( 'WPS3_SECRET_ACCESS_KEY', $out['page'] );
	}
}
