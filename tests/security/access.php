<?php
/**
 * Access: a logged-out visitor, a subscriber, a second member and the admin of another site of a multisite
 * network try every route on data that is not theirs (settings read/save/test, upload-url, confirm-upload
 * of the owner's key and multipart upload, sign-part, list-parts, complete, abort, download-url JSON and 302,
 * delete, the files list, the admin page, every admin-post action with a nonce valid for the actor, and
 * [wps3_download] links to objects links may not reach). Counts what succeeds where it must not (0), and
 * the same routes for their rightful users (the owner, the admin) as controls. Then the rate limits under 50
 * parallel requests: exactly the limit passes (5 tests, 10 saves, 30 transfer calls per minute).
 *
 *   WPS3_E2E_DIR=/tmp/wps3e.XXXX php tests/security/access.php
 *
 * Over 400 lines? No: the route table is data; the multisite part serves the harness's network itself.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.PHP.DiscouragedPHPFunctions, WordPress.Security.EscapeOutput

declare(strict_types=1);

require __DIR__ . '/lib.php';

echo 'access against ' . Sec::env( 'SITE_URL' ) . "\n";

/**
 * Runs PHP on the harness's multisite network (tests/e2e/bin/wp.php) and decodes its last line.
 *
 * @param string $code PHP.
 * @return mixed
 */
function sec_ms( string $code ) {
	$cmd = 'WPS3_E2E_MULTISITE=1 WPS3_E2E_DIR=' . escapeshellarg( Sec::env( 'E2E_DIR' ) ) . ' php ' . escapeshellarg( Sec::env( 'E2E_ROOT' ) . '/tests/e2e/bin/wp.php' ) . ' eval ' . escapeshellarg( $code ) . ' 2>/dev/null';
	$out = trim( (string) shell_exec( $cmd ) );
	$end = strrpos( $out, "\n" );
	return json_decode( false === $end ? $out : substr( $out, $end + 1 ), true );
}

/**
 * What a site holds for the matrix: an owner's file, pending intent and multipart upload, a backup, a
 * failed job, a demo document, and a signed link to a backup object (links must refuse backups).
 *
 * @param array<string, mixed> $owner Owner session.
 * @param callable             $php   Runs PHP on that site, returns decoded JSON.
 * @return array<string, mixed>
 */
function sec_fixtures( array $owner, callable $php ): array {
	$up   = Sec::upload( $owner, 'owner-contract.pdf', 'application/pdf', \WPS3\Demo\Pdf::make( 'Owner', 'x' ) );
	$int  = Sec::json( Sec::rest( $owner, 'POST', 'upload-url', array( 'filename' => 'owner-pending.pdf', 'mime_type' => 'application/pdf', 'file_size' => 1000 ) ) );
	$mp   = Sec::json( Sec::rest( $owner, 'POST', 'upload-url', array( 'filename' => 'owner-big.pdf', 'mime_type' => 'application/pdf', 'file_size' => 12 * MB_IN_BYTES ) ) );
	$site = $php(
		'$dir = wp_upload_dir( null, false )["basedir"] . "/wps3-sec"; wp_mkdir_p( $dir );
		$pdf = $dir . "/access-" . wp_generate_password( 6, false ) . ".pdf"; file_put_contents( $pdf, \WPS3\Demo\Pdf::make( "Access", "x" ) );
		$d = "sec-access-" . wp_generate_password( 6, false );
		wps3_backup_document( array( "id" => $d, "title" => "Access Check", "status" => "completed", "path" => $pdf ) );
		\WPS3\Backup\Queue::instance()->process();
		add_filter( "wps_s3_backup_key", static fn () => "", 10, 0 );
		$f = "sec-access-fail-" . wp_generate_password( 6, false );
		$job = wps3_backup_document( array( "id" => $f, "title" => "Access Fail", "status" => "completed", "path" => $pdf ) );
		\WPS3\Backup\Queue::instance()->process();
		remove_all_filters( "wps_s3_backup_key" );
		global $wpdb; $t = \WPS3\Install\Schema::tables();
		$b = $wpdb->get_row( $wpdb->prepare( "SELECT id, object_key FROM {$t["backups"]} WHERE document_id = %s", $d ), ARRAY_A );
		$doc = \WPS3\Demo\Documents::create( "Access Sample" );
		$ref = "s3://" . \WPS3\Settings\Settings::instance()->get( "bucket" ) . "/" . ( $b["object_key"] ?? "x" );
		echo wp_json_encode( array( "backup" => (int) ( $b["id"] ?? 0 ), "backupKey" => (string) ( $b["object_key"] ?? "" ), "job" => is_wp_error( $job ) ? 0 : (int) $job,
			"doc" => (string) $doc["id"], "linkRef" => $ref, "linkSig" => wp_hash( "wps3_download|" . $ref ) ) );'
	);
	return array(
		'file'      => is_array( $up ) ? $up['file_id'] : 0,
		'fileKey'   => is_array( $up ) ? $up['key'] : '',
		'intentKey' => (string) ( $int['key'] ?? '' ),
		'uploadId'  => (string) ( $mp['uploadId'] ?? '' ),
		'upError'   => is_string( $up ) ? $up : '',
	) + ( is_array( $site ) ? $site : array() );
}

