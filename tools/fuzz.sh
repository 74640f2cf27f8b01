#!/usr/bin/env bash
# Fuzzes the core with cargo-afl (stable Rust; cargo-fuzz needs nightly).
#
#   bash tools/fuzz.sh [--seconds N] [target...]
#
# Targets (fuzz/fuzz_targets/*.rs): presign, s3_error_xml, key_template, envelope;
# default all, N seconds each (default 60). Not part of `bash tests/run`.
# Prints per target: iterations (AFL's execs_done), corpus size, crashes.
# Each crash input is copied to fuzz/regressions/<target>/, which
# `cargo test` (tests/fuzz_regressions.rs) replays: commit it with the fix.
# Exits 1 when a target crashed. Installs cargo-afl 0.18.2 when missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

seconds=60 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --seconds must be a positive whole number" >&2; exit 2; }
all=(presign s3_error_xml key_template envelope)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [ -f "fuzz/fuzz_targets/$t.rs" ] || { echo "fuzz: unknown target '$t' (${all[*]})" >&2; exit 2; }
done

bash tools/setup.sh fuzz
(cd fuzz && cargo afl build --release --bins)

out_root="$ROOT/.run/fuzz"
mkdir -p "$out_root"
stat_of() { sed -n "s/^$1 *: *//p" "$2" | head -n1; }
crashed=0 rows=()
for t in "${targets[@]}"; do
  out="$out_root/$t"
  rm -rf "$out"
  echo "[fuzz] $t: ${seconds}s"
  # AFL_NO_AFFINITY: the machine is shared, no core is free to pin to.
  # AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: core_pattern is the host's, not ours to change.
  AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    cargo afl fuzz -i "fuzz/seeds/$t" -o "$out" -V "$seconds" "fuzz/target/release/$t" >"$out.log" 2>&1 ||
    { tail -n 20 "$out.log" >&2; echo "[fuzz] $t: afl-fuzz failed (log $out.log)" >&2; exit 1; }
  stats="$out/default/fuzzer_stats"
  [ -f "$stats" ] || { echo "[fuzz] $t: no fuzzer_stats (log $out.log)" >&2; exit 1; }
  execs=$(stat_of execs_done "$stats")
  corpus=$(stat_of corpus_count "$stats")
  crashes=$(stat_of saved_crashes "$stats")
  crashes=${crashes:-$(stat_of unique_crashes "$stats")}
  for f in "$out"/default/crashes/id:*; do
    [ -f "$f" ] || continue
    cp "$f" "fuzz/regressions/$t/crash-$(sha1sum "$f" | cut -c1-16)"
  done
  [ "${crashes:-0}" -eq 0 ] || crashed=1
  rows+=("$(printf '%-14s %12s %8s %8s' "$t" "$execs" "$corpus" "${crashes:-0}")")
done

printf '\n%-14s %12s %8s %8s\n' target iterations corpus crashes
printf '%s\n' "${rows[@]}"
[ "$crashed" -eq 0 ] || { echo "[fuzz] crashes copied to fuzz/regressions/<target>/; cargo test --test fuzz_regressions replays them"; exit 1; }
