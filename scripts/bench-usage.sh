#!/usr/bin/env bash
# Benchmark `sgaudit usage`: flow-log records per second and peak memory.
#
#   scripts/bench-usage.sh                    # 100 million records, 50 accounts x 2 regions x 100 groups
#   RECORDS=20000000 scripts/bench-usage.sh   # fewer
#   CUSTOM=1 scripts/bench-usage.sh           # a custom format (flow-direction, tcp-flags, ...)
#
# Environment:
#   RECORDS    flow-log records to generate (100000000)
#   DAYS       the window they spread over (30)
#   ACCOUNTS   accounts of the synthetic organization (50); 2 regions x 100 groups each
#   RUNS       how many times to run usage (1)
#   DATA       where the snapshot and the logs go (bench-data/usage)
#
# The snapshot and the logs are generated (deterministically) only when
# missing; delete DATA to regenerate. The logs are gzip files in the S3
# delivery layout, one per account, region and day. Wall time and peak memory
# come from GNU time (`/usr/bin/time -v`); records/s is records / wall time,
# reading, decompressing, hashing and attributing included.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS="${RECORDS:-100000000}"
DAYS="${DAYS:-30}"
ACCOUNTS="${ACCOUNTS:-50}"
RUNS="${RUNS:-1}"
DATA="${DATA:-bench-data/usage}"
snapshot="$DATA/synthetic-${ACCOUNTS}.json"
logs="$DATA/logs-${RECORDS}${CUSTOM:+-custom}"

echo "==> building (release)"
cargo build --release --example synthetic_org --example flow_logs --bin sgaudit

mkdir -p "$DATA"
if [[ ! -f "$snapshot" ]]; then
    echo "==> generating $snapshot"
    target/release/examples/synthetic_org --accounts "$ACCOUNTS" --out "$snapshot"
fi
if [[ ! -d "$logs" ]]; then
    echo "==> generating $RECORDS records over $DAYS days in $logs"
    target/release/examples/flow_logs --snapshot "$snapshot" --out "$logs" --records "$RECORDS" --days "$DAYS" ${CUSTOM:+--custom}
fi
echo "    logs: $(du -sh "$logs" | cut -f1) in $(find "$logs" -type f | wc -l) files"

if [[ ! -x /usr/bin/time ]]; then
    echo "bench-usage: GNU time is needed for peak memory: apt-get install -y time" >&2
    exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for run in $(seq 1 "$RUNS"); do
    /usr/bin/time -v -o "$log" target/release/sgaudit usage --snapshot "$snapshot" --flow-logs "$logs" \
        --out "$DATA/usage.json" 2>"$DATA/usage.stderr" || { cat "$DATA/usage.stderr" >&2; exit 1; }
    wall="$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")"
    rss_kb="$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$log")"
    user="$(sed -n 's/^[[:space:]]*User time (seconds): //p' "$log")"
    secs="$(awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }' <<<"$wall")"
    total="$(python3 -c "import json; print(json.load(open('$DATA/usage.json'))['records']['total'])")"
    rate="$(awk -v n="$total" -v s="$secs" 'BEGIN { printf "%.2f", n / s / 1e6 }')"
    echo "run $run: $total records in ${secs}s (user ${user}s): ${rate} M records/s, peak RSS $((rss_kb / 1024)) MiB"
done
grep "records from" "$DATA/usage.stderr" || true
echo "targets: >= 2 M records/s for gzipped version-2 files; < 512 MiB peak for 100 M records"
