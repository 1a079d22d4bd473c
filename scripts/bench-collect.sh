#!/usr/bin/env bash
# Benchmark `sgaudit collect` against moto: an organization of ACCOUNTS member
# accounts x 2 regions x GROUPS security groups (default 50 x 50), collected
# once directly through the recording proxy and once with LATENCY_MS (default
# 50) added to every call; compares the second with the bound that the
# critical path and the concurrency limit give.
#
#   scripts/bench-collect.sh
#   ACCOUNTS=10 SG_GROUPS=20 LATENCY_MS=100 scripts/bench-collect.sh
#
# With STANDIN=1, moto only seeds and answers a small template organization
# (TEMPLATE_ACCOUNTS member accounts, default 3, x 2 regions x SG_GROUPS
# groups) once, through tests/standin/standin.py's recording proxy; the
# stand-in then replays that recording for ACCOUNTS member accounts x REGIONS
# regions (default 50 x 2; at most 17) with LATENCY_MS per call and EC2's
# token buckets, and one `sgaudit collect` (default [collect] settings, or
# COLLECT_CONFIG) runs against it under /usr/bin/time -v. It prints the wall
# time, calls, throttled responses, peak memory, and the bounds of the critical
# path and of the calls in flight (tests/standin/README.md):
#
#   STANDIN=1 ACCOUNTS=1000 REGIONS=17 LATENCY_MS=50 PROFILE=release scripts/bench-collect.sh
#   STANDIN=1 LATENCY_MS=0 scripts/bench-collect.sh      50 accounts x 2 regions x 50 groups
#
# Uses the debug build (collection waits on the network, not the CPU); set
# PROFILE=release for a release build, BUILD=0 to use the binary as it is
# (no cargo build). Needs .venv with moto (scripts/test makes it).
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS="${ACCOUNTS:-50}"
GROUPS_PER_REGION="${SG_GROUPS:-$(printenv GROUPS || true)}"
GROUPS_PER_REGION="${GROUPS_PER_REGION:-50}"
LATENCY_MS="${LATENCY_MS:-50}"
CONCURRENCY="${CONCURRENCY:-128}"
# moto answers Systems Manager's DescribeInstanceInformation with HTTP 500 in
# every region; with the default 1 s first backoff, its retries would put
# seconds of sleep on every region's critical path. A short backoff keeps the
# benchmark about sgaudit and moto, not about retry sleeps.
BACKOFF_MS="${BACKOFF_MS:-100}"
PROFILE="${PROFILE:-debug}"
PY=.venv/bin/python
WORK="${WORK:-bench-data/collect}"

[ -x "$PY" ] || { echo "bench-collect: no .venv; run scripts/test once (it installs moto)" >&2; exit 2; }
STANDIN="${STANDIN:-0}"
BUILD="${BUILD:-1}"
if [ "$PROFILE" = release ]; then BIN=target/release/sgaudit; else BIN=target/debug/sgaudit; fi
if [ "$BUILD" != 0 ]; then
    if [ "$PROFILE" = release ]; then cargo build --release --bin sgaudit; else cargo build --bin sgaudit; fi
fi
[ -x "$BIN" ] || { echo "bench-collect: no $BIN (BUILD=0 needs a built binary)" >&2; exit 2; }
mkdir -p "$WORK"
printf '[collect]\ninitial_backoff_ms = %s\n' "$BACKOFF_MS" > "$WORK/collect.toml"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

MOTO_PORT=$(free_port)
MOTO_AMIS_PATH=tests/moto/amis.json "$PY" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
pids+=("$MOTO_PID")
until "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $MOTO_PORT), 1)" 2>/dev/null; do sleep 0.2; done
SEED_ACCOUNTS="$ACCOUNTS"
if [ "$STANDIN" != 0 ]; then SEED_ACCOUNTS="${TEMPLATE_ACCOUNTS:-3}"; fi
echo "==> seeding $SEED_ACCOUNTS accounts x 2 regions x $GROUPS_PER_REGION groups"
"$PY" tests/moto/seed_org.py --endpoint "http://127.0.0.1:$MOTO_PORT" --scenario bulk \
    --accounts "$SEED_ACCOUNTS" --groups "$GROUPS_PER_REGION" >"$WORK/seed.json"
