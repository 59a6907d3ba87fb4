//! The retention Cron Trigger on the worker, which only `wrangler dev` runs. (The report
//! scenarios both suites run are in `common::scenarios::reports`.)

use crate::common::scenarios::reports as s;
use crate::common::Client;
use crate::http_client::worker;

/// The Cron Trigger's handler runs under wrangler dev (its scheduled-event endpoint) and keeps
/// what is younger than the retention: the log of a write made just now is still whole after it.
/// (Removal of old entries is proven on the host, where time can be set; here every entry of
/// the run is recent, and other tests read the log concurrently.)
#[test]
fn the_retention_trigger_runs_and_keeps_recent_entries() {
    let c = worker();
    let t = c.new_tenant(&crate::common::unique("Retention "));
    let name = format!("{}@example.com", crate::common::unique("kept."));
    c.scim(
        &t.token,
        "POST",
        "/Users",
        Some(crate::common::scenarios::users::okta_user(&name)),
    )
    .expect(201);
    let before = s::activity(c, &t.id, &[]);
    // Its run acts on every tenant (the purge test's among them): it takes its turn.
    let _turn = crate::cron::dated_runs();
    let r = c.send(
        "GET",
        "/cdn-cgi/handler/scheduled?cron=17+3+*+*+*",
        &[],
        None,
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "ok"),
        "the scheduled handler ran without an exception"
    );
    assert_eq!(s::activity(c, &t.id, &[]), before);
}
