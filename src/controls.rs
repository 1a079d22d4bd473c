//! The external controls sgaudit's checks map to, as data, each with its source.
//!
//! This is the one place where facts about Security Hub, AWS Config and the CIS
//! AWS Foundations Benchmark live: control ids, their severities, the port
//! lists they name and the benchmark version each number belongs to. Checks
//! point at these constants (the mapping is one-directional, check → control);
//! any per-framework view is generated from the checks' metadata. The default
//! port lists of `config` are taken from here too, so that the configuration a
//! user starts from is the one the controls define.
//!
//! Sources (read 2026-11): the Security Hub CSPM controls reference
//! (<https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html>,
//! `rds-controls.html`, `ssm-controls.html`), the AWS Config managed rules list
//! (<https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html>)
//! and the CIS Amazon Web Services Foundations Benchmark v3.0.0 and v4.0.1.

use serde::Serialize;

use crate::model::ServicePort;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Framework {
    #[serde(rename = "Security Hub")]
    SecurityHub,
    #[serde(rename = "AWS Config")]
    AwsConfig,
    #[serde(rename = "CIS AWS Foundations")]
    Cis,
}

impl Framework {
    pub fn label(self) -> &'static str {
        match self {
            Framework::SecurityHub => "Security Hub",
            Framework::AwsConfig => "AWS Config",
            Framework::Cis => "CIS AWS Foundations",
        }
    }
}

/// One control of an external framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Control {
    pub framework: Framework,
    /// `EC2.13`, `restricted-ssh`, `5.2`.
    pub id: &'static str,
    /// Which edition the id belongs to: a CIS benchmark version, the Security
    /// Hub controls reference, the AWS Config managed-rule catalogue.
    pub version: &'static str,
    pub title: &'static str,
    /// The framework's own severity, where it has one.
    pub severity: Option<&'static str>,
    /// Anything a reader of the mapping must know (a retired control, a
    /// default parameter).
    pub note: Option<&'static str>,
    pub source: &'static str,
}

impl Control {
    /// `Security Hub EC2.13`, `CIS AWS Foundations v3.0.0 5.2`.
    pub fn label(&self) -> String {
        match self.framework {
            Framework::Cis => format!(
                "CIS {} {}",
                self.version.trim_start_matches("CIS AWS Foundations Benchmark "),
                self.id
            ),
            f => format!("{} {}", f.label(), self.id),
        }
    }
}

const SH: &str = "Security Hub CSPM controls reference (2026-11)";
const SH_EC2: &str = "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html";
const CONFIG: &str = "AWS Config managed rules (2026-11)";
const CIS3: &str = "CIS AWS Foundations Benchmark v3.0.0";
const CIS4: &str = "CIS AWS Foundations Benchmark v4.0.1";
const CIS_SRC: &str = "https://www.cisecurity.org/benchmark/amazon_web_services";

macro_rules! control {
    ($name:ident, $fw:ident, $id:literal, $version:expr, $sev:expr, $title:literal, $note:expr, $src:expr) => {
        pub const $name: Control = Control {
            framework: Framework::$fw,
            id: $id,
            version: $version,
            title: $title,
            severity: $sev,
            note: $note,
            source: $src,
        };
    };
}