"$PY" -c "import json; d=json.load(open('$WORK/seed.json')); print('    seeded in %.0f s, %d calls' % (d['seconds'], d['api_calls']))"

start_proxy() { # args: record file, extra proxy args...
    local record=$1; shift
    rm -f "$record"
    coproc PROXY { exec "$PY" tests/moto/proxy.py --upstream "http://127.0.0.1:$MOTO_PORT" --record "$record" "$@"; }
    pids+=("$PROXY_PID")
    read -r line <&"${PROXY[0]}"
    PROXY_URL="http://127.0.0.1:${line#PORT }"
}

collect() { # args: label, record file, proxy args...
    local label=$1 record=$2; shift 2
    start_proxy "$record" "$@"
    local t0 t1
    t0=$("$PY" -c 'import time; print(time.time())')
    AWS_ENDPOINT_URL="$PROXY_URL" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
        AWS_EC2_METADATA_DISABLED=true "$BIN" -q collect --config "$WORK/collect.toml" --regions eu-west-1,us-east-1 \
        --max-concurrency "$CONCURRENCY" --out "$WORK/$label.json" || [ $? -eq 3 ]
    t1=$("$PY" -c 'import time; print(time.time())')
    kill "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
    echo "$label $("$PY" -c "print($t1 - $t0)")"
}

if [ "$STANDIN" != 0 ]; then
    REGIONS="${REGIONS:-2}"
    STANDIN_REGIONS=$("$PY" tests/standin/standin.py regions "$REGIONS")
    env_args=(-u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
              AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true)

    echo "==> recording one collection of the template organization (standin.py record in front of moto)"
    coproc RECORD { exec "$PY" tests/standin/standin.py record --upstream "http://127.0.0.1:$MOTO_PORT" \
        --out "$WORK/standin-recording.json" 2>"$WORK/standin-record.log"; }
    pids+=("$RECORD_PID")
    read -r line <&"${RECORD[0]}"
    rm -rf "$WORK/standin-template.json" "$WORK/standin-template.json.parts"
    # moto has no Systems Manager: exit 3 (a gap in every region) is expected.
    env "${env_args[@]}" AWS_ENDPOINT_URL="http://127.0.0.1:${line#PORT }" "$BIN" -q collect \
        --config "$WORK/collect.toml" --regions eu-west-1,us-east-1 --max-concurrency "$CONCURRENCY" \
        --out "$WORK/standin-template.json" || [ $? -eq 3 ]
    kill "$RECORD_PID"
    wait "$RECORD_PID" || true
    tail -n 1 "$WORK/standin-record.log" | sed 's/^/    /'
    kill "$MOTO_PID"
    wait "$MOTO_PID" 2>/dev/null || true

    echo "==> serving $ACCOUNTS accounts x $REGIONS regions, ${LATENCY_MS} ms per call, EC2 buckets on"
    coproc SERVE { exec "$PY" tests/standin/standin.py serve --recording "$WORK/standin-recording.json" \
        --accounts "$ACCOUNTS" --regions "$REGIONS" --latency-ms "$LATENCY_MS" --ec2-buckets on \
        --stats "$WORK/standin-stats.json" 2>"$WORK/standin-serve.log"; }
    pids+=("$SERVE_PID")
    read -r line <&"${SERVE[0]}"
    config_args=()
    if [ -n "${COLLECT_CONFIG:-}" ]; then config_args=(--config "$COLLECT_CONFIG"); fi
    rm -rf "$WORK/standin.json" "$WORK/standin.json.parts" "$WORK/standin-stats.json"
    echo "==> sgaudit collect --regions $STANDIN_REGIONS --max-concurrency $CONCURRENCY"
    rc=0
    env "${env_args[@]}" AWS_ENDPOINT_URL="http://127.0.0.1:${line#PORT }" /usr/bin/time -v -o "$WORK/standin-time.txt" \
        "$BIN" collect ${config_args[@]+"${config_args[@]}"} --regions "$STANDIN_REGIONS" \
        --max-concurrency "$CONCURRENCY" --out "$WORK/standin.json" 2>"$WORK/standin-collect.log" || rc=$?
    kill "$SERVE_PID"
    wait "$SERVE_PID" || true
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
        echo "bench-collect: sgaudit collect exited $rc:" >&2
        tail -n 20 "$WORK/standin-collect.log" >&2
        exit 1
    fi

    "$PY" - "$WORK" "$ACCOUNTS" "$REGIONS" "$LATENCY_MS" "$CONCURRENCY" "$rc" <<'PY'
