//! `read`, `write` and `edit`: files on the user's machine (`~` expands to the home directory,
//! relative paths are relative to where the CLI runs).

use super::ToolResult;
use anyhow::{Context, bail};
use serde_json::Value;
use std::path::PathBuf;

/// Most characters `read` returns.
const MAX_READ_CHARS: usize = 100_000;

/// A path as the user means it.
pub fn resolve(p: &str) -> PathBuf {
    let p = p.trim();
    if p == "~" {
        return dirs::home_dir().unwrap_or_default();
    }
    if let (Some(rest), Some(home)) = (p.strip_prefix("~/"), dirs::home_dir()) {
        return home.join(rest);
    }
    PathBuf::from(p)
}

fn path_arg(a: &Value) -> anyhow::Result<PathBuf> {
    match a["path"].as_str().filter(|p| !p.trim().is_empty()) {
        Some(p) => Ok(resolve(p)),
        None => bail!("path is required"),
    }
}

pub(super) fn read(a: &Value) -> anyhow::Result<ToolResult> {
    let path = path_arg(a)?;
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.contains(&0) {
        return Ok(ToolResult::text(format!(
            "{} is a binary file ({} bytes)",
            path.display(),
            bytes.len()
        )));
    }
    let text = String::from_utf8_lossy(&bytes);
    let offset = a["offset"].as_u64().unwrap_or(1).max(1) as usize;
    let limit = a["limit"].as_u64().map(|l| l as usize);
    let lines: Vec<&str> = text.lines().collect();
    let total = lines.len();
    let end = limit.map_or(total, |l| (offset - 1 + l).min(total));
    let mut out = lines
        .get(offset - 1..end)
        .map(|s| s.join("\n"))
        .unwrap_or_default();
    if out.chars().count() > MAX_READ_CHARS {
        out = out.chars().take(MAX_READ_CHARS).collect();
        out.push_str("\n… [truncated; read further with offset/limit]");
    } else if end < total {
        out.push_str(&format!(
            "\n… [lines {offset}-{end} of {total}; read further with offset/limit]"
        ));
    }
    Ok(ToolResult::text(out))
}

pub(super) fn write(a: &Value) -> anyhow::Result<ToolResult> {
    let path = path_arg(a)?;
    let Some(content) = a["content"].as_str() else {
        bail!("content is required");
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
    Ok(ToolResult::text(format!(
        "wrote {} bytes to {}",
        content.len(),
        path.display()
    )))
}

pub(super) fn edit(a: &Value) -> anyhow::Result<ToolResult> {
    let path = path_arg(a)?;
    let (Some(old), Some(new)) = (a["old_string"].as_str(), a["new_string"].as_str()) else {
        bail!("old_string and new_string are required");
    };
    if old.is_empty() {
        bail!("old_string must not be empty");
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let n = text.matches(old).count();
    let all = a["replace_all"].as_bool().unwrap_or(false);
    match n {
        0 => bail!("old_string was not found in {}", path.display()),
        n if n > 1 && !all => bail!(
            "old_string appears {n} times in {}; include more context or set replace_all",
            path.display()
        ),
        _ => {}
    }
    let out = if all {
        text.replace(old, new)
    } else {
        text.replacen(old, new, 1)
    };
    std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))?;
    Ok(ToolResult::text(format!(
        "replaced {} occurrence(s) in {}",
        if all { n } else { 1 },
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn write_read_and_edit_a_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/notes.txt");
        let ps = p.display().to_string();
        let w = write(&json!({"path": ps, "content": "one\ntwo\ntwo\nthree"})).unwrap();
        assert!(w.content.contains("wrote 17 bytes"), "{}", w.content);
        let r = read(&json!({"path": ps, "offset": 2, "limit": 2})).unwrap();
        assert!(
            r.content.starts_with("two\ntwo\n… [lines 2-3 of 4"),
            "{}",
            r.content
        );
        let e = edit(&json!({"path": ps, "old_string": "two", "new_string": "2"})).unwrap_err();
        assert!(e.to_string().contains("appears 2 times"));
        edit(&json!({"path": ps, "old_string": "one", "new_string": "1"})).unwrap();
        edit(&json!({"path": ps, "old_string": "two", "new_string": "2", "replace_all": true}))
            .unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "1\n2\n2\nthree");
        assert!(edit(&json!({"path": ps, "old_string": "zzz", "new_string": ""})).is_err());
        assert!(read(&json!({"path": d.path().join("nope").display().to_string()})).is_err());
    }
}
