//! `usage.json`: which security-group rules VPC Flow Logs show in use.
//!
//! `sgaudit usage` reads flow-log records and writes this summary; `assess
//! --usage` reads it back. Like the snapshot it is evidence: it names every log
//! object it read with its digest, so that an auditor can trace each figure to
//! its log files, and the reports re-render from it byte for byte. It holds
//! counts and sources, never the records themselves.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::ids::{AccountId, NetworkInterfaceId, Region, SecurityGroupId};
use super::snapshot::ToolInfo;

/// The schema version of `usage.json` this build reads and writes.
pub const USAGE_SCHEMA_VERSION: u32 = 1;

/// What the flow logs of a window say about the rules of one snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// The snapshot whose interfaces and rules the records were attributed to.
    pub snapshot: SnapshotRef,
    pub window: Window,
    /// Every log object read (or that failed to read), sorted by location.
    pub objects: Vec<LogObject>,
    pub records: RecordCounts,
    /// Every interface of the snapshot's groups, sorted by account, region, id.
    pub interfaces: Vec<InterfaceUsage>,
    /// Every group with at least one interface, sorted by account, region, id;
    /// each with every inbound rule, used or not.
    pub groups: Vec<GroupUsage>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRef {
    /// `sha256:<hex>` of the snapshot file.
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
}

/// The time the records cover: from `--since` and `--until`, or else from
/// the first record's start to the last record's end, in whole hours.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Window {
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
    pub hours: u32,
}

impl Window {
    pub fn days(&self) -> u32 {
        self.hours / 24
    }
}

/// One file or S3 object of flow-log records.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LogObject {
    /// A path as given (or found under a given folder), or `s3://bucket/key`.
    pub location: String,
    pub size: u64,
    /// `sha256:<hex>` of the bytes read (compressed, as stored).
    pub sha256: String,
    /// The S3 object's ETag, for objects read from S3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    pub records: u64,
    /// Why the object could not be read (fully): its records are a gap in
    /// coverage, not a failed run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the records were, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCounts {
    pub total: u64,
    /// Accepted traffic arriving at an interface of the snapshot as a new
    /// connection: the flows attributed to rules.
    pub inbound: u64,
    /// The return leg of a connection the interface opened (stateful: no
    /// inbound rule is needed for it).
    pub replies: u64,
    /// Traffic leaving the interface.
    pub outbound: u64,
    pub rejected: u64,
    /// Covered time with no traffic.
    pub nodata: u64,
    /// A gap in coverage: the records of that interval were skipped by AWS.
    pub skipdata: u64,
    /// For an interface the snapshot does not know.
    pub unknown_interface: u64,
    /// Accepted inbound traffic that no rule of the interface's groups admits
    /// (the groups changed since, or the records belong to another snapshot).
    pub unmatched: u64,
    /// Outside `--since`/`--until`.
    pub outside_window: u64,
}

/// How much of the window one interface's records cover.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceUsage {
    pub account_id: AccountId,
    pub region: Region,
    pub interface_id: NetworkInterfaceId,
    /// Hours of the window with at least one record (`OK` or `NODATA`).
    pub covered_hours: u32,
    /// Hours with a `SKIPDATA` record and no other.
    pub skipped_hours: u32,
    pub records: u64,
    /// The snapshot's flow logs for the interface (its own, its subnet's, its
    /// VPC's) record rejected traffic only: its records cannot show a rule
    /// in use, so its coverage counts as none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rejects_only: bool,
    /// Neither the snapshot's flow logs nor an accepted record show that its
    /// records include accepted traffic: its coverage counts as none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accepts_unproven: bool,
}

/// One group: its interfaces' coverage and every inbound rule's use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupUsage {
    pub account_id: AccountId,
    pub region: Region,
    pub group_id: SecurityGroupId,
    pub interfaces: Vec<NetworkInterfaceId>,
    /// The least-covered interface's covered hours: a rule is known unused
    /// only as far as every interface it guards was watched.
    pub covered_hours: u32,
    /// Log objects that could not be read and may hold records of the
    /// group's interfaces (those of its account and region in the delivery
    /// layout, or any whose path does not say).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unread_objects: u32,
    pub rules: Vec<RuleUsage>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl GroupUsage {
    pub fn covered_days(&self) -> u32 {
        self.covered_hours / 24
    }

    /// The rule with this canonical key (`RuleKey::canonical`).
    pub fn rule(&self, key: &str) -> Option<&RuleUsage> {
        self.rules.iter().find(|r| r.key == key)
    }
}

/// One inbound rule: the flows it admitted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleUsage {
    /// The rule's canonical key: `ingress tcp 22-22 cidr:0.0.0.0/0`.
    pub key: String,
    pub flows: u64,
    pub packets: u64,
    pub bytes: u64,
    /// Exact when `sources_complete`; otherwise at least this many.
    pub distinct_sources: u64,
    /// Whether every source was counted exactly (at most
    /// [`MAX_TRACKED_SOURCES`] of them).
    pub sources_complete: bool,
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub first_seen: Option<OffsetDateTime>,
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_seen: Option<OffsetDateTime>,
    /// The busiest sources, most flows first (at most ten).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_sources: Vec<SourceCount>,
    /// Every source, by address, when `sources_complete`. (When it is not,
    /// `top_sources` is left empty too: which sources a bounded summary keeps
    /// depends on how the records were split among threads.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceCount>,
}

/// How many sources a rule's summary counts exactly; past this, the busiest
/// are kept by a bounded sketch and the rest are only counted.
pub const MAX_TRACKED_SOURCES: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCount {
    pub address: IpAddr,
    pub flows: u64,
}

