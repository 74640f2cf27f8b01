<?php
/**
 * PHP signing path, measured the way a page sees it (issue 9's PHP goals):
 *   - a single presign through WPS3\Sidecar\Client against a no-op `health` op on the same connection (p50);
 *   - a page of 100 presigns in one batch envelope against 100 in-process php-async-aws-core SignerV4 presigns;
 *   - the same page through BackupLinks::download_urls() (what the plugin's own callers use).
 * Rounds are interleaved; medians and p50s are printed with their ratios, plus one JSON line for bench/run.
 *
 * Needs a WordPress with the plugin configured (storage settings and a stored, sealed secret), e.g. the e2e
 * harness (E2E_KEEP=1 bash tests/e2e/run.sh php, or any harness brought up by tests/e2e/lib.sh):
 *
 *   WPS3_E2E_DIR=/tmp/wps3e.X php tests/e2e/bin/wp.php eval 'require "bench/php-sign.php";'
 *
 * Optional environment: WPS3_BENCH_ROUNDS (default 30), WPS3_BENCH_SINGLES (default 400).
 *
 * @package wps3
 */

// phpcs:disable WordPress.Security.EscapeOutput, WordPress.WP.AlternativeFunctions

declare(strict_types=1);

defined( 'ABSPATH' ) || exit;

require_once 'AsyncAws/Core/autoload.php';

