<?php
/**
 * Secrets: a fresh storage key whose secret nobody else has seen is saved through the integration page's
 * REST route, then every admin, REST, transfer, link and demo flow runs with it. Afterwards the secret
 * (plain, base64, base64url, URL-encoded, JSON-escaped, and its first 12 characters) is searched for in:
 * every HTTP response (headers and body), the HTML of every admin page, the WordPress debug log, the
 * sidecar log, the PHP error log and a full dump of every database. Prints hits per place; all must be 0.
 * The harness's own storage secret (used by the install and the PHPUnit tier) is searched for as well.
 *
 *   WPS3_E2E_DIR=/tmp/wps3e.XXXX php tests/security/secrets.php
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.PHP.DiscouragedPHPFunctions, WordPress.Security.EscapeOutput

declare(strict_types=1);

require __DIR__ . '/lib.php';

$dir = Sec::env( 'E2E_DIR' );
echo 'secrets against ' . Sec::env( 'SITE_URL' ) . "\n";

// ---- a key nobody has used: a ministack IAM user with the bucket's permissions
$root = array();
foreach ( (array) @file( $dir . '/storage-ministack.env', FILE_IGNORE_NEW_LINES ) as $line ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors
	if ( preg_match( '/^(S3_ROOT_\w+)=(.*)$/', (string) $line, $m ) ) {
		$root[ $m[1] ] = $m[2];
	}
}
$key = null;
if ( isset( $root['S3_ROOT_ACCESS_KEY_ID'] ) ) {
	$user   = 'sec-secrets-' . getmypid();
	$policy = array(
		'Version'   => '2012-10-17',
		'Statement' => array(
			array(
				'Effect'   => 'Allow',
				'Action'   => 's3:*',
				'Resource' => array( 'arn:aws:s3:::' . Sec::env( 'S3_BUCKET' ), 'arn:aws:s3:::' . Sec::env( 'S3_BUCKET' ) . '/*' ),
			),
		),
	);
	$script = 'import("' . Sec::env( 'E2E_ROOT' ) . '/tests/support/storage.mjs").then(async (m) => { const k = await m.createIamUser(JSON.parse(process.argv[1]), process.argv[2], JSON.parse(process.argv[3])); console.log(JSON.stringify(k)); });';
	$server = array(
		'endpoint'            => Sec::env( 'S3_ENDPOINT' ),
		'region'              => Sec::env( 'S3_REGION' ),
		'rootAccessKeyId'     => $root['S3_ROOT_ACCESS_KEY_ID'],
		'rootSecretAccessKey' => $root['S3_ROOT_SECRET_ACCESS_KEY'],
	);
	exec( 'node -e ' . escapeshellarg( $script ) . ' ' . escapeshellarg( (string) wp_json_encode( $server ) ) . ' ' . escapeshellarg( $user ) . ' ' . escapeshellarg( (string) wp_json_encode( $policy ) ) . ' 2>&1', $out, $code );
	$key = 0 === $code ? json_decode( (string) end( $out ), true ) : null;
}
if ( ! is_array( $key ) || empty( $key['secretAccessKey'] ) ) {
	fwrite( STDERR, "secrets: could not create a fresh IAM key on ministack\n" );
	exit( 1 );
}
$secret  = (string) $key['secretAccessKey'];
$harness = Sec::env( 'S3_SECRET_ACCESS_KEY' );
printf( "  fresh key %s (secret of %d characters)\n", $key['accessKeyId'], strlen( $secret ) );

// ---- sessions
$admin_id = (int) get_user_by( 'login', Sec::env( 'ADMIN_USER' ) )->ID;
$admin    = Sec::login( Sec::env( 'ADMIN_USER' ), Sec::env( 'ADMIN_PASSWORD' ) );
$ma       = Sec::user( 'sec-member-a' );
$member   = Sec::login( $ma['login'], $ma['pass'] );
Sec::reset_limits( $admin_id );
Sec::reset_limits( $ma['id'] );
Sec::filters(
	array(
		'wps3_direct_uploads_enabled' => true,
		'wps3_multipart_threshold'    => 5 * MB_IN_BYTES,
	)
);
register_shutdown_function( array( 'Sec', 'filters' ), array() );
$flows = 0;
$step  = static function ( string $what, bool $ok, string $detail = '' ) use ( &$flows ) {
	++$flows;
	Sec::check( $ok, $what, $detail );
};

/**
 * The _wpnonce of the form on a page whose hidden `action` (and optional extra field) match.
 *
 * @param string $html   Page.
 * @param string $action Form action.
 * @return string
 */
