//! The assessment: snapshot + config in, findings and scores out.
//!
//! **Architecture invariant:** this module does no I/O and cannot fail. Every
//! input problem (a malformed snapshot, a bad config) is caught before it is
//! called; from here on, missing data is a fact to report ("not assessed"),
//! never an error. The result depends only on its inputs: "now" is the
//! snapshot's collection time, and every list is sorted.

pub mod changes;
pub mod checks;
pub mod compliance;
pub mod context;
pub mod exceptions;
#[cfg(test)]
mod false_alarms;
pub(crate) mod fasthash;
pub mod finding;
pub mod fingerprint;
pub mod fixes;
pub mod flows;
pub mod history;
pub mod reach;
pub mod rules;
pub mod score;
#[cfg(test)]
pub(crate) mod testing;

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use crate::config::Config;
use crate::model::usage::Usage;
use crate::model::{AccountId, AccountSnapshot, Region, SecurityGroupId, Snapshot, VpcId};

use checks::{Emit, Run, ALL_CHECKS};
use context::{OrgIndex, RegionCtx};
pub use exceptions::ExceptionStatus;
pub use finding::{Exposure, Finding, Question, Severity, Subject};
use reach::ReachRecord;
use score::AccountFacts;
pub use score::{AccountScore, CollectionState, OrgScore, QuestionScore, Status};

/// Everything an assessment concludes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    /// The instant the assessment is "as of": the snapshot's collection start.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    /// Sorted: severity (worst first), account, region, check, group, resources.
    pub findings: Vec<Finding>,
    /// In snapshot order of accounts, sorted by account id.
    pub accounts: Vec<AccountScore>,
    pub org: OrgScore,
    pub exceptions: Vec<ExceptionStatus>,
    /// Against the baseline, when one was given.
    pub comparison: Option<history::Comparison>,
    /// The scores of this and earlier assessments, oldest first.
    pub trend: Vec<history::TrendEntry>,
    /// Every security group of the collected regions with its attachments and
    /// exposure, sorted by account, region and group id: the evidence the
    /// reports show beside each finding.
    pub groups: Vec<GroupSummary>,
    /// What the flow logs say about the rules, when usage was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<flows::judge::UsageSummary>,
    /// Each check that could not judge something in an account-region, once,
    /// with its first reason and how many items: the compliance views' "not
    /// assessed". Sorted by account, region and check.
    #[serde(skip)]
    pub not_judged: Vec<NotJudged>,
    /// What each account has that a compliance control may be about (its
    /// "not applicable").
    #[serde(skip)]
    pub scopes: HashMap<AccountId, compliance::Scopes>,
}

/// A check that could not judge some items of one account-region.
#[derive(Clone, Debug, PartialEq)]
pub struct NotJudged {
    pub account_id: AccountId,
    pub region: Region,
    pub check: &'static checks::Check,
    pub items: usize,
    pub why: String,
}

/// A security group as the reports show it: what it is attached to, and how exposed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupSummary {
    pub account_id: AccountId,
    pub region: Region,
    pub group_id: SecurityGroupId,
    pub name: String,
    pub vpc_id: Option<VpcId>,
    pub exposure: Exposure,
    pub critical: bool,
    pub attachments: Vec<AttachmentSummary>,
    /// For an internet-exposed group, the record of its verdict with the
    /// path (shared with its findings').
    #[serde(skip)]
    pub reach: Option<std::sync::Arc<ReachRecord>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttachmentSummary {
    /// An instance id, interface id, load balancer name or database identifier.
    pub resource_id: String,
    /// `instance`, `application load balancer`, `RDS instance (mysql)`, …
    pub kind: String,
    pub exposure: Exposure,
    /// Why it has that exposure.
    pub why: String,
}

