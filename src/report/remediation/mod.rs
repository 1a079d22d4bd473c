//! Remediation as code: each finding's fix (`analyze::fixes`) as AWS CLI
//! commands, Terraform and CloudFormation (in `findings.json` and on the
//! account pages), and one script per account, `remediation/<id>.sh`
//! (docs/remediation.md). sgaudit writes them; it never runs them.

pub mod cli;
mod cloudformation;
pub mod quote;
mod script;
mod terraform;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::analyze::fixes::{self, Change, Fix, InCode, Perm};
use crate::analyze::{Assessment, Finding};
use crate::config::Governance;
use crate::model::{SecurityGroup, SecurityGroupId, Snapshot};

pub use script::write_scripts;

/// A rule of a group, in an account and region.
type RuleAt<'s> = (&'s str, &'s str, SecurityGroupId, Perm);
/// A group, in an account and region.
type GroupAt<'s> = (&'s str, &'s str, SecurityGroupId);

/// Finds each finding's group in the snapshot and plans its fix; knows
/// what the accounts' scripts change, and so which findings they remove.
pub struct Planner<'s> {
    /// The languages a hand-made group's fixes are written in.
    code: &'s [crate::config::CodeLanguage],
    /// Each group, and where it is defined in code (read from its tags once).
    groups: HashMap<(&'s str, &'s str, &'s str), (&'s SecurityGroup, Option<InCode>), foldhash::fast::RandomState>,
    /// The rules and groups an exception accepts the risk of: no script
    /// removes them.
    protected: Keys<RuleAt<'s>>,
    protected_groups: Keys<GroupAt<'s>>,
    /// The rules the scripts revoke, and the groups they delete.
    revoked: Keys<RuleAt<'s>>,
    deleted: Keys<GroupAt<'s>>,
}

/// A set that keeps only a 64-bit digest of each member (SipHash with fixed
/// keys, so the same on every run): a large organization's scripts revoke
/// hundreds of thousands of rules, and a digest is 8 bytes where the rule
/// is over a hundred. A collision (odds about 10^-9 at a million members)
/// could only mark a finding "scripted" that a second run would still find.
struct Keys<T>(HashSet<u64>, std::marker::PhantomData<T>);

impl<T: std::hash::Hash> Keys<T> {
    fn new() -> Self {
        Keys(HashSet::new(), std::marker::PhantomData)
    }

    fn digest(item: &T) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        BuildHasherDefault::<DefaultHasher>::default().hash_one(item)
    }

    fn insert(&mut self, item: T) {
        self.0.insert(Self::digest(&item));
    }

    fn contains(&self, item: &T) -> bool {
        self.0.contains(&Self::digest(item))
    }
}

impl<T: std::hash::Hash> Extend<T> for Keys<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.insert(item);
        }
    }
}