function sec_form_nonce( string $html, string $action ): string {
	return preg_match( '/value="' . preg_quote( $action, '/' ) . '".*?name="_wpnonce" value="([0-9a-f]+)"/s', $html, $m ) ? $m[1] : '';
}

$form = static fn ( string $secret_field ) => Sec::form( $secret_field, array( 'accessKeyId' => $GLOBALS['sec_key_id'] ) );
$GLOBALS['sec_key_id'] = (string) $key['accessKeyId'];
$page                  = '/wp-admin/options-general.php?page=wps3';

// ---- the integration page: read, save with the new secret, test (typed, stored, wrong), browser probe
$step( 'admin page renders', str_contains( Sec::http( 'GET', $page, array( 'jar' => $admin['jar'] ) )['body'], 'S3 Backups' ) );
$step( 'GET settings', 200 === Sec::rest( $admin, 'GET', 'settings' )['status'] );
$res = Sec::rest( $admin, 'POST', 'settings/test', $form( $secret ) );
$step( 'Test Connection with the typed secret (before saving)', 200 === $res['status'] && true === ( Sec::json( $res )['ok'] ?? null ), substr( $res['body'], 0, 200 ) );
$res = Sec::rest( $admin, 'POST', 'settings', $form( $secret ) + array( 'directUploads' => true ) );
$step( 'Save with the new secret', 200 === $res['status'], substr( $res['body'], 0, 200 ) );
$step( 'GET settings after saving', 200 === Sec::rest( $admin, 'GET', 'settings' )['status'] );
$res  = Sec::rest( $admin, 'POST', 'settings/test', $form( '' ) );
$diag = Sec::json( $res );
$step( 'Test Connection with the stored secret', 200 === $res['status'] && true === ( $diag['ok'] ?? null ), substr( $res['body'], 0, 200 ) );
if ( isset( $diag['browserProbe']['key'] ) ) {
	$probe = Sec::rest(
		$admin,
		'POST',
		'settings/test',
		$form( '' ) + array(
			'phase'    => 'browser',
			'probeKey' => $diag['browserProbe']['key'],
			'browser'  => array(
				'upload'   => array( 'ok' => false, 'error' => 'TypeError: Failed to fetch' ),
				'download' => array( 'ok' => false, 'error' => 'skipped' ),
			),
		)
	);
	$step( 'Test Connection browser phase answers', $probe['status'] < 500, (string) $probe['status'] );
}
$res = Sec::rest( $admin, 'POST', 'settings/test', $form( $secret . 'x' ) );
$step( 'Test Connection with a wrong typed secret fails cleanly', 200 === $res['status'] && false === ( Sec::json( $res )['ok'] ?? null ), substr( $res['body'], 0, 200 ) );
$res = Sec::rest( $admin, 'POST', 'settings', $form( '' ) );
$step( 'Save again with the secret field left empty (kept)', 200 === $res['status'] && true === ( Sec::json( $res )['secretSet'] ?? null ) );
$res = Sec::rest( $admin, 'POST', 'settings', array_replace_recursive( $form( $secret ), array( 'settings' => array( 'bucket' => 'X' ) ) ) );
$step( 'Save refused (bad bucket) with the secret typed', 400 === $res['status'] );

