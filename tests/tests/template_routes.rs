//! Every route of every router has a matching path in template.yaml, and vice versa; and each
//! group's Lambda router serves exactly its own routes.

use hexaclaw_shared::http::{ROUTES, group_router};
use hexaclaw_tests::{TestEnv, call};
use std::collections::BTreeSet;

/// (method, path) pairs the template routes to functions: SAM `Api` events and the OpenAPI
/// `DefinitionBody` paths. Path params are normalised to `{}` (greedy `{id+}` included).
fn template_routes() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(hexaclaw_tests::repo_root().join("template.yaml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = BTreeSet::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        // SAM Api events: "Path: /v1/..." followed by "Method: X".
        if let Some(p) = t.strip_prefix("Path: ") {
            let m = lines[i + 1..]
                .iter()
                .take(3)
                .find_map(|n| n.trim().strip_prefix("Method: "))
                .expect("Method after Path");
            out.insert((m.to_uppercase(), norm(p)));
        }
        // OpenAPI paths in DefinitionBody: "/v1/...:" then "post:".
        if t.starts_with("/v1/") && t.ends_with(':') {
            let m = lines[i + 1].trim().trim_end_matches(':');
            out.insert((m.to_uppercase(), norm(&t[..t.len() - 1])));
        }
    }
    out
}

/// Replace every `{...}` segment with `{}`.
fn norm(p: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in p.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn template_and_routers_declare_the_same_routes() {
    let code: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(_, m, p)| (m.to_string(), norm(p)))
        .collect();
    let tmpl = template_routes();
    let missing: Vec<_> = code.difference(&tmpl).collect();
    let extra: Vec<_> = tmpl.difference(&code).collect();
    assert!(
        missing.is_empty(),
        "routes missing from template.yaml: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "template.yaml routes no router serves: {extra:?}"
    );
}

#[tokio::test]
async fn each_group_router_serves_its_routes_only() {
    let env = TestEnv::embedded().await;
    let groups: BTreeSet<&str> = ROUTES.iter().map(|(g, _, _)| *g).collect();
    for g in &groups {
        let router =
            group_router(g, env.state.clone()).unwrap_or_else(|| panic!("no router for {g}"));
        for (rg, m, p) in ROUTES {
            let path = p.replace("{*id}", "x").replace("{id}", "x");
            let r = call(
                &router,
                http::Request::builder()
                    .method(*m)
                    .uri(&path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
            let no_route = r.status == 404 && String::from_utf8_lossy(&r.body).contains("No route");
            if rg == g {
                assert!(
                    !no_route && r.status != 405,
                    "{g} does not serve {m} {p}: {}",
                    r.status
                );
            } else {
                assert!(
                    no_route || r.status == 405,
                    "{g} also serves {m} {p} ({})",
                    r.status
                );
            }
        }
    }
}