/**
 * The routes: name => callable( session, fixtures, nonce-maker ) returning [response, succeeded?].
 *
 * @return array<string, callable>
 */
function sec_routes(): array {
	$rest  = static fn ( string $m, string $route, $body = null ) => static function ( array $s ) use ( $m, $route, $body ) {
		$r = Sec::rest( $s, $m, $route, $body );
		return array( $r, $r['status'] >= 200 && $r['status'] < 300 );
	};
	$form  = static fn ( array $f ) => Sec::form(
		'',
		array(
			'bucket'      => $f['bucket'],
			'pathPrefix'  => $f['prefix'],
			'accessKeyId' => $f['keyId'],
		)
	);
	$admin = static function ( string $action, array $fields, string $nonce_action ) {
		return static function ( array $s, array $f, callable $nonce ) use ( $action, $fields, $nonce_action ) {
			$fields = array_map( static fn ( $v ) => is_string( $v ) && str_starts_with( $v, '@' ) ? (string) ( $f[ substr( $v, 1 ) ] ?? '' ) : $v, $fields );
			$na     = (string) preg_replace_callback( '/@(\w+)/', static fn ( $m ) => (string) ( $f[ $m[1] ] ?? '' ), $nonce_action );
			$r      = Sec::http( 'POST', $s['site'] . '/wp-admin/admin-post.php', array( 'jar' => $s['jar'], 'body' => array( 'action' => $action, '_wpnonce' => $nonce( $s, $na ) ) + $fields ) );
			$loc    = Sec::header( $r, 'Location' );
			// A redirect to the login form is a refusal; back to the page or to storage is the action done.
			return array( $r, ( $r['status'] >= 200 && $r['status'] < 300 ) || ( 302 === $r['status'] && ! str_contains( $loc, 'wp-login.php' ) ) );
		};
	};
	return array(
		'settings read'           => $rest( 'GET', 'settings' ),
		'settings save'           => static fn ( array $s, array $f ) => $rest( 'POST', 'settings', $form( $f ) )( $s ),
		'settings test'           => static fn ( array $s, array $f ) => $rest( 'POST', 'settings/test', $form( $f ) )( $s ),
		'upload-url'              => $rest( 'POST', 'upload-url', array( 'filename' => 'x.pdf', 'mime_type' => 'application/pdf', 'file_size' => 10 ) ),
		'confirm owner key'       => static fn ( array $s, array $f ) => $rest( 'POST', 'confirm-upload', array( 'key' => $f['fileKey'] ) )( $s ),
		'confirm owner intent'    => static fn ( array $s, array $f ) => $rest( 'POST', 'confirm-upload', array( 'key' => $f['intentKey'] ) )( $s ),
		'confirm owner multipart' => static fn ( array $s, array $f ) => $rest( 'POST', 'confirm-upload', array( 'upload_id' => $f['uploadId'] ) )( $s ),
		'sign-part owner upload'  => static fn ( array $s, array $f ) => $rest( 'POST', 'multipart/sign-part', array( 'upload_id' => $f['uploadId'], 'part_numbers' => array( 1 ) ) )( $s ),
		'list-parts owner upload' => static fn ( array $s, array $f ) => $rest( 'POST', 'multipart/list-parts', array( 'upload_id' => $f['uploadId'] ) )( $s ),
		'complete owner upload'   => static fn ( array $s, array $f ) => $rest( 'POST', 'multipart/complete', array( 'upload_id' => $f['uploadId'] ) )( $s ),
		'download-url owner file' => static fn ( array $s, array $f ) => $rest( 'GET', 'download-url?file_id=' . $f['file'] )( $s ),
		'download 302 owner file' => static function ( array $s, array $f ) {
			$r = Sec::rest( $s, 'GET', 'download-url?redirect=1&file_id=' . $f['file'] );
			return array( $r, 302 === $r['status'] || 200 === $r['status'] );
		},
		'files list shows owner'  => static function ( array $s, array $f ) {
			$r = Sec::rest( $s, 'GET', 'files' );
			return array( $r, 200 === $r['status'] && str_contains( $r['body'], 'owner-contract' ) );
		},
		'admin page'              => static function ( array $s ) {
			$r = Sec::http( 'GET', $s['site'] . '/wp-admin/options-general.php?page=wps3', array( 'jar' => $s['jar'] ) );
			return array( $r, 200 === $r['status'] && str_contains( $r['body'], 'wps3-backups' ) );
		},
		'admin-post download'     => $admin( 'wps3_download', array( 'backup' => '@backup' ), 'wps3_download_@backup' ),
		'admin-post retry'        => $admin( 'wps3_retry', array( 'job' => '@job' ), 'wps3_retry_@job' ),
		'admin-post run queue'    => $admin( 'wps3_run_queue', array(), 'wps3_run_queue' ),
		'demo create'             => $admin( 'wps3_demo_create', array( 'title' => 'Intruder' ), 'wps3_demo_create' ),
		'demo complete'           => $admin( 'wps3_demo_complete', array( 'document' => '@doc' ), 'wps3_demo_complete_@doc' ),
		'link to a backup'        => static function ( array $s, array $f ) {
			$r = Sec::http( 'GET', $s['site'] . '/wp-admin/admin-post.php?action=wps3_object_download&ref=' . rawurlencode( base64_encode( (string) $f['linkRef'] ) ) . '&sig=' . $f['linkSig'], array( 'jar' => $s['jar'] ) );
			return array( $r, 302 === $r['status'] && str_contains( Sec::header( $r, 'Location' ), 'X-Amz-Signature' ) );
		},
		'abort owner upload'      => static fn ( array $s, array $f ) => $rest( 'POST', 'multipart/abort', array( 'upload_id' => $f['uploadId'] ) )( $s ),
		'delete owner file'       => static fn ( array $s, array $f ) => $rest( 'DELETE', 'files/' . $f['file'] )( $s ),
	);
}