$wps3_bench = static function (): array {
	$rounds   = max( 3, (int) ( getenv( 'WPS3_BENCH_ROUNDS' ) ? getenv( 'WPS3_BENCH_ROUNDS' ) : 30 ) );
	$singles  = max( 20, (int) ( getenv( 'WPS3_BENCH_SINGLES' ) ? getenv( 'WPS3_BENCH_SINGLES' ) : 400 ) );
	$client   = \WPS3\Sidecar\Client::instance();
	$settings = \WPS3\Settings\Settings::instance();
	$storage  = $settings->storage();
	$creds    = $settings->credentials();
	if ( is_wp_error( $storage ) || is_wp_error( $creds ) || ! isset( $creds['sealedSecret'] ) ) {
		fwrite( STDERR, "the plugin is not configured with a stored (sealed) secret\n" );
		exit( 2 );
	}
	$key    = 'uploads/42/a1b2c3d4_report final (v2).pdf';
	$cd     = 'attachment; filename="report final (v2).pdf"';
	$single = array(
		'storage'                    => $storage,
		'credentials'                => $creds,
		'method'                     => 'GET',
		'key'                        => $key,
		'expiresIn'                  => 900,
		'responseContentDisposition' => $cd,
	);
	$ops    = array();
	$rows   = array();
	for ( $i = 0; $i < 100; $i++ ) {
		$ops[]  = array(
			'op'   => 'presign',
			'args' => array(
				'method'                     => 'GET',
				'key'                        => "uploads/42/{$i}_report final (v2).pdf",
				'expiresIn'                  => 900,
				'responseContentDisposition' => $cd,
			),
		);
		$rows[] = array(
			'object_key' => "wps3/2026/{$i}_report final (v2).pdf",
			'bucket'     => $storage['bucket'],
		);
	}
	// The in-process competitor: php-async-aws-core's SignerV4 with the plain secret, which a plugin without a
	// sidecar would hold in PHP memory.
	$secret = $client->call( 'decrypt', $creds['sealedSecret'] );
	if ( is_wp_error( $secret ) ) {
		fwrite( STDERR, 'decrypt failed: ' . $secret->get_error_message() . "\n" );
		exit( 2 );
	}
	$aws_creds = new \AsyncAws\Core\Credentials\Credentials( $creds['accessKeyId'], (string) $secret['plaintext'] );
	$signer    = new \AsyncAws\Core\Signer\SignerV4( 's3', (string) $storage['region'] );
	$host      = 'https://' . $storage['bucket'] . '.s3.amazonaws.com';
	$async_aws = static function ( int $i ) use ( $signer, $aws_creds, $host, $cd ): string {
		$now     = new \DateTimeImmutable( '@' . time() );
		$request = new \AsyncAws\Core\Request( 'GET', "/uploads/42/{$i}_report%20final%20%28v2%29.pdf", array( 'response-content-disposition' => $cd ), array(), \AsyncAws\Core\Stream\StringStream::create( '' ) );
		$request->setEndpoint( $host . "/uploads/42/{$i}_report%20final%20%28v2%29.pdf" );
		$signer->presign(
			$request,
			$aws_creds,
			new \AsyncAws\Core\RequestContext(
				array(
					'currentDate'    => $now,
					'expirationDate' => $now->add( new \DateInterval( 'PT900S' ) ),
				)
			)
		);
		return $request->getEndpoint();
	};

	// Warm up: sidecar running, signer cached, connection open.
	foreach ( array( $client->call( 'health' ), $client->call( 'presign', $single ), $client->batch( $ops, 30, array( 'storage' => $storage, 'credentials' => $creds ) ) ) as $w ) {
		if ( is_wp_error( $w ) ) {
			fwrite( STDERR, 'warm-up failed: ' . $w->get_error_message() . "\n" );
			exit( 2 );
		}
	}
	$async_aws( 0 );
	$links = new \WPS3\Backup\BackupLinks();

	$t         = array(
		'health'      => array(),
		'presign'     => array(),
		'batch100'    => array(),
		'links100'    => array(),
		'asyncaws100' => array(),
	);
	$per_round = intdiv( $singles, $rounds ) + 1;
	for ( $r = 0; $r < $rounds; $r++ ) {
		for ( $i = 0; $i < $per_round; $i++ ) {
			$a = hrtime( true );
			$client->call( 'health' );
			$b = hrtime( true );
			$client->call( 'presign', $single );
			$c              = hrtime( true );
			$t['health'][]  = ( $b - $a ) / 1e3;
			$t['presign'][] = ( $c - $b ) / 1e3;
		}
		$a = hrtime( true );
		$client->batch( $ops, 30, array( 'storage' => $storage, 'credentials' => $creds ) );
		$b = hrtime( true );
		$links->download_urls( $rows );
		$c = hrtime( true );
		for ( $i = 0; $i < 100; $i++ ) {
			$async_aws( $i );
		}
		$d                  = hrtime( true );
		$t['batch100'][]    = ( $b - $a ) / 1e3;
		$t['links100'][]    = ( $c - $b ) / 1e3;
		$t['asyncaws100'][] = ( $d - $c ) / 1e3;
	}
	$p50 = static function ( array $v ): float {
		sort( $v );
		return $v[ intdiv( count( $v ), 2 ) ];
	};
	$m   = array_map( $p50, $t );
	$min = array_map( static fn ( array $v ): float => min( $v ), $t );
	// On a shared machine the medians carry scheduler waits (the sidecar is another process); the fastest
	// round of each shows the cost of the work itself.
	printf( "fastest rounds: presign %.0f us / health %.0f us = %.2fx; batch of 100 %.0f us vs php-async-aws-core %.0f us = %.2fx faster; download_urls() %.0f us\n", $min['presign'], $min['health'], $min['presign'] / $min['health'], $min['batch100'], $min['asyncaws100'], $min['asyncaws100'] / $min['batch100'], $min['links100'] );
	printf( "single presign p50 %.0f us, no-op health p50 %.0f us on the same connection: %.2fx (goal <= 1.5x)\n", $m['presign'], $m['health'], $m['presign'] / $m['health'] );
	printf( "100 presigns, one batch envelope: %.0f us (%.1f us/URL); php-async-aws-core in process: %.0f us (%.1f us/URL): %.2fx faster (goal >= 2x)\n", $m['batch100'], $m['batch100'] / 100, $m['asyncaws100'], $m['asyncaws100'] / 100, $m['asyncaws100'] / $m['batch100'] );
	printf( "100 backup links, BackupLinks::download_urls(): %.0f us (%.1f us/URL, two round trips): %.2fx php-async-aws-core\n", $m['links100'], $m['links100'] / 100, $m['asyncaws100'] / $m['links100'] );
	return array(
		'singleP50Us'       => round( $m['presign'], 1 ),
		'healthP50Us'       => round( $m['health'], 1 ),
		'singleRatio'       => round( $m['presign'] / $m['health'], 3 ),
		'batch100Us'        => round( $m['batch100'], 1 ),
		'links100Us'        => round( $m['links100'], 1 ),
		'asyncAws100Us'     => round( $m['asyncaws100'], 1 ),
		'batchSpeedup'      => round( $m['asyncaws100'] / $m['batch100'], 3 ),
		'fastestUs'         => array_map( static fn ( float $v ): float => round( $v, 1 ), $min ),
		'rounds'            => $rounds,
		'singlesPerRound'   => $per_round,
	);
};
echo wp_json_encode( $wps3_bench() ), "\n";
