<?php
/**
 * Hostile input: runs every line of hostile-cases.txt against the live harness and prints
 * "hostile input: N cases, P passed, F failed". A case passes when its answer is what the line expects AND
 * it answered no 5xx, showed no stack trace / PHP error / raw XML / server path, added no PHP warning or
 * fatal to a log, and left the wps3 tables, wps3 options and the bucket as they were (apart from the one
 * job, backup or intent its expectation names).
 *
 *   WPS3_E2E_DIR=/tmp/wps3e.XXXX php tests/security/hostile.php [NAME-SUBSTRING]
 *
 * Over 400 lines: one runner per request kind of the table, kept together so the table stays the only place
 * a case is written.
 *
 * @package wps3
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.DB.DirectDatabaseQuery, WordPress.PHP.DiscouragedPHPFunctions, WordPress.Security.EscapeOutput

declare(strict_types=1);

require __DIR__ . '/lib.php';

$only  = (string) ( $argv[1] ?? '' );
$admin = array( 'id' => (int) get_user_by( 'login', Sec::env( 'ADMIN_USER' ) )->ID );
$a_s   = Sec::login( Sec::env( 'ADMIN_USER' ), Sec::env( 'ADMIN_PASSWORD' ) );
$mem   = Sec::user( 'sec-member-a', 'subscriber' );
$other = Sec::user( 'sec-member-b', 'subscriber' );
$m_s   = Sec::login( $mem['login'], $mem['pass'] );
$o_s   = Sec::login( $other['login'], $other['pass'] );
if ( ! $a_s['ok'] || ! $m_s['ok'] || '' === $a_s['nonce'] || '' === $m_s['nonce'] ) {
	fwrite( STDERR, "hostile: could not log in the admin and a member\n" );
	exit( 1 );
}
// Direct uploads on (the transfer routes answer), and no rate limit in the way of the cases.
Sec::filters(
	array(
		'wps3_direct_uploads_enabled' => true,
		'wps3_transfers_rate_limit'   => 100000,
		'wps3_rate_limit'             => 100000,
	)
);
// The uninstall check that follows in the e2e phase must find no wps3_* option of ours, even after a crash.
register_shutdown_function( array( 'Sec', 'filters' ), array() );
\WPS3\Sidecar\Client::instance()->ensure_running();

/**
 * A fresh small PDF under uploads (where documents live).
 *
 * @return string
 */
function sec_pdf(): string {
	$dir = wp_upload_dir( null, false )['basedir'] . '/wps3-sec';
	wp_mkdir_p( $dir );
	$path = $dir . '/doc-' . wp_generate_password( 8, false ) . '.pdf';
	file_put_contents( $path, \WPS3\Demo\Pdf::make( 'Hostile', 'Signed ' . gmdate( 'c' ) ) );
	return $path;
}

/**
 * Placeholder values (raw).
 *
 * @param string $name Placeholder.
 * @return string
 */
function sec_value( string $name ): string {
	static $cache = array();
	if ( isset( $cache[ $name ] ) ) {
		return $cache[ $name ];
	}
	$uploads = wp_upload_dir( null, false )['basedir'];
	switch ( $name ) {
		case 'BIG':
			return $cache[ $name ] = str_repeat( 'a', 1024 * 1024 );
		case 'UNI':
			return "bücket-名前-Ωμέγα-\u{202E}gnp.exe-\u{FEFF}-\u{1F600}-\u{0301}\u{0301}-ﷺ-\u{E000}";
		case 'EMOJI':
			return "\u{1F600}\u{1F4C4}\u{270D}\u{FE0F}\u{1F469}\u{200D}\u{1F4BB}";
		case 'CTRL':
			return "\x01\x02\x07\x08\x0b\x0c\x1b\x7f\t\r\n";
		case 'LONG':
			return str_repeat( 'x', 2000 );
		case 'NUL':
			return "\0";
		case 'BADUTF8':
			return "\xff\xfe\xc3";
		case 'PDF':
			return sec_pdf();
		case 'UPLOADS':
			return $uploads;
		case 'ABSPATH':
			return ABSPATH;
		case 'RAND':
			return wp_generate_password( 10, false );
		case 'DEEP':
			return str_repeat( '[', 200000 ) . str_repeat( ']', 200000 );
		case 'OPS1001':
			return (string) wp_json_encode( array( 'ops' => array_fill( 0, 1001, array( 'op' => 'health' ) ) ) );
	}
	if ( str_starts_with( $name, 'SYMLINK:' ) ) {
		$link = $uploads . '/wps3-sec/link-' . wp_generate_password( 8, false ) . '.pdf';
		wp_mkdir_p( dirname( $link ) );
		symlink( substr( $name, 8 ), $link );
		return $link;
	}
	return '{' . $name . '}';
}