impl GroupSummary {
    fn of(ctx: &RegionCtx, g: &context::Group) -> Self {
        GroupSummary {
            account_id: ctx.account_id().clone(),
            region: ctx.region_name().clone(),
            group_id: g.id().clone(),
            name: g.sg.group_name.clone(),
            vpc_id: g.sg.vpc_id.clone(),
            exposure: g.exposure,
            critical: g.critical,
            attachments: g
                .attachments
                .iter()
                .map(|a| AttachmentSummary {
                    resource_id: a.target.resource_id(),
                    kind: a.target.kind(),
                    exposure: a.exposure,
                    why: a.why(),
                })
                .collect(),
            reach: (g.exposure == Exposure::InternetExposed)
                .then(|| g.record(None))
                .flatten(),
        }
    }
}

impl Assessment {
    /// Whether something was not collected: an account or region that failed,
    /// or a service whose data is missing somewhere.
    pub fn is_partial(&self) -> bool {
        self.accounts
            .iter()
            .any(|a| matches!(a.collection.state, CollectionState::Partial | CollectionState::Failed))
    }

    pub fn open_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_open())
    }
}

/// Run every check over every collected account-region, apply the
/// exceptions, and score.
pub fn assess(snapshot: &Snapshot, config: &Config) -> Assessment {
    assess_with(snapshot, config, &Evidence::default())
}

/// What an assessment may use beside the snapshot and the config.
#[derive(Clone, Copy, Default)]
pub struct Evidence<'a> {
    /// A previous assessment: findings' first-seen dates and changes, what
    /// was fixed, the trend.
    pub baseline: Option<&'a history::Baseline>,
    /// Which rules flow logs show in use (`sgaudit usage`).
    pub usage: Option<&'a Usage>,
}

/// [`assess`], with a baseline, flow-log usage, or both.
pub fn assess_with(snapshot: &Snapshot, config: &Config, evidence: &Evidence) -> Assessment {
    let t0 = std::time::Instant::now();
    let mut org = OrgIndex::new(snapshot);
    org.usage = evidence.usage;
    // Accounts are independent once the organization-wide index exists: run
    // runs of them on every core, and merge in account order.
    let runs: Vec<&[AccountSnapshot]> = snapshot.accounts.chunks(run_len(snapshot)).collect();
    let results = crate::par::map_queue_owned(runs, |accounts| {
        let mut checked = Checked::default();
        for account in accounts {
            check_account(account, config, &org, &mut checked);
        }
        checked.finish()
    });
    conclude(snapshot, config, evidence, results, t0)
}

/// How many accounts are checked together: a sixteenth of the organization
/// (at least one account). Each run's findings are one vector, and they are
/// merged into one, run by run, each freed as it is moved: the more runs,
/// the smaller the part of the findings held twice while they are merged
/// (with one run per core it was half of them: 190 MB at 50,000 accounts).
/// Taken from a shared queue, the runs also even out uneven accounts.
fn run_len(snapshot: &Snapshot) -> usize {
    snapshot.accounts.len().div_ceil(RUNS).max(1)
}

const RUNS: usize = 16;

/// [`assess_with`], dropping each region's network detail once its checks
/// have run ([`crate::model::RegionSnapshot::release_network_detail`]):
/// what is left of the snapshot is what the reports read. A large
/// organization's model is the larger part of its memory, and its findings
/// grow as it shrinks (at 50,000 accounts, the peak is the model and the
/// findings together otherwise). The assessment is the same.
pub fn assess_releasing(snapshot: &mut Snapshot, config: &Config, evidence: &Evidence) -> Assessment {
    let t0 = std::time::Instant::now();
    let mut org = OrgIndex::new(snapshot);
    org.usage = evidence.usage;
    let run = run_len(snapshot);
    let runs: Vec<&mut [AccountSnapshot]> = snapshot.accounts.chunks_mut(run).collect();
    let results = crate::par::map_queue_owned(runs, |accounts| {
        let mut checked = Checked::default();
        for account in accounts {
            check_account(account, config, &org, &mut checked);
            for region in &mut account.regions {
                region.release_network_detail();
            }
        }
        checked.finish()
    });
    conclude(snapshot, config, evidence, results, t0)
}

