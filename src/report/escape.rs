//! Escaping of strings that came from AWS, for every output format.
//!
//! Security group names, descriptions and tags are written by anyone who can
//! create a group. They reach reports only through these functions (HTML
//! relies on Tera's autoescaping, which is on for every `.html` template and
//! calls [`html_to`]; the account pages' finding rows, group rows and graph
//! elements, written in Rust, call it themselves).

/// Escape text for HTML element content and double- or single-quoted
/// attribute values: `&`, `<`, `>`, `"` and `'`. (Tera's default also escapes
/// `/`, which only matters in unquoted attributes; sgaudit quotes them all.)
pub fn html(value: &str) -> String {
    let mut out = Vec::with_capacity(value.len() + 16);
    html_to(value, &mut out).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("escaping keeps UTF-8 intact")
}

/// JSON for a data block (`<script type="application/json">`) of a page:
/// `<`, `>` and `&` written as JSON escapes, so that no string in it can
/// close the element (`</script>`) or open a comment, whatever the data; the
/// page's script reads it with `JSON.parse` and writes it as text.
pub fn json_in_html(value: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(value).expect("serializing plain data cannot fail");
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML entity for a byte that needs one.
fn html_entity(b: u8) -> Option<&'static [u8]> {
    match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'"' => Some(b"&quot;"),
        b'\'' => Some(b"&#39;"),
        _ => None,
    }
}

/// Neutralise a CSV cell against formula injection: a cell starting with
/// `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'`, which
/// spreadsheets show but do not evaluate (OWASP's recommendation).
pub fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// [`html`] in the form Tera's escape function takes: runs of plain text are
/// written as they are, each special byte as its entity. (The five are ASCII,
/// so they never occur inside a multi-byte UTF-8 sequence.)
pub fn html_to(value: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = value.as_bytes();
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(entity) = html_entity(b) {
            out.write_all(&bytes[plain..i])?;
            out.write_all(entity)?;
            plain = i + 1;
        }
    }
    out.write_all(&bytes[plain..])
}

/// [`markdown`] in the form Tera's escape function takes.
pub fn markdown_to(value: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(markdown(value).as_bytes())
}

/// Escape text for inline use in CommonMark / GitHub-flavoured Markdown: no
/// emphasis, code, links, images, raw HTML, table cells or autolinks can be
/// formed from it, and it stays on one line.
pub fn markdown(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let chars: Vec<char> = value.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            // `(`, `!` and `#` need no escape: links need an unescaped `[`, and
            // a value never starts a line.
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            // `scheme://` and e-mail addresses become links on GitHub even
            // without brackets (GFM autolinks); entities stop the parser seeing them.
            ':' if chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/') => out.push_str("&#58;"),
            '@' => out.push_str("&#64;"),
            '.' if i >= 3 && chars[i - 3..i].iter().collect::<String>().eq_ignore_ascii_case("www") => {
                out.push_str("&#46;")
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html("<a href=\"x\" onclick='y'>&</a>"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(html("10.0.0.0/8"), "10.0.0.0/8");
    }

    #[test]
    fn json_in_a_data_block_cannot_close_it_and_reads_back_the_same() {
        let hostile = ["</script><script>alert(1)</script>", "<!--", "a&b", "x>y"];
        let json = json_in_html(&hostile);
        assert!(
            !json.contains('<') && !json.contains('>') && !json.contains('&'),
            "{json}"
        );
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, hostile);
    }

    #[test]
    fn html_keeps_text_around_entities_intact() {
        assert_eq!(html("é<ü>日本\"x'"), "é&lt;ü&gt;日本&quot;x&#39;");
        assert_eq!(html("&&"), "&amp;&amp;");
        assert_eq!(html(""), "");
    }

    #[test]
    fn formulas_are_neutralised() {
        for hostile in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(hostile).starts_with('\''), "{hostile}");
        }
        assert_eq!(csv_cell("sg-0abc"), "sg-0abc");
        assert_eq!(csv_cell("10.0.0.0/8"), "10.0.0.0/8");
    }

    #[test]
    fn markdown_cannot_form_links_html_or_cells() {
        assert_eq!(markdown("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
        assert_eq!(markdown("<script>a|b</script>"), "\\<script\\>a\\|b\\</script\\>");
        assert_eq!(markdown("line1\nline2"), "line1 line2");
        assert_eq!(markdown("see http://evil.example"), "see http&#58;//evil.example");
        assert_eq!(markdown("www.evil.example"), "www&#46;evil.example");
        assert_eq!(markdown("ops@example.com"), "ops&#64;example.com");
        assert_eq!(markdown("2001:db8::/32"), "2001:db8::/32");
        assert_eq!(markdown("::/0"), "::/0");
    }
}
