<?php
/**
 * PHP benchmarks of bench/run: the plugin's sidecar client against php-async-aws-core in process.
 *
 *   php bench/php/bench.php setup                  seal the secret, store settings, check both URLs
 *   php bench/php/bench.php single N               N presigns and N no-op ops (`health`) alternated on one socket
 *   php bench/php/bench.php loop N                 N presigns each in one process, ours/theirs in alternating blocks
 *   php bench/php/bench.php batch ROUNDS           pages of 100: one presign-page call, one batch, 100 in process, rotated
 *   php bench/php/bench.php fresh N                one call per fresh PHP process, ours and theirs alternated
 *   php bench/php/bench.php backuplinks ROUNDS     the plugin's page path, BackupLinks::download_urls() of 100 backups
 *   php bench/php/bench.php one ours|theirs        (a fresh process of `fresh`)
 *   php bench/php/bench.php load SECONDS           one worker of bench/load.mjs: pages of 100 until the deadline
 *
 * Needs WPS3_BENCH_RUN (run dir with expected.json from bench/lib/ours.mjs). Prints one JSON object.
 *
 * @package wps3
 */

declare(strict_types=1);

require_once __DIR__ . '/lib.php';

$mode = $argv[1] ?? '';
$out  = array();
switch ( $mode ) {
	case 'setup':
		$settings = \WPS3\Settings\Settings::instance();
		$w        = wps3_bench_expected()['workload'];
		update_option(
			\WPS3\Settings\Settings::OPTION,
			array(
				'provider'      => 'amazon_s3',
				'region'        => $w['region'],
				'bucket'        => $w['bucket'],
				'access_key_id' => $w['credentials']['accessKeyId'],
				'path_prefix'   => '',
			)
		);
		$envelope = $settings->secret()->seal( (string) $w['credentials']['secretAccessKey'] );
		if ( is_wp_error( $envelope ) ) {
			fwrite( STDERR, 'seal: ' . $envelope->get_error_message() . "\n" );
			exit( 1 );
		}
		$settings->secret()->store( $envelope );
		wps3_bench_save_options();
		$want   = (string) wps3_bench_expected()['A']['url'];
		$checks = array();
		$theirs = is_readable( WPS3_BENCH_ASYNC_AWS );
		$urls   = array( 'ours (sidecar client)' => wps3_bench_ours_presign( $w['key'] ) );
		if ( $theirs ) {
			$urls['php-async-aws-core SignerV4'] = wps3_bench_theirs_presign( $w['key'] );
		}
		foreach ( $urls as $name => $url ) {
			$err      = wps3_bench_same_url( $want, $url );
			$checks[] = array(
				'operation' => 'A',
				'system'    => $name,
				'agree'     => null === $err,
				'detail'    => $err,
			);
		}
		// The page: every answer of a batch, and of one presign-page call (the core building each
		// Content-Disposition from the file name), equals the single-call answer for its key, and theirs.
		$keys   = wps3_bench_keys( 100 );
		$shapes = array( 'batch' => 'wps3_bench_ours_page' );
		if ( method_exists( \WPS3\Sidecar\Client::class, 'presign_page' ) ) {
			$shapes['presign-page'] = 'wps3_bench_ours_link_page';
		}
		foreach ( $shapes as $shape => $fn ) {
			$page = $fn( $keys );
			$bad  = 0;
			foreach ( $keys as $i => $key ) {
				$ref  = $theirs ? wps3_bench_theirs_presign( $key ) : wps3_bench_ours_presign( $key );
				$bad += ( null !== wps3_bench_same_url( $ref, $page[ $i ] ?? '' ) ) ? 1 : 0;
			}
			$checks[] = array(
				'operation' => 'A (page of 100)',
				'system'    => $theirs ? "ours $shape vs php-async-aws-core" : "ours $shape vs ours single calls",
				'agree'     => 0 === $bad && 100 === count( $page ),
				'detail'    => $bad ? "$bad of 100 differ" : null,
			);
		}
		$health = \WPS3\Sidecar\Client::instance()->health();
		$out    = array(
			'checks'     => $checks,
			'sidecarPid' => is_array( $health ) ? ( $health['pid'] ?? null ) : null,
			'versions'   => array(
				'php'        => PHP_VERSION,
				'async-aws'  => trim( (string) shell_exec( "dpkg-query -W -f='\${Version}' php-async-aws-core 2>/dev/null" ) ),
				'wps3'       => WPS3_VERSION,
				'sidecar'    => is_array( $health ) ? ( $health['sidecarVersion'] ?? null ) : null,
			),
		);
		break;

	case 'single':
		$n      = max( 10, (int) ( $argv[2] ?? 2000 ) );
		$client = \WPS3\Sidecar\Client::instance();
		$key    = (string) wps3_bench_expected()['workload']['key'];
		wps3_bench_ours_presign( $key ); // settings, schema, sidecar check once
		$client->call( 'health' );
		$p = array();
		$h = array();
		for ( $i = 0; $i < $n; $i++ ) {
			// Alternate which goes first so neither always follows the other.
			$first = $i % 2;
			for ( $j = 0; $j < 2; $j++ ) {
				$t0 = hrtime( true );
				if ( ( $j ^ $first ) === 0 ) {
					wps3_bench_ours_presign( $key );
					$p[] = ( hrtime( true ) - $t0 ) / 1000;
				} else {
					$r = $client->call( 'health' );
					if ( is_wp_error( $r ) ) {
						fwrite( STDERR, 'health: ' . $r->get_error_message() . "\n" );
						exit( 1 );
					}
					$h[] = ( hrtime( true ) - $t0 ) / 1000;
				}
			}
		}
		$out = array(
			'presign' => array( 'p50Us' => wps3_bench_q( $p, 0.5 ), 'p99Us' => wps3_bench_q( $p, 0.99 ), 'n' => $n ),
			'noop'    => array( 'p50Us' => wps3_bench_q( $h, 0.5 ), 'p99Us' => wps3_bench_q( $h, 0.99 ), 'n' => $n ),
			'phpPeakMiB' => memory_get_peak_usage( true ) / 1048576,
		);
		break;

	case 'loop':
		// N presigns each, ours and theirs in alternating blocks of 500 in this one process.
		$n     = max( 10, (int) ( $argv[2] ?? 10000 ) );
		$key   = (string) wps3_bench_expected()['workload']['key'];
		$fns   = array(
			'ours'   => 'wps3_bench_ours_presign',
			'theirs' => 'wps3_bench_theirs_presign',
		);
		$lat   = array(
			'ours'   => array(),
			'theirs' => array(),
		);
		$total = array(
			'ours'   => 0,
			'theirs' => 0,
		);
		foreach ( $fns as $fn ) {
			$fn( $key );
		}
		for ( $done = 0, $b = 0; $done < $n; $done += 500, $b++ ) {
			$size = min( 500, $n - $done );
			foreach ( $b % 2 ? array( 'theirs', 'ours' ) : array( 'ours', 'theirs' ) as $who ) {
				$fn = $fns[ $who ];
				$t0 = hrtime( true );
				for ( $i = 0; $i < $size; $i++ ) {
					$a             = hrtime( true );
					$fn( $key );
					$lat[ $who ][] = ( hrtime( true ) - $a ) / 1000;
				}
				$total[ $who ] += hrtime( true ) - $t0;
			}
		}
		foreach ( $fns as $who => $fn ) {
			$out[ $who ] = array(
				'n'         => $n,
				'seconds'   => $total[ $who ] / 1e9,
				'opsPerSec' => $n / ( $total[ $who ] / 1e9 ),
				'p50Us'     => wps3_bench_q( $lat[ $who ], 0.5 ),
				'p99Us'     => wps3_bench_q( $lat[ $who ], 0.99 ),
			);
		}
		$out['phpPeakMiB'] = memory_get_peak_usage( true ) / 1048576;
		break;

	case 'batch':
		// Pages of 100: one presign-page call, one batch of 100 presign ops, and 100 presigns in process,
		// in an order that rotates every round.
		$rounds = max( 3, (int) ( $argv[2] ?? 30 ) );
		$keys   = wps3_bench_keys( 100 );
		$fns    = array(
			'batch'  => static fn () => wps3_bench_ours_page( $keys ),
			'theirs' => static function () use ( $keys ): void {
				foreach ( $keys as $k ) {
					wps3_bench_theirs_presign( $k );
				}
			},
		);
		if ( method_exists( \WPS3\Sidecar\Client::class, 'presign_page' ) ) {
			$fns['page'] = static fn () => wps3_bench_ours_link_page( $keys );
		}
		$lat = array_fill_keys( array_keys( $fns ), array() );
		foreach ( $fns as $fn ) {
			$fn();
		}
		$names = array_keys( $fns );
		for ( $r = 0; $r < $rounds; $r++ ) {
			for ( $j = 0; $j < count( $names ); $j++ ) {
				$who = $names[ ( $r + $j ) % count( $names ) ];
				$t0  = hrtime( true );
				$fns[ $who ]();
				$lat[ $who ][] = ( hrtime( true ) - $t0 ) / 1e6;
			}
		}
		// Where a page's time goes on the PHP side: building and encoding the request, decoding the answer.
		$client  = \WPS3\Sidecar\Client::instance();
		$s       = wps3_bench_ours_settings();
		$replies = array(
			'batch' => (string) json_encode(
				array(
					'results' => array_map(
						static fn ( array $r ): array => array(
							'ok'     => true,
							'result' => $r,
						),
						(array) $client->batch( wps3_bench_page_ops( $keys )[0], 30, wps3_bench_page_ops( $keys )[1] )
					),
				)
			),
		);
		if ( isset( $fns['page'] ) ) {
			$replies['page'] = (string) json_encode(
				array(
					'ok'     => true,
					'result' => $client->call( 'presign-page', \WPS3\Sidecar\LinkPage::args( $s[0], $s[1], $keys, wps3_bench_link_page_fields( $keys ) ) ),
				)
			);
		}
		$request = array(
			'batch' => static function () use ( $keys ): string {
				list( $ops, $shared ) = wps3_bench_page_ops( $keys );
				return (string) wp_json_encode( array( 'op' => 'batch' ) + $shared + array( 'ops' => $ops ) );
			},
			'page'  => static fn (): string => (string) wp_json_encode( (object) \WPS3\Sidecar\LinkPage::args( $s[0], $s[1], $keys, wps3_bench_link_page_fields( $keys ) ) ),
		);
		$php = array();
		foreach ( $replies as $shape => $reply ) {
			$enc = array();
			$dec = array();
			for ( $r = 0; $r < 20; $r++ ) {
				$t0    = hrtime( true );
				$body  = $request[ $shape ]();
				$enc[] = ( hrtime( true ) - $t0 ) / 1e6;
				$t0    = hrtime( true );
				$got   = json_decode( $reply, true );
				if ( 'page' === $shape ) {
					\WPS3\Sidecar\LinkPage::from_answer( $got['result'], 100 ); // what presign_page() does with it
				}
				$dec[] = ( hrtime( true ) - $t0 ) / 1e6;
			}
			$php[ $shape ] = array(
				'phpBuildEncodeMs' => wps3_bench_q( $enc, 0.5 ),
				'phpDecodeMs'      => wps3_bench_q( $dec, 0.5 ),
				'requestBytes'     => strlen( $body ),
				'replyBytes'       => strlen( $reply ),
			);
		}
		$out = array(
			'rounds'     => $rounds,
			'php'        => $php,
			'phpPeakMiB' => memory_get_peak_usage( true ) / 1048576,
		);
		foreach ( $lat as $who => $xs ) {
			$out[ $who ] = array( 'p50Ms' => wps3_bench_q( $xs, 0.5 ), 'p99Ms' => wps3_bench_q( $xs, 0.99 ) );
		}
		// Older readers of the output: the batch's figures where they were.
		$out['ours'] = $out['batch'];
		$out        += $php['batch'];
		break;

	case 'backuplinks':
		// The plugin's own page path (BackupLinks::download_urls(): one presign-page call per storage, the
		// core building each Content-Disposition), on the live clock, so its URLs are checked for shape,
		// not byte for byte.
		$rounds = max( 3, (int) ( $argv[2] ?? 30 ) );
		$w      = wps3_bench_expected()['workload'];
		$rows   = array();
		foreach ( wps3_bench_keys( 100 ) as $key ) {
			$rows[] = array(
				'object_key' => $key,
				'bucket'     => $w['bucket'],
			);
		}
		$links = new \WPS3\Backup\BackupLinks();
		$lat   = array(
			'ours'   => array(),
			'theirs' => array(),
		);
		$keys  = array_column( $rows, 'object_key' );
		for ( $r = 0; $r <= $rounds; $r++ ) {
			// Alternated with theirs (100 presigns in process), the order swapping every round.
			foreach ( $r % 2 ? array( 'theirs', 'ours' ) : array( 'ours', 'theirs' ) as $who ) {
				$t0 = hrtime( true );
				if ( 'theirs' === $who ) {
					foreach ( $keys as $k ) {
						wps3_bench_theirs_presign( $k );
					}
				} else {
					$urls = $links->download_urls( $rows );
				}
				$ms = ( hrtime( true ) - $t0 ) / 1e6;
				if ( $r > 0 ) { // the first page also reads the settings schema
					$lat[ $who ][] = $ms;
				}
			}
			foreach ( $urls as $url ) {
				if ( is_wp_error( $url ) || ! str_starts_with( $url, 'https://' . $w['host'] . '/' ) || ! str_contains( $url, 'X-Amz-Signature=' ) ) {
					fwrite( STDERR, 'download_urls: ' . ( is_wp_error( $url ) ? $url->get_error_message() : $url ) . "\n" );
					exit( 1 );
				}
			}
		}
		$out = array(
			'p50Ms'      => wps3_bench_q( $lat['ours'], 0.5 ),
			'p99Ms'      => wps3_bench_q( $lat['ours'], 0.99 ),
			'theirs'     => array(
				'p50Ms' => wps3_bench_q( $lat['theirs'], 0.5 ),
				'p99Ms' => wps3_bench_q( $lat['theirs'], 0.99 ),
			),
			'phpPeakMiB' => memory_get_peak_usage( true ) / 1048576,
		);
		break;

	case 'one':
		$key = (string) wps3_bench_expected()['workload']['key'];
		$url = 'theirs' === ( $argv[2] ?? '' ) ? wps3_bench_theirs_presign( $key ) : wps3_bench_ours_presign( $key );
		$out = array( 'ok' => str_contains( $url, 'X-Amz-Signature=' ), 'peakMiB' => memory_get_peak_usage( true ) / 1048576 );
		break;

	case 'fresh':
		$n   = max( 2, (int) ( $argv[2] ?? 40 ) );
		$php = PHP_BINARY;
		$res = array(
			'ours'   => array(),
			'theirs' => array(),
			'empty'  => array(),
		);
		for ( $i = 0; $i < $n; $i++ ) {
			$order = array( 'ours', 'theirs', 'empty' );
			for ( $j = 0; $j < 3; $j++ ) {
				$who = $order[ ( $i + $j ) % 3 ];
				$cmd = 'empty' === $who ? escapeshellarg( $php ) . " -r 'exit(0);'" : escapeshellarg( $php ) . ' ' . escapeshellarg( __FILE__ ) . ' one ' . $who;
				$t0  = hrtime( true );
				exec( $cmd, $lines, $rc );
				$res[ $who ][] = ( hrtime( true ) - $t0 ) / 1e6;
				if ( 0 !== $rc || ( 'empty' !== $who && ! str_contains( (string) end( $lines ), '"ok":true' ) ) ) {
					fwrite( STDERR, "fresh $who failed: " . implode( "\n", $lines ) . "\n" );
					exit( 1 );
				}
				$lines = array();
			}
		}
		foreach ( $res as $who => $xs ) {
			$out[ $who ] = array( 'p50Ms' => wps3_bench_q( $xs, 0.5 ), 'p99Ms' => wps3_bench_q( $xs, 0.99 ), 'n' => count( $xs ) );
		}
		break;

	case 'load':
		// One worker of the concurrency run (bench/load.mjs): pages of 100 links until the deadline.
		// A failed page is counted, never fatal, so the driver sees every failure.
		$seconds  = max( 1.0, (float) ( $argv[2] ?? 30 ) );
		$keys     = wps3_bench_keys( 100 );
		$client   = \WPS3\Sidecar\Client::instance();
		$lat      = array();
		$failures = 0;
		$errors   = array();
		$urls     = 0;
		$end      = hrtime( true ) + (int) ( $seconds * 1e9 );
		while ( hrtime( true ) < $end ) {
			// Built anew for every page, as a PHP request building a page of links does: one presign-page
			// call (Client::presign_page), what the plugin's own pages use.
			$t0    = hrtime( true );
			$s     = wps3_bench_ours_settings();
			$page  = $client->presign_page( $s[0], $s[1], $keys, wps3_bench_link_page_fields( $keys ) );
			$lat[] = ( hrtime( true ) - $t0 ) / 1e6;
			$page  = is_wp_error( $page ) ? $page : $page['urls'];
			$ok    = ! is_wp_error( $page ) && 100 === count( $page );
			if ( $ok ) {
				foreach ( $page as $item ) {
					if ( is_wp_error( $item ) || ! str_contains( (string) $item, 'X-Amz-Signature=' ) ) {
						$ok = false;
						break;
					}
				}
			}
			if ( $ok ) {
				$urls += 100;
			} else {
				++$failures;
				if ( count( $errors ) < 5 ) {
					$errors[] = is_wp_error( $page ) ? $page->get_error_code() . ': ' . $page->get_error_message() : 'bad page';
				}
			}
		}
		$out = array(
			'pages'      => count( $lat ),
			'urls'       => $urls,
			'failures'   => $failures,
			'errors'     => $errors,
			'latencyMs'  => $lat,
			'phpPeakMiB' => memory_get_peak_usage( true ) / 1048576,
		);
		break;

	default:
		fwrite( STDERR, "usage: bench.php setup|single N|loop N|batch ROUNDS|fresh N|one ours|theirs\n" );
		exit( 2 );
}
echo json_encode( $out ), "\n";
