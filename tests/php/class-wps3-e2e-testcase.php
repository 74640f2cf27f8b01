<?php
/**
 * Base class of the end-to-end tests: real WordPress, real sidecar, real S3 servers.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.PHP.DiscouragedPHPFunctions

use PHPUnit\Framework\TestCase;

/**
 * Helpers shared by the suites.
 */
abstract class WPS3_E2E_TestCase extends TestCase {

	/**
	 * Temporary files to delete after the test.
	 *
	 * @var string[]
	 */
	protected $tmp_files = array();

	/**
	 * Processes to kill after the test.
	 *
	 * @var resource[]
	 */
	protected $procs = array();

	/**
	 * Harness environment (env.json).
	 *
	 * @param string $key Key.
	 * @return string
	 */
	protected static function env( $key ) {
		return (string) ( $GLOBALS['wps3_e2e_env'][ $key ] ?? '' );
	}

	/**
	 * Fresh queue, settings pointing at ministack, empty hook log.
	 */
	protected function setUp(): void {
		global $wpdb;
		parent::setUp();
		$tables = WPS3\Install\Schema::tables();
		$wpdb->query( "TRUNCATE TABLE {$tables['jobs']}" );
		$wpdb->query( "TRUNCATE TABLE {$tables['backups']}" );
		$this->use_storage(); // The harness's ministack, whatever an earlier test left behind.
		delete_transient( 'wps3_sidecar_error' );
		delete_transient( 'wps3_enqueue_error' );
		file_put_contents( self::env( 'E2E_DIR' ) . '/hooks.log', '' );
		wp_clear_scheduled_hook( \WPS3\Backup\Queue::CRON_HOOK );
	}

