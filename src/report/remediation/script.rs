//! `remediation/<account-id>.sh`: every fix of an account's open findings,
//! grouped and commented by finding, each change after its dry run, and
//! nothing run unless the script is called with `--dry-run` or `--apply`.

use std::collections::HashSet;
use std::fmt::Write;

use crate::analyze::fixes::Change;
use crate::analyze::{Assessment, Finding};
use crate::model::AccountSnapshot;
use crate::report::package::output::{OutDir, WrittenFile};
use crate::report::ReportError;

use super::cli::{self, Trial};
use super::quote::{comment, sh};
use super::Planner;

/// Write one script per account of the snapshot.
pub fn write_scripts(
    out: &OutDir,
    a: &Assessment,
    accounts: &[AccountSnapshot],
    planner: &Planner,
) -> Result<Vec<WrittenFile>, ReportError> {
    let mut by_account: std::collections::HashMap<&str, Vec<&Finding>> = std::collections::HashMap::new();
    for f in &a.findings {
        by_account.entry(f.account_id.as_str()).or_default().push(f);
    }
    // Accounts are independent: one script each, on every core.
    crate::par::map_queue(accounts, |acc| {
        let findings = by_account.get(acc.account_id.as_str()).map_or(&[][..], |v| &v[..]);
        let text = script(a, acc, findings, planner);
        out.write_bytes(&format!("remediation/{}.sh", acc.account_id), text.as_bytes())
    })
    .into_iter()
    .collect()
}

const PRELUDE: &str = r#"set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
Usage: bash THIS-SCRIPT --dry-run | --apply
  --dry-run  ask AWS whether each change would succeed (the EC2 DryRun flag;
             for RDS, show the current value); change nothing
  --apply    make each change, each one right after its dry run succeeds
Without one of these, nothing runs. Read every change below first.
USAGE
}

case "${1:-}" in
  --apply) apply=1 ;;
  --dry-run) apply=0 ;;
  *) usage; exit 2 ;;
esac

# Runs as whoever runs it: the ambient AWS credentials (AWS_PROFILE, the
# environment, an instance or SSO role), which must be in this account.
actual=$(aws sts get-caller-identity --query Account --output text)
if [ "$actual" != "$expected_account" ]; then
  echo "These changes are for account $expected_account; the credentials are for account $actual." >&2
  exit 3
fi

say() { printf '%s' "$1" >&2; shift; printf ' %q' "$@" >&2; printf '\n' >&2; }

# change CMD...: CMD with --dry-run (AWS answers DryRunOperation when it would
# succeed), then, with --apply, CMD itself.
change() {
  local out
  if out=$("$@" --dry-run 2>&1); then
    :
  elif [[ $out != *DryRunOperation* ]]; then
    say "dry run failed:" "$@"
    printf '%s\n' "$out" >&2
    return 1
  fi
  if [ "$apply" = 1 ]; then
    "$@" >/dev/null
    say "changed:" "$@"
  else
    say "would change:" "$@"
  fi
}

# preview READ... -- CMD...: for a call without a dry run, READ shows the
# value it changes; then, with --apply, CMD itself.
preview() {
  local read=()
  while [ "$1" != "--" ]; do read+=("$1"); shift; done
  shift
  say "now:" "${read[@]}"
  "${read[@]}" >&2
  if [ "$apply" = 1 ]; then
    "$@" >/dev/null
    say "changed:" "$@"
  else
    say "would change:" "$@"
  fi
}
"#;