/// What follows the checks: merge the accounts' results, apply the
/// exceptions, fingerprint, compare with the baseline, score.
fn conclude(
    snapshot: &Snapshot,
    config: &Config,
    evidence: &Evidence,
    results: Vec<Checked>,
    t0: std::time::Instant,
) -> Assessment {
    let baseline = evidence.baseline;
    // Merge the runs' results in account order, each run's vectors freed
    // (and their pages handed back) as they are moved: the findings are held
    // twice only one run at a time. The merged vectors' pages are touched
    // as they fill.
    let total_findings: usize = results.iter().map(|r| r.findings.len()).sum();
    let total_groups: usize = results.iter().map(|r| r.groups.len()).sum();
    let mut findings = Vec::with_capacity(total_findings);
    let mut groups = Vec::with_capacity(total_groups);
    let (mut facts, mut not_judged) = (Vec::new(), Vec::new());
    let mut scopes: HashMap<AccountId, compliance::Scopes> = HashMap::new();
    for r in results {
        findings.extend(r.findings);
        groups.extend(r.groups);
        not_judged.extend(r.not_judged);
        facts.extend(r.facts);
        scopes.extend(r.scopes);
        crate::memory::return_freed();
    }
    // Unique keys: an unstable sort gives the one order, without the scratch
    // copy of half the vector a stable sort makes.
    groups
        .sort_unstable_by(|a, b| (&a.account_id, &a.region, &a.group_id).cmp(&(&b.account_id, &b.region, &b.group_id)));

    tracing::debug!(elapsed = ?t0.elapsed(), findings = findings.len(), "checks run");
    let today = snapshot.started_at.date();
    let exceptions = exceptions::apply(&mut findings, config, today);
    // The checks' findings were printed on their threads; the exceptions' own
    // (SGA906) are printed here.
    for f in findings.iter_mut().filter(|f| f.fingerprint.is_empty()) {
        f.fingerprint = fingerprint::of(f);
    }
    let comparison = history::apply(&mut findings, snapshot, baseline, &config.sla);
    tracing::debug!(elapsed = ?t0.elapsed(), "fingerprinted and compared with the baseline");
    // Each run's findings were sorted on its thread: this sort mostly
    // merges the runs.
    sort_findings(&mut findings);

    let mut by_account: HashMap<&AccountId, Vec<&Finding>> = HashMap::new();
    for f in &findings {
        by_account.entry(&f.account_id).or_default().push(f);
    }
    let mut accounts: Vec<AccountScore> = snapshot
        .accounts
        .iter()
        .zip(&facts)
        .map(|(a, account_facts)| {
            let empty = Vec::new();
            let of_account = by_account.get(&a.account_id).unwrap_or(&empty);
            score::score_account(a, account_facts, of_account, config, today)
        })
        .collect();
    accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    let org_score = score::score_org(&accounts);
    let trend = history::trend(snapshot.started_at, &org_score, &accounts, baseline);
    tracing::debug!(elapsed = ?t0.elapsed(), "scored");
    drop(by_account);
    let usage = evidence.usage.map(|u| {
        let mut summary = flows::judge::UsageSummary::new(u, snapshot, &config.usage);
        summary.tightenable = findings
            .iter()
            .filter(|f| f.is_open() && f.check_id() == "SGA506")
            .count();
        summary
    });

    Assessment {
        as_of: snapshot.started_at,
        findings,
        accounts,
        org: org_score,
        exceptions,
        comparison,
        trend,
        groups,
        usage,
        not_judged,
        scopes,
    }
}

/// What checking a run of accounts gives.
#[derive(Default)]
struct Checked {
    findings: Vec<Finding>,
    not_judged: Vec<NotJudged>,
    /// One per account, in order.
    facts: Vec<AccountFacts>,
    /// One per account, in order.
    scopes: Vec<(AccountId, compliance::Scopes)>,
    groups: Vec<GroupSummary>,
}

