#!/usr/bin/env bash
# Benchmark `sgaudit assess` on a large synthetic organization.
#
#   scripts/bench-assess.sh                      # 1000 accounts x 2 regions x 100 groups
#   ACCOUNTS=100 scripts/bench-assess.sh         # a smaller one
#   env GROUPS=50 scripts/bench-assess.sh        # see the note on GROUPS below
#   RUNS=5 scripts/bench-assess.sh
#
# The two shapes of issue 13 (organization scale), every format:
#   ACCOUNTS=50000 REGIONS=1 SG_GROUPS=4 scripts/bench-assess.sh
#   ACCOUNTS=1000 REGIONS=1 SG_GROUPS=100 scripts/bench-assess.sh
#
# Environment:
#   ACCOUNTS, REGIONS, GROUPS   size of the synthetic organization (1000, 2, 100)
#                               GROUPS is special in bash: `GROUPS=50 script` typed
#                               at a bash prompt does NOT export it. Use
#                               `env GROUPS=50 script`, or SG_GROUPS=50 (same meaning).
#   RUNS                        how many times to run assess (3)
#   FORMATS                     --format (html,md,csv,json,ocsf,asff: every format)
#   SNAPSHOT                    snapshot file (bench-data/synthetic-<ACCOUNTS>.json,
#                               or with -<REGIONS>x<GROUPS> when those differ from 2 and 100)
#   OUT                         assess output directory (/dev/shm/sgaudit-bench where
#                               /dev/shm exists, so that disk speed is not measured;
#                               else bench-data/out). Removed before each run, and
#                               at the end (a tmpfs output holds memory) unless KEEP_OUT=1.
#
# Run as root, it drops the page cache before each run (see the loop).
#
# The snapshot is generated (deterministically) only when missing; delete it to
# regenerate. Wall time and peak memory come from GNU time (`/usr/bin/time -v`).
set -euo pipefail

cd "$(dirname "$0")/.."

ACCOUNTS="${ACCOUNTS:-1000}"
REGIONS="${REGIONS:-2}"
# $GROUPS is bash's array of the user's group ids (so it is never empty);
# read the exported variable instead, and accept SG_GROUPS too.
GROUPS_PER_REGION="${SG_GROUPS:-$(printenv GROUPS || true)}"
GROUPS_PER_REGION="${GROUPS_PER_REGION:-100}"
RUNS="${RUNS:-3}"
if [[ "$REGIONS" == 2 && "$GROUPS_PER_REGION" == 100 ]]; then
    default_snapshot="bench-data/synthetic-${ACCOUNTS}.json"
else
    default_snapshot="bench-data/synthetic-${ACCOUNTS}-${REGIONS}x${GROUPS_PER_REGION}.json"
fi
SNAPSHOT="${SNAPSHOT:-$default_snapshot}"
FORMATS="${FORMATS:-html,md,csv,json,ocsf,asff}"
if [[ -d /dev/shm ]]; then
    OUT="${OUT:-/dev/shm/sgaudit-bench}"
else
    OUT="${OUT:-bench-data/out}"
fi

for v in ACCOUNTS REGIONS GROUPS_PER_REGION RUNS; do
    if ! [[ "${!v}" =~ ^[0-9]+$ ]]; then
        echo "bench-assess: $v must be a number, got '${!v}'" >&2
        exit 2
    fi
done

echo "==> building (release)"
cargo build --release --example synthetic_org --bin sgaudit

mkdir -p "$(dirname "$SNAPSHOT")" "$OUT"
if [[ ! -f "$SNAPSHOT" ]]; then
    echo "==> generating $SNAPSHOT ($ACCOUNTS accounts x $REGIONS regions x $GROUPS_PER_REGION groups)"
    target/release/examples/synthetic_org \
        --accounts "$ACCOUNTS" --regions "$REGIONS" --groups "$GROUPS_PER_REGION" --out "$SNAPSHOT"
else
    echo "==> using existing $SNAPSHOT (delete it to regenerate)"
fi
size_bytes="$(stat -c %s "$SNAPSHOT")"
size_mib="$(awk -v b="$size_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
echo "    snapshot: $SNAPSHOT, $size_mib MiB"

if ! target/release/sgaudit assess --help >/dev/null 2>&1; then
    echo "bench-assess: target/release/sgaudit has no working 'assess' command yet; nothing to measure" >&2
    exit 1
fi

gnu_time=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
    gnu_time=/usr/bin/time
else
    echo "bench-assess: /usr/bin/time (GNU time) not found: peak memory will not be measured." >&2
    echo "              install it with: apt-get install -y time   (Debian/Ubuntu package 'time')" >&2
    echo "              falling back to bash's 'time' for wall time only." >&2
fi

cmd=(target/release/sgaudit -v assess --snapshot "$SNAPSHOT" --out "$OUT" --format "$FORMATS")
echo "==> ${cmd[*]}  ($RUNS runs)"
log="$(mktemp)"
cleanup() {
    rm -f "$log" "$log.stderr"
    if [[ "${KEEP_OUT:-0}" != 1 ]]; then
        rm -rf "$OUT"
    fi
}
trap cleanup EXIT
summaries=()
for run in $(seq 1 "$RUNS"); do
    status=0
    # A previous run's output would hold tmpfs memory; the snapshot is read
    # from the page cache, not the disk. As root, the rest of the page cache
    # is dropped first: on a VM, the kernel reclaiming it during a run
    # (kswapd) made system time vary from run to run.
    rm -rf "$OUT"
    if [[ -w /proc/sys/vm/drop_caches ]]; then
        sync
        echo 3 >/proc/sys/vm/drop_caches
    fi
    cat "$SNAPSHOT" >/dev/null
    if [[ -n "$gnu_time" ]]; then
        "$gnu_time" -v -o "$log" "${cmd[@]}" >/dev/null 2>"$log.stderr" || status=$?
        # The stages, as -v logs them (time and resident memory).
        grep -E 'snapshot read|assessed|reports written' "$log.stderr" | sed 's/^.*sgaudit::cli::assess: /    /' || true
        wall="$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")"
        rss_kb="$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$log")"
        user="$(sed -n 's/^[[:space:]]*User time (seconds): //p' "$log")"
        sys="$(sed -n 's/^[[:space:]]*System time (seconds): //p' "$log")"
        written="$(du -sm --apparent-size "$OUT" | cut -f1)"
        line="run $run: wall $wall  user ${user}s  sys ${sys}s  max RSS $((rss_kb / 1024)) MiB (${rss_kb} kB)  written ${written} MB"
    else
        # bash's `time` keyword: TIMEFORMAT picks real/user/sys; assess's own
        # stderr goes to the terminal, only the timing line to $log.
        TIMEFORMAT='%R %U %S'
        { time { "${cmd[@]}" >/dev/null 2>&3 || status=$?; }; } 3>&2 2>"$log"
        read -r wall user sys <"$log"
        line="run $run: wall ${wall}s  user ${user}s  sys ${sys}s  max RSS n/a (install GNU time)"
    fi
    if [[ "$status" -ne 0 ]]; then
        # assess exits non-zero when it finds problems; that is not a benchmark failure,
        # but a crash is worth seeing.
        line="$line  (exit status $status)"
    fi
    echo "    $line"
    summaries+=("$line")
done

echo "==> summary: $ACCOUNTS accounts x $REGIONS regions x $GROUPS_PER_REGION groups, $size_mib MiB snapshot"
printf '    %s\n' "${summaries[@]}"
