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
//! and the CIS Amazon Web Services Foundations Benchmark v3.0.0, v4.0.1 and
//! v5.0.0 (its networking numbers as v4.0.1's: 5.1 became the EC2 subsection
//! in v4.0.1, so 5.2-5.5 stayed; flow logs stay 3.7).
//!
//! Interpretive mappings, labelled so in every output ([`Mapping`]): NIST SP
//! 800-53 Rev. 5 (SC-7, SC-7(5), AC-4, CM-7), PCI DSS v4.0.1 requirement 1
//! (1.2, 1.3, 1.4), ISO/IEC 27001:2022 Annex A (8.20, 8.21, 8.22) and the
//! AICPA Trust Services Criteria of SOC 2 (CC6.1, CC6.6). These frameworks
//! state outcomes, not configurations: a failing check is evidence against
//! the control, a passing one is not proof of it.

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
    #[serde(rename = "NIST SP 800-53")]
    Nist80053,
    #[serde(rename = "PCI DSS")]
    PciDss,
    #[serde(rename = "ISO/IEC 27001")]
    Iso27001,
    #[serde(rename = "SOC 2")]
    Soc2,
}

impl Framework {
    pub fn label(self) -> &'static str {
        match self {
            Framework::SecurityHub => "Security Hub",
            Framework::AwsConfig => "AWS Config",
            Framework::Cis => "CIS AWS Foundations",
            Framework::Nist80053 => "NIST SP 800-53",
            Framework::PciDss => "PCI DSS",
            Framework::Iso27001 => "ISO/IEC 27001",
            Framework::Soc2 => "SOC 2",
        }
    }
}

/// How a check's findings bear on a control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mapping {
    /// The check tests what the control tests (Security Hub, AWS Config,
    /// CIS): a finding fails the control.
    Exact,
    /// sgaudit's reading of an outcome-based control: a finding is evidence
    /// against it; the control asks for more than any configuration shows.
    Interpretive,
}

/// The part of an account a control is about, to tell "nothing to judge"
/// (not applicable) from "judged and passed".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    SecurityGroups,
    DefaultSecurityGroups,
    NetworkAcls,
    Instances,
    Databases,
    Vpcs,
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
    pub mapping: Mapping,
    pub scope: Scope,
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
            Framework::Nist80053 | Framework::PciDss | Framework::Iso27001 | Framework::Soc2 => {
                format!("{} {} (interpretive)", self.version, self.id)
            }
            f => format!("{} {}", f.label(), self.id),
        }
    }

    pub fn is_exact(&self) -> bool {
        self.mapping == Mapping::Exact
    }
}

/// One edition of a framework: what a compliance page is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Edition {
    /// `cis-aws-5.0.0`: the page's file name and `sgaudit checks --framework`.
    pub slug: &'static str,
    pub framework: Framework,
    /// As the controls of the edition name it.
    pub version: &'static str,
    pub title: &'static str,
    pub source: &'static str,
    pub mapping: Mapping,
}

impl Edition {
    /// Its controls, in catalogue order.
    pub fn controls(&self) -> impl Iterator<Item = &'static Control> + '_ {
        ALL.iter()
            .filter(move |c| c.framework == self.framework && c.version == self.version)
    }

    pub fn find(slug: &str) -> Option<&'static Edition> {
        EDITIONS.iter().find(|e| e.slug.eq_ignore_ascii_case(slug))
    }
}

const SH: &str = "Security Hub CSPM controls reference (2026-11)";
const SH_EC2: &str = "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html";
const CONFIG: &str = "AWS Config managed rules (2026-11)";
const CIS3: &str = "CIS AWS Foundations Benchmark v3.0.0";
const CIS4: &str = "CIS AWS Foundations Benchmark v4.0.1";
const CIS5: &str = "CIS AWS Foundations Benchmark v5.0.0";
const CIS_SRC: &str = "https://www.cisecurity.org/benchmark/amazon_web_services";
const NIST: &str = "NIST SP 800-53 Rev. 5";
const NIST_SRC: &str = "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final";
const PCI: &str = "PCI DSS v4.0.1";
const PCI_SRC: &str = "https://docs-prv.pcisecuritystandards.org/PCI%20DSS/Standard/PCI-DSS-v4_0_1.pdf";
const ISO: &str = "ISO/IEC 27001:2022";
const ISO_SRC: &str = "https://www.iso.org/standard/27001";
const SOC2: &str = "AICPA TSC 2017 (rev. 2022)";
const SOC2_SRC: &str =
    "https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022";

