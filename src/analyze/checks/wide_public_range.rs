//! ## What it does
//! Reports inbound rules from a public range that is not "anywhere" but is
//! wide (`/20` or wider for IPv4, `/32` for IPv6 by default), with its size.
//!
//! ## Why is this bad?
//! It may be fine: a CDN's origin-facing ranges or a partner's network are
//! named, reviewable grants. But a /12 of a cloud provider is anyone with a
//! credit card, and ranges like these outlive the reason they were added.
//! sgaudit does not treat them as the internet; it lists them for review.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA206",
        name: "wide-public-range",
        question: Question::Q2,
        identity: Identity::Rule,
        title: "Wide public address range granted",
        severity: SeverityRule::Described("medium when the rule opens an admin or high-risk port on an attached group, low otherwise"),
        controls: &[controls::NIST_SC_7, controls::PCI_1_4, controls::SOC2_CC6_6],
        what: "Inbound rules from a public CIDR with a prefix length of at most `[networks] wide_public_prefix_v4` \
               (default 20, 4,096 addresses) or `_v6` (default 32), other than `/0`. Each finding gives the range's \
               size. Prefix lists are named grants and are not reported here.",
        why: "A wide public range is not \"anywhere\", and sgaudit does not report it as such: a CDN's origin-facing \
              ranges or a partner's network are legitimate, reviewable grants. But a large block of a cloud provider is \
              anyone who rents a machine there, and such grants outlive their reason.",
        remediation: "Confirm who owns the range and why it needs access; narrow it to the addresses in use, or use the \
                      provider's managed prefix list (for CloudFront, `com.amazonaws.global.cloudfront.origin-facing`) so \
                      that the grant is named and maintained. Record the review as an exception with an expiry.",
        fix: FixKind::Replace(Placeholder::Cidr),
    },
    run: Run::PerRegion(run),
};

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let n = &ctx.config.networks;
    let ports = &ctx.config.ports;
    for g in &ctx.groups {
        for rule in rules::ingress(g.sg) {
            let Some(cidr) = rule.cidr() else { continue };
            if cidr.is_anywhere() || cidr.is_private() || cidr.prefix_len() > n.broad_prefix(cidr) || rule.is_path_mtu()
            {
                continue;
            }
            let sensitive = rule.opens_any(&ports.admin) || rule.opens_any(&ports.high_risk);
            let severity = if sensitive && g.is_attached() {
                Severity::Medium
            } else {
                Severity::Low
            };
            let summary = format!(
                "{} from {}, a public range of {}{}",
                rule.traffic_label(),
                cidr,
                cidr.size_label(),
                if sensitive {
                    ", to an admin or high-risk port"
                } else {
                    ""
                }
            );
            emit.rule_at(g, &rule, severity, summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze::testing::TestOrg;

    #[test]
    fn a_cdn_slash_20_is_a_named_grant_reported_low_with_its_size() {
        let mut fx = TestOrg::new();
        fx.sg("sg-origin", &["tcp 443 52.84.0.0/20"]);
        fx.instance("i-1", "subnet-public", &["sg-origin"], Some("203.0.113.40"));
        assert_eq!(
            fx.run("SGA206"),
            ["low sg-origin: tcp 443 from 52.84.0.0/20, a public range of 4,096 addresses []"]
        );
        // and it is not "the internet" for the other checks
        assert!(fx.run("SGA101").is_empty() && fx.run("SGA202").is_empty() && fx.run("SGA201").is_empty());
    }

    #[test]
    fn ssh_from_a_wide_public_range_is_medium() {
        let mut fx = TestOrg::new();
        fx.sg("sg-ssh", &["tcp 22 100.128.0.0/9"]);
        fx.instance("i-1", "subnet-public", &["sg-ssh"], Some("203.0.113.41"));
        let found = fx.run("SGA206");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with(
                "medium sg-ssh: tcp 22 from 100.128.0.0/9, a public range of 8,388,608 addresses, to an admin"
            ),
            "{found:?}"
        );
        assert!(fx.run("SGA101").is_empty());
    }

    #[test]
    fn narrow_public_and_private_ranges_are_not_reported() {
        let mut fx = TestOrg::new();
        fx.sg(
            "sg-x",
            &["tcp 443 198.51.100.0/24", "tcp 443 10.0.0.0/8", "tcp 443 0.0.0.0/0"],
        );
        assert!(fx.run("SGA206").is_empty());
    }
}