// ---- demo: create a sample, mark it fully signed, process the queue, download the backup
$html = Sec::http( 'GET', $page, array( 'jar' => $admin['jar'] ) )['body'];
$n    = sec_form_nonce( $html, 'wps3_demo_create' );
if ( '' !== $n ) {
	Sec::http( 'POST', '/wp-admin/admin-post.php', array( 'jar' => $admin['jar'], 'body' => array( 'action' => 'wps3_demo_create', '_wpnonce' => $n, 'title' => 'Secret Check' ) ) );
	$html = Sec::http( 'GET', $page, array( 'jar' => $admin['jar'] ) )['body'];
	$ok   = preg_match_all( '/name="document" value="([^"]+)" \/>\s*<input type="hidden" id="_wpnonce" name="_wpnonce" value="([0-9a-f]+)"/', $html, $docs, PREG_SET_ORDER );
	$doc  = $ok ? end( $docs ) : null;
	$step( 'demo: a sample document awaits signatures', null !== $doc );
	if ( $doc ) {
		Sec::http( 'POST', '/wp-admin/admin-post.php', array( 'jar' => $admin['jar'], 'body' => array( 'action' => 'wps3_demo_complete', 'document' => $doc[1], '_wpnonce' => $doc[2] ) ) );
	}
	$html = Sec::http( 'GET', $page, array( 'jar' => $admin['jar'] ) )['body'];
	Sec::http( 'POST', '/wp-admin/admin-post.php', array( 'jar' => $admin['jar'], 'body' => array( 'action' => 'wps3_run_queue', '_wpnonce' => sec_form_nonce( $html, 'wps3_run_queue' ) ) ) );
	$html = Sec::http( 'GET', $page, array( 'jar' => $admin['jar'] ) )['body'];
	$href = preg_match( '/class="button wps3-download" href="([^"]+)"/', $html, $m ) ? html_entity_decode( $m[1] ) : '';
	$dl   = '' !== $href ? Sec::http( 'GET', $href, array( 'jar' => $admin['jar'] ) ) : array( 'status' => 0 );
	$loc  = 302 === $dl['status'] ? Sec::header( $dl, 'Location' ) : '';
	$step( 'demo: backup downloaded through a presigned URL', '' !== $loc && 200 === Sec::http( 'GET', $loc )['status'] );
} else {
	echo "  (demo panel off: WPS3_DEMO not defined)\n";
}

// ---- a failed backup and its retry (the failure's words on the page)
$fail = wps3_backup_document(
	array(
		'id'     => 'sec-secrets-' . getmypid(),
		'title'  => 'Secret Check Failure',
		'status' => 'completed',
		'path'   => wp_upload_dir( null, false )['basedir'] . '/missing-' . getmypid() . '.pdf',
	)
);
\WPS3\Backup\Queue::instance()->process();
$html = Sec::http( 'GET', $page, array( 'jar' => $admin['jar'] ) )['body'];
if ( ! is_wp_error( $fail ) && preg_match( '/href="([^"]*action=wps3_retry[^"]*job=' . (int) $fail . '[^"]*)"/', $html, $m ) ) {
	Sec::http( 'GET', html_entity_decode( $m[1] ), array( 'jar' => $admin['jar'] ) );
}
$step( 'a failed backup is listed', ! is_wp_error( $fail ) );

// ---- transfers as a member: upload, confirm, list, download (JSON and redirect), multipart, delete
$up = Sec::upload( $member, 'secret-check.pdf', 'application/pdf', \WPS3\Demo\Pdf::make( 'Secret check', 'x' ) );
$step( 'transfers: member uploads and confirms a PDF', is_array( $up ), is_string( $up ) ? $up : '' );
if ( is_array( $up ) ) {
	$step( 'transfers: files lists it', str_contains( Sec::rest( $member, 'GET', 'files' )['body'], (string) $up['file_id'] ) );
	$res = Sec::rest( $member, 'GET', 'download-url?file_id=' . $up['file_id'] );
	$url = (string) ( Sec::json( $res )['url'] ?? '' );
	$step( 'transfers: download-url answers a presigned GET', '' !== $url && 200 === Sec::http( 'GET', $url )['status'] );
	$step( 'transfers: download-url redirect=1 answers 302', 302 === Sec::rest( $member, 'GET', 'download-url?redirect=1&file_id=' . $up['file_id'] )['status'] );
	$step( 'transfers: delete', 200 === Sec::rest( $member, 'DELETE', 'files/' . $up['file_id'] )['status'] );
}
$res = Sec::rest( $member, 'POST', 'upload-url', array( 'filename' => 'big.pdf', 'mime_type' => 'application/pdf', 'file_size' => 12 * MB_IN_BYTES ) );
$mp  = Sec::json( $res );
$uid = (string) ( $mp['uploadId'] ?? '' );
$step( 'transfers: a multipart upload starts', '' !== $uid, substr( $res['body'], 0, 200 ) );
if ( '' !== $uid ) {
	$res = Sec::rest( $member, 'POST', 'multipart/sign-part', array( 'upload_id' => $uid, 'part_numbers' => array( 1 ) ) );
	$step( 'transfers: sign-part', 200 === $res['status'], substr( $res['body'], 0, 200 ) );
	$step( 'transfers: list-parts', 200 === Sec::rest( $member, 'POST', 'multipart/list-parts', array( 'upload_id' => $uid ) )['status'] );
	$step( 'transfers: complete without parts fails cleanly', Sec::rest( $member, 'POST', 'multipart/complete', array( 'upload_id' => $uid ) )['status'] < 500 );
	$step( 'transfers: abort', 200 === Sec::rest( $member, 'POST', 'multipart/abort', array( 'upload_id' => $uid ) )['status'] );
}

