#!/usr/bin/env bash
# Submit one organization-scale sgaudit run to AWS Batch: an array job of N
# children, each collecting one shard (job definition sgaudit-collect-shard),
# and a merge-and-assess job (sgaudit-merge-assess) that starts only once every
# child has succeeded. It only submits; docs/scale.md explains the rest.
#
# Before the first run, register the two job definitions of
# config/scale/aws-batch-job-definitions.json (after replacing its
# <PLACEHOLDERS>):
#
#   aws batch register-job-definition --cli-input-json "$(jq .collectShard config/scale/aws-batch-job-definitions.json)"
#   aws batch register-job-definition --cli-input-json "$(jq .mergeAndAssess config/scale/aws-batch-job-definitions.json)"
#
# Then, for example:
#
#   config/scale/aws-batch-submit.sh --queue sgaudit --shards 8 --run-id 2026-12 --baseline 2026-11
#
# Everything lands on the EFS file system under /data/<run-id>/: the shards,
# their checkpoints, org.json.gz and report/. Submitting again with the same
# run id continues that run: finished shards are kept, the others resume from
# their checkpoints. Use a new run id for a new run.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: aws-batch-submit.sh --queue QUEUE --shards N --run-id RUN_ID [--region REGION]
                           [--baseline PREVIOUS_RUN_ID]

Submits the sgaudit collection as an AWS Batch array job of N shards, then the
merge-and-assess job, which depends on the whole array. Prints both job ids.

  --queue QUEUE     the Batch job queue (a Fargate compute environment)
  --shards N        the number of shards, 2 to 10000 (Batch's array sizes)
  --run-id RUN_ID   names the run and its folder /data/RUN_ID on EFS:
                    letters, digits, - and _, at most 64 characters
  --region REGION   the Batch region (default: the AWS CLI's)
  --baseline PREVIOUS_RUN_ID
                    assess against /data/PREVIOUS_RUN_ID/report: findings new,
                    persisting and fixed, and the trend
  --collect-definition NAME   default sgaudit-collect-shard
  --merge-definition NAME     default sgaudit-merge-assess
  -h, --help        this help

Needs the AWS CLI v2 with credentials allowed batch:SubmitJob.
EOF
}

die() {
  printf 'aws-batch-submit: %s\n' "$1" >&2
  exit 2
}

queue=""
shards=""
run_id=""
region=""
baseline=""
collect_definition="sgaudit-collect-shard"
merge_definition="sgaudit-merge-assess"

while [ "$#" -gt 0 ]; do
  case "$1" in
    --queue) [ "$#" -ge 2 ] || die "--queue needs a value"; queue="$2"; shift 2 ;;
    --shards) [ "$#" -ge 2 ] || die "--shards needs a value"; shards="$2"; shift 2 ;;
    --run-id) [ "$#" -ge 2 ] || die "--run-id needs a value"; run_id="$2"; shift 2 ;;
    --region) [ "$#" -ge 2 ] || die "--region needs a value"; region="$2"; shift 2 ;;
    --baseline) [ "$#" -ge 2 ] || die "--baseline needs a value"; baseline="$2"; shift 2 ;;
    --collect-definition) [ "$#" -ge 2 ] || die "--collect-definition needs a value"; collect_definition="$2"; shift 2 ;;
    --merge-definition) [ "$#" -ge 2 ] || die "--merge-definition needs a value"; merge_definition="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

[ -n "$queue" ] || die "--queue is required"
[ -n "$shards" ] || die "--shards is required"
[ -n "$run_id" ] || die "--run-id is required"
if ! [[ "$shards" =~ ^[0-9]+$ ]] || [ "$shards" -lt 2 ] || [ "$shards" -gt 10000 ]; then
  die "--shards must be a number from 2 to 10000 (Batch's array sizes); for one machine, run sgaudit run"
fi
[[ "$run_id" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ ]] \
  || die "--run-id must be letters, digits, - and _ (at most 64, starting with a letter or digit)"
if [ -n "$baseline" ]; then
  [[ "$baseline" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ ]] || die "--baseline must be an earlier run id"
  [ "$baseline" != "$run_id" ] || die "--baseline must be an earlier run, not this one"
fi

region_args=()
if [ -n "$region" ]; then
  region_args=(--region "$region")
fi

# RUN_ID and SHARDS reach every child of the array and the merge job; BASELINE
# only the merge job. The values are validated above, so they need no JSON
# escaping.
env_json="$(printf '{"name":"RUN_ID","value":"%s"},{"name":"SHARDS","value":"%s"}' "$run_id" "$shards")"
overrides="$(printf '{"environment":[%s]}' "$env_json")"
merge_overrides="$overrides"
if [ -n "$baseline" ]; then
  merge_overrides="$(printf '{"environment":[%s,{"name":"BASELINE","value":"/data/%s/report"}]}' "$env_json" "$baseline")"
fi

collect_id="$(aws ${region_args[@]+"${region_args[@]}"} batch submit-job \
  --job-name "sgaudit-collect-$run_id" \
  --job-queue "$queue" \
  --job-definition "$collect_definition" \
  --array-properties "size=$shards" \
  --container-overrides "$overrides" \
  --query jobId --output text)"

# A dependency on the array job's own id (no type) waits for every child; if
# any child fails, Batch fails this job instead of starting it.
merge_id="$(aws ${region_args[@]+"${region_args[@]}"} batch submit-job \
  --job-name "sgaudit-merge-assess-$run_id" \
  --job-queue "$queue" \
  --job-definition "$merge_definition" \
  --depends-on "jobId=$collect_id" \
  --container-overrides "$merge_overrides" \
  --query jobId --output text)"

printf 'collect (array of %s): %s\n' "$shards" "$collect_id"
printf 'merge and assess:      %s\n' "$merge_id"
printf 'report, once it succeeds: /data/%s/report/ on the EFS file system\n' "$run_id"
