#!/usr/bin/env bash
# The whole end-to-end suite (tests/run calls it). Two phases, each on its own throwaway harness:
#
#   php    php -S, the plugin linked from php-bridge/ (MariaDB, Debian's WordPress, ministack + Garage
#          when installed, a multisite network, the demo panel):
#            phpunit           tests/php on the single site (flow, faults, settings, 1 GiB on Garage)
#            phpunit-multisite tests/php --group multisite on the network
#            http-flow         curl: login, nonces, capabilities, Test connection, Save, Mark as fully signed → Download
#            browser-flow      headless Chromium: log in, Mark as fully signed, wait for the backup, Download, compare
#            admin-page        headless Chromium: the integration page (previews, Save, Test Connection verdicts, rate limits, nonces, axe-core)
#            sec-hostile       tests/security/hostile-cases.txt, one hostile input per line: a clear 4xx or admin-visible
#                              error, no 5xx / PHP warning / stack trace / raw XML, no row, option or object left
#            sec-secrets       a fresh storage secret through every admin, REST, transfer, link and demo flow: 0 hits
#                              in responses, admin HTML, debug/PHP/sidecar logs and a full database dump
#            sec-access        logged-out, subscriber, 2nd member, another site's admin x every route: 0 forbidden
#                              successes (owner/admin controls pass); rate limits exact under 50 parallel requests
#            uninstall-*       deactivate + uninstall on both installs: no tables, options, cron events, demo files,
#                              sidecar process or default sidecar directory left behind
#   nginx  nginx + PHP-FPM (as production sites run), the plugin installed from its zip:
#            package           tools/package.sh builds dist/wps3-<version>.zip
#            zip-install       Chromium: Plugins → Add New → Upload Plugin, Install Now, Activate
#            http-flow, browser-flow, transfers-flow (small files)   as above, against the installed copy
#            installed-sidecar the sidecar that did the uploads is the installed copy's, without WPS3_PKG_DIR
#            fpm-recycle       (pm.max_requests = 5) a sidecar started by an FPM worker keeps its pid and serves
#                              backups after every worker alive at its start was recycled
#            uninstall-single  as above
#
#   bash tests/e2e/run.sh [php|nginx]...     (default: both; E2E_KEEP=1 keeps each harness directory)
# Exits non-zero when any part fails.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

have_browser() { [ -x /usr/bin/chromium ] && [ -d node_modules/playwright-core ]; }

if [ "${1:-}" != --phase ]; then
  phases=("$@")
  [ "${#phases[@]}" -eq 0 ] && phases=(php nginx)
  # Both phases use pkg/ (the sidecar's core, the zip's builds): bring it up to date first (a no-op
  # when tests/run built it just before).
  bash tools/build-wasm.sh || exit 1
  rc=0 summary=()
  for p in "${phases[@]}"; do
    case "$p" in php | nginx) ;; *) echo "unknown phase '$p' (php | nginx)" >&2; exit 2 ;; esac
    t0=$SECONDS
    # A child process per phase: each harness has its own variables and its own EXIT trap.
    bash "${BASH_SOURCE[0]}" --phase "$p"
    r=$?
    [ "$r" -eq 0 ] && summary+=("PASS  phase $p ($((SECONDS - t0))s)") || { summary+=("FAIL  phase $p ($((SECONDS - t0))s)"); rc=1; }
  done
  printf '\n=== e2e phases\n'
  printf '%s\n' "${summary[@]}"
  exit "$rc"
fi
phase=$2

# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

results=() failed=0
part() { # part NAME COMMAND...
  local name=$1; shift
  printf '\n--- e2e[%s]: %s\n' "$phase" "$name"
  local t0=$SECONDS
  if "$@"; then
    results+=("PASS  $name ($((SECONDS - t0))s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0))s)")
    failed=$((failed + 1))
  fi
}
finish() {
  if [ "$failed" -gt 0 ] && [ -n "${E2E_DIR:-}" ]; then
    printf '\n--- logs (%s)\n' "$E2E_DIR"
    for f in "$E2E_DIR"/sc/sidecar.log "$E2E_DIR"/debug-*.log "$E2E_DIR"/php-server.log "$E2E_DIR"/php-fpm.log \
      "$E2E_DIR"/nginx-error.log; do
      [ -f "$f" ] || continue
      printf '== %s (last lines, deprecations omitted)\n' "$f"
      grep -v 'PHP Deprecated' "$f" | tail -n 15
    done
  fi
  printf '\n=== e2e summary (%s)\n' "$phase"
  for r in "${results[@]}"; do printf '%s\n' "$r"; done
  [ -n "${E2E_DIR:-}" ] && [ -f "$E2E_DIR/large-upload.json" ] && printf '1 GiB upload: %s\n' "$(tr -d '\n ' <"$E2E_DIR/large-upload.json")"
  printf 'e2e %s: %d parts, %d failed\n' "$phase" "${#results[@]}" "$failed"
  [ "$failed" -eq 0 ]
}

