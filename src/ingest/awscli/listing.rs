//! One file of AWS CLI output: the items of one listing, in any of the shapes
//! the CLI (or a collector around it) writes.
//!
//! - one JSON object, the CLI's default (it follows the pages itself and
//!   merges them): `{"SecurityGroups": [...]}`;
//! - pages, as a script that follows `NextToken` writes them: one object per
//!   page, either concatenated (`aws ... >> file`, one document after
//!   another) or as a JSON array of page objects;
//! - `{}`: the call returned nothing.
//!
//! A listing whose last page still has a `NextToken` (or `NextMarker`,
//! RDS's `Marker`) is incomplete: the export stopped before the end, and
//! the caller records a gap rather than trusting the part it has.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::ImportError;

/// A file read from the export.
pub(super) struct Source {
    /// The path as the user knows it, for messages.
    pub path: std::path::PathBuf,
    pub bytes: Vec<u8>,
}

/// What a listing file holds.
#[derive(Debug)]
pub(super) enum Listing<T> {
    Items(Vec<T>),
    /// Its last page has a continuation token: the rest was never exported.
    Truncated,
}

/// The keys a page may hold besides its items: continuation tokens and the
/// metadata some tools keep.
const PAGE_KEYS: [&str; 5] = ["NextToken", "NextMarker", "Marker", "ResponseMetadata", "IsTruncated"];

/// Tokens that mean "there is more".
const CONTINUATION: [&str; 3] = ["NextToken", "NextMarker", "Marker"];

type Page<'a> = BTreeMap<Cow<'a, str>, &'a RawValue>;

/// The items under `key` in `source`, of every page.
pub(super) fn read<T: DeserializeOwned>(source: &Source, key: &str) -> Result<Listing<T>, ImportError> {
    let text = source.bytes.as_slice();
    let documents = documents(source)?;
    let mut pages: Vec<(String, Page)> = Vec::new();
    for (start, end) in documents {
        let doc = &text[start..end];
        let first = doc.iter().copied().find(|b| !b.is_ascii_whitespace());
        match first {
            Some(b'[') => {
                let list: Vec<Page> = parse(source, start, doc, "")?;
                pages.extend(list.into_iter().enumerate().map(|(i, p)| (format!("[{i}]."), p)));
            }
            Some(b'{') => pages.push((String::new(), parse(source, start, doc, "")?)),
            _ => {
                let (line, column) = position(text, start + doc.iter().take_while(|b| b.is_ascii_whitespace()).count());
                return Err(ImportError::Parse {
                    path: source.path.clone(),
                    line,
                    column,
                    field: None,
                    message: format!(
                        "expected the JSON object the AWS CLI writes (with `{key}`), or an array of its pages"
                    ),
                });
            }
        }
    }
    let mut items = Vec::new();
    for (prefix, page) in &pages {
        if let Some(raw) = page.get(key) {
            if raw.get() == "null" {
                continue;
            }
            let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
            let mut part: Vec<T> = parse(source, offset, raw.get().as_bytes(), &format!("{prefix}{key}"))?;
            items.append(&mut part);
        } else if let Some(other) = page.keys().find(|k| !PAGE_KEYS.contains(&k.as_ref())) {
            // `{}` is an empty answer; an object of other keys is another command's.
            return Err(ImportError::Layout {
                path: source.path.clone(),
                message: format!(
                    "{}has `{other}` but no `{key}`: is this the output of another command?",
                    if prefix.is_empty() {
                        String::new()
                    } else {
                        format!("page {} ", &prefix[1..prefix.len() - 2])
                    }
                ),
            });
        }
    }
    let truncated = pages.last().is_some_and(|(_, last)| {
        CONTINUATION
            .iter()
            .any(|k| last.get(*k).is_some_and(|v| !matches!(v.get(), "null" | "\"\"")))
    });
    Ok(if truncated {
        Listing::Truncated
    } else {
        Listing::Items(items)
    })
}

/// The byte ranges of the JSON documents in the file (usually one).
fn documents(source: &Source) -> Result<Vec<(usize, usize)>, ImportError> {
    let text = source.bytes.as_slice();
    let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<serde::de::IgnoredAny>();
    let mut out = Vec::new();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(_)) => out.push((start, stream.byte_offset())),
            Some(Err(e)) => return Err(error(source, 0, e, None)),
        }
    }
    if out.is_empty() {
        return Err(ImportError::Layout {
            path: source.path.clone(),
            message: "the file is empty: expected the JSON output of the AWS CLI (was the command interrupted?)".into(),
        });
    }
    Ok(out)
}

