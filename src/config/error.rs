//! Configuration errors, located in the file: path, line, column, key, and
//! the line itself with carets under the culprit.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// A configuration error, located in its file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render(.path, .location.as_ref(), .key.as_deref(), .message))]
    Invalid {
        path: PathBuf,
        location: Option<Location>,
        key: Option<String>,
        message: String,
    },
}

/// A place in the config file, with the line it is on for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub width: usize,
    pub text: String,
}

impl Location {
    pub fn of(source: &str, span: Range<usize>) -> Location {
        let start = span.start.min(source.len());
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let text = source[line_start..].lines().next().unwrap_or("").to_string();
        let column = source[line_start..start].chars().count() + 1;
        let width = source[start..span.end.min(source.len())]
            .lines()
            .next()
            .map_or(1, |s| s.chars().count().max(1));
        Location {
            line,
            column,
            width,
            text,
        }
    }
}

fn render(path: &Path, location: Option<&Location>, key: Option<&str>, message: &str) -> String {
    let mut out = String::new();
    match location {
        Some(l) => out.push_str(&format!("{}:{}:{}: ", path.display(), l.line, l.column)),
        None => out.push_str(&format!("{}: ", path.display())),
    }
    if let Some(k) = key.filter(|k| !k.is_empty() && *k != ".") {
        out.push_str(&format!("`{k}`: "));
    }
    out.push_str(message);
    if let Some(l) = location {
        let gutter = l.line.to_string().len();
        out.push_str(&format!(
            "\n{pad} |\n{line} | {text}\n{pad} | {caret_pad}{carets}",
            pad = " ".repeat(gutter),
            line = l.line,
            text = l.text,
            caret_pad = " ".repeat(l.column - 1),
            carets = "^".repeat(l.width.min(l.text.chars().count().saturating_sub(l.column - 1)).max(1)),
        ));
    }
    out
}

impl ConfigError {
    /// An error about the config text at `span`.
    pub fn at(
        path: &Path,
        source: &str,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            location: span.map(|s| Location::of(source, s)),
            key,
            message: message.into(),
        }
    }
}