trap 'e2e_down' EXIT
trap 'exit 130' INT TERM

case "$phase" in
  php)
    storage=ministack
    if node -e "import('./tests/support/storage.mjs').then((m) => process.exit(m.findGarage() ? 0 : 1))"; then
      storage="ministack garage"
    else
      e2e_log "Garage is not installed: the 1 GiB test is skipped (bash tools/setup.sh storage installs it)"
    fi
    export E2E_STORAGE=$storage E2E_MULTISITE=1 E2E_DEMO=1 E2E_SERVER=php E2E_PLUGIN=link
    e2e_up || exit 1
    export WPS3_E2E_DIR=$E2E_DIR
    part phpunit phpunit -c tests/php/phpunit.xml.dist
    part phpunit-multisite env WPS3_E2E_MULTISITE=1 phpunit -c tests/php/phpunit.xml.dist --group multisite
    part http-flow bash tests/e2e/http-flow.sh
    if have_browser; then
      part browser-flow node tests/e2e/bin/browser-flow.mjs
      part transfers-flow node tests/e2e/bin/transfers-flow.mjs
      # The integration page in Chromium; screenshots kept in .run/artifacts/admin-page/.
      part admin-page node tests/browser/admin-page.e2e.mjs
    else
      e2e_log "Chromium or playwright-core missing: browser-flow skipped (bash tools/setup.sh core browser)"
    fi
    part sec-hostile php tests/security/hostile.php
    part sec-secrets php tests/security/secrets.php
    part sec-access php tests/security/access.php
    # The single site uninstalls with the default (random, under the temp dir) sidecar directory, which must go.
    part uninstall-single env WPS3_E2E_DEFINE='{"WPS3_SIDECAR_SOCKET":""}' php tests/e2e/bin/wp.php uninstall
    part uninstall-multisite env WPS3_E2E_MULTISITE=1 php tests/e2e/bin/wp.php uninstall
    ;;
  nginx)
    if ! have_browser; then
      e2e_log "Chromium or playwright-core missing: the zip cannot be installed through wp-admin (bash tools/setup.sh core browser)"
      [ "${CI:-}" = true ] && exit 1
      exit 0
    fi
    # The zip goes to this harness's own directory, so parallel runs never share one.
    zipdir=$(mktemp -d /tmp/wps3-dist.XXXXXX)
    trap 'e2e_down; rm -rf "$zipdir"' EXIT
    part package bash tools/package.sh --no-build --out "$zipdir"
    zip=$(ls "$zipdir"/wps3-*.zip 2>/dev/null | head -n1)
    if [ -z "$zip" ]; then
      finish
      exit 1
    fi
    # Workers are recycled every 5 requests, as hosts configure pm.max_requests; the sidecar must outlive them.
    export E2E_STORAGE=ministack E2E_MULTISITE= E2E_DEMO=1 E2E_SERVER=nginx E2E_PLUGIN=zip E2E_FPM_MAX_REQUESTS=5
    e2e_up || exit 1
    export WPS3_E2E_DIR=$E2E_DIR
    part zip-install e2e_install_zip "$zip"
    if [ "$failed" -eq 0 ]; then
      part http-flow bash tests/e2e/http-flow.sh
      part browser-flow node tests/e2e/bin/browser-flow.mjs
      # The browser modules (www/) and pkg/web served from the installed copy.
      part transfers-flow node tests/e2e/bin/transfers-flow.mjs --skip-large
      part installed-sidecar e2e_check_installed_sidecar
      part fpm-recycle bash tests/e2e/fpm-recycle.sh
      part uninstall-single env WPS3_E2E_DEFINE='{"WPS3_SIDECAR_SOCKET":""}' php tests/e2e/bin/wp.php uninstall
    fi
    ;;
  *) echo "unknown phase '$phase'" >&2; exit 2 ;;
esac
finish
