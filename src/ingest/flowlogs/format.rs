//! The text formats of VPC Flow Logs: the default (version 2) and custom
//! formats, whose header line names the fields in their order.
//!
//! Files delivered to S3 begin with that header line; a file without one is
//! read as the default format. Every field AWS defines is known (and the ones
//! attribution needs are read); a name outside that list is an error, so that
//! a typo in a format never silently shifts the columns.

use std::net::IpAddr;

use crate::model::usage::{FlowAction, FlowDirection, FlowRecord, LogStatus};

/// Every field of the flow-log record formats (versions 2 to 10), as the
/// header line names them.
pub const KNOWN_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
    "resource-id",
    "encryption-status",
];

/// The default format's fields, in order: the first fourteen (version 2).
pub const DEFAULT_FORMAT: &[&str] = KNOWN_FIELDS.split_at(14).0;

/// Without these, a record cannot be attributed to a rule or to a time.
const REQUIRED: &[&str] = &[
    "interface-id",
    "srcaddr",
    "dstaddr",
    "dstport",
    "protocol",
    "start",
    "end",
    "action",
    "log-status",
];

/// What a column is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Ignored,
    Account,
    Interface,
    Src,
    Dst,
    PktSrc,
    PktDst,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    Status,
    Direction,
    Flags,
}

fn slot(name: &str) -> Slot {
    match name {
        "account-id" => Slot::Account,
        "interface-id" => Slot::Interface,
        "srcaddr" => Slot::Src,
        "dstaddr" => Slot::Dst,
        "pkt-srcaddr" => Slot::PktSrc,
        "pkt-dstaddr" => Slot::PktDst,
        "srcport" => Slot::SrcPort,
        "dstport" => Slot::DstPort,
        "protocol" => Slot::Protocol,
        "packets" => Slot::Packets,
        "bytes" => Slot::Bytes,
        "start" => Slot::Start,
        "end" => Slot::End,
        "action" => Slot::Action,
        "log-status" => Slot::Status,
        "flow-direction" => Slot::Direction,
        "tcp-flags" => Slot::Flags,
        _ => Slot::Ignored,
    }
}

/// A record format: the meaning of each column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    names: Vec<&'static str>,
    slots: Vec<Slot>,
}

/// A header line that is not a flow-log format.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("column {column}: `{name}` is not a flow-log field (the fields are listed at https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html)")]
    Unknown { column: usize, name: String },
    #[error("the field `{0}` appears twice")]
    Repeated(&'static str),
    #[error("the format has no `{0}` field, which sgaudit needs to attribute a record to a rule; add it to the flow log's format")]
    Missing(&'static str),
}

/// A line that does not fit its format.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("{found} fields, but the format has {expected}{}", if *.headerless { " (a file without a header line must be in the default format)" } else { "" })]
    FieldCount {
        found: usize,
        expected: usize,
        headerless: bool,
    },
    #[error("`start` {start} and `end` {end} are not a time span between 2015 and 2100 in Unix seconds")]
    Times { start: i64, end: i64 },
    #[error("field `{field}` (column {column}): `{value}` is not {what}")]
    Value {
        field: &'static str,
        column: usize,
        value: String,
        what: &'static str,
    },
}

impl Format {
    pub fn default_v2() -> Format {
        Format::from_names(DEFAULT_FORMAT.iter().copied()).expect("the default format is valid")
    }

    /// The format a header line names (`version account-id interface-id …`).
    pub fn from_header(line: &str) -> Result<Format, HeaderError> {
        let mut names = Vec::new();
        for (i, name) in line.split_ascii_whitespace().enumerate() {
            match KNOWN_FIELDS.iter().find(|k| **k == name) {
                Some(k) => names.push(*k),
                None => {
                    return Err(HeaderError::Unknown {
                        column: i + 1,
                        name: name.chars().take(60).flat_map(char::escape_debug).collect(),
                    })
                }
            }
        }
        Format::from_names(names.into_iter())
    }

