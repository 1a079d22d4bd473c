//! `[ports]` and `[networks]`: which ports and which address ranges the checks care about.

use serde::{Deserialize, Serialize};

use crate::controls;
use crate::model::{Cidr, ServicePort};

use super::de::{prefix_v4, prefix_v6};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ports {
    /// Remote administration ports (Q1, Q3).
    pub admin: Vec<ServicePort>,
    /// Ports that must never be open to anywhere (Q2); EC2.19's list by default.
    pub high_risk: Vec<ServicePort>,
    /// Ports critical resources may open to anywhere (Q5, EC2.18).
    pub authorized_public: Vec<ServicePort>,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            admin: controls::default_admin_ports(),
            high_risk: controls::default_high_risk_ports(),
            authorized_public: controls::default_authorized_public_ports(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Networks {
    /// A public IPv4 source this wide or wider (prefix length at most this,
    /// but not /0) is reported as a wide public range.
    #[serde(deserialize_with = "prefix_v4")]
    pub wide_public_prefix_v4: u8,
    #[serde(deserialize_with = "prefix_v6")]
    pub wide_public_prefix_v6: u8,
    /// A private IPv4 source this wide or wider (e.g. /8) is a broad grant
    /// even inside a VPC that is wider still.
    #[serde(deserialize_with = "prefix_v4")]
    pub broad_private_prefix_v4: u8,
    #[serde(deserialize_with = "prefix_v6")]
    pub broad_private_prefix_v6: u8,
    /// Admin access is a recognised bastion pattern when every source is a
    /// security-group reference or one of at most this many single hosts.
    pub bastion_max_host_sources: usize,
    /// Networks by name (`"on-prem Frankfurt" = ["10.100.0.0/20"]`): a rule
    /// from one of them is a declared grant, which SGA204 does not report.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub named: std::collections::BTreeMap<String, Vec<Cidr>>,
}

impl Networks {
    /// The configured name of the network that holds `cidr`, if one does.
    pub fn name_of(&self, cidr: Cidr) -> Option<&str> {
        self.named
            .iter()
            .find(|(_, blocks)| blocks.iter().any(|b| b.contains(&cidr)))
            .map(|(name, _)| name.as_str())
    }

    /// The prefix length at or below which `cidr` counts as wide (public) or
    /// broad (private), for its address family.
    pub fn broad_prefix(&self, cidr: Cidr) -> u8 {
        match (cidr.is_ipv6(), cidr.is_private()) {
            (false, false) => self.wide_public_prefix_v4,
            (true, false) => self.wide_public_prefix_v6,
            (false, true) => self.broad_private_prefix_v4,
            (true, true) => self.broad_private_prefix_v6,
        }
    }
}

impl Default for Networks {
    fn default() -> Self {
        Networks {
            wide_public_prefix_v4: 20,
            wide_public_prefix_v6: 32,
            broad_private_prefix_v4: 8,
            broad_private_prefix_v6: 32,
            bastion_max_host_sources: 4,
            named: Default::default(),
        }
    }
}
