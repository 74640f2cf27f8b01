#!/usr/bin/env bash
# PHP's side of an upload, through the real plugin: a throwaway WordPress on
# Garage (tests/e2e/lib.sh) runs tests/php/LargeUploadTest once per size and
# prints its figures (PHP peak memory, sidecar VmHWM, seconds) as one JSON
# array on stdout. bench/upload.mjs calls it; logs go to stderr.
#
#   bash bench/upload-php.sh BYTES...
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "$#" -gt 0 ] || { echo "usage: bench/upload-php.sh BYTES..." >&2; exit 2; }
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh
trap 'e2e_down >&2' EXIT
export E2E_STORAGE=garage E2E_SERVER=php E2E_PLUGIN=link
e2e_up >&2 || exit 1
export WPS3_E2E_DIR=$E2E_DIR
out=()
for bytes in "$@"; do
  rm -f "$E2E_DIR/large-upload.json"
  # The test's own assertions (PHP never holds the file, the sidecar streams)
  # still apply; its figures are written before them, so they are kept either way.
  WPS3_E2E_LARGE_BYTES=$bytes phpunit -c tests/php/phpunit.xml.dist \
    --filter test_one_gib_upload_on_garage_with_bounded_memory >&2
  rc=$?
  if [ -f "$E2E_DIR/large-upload.json" ]; then
    out+=("$(php -r '$j = json_decode(file_get_contents($argv[1]), true); $j["phpunitExit"] = (int) $argv[2]; echo json_encode($j);' "$E2E_DIR/large-upload.json" "$rc")")
  else
    out+=("{\"bytes\":$bytes,\"phpunitExit\":$rc,\"error\":\"no figures written\"}")
  fi
done
(IFS=,; printf '[%s]\n' "${out[*]}")
