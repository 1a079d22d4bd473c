//! What scoring produces: the statuses and scores of questions, accounts and
//! the organization, the facts an account's scores are computed from, and
//! what was collected.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    /// Every assessed item passes, but part of the account (or of the
    /// organization) was not collected: never shown as a plain pass.
    PartialCoverage,
    Partial,
    Fail,
    NotAssessed,
    NotApplicable,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::PartialCoverage => "partial coverage",
            Status::Partial => "partial",
            Status::Fail => "fail",
            Status::NotAssessed => "not assessed",
            Status::NotApplicable => "not applicable",
        }
    }
    pub fn is_assessed(self) -> bool {
        matches!(
            self,
            Status::Pass | Status::PartialCoverage | Status::Partial | Status::Fail
        )
    }

    /// This status, or "partial coverage" if it would read "pass" while
    /// something was not collected.
    pub(super) fn covering(self, complete: bool) -> Status {
        if self == Status::Pass && !complete {
            Status::PartialCoverage
        } else {
            self
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuestionScore {
    pub question: Question,
    pub status: Status,
    /// 0-100, one decimal; absent when not assessed or not applicable.
    pub score: Option<f64>,
    /// Items judged.
    pub items: usize,
    /// Items with an open finding of medium severity or worse.
    pub failing: usize,
    /// Items in scope that could not be judged (missing data).
    pub not_assessed_items: usize,
    /// One sentence: why this status.
    pub reason: String,
}

/// The region-level facts the scores are computed from, gathered per account.
#[derive(Debug, Default)]
pub struct AccountFacts {
    /// Per scored question: the items judged.
    pub in_scope: PerQuestion<HashSet<Subject>>,
    /// Per question: items in scope whose judgement needs data that is
    /// missing; they count only if a finding already fails them.
    pub unknown: PerQuestion<HashSet<Subject>>,
    /// Why items were unknown, e.g. `Systems Manager data missing in eu-west-1`.
    pub unknown_why: PerQuestion<Vec<String>>,
    pub groups: usize,
    pub groups_iac: usize,
    pub running_instances: usize,
    pub ssm_judged: usize,
    pub ssm_managed: usize,
    pub bastion_groups: BTreeSet<SecurityGroupId>,
    pub regions_total: usize,
    pub regions_collected: usize,
    /// `(region, reason)` for regions not collected.
    pub region_failures: Vec<(Region, String)>,
    /// `(region, service, operation, error)` for partial regions.
    pub gaps: Vec<(Region, Service, String, String)>,
}

impl AccountFacts {
    /// Items that checks could not judge in `region`: not assessed in their
    /// question (unless a finding fails them anyway), never passing.
    pub fn not_judged(&mut self, unjudged: Vec<Unjudged>, region: &Region) {
        for u in unjudged {
            let q = u.question;
            let (Some(in_scope), Some(unknown), Some(why)) = (
                self.in_scope.get_mut(q),
                self.unknown.get_mut(q),
                self.unknown_why.get_mut(q),
            ) else {
                continue;
            };
            in_scope.remove(&u.subject);
            unknown.insert(u.subject);
            let reason = format!("{} in {region}", u.why);
            if !why.contains(&reason) {
                why.push(reason);
            }
        }
    }
}

/// What the technical signals say, beside the scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Signals {
    /// Share (0-100) of non-default groups defined by infrastructure as code.
    pub iac_share: Option<f64>,
    /// Share (0-100) of running instances managed by Systems Manager (where known).
    pub ssm_share: Option<f64>,
    /// Groups used as the source of admin-port rules: the bastions.
    pub bastion_groups: Vec<SecurityGroupId>,
    /// The attestation that covers the account for Q4, if any.
    pub attestation: Option<AttestationSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttestationSummary {
    pub owner: String,
    pub training: String,
    pub attested_by: String,
    pub date: String,
    pub current: bool,
}

/// How completely an account was collected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionState {
    /// Every region and every service was read.
    Complete,
    /// Read, but some region or some service of a region was not.
    Partial,
    /// Not read: the account, or every one of its regions, failed.
    Failed,
    /// Deliberately not read (a suspended account).
    Skipped,
}

impl CollectionState {
    /// `complete`, `partial`, `failed`, `skipped`
    pub fn label(self) -> &'static str {
        match self {
            CollectionState::Complete => "complete",
            CollectionState::Partial => "partial",
            CollectionState::Failed => "failed",
            CollectionState::Skipped => "skipped",
        }
    }

    /// Whether there is data to assess: complete or partial.
    pub fn is_assessed(self) -> bool {
        matches!(self, CollectionState::Complete | CollectionState::Partial)
    }
}

impl std::fmt::Display for CollectionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// How completely an account was collected.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Collection {
    pub state: CollectionState,
    pub regions_collected: usize,
    pub regions_total: usize,
    /// Each thing that was not collected, and why.
    pub missing: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountScore {
    pub account_id: String,
    pub name: String,
    pub ou_path: String,
    pub collection: Collection,
    pub questions: Vec<QuestionScore>,
    pub score: Option<f64>,
    pub status: Status,
    /// Open findings by severity.
    pub open_findings: PerSeverity<usize>,
    pub accepted_findings: usize,
    pub signals: Signals,
}

impl AccountScore {
    /// The score of one question of the account.
    pub fn question(&self, q: Question) -> Option<&QuestionScore> {
        self.questions.iter().find(|s| s.question == q)
    }

    /// The questions that could not be judged although the account's data
    /// was collected (an account that was not collected is not assessed as a
    /// whole: `collection.missing` says why).
    pub fn not_assessed_questions(&self) -> impl Iterator<Item = &QuestionScore> {
        let collected = self.collection.state.is_assessed();
        self.questions
            .iter()
            .filter(move |q| collected && q.status == Status::NotAssessed)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrgScore {
    pub score: Option<f64>,
    pub status: Status,
    pub accounts: usize,
    pub accounts_assessed: usize,
    pub accounts_partial: usize,
    pub accounts_failed: usize,
    pub accounts_skipped: usize,
    pub regions: usize,
    pub regions_collected: usize,
    /// Mean score per question over the accounts where it was assessed.
    pub questions: BTreeMap<Question, Option<f64>>,
}
