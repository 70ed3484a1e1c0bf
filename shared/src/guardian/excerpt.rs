//! Excerpts that are safe to log: plain text for attack phrases, masked values for secrets and PII.

const MAX: usize = 80;

fn floor(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The matched text, whitespace collapsed, cut to 80 bytes.
pub(crate) fn plain(text: &str, start: usize, end: usize) -> String {
    let (s, e) = (floor(text, start), floor(text, end));
    let raw = &text[s..e.max(s)];
    let mut out = String::with_capacity(raw.len().min(MAX + 3));
    let mut last_space = false;
    for c in raw.chars() {
        if out.len() >= MAX {
            out.push('…');
            break;
        }
        let space = c.is_whitespace() || c.is_control();
        if space && !last_space {
            out.push(' ');
        } else if !space {
            out.push(c);
        }
        last_space = space;
    }
    out
}

/// Keeps a known prefix and masks the rest: `sk-proj-****…(164 chars)`.
pub(crate) fn secret(value: &str, keep: usize) -> String {
    let keep = floor(value, keep.min(value.len() / 3));
    format!("{}****({} chars)", &value[..keep], value.chars().count())
}

/// Masks every digit except the last `visible`: `**** **** **** 4242`.
pub(crate) fn digits(value: &str, visible: usize) -> String {
    let total = value.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + visible > total { c } else { '*' }
            } else {
                c
            }
        })
        .collect()
}

/// Masks an email's local part except its first character: `m***@gmail.com`.
pub(crate) fn email(value: &str) -> String {
    match value.split_once('@').or_else(|| value.split_once("%40")) {
        Some((local, domain)) => {
            let first = local.chars().next().map(String::from).unwrap_or_default();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Keeps the first `visible` characters and masks the rest.
pub(crate) fn head(value: &str, visible: usize) -> String {
    let keep = floor(value, visible);
    format!(
        "{}{}",
        &value[..keep],
        "*".repeat(value[keep..].chars().count().min(24))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_show_the_whole_value() {
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
        let shown = secret(key, 8);
        assert!(shown.starts_with("sk-proj-****"));
        assert!(!shown.contains("abcdef"));
        assert_eq!(digits("4242 4242 4242 4241", 4), "**** **** **** 4241");
        assert_eq!(email("maria@gmail.com"), "m***@gmail.com");
        assert_eq!(head("DE89370400440532013000", 4), "DE89******************");
        assert_eq!(plain("a\n\n b", 0, 5), "a b");
    }
}
