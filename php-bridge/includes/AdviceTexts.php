<?php
/**
 * Translatable cause and fix texts, keyed by the core's stable advice ids.
 *
 * Over 400 lines because it is one table (an arm per advice id of the core's catalog, the same order as
 * src/error/advice.rs) with no logic beyond picking an arm; splitting it would only scatter the texts.
 *
 * @package wps3
 */

declare(strict_types=1);

namespace WPS3;

defined( 'ABSPATH' ) || exit;

/**
 * What an admin reads about an error, in the site's language.
 *
 * The core names every storage and validation failure with a kebab-case advice id and explains it in
 * English (`cause`, `fix`); its `advice-catalog` op lists them all. This class holds the same texts as
 * `__()` strings, so they can be translated, plus the texts of failures that only WordPress has (the
 * sidecar cannot start, the secret cannot be decrypted with this site's salts). Ids it does not know
 * fall back to the core's English.
 */
final class AdviceTexts {

	/**
	 * Advice ids of codes that arrive without one (plugin-side errors, sidecars older than the advice ids).
	 *
	 * @var array<string, string>
	 */
	private const CODE_IDS = array(
		'NETWORK_ERROR'        => 'network-error',
		'FILE_NOT_FOUND'       => 'file-missing',
		'FILE_UNREADABLE'      => 'file-unreadable',
		'FILE_CHANGED'         => 'file-changed',
		'REQUEST_TIMEOUT'      => 'sidecar-request-timeout',
		'DECRYPT_FAILED'       => 'secret-undecryptable',
		'UNSUPPORTED_ENVELOPE' => 'secret-envelope-unsupported',
		'INVALID_BUCKET'       => 'settings-invalid',
		'INVALID_ENDPOINT'     => 'settings-invalid',
		'INVALID_REGION'       => 'settings-invalid',
		'INVALID_KEY'          => 'key-invalid',
		'INVALID_TEMPLATE'     => 'key-invalid',
		'SIDECAR_UNAVAILABLE'  => 'sidecar-unavailable',
	);

	/**
	 * Cause and fix of an error: the plugin's translation of its advice id, else the core's English, else
	 * the message.
	 *
	 * @param string               $advice_id Advice id from the core ('' when the error has none).
	 * @param string               $code      Error code (picks a plugin advice id when $advice_id is '').
	 * @param array<string, mixed> $error     The error's fields (cause, fix, region, …).
	 * @param string               $message   The error's message.
	 * @return array{cause: string, fix: string}
	 */
	public static function resolve( string $advice_id, string $code, array $error, string $message ): array {
		$id    = '' !== $advice_id ? $advice_id : ( self::CODE_IDS[ $code ] ?? '' );
		$texts = '' !== $id ? self::translated( $id, $error + array( 'message' => $message ) ) : null;
		$cause = self::text( $texts['cause'] ?? '' );
		$fix   = self::text( $texts['fix'] ?? '' );
		$cause = '' !== $cause ? $cause : self::text( $error['cause'] ?? '' );
		$fix   = '' !== $fix ? $fix : self::text( $error['fix'] ?? '' );
		return array(
			'cause' => '' !== $cause ? $cause : $message,
			'fix'   => $fix,
		);
	}