/// Deserialize `part` (at `offset` in the file), locating an error by the
/// file's line and column and by its JSON path under `at`.
fn parse<'a, T: serde::Deserialize<'a>>(
    source: &Source,
    offset: usize,
    part: &'a [u8],
    at: &str,
) -> Result<T, ImportError> {
    let mut de = serde_json::Deserializer::from_slice(part);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.path().to_string();
        let field = match (at.is_empty(), inner.as_str()) {
            (true, ".") => None,
            (true, _) => Some(inner),
            (false, ".") => Some(at.to_string()),
            (false, _) if inner.starts_with('[') => Some(format!("{at}{inner}")),
            (false, _) => Some(format!("{at}.{inner}")),
        };
        error(source, offset, e.into_inner(), field)
    })
}

fn error(source: &Source, offset: usize, e: serde_json::Error, field: Option<String>) -> ImportError {
    let text = source.bytes.as_slice();
    let (base_line, base_column) = position(text, offset);
    let line = base_line + e.line().saturating_sub(1);
    let column = if e.line() <= 1 {
        base_column + e.column().saturating_sub(1)
    } else {
        e.column()
    };
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    };
    ImportError::Parse {
        path: source.path.clone(),
        line,
        column,
        field,
        message,
    }
}

/// The 1-based line and column of byte `offset`.
fn position(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let column = 1 + before.iter().rev().take_while(|b| **b != b'\n').count();
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SecurityGroup;

    fn source(text: &str) -> Source {
        Source {
            path: "export/111111111111/eu-west-1/ec2-describe-security-groups.json".into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn groups(text: &str) -> Result<Listing<SecurityGroup>, ImportError> {
        read(&source(text), "SecurityGroups")
    }

    fn ids(l: Listing<SecurityGroup>) -> Vec<String> {
        match l {
            Listing::Items(v) => v.into_iter().map(|g| g.group_id.to_string()).collect(),
            Listing::Truncated => panic!("truncated"),
        }
    }

    #[test]
    fn the_cli_default_shape_and_its_extra_fields() {
        let l = groups(
            r#"{"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "a", "Description": "d",
               "SecurityGroupArn": "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-1",
               "IpPermissions": [], "IpPermissionsEgress": []}]}"#,
        )
        .unwrap();
        assert_eq!(ids(l), ["sg-1"]);
    }

    #[test]
    fn pages_concatenated_or_in_an_array_are_joined() {
        let concatenated = "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\"}], \"NextToken\": \"t1\"}\n\
                            {\"SecurityGroups\": [{\"GroupId\": \"sg-2\"}]}\n";
        assert_eq!(ids(groups(concatenated).unwrap()), ["sg-1", "sg-2"]);
        let array = r#"[{"SecurityGroups": [{"GroupId": "sg-1"}], "NextToken": "t1"},
                        {"SecurityGroups": [{"GroupId": "sg-2"}], "NextToken": null}]"#;
        assert_eq!(ids(groups(array).unwrap()), ["sg-1", "sg-2"]);
    }

    #[test]
    fn an_empty_object_is_an_empty_answer() {
        assert!(ids(groups("{}\n").unwrap()).is_empty());
        assert!(ids(groups(r#"{"SecurityGroups": []}"#).unwrap()).is_empty());
    }

    #[test]
    fn a_last_page_with_a_token_is_incomplete() {
        let l = groups(r#"{"SecurityGroups": [{"GroupId": "sg-1"}], "NextToken": "eyJ..."}"#).unwrap();
        assert!(matches!(l, Listing::Truncated));
    }

    #[test]
    fn a_truncated_file_is_located_by_line_and_column() {
        let e = groups("{\"SecurityGroups\": [\n  {\"GroupId\": \"sg-1\",\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("export/111111111111/eu-west-1/ec2-describe-security-groups.json:3:"),
            "{e}"
        );
        assert!(e.contains("EOF while parsing"), "{e}");
    }

    #[test]
    fn a_bad_value_is_located_by_line_and_json_path() {
        let text = "[{\"SecurityGroups\": []},\n {\"SecurityGroups\": [{\"GroupId\": \"sg-2\",\n   \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"IpRanges\": [{\"CidrIp\": \"10.0.0.300/8\"}]}]}]}]";
        let e = groups(text).unwrap_err().to_string();
        assert!(e.contains(":3:"), "{e}");
        assert!(
            e.contains("(at `[1].SecurityGroups[0].IpPermissions[0].IpRanges[0].CidrIp`)"),
            "{e}"
        );
    }

    #[test]
    fn another_commands_output_is_refused() {
        let e = groups(r#"{"Vpcs": []}"#).unwrap_err().to_string();
        assert!(e.contains("has `Vpcs` but no `SecurityGroups`"), "{e}");
    }

    #[test]
    fn an_empty_file_is_an_error() {
        let e = groups("  \n").unwrap_err().to_string();
        assert!(e.contains("the file is empty"), "{e}");
    }
}
