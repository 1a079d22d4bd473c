//! The account page's repeated parts, written in Rust rather than by Tera
//! loops: each finding's row, each group's row, each region's graph edges
//! and nodes. A large account has thousands of findings and hundreds of
//! groups, and a Tera loop over them (each item turned into a Tera value,
//! then interpreted field by field) was most of a page's time. Every value
//! goes through [`html_to`], the escaping Tera applies to the rest of the
//! page; the tests below render the loops these writers replaced and require
//! the same bytes.

use crate::report::escape::html_to;
use crate::report::graph::Graph;

use super::{FindingView, GroupEvidence};

// The rows' writers: `open`, the value escaped, `close`; markup as it is;
// a value that shows (present and not empty, as Tera's `{% if %}` has it).
fn wrap(out: &mut Vec<u8>, open: &str, value: &str, close: &str) {
    out.extend_from_slice(open.as_bytes());
    html_to(value, out).expect("writing to a Vec cannot fail");
    out.extend_from_slice(close.as_bytes());
}

fn raw(out: &mut Vec<u8>, markup: &str) {
    out.extend_from_slice(markup.as_bytes());
}

fn some(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

impl GroupEvidence<'_> {
    /// The group's row of "The groups these findings are about", written
    /// here for the reason [`FindingView::write_row`] gives: a large account
    /// lists a hundred groups and more.
    pub(super) fn write_row(&self, out: &mut Vec<u8>) {
        wrap(out, "<tr id=\"g-", self.region, "-");
        wrap(out, "", self.id, "\"><td><span class=\"mono\">");
        wrap(out, "", self.id, "</span><br>");
        wrap(out, "", self.name, "<br><span class=\"tag\">");
        wrap(out, "", self.region, "");
        if let Some(vpc) = some(self.vpc_id) {
            wrap(out, " · ", vpc, "");
        }
        wrap(out, " · ", &self.findings.to_string(), " finding(s)");
        if self.critical {
            raw(out, " · critical");
        }
        wrap(out, "</span></td>\n<td><span class=\"exp exp-", self.exposure, "\">");
        wrap(out, "", self.exposure, "</span></td>\n<td>");
        if self.attachments.is_empty() {
            raw(out, "<span class=\"tag\">nothing: the group is unattached</span>");
        } else {
            raw(out, "<ul class=\"attach\">");
            for a in &self.attachments {
                wrap(out, "<li><span class=\"mono\">", a.resource_id, "</span> ");
                wrap(out, "", a.kind, " · <span class=\"exp exp-");
                wrap(out, "", a.exposure, "\">");
                wrap(out, "", a.exposure, "</span> <span class=\"tag\">");
                wrap(out, "", a.why, "</span></li>");
            }
            if self.more_attachments > 0 {
                wrap(
                    out,
                    "<li class=\"tag\">and ",
                    &self.more_attachments.to_string(),
                    " more</li>",
                );
            }
            raw(out, "</ul>");
        }
        raw(out, "</td></tr>\n");
    }
}