control!(
    EC2_2,
    SecurityHub,
    "EC2.2",
    SH,
    Some("High"),
    "VPC default security groups should not allow inbound or outbound traffic",
    None,
    SH_EC2
);
control!(
    EC2_6,
    SecurityHub,
    "EC2.6",
    SH,
    Some("Medium"),
    "VPC flow logging should be enabled in all VPCs",
    Some("asks for a flow log on the VPC itself; sgaudit also accepts subnet- and interface-level logs that cover every interface in use"),
    SH_EC2
);
control!(
    EC2_13,
    SecurityHub,
    "EC2.13",
    SH,
    Some("High"),
    "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22",
    None,
    SH_EC2
);
control!(
    EC2_14,
    SecurityHub,
    "EC2.14",
    SH,
    Some("High"),
    "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 3389",
    None,
    SH_EC2
);
control!(
    EC2_18,
    SecurityHub,
    "EC2.18",
    SH,
    Some("High"),
    "Security groups should only allow unrestricted incoming traffic for authorized ports",
    Some("authorizedTcpPorts defaults to 80 and 443; no UDP port is authorized by default"),
    SH_EC2
);
control!(
    EC2_19,
    SecurityHub,
    "EC2.19",
    SH,
    Some("Critical"),
    "Security groups should not allow unrestricted access to ports with high risk",
    Some("names no protocol: sgaudit treats TCP, UDP and -1 alike"),
    SH_EC2
);
control!(
    EC2_21,
    SecurityHub,
    "EC2.21",
    SH,
    Some("Medium"),
    "Network ACLs should not allow ingress from 0.0.0.0/0 to port 22 or port 3389",
    None,
    SH_EC2
);
control!(
    EC2_22,
    SecurityHub,
    "EC2.22",
    SH,
    Some("Medium"),
    "Unused Amazon EC2 security groups should be removed",
    Some("retired from the Foundational Security Best Practices standard in 2023"),
    SH_EC2
);
control!(
    EC2_53,
    SecurityHub,
    "EC2.53",
    SH,
    Some("High"),
    "EC2 security groups should not allow ingress from 0.0.0.0/0 to remote server administration ports",
    Some("backed by vpc-sg-port-restriction-check: ports 22 and 3389, any protocol"),
    SH_EC2
);
control!(
    EC2_54,
    SecurityHub,
    "EC2.54",
    SH,
    Some("High"),
    "EC2 security groups should not allow ingress from ::/0 to remote server administration ports",
    Some("backed by vpc-sg-port-restriction-check: ports 22 and 3389, any protocol"),
    SH_EC2
);
control!(
    RDS_2,
    SecurityHub,
    "RDS.2",
    SH,
    Some("Critical"),
    "RDS DB instances should prohibit public access, as determined by the PubliclyAccessible configuration",
    None,
    "https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html"
);
control!(
    SSM_1,
    SecurityHub,
    "SSM.1",
    SH,
    Some("Medium"),
    "Amazon EC2 instances should be managed by AWS Systems Manager",
    None,
    "https://docs.aws.amazon.com/securityhub/latest/userguide/ssm-controls.html"
);

control!(
    RESTRICTED_SSH,
    AwsConfig,
    "restricted-ssh",
    CONFIG,
    None,
    "Security groups do not allow unrestricted incoming SSH traffic",
    None,
    "https://docs.aws.amazon.com/config/latest/developerguide/restricted-ssh.html"
);
control!(
    RESTRICTED_COMMON_PORTS,
    AwsConfig,
    "restricted-common-ports",
    CONFIG,
    None,
    "Security groups do not allow unrestricted incoming TCP traffic to the blocked ports",
    Some("blocks TCP 20, 21, 3389, 3306 and 4333 by default; RDP needs 3389 among the parameters"),
    "https://docs.aws.amazon.com/config/latest/developerguide/restricted-common-ports.html"
);
control!(
    VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS,
    AwsConfig,
    "vpc-sg-open-only-to-authorized-ports",
    CONFIG,
    None,
    "Security groups with 0.0.0.0/0 open only the authorized TCP and UDP ports",
    Some("authorized port lists have no defaults"),
    "https://docs.aws.amazon.com/config/latest/developerguide/vpc-sg-open-only-to-authorized-ports.html"
);
control!(
    VPC_DEFAULT_SECURITY_GROUP_CLOSED,
    AwsConfig,
    "vpc-default-security-group-closed",
    CONFIG,
    None,
    "Default security groups of VPCs allow no inbound or outbound traffic",
    None,
    "https://docs.aws.amazon.com/config/latest/developerguide/vpc-default-security-group-closed.html"
);
control!(
    VPC_FLOW_LOGS_ENABLED,
    AwsConfig,
    "vpc-flow-logs-enabled",
    CONFIG,
    None,
    "Flow logs are found and enabled for all VPCs",
    None,
    "https://docs.aws.amazon.com/config/latest/developerguide/vpc-flow-logs-enabled.html"
);
control!(
    VPC_SG_PORT_RESTRICTION_CHECK,
    AwsConfig,
    "vpc-sg-port-restriction-check",
    CONFIG,
    None,
    "Security groups restrict incoming traffic to the restricted ports from 0.0.0.0/0 and ::/0",
    Some("defaults: ports 22 and 3389, all protocols, IPv4 and IPv6"),
    "https://docs.aws.amazon.com/config/latest/developerguide/vpc-sg-port-restriction-check.html"
);