impl Checked {
    /// Each thread prints its own findings (what they are about never
    /// changes after the checks) and sorts them.
    fn finish(mut self) -> Self {
        for f in &mut self.findings {
            f.fingerprint = fingerprint::of(f);
        }
        sort_findings(&mut self.findings);
        self
    }
}

/// Run every check over the collected regions of an account; gather the
/// facts its score needs and its groups' evidence.
fn check_account(account: &AccountSnapshot, config: &Config, org: &OrgIndex, checked: &mut Checked) {
    let Checked {
        findings,
        not_judged,
        facts: all_facts,
        scopes,
        groups,
    } = checked;
    scopes.push((account.account_id.clone(), compliance::Scopes::of(account)));
    let mut facts = AccountFacts::default();
    if account.status.is_ok() {
        for region in &account.regions {
            facts.regions_total += 1;
            if let Some(reason) = region.status.reason() {
                facts.region_failures.push((region.region.clone(), reason.to_string()));
                continue;
            }
            facts.regions_collected += 1;
            for gap in &region.gaps {
                facts.gaps.push((
                    region.region.clone(),
                    gap.service,
                    gap.operation.clone(),
                    gap.error.clone(),
                ));
            }
            let mut unjudged = Vec::new();
            let ctx = RegionCtx::new(config, org, account, region);
            for check in ALL_CHECKS {
                if let Run::PerRegion(run) = check.run {
                    run(
                        &ctx,
                        &mut Emit::new(check, &account.account_id, &region.region, findings, &mut unjudged),
                    );
                }
            }
            gather_facts(&ctx, &mut facts);
            for u in &unjudged {
                match not_judged
                    .iter_mut()
                    .rev()
                    .take_while(|n: &&mut NotJudged| n.account_id == account.account_id && n.region == region.region)
                    .find(|n| n.check == u.check)
                {
                    Some(n) => n.items += 1,
                    None => not_judged.push(NotJudged {
                        account_id: account.account_id.clone(),
                        region: region.region.clone(),
                        check: u.check,
                        items: 1,
                        why: u.why.clone(),
                    }),
                }
            }
            facts.not_judged(unjudged, ctx.region_name());
            groups.extend(ctx.groups.iter().map(|g| GroupSummary::of(&ctx, g)));
        }
    }
    all_facts.push(facts);
}

/// Sort findings by [`finding_order`], moving each once: the order is found
/// on their indices (a findings' worth of scratch would be hundreds of
/// megabytes in a large organization, and moving a finding costs far more
/// than moving an index), then applied in place, cycle by cycle.
fn sort_findings(findings: &mut [Finding]) {
    let n = u32::try_from(findings.len()).expect("fewer than 4 billion findings");
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by(|&a, &b| finding_order(&findings[a as usize], &findings[b as usize]));
    // `order[k]` is the index of the finding that belongs at `k`.
    const PLACED: u32 = u32::MAX;
    for start in 0..findings.len() {
        let mut k = start;
        loop {
            let from = order[k];
            if from == PLACED {
                break;
            }
            order[k] = PLACED;
            if from as usize == start {
                break;
            }
            findings.swap(k, from as usize);
            k = from as usize;
        }
    }
}

/// The order of findings everywhere: worst first, then where, then what;
/// the fingerprint last makes it total (equal fingerprints are the same finding).
fn finding_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.account_id.cmp(&b.account_id))
        .then_with(|| a.region.cmp(&b.region))
        .then_with(|| a.check_id().cmp(b.check_id()))
        .then_with(|| a.security_group_id.cmp(&b.security_group_id))
        .then_with(|| a.resource_ids.cmp(&b.resource_ids))
        .then_with(|| a.summary.cmp(&b.summary))
        .then_with(|| a.rule.cmp(&b.rule))
        .then_with(|| a.fingerprint.cmp(&b.fingerprint))
}

