//! The command line: argument parsing and the glue between the stages.
//!
//! This is the only place that knows about files, exit codes and the
//! terminal. Each subcommand is a small function that loads its inputs, calls
//! the library, writes its outputs and returns an exit code.

mod assess;
mod checks;
mod collect;
mod diff;
mod import;
mod merge;
mod run;
mod usage;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::analyze::Severity;
use crate::report::Format;

/// Stable exit codes. Scripts may rely on them.
pub mod exit {
    /// Done; everything was assessed.
    pub const OK: u8 = 0;
    /// An error: unreadable input, unwritable output.
    pub const ERROR: u8 = 1;
    /// Bad usage or an invalid config file.
    pub const USAGE: u8 = 2;
    /// Done, but some account, region or service was not collected, so the
    /// assessment is partial (the reports say what and why).
    pub const PARTIAL: u8 = 3;
    /// A `--fail-under` / `--fail-on` gate tripped. Takes precedence over 3.
    pub const GATE: u8 = 4;
    /// `verify` (or a `--baseline`): a file of the evidence package changed,
    /// is missing, or was added.
    pub const TAMPERED: u8 = 5;
}

const AFTER_HELP: &str = "\
Exit codes:
  0  done, everything assessed
  1  error (unreadable snapshot, unwritable output)
  2  usage or configuration error
  3  done, but partial: some account, region or service was not collected
     (its role could not be assumed, a region failed, a service was unavailable)
  4  a --fail-under / --fail-on / --fail-on-new gate tripped (wins over 3)
  5  verify, or a --baseline: a file of the evidence package changed, is missing
     or was added

Examples:
  sgaudit run --out runs/2026-11-25                collect the organization and assess it
  sgaudit collect --out snap.json.gz --regions eu-west-1,us-east-1
  sgaudit assess --snapshot samples/org-snapshot.json --out out/
  sgaudit assess --snapshot snap.json.gz --config sgaudit.toml --out out/ --fail-on critical
  sgaudit import --from export/ --out snap.json    a snapshot from AWS CLI exports
  sgaudit collect --shard 2/3 --out shard-2.json.gz  one machine's share; then sgaudit merge
  sgaudit run --out runs/2026-12-01 --baseline runs/2026-11-01 --fail-on-new high
  sgaudit usage --snapshot snap.json.gz --flow-logs s3://log-archive/AWSLogs/ --out usage.json
  sgaudit assess --snapshot snap.json.gz --usage usage.json --out out/
  sgaudit run --out runs/2026-12-01 --flow-logs s3://log-archive/AWSLogs/ --since 2026-11-01
  sgaudit diff runs/2026-11-01 runs/2026-12-01
  sgaudit verify out/            check the evidence package against its manifest
  sgaudit checks                 list the checks
  sgaudit checks SGA101          explain one check";

/// Assess how well the security groups of an AWS Organization limit network
/// access, account by account, against five questions: admin ports open to
/// the world (Q1), internal services open to anywhere (Q2), how instances are
/// administered (Q3), who defines security groups (Q4), and whether critical
/// applications open only the ports they need (Q5).
#[derive(Debug, Parser)]
#[command(name = "sgaudit", version, about, long_about, after_help = AFTER_HELP)]
pub struct Cli {
    /// More logging on stderr: -v info, -vv debug, -vvv trace.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// No progress or summary on stderr (errors are still printed).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect the organization, then assess it: the snapshot, the reports and
    /// the evidence package in one directory. The main job.
    #[command(after_help = AFTER_HELP)]
    Run(RunArgs),
    /// Collect the organization's network configuration into a snapshot. Reads
    /// only: List/Describe/Get calls and sts:AssumeRole.
    #[command(after_help = AFTER_HELP)]
    Collect(CollectCommand),
    /// Assess a snapshot and write findings, scores and reports. No network.
    #[command(after_help = AFTER_HELP)]
    Assess(AssessArgs),
    /// Join the snapshots of `collect --shard I/N` into one (refusing
    /// overlaps, other organizations and missing shards). No network.
    #[command(after_help = MERGE_HELP)]
    Merge(MergeArgs),
    /// Build a snapshot from AWS CLI exports (the JSON of `aws ec2
    /// describe-security-groups` and the rest), for an assessment without
    /// access to the organization. No network.
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),
    /// Attribute VPC Flow Log records to the security-group rules that admit
    /// them: which rules are used, by whom, and which are not (usage.json,
    /// for `assess --usage`). Reads local files and folders or s3:// prefixes.
    #[command(after_help = USAGE_HELP)]
    Usage(UsageCommand),
    /// Compare two assessments (their directories): findings new, fixed,
    /// persisting, severity-changed or unknown, and the rule-level change log.
    Diff(DiffArgs),
    /// Check an output directory against its manifest: every file's SHA-256,
    /// and no file missing or added.
    Verify(VerifyArgs),
    /// List the checks, or explain one (`sgaudit checks SGA101`).
    Checks(ChecksArgs),
}

