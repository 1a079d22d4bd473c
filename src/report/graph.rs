//! The security-group reference graph of an account-region, laid out for SVG.
//!
//! Nodes are security groups (plus "Internet" for sources of anywhere and
//! wide public ranges, and groups of other accounts); an edge `a → b` says "b allows traffic from a".
//! Nodes are placed in columns by their longest distance from the internet,
//! so the guidance's tiers read left to right: Internet → load balancer group
//! → web group → database group.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::analyze::rules::{self, Source};
use crate::analyze::{Exposure, GroupSummary};
use crate::config::Networks;
use crate::model::{PrefixListEntry, RegionSnapshot, SecurityGroup};

/// A coordinate in whole pixels, rounded as `{:.0}` would (ties to even),
/// without the exact-decimal float formatting that `{:.0}` pays for.
fn px(v: f64) -> i64 {
    v.round_ties_even() as i64
}

/// Serialize a drawing coordinate or sort key the way a person writes it:
/// `100`, not `100.0` (the template engine prints every float with a
/// decimal point), and at most one decimal otherwise.
pub(crate) fn plain_number<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 && r.abs() < 1e15 {
        s.serialize_i64(r as i64)
    } else {
        s.serialize_f64(r)
    }
}

const COLUMN: f64 = 300.0;
const ROW: f64 = 58.0;
const NODE_W: f64 = 180.0;
const NODE_H: f64 = 42.0;
const MARGIN: f64 = 16.0;
/// Room above the first row for edges that skip a column.
const ARC_ROOM: f64 = 40.0;
/// Beyond this many drawn groups a region's graph is not drawn (it would be
/// unreadable); the page says so.
pub const MAX_NODES: usize = 250;

