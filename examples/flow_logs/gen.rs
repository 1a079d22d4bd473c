//! Flow-log records for a snapshot, written as VPC Flow Logs delivers them to
//! S3: the generator behind `examples/flow_logs` (benchmarks) and the usage
//! tests (`tests/integration/usage.rs` includes this file).
//!
//! Two ways to use it: chosen records (`Record::inbound` from a source to a
//! rule's port, `Record::reply`, `Record::rejected`, `Record::nodata`,
//! `Record::skipdata`), or [`synthetic`] traffic for every interface of a
//! snapshot. [`write_delivery`] lays them out as
//! `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/…log.gz`, in the
//! default format or a custom one with `flow-direction` and `tcp-flags`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use sgaudit::model::Snapshot;

/// One record, in the fields any format may carry.
#[derive(Clone, Debug)]
pub struct Record {
    pub account: String,
    pub vpc: String,
    pub interface: String,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub packets: u64,
    pub bytes: u64,
    pub start: i64,
    pub end: i64,
    pub action: &'static str,
    pub status: &'static str,
    pub direction: &'static str,
    pub flags: u16,
}

impl Record {
    /// A new TCP connection from `src` to the interface's `dst:port`, at `start`.
    pub fn inbound(account: &str, eni: &str, src: &str, dst: &str, port: u16, start: i64) -> Record {
        Record {
            account: account.into(),
            vpc: "-".into(),
            interface: eni.into(),
            src: src.parse().ok(),
            dst: dst.parse().ok(),
            src_port: 40_000 + (start % 20_000) as u16,
            dst_port: port,
            protocol: 6,
            packets: 12,
            bytes: 2_400,
            start,
            end: start + 60,
            action: "ACCEPT",
            status: "OK",
            direction: "ingress",
            flags: 3, // SYN, FIN: the opener's leg
        }
    }

    /// The answer to a connection the interface opened to `server:port`.
    pub fn reply(account: &str, eni: &str, server: &str, port: u16, own: &str, start: i64) -> Record {
        Record {
            src_port: port,
            dst_port: 40_001,
            flags: 19, // SYN-ACK, FIN
            ..Record::inbound(account, eni, server, own, 0, start)
        }
    }

    /// Like [`Record::inbound`], rejected.
    pub fn rejected(account: &str, eni: &str, src: &str, dst: &str, port: u16, start: i64) -> Record {
        Record {
            action: "REJECT",
            flags: 2,
            ..Record::inbound(account, eni, src, dst, port, start)
        }
    }

    /// An interval with no traffic.
    pub fn nodata(account: &str, eni: &str, start: i64) -> Record {
        Record {
            src: None,
            dst: None,
            action: "-",
            status: "NODATA",
            ..Record::inbound(account, eni, "-", "-", 0, start)
        }
    }

    /// An interval whose records AWS skipped.
    pub fn skipdata(account: &str, eni: &str, start: i64) -> Record {
        Record {
            status: "SKIPDATA",
            ..Record::nodata(account, eni, start)
        }
    }
}

/// The record formats written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Version 2, the default, with its header line (as S3 delivery writes it).
    Default,
    /// A custom format, fields in another order, with `flow-direction`,
    /// `tcp-flags`, `vpc-id`, `pkt-srcaddr` and `pkt-dstaddr`.
    Custom,
}

const DEFAULT_HEADER: &str =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
const CUSTOM_HEADER: &str =
    "version vpc-id interface-id flow-direction srcaddr dstaddr srcport dstport protocol tcp-flags \
                             packets bytes start end action log-status pkt-srcaddr pkt-dstaddr traffic-path account-id";

fn dash<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// One line of `layout` (without its line break).
pub fn line(r: &Record, layout: Layout, out: &mut String) {
    use std::fmt::Write as _;
    let (src, dst) = (dash(r.src), dash(r.dst));
    let nodata = r.status != "OK";
    let n = |v: u64| if nodata { "-".to_string() } else { v.to_string() };
    let (sp, dp, proto) = (n(r.src_port.into()), n(r.dst_port.into()), n(r.protocol.into()));
    let (packets, bytes) = (n(r.packets), n(r.bytes));
    let _ = match layout {
        Layout::Default => write!(
            out,
            "2 {} {} {src} {dst} {sp} {dp} {proto} {packets} {bytes} {} {} {} {}",
            r.account, r.interface, r.start, r.end, r.action, r.status
        ),
        Layout::Custom => write!(
            out,
            "5 {} {} {} {src} {dst} {sp} {dp} {proto} {} {packets} {bytes} {} {} {} {} {src} {dst} {} {}",
            r.vpc,
            r.interface,
            if nodata { "-" } else { r.direction },
            if nodata { "-".to_string() } else { r.flags.to_string() },
            r.start,
            r.end,
            r.action,
            r.status,
            if nodata { "-" } else { "1" },
            r.account
        ),
    };
}

/// The records as one file's text: the header line, then a line each.
pub fn render(records: &[Record], layout: Layout) -> String {
    let mut out = String::with_capacity(records.len() * 120 + 200);
    out.push_str(match layout {
        Layout::Default => DEFAULT_HEADER,
        Layout::Custom => CUSTOM_HEADER,
    });
    out.push('\n');
    for r in records {
        line(r, layout, &mut out);
        out.push('\n');
    }
    out
}