macro_rules! control {
    ($name:ident, $fw:ident, $id:literal, $version:expr, $sev:expr, $title:literal, $note:expr, $src:expr, $scope:ident) => {
        control!($name, $fw, $id, $version, $sev, $title, $note, $src, $scope, Exact);
    };
    ($name:ident, $fw:ident, $id:literal, $version:expr, $sev:expr, $title:literal, $note:expr, $src:expr, $scope:ident, $mapping:ident) => {
        pub const $name: Control = Control {
            framework: Framework::$fw,
            id: $id,
            version: $version,
            title: $title,
            severity: $sev,
            note: $note,
            source: $src,
            mapping: Mapping::$mapping,
            scope: Scope::$scope,
        };
    };
}

/// An interpretive control: outcome-based, all of an account's groups in scope.
macro_rules! interpretive {
    ($name:ident, $fw:ident, $id:literal, $version:expr, $title:literal, $note:literal, $src:expr) => {
        control!(
            $name,
            $fw,
            $id,
            $version,
            None,
            $title,
            Some($note),
            $src,
            SecurityGroups,
            Interpretive
        );
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
    SH_EC2,
    DefaultSecurityGroups
);
control!(
    EC2_6,
    SecurityHub,
    "EC2.6",
    SH,
    Some("Medium"),
    "VPC flow logging should be enabled in all VPCs",
    Some("asks for a flow log on the VPC itself; sgaudit also accepts subnet- and interface-level logs that cover every interface in use"),
    SH_EC2,
    Vpcs
);
control!(
    EC2_13,
    SecurityHub,
    "EC2.13",
    SH,
    Some("High"),
    "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22",
    None,
    SH_EC2,
    SecurityGroups
);
control!(
    EC2_14,
    SecurityHub,
    "EC2.14",
    SH,
    Some("High"),
    "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 3389",
    None,
    SH_EC2,
    SecurityGroups
);
control!(
    EC2_18,
    SecurityHub,
    "EC2.18",
    SH,
    Some("High"),
    "Security groups should only allow unrestricted incoming traffic for authorized ports",
    Some("authorizedTcpPorts defaults to 80 and 443; no UDP port is authorized by default"),
    SH_EC2,
    SecurityGroups
);
control!(
    EC2_19,
    SecurityHub,
    "EC2.19",
    SH,
    Some("Critical"),
    "Security groups should not allow unrestricted access to ports with high risk",
    Some("names no protocol: sgaudit treats TCP, UDP and -1 alike"),
    SH_EC2,
    SecurityGroups
);
control!(
    EC2_21,
    SecurityHub,
    "EC2.21",
    SH,
    Some("Medium"),
    "Network ACLs should not allow ingress from 0.0.0.0/0 to port 22 or port 3389",
    None,
    SH_EC2,
    NetworkAcls
);
control!(
    EC2_22,
    SecurityHub,
    "EC2.22",
    SH,
    Some("Medium"),
    "Unused Amazon EC2 security groups should be removed",
    Some("retired from the Foundational Security Best Practices standard in 2023"),
    SH_EC2,
    SecurityGroups
);
control!(
    EC2_53,
    SecurityHub,
    "EC2.53",
    SH,
    Some("High"),
    "EC2 security groups should not allow ingress from 0.0.0.0/0 to remote server administration ports",
    Some("backed by vpc-sg-port-restriction-check: ports 22 and 3389, any protocol"),
    SH_EC2,
    SecurityGroups
);
control!(
    EC2_54,
    SecurityHub,
    "EC2.54",
    SH,
    Some("High"),
    "EC2 security groups should not allow ingress from ::/0 to remote server administration ports",
    Some("backed by vpc-sg-port-restriction-check: ports 22 and 3389, any protocol"),
    SH_EC2,
    SecurityGroups
);
control!(
    RDS_2,
    SecurityHub,
    "RDS.2",
    SH,
    Some("Critical"),
    "RDS DB instances should prohibit public access, as determined by the PubliclyAccessible configuration",
    None,
    "https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html",
    Databases
);
control!(
    SSM_1,
    SecurityHub,
    "SSM.1",
    SH,
    Some("Medium"),
    "Amazon EC2 instances should be managed by AWS Systems Manager",
    None,
    "https://docs.aws.amazon.com/securityhub/latest/userguide/ssm-controls.html",
    Instances
);

control!(
    RESTRICTED_SSH,
    AwsConfig,
    "restricted-ssh",
    CONFIG,
    None,
    "Security groups do not allow unrestricted incoming SSH traffic",
    None,
    "https://docs.aws.amazon.com/config/latest/developerguide/restricted-ssh.html",
    SecurityGroups
);
control!(
    RESTRICTED_COMMON_PORTS,
    AwsConfig,
    "restricted-common-ports",
    CONFIG,
    None,
    "Security groups do not allow unrestricted incoming TCP traffic to the blocked ports",
    Some("blocks TCP 20, 21, 3389, 3306 and 4333 by default; RDP needs 3389 among the parameters"),
    "https://docs.aws.amazon.com/config/latest/developerguide/restricted-common-ports.html",
    SecurityGroups
);
control!(
    VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS,
    AwsConfig,
    "vpc-sg-open-only-to-authorized-ports",
    CONFIG,
    None,
    "Security groups with 0.0.0.0/0 open only the authorized TCP and UDP ports",
    Some("authorized port lists have no defaults"),
    "https://docs.aws.amazon.com/config/latest/developerguide/vpc-sg-open-only-to-authorized-ports.html",
    SecurityGroups
);
control!(
    VPC_DEFAULT_SECURITY_GROUP_CLOSED,
    AwsConfig,
    "vpc-default-security-group-closed",
    CONFIG,
    None,
    "Default security groups of VPCs allow no inbound or outbound traffic",
    None,
    "https://docs.aws.amazon.com/config/latest/developerguide/vpc-default-security-group-closed.html",
    DefaultSecurityGroups
);
control!(
    VPC_FLOW_LOGS_ENABLED,
    AwsConfig,
    "vpc-flow-logs-enabled",
    CONFIG,
    None,
    "Flow logs are found and enabled for all VPCs",
    None,
    "https://docs.aws.amazon.com/config/latest/developerguide/vpc-flow-logs-enabled.html",
    Vpcs
);
control!(
    VPC_SG_PORT_RESTRICTION_CHECK,
    AwsConfig,
    "vpc-sg-port-restriction-check",
    CONFIG,
    None,
    "Security groups restrict incoming traffic to the restricted ports from 0.0.0.0/0 and ::/0",
    Some("defaults: ports 22 and 3389, all protocols, IPv4 and IPv6"),
    "https://docs.aws.amazon.com/config/latest/developerguide/vpc-sg-port-restriction-check.html",
    SecurityGroups
);

control!(
    CIS3_5_1,
    Cis,
    "5.1",
    CIS3,
    None,
    "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC,
    NetworkAcls
);
control!(
    CIS3_5_2,
    Cis,
    "5.2",
    CIS3,
    None,
    "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC,
    SecurityGroups
);
control!(
    CIS3_5_3,
    Cis,
    "5.3",
    CIS3,
    None,
    "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
    None,
    CIS_SRC,
    SecurityGroups
);
control!(
    CIS3_5_4,
    Cis,
    "5.4",
    CIS3,
    None,
    "Ensure the default security group of every VPC restricts all traffic",
    None,
    CIS_SRC,
    DefaultSecurityGroups
);
control!(
    CIS3_3_7,
    Cis,
    "3.7",
    CIS3,
    None,
    "Ensure VPC flow logging is enabled in all VPCs",
    None,
    CIS_SRC,
    Vpcs
);
control!(
    CIS4_3_7,
    Cis,
    "3.7",
    CIS4,
    None,
    "Ensure VPC flow logging is enabled in all VPCs",
    None,
    CIS_SRC,
    Vpcs
);
control!(
    CIS4_5_2,
    Cis,
    "5.2",
    CIS4,
    None,
    "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC,
    NetworkAcls
);
control!(
    CIS4_5_3,
    Cis,
    "5.3",
    CIS4,
    None,
    "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC,
    SecurityGroups
);
control!(
    CIS4_5_4,
    Cis,
    "5.4",
    CIS4,
    None,
    "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
    None,
    CIS_SRC,
    SecurityGroups
);
control!(
    CIS4_5_5,
    Cis,
    "5.5",
    CIS4,
    None,
    "Ensure the default security group of every VPC restricts all traffic",
    None,
    CIS_SRC,
    DefaultSecurityGroups
);

control!(
    CIS5_3_7,
    Cis,
    "3.7",
    CIS5,
    None,
    "Ensure VPC flow logging is enabled in all VPCs",
    None,
    CIS_SRC,
    Vpcs
);
control!(
    CIS5_5_2,
    Cis,
    "5.2",
    CIS5,
    None,
    "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC,
    NetworkAcls
);
control!(
    CIS5_5_3,
    Cis,
    "5.3",
    CIS5,
    None,
    "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
    None,
    CIS_SRC,
    SecurityGroups
);
control!(
    CIS5_5_4,
    Cis,
    "5.4",
    CIS5,
    None,
    "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
    None,
    CIS_SRC,
    SecurityGroups
);
control!(
    CIS5_5_5,
    Cis,
    "5.5",
    CIS5,
    None,
    "Ensure the default security group of every VPC restricts all traffic",
    None,
    CIS_SRC,
    DefaultSecurityGroups
);

interpretive!(
    NIST_SC_7,
    Nist80053,
    "SC-7",
    NIST,
    "Boundary Protection",
    "a path from the internet to what the boundary should keep inside is evidence against it",
    NIST_SRC
);
interpretive!(
    NIST_SC_7_5,
    Nist80053,
    "SC-7(5)",
    NIST,
    "Boundary Protection | Deny by Default - Allow by Exception",
    "a grant wider than the traffic needs (all protocols, wide ranges, unused rules, open egress) is evidence against it",
    NIST_SRC
);
interpretive!(
    NIST_AC_4,
    Nist80053,
    "AC-4",
    NIST,
    "Information Flow Enforcement",
    "tiers joined by address ranges rather than by group references, or reachable around their load balancer",
    NIST_SRC
);
interpretive!(
    NIST_CM_7,
    Nist80053,
    "CM-7",
    NIST,
    "Least Functionality",
    "ports opened that the resource does not serve, high-risk services exposed, unused groups kept",
    NIST_SRC
);
interpretive!(
    PCI_1_2,
    PciDss,
    "1.2",
    PCI,
    "Network security controls (NSCs) are configured and maintained",
    "security groups are NSCs: undocumented rules, hand-made groups outside change control, stale or unused ones",
    PCI_SRC
);
interpretive!(
    PCI_1_3,
    PciDss,
    "1.3",
    PCI,
    "Network access to and from the cardholder data environment is restricted",
    "read for what should sit inside the cardholder data environment: internal tiers open to anywhere, public databases, tiers joined by wide ranges, critical resources ([critical] tags) granted more than they need, in or out",
    PCI_SRC
);
interpretive!(
    PCI_1_4,
    PciDss,
    "1.4",
    PCI,
    "Network connections between trusted and untrusted networks are controlled",
    "the internet is the untrusted network: what it reaches, and on which ports",
    PCI_SRC
);
interpretive!(
    ISO_8_20,
    Iso27001,
    "A.8.20",
    ISO,
    "Networks security",
    "networks and the devices on them are secured: exposure from the internet, network ACLs, flow logs",
    ISO_SRC
);
interpretive!(
    ISO_8_21,
    Iso27001,
    "A.8.21",
    ISO,
    "Security of network services",
    "only the services a resource offers are reachable, and only through their intended path",
    ISO_SRC
);
interpretive!(
    ISO_8_22,
    Iso27001,
    "A.8.22",
    ISO,
    "Segregation of networks",
    "tiers are separated by group references, not by wide ranges or a shared default group",
    ISO_SRC
);
interpretive!(
    SOC2_CC6_1,
    Soc2,
    "CC6.1",
    SOC2,
    "Logical access security software, infrastructure and architectures",
    "network access is defined under control (in code, described) and administered without open ports",
    SOC2_SRC
);
interpretive!(
    SOC2_CC6_6,
    Soc2,
    "CC6.6",
    SOC2,
    "Logical access security measures against threats from outside system boundaries",
    "what the internet reaches: administration ports, high-risk services, public databases",
    SOC2_SRC
);

/// The framework editions sgaudit writes compliance pages for.
pub const EDITIONS: &[Edition] = &[
    Edition {
        slug: "aws-fsbp",
        framework: Framework::SecurityHub,
        version: SH,
        title: "AWS Security Hub: Foundational Security Best Practices",
        source: SH_EC2,
        mapping: Mapping::Exact,
    },
    Edition {
        slug: "aws-config",
        framework: Framework::AwsConfig,
        version: CONFIG,
        title: "AWS Config managed rules",
        source: "https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html",
        mapping: Mapping::Exact,
    },
    Edition {
        slug: "cis-aws-3.0.0",
        framework: Framework::Cis,
        version: CIS3,
        title: "CIS Amazon Web Services Foundations Benchmark v3.0.0",
        source: CIS_SRC,
        mapping: Mapping::Exact,
    },
    Edition {
        slug: "cis-aws-4.0.1",
        framework: Framework::Cis,
        version: CIS4,
        title: "CIS Amazon Web Services Foundations Benchmark v4.0.1",
        source: CIS_SRC,
        mapping: Mapping::Exact,
    },
    Edition {
        slug: "cis-aws-5.0.0",
        framework: Framework::Cis,
        version: CIS5,
        title: "CIS Amazon Web Services Foundations Benchmark v5.0.0",
        source: CIS_SRC,
        mapping: Mapping::Exact,
    },
    Edition {
        slug: "nist-800-53-r5",
        framework: Framework::Nist80053,
        version: NIST,
        title: "NIST SP 800-53 Rev. 5 (interpretive)",
        source: NIST_SRC,
        mapping: Mapping::Interpretive,
    },
    Edition {
        slug: "pci-dss-4.0.1",
        framework: Framework::PciDss,
        version: PCI,
        title: "PCI DSS v4.0.1, requirement 1 (interpretive)",
        source: PCI_SRC,
        mapping: Mapping::Interpretive,
    },
    Edition {
        slug: "iso-27001-2022",
        framework: Framework::Iso27001,
        version: ISO,
        title: "ISO/IEC 27001:2022 Annex A (interpretive)",
        source: ISO_SRC,
        mapping: Mapping::Interpretive,
    },
    Edition {
        slug: "soc2",
        framework: Framework::Soc2,
        version: SOC2,
        title: "SOC 2 Trust Services Criteria (interpretive)",
        source: SOC2_SRC,
        mapping: Mapping::Interpretive,
    },
];

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
    CIS5_3_7,
    CIS5_5_2,
    CIS5_5_3,
    CIS5_5_4,
    CIS5_5_5,
    NIST_SC_7,
    NIST_SC_7_5,
    NIST_AC_4,
    NIST_CM_7,
    PCI_1_2,
    PCI_1_3,
    PCI_1_4,
    ISO_8_20,
    ISO_8_21,
    ISO_8_22,
    SOC2_CC6_1,
    SOC2_CC6_6,
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
        // v5.0.0 kept v4.0.1's networking numbers.
        for (v4, v5) in [
            (CIS4_5_2, CIS5_5_2),
            (CIS4_5_3, CIS5_5_3),
            (CIS4_5_4, CIS5_5_4),
            (CIS4_5_5, CIS5_5_5),
            (CIS4_3_7, CIS5_3_7),
        ] {
            assert_eq!((v4.id, v4.title), (v5.id, v5.title));
            assert!(v5.version.ends_with("v5.0.0"));
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
    fn every_mapping_names_its_edition_a_source_and_whether_it_is_exact() {
        for c in ALL {
            let edition = EDITIONS
                .iter()
                .find(|e| e.framework == c.framework && e.version == c.version)
                .unwrap_or_else(|| panic!("{} belongs to no edition", c.label()));
            assert_eq!(edition.mapping, c.mapping, "{}", c.label());
            assert!(c.source.starts_with("https://"), "{}", c.label());
            if c.mapping == Mapping::Interpretive {
                assert!(
                    c.label().ends_with("(interpretive)") && c.note.is_some(),
                    "{}",
                    c.label()
                );
            }
        }
        for e in EDITIONS {
            assert!(e.controls().next().is_some(), "{} has no control", e.slug);
            assert_eq!(Edition::find(e.slug), Some(e));
            assert!(e.source.starts_with("https://"));
        }
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