/** Routes members may use on their own behalf (not forbidden to a subscriber or a second member). */
const SEC_MEMBER_ROUTES = array( 'upload-url' );

/**
 * Runs every route as one actor; returns [forbidden successes, tried, lines].
 *
 * @param string               $label   Actor.
 * @param array<string, mixed> $s       Session.
 * @param array<string, mixed> $f       Fixtures of the site.
 * @param callable             $nonce   ( session, action ) => nonce valid for this actor.
 * @param bool                 $member  Whether the actor is a member of the site (member routes allowed).
 * @return array{0: int, 1: int, 2: string[]}
 */
function sec_attack( string $label, array $s, array $f, callable $nonce, bool $member ): array {
	$bad   = 0;
	$tried = 0;
	$lines = array();
	foreach ( sec_routes() as $name => $route ) {
		if ( $member && in_array( $name, SEC_MEMBER_ROUTES, true ) ) {
			continue;
		}
		++$tried;
		list( $r, $ok ) = $route( $s, $f, $nonce );
		if ( $r['status'] >= 500 ) {
			$lines[] = "$label: $name answered " . $r['status'];
		}
		if ( $ok ) {
			++$bad;
			$lines[] = "$label: $name SUCCEEDED (" . $r['status'] . ') ' . substr( preg_replace( '/\s+/', ' ', $r['body'] ), 0, 120 );
		}
	}
	return array( $bad, $tried, $lines );
}

