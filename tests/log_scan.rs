//! The log scan (issue 21), run by `scripts/test.sh` after the whole end-to-end suite and the
//! conformance checkers, with the worker stopped: the worker's log (`SCIM_EDGE_WORKER_LOG`,
//! every line `wrangler dev` wrote in the run, its request lines included, and its debug log
//! `SCIM_EDGE_WORKER_DEBUG_LOG` when set: the inspector's messages) holds none of the
//! emails, userNames, filter values and credentials the suite sent or was issued (recorded in
//! `SCIM_EDGE_E2E_RECORD` by the client, `common::log_scan`), and no text of an email's or a
//! token's shape. A test target of its own (feature `e2e`, like the suite it reads), which
//! `scripts/test.sh` runs once the run it describes is over: no test of the suite is skipped.

#[path = "common/mod.rs"]
mod common;

use common::log_scan::{read_record, scan, Kind};

#[test]
fn the_worker_log_holds_no_email_username_filter_value_or_token() {
    let log_path = std::env::var("SCIM_EDGE_WORKER_LOG").expect("SCIM_EDGE_WORKER_LOG");
    let record_path = std::env::var("SCIM_EDGE_E2E_RECORD").expect("SCIM_EDGE_E2E_RECORD");
    let mut log = std::fs::read_to_string(&log_path).expect("the worker's log");
    if let Ok(debug) = std::env::var("SCIM_EDGE_WORKER_DEBUG_LOG") {
        // Appended after the console log: a finding's line number counts on from it.
        log.push_str(&std::fs::read_to_string(&debug).expect("wrangler's debug log"));
    }
    let recorded = read_record(&std::fs::read_to_string(&record_path).expect("the record"));
    // The scan must have had something to look for, and the log must be this run's.
    let count = |k| recorded.iter().filter(|(kind, _)| *kind == k).count();
    for kind in [Kind::Email, Kind::UserName, Kind::Credential] {
        assert!(
            count(kind) > 0,
            "the run recorded no {kind:?}: is the recorder wired?"
        );
    }
    assert!(
        log.contains("\"operation\":\"scim.users.post\""),
        "{log_path} holds no request line of a create: not this run's log?"
    );
    let findings = scan(&log, &recorded);
    let lines: Vec<&str> = log.lines().collect();
    let report: Vec<String> = findings
        .iter()
        .take(20)
        .map(|f| {
            let text = lines.get(f.line - 1).copied().unwrap_or_default();
            format!(
                "  line {}: {}\n    {}",
                f.line,
                f.what,
                &text[..text.len().min(300)]
            )
        })
        .collect();
    assert!(
        findings.is_empty(),
        "{} findings in {log_path} ({} lines, {} values looked for: {} emails, {} userNames, {} \
         filter values, {} credentials):\n{}",
        findings.len(),
        lines.len(),
        recorded.len(),
        count(Kind::Email),
        count(Kind::UserName),
        count(Kind::FilterValue),
        count(Kind::Credential),
        report.join("\n")
    );
    eprintln!(
        "log scan: {} lines clean of {} recorded values ({} emails, {} userNames, {} filter \
         values, {} credentials) and of email and token shapes",
        lines.len(),
        recorded.len(),
        count(Kind::Email),
        count(Kind::UserName),
        count(Kind::FilterValue),
        count(Kind::Credential)
    );
}
