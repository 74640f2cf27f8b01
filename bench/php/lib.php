<?php
/**
 * Ours and theirs for the PHP benchmarks: a presign through the plugin's sidecar client, and
 * Debian's php-async-aws-core SignerV4 in process. Both produce the URL of workload (A).
 *
 * @package wps3
 */

declare(strict_types=1);

require_once __DIR__ . '/bootstrap.php';

const WPS3_BENCH_ASYNC_AWS = '/usr/share/php/AsyncAws/Core/autoload.php';

/**
 * Their presigned GET URL (A) for a key (bench/php/theirs.php, loaded on first use so that the load
 * suite runs without php-async-aws-core).
 *
 * @param string $key Object key.
 * @return string
 */
function wps3_bench_theirs_presign( string $key ): string {
	require_once __DIR__ . '/theirs.php';
	return wps3_bench_async_aws_presign( $key );
}

/**
 * Storage and sealed credentials as the plugin builds them (Settings, Secret).
 *
 * @return array{0:array<string,mixed>,1:array<string,mixed>}
 */
function wps3_bench_ours_settings(): array {
	$settings = \WPS3\Settings\Settings::instance();
	$storage  = $settings->storage();
	$creds    = $settings->credentials();
	if ( is_wp_error( $storage ) || is_wp_error( $creds ) ) {
		fwrite( STDERR, 'settings: ' . ( is_wp_error( $storage ) ? $storage->get_error_message() : $creds->get_error_message() ) . "\n" );
		exit( 1 );
	}
	return array( $storage, $creds );
}

/**
 * Our presigned GET URL (A) for a key, through WPS3\Sidecar\Client::call('presign').
 *
 * @param string $key Object key.
 * @return string
 */
function wps3_bench_ours_presign( string $key ): string {
	static $s = null;
	$s     ??= wps3_bench_ours_settings();
	$signed  = \WPS3\Sidecar\Client::instance()->call( 'presign', wps3_bench_presign_args( $s[0], $s[1], $key ) );
	if ( is_wp_error( $signed ) ) {
		fwrite( STDERR, 'presign: ' . $signed->get_error_code() . ' ' . $signed->get_error_message() . "\n" );
		exit( 1 );
	}
	return (string) $signed['url'];
}

/**
 * The ops and shared envelope fields of a page of presigns: storage and credentials stated once for
 * the batch when the client takes them (Client::batch()'s third parameter, as BackupLinks sends a
 * page), else in every op.
 *
 * @param string[] $keys Keys.
 * @return array{0:array<int,array<string,mixed>>,1:array<string,mixed>}
 */
function wps3_bench_page_ops( array $keys ): array {
	static $s = null, $envelope = null;
	$s        ??= wps3_bench_ours_settings();
	$envelope ??= ( new \ReflectionMethod( \WPS3\Sidecar\Client::class, 'batch' ) )->getNumberOfParameters() >= 3;
	$ops        = array();
	foreach ( $keys as $key ) {
		$ops[] = array(
			'op'   => 'presign',
			'args' => $envelope ? wps3_bench_presign_fields( $key ) : wps3_bench_presign_args( $s[0], $s[1], $key ),
		);
	}
	$shared = $envelope ? array(
		'storage'     => $s[0],
		'credentials' => $s[1],
	) : array();
	return array( $ops, $shared );
}

/**
 * A page of our presigned URLs in one sidecar round trip (Client::batch()).
 *
 * @param string[] $keys Keys.
 * @return string[]
 */
function wps3_bench_ours_page( array $keys ): array {
	list( $ops, $shared ) = wps3_bench_page_ops( $keys );
	$out = $shared ? \WPS3\Sidecar\Client::instance()->batch( $ops, 30, $shared ) : \WPS3\Sidecar\Client::instance()->batch( $ops );
	if ( is_wp_error( $out ) ) {
		fwrite( STDERR, 'batch: ' . $out->get_error_message() . "\n" );
		exit( 1 );
	}
	$urls = array();
	foreach ( $out as $item ) {
		if ( is_wp_error( $item ) ) {
			fwrite( STDERR, 'batch item: ' . $item->get_error_message() . "\n" );
			exit( 1 );
		}
		$urls[] = (string) $item['url'];
	}
	return $urls;
}

