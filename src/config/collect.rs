//! `[collect]`: how `sgaudit collect` reaches the organization.

use serde::{Deserialize, Serialize};

use crate::model::AccountId;

/// How `sgaudit collect` reaches the organization. Every field can also be
/// given on the command line, which wins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Collect {
    /// The role assumed in every account (`arn:PARTITION:iam::ACCOUNT:role/ROLE_NAME`).
    pub role_name: String,
    /// The external id the role's trust policy requires, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The role session name, visible in the accounts' CloudTrail.
    pub session_name: String,
    /// The AWS profile for the caller's credentials (else the standard chain).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The region of the organization-wide calls (STS, Organizations); else
    /// the profile's or environment's region, else us-east-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_region: Option<String>,
    /// Regions to collect; empty: every region enabled for each account.
    pub regions: Vec<String>,
    /// Collect exactly these accounts without calling Organizations (for a
    /// caller without Organizations access). Empty: every account of the
    /// organization.
    pub accounts: Vec<AccountId>,
    /// Only the accounts under these OUs (ids, `ou-…`), recursively.
    pub ous: Vec<String>,
    /// Accounts to leave out; they are listed as skipped.
    pub exclude_accounts: Vec<AccountId>,
    /// Assess the caller's own account through the role too (by default it is
    /// assessed with the caller's credentials: the management account has no
    /// OrganizationAccountAccessRole).
    pub assume_role_in_caller_account: bool,
    /// API calls in flight at once, across all accounts and regions. AWS
    /// throttles per account and region (`throttle`), so this only bounds
    /// the connections and memory of the collector itself.
    pub max_concurrency: usize,
    /// Accounts collected at once. Each is checkpointed to disk when done, so
    /// this bounds the collector's memory; it needs to be only large enough
    /// to keep `max_concurrency` calls busy.
    pub accounts_in_flight: usize,
    /// The client-side token buckets, per account, region and service.
    pub throttle: Throttle,
    /// Only this share of the accounts (`collect --shard I/N`); a run's
    /// parameter, not a setting, so never read from or written to a file.
    #[serde(skip)]
    pub shard: Option<crate::model::Shard>,
    /// Attempts per call, retries with backoff on throttling and 5xx included.
    pub max_attempts: u32,
    /// The first retry's backoff; later ones grow exponentially, with jitter.
    pub initial_backoff_ms: u64,
    /// Time limit of one attempt of one call.
    pub call_timeout_secs: u64,
}

impl Default for Collect {
    fn default() -> Self {
        Collect {
            role_name: "OrganizationAccountAccessRole".into(),
            external_id: None,
            session_name: "sgaudit".into(),
            profile: None,
            home_region: None,
            regions: Vec::new(),
            accounts: Vec::new(),
            ous: Vec::new(),
            exclude_accounts: Vec::new(),
            assume_role_in_caller_account: false,
            max_concurrency: 128,
            accounts_in_flight: 64,
            throttle: Throttle::default(),
            shard: None,
            max_attempts: 5,
            initial_backoff_ms: 1000,
            call_timeout_secs: 30,
        }
    }
}

/// A token bucket: `burst` requests at once, then `per_second`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub burst: u32,
    pub per_second: f64,
}

impl Rate {
    const fn new(burst: u32, per_second: f64) -> Self {
        Rate { burst, per_second }
    }
}

/// `[collect.throttle]`: the buckets every request takes a token from, one
/// per account, region and service (per account for the global services).
/// EC2's are AWS's published figures for a non-mutating action; the others
/// publish none, and the defaults are conservative.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Throttle {
    pub ec2: Rate,
    /// Classic and v2 load balancers (one endpoint).
    pub elasticloadbalancing: Rate,
    pub rds: Rate,
    pub ssm: Rate,
    pub sts: Rate,
    pub organizations: Rate,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            ec2: Rate::new(100, 20.0),
            elasticloadbalancing: Rate::new(20, 10.0),
            rds: Rate::new(20, 5.0),
            ssm: Rate::new(20, 5.0),
            sts: Rate::new(50, 20.0),
            organizations: Rate::new(10, 5.0),
        }
    }
}

impl Throttle {
    /// Every rate, by its key, for validation.
    pub fn rates(&self) -> [(&'static str, Rate); 6] {
        [
            ("ec2", self.ec2),
            ("elasticloadbalancing", self.elasticloadbalancing),
            ("rds", self.rds),
            ("ssm", self.ssm),
            ("sts", self.sts),
            ("organizations", self.organizations),
        ]
    }
}