// ---- the single site: owner, fixtures, actors
Sec::filters( array( 'wps3_direct_uploads_enabled' => true, 'wps3_multipart_threshold' => 5 * MB_IN_BYTES, 'wps3_rate_limit' => 1000, 'wps3_transfers_rate_limit' => 1000 ) );
register_shutdown_function( array( 'Sec', 'filters' ), array() );
$admin_id = (int) get_user_by( 'login', Sec::env( 'ADMIN_USER' ) )->ID;
$owner_u  = Sec::user( 'sec-owner' );
$sub_u    = Sec::user( 'sec-subscriber' );
$mb_u     = Sec::user( 'sec-member-b' );
$owner    = Sec::login( $owner_u['login'], $owner_u['pass'] );
$admin    = Sec::login( Sec::env( 'ADMIN_USER' ), Sec::env( 'ADMIN_PASSWORD' ) );
foreach ( array( $admin_id, $owner_u['id'], $sub_u['id'], $mb_u['id'] ) as $id ) {
	Sec::reset_limits( $id );
}
$single = static function ( string $code ) {
	ob_start();
	eval( $code ); // phpcs:ignore Squiz.PHP.Eval.Discouraged -- the fixture code runs on this process's site.
	return json_decode( (string) ob_get_clean(), true );
};
$fx = sec_fixtures( $owner, $single ) + array(
	'bucket' => Sec::env( 'S3_BUCKET' ),
	'prefix' => 'wpsigner/',
	'keyId'  => Sec::env( 'S3_ACCESS_KEY_ID' ),
);
Sec::check( $fx['file'] > 0 && '' !== $fx['uploadId'] && '' !== $fx['intentKey'] && $fx['backup'] > 0 && $fx['job'] > 0, 'fixtures: owner file, intent, multipart upload, backup, failed job, demo document', $fx['upError'] );
$ids   = array(
	'(logged out)'  => 0,
	'sec-subscriber' => $sub_u['id'],
	'sec-member-b'  => $mb_u['id'],
	'sec-owner'     => $owner_u['id'],
	Sec::env( 'ADMIN_USER' ) => $admin_id,
);
$nonce = static fn ( array $s, string $action ) => 0 === ( $ids[ $s['login'] ] ?? 0 ) ? '' : Sec::nonce( $ids[ $s['login'] ], $s['jar'], $action );
$actors = array(
	'logged-out visitor' => array( Sec::anonymous(), false ),
	'subscriber'         => array( Sec::login( $sub_u['login'], $sub_u['pass'] ), true ),
	'second member'      => array( Sec::login( $mb_u['login'], $mb_u['pass'] ), true ),
);
$matrix    = array();
$forbidden = 0;
$problems  = array();
foreach ( $actors as $label => list( $s, $member ) ) {
	list( $bad, $tried, $lines ) = sec_attack( $label, $s, $fx, $nonce, $member );
	$matrix[ $label ]            = array( $tried, $bad );
	$forbidden                  += $bad;
	$problems                    = array_merge( $problems, $lines );
}

