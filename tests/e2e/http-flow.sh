#!/usr/bin/env bash
# Browser-level checks over HTTP with curl, against a running harness started with E2E_DEMO=1:
# login, capability and nonce checks on the settings REST routes, Test connection, Save with bad input,
# and the demo flow
# "Mark as fully signed" → backup appears (WP-Cron on page load) → Download → bytes equal the PDF.
#
#   WPS3_E2E_DIR=/tmp/wps3e.XXXX bash tests/e2e/http-flow.sh
set -uo pipefail
: "${WPS3_E2E_DIR:?set WPS3_E2E_DIR to a running harness}"
# shellcheck disable=SC1091
source "$WPS3_E2E_DIR/env.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); printf '  ok   %s\n' "$*"; }
ko() { fail=$((fail + 1)); printf '  FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else ko "$what"; fi; }
wp() { WPS3_E2E_DIR=$WPS3_E2E_DIR php "$ROOT/tests/e2e/bin/wp.php" "$@"; }
PAGE="$SITE_URL/wp-admin/options-general.php?page=wps3"
POST="$SITE_URL/wp-admin/admin-post.php"

login() { # login JAR USER PASSWORD
  curl -s -c "$1" -b "$1" -o /dev/null "$SITE_URL/wp-login.php"
  curl -s -c "$1" -b "$1" -o /dev/null -w '%{http_code}' --data-urlencode "log=$2" --data-urlencode "pwd=$3" \
    -d 'testcookie=1&wp-submit=Log+In' "$SITE_URL/wp-login.php"
}
# nonce_for FILE ACTION: the _wpnonce of the form whose hidden "action" is ACTION
nonce_for() { perl -0ne 'print $1 if /value="\Q'"$2"'\E".*?name="_wpnonce" value="([0-9a-f]+)"/s' "$1"; }
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# row ID: the backups-list row of a document in $TMP/page.html
row() { perl -0ne 'print $1 if m{(<tr class="wps3-job[^"]*" data-document-id="\Q'"$1"'\E">.*?</tr>)}s' "$TMP/page.html"; }

echo "http-flow against $SITE_URL"
A="$TMP/admin.jar"
check "admin logs in (302)" test "$(login "$A" "$ADMIN_USER" "$ADMIN_PASSWORD")" = 302
curl -s -b "$A" "$PAGE" >"$TMP/page.html"
check "Settings → S3 Backups renders" grep -q '<h1>S3 Backups</h1>' "$TMP/page.html"
check "secret is never sent to the browser" bash -c "! grep -qF -- '$S3_SECRET_ACCESS_KEY' '$TMP/page.html' && ! grep -q 'wps3:v1:' '$TMP/page.html'"

# The storage settings talk to REST routes (wps3/v1) with the wp_rest nonce the page's wp-api-fetch carries.
REST="$SITE_URL/wp-json/wps3/v1"
rest_nonce() { curl -s -b "$1" "$SITE_URL/wp-admin/admin-ajax.php?action=rest-nonce"; }
NA=$(rest_nonce "$A")
check "the page carries a wp_rest nonce for wp-api-fetch" grep -q "createNonceMiddleware( \"$NA\" )" "$TMP/page.html"
# rest JAR NONCE METHOD PATH [JSON] -> body in $TMP/rest.json, status on stdout
rest() { curl -s -b "$1" -H "X-WP-Nonce: $2" -H 'Content-Type: application/json' -X "$3" ${5:+--data-binary "$5"} -o "$TMP/rest.json" -w '%{http_code}' "$REST$4"; }
json() { php -r '$j = json_decode( file_get_contents( $argv[1] ), true ); foreach ( explode( ".", $argv[2] ) as $k ) { $j = is_array( $j ) && array_key_exists( $k, $j ) ? $j[ $k ] : null; } echo is_bool( $j ) ? ( $j ? "true" : "false" ) : ( is_scalar( $j ) ? $j : json_encode( $j ) );' "$TMP/rest.json" "$1"; }
form() { # form BUCKET [SECRET]: the page's JSON body for save/test
  php -r 'echo json_encode( array( "settings" => array( "provider" => "custom", "endpoint" => $argv[1], "region" => $argv[2], "bucket" => $argv[3], "pathPrefix" => "wpsigner/", "accessKeyId" => $argv[4] ), "secretAccessKey" => $argv[5] ?? "" ) );' "$S3_ENDPOINT" "$S3_REGION" "$1" "$S3_ACCESS_KEY_ID" "${2:-}"
}
stored_ok() { wp eval '$r = \WPS3\Settings\Settings::instance()->test_connection(); echo is_wp_error( $r ) ? $r->get_error_message() : "ok";' | grep -qx ok; }

# Nonces and capabilities.
check "REST save without a nonce is refused (401: the cookie alone is not trusted)" test "$(rest "$A" "" POST /settings "$(form evil)")" = 401
check "REST save with a tampered nonce is refused (403)" test "$(rest "$A" deadbeef00 POST /settings "$(form evil)")" = 403
check "tampered nonce: \"Security check failed — refresh the page\"" test "$(json message)" = "Security check failed — refresh the page"
check "download without nonce is refused (403)" test "$(status -b "$A" "$POST?action=wps3_download&backup=1")" = 403
wp eval 'if ( ! get_user_by( "login", "e2e-subscriber" ) ) { wp_insert_user( array( "user_login" => "e2e-subscriber", "user_pass" => "subscriber-pass-1", "role" => "subscriber", "user_email" => "s@example.test" ) ); }'
S="$TMP/sub.jar"
login "$S" e2e-subscriber subscriber-pass-1 >/dev/null
NS=$(rest_nonce "$S")
check "subscriber cannot open the page (403)" test "$(status -b "$S" "$PAGE")" = 403
check "subscriber cannot read the settings even with a nonce (403)" test "$(rest "$S" "$NS" GET /settings)" = 403
check "subscriber cannot save even with a nonce (403)" test "$(rest "$S" "$NS" POST /settings "$(form evil)")" = 403
check "subscriber cannot test the connection even with a nonce (403)" test "$(rest "$S" "$NS" POST /settings/test "$(form "$S3_BUCKET")")" = 403
check "logged-out visitor gets 401 from the settings routes" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$REST/settings')\" = 401 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST '$REST/settings/test')\" = 401 ]"
check "logged-out visitor is not served admin-post actions" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -d 'action=wps3_run_queue' '$POST')\" != 200 ] || ! curl -s -d 'action=wps3_run_queue' '$POST' | grep -q 'Queue processed'"