/**
 * Replaces placeholders; $mode says how a value is written there (json string body, query, raw).
 *
 * @param string $text Text.
 * @param string $mode json|query|raw.
 * @return string
 */
function sec_expand( string $text, string $mode ): string {
	return (string) preg_replace_callback(
		'/\{(BADUTF8|BIG|UNI|EMOJI|CTRL|LONG|NUL|PDF|UPLOADS|ABSPATH|RAND|DEEP|OPS1001|SYMLINK:[^}]+)\}/',
		static function ( $m ) use ( $mode ) {
			$v = sec_value( $m[1] );
			if ( in_array( $m[1], array( 'DEEP', 'OPS1001', 'BADUTF8' ), true ) || 'raw' === $mode ) {
				return $v;
			}
			return 'query' === $mode ? rawurlencode( $v ) : substr( (string) json_encode( $v, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ), 1, -1 );
		},
		$text
	);
}

/**
 * Placeholders in every string of a decoded value.
 *
 * @param mixed $v Value.
 * @return mixed
 */
function sec_expand_value( $v ) {
	if ( is_array( $v ) ) {
		return array_map( 'sec_expand_value', $v );
	}
	return is_string( $v ) ? sec_expand( $v, 'raw' ) : $v;
}

/**
 * Runs one HTTP-shaped case; returns [status list it got, response, extra failure text].
 *
 * @param string               $kind  Request kind.
 * @param string               $spec  Rest of the request column.
 * @param array<string, mixed> $ctx   Sessions and users.
 * @return array{0: int, 1: array<string, mixed>|null, 2: string}
 */
