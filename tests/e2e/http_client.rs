//! The end-to-end [`Client`]: HTTP/1.1 to the worker on loopback, bounded by timeouts, and a
//! clock tick that waits on the real clock. Every answer goes through the response scanner
//! (`common::scanner`) before the test sees it: a violation fails the test that received it.

use crate::common::{log_scan, scanner, Client, Reply};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct Worker {
    origin: String,
    admin_token: String,
    /// The worker's CREDENTIAL_SECRET, read from the vars file beside its database
    /// (`worker_init` in `scripts/lib.sh`), for the scanner.
    credential_secret: Option<String>,
    agent: ureq::Agent,
    /// What the log scan looks for in the worker's log after the run (`common::log_scan`).
    recorder: log_scan::Recorder,
}

/// `CREDENTIAL_SECRET` from the `vars` file next to the worker's state directory, if any.
fn credential_secret() -> Option<String> {
    let state = std::env::var("SCIM_EDGE_D1_STATE").ok()?;
    let vars = std::path::Path::new(&state).parent()?.join("vars");
    let text = std::fs::read_to_string(vars).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("CREDENTIAL_SECRET="))
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// The worker `make test` started. Refuses anything but a loopback origin.
pub fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let origin = std::env::var("SCIM_EDGE_URL")
            .expect("SCIM_EDGE_URL is not set: run the end-to-end suite with `make test`");
        assert!(
            origin.starts_with("http://127.0.0.1:") || origin.starts_with("http://localhost:"),
            "the end-to-end suite only talks to loopback, not {origin}"
        );
        let admin_token =
            std::env::var("SCIM_EDGE_ADMIN_TOKEN").expect("SCIM_EDGE_ADMIN_TOKEN is not set");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are answers to check, not to follow (the sign-in's 303 sets the cookie).
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .max_idle_connections_per_host(16)
            .build()
            .into();
        Worker {
            origin: origin.trim_end_matches('/').to_string(),
            admin_token,
            credential_secret: credential_secret(),
            agent,
            recorder: log_scan::Recorder::from_env(),
        }
    })
}

impl Client for Worker {
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let sent_headers = headers;
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.origin));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body_sent = body.map(<[u8]>::to_vec);
        let request = builder
            .body(body_sent.clone().unwrap_or_default())
            .expect("valid request");
        let mut response = self
            .agent
            .run(request)
            .unwrap_or_else(|e| panic!("{method} {path}: no answer from the worker: {e}"));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_else(|e| panic!("{method} {path}: unreadable body: {e}"));
        let reply = Reply {
            status,
            headers,
            body,
        };
        self.recorder.record(log_scan::sensitive(
            path,
            sent_headers,
            body_sent.as_deref(),
            &reply.body,
        ));
        scanner::remember_sent(path, body_sent.as_deref());
        scanner::check(
            &scanner::Request {
                method,
                path,
                admin_token: &self.admin_token,
                credential_secret: self.credential_secret.as_deref(),
            },
            &reply,
        );
        reply
    }

    fn admin_token(&self) -> &str {
        &self.admin_token
    }

    fn origin(&self) -> String {
        self.origin.clone()
    }

    fn is_e2e(&self) -> bool {
        true
    }

    /// Waits until `ms` milliseconds have passed on the real (monotonic) clock. The worker runs on
    /// this machine and stamps requests with its clock in whole milliseconds; after a real `ms` ms,
    /// those stamps are at least `ms` apart whatever the offset within a millisecond.
    fn tick(&self, ms: u64) {
        let wait = Duration::from_millis(ms);
        let start = Instant::now();
        while let Some(left) = wait.checked_sub(start.elapsed()).filter(|d| !d.is_zero()) {
            std::thread::sleep(left);
        }
    }
}