/// Record what each question's score counts in this region.
fn gather_facts(ctx: &RegionCtx, facts: &mut AccountFacts) {
    use finding::{Question as Q, Subject as S};
    let in_scope = &mut facts.in_scope;
    for g in &ctx.groups {
        let subject = S::SecurityGroup(g.id().clone());
        in_scope[Q::Q1].insert(subject.clone());
        in_scope[Q::Q2].insert(subject.clone());
        if !g.sg.is_default() {
            in_scope[Q::Q4].insert(subject.clone());
            facts.groups += 1;
            if ctx.config.governance.is_iac(&g.sg.tags) {
                facts.groups_iac += 1;
            }
        }
        if g.critical {
            in_scope[Q::Q5].insert(subject);
        }
    }
    for acl in ctx.region.network_acls.iter().filter(|a| !a.associations.is_empty()) {
        in_scope[Q::Q1].insert(S::NetworkAcl(acl.network_acl_id.clone()));
    }
    let ssm_known = ctx.ssm_known();
    let mut unknown = 0;
    for i in ctx.region.instances.iter().filter(|i| i.is_running()) {
        facts.running_instances += 1;
        let subject = S::Instance(i.instance_id.clone());
        if ssm_known {
            in_scope[Q::Q3].insert(subject);
            facts.ssm_judged += 1;
            if ctx.is_ssm_managed(&i.instance_id) {
                facts.ssm_managed += 1;
            }
        } else {
            facts.unknown[Q::Q3].insert(subject);
            unknown += 1;
        }
    }
    if unknown > 0 {
        facts.unknown_why[Q::Q3].push(format!("Systems Manager data missing in {}", ctx.region_name()));
    }
    // Bastions: groups that other groups admit on an admin port.
    let admin = &ctx.config.ports.admin;
    for g in &ctx.groups {
        for rule in rules::ingress(g.sg) {
            if rule.is_self_reference(g.sg) || !rule.opens_any(admin) {
                continue;
            }
            if let Some(id) = rule.group_ref().and_then(|p| p.group_id.as_ref()) {
                facts.bastion_groups.insert(id.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::TestOrg;
    use super::*;

    #[test]
    fn sorting_by_index_gives_the_order_a_plain_sort_gives() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-a",
            &["tcp 22 0.0.0.0/0", "tcp 3389 0.0.0.0/0", "tcp 5432 10.0.0.0/8"],
        );
        fx.sg("sg-b", &["tcp 80 0.0.0.0/0", "tcp 6379 0.0.0.0/0", "udp 53 0.0.0.0/0"]);
        fx.instance("i-1", "subnet-public", &["sg-a", "sg-b"], Some("203.0.113.5"));
        let sorted = fx.assess().findings;
        assert!(sorted.len() > 5, "a handful of findings to sort");
        let mut expected = sorted.clone();
        expected.sort_by(finding_order);
        // Every rotation and the reverse: cycles of every length.
        for shift in 0..sorted.len() {
            let mut v = sorted.clone();
            v.rotate_left(shift);
            if shift % 2 == 1 {
                v.reverse();
            }
            sort_findings(&mut v);
            assert_eq!(v, expected, "shift {shift}");
        }
    }

    #[test]
    fn releasing_the_network_detail_as_the_checks_go_changes_nothing_they_conclude() {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/org-snapshot.json"));
        let mut snapshot = crate::model::read_snapshot(path).unwrap();
        let config = crate::config::Config::default();
        let kept = assess_with(&snapshot, &config, &Evidence::default());
        let released = assess_releasing(&mut snapshot, &config, &Evidence::default());
        assert!(!kept.findings.is_empty());
        assert_eq!(kept, released);
        let regions = || snapshot.accounts.iter().flat_map(|a| &a.regions);
        assert!(regions().all(|r| r.network_interfaces.is_empty() && r.subnets.is_empty()));
        assert!(regions().any(|r| !r.security_groups.is_empty()), "the groups stay");
        let lbs = || regions().flat_map(|r| &r.load_balancers);
        assert!(lbs().next().is_some(), "the load balancers stay");
        assert!(
            lbs().all(|lb| lb.listeners.is_empty() && !lb.load_balancer_arn.is_empty()),
            "named by their ARN, without their listeners"
        );
    }
}