#[derive(Clone, Debug, Serialize)]
pub struct Node {
    #[serde(serialize_with = "plain_number")]
    pub x: f64,
    #[serde(serialize_with = "plain_number")]
    pub y: f64,
    #[serde(serialize_with = "plain_number")]
    pub w: f64,
    #[serde(serialize_with = "plain_number")]
    pub h: f64,
    /// First line: the group's name (shortened), or "Internet".
    pub label: String,
    /// Second line: the group id.
    pub sub: String,
    /// Full text for the tooltip.
    pub title: String,
    /// `internet`, `internet-exposed`, `internal`, `unattached`, `external`.
    pub class: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Edge {
    /// SVG path data.
    pub d: String,
    /// What the edge allows, e.g. `tcp 443`.
    pub label: String,
    #[serde(serialize_with = "plain_number")]
    pub lx: f64,
    #[serde(serialize_with = "plain_number")]
    pub ly: f64,
    /// `world` for edges from the internet, `ref` otherwise.
    pub class: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Graph {
    pub region: String,
    #[serde(serialize_with = "plain_number")]
    pub width: f64,
    #[serde(serialize_with = "plain_number")]
    pub height: f64,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Groups of the region that no drawn edge touches.
    pub not_drawn: usize,
    /// Set when the region has too many connected groups to draw.
    pub too_large: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
enum Key<'a> {
    Internet,
    Group(&'a str),
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}

/// Edges `source → target` with the traffic they allow, and the owners of
/// groups referenced from other accounts.
type Edges<'a> = BTreeMap<(Key<'a>, Key<'a>), BTreeSet<String>>;

/// Every inbound rule as an edge: from the internet (anywhere, or a wide
/// public range, as `analyze` classes them) or from another group.
fn edges<'a>(region: &'a RegionSnapshot, networks: &Networks) -> (Edges<'a>, HashMap<&'a str, &'a str>) {
    let lists: HashMap<&str, &[PrefixListEntry]> = region
        .prefix_lists
        .iter()
        .filter_map(|p| Some((p.prefix_list_id.as_str(), p.entries.as_deref()?)))
        .collect();
    let mut edges: Edges = BTreeMap::new();
    let mut owners: HashMap<&str, &str> = HashMap::new();
    for sg in &region.security_groups {
        let target = Key::Group(sg.group_id.as_str());
        for rule in rules::ingress(sg) {
            let source = match rule.source {
                Source::Group(pair) => match pair.group_id.as_ref() {
                    Some(id) if *id != sg.group_id => {
                        if let Some(user) = pair.user_id.as_ref().filter(|u| sg.owner_id.as_ref() != Some(*u)) {
                            owners.insert(id.as_str(), user.as_str());
                        }
                        Key::Group(id.as_str())
                    }
                    _ => continue,
                },
                _ if rule
                    .breadth(|id| lists.get(id.as_str()).copied(), networks)
                    .is_internet() =>
                {
                    Key::Internet
                }
                _ => continue,
            };
            edges.entry((source, target)).or_default().insert(rule.traffic_label());
        }
    }
    (edges, owners)
}

/// Columns: the longest path from the internet (0); groups nothing drawn
/// points at start in column 1. Cycles stop growing after |nodes| rounds.
fn layers<'a>(keys: &BTreeSet<Key<'a>>, edges: &Edges<'a>) -> BTreeMap<Key<'a>, usize> {
    let mut layer: BTreeMap<Key, usize> = keys
        .iter()
        .map(|k| (*k, if *k == Key::Internet { 0 } else { 1 }))
        .collect();
    for _ in 0..keys.len() {
        let mut changed = false;
        for (a, b) in edges.keys() {
            if a == b {
                continue;
            }
            let want = layer[a] + 1;
            if want > layer[b] && want <= keys.len() {
                layer.insert(*b, want);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    layer
}

/// Each column's nodes, ordered by the mean row of their predecessors
/// (fewer crossings), and every node's row.
fn rows<'a>(layer: &BTreeMap<Key<'a>, usize>, edges: &Edges<'a>) -> (Vec<Vec<Key<'a>>>, HashMap<Key<'a>, f64>) {
    let columns = layer.values().max().map_or(0, |m| m + 1);
    let mut column_nodes: Vec<Vec<Key>> = vec![Vec::new(); columns];
    for (k, l) in layer {
        column_nodes[*l].push(*k);
    }
    let mut row: HashMap<Key, f64> = HashMap::new();
    for col in column_nodes.iter_mut() {
        let mut scored: Vec<(f64, Key)> = col
            .iter()
            .map(|k| {
                let preds: Vec<f64> = edges
                    .keys()
                    .filter(|(_, b)| b == k)
                    .filter_map(|(a, _)| row.get(a).copied())
                    .collect();
                let mean = if preds.is_empty() {
                    f64::MAX
                } else {
                    preds.iter().sum::<f64>() / preds.len() as f64
                };
                (mean, *k)
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *col = scored.into_iter().map(|(_, k)| k).collect();
        for (i, k) in col.iter().enumerate() {
            row.insert(*k, i as f64);
        }
    }
    (column_nodes, row)
}

/// The box of one node.
fn node(
    k: &Key,
    (x, y): (f64, f64),
    by_id: &HashMap<&str, &SecurityGroup>,
    summary: &HashMap<&str, &GroupSummary>,
    owners: &HashMap<&str, &str>,
) -> Node {
    let (label, sub, title, class) = match k {
        Key::Internet => (
            "Internet".to_string(),
            "0.0.0.0/0, ::/0, wide public ranges".to_string(),
            "Every address (0.0.0.0/0, ::/0) and wide public ranges".to_string(),
            "internet",
        ),
        Key::Group(id) => {
            let (name, class, title) = match (by_id.get(id), summary.get(id)) {
                (Some(sg), Some(s)) => {
                    let class = match s.exposure {
                        Exposure::InternetExposed => "internet-exposed",
                        Exposure::Unknown => "unknown",
                        Exposure::Internal => "internal",
                        Exposure::Unattached => "unattached",
                    };
                    (
                        sg.group_name.clone(),
                        class,
                        format!(
                            "{} ({id}): {}, {} attachment(s)",
                            sg.group_name,
                            s.exposure,
                            s.attachments.len()
                        ),
                    )
                }
                _ => match owners.get(id) {
                    Some(owner) => (
                        format!("(account {owner})"),
                        "external",
                        format!("{id}: a group of account {owner}"),
                    ),
                    None => (
                        String::from("(not in the snapshot)"),
                        "external",
                        format!("{id}: not in this region's groups: deleted, or across a peering"),
                    ),
                },
            };
            (shorten(&name, 26), id.to_string(), title, class)
        }
    };
    Node {
        x,
        y,
        w: NODE_W,
        h: NODE_H,
        label,
        sub,
        title,
        class,
    }
}

/// The curve of one edge, with its label's position: forward one column,
/// over the columns it skips, or looping below for backward edges.
fn edge(
    (a, b): (&Key, &Key),
    traffic: &BTreeSet<String>,
    pos: impl Fn(&Key) -> (f64, f64),
    span: i64,
    top: f64,
) -> Edge {
    let (ax, ay) = pos(a);
    let (bx, by) = pos(b);
    let (x1, y1) = (ax + NODE_W, ay + NODE_H / 2.0);
    let (x2, y2) = (bx, by + NODE_H / 2.0);
    let (mut lx, mut ly) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0 - 4.0);
    let d = if span == 1 {
        let mid = px((x1 + x2) / 2.0);
        let (x1, y1, x2, y2) = (px(x1), px(y1), px(x2), px(y2));
        format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")
    } else if span > 1 {
        // Over the columns it skips, so that it does not run behind their boxes.
        let arc = (top - 30.0 - 6.0 * (span - 2) as f64).max(-20.0);
        // The curve's highest point (t = 1/2), where its label goes.
        ly = (y1 + y2) / 8.0 + 0.75 * arc - 3.0;
        lx = (x1 + x2) / 2.0;
        format!(
            "M{},{} C{},{arc} {},{arc} {},{}",
            px(x1),
            px(y1),
            px(x1 + COLUMN * 0.4),
            px(x2 - COLUMN * 0.4),
            px(x2),
            px(y2),
            arc = px(arc),
        )
    } else {
        // Backwards or within a column: loop below the nodes.
        let low = ay.max(by) + NODE_H + 14.0;
        format!(
            "M{},{} C{},{low} {},{low} {},{}",
            px(x1),
            px(y1),
            px(x1 + 40.0),
            px(x2 - 40.0),
            px(x2),
            px(y2),
            low = px(low),
        )
    };
    let shown: Vec<&str> = traffic.iter().map(String::as_str).take(3).collect();
    let more = traffic.len().saturating_sub(3);
    let extra = if more > 0 { format!(" +{more}") } else { String::new() };
    Edge {
        d,
        lx,
        ly,
        label: format!("{}{extra}", shown.join(", ")),
        class: if *a == Key::Internet { "world" } else { "ref" },
    }
}

/// Lay out the graph of one region. `groups` are the region's summaries.
pub fn layout(region: &RegionSnapshot, groups: &[&GroupSummary], networks: &Networks) -> Graph {
    let by_id: HashMap<&str, &SecurityGroup> = region
        .security_groups
        .iter()
        .map(|g| (g.group_id.as_str(), g))
        .collect();
    let summary: HashMap<&str, &GroupSummary> = groups.iter().map(|g| (g.group_id.as_str(), *g)).collect();
    let (edges, owners) = edges(region, networks);
    let mut keys: BTreeSet<Key> = BTreeSet::new();
    for (a, b) in edges.keys() {
        keys.insert(*a);
        keys.insert(*b);
    }
    let not_drawn = region.security_groups.len()
        - keys
            .iter()
            .filter(|k| matches!(k, Key::Group(id) if by_id.contains_key(id)))
            .count();
    let region_name = region.region.to_string();
    if keys.len() > MAX_NODES {
        return Graph {
            region: region_name,
            width: 0.0,
            height: 0.0,
            nodes: vec![],
            edges: vec![],
            not_drawn,
            too_large: Some(keys.len()),
        };
    }
    let layer = layers(&keys, &edges);
    let (column_nodes, row) = rows(&layer, &edges);
    let rows = column_nodes.iter().map(Vec::len).max().unwrap_or(0);
    let skips = edges.keys().any(|(a, b)| layer[b] > layer[a] + 1);
    let top = MARGIN + if skips { ARC_ROOM } else { 0.0 };
    let pos = |k: &Key| -> (f64, f64) { (MARGIN + layer[k] as f64 * COLUMN, top + row[k] * ROW) };
    let nodes = keys
        .iter()
        .map(|k| node(k, pos(k), &by_id, &summary, &owners))
        .collect();
    let drawn = edges
        .iter()
        .map(|((a, b), traffic)| {
            let span = layer[b] as i64 - layer[a] as i64;
            edge((a, b), traffic, pos, span, top)
        })
        .collect();
    Graph {
        region: region_name,
        width: MARGIN * 2.0 + column_nodes.len().saturating_sub(1) as f64 * COLUMN + NODE_W,
        height: top + MARGIN + rows as f64 * ROW + 20.0,
        nodes,
        edges: drawn,
        not_drawn,
        too_large: None,
    }
}