# Save with the harness's ministack credentials (whatever an earlier suite left).
wp eval "foreach ( array( 'settings-test', 'settings-save' ) as \$a ) { \\WPS3\\Rest\\RateLimiter::reset( \$a, get_user_by( 'login', '$ADMIN_USER' )->ID ); }"
code=$(rest "$A" "$NA" POST /settings "$(form "$S3_BUCKET" "$S3_SECRET_ACCESS_KEY")")
check "Save (valid, new secret): 200" test "$code" = 200
check "Save: the answer says saved and a secret is set, without its value" bash -c "[ '$(json saved)' = true ] && [ '$(json secretSet)' = true ] && ! grep -qF -- '$S3_SECRET_ACCESS_KEY' '$TMP/rest.json'"
rest "$A" "$NA" GET /settings >/dev/null
check "GET settings: secretSet, no secret, no envelope" bash -c "[ '$(json secretSet)' = true ] && ! grep -qF -- '$S3_SECRET_ACCESS_KEY' '$TMP/rest.json' && ! grep -q 'wps3:v1:' '$TMP/rest.json'"

# Test connection on the form's values (empty secret field: the stored secret).
check "Test connection: 200" test "$(rest "$A" "$NA" POST /settings/test "$(form "$S3_BUCKET")")" = 200
check "Test connection: every check passed" bash -c "[ '$(json ok)' = true ] && php -r '\$j = json_decode( file_get_contents( \"$TMP/rest.json\" ), true ); exit( count( \$j[\"rows\"] ) >= 7 && ! array_filter( \$j[\"rows\"], fn( \$r ) => \"pass\" !== \$r[\"status\"] ) ? 0 : 1 );'"

# Save with a bad bucket: a 400 naming the field, nothing changed.
check "Save with a bad bucket: 400" test "$(rest "$A" "$NA" POST /settings "$(form x should-not-be-stored)")" = 400
check "Save with a bad bucket: the bucket field is named" grep -q '"field":"bucket"' "$TMP/rest.json"
rest "$A" "$NA" GET /settings >/dev/null
check "Save with a bad bucket: bucket unchanged" test "$(json settings.bucket)" = "$S3_BUCKET"
check "Save with a bad bucket: secret still works" stored_ok