function sec_http_case( string $kind, string $spec, array $ctx ): array {
	switch ( $kind ) {
		case 'SAVE':
		case 'TEST':
			$over = json_decode( sec_expand( $spec, 'json' ), true );
			if ( ! is_array( $over ) ) {
				return array( 0, null, 'bad case line: overrides are not JSON' );
			}
			$form = Sec::form();
			foreach ( $over as $k => $v ) {
				if ( in_array( $k, array( 'secretAccessKey', 'directUploads' ), true ) ) {
					$form[ $k ] = $v;
				} else {
					$form['settings'][ $k ] = $v;
				}
			}
			global $wpdb;
			$stored = $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", \WPS3\Settings\Settings::OPTION ) );
			$res    = Sec::rest( $ctx['admin'], 'POST', 'SAVE' === $kind ? 'settings' : 'settings/test', $form );
			if ( 'SAVE' !== $kind || 200 !== $res['status'] ) {
				return array( $res['status'], $res, '' );
			}
			// Accepted: only as a value made safe, shown as stored; then the harness's settings go back.
			wp_cache_delete( 'alloptions', 'options' );
			wp_cache_delete( \WPS3\Settings\Settings::OPTION, 'options' );
			$now   = get_option( \WPS3\Settings\Settings::OPTION );
			$shown = (string) ( Sec::json( $res )['settings']['pathPrefix'] ?? '' );
			$kept  = is_array( $now ) ? (string) ( $now['path_prefix'] ?? '' ) : '';
			$why   = preg_match( '#(^|/)\.\.(/|$)|^/|[\x00-\x1F\x7F]#', $kept ) ? 'stored an unsafe prefix ' . json_encode( $kept ) : ( $shown !== $kept ? 'the answer does not show the stored prefix' : '' );
			$wpdb->update( $wpdb->options, array( 'option_value' => $stored ), array( 'option_name' => \WPS3\Settings\Settings::OPTION ) );
			wp_cache_delete( 'alloptions', 'options' );
			wp_cache_delete( \WPS3\Settings\Settings::OPTION, 'options' );
			return array( 'sanitized', $res, $why );
		case 'REST':
		case 'ADMIN':
			$parts = explode( ' ', $spec, 3 );
			$route = sec_expand( $parts[1] ?? '', 'query' );
			$body  = isset( $parts[2] ) ? sec_expand( $parts[2], 'json' ) : null;
			$res   = Sec::rest( 'ADMIN' === $kind ? $ctx['admin'] : $ctx['member'], $parts[0], $route, $body );
			return array( $res['status'], $res, '' );
		case 'POST':
			$parts = explode( ' ', $spec, 2 );
			$query = (string) preg_replace_callback(
				'/\{(nonce|expired):([^}]+)\}/',
				static fn ( $m ) => Sec::nonce( $ctx['admin_user']['id'], $ctx['admin']['jar'], $m[2], 'expired' === $m[1] ? 2 : 0 ),
				$parts[1] ?? ''
			);
			$res   = Sec::http( 'POST', '/wp-admin/admin-post.php?action=' . rawurlencode( $parts[0] ), array( 'jar' => $ctx['admin']['jar'], 'body' => $query ) );
			if ( 302 !== $res['status'] ) {
				return array( $res['status'], $res, '' );
			}
			// Back on the page, the queued notice must say what went wrong.
			$page = Sec::http( 'GET', Sec::header( $res, 'Location' ), array( 'jar' => $ctx['admin']['jar'] ) );
			$ok   = preg_match( '/notice-(error|warning) wps3-notice"><p>[^<]{8,}/', $page['body'] );
			return array( $ok ? 302 : 0, $page, $ok ? '' : 'redirected without an error notice' );
		case 'SIDECAR':
			$parts = explode( ' ', $spec, 2 );
			$path  = sec_expand( $parts[0], 'query' );
			$body  = sec_expand( $parts[1] ?? '', 'json' );
			$res   = Sec::http( 'POST', 'http://sidecar' . $path, array( 'unix' => WPS3_SIDECAR_SOCKET, 'body' => $body, 'headers' => array( 'Content-Type: application/json' ) ) );
			return array( $res['status'], $res, '' );
	}
	return array( 0, null, "unknown request kind $kind" );
}

/**
 * `PHP backup {…}`: hands a document to wps3_backup_document() and processes the queue in-process.
 *
 * @param array<string, mixed> $args Document fields (+ keyFilter).
 * @return array{0: string, 1: string, 2: array<string, int>} outcome, failure text, allowed deltas.
 */