// ---- the other site's admin, on a multisite network served for this part
$ms = Sec::env( 'MS_SITE_URL' );
if ( '' !== $ms && is_dir( Sec::env( 'MS_WP_DIR' ) ) ) {
	$port = (int) wp_parse_url( $ms, PHP_URL_PORT );
	$log  = Sec::env( 'E2E_DIR' ) . '/php-server-ms.log';
	$proc = proc_open(
		array( 'setsid', 'env', 'PHP_CLI_SERVER_WORKERS=3', PHP_BINARY, '-S', "127.0.0.1:$port", '-t', Sec::env( 'MS_WP_DIR' ), Sec::env( 'E2E_ROOT' ) . '/tests/e2e/router.php' ),
		array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $log, 'a' ), 2 => array( 'file', $log, 'a' ) ),
		$pipes
	);
	$pgid = (int) proc_get_status( $proc )['pid'];
	register_shutdown_function( static fn () => posix_kill( -$pgid, SIGTERM ) );
	for ( $i = 0; $i < 100 && 200 !== Sec::http( 'GET', "$ms/wp-login.php" )['status']; $i++ ) {
		usleep( 100000 );
	}
	$made = sec_ms(
		'$site2 = get_site_by_path( wp_parse_url( home_url(), PHP_URL_HOST ) . ":" . wp_parse_url( home_url(), PHP_URL_PORT ), "/site2/" )->blog_id;
		$out = array( "site2" => (int) $site2 );
		foreach ( array( "sec-ms-owner" => array( 1, "subscriber" ), "sec-site2-admin" => array( $site2, "administrator" ) ) as $login => $where ) {
			$u = get_user_by( "login", $login );
			$id = $u ? $u->ID : wpmu_create_user( $login, "pw-" . $login . "-x1", $login . "@example.test" );
			remove_user_from_blog( $id, 1 ); remove_user_from_blog( $id, $site2 );
			add_user_to_blog( $where[0], $id, $where[1] );
			$out[ $login ] = (int) $id;
		}
		update_option( "wps3_e2e_filters", array( "wps3_direct_uploads_enabled" => true, "wps3_multipart_threshold" => 5242880, "wps3_rate_limit" => 1000, "wps3_transfers_rate_limit" => 1000 ) );
		echo wp_json_encode( $out );'
	);
	$ms_owner = Sec::login( 'sec-ms-owner', 'pw-sec-ms-owner-x1', $ms );
	$intruder = Sec::login( 'sec-site2-admin', 'pw-sec-site2-admin-x1', $ms );
	$ms_fx    = sec_fixtures( $ms_owner, static fn ( string $code ) => sec_ms( $code ) );
	$ms_set   = sec_ms( '$s = \WPS3\Settings\Settings::instance(); echo wp_json_encode( array( "bucket" => $s->get( "bucket" ), "prefix" => $s->get( "path_prefix" ), "keyId" => $s->get( "access_key_id" ) ) );' );
	$ms_fx   += is_array( $ms_set ) ? $ms_set : array();
	Sec::check( $intruder['ok'] && ( $ms_fx['file'] ?? 0 ) > 0 && ( $ms_fx['backup'] ?? 0 ) > 0, 'multisite: the main site has an owner file and a backup; the admin of site2 logs in', (string) ( $ms_fx['upError'] ?? '' ) );
	$ms_nonce = static function ( array $s, string $action ) use ( $made ) {
		$uid   = (int) ( $made[ $s['login'] ] ?? 0 );
		$token = Sec::token( $s['jar'] );
		return (string) ( sec_ms( 'echo wp_json_encode( substr( wp_hash( wp_nonce_tick() . "|" . ' . var_export( $action, true ) . ' . "|' . $uid . '|" . ' . var_export( $token, true ) . ', "nonce" ), -12, 10 ) );' ) ?? '' );
	};
	// The intruder's own site is theirs; the main site is not. Its REST nonce is valid network-wide.
	list( $bad, $tried, $lines ) = sec_attack( 'admin of site2', $intruder, $ms_fx, $ms_nonce, false );
	$matrix['admin of another site'] = array( $tried, $bad );
	$forbidden                      += $bad;
	$problems                        = array_merge( $problems, $lines );
	// Through their own site's routes, the main site's file id must not reach the main site's object.
	$site2  = $intruder;
	$site2['site'] = $ms . '/site2';
	$r      = Sec::rest( $site2, 'GET', 'download-url?file_id=' . (int) ( $ms_fx['file'] ?? 0 ) );
	$leak   = 200 === $r['status'] && str_contains( rawurldecode( $r['body'] ), (string) $ms_fx['fileKey'] );
	$matrix['admin of another site'][0]++;
	if ( $leak ) {
		++$forbidden;
		++$matrix['admin of another site'][1];
		$problems[] = "admin of site2: site2's download-url reached the main site's file";
	}
	sec_ms( 'delete_option( "wps3_e2e_filters" ); echo "{}";' );
} else {
	echo "  (no multisite network in this harness: the other-site admin is not tried)\n";
}