impl FindingView<'_> {
    /// The finding's row of its check's table. Written here rather than in
    /// `account.html.tera`: a large account has thousands of rows, and a
    /// Tera loop over them (each finding turned into a Tera value, then
    /// interpreted field by field) cost two thirds of the page's time. Every
    /// value goes through [`html_to`], the escaping Tera applies to the rest
    /// of the page; a value shows when it is present and not empty, as Tera's
    /// `{% if %}` would.
    pub(super) fn write_row(&self, account_id: &str, out: &mut Vec<u8>) {
        let open = if self.open { "\">" } else { "\" class=\"accepted\">" };
        wrap(out, "\n<tr id=\"f", &self.anchor.to_string(), open);
        // Severity, exposure, age.
        let severity = self.severity.label();
        wrap(out, "\n<td><span class=\"sev sev-", severity, "\">");
        wrap(out, "", severity, "</span>");
        if let Some(was) = self.severity_was {
            wrap(out, "<br><span class=\"tag\">was ", was.label(), "</span>");
        }
        if let Some(exposure) = some(self.exposure) {
            wrap(out, "<br><span class=\"exp exp-", exposure, "\">");
            wrap(out, "", exposure, "</span>");
        }
        if !self.open {
            raw(out, "<br><span class=\"tag\">accepted</span>");
        }
        match self.new {
            true => raw(out, "<br><span class=\"tag\"><strong>new</strong></span>"),
            false => wrap(
                out,
                "<br><span class=\"tag\">since ",
                &self.first_seen,
                &format!(" ({} days)</span>", self.age_days),
            ),
        }
        if self.overdue {
            raw(out, "<br><strong>overdue</strong>");
        }
        // Where.
        raw(out, "</td>\n<td>");
        if let Some(region) = some(self.region) {
            wrap(out, "", region, "<br>");
        }
        if let Some(group) = some(self.group_id) {
            if self.group_evidence {
                let region = self.region.unwrap_or_default();
                wrap(out, "<a class=\"mono\" href=\"#g-", region, "-");
                wrap(out, "", group, "\">");
                wrap(out, "", group, "</a>");
            } else {
                wrap(out, "<span class=\"mono\">", group, "</span>");
            }
            if let Some(name) = some(self.group_name) {
                wrap(out, "<br>", name, "");
            }
        } else if !self.resource_ids.is_empty() {
            raw(out, "<span class=\"mono\">");
            for (i, id) in self.resource_ids.iter().enumerate() {
                wrap(out, if i > 0 { ", " } else { "" }, id, "");
            }
            raw(out, "</span>");
        }
        // What, how reachable, and the fix.
        wrap(out, "</td>\n<td>", self.summary, "");
        if let Some(rule) = self.rule {
            wrap(out, "<br><span class=\"mono\">", rule.direction, " ");
            wrap(out, "", &rule.protocol, " ");
            let towards = if rule.direction == "egress" { " to " } else { " from " };
            wrap(out, "", &rule.ports, towards);
            wrap(out, "", &rule.source, "</span>");
            if let Some(description) = some(rule.description.as_deref()) {
                wrap(out, " <span class=\"tag\">“", description, "”</span>");
            }
        }
        if let Some(reach) = some(self.reach.as_deref()) {
            let verdict = self.verdict.unwrap_or_default();
            wrap(out, "<br><span class=\"reach reach-", verdict, "\">");
            wrap(out, "", reach, "</span>");
            if let Some(path) = some(self.path.as_deref()) {
                wrap(out, "<br><span class=\"path mono\">", path, "</span>");
            }
        }
        if let Some(usage) = some(self.usage) {
            wrap(out, "<br><span class=\"tag\">Flow logs: ", usage, "</span>");
        }
        if let Some(e) = self.exception {
            wrap(out, "<br><span class=\"tag\">Accepted until ", &e.expires, " by ");
            wrap(out, "", &e.owner, ": ");
            wrap(out, "", &e.reason, "</span>");
        }
        let fix = &self.fix;
        let (in_code, first) = (some(fix.in_code.as_deref()), some(fix.first.as_deref()));
        raw(out, "\n<details class=\"fix\"><summary>The fix");
        if fix.scripted {
            wrap(out, " (applied by remediation/", account_id, ".sh)");
        } else if in_code.is_some() {
            raw(out, " (change it in code)");
        } else if first.is_some() {
            raw(out, " (a decision first)");
        } else if !fix.placeholders.is_empty() {
            wrap(out, " (fill in ", &fix.placeholders.join(", "), ")");
        }
        raw(out, "</summary>");
        if let Some(in_code) = in_code {
            wrap(
                out,
                "<p>Change it in code (",
                in_code,
                "): the next deploy undoes a change made by hand.</p>",
            );
        }
        if let Some(first) = first {
            wrap(out, "<p>First, ", first, ".</p>");
        }
        wrap(out, "<pre class=\"mono\">", &fix.cli, "</pre></details></td>\n</tr>\n");
    }
}

/// A graph's edges, then its nodes, as the template's loops wrote them,
/// every text escaped; `marker` is the number in the id of the graph's
/// arrow head.
pub(super) fn write_elements(g: &Graph, marker: usize, out: &mut Vec<u8>) {
    let marker = marker.to_string();
    raw(out, "\n");
    for e in &g.edges {
        wrap(out, "<g class=\"edge ", e.class, "\"><path d=\"");
        wrap(out, "", &e.d, "\" marker-end=\"url(#arrow-");
        wrap(out, "", &marker, ")\"/><text x=\"");
        wrap(out, "", &coordinate(e.lx, 0), "\" y=\"");
        wrap(out, "", &coordinate(e.ly, 0), "\" text-anchor=\"middle\">");
        wrap(out, "", &e.label, "</text></g>\n");
    }
    raw(out, "\n");
    for n in &g.nodes {
        wrap(out, "<g class=\"node ", n.class, "\"><title>");
        wrap(out, "", &n.title, "</title><rect x=\"");
        wrap(out, "", &coordinate(n.x, 0), "\" y=\"");
        wrap(out, "", &coordinate(n.y, 0), "\" width=\"");
        wrap(out, "", &coordinate(n.w, 0), "\" height=\"");
        wrap(out, "", &coordinate(n.h, 0), "\" rx=\"5\"/><text x=\"");
        wrap(out, "", &coordinate(n.x, 8), "\" y=\"");
        wrap(
            out,
            "",
            &coordinate(n.y, 17),
            "\" font-size=\"12.5\" font-weight=\"600\">",
        );
        wrap(out, "", &n.label, "</text><text class=\"sub\" x=\"");
        wrap(out, "", &coordinate(n.x, 8), "\" y=\"");
        wrap(out, "", &coordinate(n.y, 33), "\">");
        wrap(out, "", &n.sub, "</text></g>\n");
    }
    raw(out, "\n");
}

