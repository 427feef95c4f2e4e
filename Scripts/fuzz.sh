#!/usr/bin/env bash
# Runs every libFuzzer harness for SECONDS each on its corpus, one after another, and prints the
# executions per harness. A crash, leak, timeout or out-of-memory ends that harness with a
# non-zero status; its input lands in OUT/findings/HARNESS/ and the script fails.
#
# Usage: fuzz.sh OUT SECONDS [HARNESS…]   (default: shim series multiframe json)
# FUZZ_OPTIONS adds libFuzzer flags (e.g. -detect_leaks=0 for throughput, then `fuzz.sh` with
# -runs=0 replays every corpus with LeakSanitizer on). Each run is appended to OUT/runs.tsv.
set -uo pipefail
out=$(cd "$1" && pwd); seconds=$2; shift 2
harnesses=("$@"); [ ${#harnesses[@]} -gt 0 ] || harnesses=(shim series multiframe json)
repo=$(cd "$(dirname "$0")/.." && pwd)
limits=(-rss_limit_mb=2048 -malloc_limit_mb=8192 -timeout=10 -print_final_stats=1 ${FUZZ_OPTIONS:-})
failed=0
printf '%-11s %12s %8s %s\n' harness executions seconds result
for h in "${harnesses[@]}"; do
  mkdir -p "$out/corpus/$h" "$out/findings/$h"
  case $h in
    shim) cmd=("$out/shim_read" -max_len=${SHIM_MAX_LEN:-262144} -dict="$repo/Fuzz/dicom.dict") ;;
    series|multiframe) cmd=("$repo/.build/fuzz/release/qct-fuzz" -max_len=262144 -dict="$repo/Fuzz/dicom.dict") ;;
    json) cmd=("$repo/.build/fuzz/release/qct-fuzz" -max_len=65536 -dict="$out/seeds/json.dict") ;;
    *) echo "fuzz.sh: unknown harness $h (shim, series, multiframe, json)"; exit 2 ;;
  esac
  start=$(date +%s)
  # Each harness's own findings folder: libFuzzer writes crash-*, leak-*, timeout-*, oom-* there.
  (cd "$out/findings/$h" && QCT_FUZZ_TARGET=$h QCT_PHANTOMS="$repo/Phantoms" \
     "${cmd[@]}" "${limits[@]}" -max_total_time="$seconds" "$out/corpus/$h" "$out/seeds/$h") > "$out/$h.log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$h.log" | grep -o '[0-9]*$' | tail -1)
  result=ok
  if [ $status -eq 72 ] && [ -z "$(ls -A "$out/findings/$h")" ]; then
    result="stopped early (SIGINT, libFuzzer's interrupted status 72), no finding"
  elif [ $status -ne 0 ]; then
    result="FAILED (status $status, see $out/$h.log)"; failed=1
  fi
  printf '%-11s %12s %8s %s\n' "$h" "${runs:-?}" "$(( $(date +%s) - start ))" "$result"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$h" "${runs:-?}" "$(( $(date +%s) - start ))" "${FUZZ_OPTIONS:-}" "$result" >> "$out/runs.tsv"
done
exit $failed