import collections, json, sys
work, accounts, regions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
latency, concurrency, rc = float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
stats = json.load(open(f"{work}/standin-stats.json"))
recording = json.load(open(f"{work}/standin-recording.json"))
timing = open(f"{work}/standin-time.txt").read()

def field(name):  # a line of /usr/bin/time -v: "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:03.05"
    return next(v for k, _, v in (l.strip().rpartition(": ") for l in timing.splitlines()) if k.startswith(name))

wall = 0.0
for part in field("Elapsed (wall clock) time").split(":"):
    wall = wall * 60 + float(part)
rss_mib = int(field("Maximum resident set size")) / 1024
cpu = float(field("User time")) + float(field("System time"))
calls, throttled = stats["calls"], stats["throttled"]
org_calls = sum(n for k, n in stats["by_action"].items() if k.startswith("organizations:"))

# The longest chain of calls one after another: the caller's
# GetCallerIdentity, the organization walk (sgaudit makes its calls one at a
# time), an account's AssumeRole and GetCallerIdentity, then in a region the
# pages of its longest first-round listing and of its longest second-round
# call (the per-resource calls that need the listings), from the recording.
second = {"DescribeListeners", "DescribeTags", "DescribeTargetHealth", "GetManagedPrefixListEntries"}
pages = collections.Counter()
for e in recording["entries"]:
    if e["service"] in ("sts", "organizations"):
        continue
    params = "&".join(p for p in e["params"].split("&") if not p.startswith(("NextToken=", "Marker=")))
    pages[(e["account"], e["region"], e["service"], e["action"] in second, params)] += 1
round1 = max((n for k, n in pages.items() if not k[3]), default=0)
round2 = max((n for k, n in pages.items() if k[3]), default=0)
chain = 1 + org_calls + 2 + round1 + round2
bound_chain = chain * latency / 1000
bound_throughput = calls * latency / 1000 / concurrency
# sgaudit's own Organizations bucket ([collect.throttle] organizations, by
# default 10 at once and 5 per second) paces the walk before any account starts.
org_bucket = max(0, org_calls - 10) / 5

log = open(f"{work}/standin-collect.log").read().splitlines()
gaps = [l for l in log if l.startswith("sgaudit: not collected")]
summary = next((l for l in log if l.startswith("sgaudit: collected")), "(no summary line)")
print()
print(f"==> stand-in: {accounts} accounts (+ the management account) x {regions} regions, {latency} ms per call, "
      f"{concurrency} calls in flight at most")
print(f"    {summary.removeprefix('sgaudit: ')} (exit {rc}); {len(gaps)} 'not collected' lines")
for l in gaps[:5]:
    print(f"      {l}")
print(f"    wall time:        {wall:8.1f} s")
print(f"    calls:            {calls:8d} ({calls / wall:.0f}/s; {stats['calls_per_account_region']['mean']} per "
      f"account-region; {org_calls} to Organizations)")
