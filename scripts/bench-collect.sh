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
# Uses the debug build (collection waits on the network, not the CPU); set
# PROFILE=release for a release build. Needs .venv with moto (scripts/test makes it).
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
if [ "$PROFILE" = release ]; then cargo build --release --bin sgaudit; BIN=target/release/sgaudit
else cargo build --bin sgaudit; BIN=target/debug/sgaudit; fi
mkdir -p "$WORK"
printf '[collect]\ninitial_backoff_ms = %s\n' "$BACKOFF_MS" > "$WORK/collect.toml"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

MOTO_PORT=$(free_port)
MOTO_AMIS_PATH=tests/moto/amis.json "$PY" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
pids+=($!)
until "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $MOTO_PORT), 1)" 2>/dev/null; do sleep 0.2; done
echo "==> seeding $ACCOUNTS accounts x 2 regions x $GROUPS_PER_REGION groups"
"$PY" tests/moto/seed_org.py --endpoint "http://127.0.0.1:$MOTO_PORT" --scenario bulk \
    --accounts "$ACCOUNTS" --groups "$GROUPS_PER_REGION" >"$WORK/seed.json"
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