function sec_backup_case( array $args ): array {
	static $n = 0;
	$doc = array(
		'id'     => $args['id'] ?? ( 'sec-' . getmypid() . '-' . ( ++$n ) ),
		'title'  => $args['title'] ?? 'Hostile',
		'status' => $args['status'] ?? 'completed',
		'path'   => $args['path'] ?? sec_pdf(),
	);
	if ( array_key_exists( 'keyFilter', $args ) ) {
		$key = (string) $args['keyFilter'];
		add_filter( 'wps_s3_backup_key', static fn () => $key, 10, 0 );
	}
	// The plugin's default roots (the uploads folder): the harness also declares its own folder, which holds wp-config.php.
	add_filter( 'wps3_allowed_roots', static fn () => array( wp_upload_dir( null, false )['basedir'] ), 100, 0 );
	if ( array_key_exists( 'template', $args ) ) {
		$template = (string) $args['template'];
		add_filter( 'wps3_key_template', static fn () => $template, 10, 0 );
	}
	try {
		$job = wps3_backup_document( $doc );
		if ( is_wp_error( $job ) ) {
			$msg = $job->get_error_message();
			return array( 'refused', '' === trim( $msg ) ? 'refused without a message' : Sec::leak_in_response( $msg ), array() );
		}
		\WPS3\Backup\Queue::instance()->process();
		$row = \WPS3\Backup\Queue::instance()->job_for_document( (string) $doc['id'] );
	} finally {
		remove_all_filters( 'wps_s3_backup_key' );
		remove_all_filters( 'wps3_key_template' );
		remove_all_filters( 'wps3_allowed_roots', 100 );
	}
	if ( null === $row ) {
		return array( 'lost', 'the job vanished', array() );
	}
	$jobs = array( 'wps3_jobs' => 1 );
	if ( \WPS3\Backup\Job::DONE === $row->status ) {
		$key  = (string) $row->object_key;
		$name = basename( $key );
		$sane = '' !== $name && ! preg_match( '#[\x00-\x1F\x7F]|(^|/)\.\.?(/|$)|^/#', $key ) && strlen( $key ) <= 1024;
		return array( 'done', $sane ? '' : 'stored under a bad key: ' . json_encode( substr( $key, 0, 80 ) ), $jobs + array( 'wps3_backups' => 1, 'objects' => 1 ) );
	}
	$msg     = trim( (string) $row->last_error_cause . ' ' . (string) $row->last_error_fix );
	$outcome = \WPS3\Backup\Job::FAILED === $row->status ? 'failed' : ( \WPS3\Backup\Job::PENDING === $row->status && '' !== (string) $row->last_error_code ? 'retrying' : $row->status );
	if ( '' === $msg ) {
		return array( $outcome, $outcome . ' without a message', $jobs );
	}
	// Admin-visible: the backups list shows the failure's words.
	$page = Sec::http( 'GET', '/wp-admin/options-general.php?page=wps3', array( 'jar' => $GLOBALS['sec_ctx']['admin']['jar'] ) );
	$seen = str_contains( html_entity_decode( $page['body'], ENT_QUOTES ), substr( (string) $row->last_error_cause, 0, 40 ) );
	return array( $outcome, $seen ? Sec::leak_in_response( $msg, true ) : 'the failure is not shown on the admin page: ' . $msg, $jobs );
}

/**
 * `PHP envelope {mutate}`: replaces the stored sealed secret, asks Test Connection with the stored secret, restores it.
 *
 * @param array<string, mixed> $args Mutation.
 * @return array{0: string, 1: string, 2: array<string, int>}
 */
function sec_envelope_case( array $args ): array {
	$secret   = new \WPS3\Settings\Secret();
	$original = $secret->envelope();
	switch ( $args['mutate'] ) {
		case 'truncate':
			$bad = substr( $original, 0, (int) ( strlen( $original ) * 0.6 ) );
			break;
		case 'flip':
			$i   = (int) ( strlen( $original ) * 0.7 );
			$bad = substr( $original, 0, $i ) . ( 'A' === $original[ $i ] ? 'B' : 'A' ) . substr( $original, $i + 1 );
			break;
		case 'other-site':
			$sealed = \WPS3\Sidecar\Client::instance()->call(
				'encrypt',
				array(
					'keyMaterial' => $secret->key_material(),
					'context'     => $secret->context( get_current_blog_id() + 1 ),
					'plaintext'   => Sec::env( 'S3_SECRET_ACCESS_KEY' ),
				)
			);
			$bad    = is_wp_error( $sealed ) ? '' : (string) $sealed['envelope'];
			break;
		default:
			$bad = 'wps3:v1:not-an-envelope!!';
	}
	if ( '' === $original || '' === $bad ) {
		return array( 'setup', 'no stored envelope to mutate', array() );
	}
	$secret->store( $bad );
	try {
		$res = Sec::rest( $GLOBALS['sec_ctx']['admin'], 'POST', 'settings/test', Sec::form() );
	} finally {
		$secret->store( $original );
	}
	$json = Sec::json( $res );
	$ok   = 400 === $res['status'] && 'Failed to sign request — re-enter both keys' === ( $json['message'] ?? '' );
	return array( $ok ? 'sign-failed' : 'status ' . $res['status'], $ok ? Sec::leak_in_response( $res['headers'] . $res['body'] ) : substr( $res['body'], 0, 200 ), array() );
}