const USAGE_HELP: &str = "\
Flow logs: the default (version 2) format or any custom text format (S3 files
carry a header line naming the fields); plain or gzip; files, folders (walked
for *.log, *.log.gz, *.gz, *.txt) or s3://bucket/prefix (s3:ListBucket and
s3:GetObject on the bucket; --flow-logs-role for a log-archive account).
Parquet delivery is not read: choose plain-text. Folders in the delivery
layout (AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/) outside
--since/--until are skipped without being read.

A record counts as a rule's use when it is accepted traffic arriving at an
interface of the snapshot to open a connection (not the reply to one it
opened), for every inbound rule of the interface's groups that admits it.

Exit codes: 0 done; 1 error (nothing could be read); 2 usage error;
3 done, but some log objects could not be read (usage.json names them).

Examples:
  sgaudit usage --snapshot snap.json.gz --flow-logs ./AWSLogs --out usage.json
  sgaudit usage --snapshot snap.json.gz --flow-logs s3://log-archive/AWSLogs/111111111111/ \\
      --flow-logs-role arn:aws:iam::999999999999:role/sgaudit-logs --since 2026-11-01 --out usage.json";

const IMPORT_HELP: &str = "\
Layout (CloudMapper's `collect` writes it too; scripts/export-account.sh writes
it for one account and its enabled regions, using only read-only AWS CLI calls):
  DIR/<account>/<region>/ec2-describe-security-groups.json
  DIR/<account>/<region>/ec2-describe-network-interfaces.json   ...and the rest:
      ec2-describe-{instances,vpcs,subnets,route-tables,internet-gateways,
      network-acls,managed-prefix-lists,vpc-peering-connections,flow-logs},
      elbv2-describe-{load-balancers,target-groups,tags}, elb-describe-load-balancers,
      rds-describe-{db-instances,db-clusters}, ssm-describe-instance-information
  DIR/<account>/<region>/elbv2-describe-listeners/<url-encoded load balancer ARN>
  DIR/<account>/<region>/elbv2-describe-target-health/<url-encoded target group ARN>
  DIR/<account>/<region>/ec2-get-managed-prefix-list-entries/<prefix list id>
A folder that holds region folders directly is one account. <account> is the
account id, or a name (the id is then read from sts-get-caller-identity.json or
the security groups' OwnerId, or given with --account-id).

Each file is the CLI's JSON output: merged by the CLI, or pages (concatenated,
or an array of them); {} is an empty answer. A file that is missing (or holds
an incomplete listing, or was replaced by <name>.error) is reported as not
assessed for that account-region, never read as empty. A file that does not
parse is an error naming its line, column and JSON path; nothing is written.

Exit codes: 0 done; 1 error (unreadable or malformed export); 2 usage error;
3 done, but some account-region or service is not in the export.

Examples:
  scripts/export-account.sh --profile client-audit --out export/
  sgaudit import --from export/ --out snapshot.json
  sgaudit assess --snapshot snapshot.json --out report/";

const MERGE_HELP: &str = "\
A large organization can be collected by several machines at once: each runs
`sgaudit collect --shard I/N` (the accounts whose id hashes to shard I of N;
adding accounts moves no other), then one merges the shards and assesses:

  sgaudit collect --shard 1/3 --out shard-1.json.gz      # on three machines
  sgaudit merge shard-1.json.gz shard-2.json.gz shard-3.json.gz --out org.json.gz
  sgaudit assess --snapshot org.json.gz --out report/

The merged snapshot records each shard's file and SHA-256. config/ has example
manifests for an AWS Batch array job and a Kubernetes Indexed Job.

Exit codes: 0 done; 1 error (unreadable snapshot, shards that do not fit
together); 2 usage error; 3 done, but some account or region was not collected.";

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard snapshots (`.json` or `.json.gz`).
    #[arg(value_name = "SNAPSHOT", required = true)]
    pub snapshots: Vec<PathBuf>,

    /// Where to write the merged snapshot (`.json`, or `.json.gz` to compress).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

