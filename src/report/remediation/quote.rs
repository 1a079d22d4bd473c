//! Making text from AWS safe in generated code: shell words, shell and
//! HCL/YAML comments, HCL and YAML strings.
//!
//! Names, descriptions and tags are written by anyone who can create a
//! group, and even ids come from a snapshot file: nothing from it reaches a
//! generated script except through these functions.

use std::borrow::Cow;

/// One shell word: bare when every character is one the shell never
/// interprets, otherwise single-quoted (a `'` inside becomes `'\''`).
pub fn sh(s: &str) -> Cow<'_, str> {
    if is_plain_word(s) {
        Cow::Borrowed(s)
    } else {
        let mut out = String::with_capacity(s.len() + 2);
        quoted_to(&mut out, s);
        Cow::Owned(out)
    }
}

/// [`sh`] appended to `out`, with nothing allocated.
pub fn sh_to(out: &mut String, s: &str) {
    if is_plain_word(s) {
        out.push_str(s);
    } else {
        quoted_to(out, s);
    }
}

fn is_plain_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b'=' | b'@' | b'%' | b'+' | b',')
        })
}

fn quoted_to(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('\'');
    let mut rest = s;
    while let Some(i) = rest.find('\'') {
        out.push_str(&rest[..i]);
        out.push_str(r"'\''");
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out.push('\'');
}

/// Text for a comment line (`# …` in shell, HCL and YAML): every control
/// character (a newline would end the comment and start a command) and
/// every line or paragraph separator written as a visible escape.
pub fn comment(s: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}');
    // Printable ASCII, the common case, has none of them.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) || !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A double-quoted HCL string: quotes, backslashes and control characters
/// escaped, and template sequences (`${`, `%{`) doubled so that nothing is
/// interpolated.
pub fn hcl(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A double-quoted YAML scalar (JSON's string syntax, which YAML reads the
/// same way), with every non-ASCII character escaped too.
pub fn yaml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_control() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_bare_only_when_nothing_in_them_is_special() {
        assert_eq!(sh("sg-0abc"), "sg-0abc");
        assert_eq!(sh("eu-west-1"), "eu-west-1");
        assert_eq!(sh("0.0.0.0/0"), "0.0.0.0/0");
        assert_eq!(sh(""), "''");
        assert_eq!(sh("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("`id`"), "'`id`'");
        assert_eq!(sh("<YOUR-CIDR>"), "'<YOUR-CIDR>'");
        let mut line = String::from("aws");
        for w in [" ", "sg-0abc", "it's"] {
            line.push(' ');
            sh_to(&mut line, w);
        }
        assert_eq!(line, r"aws ' ' sg-0abc 'it'\''s'");
    }

    #[test]
    fn a_newline_cannot_end_a_comment() {
        assert_eq!(comment("web\nrm -rf /"), "web\\u{a}rm -rf /");
        assert_eq!(comment("a\r\u{2028}b"), "a\\u{d}\\u{2028}b");
        assert_eq!(comment("plain $(x) `y`"), "plain $(x) `y`");
    }

    #[test]
    fn hcl_strings_interpolate_nothing() {
        assert_eq!(hcl("${file(\"/etc/passwd\")}"), r#""$${file(\"/etc/passwd\")}""#);
        assert_eq!(hcl("%{if x}"), r#""%%{if x}""#);
        assert_eq!(hcl("a\\b\nc"), r#""a\\b\nc""#);
        assert_eq!(hcl("$5 and 100%"), r#""$5 and 100%""#);
    }

    #[test]
    fn yaml_strings_are_json_strings() {
        for s in [
            "plain",
            "quote \" and \\",
            "line\nbreak",
            "ünï 🙂",
            "- [x]: {y}",
            "\u{7}",
        ] {
            let back: String = serde_json::from_str(&yaml(s)).unwrap();
            assert_eq!(back, s);
        }
    }
}