/**
 * `PHP nonce {age}`: a Save with an expired nonce, or with another user's valid nonce.
 *
 * @param array<string, mixed> $args Which nonce.
 * @return array{0: string, 1: string, 2: array<string, int>}
 */
function sec_nonce_case( array $args ): array {
	$ctx   = $GLOBALS['sec_ctx'];
	$nonce = 'expired' === $args['age'] ? Sec::nonce( $ctx['admin_user']['id'], $ctx['admin']['jar'], 'wp_rest', 2 ) : $ctx['member']['nonce'];
	$res   = Sec::rest( $ctx['admin'], 'POST', 'settings', array_merge_recursive( Sec::form(), array( 'settings' => array() ) ), $nonce );
	$json  = Sec::json( $res );
	$words = 'Security check failed — refresh the page' === ( $json['message'] ?? '' );
	return array( (string) $res['status'], $words ? Sec::leak_in_response( $res['body'] ) : 'not the promised words: ' . substr( $res['body'], 0, 160 ), array() );
}

/**
 * Whether $got is one of the alternatives of $expect ("400|413", "4xx", "302-error", …).
 *
 * @param string $got    Outcome.
 * @param string $expect Expectation column.
 * @return bool
 */
function sec_matches( string $got, string $expect ): bool {
	foreach ( explode( '|', $expect ) as $alt ) {
		$alt = trim( $alt );
		if ( $alt === $got || ( '4xx' === $alt && preg_match( '/^4\d\d$/', $got ) ) || ( '302-error' === $alt && '302' === $got ) || ( '200-intent' === $alt && '200' === $got ) ) {
			return true;
		}
	}
	return false;
}