// ---- links: an object of the bucket behind [wps3_download], and the PHP API
$target = Sec::target();
$obj    = 'shop/secret-check-' . getmypid() . '.txt';
$put    = null === $target ? null : \WPS3\Sidecar\Client::instance()->call( 's3', $target + array( 'action' => 'put_object', 'args' => array( 'key' => $obj, 'contentType' => 'text/plain' ), 'body' => 'hello' ) );
$step( 'links: an object to link to', null !== $put && ! is_wp_error( $put ), is_wp_error( $put ) ? $put->get_error_message() : '' );
$post = wp_insert_post(
	array(
		'post_type'    => 'page',
		'post_status'  => 'publish',
		'post_title'   => 'Secret check downloads',
		'post_content' => '[wps3_download object="s3://' . Sec::env( 'S3_BUCKET' ) . '/' . $obj . '"]Get it[/wps3_download]',
	)
);
$html = Sec::http( 'GET', (string) get_permalink( $post ), array( 'jar' => $member['jar'] ) )['body'];
$href = preg_match( '/class="wps3-download" rel="nofollow noreferrer" href="([^"]+)"/', $html, $m ) ? html_entity_decode( $m[1] ) : '';
$link = '' !== $href ? Sec::http( 'GET', $href, array( 'jar' => $member['jar'] ) ) : array( 'status' => 0 );
$step( 'links: [wps3_download] redirects to the object', 302 === $link['status'] && 200 === Sec::http( 'GET', Sec::header( $link, 'Location' ) )['status'] );
$url = wps3_presigned_url( 's3://' . Sec::env( 'S3_BUCKET' ) . '/' . $obj );
$step( 'links: wps3_presigned_url()', is_string( $url ) && 200 === Sec::http( 'GET', $url )['status'] );
wp_delete_post( $post, true );

// ---- the rest of wp-admin an admin opens (Site Health's info tab lists options and constants)
foreach ( array( '/wp-admin/', '/wp-admin/plugins.php', '/wp-admin/options.php', '/wp-admin/site-health.php?tab=debug', $page . '&status=failed' ) as $p ) {
	$r = Sec::http( 'GET', $p, array( 'jar' => $admin['jar'] ) );
	$step( "admin page $p", 200 === $r['status'], (string) $r['status'] );
}
// Site Health's async checks (REST) as the page runs them.
foreach ( array( 'background-updates', 'loopback-requests', 'https-status', 'dotorg-communication', 'page-cache', 'authorization-header' ) as $t ) {
	Sec::http( 'GET', '/wp-json/wp-site-health/v1/tests/' . $t, array( 'jar' => $admin['jar'], 'headers' => array( 'X-WP-Nonce: ' . $admin['nonce'] ) ) );
}
Sec::http( 'GET', '/wp-json/wps3/v1', array( 'jar' => $admin['jar'], 'headers' => array( 'X-WP-Nonce: ' . $admin['nonce'] ) ) );