print(f"    throttled:        {throttled:8d} ({100 * throttled / max(calls, 1):.2f} % of calls) {stats['throttled_by_bucket']}")
print(f"    unknown calls:    {stats['unknown']:8d} {stats['unknown_examples'] or ''}")
print(f"    filled (moto has no answer): {stats['filled']}")
print(f"    peak memory:      {rss_mib:8.0f} MiB (sgaudit's maximum resident set)")
print(f"    sgaudit CPU:      {cpu:8.1f} s ({cpu / wall:.2f} cores); stand-in CPU {stats['cpu_seconds']:.1f} s "
      f"({stats['cpu_seconds'] / wall:.2f} of its one core; {stats['calls_per_cpu_second']:.0f} calls per CPU second)")
print(f"    peak in flight:   {stats['peak_inflight']:8d} on {stats['max_connections']} connections at once, "
      f"{stats['connections_opened']} opened in all")
print(f"    bound: critical path {chain} sequential calls (1 + {org_calls} Organizations + 2 STS + {round1} + {round2} "
      f"in a region) x {latency} ms = {bound_chain:.1f} s")
print(f"    bound: {calls} calls x {latency} ms / {concurrency} in flight = {bound_throughput:.1f} s")
print(f"    (sgaudit's default Organizations bucket, 10 + 5/s, holds the walk's {org_calls} calls >= {org_bucket:.1f} s "
      f"before the first account starts)")
print(f"    so at least {max(bound_chain, bound_throughput):.1f} s; measured {wall:.1f} s")
PY
    exit 0
fi

echo "==> collecting (no added latency)"
plain=$(collect plain "$WORK/plain.jsonl")
echo "==> collecting with ${LATENCY_MS} ms per call"
slow=$(collect latency "$WORK/latency.jsonl" --latency-ms "$LATENCY_MS")

"$PY" - "$WORK" "$ACCOUNTS" "$LATENCY_MS" "$CONCURRENCY" "$plain" "$slow" <<'PY'
import collections, json, sys
work, accounts, latency, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
plain_s, slow_s = float(sys.argv[5].split()[1]), float(sys.argv[6].split()[1])
calls = [json.loads(l) for l in open(f"{work}/latency.jsonl")]
by = collections.Counter((c["service"], c["action"]) for c in calls)
account_regions = (accounts + 1) * 2          # members and the management account
regional = {"ec2", "elasticloadbalancing", "rds", "ssm"}
per_region = sum(n for (s, _), n in by.items() if s in regional) / account_regions
# The longest chain of calls that must run one after another:
# start-up: GetCallerIdentity, DescribeOrganization, ListRoots, then the OU tree
# walked breadth by breadth (2 calls per OU, sequential), then per account
# AssumeRole + GetCallerIdentity, a region's first round, its second round.
ous = 5  # the root and the bulk scenario's OUs: Workloads, Prod, Dev, Sandbox
startup = 3 + 2 * ous
chain = startup + 2 + 1 + 1
bound_chain = chain * latency / 1000
bound_throughput = len(calls) * latency / 1000 / concurrency
print()
print(f"==> {accounts} accounts x 2 regions; {len(calls)} API calls in all, "
      f"{per_region:.1f} per account-region (ec2, elbv2, rds, ssm)")
for (s, a), n in sorted(by.items()):
    print(f"    {s:22} {a:36} {n}")
print(f"    collect, no added latency:   {plain_s:6.1f} s")
print(f"    collect, {latency} ms per call:     {slow_s:6.1f} s")
print(f"    moto's own throughput without added latency: {len(calls) / plain_s:.0f} calls/s")
print(f"    bound: critical path {chain} sequential calls x {latency} ms = {bound_chain:.1f} s; "
      f"throughput {len(calls)} calls x {latency} ms / {concurrency} in flight = {bound_throughput:.1f} s; "
      f"so at least {max(bound_chain, bound_throughput):.1f} s")
PY