/// A coordinate as the page has always written it: rounded to a tenth by
/// [`graph::plain_number`] (a whole number without a point), then `offset`
/// added as Tera's arithmetic did (whole numbers as integers, others as
/// floating point, printed the shortest way JSON prints them).
fn coordinate(v: f64, offset: i64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 && r.abs() < 1e15 {
        (r as i64 + offset).to_string()
    } else {
        serde_json::Number::from_f64(r + offset as f64).map_or_else(String::new, |n| n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AttachmentView, FixView};
    use super::*;
    use crate::analyze::finding::{Acceptance, RuleEvidence, RuleKey, SourceKey};
    use crate::analyze::Severity;
    use crate::model::Protocol;
    use compact_str::CompactString;
    use tera::Tera;

    /// The rows as `account.html.tera` wrote them before they moved into
    /// [`FindingView::write_row`]: the new writer must give the same bytes.
    const ROW_TEMPLATE: &str = r##"{% for f in findings %}
<tr id="f{{ f.anchor }}"{% if not f.open %} class="accepted"{% endif %}>
<td><span class="sev sev-{{ f.severity }}">{{ f.severity }}</span>{% if f.severity_was %}<br><span class="tag">was {{ f.severity_was }}</span>{% endif %}{% if f.exposure %}<br><span class="exp exp-{{ f.exposure }}">{{ f.exposure }}</span>{% endif %}{% if not f.open %}<br><span class="tag">accepted</span>{% endif %}<br><span class="tag">{% if f.new %}<strong>new</strong>{% else %}since {{ f.first_seen }} ({{ f.age_days }} days){% endif %}</span>{% if f.overdue %}<br><strong>overdue</strong>{% endif %}</td>
<td>{% if f.region %}{{ f.region }}<br>{% endif %}{% if f.group_id %}{% if f.group_evidence %}<a class="mono" href="#g-{{ f.region }}-{{ f.group_id }}">{{ f.group_id }}</a>{% else %}<span class="mono">{{ f.group_id }}</span>{% endif %}{% if f.group_name %}<br>{{ f.group_name }}{% endif %}{% elif f.resource_ids | length > 0 %}<span class="mono">{{ f.resource_ids | join(sep=", ") }}</span>{% endif %}</td>
<td>{{ f.summary }}{% if f.rule %}<br><span class="mono">{{ f.rule.direction }} {{ f.rule.protocol }} {{ f.rule.ports }} {% if f.rule.direction == "egress" %}to{% else %}from{% endif %} {{ f.rule.source }}</span>{% if f.rule.description %} <span class="tag">“{{ f.rule.description }}”</span>{% endif %}{% endif %}{% if f.reach %}<br><span class="reach reach-{{ f.verdict }}">{{ f.reach }}</span>{% if f.path %}<br><span class="path mono">{{ f.path }}</span>{% endif %}{% endif %}{% if f.usage %}<br><span class="tag">Flow logs: {{ f.usage }}</span>{% endif %}{% if f.exception %}<br><span class="tag">Accepted until {{ f.exception.expires }} by {{ f.exception.owner }}: {{ f.exception.reason }}</span>{% endif %}
<details class="fix"><summary>The fix{% if f.fix.scripted %} (applied by remediation/{{ account_id }}.sh){% elif f.fix.in_code %} (change it in code){% elif f.fix.first %} (a decision first){% elif f.fix.placeholders | length > 0 %} (fill in {{ f.fix.placeholders | join(sep=", ") }}){% endif %}</summary>{% if f.fix.in_code %}<p>Change it in code ({{ f.fix.in_code }}): the next deploy undoes a change made by hand.</p>{% endif %}{% if f.fix.first %}<p>First, {{ f.fix.first }}.</p>{% endif %}<pre class="mono">{{ f.fix.cli }}</pre></details></td>
</tr>
{% endfor %}"##;

    /// The loop `account.html.tera` had before [`GroupEvidence::write_row`].
    const GROUP_ROW_TEMPLATE: &str = r##"{% for g in groups %}<tr id="g-{{ g.region }}-{{ g.id }}"><td><span class="mono">{{ g.id }}</span><br>{{ g.name }}<br><span class="tag">{{ g.region }}{% if g.vpc_id %} · {{ g.vpc_id }}{% endif %} · {{ g.findings }} finding(s){% if g.critical %} · critical{% endif %}</span></td>
<td><span class="exp exp-{{ g.exposure }}">{{ g.exposure }}</span></td>
<td>{% if g.attachments | length > 0 %}<ul class="attach">{% for a in g.attachments %}<li><span class="mono">{{ a.resource_id }}</span> {{ a.kind }} · <span class="exp exp-{{ a.exposure }}">{{ a.exposure }}</span> <span class="tag">{{ a.why }}</span></li>{% endfor %}{% if g.more_attachments > 0 %}<li class="tag">and {{ g.more_attachments }} more</li>{% endif %}</ul>{% else %}<span class="tag">nothing: the group is unattached</span>{% endif %}</td></tr>
{% endfor %}"##;

    #[test]
    fn group_rows_are_what_the_template_wrote_for_every_branch() {
        let attachment = |why: &'static str| AttachmentView {
            resource_id: HOSTILE,
            kind: "instance <b>",
            exposure: "internet-exposed",
            why,
        };
        let mut groups = Vec::new();
        for case in 0..12usize {
            groups.push(GroupEvidence {
                region: if case % 2 == 0 { "eu-west-1" } else { HOSTILE },
                id: "sg-1\"><script>",
                name: if case % 4 < 2 { HOSTILE } else { "" },
                // Absent, empty and present.
                vpc_id: [None, Some(""), Some("vpc-<1>")][case % 3],
                exposure: "internal",
                critical: case % 2 == 1,
                attachments: (0..case % 3).map(|_| attachment(HOSTILE)).collect(),
                more_attachments: case / 6 * 7,
                findings: case,
            });
        }
        let mut ctx = tera::Context::new();
        ctx.insert("groups", &groups);
        let mut written = Vec::new();
        for g in &groups {
            g.write_row(&mut written);
        }
        assert_written_as_rendered(written, GROUP_ROW_TEMPLATE, &ctx);
    }

    /// The loops `account.html.tera` had before [`write_elements`], with
    /// what the page writes around them.
    const GRAPH_TEMPLATE: &str = r##"{% for g in graphs %}{% set marker = loop.index %}
{% for e in g.edges %}<g class="edge {{ e.class }}"><path d="{{ e.d }}" marker-end="url(#arrow-{{ marker }})"/><text x="{{ e.lx }}" y="{{ e.ly }}" text-anchor="middle">{{ e.label }}</text></g>
{% endfor %}
{% for n in g.nodes %}<g class="node {{ n.class }}"><title>{{ n.title }}</title><rect x="{{ n.x }}" y="{{ n.y }}" width="{{ n.w }}" height="{{ n.h }}" rx="5"/><text x="{{ n.x + 8 }}" y="{{ n.y + 17 }}" font-size="12.5" font-weight="600">{{ n.label }}</text><text class="sub" x="{{ n.x + 8 }}" y="{{ n.y + 33 }}">{{ n.sub }}</text></g>
{% endfor %}
{% endfor %}"##;

    #[test]
    fn graph_elements_are_what_the_template_wrote() {
        use crate::report::graph::{Edge, Node};
        // Whole numbers, tenths, values that round, and the binary
        // fractions that print long after an addition.
        let coordinates = [
            0.0,
            20.0,
            20.5,
            12.3,
            0.05,
            7.25,
            1e6 + 0.1,
            301.7,
            0.1 + 0.2,
            58.0 * 3.0 + 0.3,
        ];
        let graph = |n: usize| Graph {
            region: HOSTILE.into(),
            width: 900.0,
            height: 58.3,
            nodes: (0..n)
                .map(|i| Node {
                    x: coordinates[i % coordinates.len()],
                    y: coordinates[(i + 3) % coordinates.len()],
                    w: 180.0,
                    h: coordinates[(i + 5) % coordinates.len()],
                    label: HOSTILE.into(),
                    sub: format!("sg-{i}<"),
                    title: "a \"title\" & more".into(),
                    class: "internet-exposed",
                })
                .collect(),
            edges: (0..n)
                .map(|i| Edge {
                    d: format!("M{i},0 C1,2 3,4 5,6"),
                    label: HOSTILE.into(),
                    lx: coordinates[(i + 1) % coordinates.len()],
                    ly: coordinates[(i + 7) % coordinates.len()],
                    class: "world",
                })
                .collect(),
            not_drawn: 0,
            too_large: None,
        };
        let graphs = [graph(0), graph(1), graph(coordinates.len() * 2)];
        let mut ctx = tera::Context::new();
        ctx.insert("graphs", &graphs);
        let mut written = Vec::new();
        for (i, g) in graphs.iter().enumerate() {
            write_elements(g, i + 1, &mut written);
        }
        assert_written_as_rendered(written, GRAPH_TEMPLATE, &ctx);
    }

    const HOSTILE: &str = "<script>alert('x')</script> & \"quoted\" / “curly”";

    fn rule(direction: &'static str, description: Option<&str>) -> RuleEvidence {
        RuleEvidence {
            key: RuleKey {
                egress: direction == "egress",
                protocol: Protocol::Tcp,
                ports: None,
                source: SourceKey::Cidr("0.0.0.0/0".parse().unwrap()),
            },
            direction,
            protocol: "tcp".into(),
            ports: "22".into(),
            source: HOSTILE.into(),
            description: description.map(Into::into),
            icmp: None,
        }
    }

    #[test]
    fn finding_rows_are_what_the_template_wrote_for_every_branch() {
        let rules = [
            rule("ingress", Some(HOSTILE)),
            rule("egress", Some("")),
            rule("ingress", None),
        ];
        let exception = Acceptance {
            exception: 0,
            owner: HOSTILE.into(),
            reason: "r<b>".into(),
            expires: "2027-01-01".into(),
        };
        let ids = [CompactString::from("i-1"), CompactString::from(HOSTILE)];
        let mut views = Vec::new();
        for case in 0..48usize {
            // Each flag takes both values over the cases; each optional
            // text is empty in some and present in others, and absent in
            // some too when `n` is even (Tera's `if` treats empty and absent
            // alike, and so must the writer).
            let bit = |n: usize| case >> n & 1 == 1;
            let pick = |n: usize, value: &'static str| match case / 3 % 3 + n % 2 {
                0 => None,
                1 => Some(""),
                _ => Some(value),
            };
            views.push(FindingView {
                anchor: case,
                severity: Severity::ALL[case % 5],
                open: !bit(0),
                exposure: pick(0, "internet-exposed"),
                region: pick(1, "eu-west-1"),
                group_id: pick(0, "sg-1"),
                group_name: pick(1, HOSTILE),
                group_evidence: bit(1),
                resource_ids: if bit(2) { &ids } else { &[] },
                summary: HOSTILE,
                rule: (!bit(3)).then(|| &rules[case % 3]),
                exception: bit(4).then_some(&exception),
                first_seen: "2026-11-01".into(),
                age_days: case as i64 - 3,
                overdue: bit(5),
                new: bit(2),
                severity_was: bit(1).then_some(Severity::Low),
                verdict: pick(0, "blocked"),
                reach: pick(0, HOSTILE).map(String::from),
                path: pick(1, "internet → igw-1").map(String::from),
                usage: pick(1, HOSTILE),
                fix: FixView {
                    cli: format!("aws ec2 … '{HOSTILE}'\n"),
                    scripted: case % 4 == 0,
                    in_code: pick(0, HOSTILE).map(String::from),
                    first: pick(1, "decide").map(String::from),
                    placeholders: if bit(3) { vec!["<BASTION-SG-ID>", "<X>"] } else { vec![] },
                },
            });
        }
        let account_id = "1111<2222";
        let mut ctx = tera::Context::new();
        ctx.insert("findings", &views);
        ctx.insert("account_id", account_id);
        let mut written = Vec::new();
        for v in &views {
            v.write_row(account_id, &mut written);
        }
        assert_written_as_rendered(written, ROW_TEMPLATE, &ctx);
    }

    /// That `written` is what `template` renders from `ctx`, autoescaped as
    /// the pages are (line by line first, for a failure one can read).
    fn assert_written_as_rendered(written: Vec<u8>, template: &str, ctx: &tera::Context) {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(html_to);
        tera.add_raw_template("loop.html", template).unwrap();
        let expected = tera.render("loop.html", ctx).unwrap();
        let written = String::from_utf8(written).unwrap();
        for (w, e) in written.lines().zip(expected.lines()) {
            assert_eq!(w, e);
        }
        assert_eq!(written, expected);
    }
}
