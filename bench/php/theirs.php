<?php
/**
 * Theirs: Debian's php-async-aws-core SignerV4, in process.
 *
 * @package wps3
 */

declare(strict_types=1);

use AsyncAws\Core\Credentials\Credentials as AsyncCredentials;
use AsyncAws\Core\Request as AsyncRequest;
use AsyncAws\Core\RequestContext;
use AsyncAws\Core\Signer\SignerV4;
use AsyncAws\Core\Stream\StringStream;

require_once WPS3_BENCH_ASYNC_AWS;

/**
 * async-aws's generic SignerV4 with the two S3 rules async-aws/s3's S3SignerV4 adds (that package is
 * not in Debian): presigned URLs sign UNSIGNED-PAYLOAD without hoisting it into the query, and the
 * canonical URI is the path as sent (S3 does not double-encode).
 */
final class Wps3BenchS3Signer extends SignerV4 {
	/**
	 * S3's canonical URI: the request path, encoded once.
	 *
	 * @param AsyncRequest $request Request.
	 * @return string
	 */
	protected function buildCanonicalPath( AsyncRequest $request ): string { // phpcs:ignore
		return '/' . ltrim( $request->getUri(), '/' );
	}

	/**
	 * S3 presigned URLs sign UNSIGNED-PAYLOAD.
	 *
	 * @param AsyncRequest $request   Request.
	 * @param bool         $is_presign Presign?
	 * @return string
	 */
	protected function buildBodyDigest( AsyncRequest $request, bool $is_presign ): string { // phpcs:ignore
		return $is_presign ? 'UNSIGNED-PAYLOAD' : parent::buildBodyDigest( $request, $is_presign );
	}
}

/**
 * Their presigned GET URL (A) for a key.
 *
 * @param string $key Object key.
 * @return string
 */
function wps3_bench_async_aws_presign( string $key ): string {
	static $signer = null, $creds = null, $context = null;
	$w        = wps3_bench_expected()['workload'];
	$signer  ??= new Wps3BenchS3Signer( 's3', $w['region'] );
	$creds   ??= new AsyncCredentials( $w['credentials']['accessKeyId'], $w['credentials']['secretAccessKey'] );
	$now       = new \DateTimeImmutable( '@' . $w['nowSeconds'] );
	$context ??= new RequestContext( array( 'currentDate' => $now, 'expirationDate' => $now->modify( '+' . $w['getExpires'] . ' seconds' ) ) );
	// As async-aws's AbstractApi builds it: the endpoint with the encoded path and the operation's query.
	$request = new AsyncRequest( 'GET', '/', array(), array(), StringStream::create( '' ) );
	$request->setEndpoint( 'https://' . $w['host'] . '/' . implode( '/', array_map( 'rawurlencode', explode( '/', $key ) ) ) . '?response-content-disposition=' . rawurlencode( $w['contentDisposition'] ) );
	$signer->presign( $request, $creds, $context );
	return $request->getEndpoint();
}