	/**
	 * Translated texts of one advice id ('' cause: the error's own message says it best).
	 *
	 * @param string               $id     Advice id.
	 * @param array<string, mixed> $fields Error fields the texts may name.
	 * @return array{cause: string, fix: string}|null Null for an id the plugin does not know.
	 */
	public static function translated( string $id, array $fields = array() ): ?array {
		$region = self::text( $fields['bucketRegion'] ?? '' );
		$region = '' !== $region ? $region : self::text( $fields['region'] ?? '' );
		$ref    = self::text( $fields['requestId'] ?? '' );
		/* translators: %s: request id of the storage service */
		$ref        = '' !== $ref ? sprintf( __( ' (request id %s)', 'wps3' ), $ref ) : '';
		$code       = self::text( $fields['s3Code'] ?? '' );
		$skew       = isset( $fields['clockSkewSeconds'] ) && is_numeric( $fields['clockSkewSeconds'] ) ? (int) $fields['clockSkewSeconds'] : 0;
		$pair       = static fn( string $cause, string $fix ): array => array(
			'cause' => $cause,
			'fix'   => $fix,
		);
		$set_region = '' !== $region
			/* translators: %s: region */
			? sprintf( __( 'Set the region to "%s" in the storage settings.', 'wps3' ), $region )
			: __( 'Set the region to the bucket\'s region in the storage settings; the provider\'s console shows it.', 'wps3' );

		switch ( $id ) {
			case 'signature-mismatch':
				return $pair(
					__( 'The signature did not match: the secret access key is wrong for this access key ID.', 'wps3' ),
					__( 'Paste the secret access key again, with no leading or trailing spaces. If it is correct, a proxy or CDN between WordPress and the storage service may be rewriting requests.', 'wps3' )
				);
			case 'invalid-access-key':
				return $pair(
					__( 'The access key ID is not known to this storage service.', 'wps3' ),
					__( 'Copy the access key ID again (no spaces), make sure the key is active, and that the provider matches where the key was created (an AWS key does not work on Wasabi or R2).', 'wps3' )
				);
			case 'access-denied':
				return $pair(
					__( 'The storage service refused access: the keys are valid but not allowed to do this.', 'wps3' ),
					__( 'Give the access key\'s user or policy s3:PutObject, s3:GetObject, s3:DeleteObject and s3:ListBucket on the bucket and on its objects (bucket/*). Also check the bucket policy, any KMS key policy, and that the bucket belongs to this account.', 'wps3' )
				);
			case 'all-access-disabled':
				return $pair(
					__( 'All access to the bucket has been disabled by the storage provider.', 'wps3' ),
					/* translators: %s: " (request id …)" or nothing */
					sprintf( __( 'Contact the storage provider\'s support%s, or use another bucket.', 'wps3' ), $ref )
				);
			case 'account-problem':
				return $pair(
					__( 'The storage account has a problem (often billing or a suspended account).', 'wps3' ),
					/* translators: %s: " (request id …)" or nothing */
					sprintf( __( 'Sign in to the provider\'s console or contact its support%s.', 'wps3' ), $ref )
				);
			case 'no-such-bucket':
				return $pair(
					__( 'The bucket does not exist at this endpoint.', 'wps3' ),
					__( 'Check the bucket name for typos, create the bucket, or make sure the provider, region and endpoint settings point where the bucket was created.', 'wps3' )
				);
			case 'no-such-key':
				return $pair(
					__( 'The file is not in the bucket: it was deleted, moved, or never uploaded.', 'wps3' ),
					__( 'Upload the document again; if keys changed, check the path prefix and key template.', 'wps3' )
				);
			case 'not-found':
				return $pair(
					__( 'The file (or the bucket itself) was not found.', 'wps3' ),
					__( 'Check the bucket name and region, then upload the document again if it is missing.', 'wps3' )
				);
			case 'no-such-upload':
				return $pair(
					__( 'The multipart upload no longer exists: it was aborted, completed, or removed by a lifecycle rule.', 'wps3' ),
					__( 'Start the upload again; a lifecycle rule that aborts incomplete uploads must allow more time than an upload takes.', 'wps3' )
				);
			case 'multipart-invalid':
				return $pair(
					'',
					__( 'Start the upload again. If it repeats, the service may need a larger part size.', 'wps3' )
				);
			case 'clock-skew':
				return $pair(
					$skew > 0
						/* translators: %d: seconds */
						? sprintf( __( 'This server\'s clock is %d seconds behind the storage service\'s; S3 accepts at most 15 minutes.', 'wps3' ), $skew )
						: ( $skew < 0
							/* translators: %d: seconds */
							? sprintf( __( 'This server\'s clock is %d seconds ahead of the storage service\'s; S3 accepts at most 15 minutes.', 'wps3' ), -$skew )
							: __( 'This server\'s clock differs too much from the storage service\'s; S3 accepts at most 15 minutes.', 'wps3' ) ),
					__( 'Enable time synchronisation (NTP, e.g. systemd-timesyncd or chrony) on the web server, then retry.', 'wps3' )
				);
			case 'wrong-region':
				return $pair(
					'' !== $region
						/* translators: %s: region */
						? sprintf( __( 'The bucket is in region "%s", not the configured one.', 'wps3' ), $region )
						: __( 'The bucket is in a different region than the one configured.', 'wps3' ),
					$set_region
				);
			case 'authorization-malformed':
				return $pair(
					__( 'The storage service could not read the request\'s signature.', 'wps3' ),
					__( 'Check the region in the storage settings; it must be the bucket\'s region.', 'wps3' )
				);
			case 'bucket-dns-pending':
				return $pair(
					__( 'The bucket is new and its DNS name is still spreading.', 'wps3' ),
					__( 'Wait a few minutes and retry; setting the bucket\'s exact region avoids this.', 'wps3' )
				);
			case 'presign-expired':
				return $pair(
					__( 'The presigned link has expired.', 'wps3' ),
					__( 'Request a new link; links are valid only for the minutes they were made for. If new links expire at once, this server\'s clock is wrong.', 'wps3' )
				);
			case 'post-policy-violated':
				return $pair(
					__( 'The upload broke the rules of its upload form.', 'wps3' ),
					__( 'The file is larger or of another type than the form allows, or the form expired; check the file and start the upload again.', 'wps3' )
				);
			case 'session-token-expired':
				return $pair(
					__( 'The temporary session token has expired.', 'wps3' ),
					__( 'Enter fresh temporary credentials, or use a long-lived access key without a session token.', 'wps3' )
				);
			case 'session-token-invalid':
				return $pair(
					__( 'The session token is malformed or does not belong to this access key.', 'wps3' ),
					__( 'Clear the session token field unless the keys are temporary; otherwise paste all three values from the same credentials.', 'wps3' )
				);
			case 'bucket-name-invalid':
				return $pair(
					__( 'The bucket name breaks S3\'s naming rules.', 'wps3' ),
					__( 'Use 3–63 lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit.', 'wps3' )
				);
			case 'request-rejected':
				return $pair(
					'',
					__( 'Check that the provider and endpoint settings match the service in use; some S3-compatible services do not support every S3 feature.', 'wps3' )
				);
			case 'argument-rejected':
				return $pair(
					'',
					__( 'Check the storage settings (provider, region, endpoint); some options are not supported by every S3-compatible service.', 'wps3' )
				);
			case 'not-implemented':
				return $pair(
					'',
					__( 'Check that the provider setting matches the service; for S3-compatible services choose \'custom\'.', 'wps3' )
				);
			case 'entity-too-large':
				return $pair(
					__( 'The file is larger than the service accepts for this upload.', 'wps3' ),
					__( 'Upload large files in parts (multipart), or raise the size limit for browser uploads.', 'wps3' )
				);
			case 'content-length-missing':
				return $pair(
					__( 'The upload was sent without a Content-Length header.', 'wps3' ),
					__( 'A proxy between WordPress and the storage service is probably removing it; bypass the proxy for the storage endpoint.', 'wps3' )
				);
			case 'checksum-mismatch':
				return $pair(
					__( 'The uploaded data did not match its checksum: it changed in transit or while it was being read.', 'wps3' ),
					__( 'Retry the upload. If it keeps failing, a proxy may be altering uploads, or the file is being modified during the backup.', 'wps3' )
				);
			case 'precondition-failed':
				return $pair(
					__( 'A condition of the request (If-Match, If-None-Match) did not hold.', 'wps3' ),
					__( 'The object changed meanwhile; read it again before repeating the request.', 'wps3' )
				);
			case 'throttled':
				return $pair(
					__( 'The storage service asks for fewer requests (throttling).', 'wps3' ),
					__( 'Retry with back-off; no settings need to change. Lower the upload concurrency if it persists.', 'wps3' )
				);
			case 'service-unavailable':
				return $pair(
					'' !== $code
						/* translators: %s: S3 error code */
						? sprintf( __( 'The storage service is busy or had an internal error (%s).', 'wps3' ), $code )
						: __( 'The storage service is busy or had an internal error.', 'wps3' ),
					/* translators: %s: " (request id …)" or nothing */
					sprintf( __( 'Retry with back-off; no settings need to change. If it persists, contact the provider%s.', 'wps3' ), $ref )
				);
			case 'upload-too-slow':
				return $pair(
					__( 'The upload was too slow: the connection sat idle and the service closed it.', 'wps3' ),
					__( 'Retry. If it repeats, lower the upload concurrency or part size, or check the server\'s network.', 'wps3' )
				);
			case 'response-not-s3':
				return $pair(
					__( 'The storage endpoint answered with something that is not an S3 response (a proxy or web page, or a stripped header).', 'wps3' ),
					__( 'Check that the endpoint URL points at an S3-compatible API, not a website or a proxy.', 'wps3' )
				);
			case 'unknown-s3-error':
				return $pair(
					'',
					'' !== $code
						/* translators: %s: S3 error code */
						? sprintf( __( 'Look up "%s" in the storage provider\'s documentation and check the storage settings.', 'wps3' ), $code )
						: __( 'Look up the error code in the storage provider\'s documentation and check the storage settings.', 'wps3' )
				);
			case 'network-refused':
				return $pair(
					'',
					__( 'Check the endpoint URL and port, and that the storage service is running and reachable from the web server (firewall).', 'wps3' )
				);
			case 'dns-failed':
				return $pair(
					'',
					__( 'Check the endpoint (or the bucket name, for virtual-hosted addressing) for typos, and the web server\'s DNS.', 'wps3' )
				);
			case 'network-timeout':
				return $pair(
					'',
					__( 'It is retried automatically; check the network path (firewall, proxy) to the endpoint if it persists.', 'wps3' )
				);
			case 'network-failed':
				return $pair(
					'',
					__( 'It is retried automatically; check the endpoint and the web server\'s network if it persists.', 'wps3' )
				);
			case 'response-garbled':
				return $pair(
					'',
					__( 'Check the endpoint\'s scheme and port (http vs https, the API port rather than another service).', 'wps3' )
				);
			case 'tls-verify':
				return $pair(
					'',
					__( 'Check the endpoint URL; the endpoint needs a certificate from a trusted authority for its host name (or install the CA on the web server).', 'wps3' )
				);
			case 'request-unsendable':
				return $pair(
					'',
					__( 'Check the endpoint URL in the storage settings.', 'wps3' )
				);
			case 'file-missing':
				return $pair(
					'',
					__( 'The signed PDF is not at the recorded path. Restore the file (or complete the document again), then click Retry.', 'wps3' )
				);
			case 'file-busy':
				return $pair(
					'',
					__( 'It is retried automatically; check the server\'s disk and open-file limits if it persists.', 'wps3' )
				);
			case 'file-unreadable':
				return $pair(
					'',
					__( 'The signed PDF cannot be read by the sidecar (a directory, or no permission). Fix the file permissions so the web server\'s user can read it, then click Retry.', 'wps3' )
				);
			case 'file-changed':
				return $pair(
					__( 'The file changed while it was being uploaded.', 'wps3' ),
					__( 'The signed PDF changed while it was uploaded. It is retried automatically.', 'wps3' )
				);
			case 'file-outside-allowed-roots':
				return $pair(
					__( 'The file is outside the folders the plugin may upload from (the uploads folder, plus the folders the site adds), or a symbolic link points out of them; it was not uploaded.', 'wps3' ),
					__( 'Have the document saved under the uploads folder, or add its folder with the wps3_allowed_roots filter, then complete the document again or click Retry.', 'wps3' )
				);
			case 'sidecar-restarting':
				return $pair(
					__( 'The sidecar is shutting down (a restart or an update).', 'wps3' ),
					__( 'It is retried automatically once the sidecar is back.', 'wps3' )
				);
			case 'sidecar-request-timeout':
				return $pair(
					__( 'The sidecar did not receive the whole request in time.', 'wps3' ),
					__( 'The sidecar did not receive the request in time. It is retried automatically.', 'wps3' )
				);
			case 'sidecar-unauthorized':
				return $pair(
					__( 'The sidecar refused the request: its access token did not match.', 'wps3' ),
					__( 'Restart the sidecar so the plugin and the sidecar share a fresh token.', 'wps3' )
				);
			case 'cancelled':
				return $pair(
					__( 'The request was cancelled: the caller disconnected or the sidecar is exiting.', 'wps3' ),
					__( 'Nothing to fix; the work was stopped on purpose.', 'wps3' )
				);
			case 'sidecar-internal':
				return $pair(
					__( 'The sidecar hit an internal error.', 'wps3' ),
					__( 'Details are in the sidecar\'s log; report them if it repeats.', 'wps3' )
				);
			case 'bad-request':
				return $pair(
					'',
					__( 'Make sure the plugin and its sidecar come from the same version; restart the sidecar after an update.', 'wps3' )
				);
			case 'invalid-argument':
				return $pair(
					'',
					__( 'Check the value named in the message.', 'wps3' )
				);
			case 'key-invalid':
				return $pair(
					'',
					__( 'Check the key template and any wps_s3_backup_key filter, then click Retry.', 'wps3' )
				);
			case 'expires-invalid':
				return $pair(
					'',
					__( 'Choose a link lifetime between 1 second and 7 days.', 'wps3' )
				);
			case 'endpoint-invalid':
				return $pair(
					__( 'The endpoint is not a plain http(s) URL of a host and optional port.', 'wps3' ),
					__( 'Enter only scheme, host and port, e.g. https://s3.example.com, without a path or query.', 'wps3' )
				);
			case 'endpoint-refused':
				return $pair(
					__( 'The storage endpoint is refused: it is, or resolves to, a link-local/cloud metadata address, or a private or loopback address this site does not allow.', 'wps3' ),
					__( 'Use the storage service\'s public endpoint. If it really runs on this server or network, the site owner can allow private endpoints with define( \'WPS3_ALLOW_PRIVATE_ENDPOINTS\', true ) in wp-config.php; link-local and metadata addresses are never allowed.', 'wps3' )
				);
			case 'endpoint-required':
				return $pair(
					__( 'An S3-compatible provider needs the address of its S3 API.', 'wps3' ),
					__( 'Enter the endpoint URL, e.g. https://s3.example.com or http://127.0.0.1:9000.', 'wps3' )
				);
			case 'region-invalid':
				return $pair(
					__( 'The region is not a region name.', 'wps3' ),
					__( 'Enter the bucket\'s region as shown by the provider, e.g. eu-west-1.', 'wps3' )
				);
			case 'timestamp-invalid':
				return $pair(
					'',
					__( 'Check the web server\'s clock and the value named in the message.', 'wps3' )
				);
			case 'key-template-invalid':
				return $pair(
					__( 'The key template has an unknown token or an unmatched brace.', 'wps3' ),
					__( 'Use only the listed tokens, such as {path_prefix}, {sanitized_title}, {date} and {document_id}.', 'wps3' )
				);
			case 'header-invalid':
				return $pair(
					'',
					__( 'Use visible ASCII in metadata names and values (percent-encode others).', 'wps3' )
				);
			case 'secret-undecryptable':
				return $pair(
					__( 'The stored secret access key cannot be decrypted (the WordPress salts or WPS3_ENCRYPTION_SALT changed, or it was copied from another site).', 'wps3' ),
					__( 'Enter the secret access key again in Settings → S3 Backups and save.', 'wps3' )
				);
			case 'secret-envelope-unsupported':
				return $pair(
					__( 'The stored secret was sealed by a newer version of the plugin.', 'wps3' ),
					__( 'Update the plugin, or enter the secret access key again in Settings → S3 Backups and save.', 'wps3' )
				);
			case 'secret-encrypt-failed':
				return $pair(
					__( 'The secret could not be sealed (no randomness available).', 'wps3' ),
					__( 'Retry; if it repeats, report the sidecar\'s log.', 'wps3' )
				);
			case 'provider-unknown':
				return $pair(
					__( 'The storage provider is not one this plugin knows.', 'wps3' ),
					__( 'Choose Amazon S3, Wasabi, Cloudflare R2 or an S3-compatible custom endpoint.', 'wps3' )
				);
			case 'region-unknown':
				return $pair(
					__( 'The provider has no region of that name.', 'wps3' ),
					__( 'Pick the bucket\'s region from the list.', 'wps3' )
				);
			case 'account-id-required':
				return $pair(
					__( 'Cloudflare R2 addresses buckets through the account id.', 'wps3' ),
					__( 'Copy the Account ID from the Cloudflare dashboard (R2 → Overview).', 'wps3' )
				);
			case 'account-id-invalid':
				return $pair(
					__( 'A Cloudflare account id is 32 hexadecimal characters.', 'wps3' ),
					__( 'Copy the Account ID again from the Cloudflare dashboard (R2 → Overview).', 'wps3' )
				);
			case 'addressing-style-invalid':
				return $pair(
					__( 'The addressing style is not auto, virtual or path.', 'wps3' ),
					__( 'Choose auto unless the provider says otherwise.', 'wps3' )
				);
			case 'addressing-style-needs-path':
				return $pair(
					__( 'An IP address or localhost cannot carry the bucket name as a subdomain.', 'wps3' ),
					__( 'Choose path-style (or auto) addressing for this endpoint.', 'wps3' )
				);
			case 'path-prefix-too-long':
				return $pair(
					__( 'The path prefix leaves too little room in S3\'s 1024-byte key limit.', 'wps3' ),
					__( 'Use a shorter path prefix.', 'wps3' )
				);
			case 'key-template-too-long':
				return $pair(
					__( 'Keys rendered from this template would not fit S3\'s 1024-byte limit.', 'wps3' ),
					__( 'Shorten the key template\'s literal text.', 'wps3' )
				);
			case 'access-key-id-invalid':
				return $pair(
					__( 'The access key id has spaces, \'/\' or non-ASCII characters, or is too long.', 'wps3' ),
					__( 'Paste the access key id again without surrounding whitespace.', 'wps3' )
				);
			case 'secret-access-key-invalid':
				return $pair(
					__( 'The secret access key has spaces or non-ASCII characters, or is too long.', 'wps3' ),
					__( 'Paste the secret access key again without surrounding whitespace.', 'wps3' )
				);
			// Test Connection's own verdicts (the integration page).
			case 'clock-drift':
				return $pair(
					__( 'This server\'s clock is more than 5 minutes off the storage service\'s. Requests still work, but presigned links expire early or late, and past 15 minutes every request is refused.', 'wps3' ),
					__( 'Enable time synchronisation (NTP, e.g. systemd-timesyncd or chrony) on the web server.', 'wps3' )
				);
			case 'cors-missing':
				return $pair(
					__( 'The bucket\'s CORS rules do not let this site\'s pages upload or download: a preflight from this site\'s origin was refused.', 'wps3' ),
					__( 'Add the CORS rule shown on the settings page to the bucket\'s CORS configuration, then test again.', 'wps3' )
				);
			case 'probe-mismatch':
				return $pair(
					__( 'The test object read back differs from what was written.', 'wps3' ),
					__( 'Something between WordPress and the storage service altered the object; make sure the endpoint is the storage service itself, not a proxy or CDN.', 'wps3' )
				);
			case 'browser-blocked':
				return $pair(
					__( 'This browser could not reach the storage service from the page: the request was blocked (CORS, mixed content or the network).', 'wps3' ),
					__( 'Add the CORS rule shown on the settings page to the bucket; when the site uses https, the endpoint must too.', 'wps3' )
				);
			case 'browser-refused':
				return $pair(
					__( 'The storage service refused the browser\'s request made with a URL this server presigned.', 'wps3' ),
					__( 'If the server checks pass, check the bucket policy and CORS rule for browser access.', 'wps3' )
				);
			// Only the plugin reports these (no advice id from the core).
			case 'network-error':
				return $pair( '', __( 'The storage endpoint could not be reached. The backup is retried automatically; check the endpoint and the network if this persists.', 'wps3' ) );
			case 'settings-invalid':
				return $pair( '', __( 'Correct the storage settings in Settings → S3 Backups, then click Retry.', 'wps3' ) );
			case 'sidecar-unavailable':
				return $pair( '', __( 'The backup is retried automatically. If this persists, check that Node.js is installed (or set WPS3_NODE_BINARY) and read the sidecar log.', 'wps3' ) );
			default:
				return null;
		}
	}

	/**
	 * A non-empty string field, or ''.
	 *
	 * @param mixed $value Field value.
	 * @return string
	 */
	private static function text( $value ): string {
		return is_string( $value ) ? trim( $value ) : '';
	}
}