# Save again with an empty secret field: the stored secret is kept.
check "Save (valid, empty secret field): 200" test "$(rest "$A" "$NA" POST /settings "$(form "$S3_BUCKET")")" = 200
check "Save (empty secret field): secret kept" stored_ok
curl -s -b "$A" "$PAGE" >"$TMP/page.html"

# Demo flow: mark a sample document fully signed, watch the backup appear, download it.
if grep -q 'wps3-demo' "$TMP/page.html"; then
  DOC=$(wp seed-demo "Service Agreement")
  DOC_ID=$(php -r 'echo json_decode($argv[1], true)["id"];' "$DOC")
  DOC_PATH=$(php -r 'echo json_decode($argv[1], true)["path"];' "$DOC")
  curl -s -b "$A" "$PAGE" >"$TMP/page.html"
  N=$(perl -0ne 'print $1 if /name="document" value="'"$DOC_ID"'".*?name="_wpnonce" value="([0-9a-f]+)"/s' "$TMP/page.html")
  check "demo: 'Mark as fully signed' button for #$DOC_ID" test -n "$N"
  curl -s -b "$A" -o /dev/null -d "action=wps3_demo_complete&document=$DOC_ID&_wpnonce=$N" "$POST"
  found="" t0=$SECONDS
  # Under PHP-FPM the request that queued the job runs it after its response; elsewhere page loads run
  # WP-Cron (a loopback request to wp-cron.php), whose lock can hold a spawn for WP_CRON_LOCK_TIMEOUT (60 s).
  while [ $((SECONDS - t0)) -lt 90 ]; do
    curl -s -b "$A" "$PAGE" >"$TMP/page.html"
    if row "$DOC_ID" | grep -q wps3-download; then found=1; break; fi
    sleep 0.5
  done
  check "demo: backup of #$DOC_ID appears with a Download button (after $((SECONDS - t0)) s)" test -n "$found"
  if [ "${E2E_SERVER:-php}" = nginx ]; then
    check "demo: under PHP-FPM the backup ran in the request that queued it (admin-post.php), not in WP-Cron" \
      test "$(awk -F'\t' -v d="$DOC_ID" '$1 == d { print $6 }' "$WPS3_E2E_DIR/hooks.log")" = admin-post.php
  fi
  KEY="wpsigner/Service-Agreement_$(date -u +%Y-%m-%d)_$DOC_ID.pdf"
  check "demo: object key is $KEY" grep -qF "$KEY" <<<"$(row "$DOC_ID")"
  HREF=$(row "$DOC_ID" | perl -0ne 'print $1 if /class="button wps3-download" href="([^"]+)"/s' | sed 's/&#038;/\&/g; s/&amp;/\&/g')
  curl -s -b "$A" -D "$TMP/dl.h" -o /dev/null "$HREF"
  LOC=$(grep -i '^location:' "$TMP/dl.h" | cut -d' ' -f2- | tr -d '\r')
  check "download: 302 to a presigned URL on the storage host" bash -c "grep -q '^HTTP/1.1 302' '$TMP/dl.h' && [[ '$LOC' == '$S3_ENDPOINT'/* ]] && [[ '$LOC' == *X-Amz-Signature=* ]] && [[ '$LOC' == *X-Amz-Expires=300* ]]"
  curl -s -D "$TMP/obj.h" -o "$TMP/downloaded.pdf" "$LOC"
  check "download: bytes equal the signed PDF" cmp -s "$TMP/downloaded.pdf" "$DOC_PATH"
  check "download: Content-Disposition attachment with the key's file name" grep -qi "^content-disposition: attachment; filename=\"$(basename "$KEY")\"" "$TMP/obj.h"
  check "download link of another user's session is refused" test "$(status -b "$S" "$HREF")" = 403
  check "wps_s3_uploaded fired once for #$DOC_ID" test "$(grep -c "^$DOC_ID	" "$WPS3_E2E_DIR/hooks.log")" = 1
else
  echo "  (demo panel off: WPS3_DEMO not defined; demo flow skipped)"
fi

echo "http-flow: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
