#!/usr/bin/env bash
# Load suite (issue 10), a separate command (not in tests/run; about 45 s):
#
#   bash tests/load/run.sh [--workers=8] [--seconds=30] [--rss-bound-mib=32]
#
# 8 PHP workers, each requesting pages of 100 presigned download links through the plugin's own
# sidecar client (WPS3\Sidecar\Client::presign_page, sealed secret, sidecar started by the Supervisor) for
# 30 s against one sidecar. Prints throughput (URLs/s), page p50/p99 and the sidecar's RSS.
# FAILS if any page failed (an error, a missing or unsigned URL) or if the sidecar's RSS grew by
# more than the bound (default 32 MiB) between the end of a 3 s warm-up and the end of the run.
# Timing figures are printed, never asserted. Needs: bash tools/setup.sh core wordpress, and the
# wasm build (bash tools/build-wasm.sh). The same tool is item 7 of bench/run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ -f "$ROOT/pkg/node/wps3.js" ] || bash "$ROOT/tools/build-wasm.sh"
exec node "$ROOT/bench/load.mjs" --workers=8 --seconds=30 "$@"
