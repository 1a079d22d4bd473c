#!/usr/bin/env bash
# Export one AWS account's network configuration as AWS CLI JSON, in the
# layout `sgaudit import` reads (and CloudMapper's collect writes):
#
#   OUT/<account-id>/<region>/ec2-describe-security-groups.json ...
#
# so that an assessor without access to the organization can run sgaudit on
# it. It only reads: every call is a Describe, Get or List call (and
# sts:GetCallerIdentity); nothing in the account is changed.
#
# Usage: scripts/export-account.sh [--profile NAME] [--regions r1,r2] [--out DIR] [--jobs N]
#
#   --profile NAME   the AWS CLI profile to use (default: the standard chain:
#                    AWS_PROFILE, environment variables, SSO, instance role)
#   --regions LIST   comma-separated regions (default: every region enabled in
#                    the account, from ec2:DescribeRegions)
#   --out DIR        where to write (default: ./sgaudit-export); the account's
#                    folder is written as <id>.partial and renamed when complete
#   --jobs N         regions exported at once (default: 4)
#
# Needs the AWS CLI (v1 or v2) and bash 4.3+. Honours AWS_ENDPOINT_URL.
# A call that fails (AccessDenied, a service not offered in the region)
# leaves <file>.error with the CLI's message instead of <file>.json; sgaudit
# reports that part as not assessed, never as empty.
#
# IAM actions it needs (a subset of sgaudit's config/iam-policy.json; it also
# calls sts:GetCallerIdentity, which needs no permission):
#   ec2:DescribeRegions ec2:DescribeSecurityGroups ec2:DescribeNetworkInterfaces
#   ec2:DescribeInstances ec2:DescribeVpcs ec2:DescribeSubnets ec2:DescribeRouteTables
#   ec2:DescribeInternetGateways ec2:DescribeNetworkAcls ec2:DescribeManagedPrefixLists
#   ec2:GetManagedPrefixListEntries ec2:DescribeVpcPeeringConnections ec2:DescribeFlowLogs
#   elasticloadbalancing:DescribeLoadBalancers elasticloadbalancing:DescribeListeners
#   elasticloadbalancing:DescribeTags elasticloadbalancing:DescribeTargetGroups
#   elasticloadbalancing:DescribeTargetHealth
#   rds:DescribeDBInstances rds:DescribeDBClusters ssm:DescribeInstanceInformation
# The AWS managed policy SecurityAudit (or ReadOnlyAccess) grants all of them.
set -euo pipefail

VERSION=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

profile=() regions="" out="./sgaudit-export" jobs=4
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=(--profile "${2:?--profile needs a name}"); shift 2 ;;
    --regions) regions="${2:?--regions needs a list}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --jobs) jobs="${2:?--jobs needs a number}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "export-account.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$jobs" in ''|*[!0-9]*|0) echo "export-account.sh: --jobs must be a positive number" >&2; exit 2 ;; esac
command -v aws >/dev/null 2>&1 || { echo "export-account.sh: the AWS CLI (aws) is not on PATH" >&2; exit 1; }

# AWS_ENDPOINT_URL is passed as --endpoint-url too: CLI v1 would otherwise
# send some services (RDS in us-east-1) to their own global endpoint.
endpoint=()
[ -z "${AWS_ENDPOINT_URL:-}" ] || endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")
awsj() { aws "${profile[@]}" "${endpoint[@]}" --output json "$@"; }

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
started=$(now)

identity=$(awsj sts get-caller-identity) || { echo "export-account.sh: the credentials do not work (sts get-caller-identity failed)" >&2; exit 1; }
account=$(printf '%s\n' "$identity" | sed -n 's/.*"Account": *"\([0-9]\{12\}\)".*/\1/p' | head -n 1)
[ -n "$account" ] || { echo "export-account.sh: cannot read the account id from sts get-caller-identity" >&2; exit 1; }

final="$out/$account"
if [ -e "$final" ]; then
  echo "export-account.sh: $final exists already; move it away or choose another --out" >&2
  exit 1
fi
work="$out/$account.partial"
rm -rf "$work"
mkdir -p "$work"
printf '%s\n' "$identity" >"$work/sts-get-caller-identity.json"

# The regions: as given, or every region the account has enabled.
if [ -z "$regions" ]; then
  awsj ec2 describe-regions --region "${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}" >"$work/describe-regions.json"
  mapfile -t region_list < <(sed -n 's/.*"RegionName": *"\([a-z0-9-]*\)".*/\1/p' "$work/describe-regions.json" | sort -u)
else
  IFS=',' read -r -a region_list <<<"$regions"
  {
    printf '{"Regions": ['
    sep=""
    for r in "${region_list[@]}"; do printf '%s{"RegionName": "%s"}' "$sep" "$r"; sep=", "; done
    printf ']}\n'
  } >"$work/describe-regions.json"
fi
[ "${#region_list[@]}" -gt 0 ] || { echo "export-account.sh: no regions to export" >&2; exit 1; }

