//! ## What it does
//! Flags groups whose name or description marks them as temporary (`test`,
//! `tmp`, `temp`, `debug`, `launch-wizard`, …) and that have a broad inbound
//! rule: from anywhere, from a wide public range, or from a broad private one.
//!
//! ## Why is this bad?
//! This is the guidance's "I'll restrict that later": a group opened wide for
//! a test, then left in place when the workload went to production.

use crate::analyze::checks::*;
use crate::analyze::rules;
use crate::controls;

pub const CHECK: Check = Check {
    meta: CheckMeta {
        id: "SGA903",
        name: "temporary-sg-with-broad-rules",
        question: Question::Hygiene,
        identity: Identity::Subject,
        title: "Temporary or test group with broad rules",
        severity: SeverityRule::ByExposure {
            internet: Severity::High,
            internal: Severity::Medium,
            unattached: Severity::Low,
        },
        controls: &[controls::NIST_SC_7_5, controls::PCI_1_2],
        what: "Groups with a word of `[hygiene] temporary_markers` in their name or description (whole words: `tmp-debug` \
               matches, `latest` does not match `test`) and an inbound rule from anywhere, a wide public range or a broad \
               private range (`[networks]`).",
        why: "Developers open groups wide for a test and promise to restrict them later; the guidance notes that they \
              often do not, and the group moves to production with the workload.",
        remediation: "If the test is over, delete the group. If the workload stayed, give it a purpose-made group with \
                      the narrow rules it needs, defined in code, and remove this one.",
        fix: FixKind::Revoke,
    },
    run: Run::PerRegion(run),
};

/// Lower-case text with every run of other characters turned into one `-`:
/// `Launch_Wizard 3` is `launch-wizard-3`.
pub(crate) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            out.extend(ch.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out
}

/// Whether `marker` appears in `text` as whole words (both normalized). A word
/// ends at a separator and where letters turn to digits: `tmp-debug2` holds
/// `debug`, `latest` does not hold `test`.
fn has_marker(text: &str, marker: &str) -> bool {
    let boundary = |outside: Option<char>, inside: Option<char>| match (outside, inside) {
        (None, _) | (_, None) => true,
        (Some(o), Some(i)) => !o.is_alphanumeric() || o.is_ascii_digit() != i.is_ascii_digit(),
    };
    let marker = marker.trim_matches('-');
    !marker.is_empty()
        && text.match_indices(marker).any(|(at, m)| {
            boundary(text[..at].chars().next_back(), m.chars().next())
                && boundary(text[at + m.len()..].chars().next(), m.chars().next_back())
        })
}

fn run(ctx: &RegionCtx, emit: &mut Emit) {
    let n = &ctx.config.networks;
    let markers: Vec<(String, &String)> = ctx
        .config
        .hygiene
        .temporary_markers
        .iter()
        .map(|m| (normalize(m), m))
        .collect();
    for g in &ctx.groups {
        let text = normalize(&format!("{} {}", g.sg.group_name, g.sg.description));
        let Some((_, marker)) = markers.iter().find(|(normalized, _)| has_marker(&text, normalized)) else {
            continue;
        };
        let broad: Vec<rules::Rule> = rules::ingress(g.sg)
            .filter(|r| !r.is_path_mtu())
            .filter(|r| ctx.is_anywhere(r) || r.cidr().is_some_and(|c| c.prefix_len() <= n.broad_prefix(c)))
            .collect();
        let Some(first) = broad.first() else { continue };
        let summary = format!(
            "{} looks temporary (\"{marker}\") and has {} broad inbound rule(s), e.g. {} from {}",
            g.sg.group_name,
            broad.len(),
            first.traffic_label(),
            first.source_label()
        );
        emit.rule(g, first, summary).hint = revoking(ctx, g, &broad);
    }
}

#[cfg(test)]
mod tests {
    use super::{has_marker, normalize};
    use crate::analyze::testing::TestOrg;

    #[test]
    fn markers_match_whole_words() {
        assert_eq!(normalize("Launch_Wizard 3"), "launch-wizard-3");
        assert!(has_marker(&normalize("launch-wizard-3"), "launch-wizard"));
        assert!(has_marker(&normalize("tmp_debug2"), "debug"));
        assert!(has_marker(&normalize("tmp_debug2"), "tmp"));
        assert!(!has_marker(&normalize("latest-api"), "test"));
        assert!(!has_marker(&normalize("contemporary"), "temp"));
        assert!(has_marker(&normalize("test"), "test"));
        let mut fx = TestOrg::new();
        fx.sg("sg-tmp", &["tcp 0-65535 0.0.0.0/0"]);
        fx.rename("sg-tmp", "tmp-debug", "ad hoc access");
        fx.sg("sg-latest", &["tcp 443 0.0.0.0/0"]);
        fx.rename("sg-latest", "latest-api", "current api");
        fx.sg("sg-test-narrow", &["tcp 443 10.0.1.0/24"]);
        fx.rename("sg-test-narrow", "test-narrow", "test");
        fx.instance("i-1", "subnet-public", &["sg-tmp"], Some("203.0.113.70"));
        assert_eq!(
            fx.run("SGA903"),
            ["high sg-tmp: tmp-debug looks temporary (\"tmp\") and has 1 broad inbound rule(s), e.g. tcp all ports from 0.0.0.0/0 []"]
        );
    }
}