fn script(a: &Assessment, acc: &AccountSnapshot, findings: &[&Finding], planner: &Planner) -> String {
    let mut body = String::new();
    // Groups are deleted after every other change, which may be to them.
    let mut deletes = String::new();
    let mut done: HashSet<String> = HashSet::new();
    let (mut applied, mut covered, mut reviewed) = (0usize, 0usize, 0usize);
    for f in findings {
        let fix = planner.fix(f);
        let m = &f.check.meta;
        let _ = writeln!(
            body,
            "\n# ---------------------------------------------------------------------------\n\
             # [{}] {} {}: {}",
            f.severity, m.id, m.name, m.title
        );
        let place = [f.region.as_ref().map(|r| r.as_str()), Some(f.subject.id())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(body, "# {}: {}", comment(&place), comment(&f.summary));
        let _ = writeln!(body, "# Why: {}", comment(first_sentence(m.why)));
        let _ = writeln!(body, "# finding {}", f.fingerprint.as_str());
        let applies = planner.applies(f, &fix);
        let by_others = !applies && planner.scripted(f, &fix);
        let reason = if !f.is_open() {
            Some("accepted by an exception in the configuration".to_string())
        } else if let Some(why) = planner.protects(f, &fix) {
            Some(why)
        } else if by_others {
            Some("Nothing more to do: another finding's change in this script removes its rule or group".to_string())
        } else if let Some(code) = &fix.in_code {
            Some(format!(
                "change it in code ({}): the next deploy would undo a change made here",
                code.describe()
            ))
        } else if let Some(first) = &fix.first {
            Some(format!("first {first}"))
        } else if let Some(manual) = fix.manual {
            Some(format!("no AWS change to write: {manual}"))
        } else if !fix.is_exact() {
            let mut needs: Vec<&str> = fix
                .steps
                .iter()
                .filter(|s| s.required)
                .filter_map(|s| s.change.placeholder())
                .map(|p| p.text())
                .collect();
            needs.dedup();
            Some(if needs.is_empty() {
                "the change is not an AWS change".to_string()
            } else {
                format!("fill in {} and uncomment", needs.join(", "))
            })
        } else {
            None
        };
        match &reason {
            Some(why) if by_others => {
                covered += 1;
                let _ = writeln!(body, "# {}.", comment(why));
            }
            Some(why) => {
                reviewed += 1;
                let _ = writeln!(body, "# Not applied by this script: {}.", comment(why));
            }
            None => applied += 1,
        }
        for step in &fix.steps {
            let command = cli::command(&step.change, fix.region.as_ref());
            let line = command.line();
            let active = reason.is_none() && step.required;
            if !active {
                let prefix = if step.required { "#   " } else { "# Option: " };
                let _ = writeln!(body, "{prefix}{line}");
                continue;
            }
            if !done.insert(line.to_string()) {
                let _ = writeln!(body, "# (already changed above) {line}");
                continue;
            }
            if matches!(step.change, Change::DeleteGroup { .. }) {
                let _ = writeln!(body, "# (deleted at the end, after every other change) {line}");
                let _ = writeln!(deletes, "# finding {}\nchange {line}", f.fingerprint.as_str());
                continue;
            }
            match &command.trial {
                Trial::DryRun => {
                    let _ = writeln!(body, "change {line}");
                }
                Trial::Preview(read) => {
                    let _ = writeln!(body, "preview {read} -- {line}");
                }
                Trial::Nothing => {
                    let _ = writeln!(body, "# {line}");
                }
            }
        }
    }
    let mut out = String::new();
    out.push_str("#!/usr/bin/env bash\n");
    let _ = writeln!(
        out,
        "# sgaudit {}: remediation for account {}{}",
        env!("CARGO_PKG_VERSION"),
        acc.account_id,
        match acc.name.as_deref() {
            Some(n) => format!(" ({})", comment(n)),
            None => String::new(),
        }
    );
    let _ = writeln!(
        out,
        "# From the snapshot of {}. {} finding(s) with an exact change are applied below, and\n\
         # {} more go with them; {} need a decision and are written out as comments.",
        crate::report::rfc3339(a.as_of),
        applied,
        covered,
        reviewed
    );
    out.push_str("# sgaudit never runs this. Review each change, then: bash THIS-SCRIPT --dry-run, and --apply.\n");
    let _ = writeln!(out, "expected_account={}", sh(acc.account_id.as_str()));
    out.push_str(PRELUDE);
    // What was not seen is never "nothing to fix".
    let mut unseen: Vec<String> = Vec::new();
    if let Some(reason) = acc.status.reason() {
        unseen.push(format!("the account was not collected: {reason}"));
    }
    for r in &acc.regions {
        if let Some(reason) = r.status.reason() {
            unseen.push(format!("{} was not collected: {reason}", r.region));
        }
    }
    for why in &unseen {
        let _ = writeln!(
            out,
            "\n# Not assessed: {}. It may need changes this script cannot know.",
            comment(why)
        );
    }
    if findings.is_empty() && unseen.is_empty() {
        out.push_str("\n# This account has no findings.\n");
    }
    out.push_str(&body);
    if !deletes.is_empty() {
        out.push_str("\n# ---------------------------------------------------------------------------\n");
        out.push_str("# Unused groups, deleted last.\n");
        out.push_str(&deletes);
    }
    out.push_str("\necho 'done' >&2\n");
    out
}

/// The first sentence of a check's "why" (Markdown, kept as it is: it is
/// sgaudit's own text, and a comment).
fn first_sentence(text: &str) -> &str {
    let end = text.find(". ").map_or(text.len(), |i| i + 1);
    text[..end].trim()
}
