//! Escaping text for HTML documents (element content and quoted attribute values).

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references, so that it can go
/// into element content or into an attribute value quoted with either quote.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_both_quotes_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn other_text_is_kept_as_it_is() {
        assert_eq!(escape("Grüße, 1 + 1 = 2"), "Grüße, 1 + 1 = 2");
        assert_eq!(escape(""), "");
    }
}
