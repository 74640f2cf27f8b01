#!/usr/bin/env bash
# The fault suite (separate command; docs/OPERATIONS.md, "Fault suite"):
#
#   bash tests/faults/run.sh            # ~40 small documents + 3 multipart-size ones, every fault kind
#   FAULTS_QUICK=1 bash tests/faults/run.sh   # ~16 documents, shorter outages
#
# Brings up the e2e harness (MariaDB, Debian's WordPress, ministack) with a second web node: two php -S
# servers on one database, each with its own sidecar runtime dir (node B's sidecar signs 20 minutes
# ahead), then runs tests/faults/suite.mjs, which puts tests/faults/proxy.mjs between the site and
# storage and injects the faults. Prints documents, faults injected, completed, lost, duplicated; exits
# non-zero unless lost = 0, duplicated = 0 and every document completed. E2E_KEEP=1 keeps the harness dir.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

# pkg/ (the sidecar's core) up to date first: a no-op when tests/run built it just before.
bash tools/build-wasm.sh || exit 1

faults_down() {
  local pid
  if [ -n "${E2E_DIR:-}" ]; then
    # Node B's sidecar (node A's is e2e_down's).
    pid=$(cat "$E2E_DIR/scB/sidecar.pid" 2>/dev/null)
    [ -n "$pid" ] && grep -q server.mjs "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    if [ "${rc:-1}" -ne 0 ]; then
      for f in "$E2E_DIR"/sc/sidecar.log "$E2E_DIR"/scB/sidecar.log "$E2E_DIR"/debug-wordpress.log "$E2E_DIR"/php-server*.log; do
        [ -f "$f" ] || continue
        printf '== %s (last lines, deprecations omitted)\n' "$f"
        grep -v 'PHP Deprecated' "$f" | tail -n 12
      done
    fi
  fi
  e2e_down
}
trap 'faults_down' EXIT
trap 'exit 130' INT TERM

WPS3_FAULTS_KEY=$(e2e_random 24)
export WPS3_FAULTS_KEY
# A 60 s lease (the minimum), so a job whose PHP worker was killed is taken over within the run; fast
# retries (the core's backoff from 0.5 s, at most 4 s).
E2E_EXTRA_CONFIG="define( 'WPS3_JOB_LEASE', 60 );
define( 'WPS3_RETRY_BASE', 0.5 );
define( 'WPS3_RETRY_CAP', 4 );
define( 'WPS3_FAULTS_KEY', '$WPS3_FAULTS_KEY' );
defined( 'WPS3_ALLOW_PRIVATE_ENDPOINTS' ) || define( 'WPS3_ALLOW_PRIVATE_ENDPOINTS', true );"
export E2E_EXTRA_CONFIG E2E_STORAGE=ministack E2E_SERVER=php E2E_PLUGIN=link E2E_MULTISITE= E2E_DEMO=
e2e_up || exit 1
cp tests/faults/mu-plugin/wps3-faults.php "$WP_DIR/wp-content/mu-plugins/wps3-faults.php"

# Node B: another php -S on the same WordPress and database, with its own sidecar (runtime dir scB) whose
# clock runs 20 minutes ahead (the sidecar signs with WPS3_CLOCK_OFFSET_SECONDS; the core never reads a clock).
mkdir -p "$E2E_DIR/scB" && chmod 700 "$E2E_DIR/scB"
port_b=$(e2e_free_port)
ini=()
for kv in "${E2E_PHP_INI[@]}"; do ini+=(-d "$kv"); done
setsid env PHP_CLI_SERVER_WORKERS=4 WPS3_CLOCK_OFFSET_SECONDS=1200 \
  WPS3_E2E_DEFINE="{\"WPS3_SIDECAR_SOCKET\":\"$E2E_DIR/scB/sidecar.sock\"}" \
  php "${ini[@]}" -S "127.0.0.1:$port_b" -t "$WP_DIR" tests/e2e/router.php >"$E2E_DIR/php-server-b.log" 2>&1 </dev/null &
e2e_track webB $!
disown $! 2>/dev/null
export FAULTS_NODE_B_URL="http://127.0.0.1:$port_b"
e2e_wait_for 20 "node B on :$port_b" curl -sf -o /dev/null "$FAULTS_NODE_B_URL/wp-login.php" || exit 1

E2E_DIR=$E2E_DIR node tests/faults/suite.mjs
rc=$?
exit "$rc"