// ---- controls: the rightful users can do what the intruders could not
$controls = array(
	array( 'sec-owner', $owner, array( 'download-url owner file', 'download 302 owner file', 'files list shows owner', 'sign-part owner upload', 'list-parts owner upload' ) ),
	array( 'admin', $admin, array( 'settings read', 'settings test', 'settings save', 'admin page', 'admin-post download', 'admin-post run queue', 'admin-post retry' ) ),
);
$routes = sec_routes();
$c_ok   = 0;
$c_all  = 0;
foreach ( $controls as list( $who, $s, $names ) ) {
	foreach ( $names as $name ) {
		++$c_all;
		list( $r, $ok ) = $routes[ $name ]( $s, $fx, $nonce );
		$c_ok += $ok ? 1 : 0;
		if ( ! $ok ) {
			$problems[] = "control: $who could not $name (" . $r['status'] . ')';
		}
	}
}
Sec::check( $c_ok === $c_all, "controls: the owner and the admin succeed on their own routes ($c_ok of $c_all)" );
list( $r ) = $routes['delete owner file']( $owner, $fx, $nonce );
Sec::check( 200 === $r['status'], 'control: the owner deletes their file' );

echo "\n  forbidden successes (routes tried / succeeded where they must not):\n";
foreach ( $matrix as $label => list( $tried, $bad ) ) {
	printf( "    %-24s %3d / %d\n", $label, $tried, $bad );
}
foreach ( $problems as $p ) {
	echo "    ! $p\n";
}
Sec::check( 0 === $forbidden, "no forbidden success ($forbidden)" );
$errors = count( array_filter( $problems, static fn ( $p ) => str_contains( $p, ' answered 5' ) ) );
Sec::check( 0 === $errors, "every refusal is a 4xx, not a 5xx ($errors)" );

// ---- rate limits under 50 parallel requests: exactly the limit passes, the rest are 429 with Retry-After
Sec::filters( array( 'wps3_direct_uploads_enabled' => true ) );
$limits = array(
	array( 'settings test (5/min)', $admin, 'POST', 'settings/test', 5, $admin_id ),
	array( 'settings save (10/min)', $admin, 'POST', 'settings', 10, $admin_id ),
	array( 'transfers (30/min)', $owner, 'GET', 'files', 30, $owner_u['id'] ),
);
$rate = array();
foreach ( $limits as list( $what, $s, $m, $route, $limit, $uid ) ) {
	Sec::reset_limits( $uid );
	$body = 'GET' === $m ? null : Sec::form();
	$reqs = array_fill( 0, 50, Sec::rest_request( $s, $m, $route, $body ) );
	$res  = Sec::parallel( $reqs );
	$pass = count( array_filter( $res, static fn ( $r ) => 429 !== $r['status'] ) );
	$refd = count( array_filter( $res, static fn ( $r ) => 429 === $r['status'] && ctype_digit( Sec::header( $r, 'Retry-After' ) ) ) );
	$bad5 = count( array_filter( $res, static fn ( $r ) => $r['status'] >= 500 || 0 === $r['status'] ) );
	$rate[] = sprintf( '%s: %d passed, %d refused with Retry-After, %d errors', $what, $pass, $refd, $bad5 );
	Sec::check( $limit === $pass && 50 - $limit === $refd && 0 === $bad5, "rate limit $what under 50 parallel requests: exactly $limit pass", "$pass passed, $refd refused, $bad5 errors" );
	Sec::reset_limits( $uid );
}
Sec::filters( array() );
printf( "access: %s; %d forbidden successes; controls %d/%d; rate limits: %s; %d checks passed, %d failed\n", implode( ', ', array_map( static fn ( $l, $v ) => "$l {$v[1]}/{$v[0]}", array_keys( $matrix ), $matrix ) ), $forbidden, $c_ok, $c_all, implode( '; ', $rate ), Sec::$passed, Sec::$failed );
exit( Sec::$failed > 0 ? 1 : 0 );
