//! Finding fingerprints: a stable name for "the same finding" across
//! assessments, so that a periodic run can tell new from persisting from fixed.
//!
//! The recipe (docs/findings.md): SHA-256 over a canonical text of what the
//! finding is about, as typed facts, never of where it sits in the snapshot,
//! its severity, its wording or the run:
//!
//! ```text
//! sgaudit-finding/2
//! <check id>
//! <account id>
//! <region, or ->
//! <subject kind>:<subject id>
//! <security group id, or ->
//! <rule: RuleKey::canonical, or ->     (checks whose identity includes the rule)
//! <resource ids, space-separated, or ->  (checks whose identity includes the resources)
//! ```
//!
//! The fingerprint is the first 16 bytes of the hash, in hex (32 characters).
//!
//! Recipe 1 (sgaudit 0.1.0) hashed the rule's display text, whose source
//! label is prose (`sg-… (account …)`): rewording it would have re-keyed
//! every finding's history. A baseline written with recipe 1 is upgraded
//! when it is read ([`upgrade`]): its own snapshot is assessed again and each
//! finding's recipe-1 print is mapped to its recipe-2 print.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::model::Snapshot;

use super::checks::Identity;
use super::finding::Finding;

/// The recipe this build writes (`fingerprint_recipe` in findings.json).
pub const RECIPE: u32 = 2;

