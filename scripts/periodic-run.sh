#!/usr/bin/env bash
# One periodic assessment: collect and assess into RUNS/<date>, with the
# previous run as the baseline, then point RUNS/latest at the new run. The
# link moves only after a completed run (exit 0, 3 partial, or 4 gate
# tripped); a failed run leaves the previous baseline in place.
#
#   RUNS=/var/lib/sgaudit/runs scripts/periodic-run.sh [extra sgaudit run flags]
#
# Environment: RUNS (default ./runs), SGAUDIT (default: sgaudit on PATH),
# SGAUDIT_CONFIG (a config file, optional), and the usual AWS credential chain.
set -uo pipefail

RUNS="${RUNS:-runs}"
SGAUDIT="${SGAUDIT:-sgaudit}"
mkdir -p "$RUNS"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
out="$RUNS/$stamp"

args=(run --out "$out")
[ -n "${SGAUDIT_CONFIG:-}" ] && args+=(--config "$SGAUDIT_CONFIG")
[ -e "$RUNS/latest" ] && args+=(--baseline "$RUNS/latest")

"$SGAUDIT" "${args[@]}" "$@"
code=$?
case "$code" in
  0|3|4)
    ln -sfn "$stamp" "$RUNS/latest.tmp" && mv -T "$RUNS/latest.tmp" "$RUNS/latest"
    echo "periodic-run: $out (exit $code); $RUNS/latest -> $stamp" >&2 ;;
  *)
    echo "periodic-run: sgaudit failed (exit $code); $RUNS/latest unchanged" >&2 ;;
esac
exit "$code"
