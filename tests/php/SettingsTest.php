<?php
/**
 * Settings: validation, the sealed secret, wp-config overrides.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.PHP.DiscouragedPHPFunctions

/**
 * Settings tests.
 */
class SettingsTest extends WPS3_E2E_TestCase {

	/**
	 * Option value straight from the database.
	 *
	 * @param string $name Option.
	 * @return string|null
	 */
	private function raw_option( $name ) {
		global $wpdb;
		return $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $name ) );
	}

	public function test_secret_is_stored_only_as_envelope_and_never_in_plaintext_anywhere_in_the_database() {
		$secret = self::env( 'S3_SECRET_ACCESS_KEY' );
		$this->assertNotEmpty( $secret );
		$this->use_storage(); // Saves (and seals) the secret again.
		// Use the plugin once so jobs, backups, transients and cron all hold data.
		$id = self::new_document_id();
		$this->enqueue( $id, 'Secret Check', $this->make_pdf( 'Secret Check' ) );
		$this->assertSame( 1, $this->process()['done'] );
		\WPS3\Settings\Settings::instance()->test_connection();

		$envelope = $this->raw_option( \WPS3\Settings\Settings::SECRET_OPTION );
		$this->assertStringStartsWith( 'wps3:v1:', $envelope );
		$this->assertStringNotContainsString( $secret, $envelope );

		$dump = shell_exec( 'mariadb-dump --no-defaults --socket=' . escapeshellarg( self::env( 'DB_SOCKET' ) ) . ' -uroot --all-databases --skip-extended-insert 2>/dev/null' );
		$this->assertGreaterThan( 10000, strlen( (string) $dump ), 'the dump worked' );
		$this->assertStringContainsString( $envelope, $dump, 'the envelope is in the dump' );
		$this->assertStringNotContainsString( $secret, $dump, 'the plaintext secret is not in the database' );
		$this->assertStringNotContainsString( base64_encode( $secret ), $dump );

		// Nor in the page sent to the browser, nor in the logs.
		$html = $this->render_admin_page();
		$this->assertStringNotContainsString( $secret, $html );
		$this->assertStringNotContainsString( $envelope, $html );
		// The page's REST payload (GET /wps3/v1/settings) says a secret is stored, and only that.
		wp_set_current_user( get_user_by( 'login', self::env( 'ADMIN_USER' ) )->ID );
		$payload = ( new \WPS3\Rest\SettingsController() )->payload();
		wp_set_current_user( 0 );
		$this->assertTrue( $payload['secretSet'] );
		$this->assertStringNotContainsString( $secret, (string) wp_json_encode( $payload ) );
		$this->assertStringNotContainsString( $envelope, (string) wp_json_encode( $payload ) );
		foreach ( glob( self::env( 'E2E_DIR' ) . '/{debug-*.log,sc/sidecar.log,php-server.log}', GLOB_BRACE ) as $log ) {
			$this->assertStringNotContainsString( $secret, (string) file_get_contents( $log ), basename( $log ) );
		}
	}

	public function test_envelope_is_bound_to_the_site_context() {
		$client   = \WPS3\Sidecar\Client::instance();
		$settings = \WPS3\Settings\Settings::instance();
		$envelope = get_option( \WPS3\Settings\Settings::SECRET_OPTION );
		$ok       = $client->call( 'decrypt', array( 'keyMaterial' => $settings->secret()->key_material(), 'context' => $settings->secret()->context(), 'envelope' => $envelope ) );
		$this->assertSame( self::env( 'S3_SECRET_ACCESS_KEY' ), $ok['plaintext'] );
		$other = $client->call( 'decrypt', array( 'keyMaterial' => $settings->secret()->key_material(), 'context' => $settings->secret()->context( 99 ), 'envelope' => $envelope ) );
		$this->assertInstanceOf( WP_Error::class, $other );
		$this->assertSame( 'DECRYPT_FAILED', \WPS3\Errors::field( $other, 'code' ) );
	}

	public function test_invalid_input_is_rejected_and_nothing_is_written() {
		$before_settings = $this->raw_option( \WPS3\Settings\Settings::OPTION );
		$before_secret   = $this->raw_option( \WPS3\Settings\Settings::SECRET_OPTION );
		$cases           = array(
			array( 'provider' => 'ftp' ),
			array( 'bucket' => 'x' ),
			array( 'bucket' => 'Bad_Bucket', 'provider' => 'amazon_s3' ),
			array( 'bucket' => 'Bad_Bucket' ), // custom endpoints follow the same (core) rules
			array( 'bucket' => 'UPPER-case' ),
			array( 'bucket' => 'two..dots' ),
			array( 'bucket' => '192.168.10.20' ),
			array( 'bucket' => '-leading-hyphen' ),
			array( 'bucket' => str_repeat( 'b', 64 ) ),
			array( 'endpoint' => 'javascript:alert(1)' ),
			array( 'endpoint' => '' ),
			array( 'region' => 'eu west 1' ),
			array( 'provider' => 'cloudflare_r2', 'account_id' => 'not-hex' ),
			array( 'access_key_id' => "AKIA\nINJECT" ),
			array( 'secret_access_key' => "has space and\nnewline" ),
		);
		foreach ( $cases as $case ) {
			$input = array_merge(
				array(
					'provider'          => 'custom',
					'endpoint'          => self::env( 'S3_ENDPOINT' ),
					'region'            => 'us-east-1',
					'bucket'            => self::env( 'S3_BUCKET' ),
					'access_key_id'     => self::env( 'S3_ACCESS_KEY_ID' ),
					'secret_access_key' => 'a-new-secret-that-must-not-be-saved',
				),
				$case
			);
			$result = \WPS3\Settings\Settings::instance()->save( $input );
			$this->assertInstanceOf( WP_Error::class, $result, wp_json_encode( $case ) );
			$this->assertNotEmpty( $result->get_error_message() );
			$this->assertSame( $before_settings, $this->raw_option( \WPS3\Settings\Settings::OPTION ), 'settings untouched: ' . wp_json_encode( $case ) );
			$this->assertSame( $before_secret, $this->raw_option( \WPS3\Settings\Settings::SECRET_OPTION ), 'secret untouched: ' . wp_json_encode( $case ) );
		}
	}

	public function test_prefix_is_sanitized_and_empty_secret_keeps_the_stored_one() {
		$before_secret = $this->raw_option( \WPS3\Settings\Settings::SECRET_OPTION );
		$this->use_storage(
			array(
				'path_prefix'       => '/../backups//signed/./',
				'secret_access_key' => '',
			)
		);
		$this->assertSame( 'backups/signed/', \WPS3\Settings\Settings::instance()->get( 'path_prefix' ) );
		$this->assertSame( $before_secret, $this->raw_option( \WPS3\Settings\Settings::SECRET_OPTION ) );

		$id = self::new_document_id();
		$this->enqueue( $id, 'Prefixed', $this->make_pdf( 'Prefixed' ) );
		$this->process();
		$this->assertStringStartsWith( 'backups/signed/Prefixed_', wps3_get_backup( $id )['object_key'] );
	}

	public function test_failed_secret_encryption_keeps_the_old_secret_and_settings() {
		$before_settings = $this->raw_option( \WPS3\Settings\Settings::OPTION );
		$before_secret   = $this->raw_option( \WPS3\Settings\Settings::SECRET_OPTION );
		// A process whose sidecar cannot start.
		$code = '$r = \WPS3\Settings\Settings::instance()->save( array( "provider" => "custom", "endpoint" => "http://127.0.0.1:1", "region" => "us-east-1", "bucket" => "other-bucket", "access_key_id" => "AKIAOTHER", "secret_access_key" => "new-secret-value" ) ); echo wp_json_encode( is_wp_error( $r ) ? $r->get_error_messages() : "saved" );';
		$out  = $this->wait_wp(
			$this->spawn_wp(
				array( 'eval', $code ),
				array(
					'DISABLE_WP_CRON'     => true,
					'WPS3_NODE_BINARY'    => '/nonexistent/node',
					'WPS3_SIDECAR_SOCKET' => self::env( 'E2E_DIR' ) . '/sc-enc/s.sock',
				)
			)
		);
		$messages = json_decode( $out, true );
		$this->assertIsArray( $messages, $out );
		$this->assertStringContainsString( 'previous secret is kept', implode( ' ', $messages ) );
		$this->assertSame( $before_settings, $this->raw_option( \WPS3\Settings\Settings::OPTION ) );
		$this->assertSame( $before_secret, $this->raw_option( \WPS3\Settings\Settings::SECRET_OPTION ) );
	}

	public function test_wp_config_constants_override_and_lock_fields() {
		$code = 'require_once ABSPATH . "wp-admin/includes/admin.php"; wp_set_current_user( get_user_by( "login", getenv( "ADMIN_USER" ) )->ID ); ob_start(); \WPS3\Admin\Screen::instance()->render_page(); $html = ob_get_clean();'
			. ' $saved = \WPS3\Settings\Settings::instance()->save( array( "provider" => "custom", "endpoint" => "http://127.0.0.1:1", "bucket" => "posted-bucket", "access_key_id" => "AKIAPOSTED", "secret_access_key" => "" ) );'
			. ' $page = ( new \WPS3\Rest\SettingsController() )->payload();'
			. ' echo wp_json_encode( array( "html" => $html, "page" => $page, "storage" => \WPS3\Settings\Settings::instance()->storage(), "credentials" => \WPS3\Settings\Settings::instance()->credentials(), "stored" => get_option( "wps3_settings" ), "saved" => $saved ) );';
		$out  = $this->wait_wp(
			$this->spawn_wp(
				array( 'eval', $code ),
				array(
					'DISABLE_WP_CRON'        => true,
					'WPS3_BUCKET'            => 'locked-bucket',
					'WPS3_REGION'            => 'eu-central-1',
					'WPS3_SECRET_ACCESS_KEY' => 'plain-secret-from-wp-config',
				),
				array( 'ADMIN_USER' => self::env( 'ADMIN_USER' ) )
			)
		);
		$r = json_decode( $out, true );
		$this->assertIsArray( $r, $out );
		$this->assertSame( 'locked-bucket', $r['storage']['bucket'] );
		$this->assertSame( 'eu-central-1', $r['storage']['region'] );
		$this->assertSame( 'plain-secret-from-wp-config', $r['credentials']['secretAccessKey'], 'a constant secret is sent as secretAccessKey' );
		$this->assertArrayNotHasKey( 'sealedSecret', $r['credentials'] );
		$this->assertIsArray( $r['saved'] );
		$this->assertNotSame( 'posted-bucket', $r['stored']['bucket'], 'a locked field ignores posted values' );
		$this->assertSame( 'AKIAPOSTED', $r['stored']['access_key_id'], 'unlocked fields still save' );
		// The page shows locked fields read-only, naming the constant: its payload says which.
		$this->assertSame( 'locked-bucket', $r['page']['settings']['bucket'] );
		$this->assertSame( 'WPS3_BUCKET', $r['page']['locked']['bucket'] );
		$this->assertSame( 'WPS3_REGION', $r['page']['locked']['region'] );
		$this->assertSame( 'WPS3_SECRET_ACCESS_KEY', $r['page']['locked']['secretAccessKey'] );
		$this->assertArrayNotHasKey( 'accessKeyId', $r['page']['locked'], 'unlocked fields stay editable' );
		$this->assertStringNotContainsString( 'plain-secret-from-wp-config', $r['html'] );
		$this->assertStringNotContainsString( 'plain-secret-from-wp-config', (string) wp_json_encode( $r['page'] ) );
	}

	public function test_missing_configuration_fails_with_fix_and_saving_settings_retries() {
		delete_option( \WPS3\Settings\Settings::OPTION );
		delete_option( \WPS3\Settings\Settings::SECRET_OPTION );
		$id = self::new_document_id();
		$this->enqueue( $id, 'Early Document', $this->make_pdf( 'Early Document' ) );
		$this->assertSame( 1, $this->process()['failed'] );
		$job = $this->job( $id );
		$this->assertSame( 'NOT_CONFIGURED', $job['last_error_code'] );
		$this->assertNotEmpty( $job['last_error_fix'] );
		$this->use_storage(); // Saving settings re-queues NOT_CONFIGURED jobs.
		$this->assertSame( 'pending', $this->job( $id )['status'] );
		$this->assertSame( 1, $this->process()['done'] );
	}

	public function test_bucket_endpoint_and_region_are_checked_by_the_core() {
		$settings = \WPS3\Settings\Settings::instance();
		$base     = array( 'provider' => 'custom', 'endpoint' => self::env( 'S3_ENDPOINT' ), 'region' => 'us-east-1', 'bucket' => 'good-bucket' );
		$this->assertIsArray( $settings->validate( $base ) );
		$bad = $settings->validate( array( 'bucket' => 'xn--punycode-like' ) + $base );
		$this->assertInstanceOf( WP_Error::class, $bad, 'a rule only the core knows (xn-- prefix) is applied' );
		$this->assertContains( 'wps3_bucket', $bad->get_error_codes() );
		$this->assertInstanceOf( WP_Error::class, $settings->validate( array( 'bucket' => 'two..dots' ) + $base ) );
		foreach ( array( 'ok-bucket', 'a.b.c', 'abc' ) as $good ) {
			$this->assertIsArray( $settings->validate( array( 'bucket' => $good ) + $base ), $good );
		}
		foreach ( array( 'ab', 'Bad', 'a..b', '10.0.0.1', 'a_b', '-ab', 'ab-', str_repeat( 'a', 64 ), 'xn--abc', 'bucket-s3alias' ) as $bad_name ) {
			$this->assertInstanceOf( WP_Error::class, $settings->validate( array( 'bucket' => $bad_name ) + $base ), $bad_name );
		}
		$region = $settings->validate( array( 'region' => 'eu west 1' ) + $base );
		$this->assertInstanceOf( WP_Error::class, $region );
		$this->assertContains( 'wps3_region', $region->get_error_codes() );
		$this->assertNotSame( '', $region->get_error_message( 'wps3_region' ) );
		// The prefix is the core's business too: a messy one is sanitized.
		$this->assertSame( 'backups/signed/', $settings->validate( array( 'path_prefix' => '/../backups//signed/./' ) + $base )['path_prefix'] );
	}

	public function test_salts_kept_in_the_database_give_an_admin_warning() {
		$code = 'require_once ABSPATH . "wp-admin/includes/admin.php"; wp_set_current_user( get_user_by( "login", getenv( "ADMIN_USER" ) )->ID ); ob_start(); \WPS3\Admin\Notices::render_global(); echo wp_json_encode( array( "html" => ob_get_clean(), "missing" => \WPS3\Settings\Settings::instance()->secret()->salts_in_database() ) );';
		$env  = array( 'ADMIN_USER' => self::env( 'ADMIN_USER' ) );
		$weak = json_decode( $this->wait_wp( $this->spawn_wp( array( 'eval', $code ), array( 'DISABLE_WP_CRON' => true ), $env + array( 'WPS3_E2E_SALTS_IN_DB' => '1' ) ) ), true );
		$this->assertSame( array( 'AUTH_SALT', 'SECURE_AUTH_SALT' ), $weak['missing'] );
		$this->assertStringContainsString( 'wps3-salt-notice', $weak['html'] );
		$this->assertStringContainsString( 'WPS3_ENCRYPTION_SALT', $weak['html'] );
		$this->assertStringContainsString( 'AUTH_SALT', $weak['html'] );

		$strong = json_decode( $this->wait_wp( $this->spawn_wp( array( 'eval', $code ), array( 'DISABLE_WP_CRON' => true ), $env ) ), true );
		$this->assertSame( array(), $strong['missing'] );
		$this->assertStringNotContainsString( 'wps3-salt-notice', $strong['html'] );

		$salted = json_decode( $this->wait_wp( $this->spawn_wp( array( 'eval', $code ), array( 'DISABLE_WP_CRON' => true, 'WPS3_ENCRYPTION_SALT' => 'a-long-random-string-from-wp-config' ), $env + array( 'WPS3_E2E_SALTS_IN_DB' => '1' ) ) ), true );
		$this->assertStringNotContainsString( 'wps3-salt-notice', $salted['html'], 'WPS3_ENCRYPTION_SALT keeps the key material out of the database' );
	}
}