control!(
    CIS3_5_1,
    Cis,
    "5.1",
    CIS3,
    None,
    "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC
);
control!(
    CIS3_5_2,
    Cis,
    "5.2",
    CIS3,
    None,
    "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC
);
control!(
    CIS3_5_3,
    Cis,
    "5.3",
    CIS3,
    None,
    "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
    None,
    CIS_SRC
);
control!(
    CIS3_5_4,
    Cis,
    "5.4",
    CIS3,
    None,
    "Ensure the default security group of every VPC restricts all traffic",
    None,
    CIS_SRC
);
control!(
    CIS3_3_7,
    Cis,
    "3.7",
    CIS3,
    None,
    "Ensure VPC flow logging is enabled in all VPCs",
    None,
    CIS_SRC
);
control!(
    CIS4_3_7,
    Cis,
    "3.7",
    CIS4,
    None,
    "Ensure VPC flow logging is enabled in all VPCs",
    None,
    CIS_SRC
);
control!(
    CIS4_5_2,
    Cis,
    "5.2",
    CIS4,
    None,
    "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC
);
control!(
    CIS4_5_3,
    Cis,
    "5.3",
    CIS4,
    None,
    "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC
);
control!(
    CIS4_5_4,
    Cis,
    "5.4",
    CIS4,
    None,
    "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
    None,
    CIS_SRC
);
control!(
    CIS4_5_5,
    Cis,
    "5.5",
    CIS4,
    None,
    "Ensure the default security group of every VPC restricts all traffic",
    None,
    CIS_SRC
);

/// Security Hub EC2.19's 24 high-risk ports. The control names no protocol.
pub const EC2_19_PORTS: [u16; 24] = [
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088,
    8888, 9200, 9300,
];

/// Security Hub EC2.18's default authorized TCP ports (no UDP port by default).
pub const EC2_18_AUTHORIZED_TCP: [u16; 2] = [80, 443];

/// AWS Config `restricted-common-ports` default blocked TCP ports.
pub const RESTRICTED_COMMON_PORTS_DEFAULT: [u16; 5] = [20, 21, 3389, 3306, 4333];

/// The remote administration ports of EC2.53/EC2.54 (`vpc-sg-port-restriction-check`
/// defaults), which apply to any protocol.
pub const REMOTE_ADMIN_PORTS_ANY_PROTOCOL: [u16; 2] = [22, 3389];

/// sgaudit's default administration ports: protocol-aware (an SSH exposure is
/// TCP; RDP also runs over UDP), extended with the usual remote shells and
/// desktops the guidance's "configured list" is for.
pub fn default_admin_ports() -> Vec<ServicePort> {
    vec![
        ServicePort::tcp(22),
        ServicePort::tcp(3389),
        ServicePort::udp(3389),
        "5985-5986/tcp".parse().expect("valid"),
        ServicePort::tcp(23),
        ServicePort::tcp(5900),
    ]
}

pub fn default_high_risk_ports() -> Vec<ServicePort> {
    EC2_19_PORTS.iter().map(|&p| ServicePort::any(p)).collect()
}

pub fn default_authorized_public_ports() -> Vec<ServicePort> {
    EC2_18_AUTHORIZED_TCP.iter().map(|&p| ServicePort::tcp(p)).collect()
}