    fn from_names(names: impl Iterator<Item = &'static str>) -> Result<Format, HeaderError> {
        let names: Vec<&'static str> = names.collect();
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(HeaderError::Repeated(n));
            }
        }
        if let Some(missing) = REQUIRED.iter().find(|r| !names.contains(r)) {
            return Err(HeaderError::Missing(missing));
        }
        let slots = names.iter().map(|n| slot(n)).collect();
        Ok(Format { names, slots })
    }

    /// Whether a first line is a header: its first word is a field name.
    pub fn is_header(line: &str) -> bool {
        line.split_ascii_whitespace()
            .next()
            .is_some_and(|w| KNOWN_FIELDS.contains(&w))
    }

    /// Parse one line (without its line break).
    pub fn parse<'a>(&self, line: &'a str, headerless: bool) -> Result<FlowRecord<'a>, LineError> {
        let mut r = FlowRecord::default();
        let mut n = 0;
        for (i, value) in (Fields { line, pos: 0 }).enumerate() {
            n += 1;
            let Some(&slot) = self.slots.get(i) else { continue };
            if value == "-" || slot == Slot::Ignored {
                continue;
            }
            let bad = |what| LineError::Value {
                field: self.names[i],
                column: i + 1,
                value: value.chars().take(60).flat_map(char::escape_debug).collect(),
                what,
            };
            match slot {
                Slot::Ignored => {}
                Slot::Account => r.account_id = Some(value),
                Slot::Interface => r.interface_id = Some(value),
                Slot::Src => r.srcaddr = Some(addr(value).ok_or_else(|| bad("an IP address"))?),
                Slot::Dst => r.dstaddr = Some(addr(value).ok_or_else(|| bad("an IP address"))?),
                Slot::PktSrc => r.pkt_srcaddr = Some(addr(value).ok_or_else(|| bad("an IP address"))?),
                Slot::PktDst => r.pkt_dstaddr = Some(addr(value).ok_or_else(|| bad("an IP address"))?),
                Slot::SrcPort => r.srcport = Some(number(value).ok_or_else(|| bad("a port (0-65535)"))?),
                Slot::DstPort => r.dstport = Some(number(value).ok_or_else(|| bad("a port (0-65535)"))?),
                Slot::Protocol => {
                    r.protocol = Some(number(value).ok_or_else(|| bad("an IANA protocol number (0-255)"))?)
                }
                Slot::Packets => r.packets = number(value).ok_or_else(|| bad("a count"))?,
                Slot::Bytes => r.bytes = number(value).ok_or_else(|| bad("a count"))?,
                Slot::Start => r.start = number(value).ok_or_else(|| bad("a time in Unix seconds"))?,
                Slot::End => r.end = number(value).ok_or_else(|| bad("a time in Unix seconds"))?,
                Slot::Action => {
                    r.action = Some(match value {
                        "ACCEPT" => FlowAction::Accept,
                        "REJECT" => FlowAction::Reject,
                        _ => return Err(bad("ACCEPT or REJECT")),
                    })
                }
                Slot::Status => {
                    r.log_status = Some(match value {
                        "OK" => LogStatus::Ok,
                        "NODATA" => LogStatus::NoData,
                        "SKIPDATA" => LogStatus::SkipData,
                        _ => return Err(bad("OK, NODATA or SKIPDATA")),
                    })
                }
                Slot::Direction => {
                    r.flow_direction = Some(match value {
                        "ingress" => FlowDirection::Ingress,
                        "egress" => FlowDirection::Egress,
                        _ => return Err(bad("ingress or egress")),
                    })
                }
                Slot::Flags => r.tcp_flags = Some(number(value).ok_or_else(|| bad("a number"))?),
            }
        }
        if n != self.slots.len() {
            return Err(LineError::FieldCount {
                found: n,
                expected: self.slots.len(),
                headerless,
            });
        }
        // Times from the first flow logs (2015) to 2100, start before end.
        const EARLIEST: i64 = 1_420_070_400;
        const LATEST: i64 = 4_102_444_800;
        if !(EARLIEST..=LATEST).contains(&r.start) || !(r.start..=LATEST).contains(&r.end) {
            return Err(LineError::Times {
                start: r.start,
                end: r.end,
            });
        }
        Ok(r)
    }
}

/// Space-separated fields, without `str::split`'s per-field search set-up.
struct Fields<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;
    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let b = self.line.as_bytes();
        while self.pos < b.len() && b[self.pos] == b' ' {
            self.pos += 1;
        }
        if self.pos == b.len() {
            return None;
        }
        let start = self.pos;
        while self.pos < b.len() && b[self.pos] != b' ' {
            self.pos += 1;
        }
        // Both ends are at ASCII spaces or the ends: char boundaries.
        Some(&self.line[start..self.pos])
    }
}

fn addr(s: &str) -> Option<IpAddr> {
    match ipv4(s.as_bytes()) {
        Some(a) => Some(IpAddr::V4(a)),
        None => s.parse().ok(),
    }
}