/// The rules a fix is about (those it revokes or describes), with where.
fn subject_rules<'f, 's>(at: (&'s str, &'s str), fix: &'f Fix) -> impl Iterator<Item = RuleAt<'s>> + 'f
where
    's: 'f,
{
    fix.steps
        .iter()
        .filter(|s| s.required)
        .filter_map(move |s| match &s.change {
            Change::Revoke { group, perm } | Change::Describe { group, perm } => {
                Some((at.0, at.1, group.clone(), perm.clone()))
            }
            _ => None,
        })
}

impl<'s> Planner<'s> {
    pub fn new(snapshot: &'s Snapshot, config: &'s crate::config::Config, a: &'s Assessment) -> Self {
        let governance: &Governance = &config.governance;
        let mut groups = HashMap::default();
        for acc in &snapshot.accounts {
            for r in &acc.regions {
                for sg in &r.security_groups {
                    let in_code = InCode::of(sg, governance);
                    groups.insert(
                        (acc.account_id.as_str(), r.region.as_str(), sg.group_id.as_str()),
                        (sg, in_code),
                    );
                }
            }
        }
        let mut planner = Planner {
            code: &config.remediation.code,
            groups,
            protected: Keys::new(),
            protected_groups: Keys::new(),
            revoked: Keys::new(),
            deleted: Keys::new(),
        };
        let located = |f: &'s Finding| f.region.as_ref().map(|r| (f.account_id.as_str(), r.as_str()));
        // What exceptions accept, first: a script never takes it away.
        let (mut protected, mut protected_groups) = (Keys::new(), Keys::new());
        for f in a.findings.iter().filter(|f| !f.is_open()) {
            let Some(at) = located(f) else { continue };
            protected.extend(subject_rules(at, &planner.fix(f)));
            if let Some(g) = &f.security_group_id {
                protected_groups.insert((at.0, at.1, g.clone()));
            }
        }
        planner.protected = protected;
        planner.protected_groups = protected_groups;
        // What the scripts change: each finding's fix planned on every core.
        let changes = crate::par::map_chunks(&a.findings, |_, run| {
            let (mut revoked, mut deleted) = (Vec::new(), Vec::new());
            for f in run {
                let Some(region) = &f.region else { continue };
                let at = (f.account_id.as_str(), region.as_str());
                let fix = planner.fix(f);
                if !planner.applies(f, &fix) {
                    continue;
                }
                for step in fix.steps.into_iter().filter(|s| s.required) {
                    match step.change {
                        Change::Revoke { group, perm } => revoked.push(Keys::digest(&(at.0, at.1, group, perm))),
                        Change::DeleteGroup { group } => deleted.push(Keys::digest(&(at.0, at.1, group))),
                        _ => {}
                    }
                }
            }
            (revoked, deleted)
        });
        let (mut revoked, mut deleted) = (Keys::new(), Keys::new());
        for (r, d) in changes {
            revoked.0.extend(r);
            deleted.0.extend(d);
        }
        planner.revoked = revoked;
        planner.deleted = deleted;
        planner
    }

    /// Whether the account's script makes the finding's own changes: its
    /// fix is exact, with nothing to do first and not defined in code, the
    /// finding is open, and no change takes away what an exception accepts.
    pub fn applies(&self, f: &Finding, fix: &Fix) -> bool {
        f.is_open() && fix.is_scripted() && self.protects(f, fix).is_none()
    }

    /// The exception-accepted rule or group the fix would take away.
    pub fn protects(&self, f: &Finding, fix: &Fix) -> Option<String> {
        let region = f.region.as_ref()?;
        let at = (f.account_id.as_str(), region.as_str());
        for step in fix.steps.iter().filter(|s| s.required) {
            match &step.change {
                Change::Revoke { group, perm }
                    if self.protected.contains(&(at.0, at.1, group.clone(), perm.clone())) =>
                {
                    return Some(format!(
                        "an exception accepts the risk of {} {} {} on {group}",
                        perm.traffic(),
                        if perm.egress { "to" } else { "from" },
                        peer_label(&perm.peer)
                    ));
                }
                Change::DeleteGroup { group } if self.protected_groups.contains(&(at.0, at.1, group.clone())) => {
                    return Some(format!("an exception accepts a finding about {group}"));
                }
                _ => {}
            }
        }
        None
    }

    /// Whether the account's script removes what the finding is about: it
    /// makes the finding's own changes, or another finding's changes
    /// revoke the rules it is about (or delete its group).
    pub fn scripted(&self, f: &Finding, fix: &Fix) -> bool {
        if !f.is_open() {
            return false;
        }
        if self.applies(f, fix) {
            return true;
        }
        let Some(region) = &f.region else { return false };
        let at = (f.account_id.as_str(), region.as_str());
        if let Some(g) = &f.security_group_id {
            if self.deleted.contains(&(at.0, at.1, g.clone())) {
                return true;
            }
        }
        let mut any = false;
        let all = subject_rules(at, fix).all(|rule| {
            any = true;
            self.deleted.contains(&(rule.0, rule.1, rule.2.clone())) || self.revoked.contains(&rule)
        });
        any && all
    }

    pub fn fix(&self, f: &Finding) -> Fix {
        let group = match (&f.region, &f.security_group_id) {
            (Some(r), Some(g)) => self.groups.get(&(f.account_id.as_str(), r.as_str(), g.as_str())),
            _ => None,
        };
        fixes::plan(
            f,
            f.hint.as_deref(),
            group.map(|(sg, _)| *sg),
            group.and_then(|(_, c)| c.as_ref()),
        )
    }
}

/// A finding's fix as `findings.json` holds it.
#[derive(Clone, Debug, Serialize)]
pub struct RemediationRecord {
    /// Every change it needs is written out, with no placeholder.
    pub exact: bool,
    /// The account's script removes what it is about: its own fix is
    /// exact, not defined in code, with nothing to do first, and the
    /// finding is not accepted; or another finding's applied fix revokes
    /// its rules or deletes its group.
    pub scripted: bool,
    /// Where the group is defined in code: change it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_code: Option<String>,
    /// What must be done before the changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Why no AWS change is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual: Option<&'static str>,
    /// The values to fill in (`<YOUR-CIDR>`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placeholders: Vec<&'static str>,
    /// The AWS CLI commands, in order, with comments; optional ones commented out.
    pub cli: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudformation: Option<String>,
}

impl RemediationRecord {
    /// The whole record, as `findings.json` holds it.
    pub fn new(finding: &Finding, fix: &Fix, planner: &Planner) -> Self {
        let mut record = Self::commands(finding, fix, planner);
        let name = finding.fingerprint.as_str();
        let short = &name[..name.len().min(12)];
        // The change in the language that defines the group: its
        // CloudFormation stack's, Terraform for other code, and the
        // configured languages for a hand-made group.
        use crate::config::CodeLanguage;
        let (tf, cfn) = match &fix.in_code {
            Some(InCode::CloudFormation { .. }) => (false, true),
            Some(_) => (true, false),
            None => (
                planner.code.contains(&CodeLanguage::Terraform),
                planner.code.contains(&CodeLanguage::Cloudformation),
            ),
        };
        record.terraform = tf.then(|| terraform::render(fix, short)).flatten();
        record.cloudformation = cfn.then(|| cloudformation::render(fix, short)).flatten();
        record
    }

    /// Everything but the code snippets: what the account pages show.
    pub fn commands(finding: &Finding, fix: &Fix, planner: &Planner) -> Self {
        let mut placeholders: Vec<&'static str> = fix
            .steps
            .iter()
            .filter_map(|s| s.change.placeholder())
            .map(|p| p.text())
            .collect();
        placeholders.sort_unstable();
        placeholders.dedup();
        RemediationRecord {
            exact: fix.is_exact(),
            scripted: planner.scripted(finding, fix),
            in_code: fix.in_code.as_ref().map(|c| c.describe()),
            first: fix.first.clone(),
            manual: fix.manual,
            placeholders,
            cli: cli_text(fix),
            terraform: None,
            cloudformation: None,
        }
    }
}

/// A fix's steps as code, one block each (`id(n)` names the resources),
/// the optional ones marked; `None` when there is no step.
fn render_steps(
    fix: &Fix,
    id: impl Fn(usize) -> String,
    mut change: impl FnMut(&mut String, &Change, &str),
) -> Option<String> {
    if fix.steps.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (n, step) in fix.steps.iter().enumerate() {
        if !out.is_empty() {
            out.push('\n');
        }
        if !step.required {
            out.push_str("# Option, instead of no rule at all:\n");
        }
        change(&mut out, &step.change, &id(n + 1));
    }
    Some(out)
}

fn peer_label(p: &fixes::Peer) -> String {
    match p {
        fixes::Peer::Cidr(c) => c.to_string(),
        fixes::Peer::Group { id, .. } => id.to_string(),
        fixes::Peer::PrefixList(id) => id.to_string(),
        fixes::Peer::Placeholder(p) => p.text().to_string(),
    }
}

/// The commands of a fix as one shell snippet: what to know first as
/// comments, the required commands, then the optional ones commented out.
pub fn cli_text(fix: &Fix) -> String {
    let mut out = String::new();
    if let Some(code) = &fix.in_code {
        out.push_str(&format!(
            "# Change it in code first ({}): the next deploy undoes a change made here.\n",
            quote::comment(&code.describe())
        ));
    }
    if let Some(first) = &fix.first {
        out.push_str(&format!("# First: {}.\n", quote::comment(first)));
    }
    if let Some(manual) = fix.manual {
        out.push_str(&format!("# No AWS change to write: {manual}.\n"));
    }
    for step in &fix.steps {
        let command = cli::command(&step.change, fix.region.as_ref());
        if matches!(command.trial, cli::Trial::Nothing) {
            out.push_str("# Its current definition, to write into code:\n");
        }
        if !step.required {
            out.push_str("# Option: ");
        }
        out.push_str(command.line());
        out.push('\n');
    }
    out
}