	/**
	 * Removes test filters, temp files and helper processes.
	 */
	protected function tearDown(): void {
		foreach ( array( 'wps_s3_backup_key', 'wps3_retry_delay', 'wps_s3_uploaded', 'wps3_backup_failed', 'wps3_upload_args' ) as $hook ) {
			remove_all_filters( $hook );
		}
		// The mu-plugin's recorder must stay.
		if ( defined( 'WPS3_E2E_HOOK_LOG' ) ) {
			add_action(
				'wps_s3_uploaded',
				static function ( $document_id, $key, $provider_id ) {
					file_put_contents( WPS3_E2E_HOOK_LOG, $document_id . "\t" . $key . "\t" . $provider_id . "\t" . getmypid() . "\t" . get_current_blog_id() . "\n", FILE_APPEND | LOCK_EX );
				},
				10,
				3
			);
		}
		foreach ( $this->procs as $proc ) {
			if ( is_resource( $proc ) ) {
				$status = proc_get_status( $proc );
				if ( $status['running'] ) {
					posix_kill( $status['pid'], 9 );
				}
				proc_close( $proc );
			}
		}
		foreach ( $this->tmp_files as $file ) {
			@unlink( $file ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		}
		parent::tearDown();
	}

	/**
	 * A document id nobody used yet (object keys in the bucket never collide across tests).
	 *
	 * @return int
	 */
	protected static function new_document_id() {
		static $base = null, $n = 0;
		if ( null === $base ) {
			$base = wp_rand( 10000, 89999 ) * 1000;
		}
		return $base + ( ++$n );
	}

	/**
	 * Writes a small valid PDF (or, with $bytes, a file of that many random bytes after a PDF header).
	 *
	 * @param string   $title Title.
	 * @param int|null $bytes Size of a large file.
	 * @return string Path.
	 */
	protected function make_pdf( $title, $bytes = null ) {
		$path = self::env( 'E2E_DIR' ) . '/doc-' . wp_generate_password( 8, false ) . '.pdf';
		if ( null === $bytes ) {
			file_put_contents( $path, \WPS3\Demo\Pdf::make( $title, 'Signed ' . gmdate( 'c' ) ) );
		} else {
			// head -c from urandom is far faster than PHP for hundreds of MB.
			exec( 'head -c ' . (int) $bytes . ' /dev/urandom > ' . escapeshellarg( $path ), $out, $code );
			$this->assertSame( 0, $code, 'could not create the large file' );
		}
		$this->tmp_files[] = $path;
		return $path;
	}

	/**
	 * Queues a document.
	 *
	 * @param int|string $id    Id.
	 * @param string     $title Title.
	 * @param string     $path  PDF path.
	 * @return int Job id.
	 */
	protected function enqueue( $id, $title, $path ) {
		$job = wps3_backup_document(
			array(
				'id'     => $id,
				'title'  => $title,
				'status' => 'completed',
				'path'   => $path,
			)
		);
		$this->assertIsInt( $job, is_wp_error( $job ) ? $job->get_error_message() : 'enqueue failed' );
		return $job;
	}

	/**
	 * Job row of a document.
	 *
	 * @param int|string $id Document id.
	 * @return array
	 */
	protected function job( $id ) {
		$job = $job = \WPS3\Backup\Queue::instance()->job_for_document( $id );
		$this->assertNotNull( $job, "no job for document $id" );
		return $job->row();
	}

	/**
	 * Runs the queue in this process.
	 *
	 * @return array Stats.
	 */
	protected function process() {
		return \WPS3\Backup\Queue::instance()->process();
	}

	/**
	 * Starts `php tests/e2e/bin/wp.php ...` in the background.
	 *
	 * @param array $args    Arguments.
	 * @param array $defines Constants for that process (WPS3_E2E_DEFINE).
	 * @param array $env     Extra environment.
	 * @param array $ini     php.ini settings for that process (`-d key=value`).
	 * @return array{proc:resource,out:string,err:string}
	 */
	protected function spawn_wp( array $args, array $defines = array(), array $env = array(), array $ini = array() ) {
		$out  = tempnam( self::env( 'E2E_DIR' ), 'out' );
		$err  = tempnam( self::env( 'E2E_DIR' ), 'err' );
		$php  = array( PHP_BINARY );
		foreach ( $ini as $key => $value ) {
			$php[] = '-d';
			$php[] = $key . '=' . $value;
		}
		$cmd  = array_merge( $php, array( self::env( 'E2E_ROOT' ) . '/tests/e2e/bin/wp.php' ), $args );
		$envs = array_merge(
			getenv(),
			array(
				'WPS3_E2E_DIR'    => self::env( 'E2E_DIR' ),
				'WPS3_E2E_DEFINE' => wp_json_encode( (object) $defines ),
			),
			$env
		);
		$proc = proc_open( $cmd, array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $out, 'w' ), 2 => array( 'file', $err, 'w' ) ), $pipes, null, $envs );
		$this->assertIsResource( $proc );
		$this->procs[]     = $proc;
		$this->tmp_files[] = $out;
		$this->tmp_files[] = $err;
		return array(
			'proc' => $proc,
			'out'  => $out,
			'err'  => $err,
		);
	}

	/**
	 * Waits for a spawned process and returns its stdout (asserting exit 0 unless told otherwise).
	 *
	 * @param array $p          From spawn_wp().
	 * @param bool  $must_pass  Assert exit code 0.
	 * @param int   $timeout    Seconds.
	 * @return string
	 */
	protected function wait_wp( array $p, $must_pass = true, $timeout = 300 ) {
		$end = microtime( true ) + $timeout;
		do {
			$status = proc_get_status( $p['proc'] );
			if ( ! $status['running'] ) {
				break;
			}
			usleep( 50000 );
		} while ( microtime( true ) < $end );
		$this->assertFalse( $status['running'], 'helper process did not finish in time' );
		if ( $must_pass ) {
			$this->assertSame( 0, $status['exitcode'], 'helper failed: ' . file_get_contents( $p['err'] ) . file_get_contents( $p['out'] ) );
		}
		return (string) file_get_contents( $p['out'] );
	}

	/**
	 * Runs the queue in a separate PHP process and returns its JSON stats.
	 *
	 * @param array $defines Constants for that process.
	 * @return array
	 */
	protected function run_queue_subprocess( array $defines = array() ) {
		$out   = $this->wait_wp( $this->spawn_wp( array( 'run-queue' ), $defines ) );
		$lines = array_filter( explode( "\n", trim( $out ) ) );
		return (array) json_decode( (string) end( $lines ), true );
	}

	/**
	 * Lines of the wps_s3_uploaded recorder for a document.
	 *
	 * @param int|string $id Document id.
	 * @return array[] Each: [document_id, key, provider, pid, blog].
	 */
	protected function uploaded_calls( $id ) {
		$out = array();
		foreach ( file( self::env( 'E2E_DIR' ) . '/hooks.log', FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES ) as $line ) {
			$cols = explode( "\t", $line );
			if ( (string) $cols[0] === (string) $id ) {
				$out[] = $cols;
			}
		}
		return $out;
	}

	/**
	 * Presigned GET of a stored object (through the plugin and the sidecar).
	 *
	 * @param string      $key    Object key.
	 * @param string|null $bucket Bucket (current one by default).
	 * @return string
	 */
	protected function presigned_get( $key, $bucket = null ) {
		$url = \WPS3\Backup\Queue::instance()->links()->download_url(
			array(
				'object_key' => $key,
				'bucket'     => $bucket ?? \WPS3\Settings\Settings::instance()->get( 'bucket' ),
			)
		);
		$this->assertIsString( $url, is_wp_error( $url ) ? $url->get_error_message() : '' );
		return $url;
	}

	/**
	 * Downloads an object; returns [status, body, headers].
	 *
	 * @param string      $key    Key.
	 * @param string|null $bucket Bucket.
	 * @return array
	 */
	protected function get_object( $key, $bucket = null ) {
		$headers = array();
		$ch      = curl_init( $this->presigned_get( $key, $bucket ) );
		curl_setopt_array(
			$ch,
			array(
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_PROXY          => '',
				CURLOPT_HEADERFUNCTION => static function ( $ch, $line ) use ( &$headers ) {
					$parts = explode( ':', $line, 2 );
					if ( 2 === count( $parts ) ) {
						$headers[ strtolower( trim( $parts[0] ) ) ] = trim( $parts[1] );
					}
					return strlen( $line );
				},
			)
		);
		$body   = curl_exec( $ch );
		$status = (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE );
		return array( $status, (string) $body, $headers );
	}

	/**
	 * SHA-256 of an object, streamed (for large objects).
	 *
	 * @param string $key Key.
	 * @return string
	 */
	protected function object_sha256( $key ) {
		$ctx = hash_init( 'sha256' );
		$ch  = curl_init( $this->presigned_get( $key ) );
		curl_setopt_array(
			$ch,
			array(
				CURLOPT_PROXY         => '',
				CURLOPT_WRITEFUNCTION => static function ( $ch, $data ) use ( $ctx ) {
					hash_update( $ctx, $data );
					return strlen( $data );
				},
			)
		);
		curl_exec( $ch );
		$this->assertSame( 200, (int) curl_getinfo( $ch, CURLINFO_RESPONSE_CODE ) );
		return hash_final( $ctx );
	}

	/**
	 * Points the site at storage.
	 *
	 * @param array $overrides Settings (merged over the harness's ministack).
	 * @return void
	 */
	protected function use_storage( array $overrides = array() ) {
		$saved = \WPS3\Settings\Settings::instance()->save(
			array_merge(
				array(
					'provider'          => 'custom',
					'endpoint'          => self::env( 'S3_ENDPOINT' ),
					'region'            => self::env( 'S3_REGION' ),
					'bucket'            => self::env( 'S3_BUCKET' ),
					'path_prefix'       => 'wpsigner/',
					'access_key_id'     => self::env( 'S3_ACCESS_KEY_ID' ),
					'secret_access_key' => self::env( 'S3_SECRET_ACCESS_KEY' ),
				),
				$overrides
			)
		);
		$this->assertIsArray( $saved, is_wp_error( $saved ) ? implode( ' | ', $saved->get_error_messages() ) : '' );
	}

	/**
	 * Points the site at Garage (skips the test when the harness runs no Garage).
	 *
	 * @return void
	 */
	protected function use_garage() {
		if ( '' === self::env( 'GARAGE_S3_ENDPOINT' ) ) {
			$this->markTestSkipped( 'Garage is not running (install it with bash tools/setup.sh storage).' );
		}
		$this->use_storage(
			array(
				'endpoint'          => self::env( 'GARAGE_S3_ENDPOINT' ),
				'region'            => self::env( 'GARAGE_S3_REGION' ),
				'bucket'            => self::env( 'GARAGE_S3_BUCKET' ),
				'access_key_id'     => self::env( 'GARAGE_S3_ACCESS_KEY_ID' ),
				'secret_access_key' => self::env( 'GARAGE_S3_SECRET_ACCESS_KEY' ),
			)
		);
	}

	/**
	 * Pid of the running sidecar.
	 *
	 * @return int
	 */
	protected function sidecar_pid() {
		$health = WPS3\Sidecar\Client::instance()->ensure_running();
		$this->assertIsArray( $health, is_wp_error( $health ) ? $health->get_error_message() : '' );
		return (int) $health['pid'];
	}

	/**
	 * Renders the admin page as an administrator and returns the HTML.
	 *
	 * @return string
	 */
	protected function render_admin_page() {
		$admin = get_user_by( 'login', self::env( 'ADMIN_USER' ) );
		wp_set_current_user( $admin->ID );
		ob_start();
		\WPS3\Admin\Notices::render_global();
		\WPS3\Admin\Screen::instance()->render_page();
		$html = (string) ob_get_clean();
		wp_set_current_user( 0 );
		return $html;
	}

	/**
	 * Expected default key of a document uploaded today.
	 *
	 * @param string     $title Title (already URL-safe words).
	 * @param int|string $id    Id.
	 * @return string
	 */
	protected static function expected_key( $title, $id ) {
		return 'wpsigner/' . str_replace( ' ', '-', $title ) . '_' . wp_date( 'Y-m-d' ) . '_' . $id . '.pdf';
	}
}
