<?php
/**
 * Translatable cause and fix texts, keyed by the core's stable advice ids.
 *
 * This file is long (a table of texts, one arm per advice id) and has no logic beyond picking an arm;
 * splitting it would only scatter the translations.
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
		'FILE_NOT_FOUND'       => 'file-not-found',
		'FILE_UNREADABLE'      => 'file-unreadable',
		'FILE_CHANGED'         => 'file-changed',
		'REQUEST_TIMEOUT'      => 'sidecar-request-timeout',
		'DECRYPT_FAILED'       => 'secret-undecryptable',
		'UNSUPPORTED_ENVELOPE' => 'secret-undecryptable',
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
			// Storage answers (the core's parse of S3 error responses).
			case 'access-denied':
				return $pair(
					__( 'The storage service refused access to the bucket: the keys are valid but not allowed to do this.', 'wps3' ),
					__( 'Give the access key\'s user or policy s3:PutObject, s3:GetObject, s3:DeleteObject and s3:ListBucket on the bucket and on its objects (bucket/*). Also check the bucket policy, any KMS key policy, and that the bucket belongs to this account.', 'wps3' )
				);
			case 'presign-expired':
			case 'link-expired':
				return $pair(
					__( 'The presigned link has expired.', 'wps3' ),
					__( 'Request a new link; links are valid only for the minutes they were made for. If new links expire at once, this server\'s clock is wrong.', 'wps3' )
				);
			case 'post-policy-violation':
			case 'upload-policy-violation':
				return $pair(
					__( 'The upload broke the rules of its upload form.', 'wps3' ),
					__( 'The file is larger or of another type than the form allows, or the form expired; check the file and start the upload again.', 'wps3' )
				);
			case 'wrong-region':
				return $pair(
					'' !== $region
						/* translators: %s: region */
						? sprintf( __( 'The bucket is in region "%s", not the configured one.', 'wps3' ), $region )
						: __( 'The bucket is in a different region than configured.', 'wps3' ),
					$set_region
				);
			case 'temporary-redirect':
				return $pair(
					__( 'The bucket is new and its DNS name is still spreading.', 'wps3' ),
					__( 'Wait a few minutes and retry; setting the bucket\'s exact region avoids this.', 'wps3' )
				);
			case 'all-access-disabled':
				return $pair(
					__( 'All access to the bucket has been disabled by the storage provider.', 'wps3' ),
					/* translators: %s: " (request id …)" or nothing */
					sprintf( __( 'Contact the storage provider\'s support%s, or use another bucket.', 'wps3' ), $ref )
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
			case 'invalid-access-key':
				return $pair(
					__( 'The access key ID is not known to this storage service.', 'wps3' ),
					__( 'Copy the access key ID again (no spaces), make sure the key is active, and that the provider matches where the key was created (an AWS key does not work on Wasabi or R2).', 'wps3' )
				);
			case 'signature-mismatch':
				return $pair(
					__( 'The signature did not match: the secret access key is wrong for this access key ID.', 'wps3' ),
					__( 'Paste the secret access key again, with no leading or trailing spaces. If it is correct, a proxy or CDN between WordPress and the storage service may be rewriting requests.', 'wps3' )
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
			case 'bucket-name-invalid':
				return $pair(
					__( 'The bucket name breaks S3\'s naming rules.', 'wps3' ),
					__( 'Use 3–63 lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit.', 'wps3' )
				);
			case 'invalid-request':
				return $pair(
					'',
					__( 'Check that the provider and endpoint settings match the service in use; some S3-compatible services do not support every S3 feature.', 'wps3' )
				);
			case 'expired-token':
				return $pair(
					__( 'The temporary session token has expired.', 'wps3' ),
					__( 'Enter fresh temporary credentials, or use a long-lived access key without a session token.', 'wps3' )
				);
			case 'invalid-token':
				return $pair(
					__( 'The session token is malformed or does not belong to this access key.', 'wps3' ),
					__( 'Clear the session token field unless the keys are temporary; otherwise paste all three values from the same credentials.', 'wps3' )
				);
			case 'account-problem':
				return $pair(
					__( 'The storage account has a problem (often billing or a suspended account).', 'wps3' ),
					/* translators: %s: " (request id …)" or nothing */
					sprintf( __( 'Sign in to the provider\'s console or contact its support%s.', 'wps3' ), $ref )
				);
			case 'entity-too-large':
				return $pair(
					__( 'The file is larger than the service accepts for this upload.', 'wps3' ),
					__( 'Upload large files in parts (multipart), or raise the size limit for browser uploads.', 'wps3' )
				);
			case 'bad-digest':
				return $pair(
					__( 'The uploaded data did not match its checksum: it changed in transit or while it was being read.', 'wps3' ),
					__( 'Retry the upload. If it keeps failing, a proxy may be altering uploads, or the file is being modified during the backup.', 'wps3' )
				);
			case 'service-busy':
			case 'slow-down':
				return $pair(
					'' !== $code
						/* translators: %s: S3 error code */
						? sprintf( __( 'The storage service is busy or had an internal error (%s).', 'wps3' ), $code )
						: __( 'The storage service is busy or had an internal error.', 'wps3' ),
					/* translators: %s: " (request id …)" or nothing */
					sprintf( __( 'Retry with back-off; no settings need to change. If it persists, contact the provider%s.', 'wps3' ), $ref )
				);
			case 'request-timeout':
				return $pair(
					__( 'The upload was too slow: the connection sat idle and the service closed it.', 'wps3' ),
					__( 'Retry. If it repeats, lower the upload concurrency or part size, or check the server\'s network.', 'wps3' )
				);
			case 'not-implemented':
				return $pair(
					'',
					__( 'Check that the provider setting matches the service; for S3-compatible services choose "S3-compatible (custom endpoint)".', 'wps3' )
				);
			case 'invalid-argument':
				return $pair(
					'',
					__( 'Check the storage settings (provider, region, endpoint); some options are not supported by every S3-compatible service.', 'wps3' )
				);
			case 'missing-content-length':
				return $pair(
					__( 'The upload was sent without a Content-Length header.', 'wps3' ),
					__( 'A proxy between WordPress and the storage service is probably removing it; bypass the proxy for the storage endpoint.', 'wps3' )
				);
			case 'storage-error':
			case 'unknown-storage-error':
				return $pair(
					'',
					'' !== $code
						/* translators: %s: S3 error code */
						? sprintf( __( 'Look up "%s" in the storage provider\'s documentation and check the storage settings.', 'wps3' ), $code )
						: __( 'Retry later; if it persists, contact the storage provider.', 'wps3' )
				);

			// Network failures between the sidecar and the storage service.
			case 'network-refused':
			case 'network-unreachable':
			case 'network-timeout':
			case 'network-reset':
			case 'network-dns':
			case 'network-error':
				return $pair(
					'',
					__( 'The storage endpoint could not be reached. The backup is retried automatically; check the endpoint and the network if this persists.', 'wps3' )
				);
			case 'tls-verify':
				return $pair(
					'',
					__( 'The storage endpoint presented a certificate Node.js does not trust; check the endpoint URL.', 'wps3' )
				);

			// Settings the core refuses (validate-settings).
			case 'provider-unknown':
				return $pair(
					__( 'The storage provider is not one this plugin knows.', 'wps3' ),
					__( 'Choose Amazon S3, Wasabi, Cloudflare R2 or an S3-compatible custom endpoint.', 'wps3' )
				);
			case 'region-invalid':
				return $pair(
					__( 'The region is not a region name.', 'wps3' ),
					__( 'Enter the bucket\'s region as shown by the provider, e.g. eu-west-1.', 'wps3' )
				);
			case 'region-unknown':
				return $pair(
					__( 'The provider has no region of that name.', 'wps3' ),
					__( 'Pick the bucket\'s region from the list.', 'wps3' )
				);
			case 'endpoint-required':
				return $pair(
					__( 'An S3-compatible provider needs the address of its S3 API.', 'wps3' ),
					__( 'Enter the endpoint URL, e.g. https://s3.example.com or http://127.0.0.1:9000.', 'wps3' )
				);
			case 'endpoint-invalid':
				return $pair(
					__( 'The endpoint is not a plain http(s) URL of a host and optional port.', 'wps3' ),
					__( 'Enter only scheme, host and port, e.g. https://s3.example.com, without a path or query.', 'wps3' )
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
			case 'key-template-invalid':
				return $pair(
					__( 'The key template has an unknown token or an unmatched brace.', 'wps3' ),
					__( 'Use only the listed tokens, such as {path_prefix}, {sanitized_title}, {date} and {document_id}.', 'wps3' )
				);
			case 'key-template-too-long':
				return $pair(
					__( 'Keys rendered from this template would not fit S3\'s 1024-byte limit.', 'wps3' ),
					__( 'Shorten the key template\'s literal text.', 'wps3' )
				);
			case 'access-key-id-invalid':
				return $pair(
					__( 'The access key id has spaces, "/" or non-ASCII characters, or is too long.', 'wps3' ),
					__( 'Paste the access key id again without surrounding whitespace.', 'wps3' )
				);
			case 'secret-access-key-invalid':
				return $pair(
					__( 'The secret access key has spaces or non-ASCII characters, or is too long.', 'wps3' ),
					__( 'Paste the secret access key again without surrounding whitespace.', 'wps3' )
				);
			case 'settings-invalid':
				return $pair( '', __( 'Correct the storage settings in Settings → S3 Backups, then click Retry.', 'wps3' ) );

			// Failures on the WordPress side of the sidecar.
			case 'key-invalid':
			case 'key-control-character':
			case 'key-dot-segment':
			case 'key-too-long':
			case 'key-empty':
				return $pair( '', __( 'Check the key template and any wps_s3_backup_key filter, then click Retry.', 'wps3' ) );
			case 'file-not-found':
				return $pair( '', __( 'The signed PDF is not at the recorded path. Restore the file (or complete the document again), then click Retry.', 'wps3' ) );
			case 'file-unreadable':
				return $pair( '', __( 'The signed PDF cannot be read by the sidecar (a directory, or no permission). It is retried automatically; fix the file permissions if this persists.', 'wps3' ) );
			case 'file-changed':
				return $pair( '', __( 'The signed PDF changed while it was uploaded. It is retried automatically.', 'wps3' ) );
			case 'sidecar-request-timeout':
				return $pair( '', __( 'The sidecar did not receive the request in time. It is retried automatically.', 'wps3' ) );
			case 'secret-undecryptable':
			case 'decrypt-failed':
				return $pair(
					__( 'The stored secret access key cannot be decrypted (the WordPress salts or WPS3_ENCRYPTION_SALT changed).', 'wps3' ),
					__( 'Enter the secret access key again in Settings → S3 Backups and save.', 'wps3' )
				);
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
