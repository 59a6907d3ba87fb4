//! Rate limiting at the edge (DESIGN §8): the limiters (Workers Rate Limiting bindings,
//! `[[ratelimits]]` in `wrangler.toml`), what a request is counted under, and the client address.
//! Each API decides what its requests count under (`scim_api::throttle`,
//! `admin_api::throttle`); the edge asks the limiters before the application runs, so a
//! throttled request touches no database and changes nothing.
//!
//! One rule runs through all of it: Okta and Entra send every customer's traffic from shared
//! addresses, so a request is counted per client address only when its credential has already
//! failed (or, for the old token format, cannot be checked without the database). A credential
//! that works is never counted per address, and so is never throttled by what others send from
//! the same address.

use super::{header, Request};
use std::net::IpAddr;

/// A limiter of `wrangler.toml` (`[[ratelimits]]`): its binding, its window and its limit. The
/// limit lives in `wrangler.toml`; it is repeated here for the documentation and the test that
/// keeps both in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiter {
    /// SCIM requests per token (genuine tokens, known or not, and old-format tokens): 1,000
    /// in 10 s. An IdP retrying a revoked token meets it alone.
    Token,
    /// Failed credentials per client address, refused before any database access: SCIM
    /// tokens whose check value fails or that have no token's shape, and wrong admin
    /// credentials: 100 in 60 s.
    FailedCredential,
    /// Old-format SCIM tokens per client address (they can only be checked in the database):
    /// 2,000 in 10 s, enough for one IdP's egress address.
    LegacyToken,
    /// `GET /healthz` per client address (it answers without a credential): 60 in 60 s.
    Health,
}

impl Limiter {
    pub const ALL: [Limiter; 4] = [
        Limiter::Token,
        Limiter::FailedCredential,
        Limiter::LegacyToken,
        Limiter::Health,
    ];

    /// The binding's name in `wrangler.toml`.
    pub fn binding(self) -> &'static str {
        match self {
            Limiter::Token => "SCIM_RATE_LIMITER",
            Limiter::FailedCredential => "AUTH_FAILURE_LIMITER",
            Limiter::LegacyToken => "LEGACY_TOKEN_LIMITER",
            Limiter::Health => "HEALTH_LIMITER",
        }
    }

    /// The window in seconds (10 or 60), also the `Retry-After` of a throttled answer: the
    /// window has passed by then.
    pub fn period_seconds(self) -> u32 {
        match self {
            Limiter::Token | Limiter::LegacyToken => 10,
            Limiter::FailedCredential | Limiter::Health => 60,
        }
    }

    /// Requests allowed per key and window.
    pub fn limit(self) -> u32 {
        match self {
            Limiter::Token => 1000,
            Limiter::FailedCredential => 100,
            Limiter::LegacyToken => 2000,
            Limiter::Health => 60,
        }
    }
}

/// The var (`[vars]` in `wrangler.toml`) whose value `off` lifts the per-token limiter
/// ([`Limiter::Token`]) for benchmarks; failed credentials stay limited.
pub const RATE_LIMIT_VAR: &str = "SCIM_RATE_LIMIT";

/// One count a request must pass: `key` under `limiter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub limiter: Limiter,
    pub key: String,
}

impl Count {
    /// Counted per client address, within `scope` (each scope its own budget).
    pub fn per_address(limiter: Limiter, scope: &str, req: &Request) -> Count {
        Count {
            limiter,
            key: format!("{scope}:{}", client_address(req)),
        }
    }
}

/// The key of every request without a usable client address.
pub const UNKNOWN_ADDRESS: &str = "unknown";

/// The client's address as a counting key, from `CF-Connecting-IP` (set by Cloudflare to the
/// address the connection came from; under `wrangler dev`, the peer's address, or whatever the
/// client sent in that header). An IPv4 address counts alone; an IPv6 address by its /64, the
/// block one subscriber holds. A request without a parseable address shares one key,
/// [`UNKNOWN_ADDRESS`].
pub fn client_address(req: &Request) -> String {
    let ip = header(
        req,
        http::header::HeaderName::from_static("cf-connecting-ip"),
    )
    .and_then(|v| v.trim().parse::<IpAddr>().ok());
    match ip {
        Some(IpAddr::V4(a)) => a.to_string(),
        Some(IpAddr::V6(a)) => match a.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = a.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => UNKNOWN_ADDRESS.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::plumbing::Body;

    fn from(ip: Option<&str>) -> Request {
        let mut b = http::Request::builder().uri("https://h/scim/v2/Users");
        if let Some(ip) = ip {
            b = b.header("CF-Connecting-IP", ip);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn client_addresses() {
        let table = [
            (Some("203.0.113.7"), "203.0.113.7"),
            (Some(" 203.0.113.7 "), "203.0.113.7"),
            (Some("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64"),
            (Some("2001:db8:1:2::99"), "2001:db8:1:2::/64"),
            (Some("::ffff:198.51.100.1"), "198.51.100.1"),
            (Some("garbage"), UNKNOWN_ADDRESS),
            (Some(""), UNKNOWN_ADDRESS),
            (None, UNKNOWN_ADDRESS),
        ];
        for (ip, key) in table {
            assert_eq!(client_address(&from(ip)), key, "{ip:?}");
        }
        assert_eq!(
            Count::per_address(
                Limiter::FailedCredential,
                "scim",
                &from(Some("203.0.113.7"))
            ),
            Count {
                limiter: Limiter::FailedCredential,
                key: "scim:203.0.113.7".into()
            }
        );
    }

    /// The limiters of `wrangler.toml`'s top level (local development) are the ones named here,
    /// with the windows and limits documented here; `scripts/config_check.py` holds every
    /// deployed environment's to the top level's.
    #[test]
    fn limiters_match_wrangler_toml() {
        let toml =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/wrangler.toml")).unwrap();
        // The top level: everything before the first environment's table.
        let top = toml.split("\n[env.").next().unwrap();
        let blocks: Vec<&str> = top.split("\n[[ratelimits]]\n").skip(1).collect();
        assert_eq!(blocks.len(), Limiter::ALL.len(), "{toml}");
        let mut namespaces = Vec::new();
        for limiter in Limiter::ALL {
            let block = blocks
                .iter()
                .find(|b| b.contains(&format!("name = \"{}\"", limiter.binding())))
                .unwrap_or_else(|| panic!("no [[ratelimits]] {}", limiter.binding()));
            let simple = format!(
                "simple = {{ limit = {}, period = {} }}",
                limiter.limit(),
                limiter.period_seconds()
            );
            assert!(
                block.contains(&simple),
                "{} lacks {simple}",
                limiter.binding()
            );
            let ns = block
                .lines()
                .find_map(|l| l.trim().strip_prefix("namespace_id = "))
                .unwrap();
            namespaces.push(ns.to_string());
        }
        namespaces.sort();
        namespaces.dedup();
        assert_eq!(
            namespaces.len(),
            Limiter::ALL.len(),
            "namespace ids must differ"
        );
    }
}
