#!/usr/bin/env bash
# The sidecar started from a PHP-FPM worker outlives that worker's recycling (pm.max_requests), against
# a running nginx + PHP-FPM harness (tests/e2e/run.sh nginx sets E2E_FPM_MAX_REQUESTS):
#   1. stop the running sidecar; queue a document; GET /wp-cron.php: an FPM worker runs the backup and
#      starts the sidecar (proved by its environment: FPM's clear_env leaves none of the CLI's variables);
#   2. parallel requests until every worker that was alive then has exited (recycled) and FPM replaced it;
#   3. the sidecar has the same pid, is alive and answers health; a second document queued now is backed up
#      by the new workers through that same sidecar.
#
#   WPS3_E2E_DIR=/tmp/wps3e.XXXX bash tests/e2e/fpm-recycle.sh
set -uo pipefail
: "${WPS3_E2E_DIR:?set WPS3_E2E_DIR to a running harness}"
# shellcheck disable=SC1091
source "$WPS3_E2E_DIR/env.sh"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pass=0 fail=0
ok() { pass=$((pass + 1)); printf '  ok   %s\n' "$*"; }
ko() { fail=$((fail + 1)); printf '  FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else ko "$what"; fi; }
wp() { WPS3_E2E_DIR=$WPS3_E2E_DIR php "$ROOT/tests/e2e/bin/wp.php" "$@"; }
# The process may exit between the two checks: a vanished stat file means not alive, without grep noise.
alive() { [ -r "/proc/$1/stat" ] && ! grep -qE '^[0-9]+ \(.*\) [ZX] ' "/proc/$1/stat" 2>/dev/null && [ -r "/proc/$1/stat" ]; }
fpm_master=$(cat "$E2E_DIR/web/php-fpm.pid" 2>/dev/null)
workers() { pgrep -P "$fpm_master" | sort -n; }
max_requests=$(sed -n 's/^pm.max_requests = //p' "$E2E_DIR/web/php-fpm.conf")

echo "fpm-recycle against $SITE_URL (pm.max_requests = ${max_requests:-unset}, FPM master ${fpm_master:-?})"
check "PHP-FPM recycles workers (pm.max_requests set, > 0)" test "${max_requests:-0}" -gt 0
check "FPM master is running" alive "${fpm_master:-0}"

# backup_via_fpm DOCUMENT_ID: queue it from the CLI (no cron spawn there), then WP-Cron over HTTP until done.
backup_via_fpm() {
  local id=$1 pdf="$WP_DIR/wp-content/uploads/fpm-recycle-$1.pdf" i status=
  printf '%%PDF-1.4\n%% fpm recycle %s %s\n%%%%EOF\n' "$id" "$(date +%s%N)" >"$pdf"
  wp eval "\$r = wps3_backup_document( array( 'id' => '$id', 'title' => 'FPM Recycle $id', 'status' => 'completed', 'path' => '$pdf' ) ); echo is_wp_error( \$r ) ? \$r->get_error_message() : 'queued';" >/dev/null
  # Up to 90 s: wp-cron.php returns at once while another run's lock (WP_CRON_LOCK_TIMEOUT, 60 s) is held.
  for i in $(seq 1 180); do
    curl -s -o /dev/null "$SITE_URL/wp-cron.php"
    status=$(wp eval "\$j = \\WPS3\\Backup\\Queue::instance()->job_for_document( '$id' ); echo \$j ? \$j->status : 'none';")
    [ "$status" = done ] && break
    sleep 0.5
  done
  [ "$status" = done ] || { echo "    job $id is '$status'"; return 1; }
  local backup
  backup=$(wp eval "\$b = wps3_get_backup( '$id' ); echo \$b ? \$b['size'] : 0;")
  [ "$backup" = "$(stat -c %s "$pdf")" ] || { echo "    backup size '$backup' != $(stat -c %s "$pdf")"; return 1; }
}

sidecar_pid() { cat "$E2E_DIR/sc/sidecar.pid" 2>/dev/null; }
health_pid() { wp eval '$h = WPS3\Sidecar\Client::instance()->health(); echo is_wp_error( $h ) ? "ERR " . $h->get_error_message() : $h["pid"];'; }

# 1. A sidecar started by an FPM worker.
wp eval 'WPS3\Sidecar\Client::instance()->supervisor()->stop();' >/dev/null
old=$(sidecar_pid)
check "no sidecar runs before the web request" bash -c "[ -z '$old' ] || ! [ -r /proc/$old/cmdline ] || ! grep -q server.mjs /proc/$old/cmdline"
before=$(workers)
id1=$((RANDOM + 900000))
check "a backup through WP-Cron on PHP-FPM completes" backup_via_fpm "$id1"
pid=$(sidecar_pid)
check "that backup started a sidecar (pid ${pid:-none})" alive "${pid:-0}"
check "the sidecar was started by an FPM worker (none of the CLI's environment)" \
  bash -c "! tr '\0' '\n' </proc/$pid/environ | grep -q '^WPS3_E2E_DIR='"
# Whichever worker ran the backup was alive before it or started during it.
starters=$( (echo "$before"; workers) | sort -un | tr '\n' ' ')

# 2. Recycle every worker that could have started it.
n=0
while [ "$n" -lt 400 ]; do
  left=0
  for w in $starters; do alive "$w" && left=$((left + 1)); done
  [ "$left" -eq 0 ] && break
  for _ in 1 2 3 4; do curl -s -o /dev/null "$SITE_URL/wp-login.php" & done
  wait
  n=$((n + 4))
done
check "every FPM worker alive at the sidecar's start was recycled ($n requests; workers then: ${starters:-none}; now: $(workers | tr '\n' ' '))" test "$left" -eq 0 -a -n "$starters"

# 3. The same sidecar keeps serving.
check "the sidecar survived the recycling (pid $pid alive)" alive "$pid"
check "it answers health with the same pid" test "$(health_pid)" = "$pid"
id2=$((id1 + 1))
check "a backup after the recycling completes" backup_via_fpm "$id2"
check "through the same sidecar (pid $(sidecar_pid))" test "$(sidecar_pid)" = "$pid"

printf 'fpm-recycle: %d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