pub fn gzip(text: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(text.len() / 6), flate2::Compression::fast());
    e.write_all(text).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// Where S3 delivery puts the records of `account` in `region` that start in
/// the hour of `start` (relative to `root`).
pub fn delivery_key(account: &str, region: &str, start: i64, part: usize) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(start - start.rem_euclid(3600)).expect("a valid time");
    format!(
        "AWSLogs/{account}/vpcflowlogs/{region}/{:04}/{:02}/{:02}/{account}_vpcflowlogs_{region}_fl-0sgaudit_{:04}{:02}{:02}T{:02}00Z_{part:04}.log.gz",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour()
    )
}

/// Write `records` under `root` in the delivery layout, one gzip file per
/// account and hour; returns the files' paths, sorted.
pub fn write_delivery(root: &Path, region: &str, records: &[Record], layout: Layout) -> Vec<PathBuf> {
    let mut by_file: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for r in records {
        by_file
            .entry(delivery_key(&r.account, region, r.start, 0))
            .or_default()
            .push(r.clone());
    }
    by_file
        .into_iter()
        .map(|(key, recs)| {
            let path = root.join(key);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("creating the delivery folders");
            std::fs::write(&path, gzip(render(&recs, layout).as_bytes())).expect("writing a log file");
            path
        })
        .collect()
}

/// A small, fast, seeded random source.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One interface, with what synthetic traffic may reach it.
pub struct Target {
    pub account: String,
    pub region: String,
    pub vpc: String,
    pub interface: String,
    pub address: IpAddr,
    /// (protocol number, port, a source the rule admits)
    pub doors: Vec<(u8, u16, IpAddr)>,
}

/// Every interface of the snapshot with an address and at least one inbound
/// rule a record can be sent to (CIDR sources only: an address inside the range).
pub fn targets(snapshot: &Snapshot) -> Vec<Target> {
    let mut out = Vec::new();
    for a in &snapshot.accounts {
        for r in &a.regions {
            let groups: BTreeMap<&str, &sgaudit::model::SecurityGroup> =
                r.security_groups.iter().map(|g| (g.group_id.as_str(), g)).collect();
            for eni in &r.network_interfaces {
                let Some(address) = eni.private_ip_address.as_deref().and_then(|a| a.parse().ok()) else {
                    continue;
                };
                let mut doors = Vec::new();
                for g in eni.groups.iter().filter_map(|g| groups.get(g.group_id.as_str())) {
                    for p in &g.ip_permissions {
                        let proto = match p.ip_protocol.number() {
                            6 => 6u8,
                            17 => 17,
                            -1 => 6,
                            _ => continue,
                        };
                        let port = p.from_port.filter(|f| *f >= 0).unwrap_or(443) as u16;
                        for range in &p.ip_ranges {
                            let net = range.cidr_ip.net();
                            // An address inside the range, away from its network address.
                            let src = match net {
                                ipnet::IpNet::V4(n) => {
                                    let base = u32::from(n.network());
                                    let span = if n.prefix_len() >= 31 {
                                        0
                                    } else {
                                        ((1u64 << (32 - n.prefix_len())) - 2).min(1 << 20) as u32
                                    };
                                    IpAddr::V4((base + 1 + (span / 3)).into())
                                }
                                ipnet::IpNet::V6(n) => IpAddr::V6((u128::from(n.network()) + 7).into()),
                            };
                            doors.push((proto, port, src));
                        }
                    }
                }
                if doors.is_empty() {
                    continue;
                }
                out.push(Target {
                    account: a.account_id.to_string(),
                    region: r.region.to_string(),
                    vpc: eni.vpc_id.as_ref().map_or_else(|| "-".into(), |v| v.to_string()),
                    interface: eni.network_interface_id.to_string(),
                    address,
                    doors,
                });
            }
        }
    }
    out
}

/// `n` records of synthetic traffic to `t` in the hour starting at `hour_start`:
/// mostly new connections through its rules (from up to 16 sources each),
/// with replies, rejected probes and, for idle hours, NODATA.
pub fn synthetic(t: &Target, hour_start: i64, n: usize, rng: &mut Rng, out: &mut Vec<Record>) {
    if n == 0 {
        out.push(Record {
            vpc: t.vpc.clone(),
            ..Record::nodata(&t.account, &t.interface, hour_start)
        });
        return;
    }
    for _ in 0..n {
        let start = hour_start + rng.below(3540) as i64;
        let roll = rng.below(100);
        let (proto, port, src) = t.doors[rng.below(t.doors.len() as u64) as usize];
        let src = match src {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) + rng.below(16) as u32).into()),
            v6 => v6,
        };
        let mut r = Record::inbound(&t.account, &t.interface, "-", "-", port, start);
        r.vpc = t.vpc.clone();
        r.src = Some(src);
        r.dst = Some(t.address);
        r.protocol = proto;
        r.packets = 1 + rng.below(40);
        r.bytes = r.packets * (60 + rng.below(1400));
        if roll < 15 {
            // The answer to a call of ours to an HTTPS service.
            r.src_port = 443;
            r.dst_port = 32_768 + rng.below(28_000) as u16;
            r.flags = 19;
        } else if roll < 25 {
            r.action = "REJECT";
            r.flags = 2;
        }
        out.push(r);
    }
}