$GLOBALS['sec_ctx'] = array(
	'admin'      => $a_s,
	'member'     => $m_s,
	'other'      => $o_s,
	'admin_user' => $admin,
);
$lines              = file( __DIR__ . '/hostile-cases.txt', FILE_IGNORE_NEW_LINES );
$cases              = 0;
$passed             = 0;
$failed             = array();
$before             = Sec::state();
$t0                 = microtime( true );
echo "hostile input against " . Sec::env( 'SITE_URL' ) . "\n";
foreach ( $lines as $line ) {
	if ( '' === trim( $line ) || str_starts_with( ltrim( $line ), '#' ) ) {
		continue;
	}
	$cols = array_map( 'trim', explode( ' | ', $line ) );
	if ( 3 !== count( $cols ) ) {
		$failed[] = "malformed line: $line";
		continue;
	}
	list( $name, $request, $expect ) = $cols;
	if ( '' !== $only && ! str_contains( $name, $only ) ) {
		continue;
	}
	++$cases;
	Sec::reset_limits( $admin['id'] );
	Sec::reset_limits( $mem['id'] );
	$logs     = Sec::log_offsets();
	$n_ex     = count( Sec::$exchanges );
	list( $kind, $spec ) = array_pad( explode( ' ', $request, 2 ), 2, '' );
	$why      = array();
	$allowed  = array();
	if ( 'PHP' === $kind ) {
		list( $scenario, $json ) = array_pad( explode( ' ', $spec, 2 ), 2, '{}' );
		$args                    = sec_expand_value( json_decode( $json, true ) ?? array() );
		$fn                      = 'sec_' . $scenario . '_case';
		list( $got, $detail, $allowed ) = function_exists( $fn ) ? $fn( $args ) : array( 'unknown', "no scenario $scenario", array() );
		if ( '' !== $detail ) {
			$why[] = $detail;
		}
	} else {
		list( $status, $res, $detail ) = sec_http_case( $kind, $spec, $GLOBALS['sec_ctx'] );
		$got = (string) $status;
		if ( '' !== $detail ) {
			$why[] = $detail;
		}
		if ( null !== $res ) {
			$json = Sec::json( $res );
			if ( preg_match( '/^4/', $got ) && 'SIDECAR' !== $kind && ( ! is_array( $json ) || '' === trim( (string) ( $json['message'] ?? '' ) ) ) && ! str_contains( $res['body'], 'wp-die-message' ) ) {
				$why[] = 'the error has no message';
			}
			if ( 'SIDECAR' === $kind && preg_match( '/^4/', $got ) && ! isset( $json['error']['code'], $json['error']['message'] ) ) {
				$why[] = 'the sidecar error is not the error model';
			}
			if ( '200' === $got && str_contains( $expect, '200-intent' ) ) {
				$key = (string) ( $json['key'] ?? '' );
				if ( ! preg_match( '#^uploads/' . $mem['id'] . '/[0-9a-f]{16}_[^/\x00-\x1F\x7F]+$#', $key ) || str_contains( $key, '..' ) ) {
					$why[] = 'issued a bad key: ' . json_encode( substr( $key, 0, 80 ) );
				}
				$allowed = array( 'wps3_intents' => 1 );
			}
		}
	}
	if ( ! sec_matches( $got, $expect ) ) {
		$why[] = "got $got, expected $expect";
	}
	// Every response of the case: no 5xx, nothing that only a developer should see.
	foreach ( array_slice( Sec::$exchanges, $n_ex ) as $ex ) {
		if ( $ex['status'] >= 500 ) {
			$why[] = $ex['status'] . ' from ' . $ex['method'] . ' ' . substr( $ex['url'], 0, 80 );
		}
		$leak = Sec::leak_in_response( $ex['headers'] . $ex['body'] );
		if ( '' !== $leak ) {
			$why[] = 'response shows ' . $leak;
		}
	}
	foreach ( Sec::log_since( $logs ) as $label => $text ) {
		$bad = Sec::php_problems( $text );
		if ( $bad ) {
			$why[] = "$label: " . $bad[0];
		}
	}
	if ( 'SIDECAR' === $kind ) {
		$health = Sec::http( 'GET', 'http://sidecar/v1/health', array( 'unix' => WPS3_SIDECAR_SOCKET ) );
		if ( 200 !== $health['status'] ) {
			$why[] = 'the sidecar no longer answers its health check';
		}
	}
	$after = Sec::state();
	$diff  = Sec::diff( $before, sec_allow( $after, $before, $allowed ) );
	if ( '' !== $diff ) {
		$why[] = 'left ' . $diff;
	}
	$before = $after;
	if ( $why ) {
		$failed[] = "$name: " . implode( '; ', array_unique( $why ) );
		echo "  FAIL $name — " . implode( '; ', array_unique( $why ) ) . "\n";
	} else {
		++$passed;
		echo "  ok   $name ($got)\n";
	}
}

/**
 * $after with the deltas a case may make taken back out (one job row, one backup, one object, one intent).
 *
 * @param array<string, mixed> $after   State after.
 * @param array<string, mixed> $before  State before.
 * @param array<string, int>   $allowed Short table name (or "objects") => rows it may add.
 * @return array<string, mixed>
 */
function sec_allow( array $after, array $before, array $allowed ): array {
	global $wpdb;
	foreach ( $allowed as $short => $n ) {
		if ( 'objects' === $short ) {
			if ( is_array( $after['bucket'] ) && is_array( $before['bucket'] ) && count( array_diff( $after['bucket'], $before['bucket'] ) ) === $n ) {
				$after['bucket'] = $before['bucket'];
			}
			continue;
		}
		$t = $wpdb->prefix . $short;
		if ( isset( $after['tables'][ $t ], $before['tables'][ $t ] ) && $after['tables'][ $t ] === $before['tables'][ $t ] + $n ) {
			$after['tables'][ $t ] = $before['tables'][ $t ];
		}
	}
	return $after;
}

Sec::filters( array() );
foreach ( glob( wp_upload_dir( null, false )['basedir'] . '/wps3-sec/*' ) as $f ) {
	unlink( $f );
}
printf( "hostile input: %d cases, %d passed, %d failed (%.0f s)\n", $cases, $passed, count( $failed ), microtime( true ) - $t0 );
foreach ( $failed as $f ) {
	echo "  failed: $f\n";
}
exit( $failed || 0 === $cases ? 1 : 0 );