/// Every control above, for listings and for the consistency tests.
pub const ALL: &[Control] = &[
    EC2_2,
    EC2_6,
    EC2_13,
    EC2_14,
    EC2_18,
    EC2_19,
    EC2_21,
    EC2_22,
    EC2_53,
    EC2_54,
    RDS_2,
    SSM_1,
    RESTRICTED_SSH,
    RESTRICTED_COMMON_PORTS,
    VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS,
    VPC_DEFAULT_SECURITY_GROUP_CLOSED,
    VPC_FLOW_LOGS_ENABLED,
    VPC_SG_PORT_RESTRICTION_CHECK,
    CIS3_3_7,
    CIS3_5_1,
    CIS3_5_2,
    CIS3_5_3,
    CIS3_5_4,
    CIS4_3_7,
    CIS4_5_2,
    CIS4_5_3,
    CIS4_5_4,
    CIS4_5_5,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The control facts the product design lists (the source of each is in
    /// the module doc), as one table: every fact the code
    /// relies on, checked against the constants above.
    #[test]
    fn control_facts_match_the_published_definitions() {
        let severities = [
            ("EC2.2", "High"),
            ("EC2.6", "Medium"),
            ("EC2.13", "High"),
            ("EC2.14", "High"),
            ("EC2.18", "High"),
            ("EC2.19", "Critical"),
            ("EC2.21", "Medium"),
            ("EC2.22", "Medium"),
            ("EC2.53", "High"),
            ("EC2.54", "High"),
            ("RDS.2", "Critical"),
            ("SSM.1", "Medium"),
        ];
        for (id, sev) in severities {
            let c = ALL
                .iter()
                .find(|c| c.framework == Framework::SecurityHub && c.id == id)
                .unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(c.severity, Some(sev), "{id}");
        }
        assert_eq!(
            EC2_19_PORTS,
            [
                20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601,
                8080, 8088, 8888, 9200, 9300
            ]
        );
        assert_eq!(EC2_19_PORTS.len(), 24);
        assert_eq!(EC2_18_AUTHORIZED_TCP, [80, 443]);
        assert_eq!(RESTRICTED_COMMON_PORTS_DEFAULT, [20, 21, 3389, 3306, 4333]);
        assert_eq!(REMOTE_ADMIN_PORTS_ANY_PROTOCOL, [22, 3389]);
        assert!(EC2_22.note.unwrap().contains("retired"));
        // CIS numbering moved by one between v3.0.0 and v4.0.1.
        for (v3, v4) in [
            (CIS3_5_1, CIS4_5_2),
            (CIS3_5_2, CIS4_5_3),
            (CIS3_5_3, CIS4_5_4),
            (CIS3_5_4, CIS4_5_5),
        ] {
            assert_eq!(v3.title, v4.title);
            assert!(v3.version.ends_with("v3.0.0") && v4.version.ends_with("v4.0.1"));
        }
        // ... but not the flow-log recommendation of section 3.
        assert_eq!((CIS3_3_7.id, CIS4_3_7.id), ("3.7", "3.7"));
        assert_eq!(CIS3_3_7.title, CIS4_3_7.title);
        let admin: Vec<String> = default_admin_ports().iter().map(|p| p.to_string()).collect();
        assert_eq!(
            admin,
            ["22/tcp", "3389/tcp", "3389/udp", "5985-5986/tcp", "23/tcp", "5900/tcp"]
        );
    }

    #[test]
    fn control_ids_are_unique_and_versioned() {
        let mut seen = std::collections::HashSet::new();
        for c in ALL {
            assert!(
                seen.insert((c.framework, c.id, c.version)),
                "duplicate {:?} {}",
                c.framework,
                c.id
            );
            assert!(
                !c.version.is_empty() && !c.source.is_empty(),
                "{} lacks a version or source",
                c.id
            );
            if c.framework == Framework::Cis {
                assert!(
                    c.version.contains('v'),
                    "CIS mapping {} names no benchmark version",
                    c.id
                );
            }
        }
    }
}