/// A finding's print: 32 lower-case hex digits, held inline (no allocation
/// per finding). The default is "not printed yet".
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    fn of_digest(digest: &[u8]) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 32];
        for (i, b) in digest[..16].iter().enumerate() {
            out[2 * i] = DIGITS[usize::from(b >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
        }
        Fingerprint(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0[0] == 0
    }

    pub fn as_str(&self) -> &str {
        if self.is_empty() {
            return "";
        }
        // Only ASCII hex digits are ever written.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

pub fn of(f: &Finding) -> Fingerprint {
    use std::fmt::Write;
    // The recipe's text, streamed into the hash (the same bytes as `text`).
    let mut h = HashWriter(Sha256::new());
    let rule = match (f.check.meta.identity, &f.rule) {
        (Identity::Rule | Identity::RuleAndResources, Some(r)) => Some(&r.key),
        _ => None,
    };
    let _ = write_head(&mut h, f, RECIPE);
    let _ = match rule {
        Some(key) => key.write_canonical(&mut h),
        None => h.write_str("-"),
    };
    h.write_str("\n").ok();
    match f.check.meta.identity {
        Identity::RuleAndResources if !f.resource_ids.is_empty() => {
            let mut ids: Vec<&str> = f.resource_ids.iter().map(|id| id.as_str()).collect();
            ids.sort_unstable();
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    h.write_str(" ").ok();
                }
                h.write_str(id).ok();
            }
        }
        _ => {
            h.write_str("-").ok();
        }
    }
    Fingerprint::of_digest(&h.0.finalize())
}

struct HashWriter(Sha256);

impl std::fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// The print recipe 1 gave `f`: kept only to upgrade old baselines.
pub fn recipe_1(f: &Finding) -> String {
    let identity = f.check.meta.identity;
    let rule = match (identity, &f.rule) {
        (Identity::Rule | Identity::RuleAndResources, Some(r)) => {
            format!("{} {} {} {}", r.direction, r.protocol, r.ports, r.source)
        }
        _ => "-".to_string(),
    };
    digest(&text(f, 1, &rule))
}

fn text(f: &Finding, recipe: u32, rule: &str) -> String {
    let resources = match f.check.meta.identity {
        Identity::RuleAndResources if !f.resource_ids.is_empty() => {
            let mut ids = f.resource_ids.to_vec();
            ids.sort();
            ids.join(" ")
        }
        _ => "-".to_string(),
    };
    let mut out = String::new();
    let _ = write_head(&mut out, f, recipe);
    out.push_str(rule);
    out.push('\n');
    out.push_str(&resources);
    out
}

/// The recipe's first lines, up to the rule's: the same for every recipe.
fn write_head(w: &mut impl std::fmt::Write, f: &Finding, recipe: u32) -> std::fmt::Result {
    write!(
        w,
        "sgaudit-finding/{recipe}\n{}\n{}\n{}\n{}:{}\n{}\n",
        f.check_id(),
        f.account_id,
        f.region.as_ref().map_or("-", |r| r.as_str()),
        f.subject.kind(),
        f.subject.id(),
        f.security_group_id.as_ref().map_or("-", |g| g.as_str()),
    )
}

/// The first 16 bytes of the SHA-256, in lower-case hex.
fn digest(text: &str) -> String {
    crate::digest::hex(&Sha256::digest(text.as_bytes())[..16])
}

/// Recipe-1 prints of the findings of `snapshot` (assessed with `config`),
/// each mapped to its current print. Findings this build no longer raises
/// have no entry: in a comparison they are gone, as they should be.
pub fn upgrade(snapshot: &Snapshot, config: &Config) -> HashMap<String, String> {
    super::assess(snapshot, config)
        .findings
        .iter()
        .map(|f| (recipe_1(f), f.fingerprint.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    fn prints(fx: &TestOrg) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = fx
            .assess()
            .findings
            .iter()
            .map(|f| (f.fingerprint.to_string(), format!("{} {}", f.check_id(), f.summary)))
            .collect();
        v.sort();
        v
    }

    fn org() -> TestOrg {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-ssh",
            &["tcp 22 0.0.0.0/0", "tcp 443 10.0.0.0/8", "tcp 80 0.0.0.0/0 desc=web"],
        );
        fx.sg("sg-db", &["tcp 5432 0.0.0.0/0", "tcp 5432 sg-ssh"]);
        fx.instance("i-1", "subnet-public", &["sg-ssh"], Some("203.0.113.5"));
        fx.rds("orders", true, 5432, &["sg-db"]);
        fx
    }

    #[test]
    fn the_streamed_print_is_the_hash_of_the_recipes_text() {
        let fx = org();
        for f in &fx.assess().findings {
            let rule = match (f.check.meta.identity, &f.rule) {
                (super::Identity::Rule | super::Identity::RuleAndResources, Some(r)) => r.key.canonical(),
                _ => "-".to_string(),
            };
            assert_eq!(
                super::of(f).as_str(),
                super::digest(&super::text(f, super::RECIPE, &rule)),
                "{}",
                f.summary
            );
        }
    }

    #[test]
    fn fingerprints_are_unique_and_stable_across_runs() {
        let fx = org();
        let a = prints(&fx);
        let mut unique: Vec<&String> = a.iter().map(|(p, _)| p).collect();
        unique.dedup();
        assert_eq!(unique.len(), a.len(), "two findings share a fingerprint: {a:#?}");
        assert!(a.iter().all(|(p, _)| p.len() == 32));
        assert_eq!(a, prints(&fx));
    }

    #[test]
    fn reordering_the_snapshot_or_changing_an_unrelated_rule_keeps_them() {
        let fx = org();
        let before: Vec<String> = prints(&fx).into_iter().map(|(p, _)| p).collect();
        let mut shuffled = org();
        let region = shuffled.region();
        region.security_groups.reverse();
        for g in &mut region.security_groups {
            g.ip_permissions.reverse();
        }
        region.network_interfaces.reverse();
        let after: Vec<String> = prints(&shuffled).into_iter().map(|(p, _)| p).collect();
        assert_eq!(before, after);
        // Another rule of the same group changes: the SSH finding keeps its print.
        let ssh = |fx: &TestOrg| {
            fx.assess()
                .findings
                .iter()
                .find(|f| f.check_id() == "SGA101")
                .unwrap()
                .fingerprint
        };
        let mut changed = org();
        changed.set_rules(
            "sg-ssh",
            &["tcp 22 0.0.0.0/0", "tcp 443 10.1.0.0/16", "tcp 80 0.0.0.0/0 desc=web"],
        );
        assert_eq!(ssh(&fx), ssh(&changed));
        // So does a new description, and a change of severity (a public IP dropped).
        let mut quieter = org();
        quieter.set_rules(
            "sg-ssh",
            &[
                "tcp 22 0.0.0.0/0 desc=vendor",
                "tcp 443 10.0.0.0/8",
                "tcp 80 0.0.0.0/0 desc=web",
            ],
        );
        quieter.move_instance("i-1", "subnet-public", None);
        let f = quieter.assess();
        let ssh_finding = f.findings.iter().find(|f| f.check_id() == "SGA101").unwrap();
        assert_ne!(ssh_finding.severity, crate::analyze::Severity::Critical);
        assert_eq!(ssh(&fx), ssh_finding.fingerprint);
    }

    #[test]
    fn changing_the_rule_source_or_ports_changes_them() {
        let fx = org();
        let ssh = |fx: &TestOrg| {
            fx.assess()
                .findings
                .iter()
                .find(|f| f.check_id() == "SGA101")
                .map(|f| f.fingerprint)
        };
        let mut other_source = org();
        other_source.set_rules(
            "sg-ssh",
            &["tcp 22 ::/0", "tcp 443 10.0.0.0/8", "tcp 80 0.0.0.0/0 desc=web"],
        );
        assert_ne!(ssh(&fx), ssh(&other_source));
        let mut other_ports = org();
        other_ports.set_rules(
            "sg-ssh",
            &["tcp 22-23 0.0.0.0/0", "tcp 443 10.0.0.0/8", "tcp 80 0.0.0.0/0 desc=web"],
        );
        assert_ne!(ssh(&fx), ssh(&other_ports));
    }

    #[test]
    fn rewording_a_finding_or_its_rule_keeps_its_print() {
        let mut fx = org();
        fx.second_account_sg("sg-partner", &[]);
        fx.sg("sg-x", &["tcp 443 sg-partner@222222222222", "tcp 443 0.0.0.0/0"]);
        let a = fx.assess();
        for f in &a.findings {
            let mut reworded = f.clone();
            reworded.summary = "said another way".into();
            if let Some(rule) = reworded.rule.as_mut() {
                rule.source = format!("{} (in other words)", rule.source).into();
                rule.protocol = rule.protocol.to_uppercase();
            }
            assert_eq!(super::of(&reworded), f.fingerprint, "{}", f.summary);
        }
    }
}