fn parse_shard(s: &str) -> Result<crate::model::Shard, String> {
    let bad = || format!("`{s}` is not a shard: write I/N, e.g. 2/3 for the second of three");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count): (u32, u32) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if count == 0 || index == 0 || index > count {
        return Err(format!(
            "`{s}`: the shard must be between 1 and the number of shards (1/{count} to {count}/{count})",
            count = count.max(1)
        ));
    }
    Ok(crate::model::Shard { index, count })
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export: a folder of account folders, or one account's region folders.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,

    /// Where to write the snapshot (`.json`, or `.json.gz` to compress).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// The account of a single-account export whose folder name and data do not say it.
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,

    /// When the export was taken (a date or RFC 3339), if it has no
    /// export-info.json [default: the files' oldest modification time].
    /// Exception expiry is judged as of this time.
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub exported_at: Option<time::OffsetDateTime>,
}

/// Where flow-log records come from, and over what window.
#[derive(Debug, Args, Clone, Default)]
pub struct FlowLogArgs {
    /// Flow-log sources: files, folders, or s3://bucket/prefix (repeat or comma-separate).
    #[arg(long = "flow-logs", value_delimiter = ',', value_name = "SOURCE")]
    pub flow_logs: Vec<String>,

    /// Only records from this time on: a date (2026-11-01, midnight UTC) or RFC 3339.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<time::OffsetDateTime>,

    /// Only records before this time: a date (2026-11-30 means up to the end of that day) or RFC 3339.
    #[arg(long, value_name = "DATE", value_parser = parse_until)]
    pub until: Option<time::OffsetDateTime>,

    /// A role to assume for reading s3:// sources (the log-archive account's).
    #[arg(long, value_name = "ARN")]
    pub flow_logs_role: Option<String>,
}

#[derive(Debug, Args)]
pub struct UsageCommand {
    /// The snapshot whose interfaces and rules the records are attributed to.
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,

    #[command(flatten)]
    pub flow: FlowLogArgs,

    /// Where to write the usage summary (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Configuration file (for [collect]'s credentials and retries when reading S3).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The AWS profile for reading S3 [default: the standard chain].
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
}

fn parse_time(s: &str, end_of_day: bool) -> Result<time::OffsetDateTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(s, &format) {
        Ok(d) => {
            let t = d.midnight().assume_utc();
            Ok(if end_of_day { t + time::Duration::days(1) } else { t })
        }
        Err(_) => Err(format!(
            "`{s}` is not a date (2026-11-01) or an RFC 3339 time (2026-11-01T00:00:00Z)"
        )),
    }
}

fn parse_since(s: &str) -> Result<time::OffsetDateTime, String> {
    parse_time(s, false)
}

