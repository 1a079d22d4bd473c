//! ## What it does
//! Flags inbound rules that open a configured administration port (SSH 22,
//! RDP 3389, WinRM, Telnet, VNC, …) to every address: `0.0.0.0/0`, `::/0`, or
//! a prefix list holding one of them. Port ranges and protocol `-1` count when
//! they cover an admin port; the match is exact about TCP versus UDP.
//!
//! ## Why is this bad?
//! Remote administration services are the first thing internet scanners try:
//! password guessing, stolen keys, and exploits of the daemon itself. An
//! administrator never needs the whole internet to reach them.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls::{self, Control};
use crate::model::{Protocol, ServicePort};

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA101",
        name: "admin-port-open-to-world",
        question: Question::Q1,
        identity: Identity::Rule,
        title: "Administration port open to the whole internet",
        severity: SeverityRule::ByExposure {
            internet: Severity::Critical,
            internal: Severity::High,
            unattached: Severity::Medium,
        },
        controls: &[
            controls::EC2_13,
            controls::EC2_14,
            controls::EC2_53,
            controls::EC2_54,
            controls::EC2_19,
            controls::RESTRICTED_SSH,
            controls::RESTRICTED_COMMON_PORTS,
            controls::VPC_SG_PORT_RESTRICTION_CHECK,
            controls::CIS3_5_2,
            controls::CIS3_5_3,
            controls::CIS4_5_3,
            controls::CIS4_5_4,
            controls::CIS5_5_3,
            controls::CIS5_5_4,
            controls::NIST_SC_7,
            controls::PCI_1_4,
            controls::ISO_8_20,
            controls::SOC2_CC6_6,
        ],
        what: "Inbound rules that open a configured administration port (`[ports] admin`: 22/tcp, 3389/tcp and udp, \
               5985-5986/tcp, 23/tcp, 5900/tcp by default) to `0.0.0.0/0`, `::/0`, or a prefix list containing either. \
               Port ranges and protocol `-1` count when they cover an admin port.",
        why:
            "Administration services are what internet scanners probe first: password guessing, leaked keys, exploits \
              of the daemon. No administrator needs the whole internet to reach them.",
        remediation:
            "Remove the rule. Reach instances with **Systems Manager Session Manager** (no inbound port at all), \
                      or through a hardened bastion: allow the admin port only from the bastion's security group.\n\n\
                      ```sh\naws ec2 revoke-security-group-ingress --group-id <sg-id> --ip-permissions \
                      'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]'\n```\n\n\
                      For RDP, which Session Manager does not carry, use Fleet Manager's RDP console or a bastion.",
        fix: FixKind::RevokeOr(Placeholder::BastionGroup),
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let admin = &ctx.config.ports.admin;
    for g in &ctx.groups {
        for rule in rules::ingress(g.sg) {
            if !ctx.is_anywhere(&rule) {
                continue;
            }
            let open = rule.opened(admin);
            if open.is_empty() {
                continue;
            }
            let summary = format!(
                "{} from {} opens admin port{} {}",
                rule.traffic_label(),
                rule.source_label(),
                if open.len() > 1 { "s" } else { "" },
                port_list(&open)
            );
            let ipv6 = ctx.is_ipv6_rule(&rule);
            let services: Vec<ServicePort> = open.iter().map(|s| **s).collect();
            let reach = ctx.rule_reach_on(g, &rule, &services);
            let f = emit.rule_reaching(g, &rule, reach.as_ref(), summary);
            f.set_exact_controls(controls_for(&open, ipv6));
            // The option: the admin ports alone, from a bastion's group.
            let bastion =
                Perm::of_rule(&rule, Some(ctx.account_id())).with_peer(Peer::Placeholder(Placeholder::BastionGroup));
            f.hint = Some(Box::new(Hint {
                grant: bastion.narrowed_to(&services),
                first: also_grants(&rule, &open),
                ..Hint::default()
            }));
        }
    }
}

