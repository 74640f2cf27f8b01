#!/usr/bin/env bash
# The whole end-to-end suite (tests/run calls it):
#   harness up  — MariaDB, Debian's WordPress with the plugin active, ministack (+ Garage when installed),
#                 a multisite network, the demo panel
#   phpunit     — tests/php on the single site (flow, faults, settings, 1 GiB on Garage)
#   multisite   — tests/php --group multisite on the network
#   http-flow   — curl: login, nonces, capabilities, Test connection, Save, Mark as fully signed → Download
#   browser-flow — headless Chromium: log in, Mark as fully signed, wait for the backup, Download, compare
#   uninstall   — deactivate + uninstall on both installs: no tables, options, cron events, demo files,
#                 sidecar process or default sidecar directory left behind
#   harness down
# Exits non-zero when any part fails. E2E_KEEP=1 keeps the harness directory (logs) afterwards.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

storage=ministack
if node -e "import('./tests/support/storage.mjs').then((m) => process.exit(m.findGarage() ? 0 : 1))"; then
  storage="ministack garage"
else
  e2e_log "Garage is not installed: the 1 GiB test is skipped (bash tools/setup.sh storage installs it)"
fi
export E2E_STORAGE=$storage E2E_MULTISITE=1 E2E_DEMO=1

trap 'e2e_down' EXIT
trap 'exit 130' INT TERM
e2e_up || exit 1
export WPS3_E2E_DIR=$E2E_DIR

results=() failed=0
part() { # part NAME COMMAND...
  local name=$1; shift
  printf '\n--- e2e: %s\n' "$name"
  local t0=$SECONDS
  if "$@"; then
    results+=("PASS  $name ($((SECONDS - t0))s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0))s)")
    failed=$((failed + 1))
  fi
}

part phpunit phpunit -c tests/php/phpunit.xml.dist
part phpunit-multisite env WPS3_E2E_MULTISITE=1 phpunit -c tests/php/phpunit.xml.dist --group multisite
part http-flow bash tests/e2e/http-flow.sh
if [ -x /usr/bin/chromium ] && [ -d node_modules/playwright-core ]; then
  part browser-flow node tests/e2e/bin/browser-flow.mjs
else
  e2e_log "Chromium or playwright-core missing: browser-flow skipped (bash tools/setup.sh core browser)"
fi
# The single site uninstalls with the default (random, under the temp dir) sidecar directory, which must go.
part uninstall-single env WPS3_E2E_DEFINE='{"WPS3_SIDECAR_SOCKET":""}' php tests/e2e/bin/wp.php uninstall
part uninstall-multisite env WPS3_E2E_MULTISITE=1 php tests/e2e/bin/wp.php uninstall

if [ "$failed" -gt 0 ]; then
  printf '\n--- logs (%s)\n' "$E2E_DIR"
  for f in "$E2E_DIR"/sc/sidecar.log "$E2E_DIR"/debug-*.log "$E2E_DIR"/php-server.log; do
    [ -f "$f" ] || continue
    printf '== %s (last lines, deprecations omitted)\n' "$f"
    grep -v 'PHP Deprecated' "$f" | tail -n 15
  done
fi
printf '\n=== e2e summary\n'
for r in "${results[@]}"; do printf '%s\n' "$r"; done
[ -f "$E2E_DIR/large-upload.json" ] && printf '1 GiB upload: %s\n' "$(tr -d '\n ' <"$E2E_DIR/large-upload.json")"
printf 'e2e: %d parts, %d failed\n' "${#results[@]}" "$failed"
[ "$failed" -eq 0 ]