/// A dotted-quad IPv4 address, quickly (most addresses in flow logs are).
#[inline]
fn ipv4(b: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let (mut i, mut cur, mut digits) = (0usize, 0u32, 0u8);
    for &c in b {
        if c == b'.' {
            if digits == 0 || i == 3 {
                return None;
            }
            octets[i] = cur as u8;
            (i, cur, digits) = (i + 1, 0, 0);
        } else if c.is_ascii_digit() {
            cur = cur * 10 + u32::from(c - b'0');
            digits += 1;
            if digits > 3 || cur > 255 {
                return None;
            }
        } else {
            return None;
        }
    }
    if i != 3 || digits == 0 {
        return None;
    }
    octets[3] = cur as u8;
    Some(octets.into())
}

/// A decimal number, without the generic parser's overhead.
fn number<T: TryFrom<u64>>(s: &str) -> Option<T> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    T::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: &str = "2 123456789012 eni-0a1 198.51.100.7 10.0.1.10 51234 22 6 10 840 1764547200 1764547260 ACCEPT OK";

    #[test]
    fn the_default_format_reads() {
        let r = Format::default_v2().parse(V2, true).unwrap();
        assert_eq!(r.interface_id, Some("eni-0a1"));
        assert_eq!(r.srcaddr, Some("198.51.100.7".parse().unwrap()));
        assert_eq!((r.srcport, r.dstport, r.protocol), (Some(51234), Some(22), Some(6)));
        assert_eq!((r.packets, r.bytes, r.start, r.end), (10, 840, 1764547200, 1764547260));
        assert_eq!(
            (r.action, r.log_status),
            (Some(FlowAction::Accept), Some(LogStatus::Ok))
        );
    }

    #[test]
    fn a_custom_format_in_any_order_reads_by_its_header() {
        let header = "flow-direction tcp-flags interface-id dstport srcport dstaddr srcaddr protocol start end action \
                      log-status pkt-srcaddr vpc-id traffic-path";
        let f = Format::from_header(header).unwrap();
        let r = f
            .parse(
                "ingress 2 eni-9 443 50000 10.0.1.10 10.0.3.3 6 1793491200 1793491260 ACCEPT OK 203.0.113.9 vpc-1 -",
                false,
            )
            .unwrap();
        assert_eq!(r.flow_direction, Some(FlowDirection::Ingress));
        assert_eq!(r.tcp_flags, Some(2));
        assert_eq!(r.pkt_srcaddr, Some("203.0.113.9".parse().unwrap()));
        assert_eq!(r.dstport, Some(443));
    }

    #[test]
    fn addresses_parse_quickly_and_correctly() {
        for ok in [
            "0.0.0.0",
            "198.51.100.7",
            "255.255.255.255",
            "2001:db8::1",
            "::ffff:1.2.3.4",
        ] {
            assert_eq!(addr(ok), ok.parse().ok(), "{ok}");
        }
        for bad in ["256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "", "1.2.3.4 "] {
            assert_eq!(addr(bad), None, "{bad}");
        }
    }

    #[test]
    fn nodata_records_carry_dashes() {
        let r = Format::default_v2()
            .parse(
                "2 123456789012 eni-0a1 - - - - - - - 1764547200 1764547260 - NODATA",
                true,
            )
            .unwrap();
        assert_eq!(r.log_status, Some(LogStatus::NoData));
        assert_eq!(r.srcaddr, None);
    }

    #[test]
    fn a_header_naming_an_unknown_field_is_refused_with_its_column() {
        let e = Format::from_header("version account-id interface-id src-addr").unwrap_err();
        assert_eq!(
            e,
            HeaderError::Unknown {
                column: 4,
                name: "src-addr".into()
            }
        );
        assert!(e.to_string().contains("`src-addr` is not a flow-log field"), "{e}");
    }

    #[test]
    fn a_format_without_what_attribution_needs_is_refused() {
        let e = Format::from_header("version account-id srcaddr dstaddr").unwrap_err();
        assert_eq!(e, HeaderError::Missing("interface-id"));
    }

    #[test]
    fn a_short_line_and_a_bad_value_name_what_is_wrong() {
        let f = Format::default_v2();
        let e = f.parse("2 123456789012 eni-0a1 198.51.100.7", true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "4 fields, but the format has 14 (a file without a header line must be in the default format)"
        );
        let e = f.parse(&V2.replace(" 22 ", " ssh "), true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `dstport` (column 7): `ssh` is not a port (0-65535)"
        );
    }
}