/// The controls a finding fails, from the ports it opens.
fn controls_for(open: &[&ServicePort], ipv6: bool) -> Vec<&'static Control> {
    let opens = |port: u16, protocol: Protocol| open.iter().any(|s| s.admits(protocol, port));
    let mut out: Vec<&'static Control> = Vec::new();
    if opens(22, Protocol::Tcp) {
        out.extend([&controls::EC2_13, &controls::RESTRICTED_SSH]);
    }
    // EC2.14 is backed by restricted-common-ports, which judges TCP only: an
    // RDP-over-UDP rule fails EC2.53/54 (any protocol), not EC2.14.
    if opens(3389, Protocol::Tcp) {
        out.push(&controls::EC2_14);
    }
    let remote_admin = controls::REMOTE_ADMIN_PORTS_ANY_PROTOCOL
        .iter()
        .any(|&p| opens(p, Protocol::Tcp) || opens(p, Protocol::Udp));
    if remote_admin {
        out.push(if ipv6 { &controls::EC2_54 } else { &controls::EC2_53 });
        out.push(&controls::VPC_SG_PORT_RESTRICTION_CHECK);
    }
    if !ipv6
        && controls::RESTRICTED_COMMON_PORTS_DEFAULT
            .iter()
            .any(|&p| opens(p, Protocol::Tcp))
    {
        out.push(&controls::RESTRICTED_COMMON_PORTS);
    }
    if controls::EC2_19_PORTS
        .iter()
        .any(|&p| opens(p, Protocol::Tcp) || opens(p, Protocol::Udp))
    {
        out.push(&controls::EC2_19);
    }
    if ipv6 {
        out.extend([&controls::CIS3_5_3, &controls::CIS4_5_4, &controls::CIS5_5_4]);
    } else {
        out.extend([&controls::CIS3_5_2, &controls::CIS4_5_3, &controls::CIS5_5_3]);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    const ID: &str = "SGA101";

    #[test]
    fn ssh_open_to_the_world_on_a_public_instance_is_critical() {
        let mut fx = TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 0.0.0.0/0"]);
        fx.instance("i-1", "subnet-public", &["sg-ssh"], Some("203.0.113.10"));
        assert_eq!(
            fx.run(ID),
            ["critical sg-ssh: tcp 22 from 0.0.0.0/0 opens admin port 22/tcp [EC2.13 restricted-ssh EC2.53 vpc-sg-port-restriction-check EC2.19 5.2 5.3 5.3]"]
        );
    }

    #[test]
    fn rdp_from_ipv6_anywhere_maps_to_the_ipv6_controls() {
        let mut fx = TestOrg::new();
        fx.sg("sg-rdp", &["tcp 3389 ::/0"]);
        fx.instance("i-1", "subnet-private", &["sg-rdp"], None);
        assert_eq!(
            fx.run(ID),
            ["high sg-rdp: tcp 3389 from ::/0 opens admin port 3389/tcp [EC2.14 EC2.54 vpc-sg-port-restriction-check EC2.19 5.3 5.4 5.4]"]
        );
    }

    #[test]
    fn ranges_and_all_traffic_that_cover_an_admin_port_count() {
        let mut fx = TestOrg::new();
        fx.sg("sg-range", &["tcp 20-25 0.0.0.0/0", "all - 0.0.0.0/0"]);
        let found = fx.run(ID);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0].contains("tcp 20-25 from 0.0.0.0/0 opens admin ports 22/tcp, 23/tcp"),
            "{found:#?}"
        );
        assert!(
            found[1].starts_with(
                "medium sg-range: all traffic from 0.0.0.0/0 opens admin ports 22/tcp, 3389/tcp, 3389/udp"
            ),
            "{found:#?}"
        );
    }

    #[test]
    fn a_prefix_list_holding_anywhere_is_anywhere() {
        let mut fx = TestOrg::new();
        fx.prefix_list("pl-everyone", &["0.0.0.0/0"]);
        fx.sg("sg-pl", &["tcp 22 pl-everyone"]);
        assert_eq!(fx.run(ID).len(), 1);
    }

    #[test]
    fn near_misses_stay_quiet() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-ok",
            &[
                "tcp 22 203.0.113.7/32", // one admin host
                "udp 22 0.0.0.0/0",      // UDP 22 is not SSH (SGA103 reports it, low)
                "tcp 22 sg-bastion",     // a security-group reference
                "tcp 0-21 0.0.0.0/0",    // a range ending just before 22
                "tcp 443 0.0.0.0/0",
                "icmp - 0.0.0.0/0",
            ],
        );
        fx.sg("sg-bastion", &[]);
        assert_eq!(fx.run(ID), Vec::<String>::new());
    }

    #[test]
    fn udp_only_rdp_maps_to_the_any_protocol_controls_not_ec2_14() {
        let mut fx = TestOrg::new();
        fx.sg("sg-rdp-udp", &["udp 3389 0.0.0.0/0"]);
        let found = fx.run(ID);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("[EC2.53 vpc-sg-port-restriction-check EC2.19 5.2 5.3 5.3]"),
            "{found:?}"
        );
        assert!(!found[0].contains("EC2.14"), "{found:?}");
    }

    #[test]
    fn configured_admin_ports_are_used() {
        let mut fx = TestOrg::new();
        fx.config.ports.admin = vec!["2222/tcp".parse().unwrap()];
        fx.sg("sg-alt", &["tcp 2222 0.0.0.0/0", "tcp 22 0.0.0.0/0"]);
        let found = fx.run(ID);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("2222/tcp"), "{found:?}");
    }
}