/**
 * The page fields of a presign-page call (Client::presign_page()): the workload's time and lifetime, and each
 * key's file name, from which the core builds the same Content-Disposition as the workload's.
 *
 * @param string[] $keys Keys.
 * @return array<string,mixed>
 */
function wps3_bench_link_page_fields( array $keys ): array {
	$w = wps3_bench_expected()['workload'];
	return array(
		'now'       => $w['nowSeconds'],
		'expiresIn' => $w['getExpires'],
		'filenames' => array_map( 'basename', $keys ),
	);
}

/**
 * A page of our presigned URLs in one presign-page round trip (Client::presign_page(), what the plugin's
 * pages use): keys and file names as arrays, one call into the core, only the URLs back.
 *
 * @param string[] $keys Keys.
 * @return string[]
 */
function wps3_bench_ours_link_page( array $keys ): array {
	static $s = null;
	$s  ??= wps3_bench_ours_settings();
	$page = \WPS3\Sidecar\Client::instance()->presign_page( $s[0], $s[1], $keys, wps3_bench_link_page_fields( $keys ) );
	if ( is_wp_error( $page ) ) {
		fwrite( STDERR, 'presign_page: ' . $page->get_error_message() . "\n" );
		exit( 1 );
	}
	foreach ( $page['urls'] as $url ) {
		if ( is_wp_error( $url ) ) {
			fwrite( STDERR, 'presign_page link: ' . $url->get_error_message() . "\n" );
			exit( 1 );
		}
	}
	return $page['urls'];
}

/**
 * Whether two presigned URLs carry the same host, path, signature and parameter set.
 *
 * @param string $a URL.
 * @param string $b URL.
 * @return string|null Null when they agree, else what differs.
 */
function wps3_bench_same_url( string $a, string $b ): ?string {
	$pa = parse_url( $a );
	$pb = parse_url( $b );
	if ( ( $pa['host'] ?? '' ) !== ( $pb['host'] ?? '' ) || ( $pa['path'] ?? '' ) !== ( $pb['path'] ?? '' ) ) {
		return 'host/path differ: ' . ( $pb['host'] ?? '' ) . ( $pb['path'] ?? '' );
	}
	$qa = explode( '&', (string) ( $pa['query'] ?? '' ) );
	$qb = explode( '&', (string) ( $pb['query'] ?? '' ) );
	// urldecode: async-aws writes the query with http_build_query ('+' for a space); a literal '+' is %2B everywhere.
	$norm = static fn ( array $q ): array => array_map( static fn ( string $p ): string => urldecode( $p ), $q );
	$qa = $norm( $qa );
	$qb = $norm( $qb );
	sort( $qa );
	sort( $qb );
	return $qa === $qb ? null : 'query differs: ' . implode( '&', $qb );
}

/**
 * p-quantile of a list (nearest rank).
 *
 * @param float[] $xs Values.
 * @param float   $q  0..1.
 * @return float
 */
function wps3_bench_q( array $xs, float $q ): float {
	sort( $xs );
	$n = count( $xs );
	return $n ? $xs[ min( $n - 1, max( 0, (int) ceil( $q * $n ) - 1 ) ) ] : 0.0;
}

/**
 * Keys of a page of links (the workload's key, numbered).
 *
 * @param int $n How many.
 * @return string[]
 */
function wps3_bench_keys( int $n ): array {
	$key  = (string) wps3_bench_expected()['workload']['key'];
	$keys = array();
	for ( $i = 0; $i < $n; $i++ ) {
		$keys[] = 0 === $i ? $key : preg_replace( '#^uploads/42/#', 'uploads/' . ( 42 + $i ) . '/', $key );
	}
	return $keys;
}