impl Usage {
    /// The usage of one group, if the summary has it.
    pub fn group(&self, account: &AccountId, region: &Region, group: &SecurityGroupId) -> Option<&GroupUsage> {
        self.groups
            .binary_search_by(|g| (&g.account_id, &g.region, &g.group_id).cmp(&(account, region, group)))
            .ok()
            .map(|i| &self.groups[i])
    }
}

/// What an object's path says in the S3 delivery layout of flow logs,
/// `…/AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/…` (or, for the day,
/// Hive-style `…/year=2026/month=11/day=29/…`), as far as it says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryPath<'a> {
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    /// The day the records in it started on (UTC).
    pub day: Option<time::Date>,
}

impl<'a> DeliveryPath<'a> {
    pub fn of(location: &'a str) -> DeliveryPath<'a> {
        let parts: Vec<&str> = location.split(['/', '\\']).collect();
        let number = |s: &str| s.parse::<u32>().ok();
        let date = |(y, m, d): (u32, u32, u32)| {
            let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
            time::Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()
        };
        match parts.iter().position(|p| *p == "vpcflowlogs") {
            Some(i) => DeliveryPath {
                account: i.checked_sub(1).map(|a| parts[a]),
                region: parts.get(i + 1).copied(),
                day: parts
                    .get(i + 2..i + 5)
                    .and_then(|r| Some((number(r[0])?, number(r[1])?, number(r[2])?)))
                    .and_then(date),
            },
            None => {
                let find = |key: &str| parts.iter().find_map(|p| p.strip_prefix(key)).and_then(number);
                DeliveryPath {
                    day: (|| Some((find("year=")?, find("month=")?, find("day=")?)))().and_then(date),
                    ..Default::default()
                }
            }
        }
    }
}

/// One flow-log record, as `analyze::flows` needs it: the parsed fields of one
/// line, borrowing the line's text. A field the log format does not carry (or
/// that holds `-`) is `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FlowRecord<'a> {
    pub account_id: Option<&'a str>,
    pub interface_id: Option<&'a str>,
    pub srcaddr: Option<IpAddr>,
    pub dstaddr: Option<IpAddr>,
    /// The packet's own addresses, where an intermediate layer (a NAT gateway,
    /// a pod's secondary address) makes them differ from `srcaddr`/`dstaddr`.
    pub pkt_srcaddr: Option<IpAddr>,
    pub pkt_dstaddr: Option<IpAddr>,
    pub srcport: Option<u16>,
    pub dstport: Option<u16>,
    /// The IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    pub protocol: Option<u8>,
    pub packets: u64,
    pub bytes: u64,
    /// Unix seconds.
    pub start: i64,
    pub end: i64,
    pub action: Option<FlowAction>,
    pub log_status: Option<LogStatus>,
    pub flow_direction: Option<FlowDirection>,
    /// The OR of the TCP flags seen in the interval (SYN 2, SYN-ACK 18, FIN 1, RST 4).
    pub tcp_flags: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowAction {
    Accept,
    Reject,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStatus {
    Ok,
    NoData,
    SkipData,
}

/// `flow-direction`: whether the packets arrived at the interface or left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowDirection {
    Ingress,
    Egress,
}

/// Where records go as they are read: each reading thread has its own.
pub trait FlowSink: Send {
    fn add(&mut self, record: &FlowRecord<'_>);
}

/// Why `usage.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UsageFileError {
    #[error("cannot read usage summary {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}{}", at_field(.field))]
    Parse {
        path: std::path::PathBuf,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    #[error(
        "{path}: usage schema_version {found} is not supported (this build reads {USAGE_SCHEMA_VERSION}); \
         run `sgaudit usage` again with this version"
    )]
    SchemaVersion { path: std::path::PathBuf, found: String },
}

fn at_field(field: &str) -> String {
    if field.is_empty() || field == "." {
        String::new()
    } else {
        format!(" (at `{field}`)")
    }
}

/// Read `usage.json`, with errors located by line, column and field.
pub fn read_usage(path: &std::path::Path) -> Result<Usage, UsageFileError> {
    let bytes = std::fs::read(path).map_err(|source| UsageFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    #[derive(Deserialize)]
    struct Probe {
        schema_version: Option<serde_json::Value>,
    }
    if let Ok(p) = serde_json::from_slice::<Probe>(&bytes) {
        match p.schema_version {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(USAGE_SCHEMA_VERSION as u64) => {}
            other => {
                return Err(UsageFileError::SchemaVersion {
                    path: path.to_path_buf(),
                    found: other.map_or_else(|| "(none)".to_string(), |v| v.to_string()),
                })
            }
        }
    }
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let mut usage = serde_path_to_error::deserialize::<_, Usage>(&mut de).map_err(|pe| {
        let field = pe.path().to_string();
        let e = pe.into_inner();
        let full = e.to_string();
        let message = full.rfind(" at line ").map_or(full.clone(), |i| full[..i].to_string());
        UsageFileError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            field,
            message,
        }
    })?;
    // Lookups search by account, region and group: an edited file may not be in order.
    usage
        .groups
        .sort_by(|a, b| (&a.account_id, &a.region, &a.group_id).cmp(&(&b.account_id, &b.region, &b.group_id)));
    Ok(usage)
}

/// Write `usage.json` atomically (pretty-printed: it is read by people too).
pub fn write_usage(path: &std::path::Path, usage: &Usage) -> std::io::Result<()> {
    crate::atomic::write_with(path, |f| {
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut w, usage)?;
        std::io::Write::write_all(&mut w, b"\n")?;
        std::io::Write::flush(&mut w)
    })
}