fn parse_until(s: &str) -> Result<time::OffsetDateTime, String> {
    parse_time(s, true)
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier assessment's directory.
    #[arg(value_name = "OLD_DIR")]
    pub old: PathBuf,
    /// The later assessment's directory.
    #[arg(value_name = "NEW_DIR")]
    pub new: PathBuf,
    /// Write diff.json, diff.md and diff.csv here (else only the summary on stdout).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The directory `sgaudit assess --out` wrote.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// How to reach the organization. Each flag overrides the config's `[collect]`.
#[derive(Debug, Args, Clone, Default)]
pub struct CollectArgs {
    /// Configuration file (TOML); see config/sgaudit.example.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The role to assume in each account [default: OrganizationAccountAccessRole].
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,

    /// The external id the role's trust policy requires.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// Regions to collect, comma-separated [default: every region enabled in each account].
    #[arg(long, value_delimiter = ',', value_name = "REGIONS")]
    pub regions: Vec<String>,

    /// Collect exactly these accounts, comma-separated, without calling
    /// Organizations (for a caller without Organizations access).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub accounts: Vec<String>,

    /// Only the accounts under these OUs (ou-…), recursively; comma-separated.
    #[arg(long = "ou", value_delimiter = ',', value_name = "OU_IDS")]
    pub ous: Vec<String>,

    /// API calls in flight at once, across all accounts [default: 128]; the
    /// per-account-region token buckets of [collect.throttle] keep within AWS's throttling.
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,

    /// The AWS profile of the caller's credentials [default: the standard chain].
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct CollectCommand {
    #[command(flatten)]
    pub collect: CollectArgs,

    /// Collect only shard I of N: the accounts whose id hashes to it (see
    /// `sgaudit merge --help`).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<crate::model::Shard>,

    /// Where to write the snapshot (`.json`, or `.json.gz` to compress).
    /// Until it is written, every finished account is checkpointed in
    /// FILE.parts/ beside it.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Continue a collection that was interrupted (Ctrl-C, a lost machine,
    /// expired credentials): keep the accounts FILE.parts/ holds complete and
    /// verified, collect the others. Same configuration, caller account and
    /// shard only. Without checkpoints, starts afresh, so a retried batch job
    /// can always pass it.
    #[arg(long)]
    pub resume: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub collect: CollectArgs,

    /// Directory for the snapshot, the reports and the evidence package.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    // With --flow-logs, flow logs are attributed to the collected rules too
    // (usage.json in the package): unused rules and tighter replacements.
    #[command(flatten)]
    pub flow: FlowLogArgs,

    /// Reports to write, comma-separated (the evidence package is always
    /// written); add `ocsf` or `asff` for Security Lake, a SIEM or Security Hub.
    #[arg(long, value_delimiter = ',', default_values_t = Format::DEFAULT.to_vec(), value_name = "FORMATS")]
    pub format: Vec<Format>,

    #[command(flatten)]
    pub gates: Gates,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// The snapshot to assess (`.json` or `.json.gz`), as `sgaudit collect` writes it.
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,

    /// Directory for the reports and the evidence package; created if
    /// missing. Files of the same names are replaced atomically; the manifest
    /// is written last.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Configuration file (TOML); see config/sgaudit.example.toml. Without
    /// it, defaults apply: Q4 is then not assessed (no attestation) and Q5
    /// is not assessed (nothing is marked critical).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// A usage summary from `sgaudit usage` (for the same organization):
    /// rules unused in the flow logs and tighter replacements for world-open ones.
    #[arg(long, value_name = "FILE")]
    pub usage: Option<PathBuf>,

    /// Reports to write, comma-separated (the evidence package is always
    /// written); add `ocsf` or `asff` for Security Lake, a SIEM or Security Hub.
    #[arg(long, value_delimiter = ',', default_values_t = Format::DEFAULT.to_vec(), value_name = "FORMATS")]
    pub format: Vec<Format>,

    #[command(flatten)]
    pub gates: Gates,
}

/// Pipeline gates: exit with code 4 when the assessment is not good enough.
#[derive(Debug, Args, Clone, Default)]
pub struct Gates {
    /// Exit 4 if the organization score is below SCORE (0-100), or cannot be computed.
    #[arg(long, value_name = "SCORE", value_parser = parse_score)]
    pub fail_under: Option<f64>,

    /// Exit 4 if any open finding has this severity or worse.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,

    /// Exit 4 if any open finding new since the baseline has this severity or
    /// worse (needs --baseline): tolerate the backlog, not regressions.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity, requires = "baseline")]
    pub fail_on_new: Option<Severity>,

    /// An earlier assessment's directory (its manifest must verify): findings
    /// keep their first-seen date, new and fixed ones are told apart, the
    /// score trend goes on (diff.json, trend.json).
    #[arg(long, value_name = "PREV_DIR")]
    pub baseline: Option<PathBuf>,
}

fn parse_score(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a score between 0 and 100")),
    }
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct ChecksArgs {
    /// A check id (SGA101) or name (admin-port-open-to-world) to explain.
    pub check: Option<String>,

    /// Print the catalogue as JSON.
    #[arg(long)]
    pub json: bool,

    /// List a framework edition's controls and the checks that map to each
    /// (aws-fsbp, aws-config, cis-aws-3.0.0, cis-aws-4.0.1, cis-aws-5.0.0,
    /// nist-800-53-r5, pci-dss-4.0.1, iso-27001-2022, soc2).
    #[arg(long, value_name = "EDITION", conflicts_with = "check")]
    pub framework: Option<String>,
}

/// Errors that mean "you asked for something invalid" (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args, cli.quiet),
        Command::Collect(args) => collect::run(args, cli.quiet),
        Command::Assess(args) => assess::run(args, cli.quiet),
        Command::Import(args) => import::run(args, cli.quiet),
        Command::Merge(args) => merge::run(args, cli.quiet),
        Command::Usage(args) => usage::run(args, cli.quiet),
        Command::Diff(args) => diff::run(args, cli.quiet),
        Command::Verify(args) => verify::run(args, cli.quiet),
        Command::Checks(args) => checks::run(args),
    }
}

/// Hand freed memory back to the system now (see [`crate::memory`]),
/// between stages that free a lot and stages that allocate a lot.
pub(crate) fn return_freed_memory() {
    if crate::memory::return_freed() {
        tracing::debug!(memory_mib = ?memory_mib(), "freed memory returned");
    }
}

/// The process's resident memory now and at its peak, in MiB, for `-v`
/// (Linux: `/proc/self/status`; elsewhere nothing).
pub(crate) fn memory_mib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