// ---- put the harness's own key back for the parts that follow
$restore = \WPS3\Settings\Settings::instance()->save(
	array(
		'provider'          => 'custom',
		'endpoint'          => Sec::env( 'S3_ENDPOINT' ),
		'region'            => Sec::env( 'S3_REGION' ),
		'bucket'            => Sec::env( 'S3_BUCKET' ),
		'path_prefix'       => 'wpsigner/',
		'access_key_id'     => Sec::env( 'S3_ACCESS_KEY_ID' ),
		'secret_access_key' => $harness,
	)
);
delete_option( \WPS3\Rest\SettingsController::DIRECT_UPLOADS_OPTION );
Sec::filters( array() );

// ---- search
$forms = static function ( string $s ): array {
	return array_unique(
		array(
			'plain'        => $s,
			'base64'       => base64_encode( $s ),
			'base64url'    => rtrim( strtr( base64_encode( $s ), '+/', '-_' ), '=' ),
			'urlencoded'   => rawurlencode( $s ),
			'form-encoded' => urlencode( $s ),
			'json'         => substr( (string) json_encode( $s ), 1, -1 ),
			'first 12'     => substr( $s, 0, 12 ),
		)
	);
};
$count = static function ( string $haystack, array $needles ): int {
	$n = 0;
	foreach ( $needles as $needle ) {
		$n += substr_count( $haystack, $needle );
	}
	return $n;
};
$responses = '';
$admin_html = '';
foreach ( Sec::$exchanges as $ex ) {
	$text       = $ex['headers'] . "\n" . $ex['body'];
	$responses .= $text . "\n";
	if ( str_contains( (string) $ex['url'], '/wp-admin/' ) && preg_match( '/^content-type:\s*text\/html/mi', (string) $ex['headers'] ) ) {
		$admin_html .= $ex['body'] . "\n";
	}
}
$dump = (string) shell_exec( 'mariadb-dump --no-defaults --socket=' . escapeshellarg( Sec::env( 'DB_SOCKET' ) ) . ' -uroot --all-databases --skip-comments 2>&1' );
$places = array(
	'HTTP responses (' . count( Sec::$exchanges ) . ')' => $responses,
	'admin page HTML'                                  => $admin_html,
	'WordPress debug log'                              => (string) @file_get_contents( $dir . '/debug-wordpress.log' ), // phpcs:ignore WordPress.PHP.NoSilencedErrors
	'sidecar log'                                      => (string) @file_get_contents( $dir . '/sc/sidecar.log' ), // phpcs:ignore WordPress.PHP.NoSilencedErrors
	'PHP error log'                                    => (string) @file_get_contents( Sec::logs()['php log'] ), // phpcs:ignore WordPress.PHP.NoSilencedErrors
	'database dump (' . strlen( $dump ) . ' B)'        => $dump,
);
$step( 'restored the harness key', ! is_wp_error( $restore ) );
$step( 'the database dump worked', str_contains( $dump, 'CREATE TABLE' ) && str_contains( $dump, 'wps3_secret_envelope' ) );
$step( 'the search can see: the secret was sent in request bodies', str_contains( implode( "\n", array_map( static fn ( $e ) => (string) $e['request'], Sec::$exchanges ) ), $secret ) );

$total = 0;
echo "\n  hits per place (fresh secret / harness secret):\n";
foreach ( $places as $place => $text ) {
	$a      = $count( $text, $forms( $secret ) );
	$b      = $count( $text, $forms( $harness ) );
	$total += $a + $b;
	printf( "    %-32s %d / %d\n", $place, $a, $b );
	if ( $a + $b > 0 ) {
		foreach ( array_merge( $forms( $secret ), $forms( $harness ) ) as $label => $needle ) {
			$at = strpos( $text, $needle );
			if ( false !== $at ) {
				$all = array_merge( array_values( $forms( $secret ) ), array_values( $forms( $harness ) ) );
				usort( $all, static fn ( $x, $y ) => strlen( $y ) - strlen( $x ) );
				printf( "      %s form at: …%s…\n", $label, str_replace( $all, '<SECRET>', substr( $text, max( 0, $at - 80 ), 160 + strlen( $needle ) ) ) );
				break;
			}
		}
	}
}
Sec::check( 0 === $total, "no secret in any place ($total hits)" );
printf( "secrets: %d flows driven, %d checks passed, %d failed, %d secret hits\n", $flows, Sec::$passed, Sec::$failed, $total );
exit( Sec::$failed > 0 ? 1 : 0 );
