//! A heat-map cell: a score with its status told by glyph and class as
//! well as colour, its reason, and its change since the last assessment.

use serde::Serialize;

use crate::analyze::score::Status;
use crate::report::graph::plain_number;

#[derive(Serialize)]
pub(super) struct Cell {
    /// `66.7`, `n/a`, `not assessed`.
    text: String,
    /// A glyph that tells the status without colour.
    glyph: &'static str,
    /// CSS class: `pass`, `partial`, `fail`, `na`, `nx`.
    class: &'static str,
    /// Tooltip: the reason.
    title: String,
    /// Sort key: the score, or -1.
    #[serde(serialize_with = "plain_number")]
    key: f64,
    /// Against the previous assessment: `▲` better, `▼` worse, `=` same.
    delta: &'static str,
    /// `was 66.7`
    was: Option<String>,
}

/// A cell's parts, as the account table's data carries them.
pub(super) struct Parts {
    pub class: &'static str,
    /// The glyph and the text: `◐ 66.7`.
    pub text: String,
    /// The sort key, as a plain number (`66.7`, `100`, `-1`).
    pub key: serde_json::Value,
    pub title: String,
    pub delta: &'static str,
    pub was: Option<String>,
}

impl Cell {
    pub(super) fn parts(self) -> Parts {
        let key = plain_number(&self.key, serde_json::value::Serializer).unwrap_or(serde_json::Value::Null);
        Parts {
            class: self.class,
            text: format!("{} {}", self.glyph, self.text),
            key,
            title: self.title,
            delta: self.delta,
            was: self.was,
        }
    }

    /// Mark the change from the previous assessment's score.
    pub(super) fn against(mut self, previous: Option<Option<f64>>) -> Self {
        if let (Some(prev), Some(now)) = (previous, self.score()) {
            match prev {
                Some(p) if now > p + 0.05 => self.delta = "▲",
                Some(p) if now < p - 0.05 => self.delta = "▼",
                Some(_) => self.delta = "=",
                None => {}
            }
            self.was = prev.map(|p| format!("was {p:.1}"));
        }
        self
    }
    fn score(&self) -> Option<f64> {
        (self.key >= 0.0).then_some(self.key)
    }
}

pub(super) fn cell(status: Status, score: Option<f64>, title: String) -> Cell {
    let (glyph, class) = match status {
        Status::Pass => ("✔", "pass"),
        Status::PartialCoverage => ("◔", "partial"),
        Status::Partial => ("◐", "partial"),
        Status::Fail => ("✖", "fail"),
        Status::NotAssessed => ("?", "nx"),
        Status::NotApplicable => ("–", "na"),
    };
    let text = match (score, status) {
        (Some(s), _) => format!("{s:.1}"),
        (None, Status::NotApplicable) => "n/a".into(),
        (None, _) => "not assessed".into(),
    };
    Cell {
        text,
        glyph,
        class,
        title,
        key: score.unwrap_or(-1.0),
        delta: "",
        was: None,
    }
}