# quote_plus, as CloudMapper names per-resource files: ARNs become file names.
urlencode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [A-Za-z0-9_.~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# One call into DIR/NAME.json (complete, or not at all), or DIR/NAME.error.
save() {
  local dir=$1 name=$2 region=$3
  shift 3
  if awsj --region "$region" "$@" >"$dir/.$name.tmp" 2>"$dir/.$name.err"; then
    mv "$dir/.$name.tmp" "$dir/$name.json"
    rm -f "$dir/.$name.err"
  else
    mv "$dir/.$name.err" "$dir/$name.error"
    rm -f "$dir/.$name.tmp"
  fi
}

# The values of a key in a JSON file the CLI wrote ("Key": "value").
values() { sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p" "$1" 2>/dev/null | sort -u; }

export_region() {
  local region=$1 dir="$work/$1"
  mkdir -p "$dir"
  save "$dir" ec2-describe-security-groups "$region" ec2 describe-security-groups --page-size 1000
  save "$dir" ec2-describe-network-interfaces "$region" ec2 describe-network-interfaces --page-size 1000
  save "$dir" ec2-describe-instances "$region" ec2 describe-instances --page-size 1000
  save "$dir" ec2-describe-vpcs "$region" ec2 describe-vpcs
  save "$dir" ec2-describe-subnets "$region" ec2 describe-subnets
  save "$dir" ec2-describe-route-tables "$region" ec2 describe-route-tables
  save "$dir" ec2-describe-internet-gateways "$region" ec2 describe-internet-gateways
  save "$dir" ec2-describe-network-acls "$region" ec2 describe-network-acls
  save "$dir" ec2-describe-managed-prefix-lists "$region" ec2 describe-managed-prefix-lists
  save "$dir" ec2-describe-vpc-peering-connections "$region" ec2 describe-vpc-peering-connections
  save "$dir" ec2-describe-flow-logs "$region" ec2 describe-flow-logs
  save "$dir" elbv2-describe-load-balancers "$region" elbv2 describe-load-balancers
  save "$dir" elbv2-describe-target-groups "$region" elbv2 describe-target-groups
  save "$dir" elb-describe-load-balancers "$region" elb describe-load-balancers
  save "$dir" rds-describe-db-instances "$region" rds describe-db-instances
  save "$dir" rds-describe-db-clusters "$region" rds describe-db-clusters
  save "$dir" ssm-describe-instance-information "$region" ssm describe-instance-information

  # Per resource: the entries of the prefix lists the groups reference, each
  # load balancer's listeners and tags, each target group's targets.
  local id arn sub
  for id in $(values "$dir/ec2-describe-security-groups.json" PrefixListId); do
    sub="$dir/ec2-get-managed-prefix-list-entries"
    mkdir -p "$sub"
    save "$sub" "$id" "$region" ec2 get-managed-prefix-list-entries --prefix-list-id "$id"
  done
  for arn in $(values "$dir/elbv2-describe-load-balancers.json" LoadBalancerArn); do
    sub="$dir/elbv2-describe-listeners"
    mkdir -p "$sub" "$dir/elbv2-describe-tags"
    save "$sub" "$(urlencode "$arn")" "$region" elbv2 describe-listeners --load-balancer-arn "$arn"
    save "$dir/elbv2-describe-tags" "$(urlencode "$arn")" "$region" elbv2 describe-tags --resource-arns "$arn"
  done
  for arn in $(values "$dir/elbv2-describe-target-groups.json" TargetGroupArn); do
    sub="$dir/elbv2-describe-target-health"
    mkdir -p "$sub"
    save "$sub" "$(urlencode "$arn")" "$region" elbv2 describe-target-health --target-group-arn "$arn"
  done
  # A per-resource file that failed is a gap of that resource: keep its
  # .error beside the others, which import reads as "not in the export".
  for sub in "$dir"/*/; do
    [ -d "$sub" ] || continue
    for e in "$sub"*.error; do
      [ -e "$e" ] || continue
      echo "export-account.sh: $region: $(basename "$sub") $(basename "$e" .error): $(head -n 1 "$e")" >&2
    done
  done
  echo "export-account.sh: $account $region done" >&2
}

for region in "${region_list[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  export_region "$region" &
done
failed=0
for pid in $(jobs -p); do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || { echo "export-account.sh: a region's export stopped early; $work is left incomplete" >&2; exit 1; }

printf '{"exported_at": "%s", "finished_at": "%s", "tool": "sgaudit scripts/export-account.sh", "version": %s}\n' \
  "$started" "$(now)" "$VERSION" >"$work/export-info.json"
mv "$work" "$final"

errors=$(find "$final" -name '*.error' | wc -l)
echo "export-account.sh: wrote $final ($errors call(s) failed: see the .error files)" >&2
echo "Next: sgaudit import --from $out --out snapshot.json && sgaudit assess --snapshot snapshot.json --out report/" >&2
