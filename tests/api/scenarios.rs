//! The scenarios and golden fixture files both suites run (`common::scenarios::shared_tests!`),
//! here on the host with a fresh `TestApp` each; and the check that the list names every
//! scenario of `tests/common/scenarios/`, so that none runs in one suite only (or in neither).

use crate::common::scenarios::SCENARIOS;
use std::path::Path;

crate::common::scenarios::shared_tests!(&crate::helpers::TestApp::new());

/// The scenarios a source file defines, by name: the `pub fn`s at the start of a line (not
/// methods, which are indented) whose only parameter is the client and that return nothing.
/// Every other public function is a helper (`common::scenarios` says so too).
fn scenarios_in(source: &str) -> Vec<String> {
    let source = format!("\n{source}");
    let mut found = Vec::new();
    for (at, _) in source.match_indices("\npub fn ") {
        let rest = &source[at + "\npub fn ".len()..];
        let name_end = rest.find(['(', '<']).unwrap_or(rest.len());
        let name = rest[..name_end].trim();
        let Some(open) = rest.find('(') else { continue };
        // The parameters: up to the matching parenthesis, split at top-level commas.
        let (mut depth, mut close) = (0usize, None);
        let (mut params, mut param) = (Vec::new(), String::new());
        let mut previous = ' ';
        for (i, ch) in rest[open + 1..].char_indices() {
            match ch {
                ')' if depth == 0 => {
                    close = Some(open + 1 + i);
                    break;
                }
                ',' if depth == 0 => params.push(std::mem::take(&mut param)),
                '(' | '[' | '<' => depth += 1,
                // `->` in a parameter's type closes nothing.
                '>' if previous == '-' => {}
                ')' | ']' | '>' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if !(ch == ',' && depth == 0) {
                param.push(ch);
            }
            previous = ch;
        }
        params.push(param);
        params.retain(|p| !p.trim().is_empty());
        let Some(close) = close else { continue };
        let after = &rest[close + 1..];
        let ret = after[..after.find(['{', ';']).unwrap_or(after.len())].trim();
        let ret = ret.split("where").next().unwrap_or("").trim();
        let returns_nothing = ret.is_empty() || ret.replace(' ', "") == "->()";
        let takes_only_the_client = params.len() == 1 && rest[..close].contains("Client");
        if returns_nothing && takes_only_the_client {
            found.push(name.to_string());
        }
    }
    found
}

/// Every scenario of `tests/common/scenarios/*.rs` as `module::function`, sorted.
fn defined_scenarios() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/scenarios");
    let mut defined = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/common/scenarios exists") {
        let path = entry.expect("a directory entry").path();
        let Some(module) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".rs"))
        else {
            continue;
        };
        if module == "mod" {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        defined.extend(
            scenarios_in(&source)
                .into_iter()
                .map(|f| format!("{module}::{f}")),
        );
    }
    defined.sort();
    defined
}

#[test]
fn every_scenario_is_listed_once() {
    let defined = defined_scenarios();
    let missing: Vec<&str> = defined
        .iter()
        .map(String::as_str)
        .filter(|d| !SCENARIOS.contains(d))
        .collect();
    let stray: Vec<&str> = SCENARIOS
        .iter()
        .copied()
        .filter(|s| !defined.iter().any(|d| d == s))
        .collect();
    let mut twice: Vec<&str> = SCENARIOS
        .iter()
        .copied()
        .filter(|s| SCENARIOS.iter().filter(|t| t == &s).count() > 1)
        .collect();
    twice.dedup();
    assert!(
        missing.is_empty() && stray.is_empty() && twice.is_empty(),
        "the list in `shared_tests!` (tests/common/scenarios/mod.rs) must name every scenario \
         once, so that both suites run it\n  \
         missing from the list (run by neither suite): {missing:?}\n  \
         listed, but no scenario of that name (a `pub fn name(c: &impl Client)` that returns \
         nothing): {stray:?}\n  \
         listed more than once: {twice:?}"
    );
}

#[test]
fn scenarios_are_told_from_helpers_by_their_signature() {
    let source = r#"
use crate::common::{Client, Tenant};

pub const X: &str = "pub fn not_code(c: &impl Client) {}";

/// A scenario.
pub fn plain(c: &impl Client) {
    c.tick(1);
}

pub fn long_name_that_rustfmt_wraps(
    client: &impl Client,
) -> () {
}

pub fn generic<C: Client>(c: &C) where C: Sync {}

pub fn create(c: &impl Client, t: &Tenant, body: Value) -> Value {
    todo!()
}

pub fn send_with(
    c: &impl Client,
    t: &Tenant,
) -> Reply {
    todo!()
}

pub fn people(c: &impl Client) -> People {
    todo!()
}

pub fn all_pages(mut page: impl FnMut(Option<&str>) -> Value, c: &impl Client) {}

pub fn okta_user(user_name: &str) -> Value {
    todo!()
}

fn private(c: &impl Client) {}

impl People {
    pub fn method(c: &impl Client) {}
}
"#;
    assert_eq!(
        scenarios_in(source),
        ["plain", "long_name_that_rustfmt_wraps", "generic"]
    );
}
