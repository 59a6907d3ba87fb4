//! Which database serves which tenant (DESIGN §9): decided here and nowhere else.
//!
//! Tenants are spread over several D1 databases, the **shards**: static bindings of the worker,
//! each with the same migrations. Shard 0 is `DB`, the database every tenant lived in before;
//! shard `n` is `DB_<n>` ([`SHARD_BINDINGS`], and every environment of `wrangler.toml` declares
//! each one: `scripts/config_check.py` sees to it).
//!
//! A tenant's shard is chosen when it is created ([`placement`], [`least_full`]) and never
//! changes. It is written into the tenant's id ([`new_tenant_id`]: `tnt_<shard>_<hex>`; an id
//! without the mark, as every id issued before, is shard 0) and into every credential issued
//! for it (`app::plumbing::credential`: `scim_1_<shard>_…`, `signin_1_<shard>_…`,
//! `session_1_<shard>_…`), so that a request reaches its database without a lookup
//! (`app::plumbing::reach` reads the shard off the request; the edge opens that binding).
//!
//! Adding a shard never moves a tenant: a new binding (`DB_<n>`, appended here and in every
//! environment), its migrations, and from then on new tenants may be placed there (README,
//! "Adding a shard").
//!
//! [`Shards`] holds the stores of a request (the one its shard names, or all of them for what
//! spans every tenant: the operator's tenant list, tenant creation, `/healthz`, the Cron
//! Triggers).

use super::batch::{Columns, FromRow, Query};
use super::{Row, Stmt, StoreError};
use crate::model::TenantId;

/// The D1 bindings of the shards, shard `n` at index `n`. Append only: a shard's number is in
/// its tenants' ids and credentials.
pub const SHARD_BINDINGS: &[&str] = &["DB", "DB_1"];

/// How many shards this build serves.
pub fn count() -> u16 {
    SHARD_BINDINGS.len() as u16
}

/// The D1 binding of `shard`, if this build has it.
pub fn binding(shard: u16) -> Option<&'static str> {
    SHARD_BINDINGS.get(usize::from(shard)).copied()
}

/// A tenant id's prefix.
const TENANT_PREFIX: &str = "tnt_";

/// The shard of a tenant, read off its id: `tnt_<shard>_<rest>` (the shard in decimal, in its
/// one spelling); any other id (`tnt_<hex>`, ids issued before shards) is shard 0. Neither a
/// secret nor a check: an id whose mark was altered names another database, where it is not
/// found (404).
pub fn of_tenant(tenant: &TenantId) -> u16 {
    let Some(rest) = tenant.as_str().strip_prefix(TENANT_PREFIX) else {
        return 0;
    };
    let Some((mark, random)) = rest.split_once('_') else {
        return 0;
    };
    let canonical = !mark.is_empty()
        && mark.len() <= 5
        && mark.bytes().all(|c| c.is_ascii_digit())
        && (mark == "0" || !mark.starts_with('0'));
    match mark.parse::<u16>() {
        Ok(shard) if canonical && !random.is_empty() => shard,
        _ => 0,
    }
}

/// The id of a new tenant of `shard`: `tnt_<shard>_<random>` (`random` is lower-case hex).
pub fn new_tenant_id(shard: u16, random: &str) -> TenantId {
    TenantId::new(format!("{TENANT_PREFIX}{shard}_{random}"))
}

/// Bytes a tenant counts for when it stores fewer: new tenants are empty when they are placed,
/// and a burst of them must not all land on the one emptiest shard before their IdPs import
/// their directories (a 5,000-employee company stores about this much).
pub const RESERVED_BYTES: i64 = 32 << 20;

/// How full a shard is, as [`least_full`] weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fullness {
    /// Live tenants.
    pub tenants: i64,
    /// The bytes its tenants store, each counted at least [`RESERVED_BYTES`].
    pub weight: i64,
}

impl FromRow for Fullness {
    fn from_row(row: &Row) -> Result<Fullness, StoreError> {
        let c = Columns(row);
        Ok(Fullness {
            tenants: c.int("tenants")?,
            weight: c.int("weight")?,
        })
    }
}

/// A shard's fullness: one scan of `tenants` (a row per tenant; thousands, not
/// millions), run on each shard when a tenant is created.
pub fn placement() -> Query<Fullness> {
    Query::new(
        Stmt::new(
            format!(
                "SELECT count(*) AS tenants, \
                 coalesce(sum(max(stored_bytes, {RESERVED_BYTES})), 0) AS weight FROM tenants"
            ),
            vec![],
        ),
        |rows| match rows.first() {
            Some(row) => Fullness::from_row(row),
            None => Err(StoreError::Internal("an aggregate answered no row".into())),
        },
    )
}

/// Where a new tenant goes: the shard whose tenants weigh least (bytes stored, each tenant at
/// least [`RESERVED_BYTES`]), the lower number on a tie. Shards that did not answer are left
/// out (`None`); `None` when none answered.
pub fn least_full(shards: &[Option<Fullness>]) -> Option<u16> {
    shards
        .iter()
        .enumerate()
        .filter_map(|(n, f)| f.map(|f| (f.weight, n as u16)))
        .min()
        .map(|(_, n)| n)
}

/// The stores of one request or one scheduled run, by shard: each present when it was opened
/// (the edge opens the shard a request reaches, or every shard; tests pass all of theirs).
pub struct Shards<S> {
    stores: Vec<Option<S>>,
}

impl<S> Shards<S> {
    /// Every shard's store, shard `n` at index `n`.
    pub fn all(stores: Vec<S>) -> Shards<S> {
        Shards {
            stores: stores.into_iter().map(Some).collect(),
        }
    }

    /// Only `shard`'s store open, of `count` shards.
    pub fn only(count: u16, shard: u16, store: S) -> Shards<S> {
        let mut stores: Vec<Option<S>> = (0..count).map(|_| None).collect();
        if let Some(slot) = stores.get_mut(usize::from(shard)) {
            *slot = Some(store);
        }
        Shards { stores }
    }

    /// How many shards there are (open or not).
    pub fn count(&self) -> u16 {
        self.stores.len() as u16
    }

    /// `shard`'s store, when it is open.
    pub fn get(&self, shard: u16) -> Option<&S> {
        self.stores.get(usize::from(shard))?.as_ref()
    }

    /// The open stores, with their shard numbers, in shard order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &S)> {
        self.stores
            .iter()
            .enumerate()
            .filter_map(|(n, s)| s.as_ref().map(|s| (n as u16, s)))
    }

    /// Whether every shard is open.
    pub fn complete(&self) -> bool {
        self.stores.iter().all(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shard_is_read_off_the_tenant_id_and_unmarked_ids_are_shard_0() {
        let table = [
            ("tnt_3f9a0c51d2e84b7a9c1e", 0),
            ("tnt_0_3f9a0c51d2e84b7a9c1e", 0),
            ("tnt_1_3f9a0c51d2e84b7a9c1e", 1),
            ("tnt_17_ab", 17),
            ("tnt_65535_ab", 65535),
            // Not a mark: not digits, leading zeros, out of range, nothing after it.
            ("tnt_e2e_purge_20000", 0),
            ("tnt_01_ab", 0),
            ("tnt_65536_ab", 0),
            ("tnt_1_", 0),
            ("tnt_1", 0),
            ("tnt_-1_ab", 0),
            ("1_ab", 0),
            ("", 0),
        ];
        for (id, shard) in table {
            assert_eq!(of_tenant(&TenantId::new(id)), shard, "{id}");
        }
        for shard in [0u16, 1, 9, 300] {
            assert_eq!(of_tenant(&new_tenant_id(shard, "00ff")), shard);
        }
        assert_eq!(new_tenant_id(1, "00ff").as_str(), "tnt_1_00ff");
    }

    #[test]
    fn bindings_are_db_then_db_n() {
        assert_eq!(binding(0), Some("DB"));
        for n in 1..count() {
            assert_eq!(binding(n).map(str::to_string), Some(format!("DB_{n}")));
        }
        assert_eq!(binding(count()), None);
        assert!(
            count() >= 2,
            "development and tests run two shards at least"
        );
    }

    #[test]
    fn a_new_tenant_goes_to_the_lightest_shard_and_ties_to_the_lower_number() {
        let f = |tenants, weight| Some(Fullness { tenants, weight });
        assert_eq!(least_full(&[f(3, 300), f(2, 200)]), Some(1));
        assert_eq!(least_full(&[f(2, 200), f(2, 200)]), Some(0));
        assert_eq!(least_full(&[f(0, 0), f(9, 900), f(0, 0)]), Some(0));
        // A shard that did not answer is left out.
        assert_eq!(least_full(&[None, f(9, 900)]), Some(1));
        assert_eq!(least_full(&[None, None]), None);
        assert_eq!(least_full(&[]), None);
    }

    #[test]
    fn shards_hold_what_was_opened() {
        let only = Shards::only(3, 1, "one");
        assert_eq!(only.count(), 3);
        assert_eq!(only.get(1), Some(&"one"));
        assert_eq!(only.get(0), None);
        assert_eq!(only.get(3), None);
        assert!(!only.complete());
        assert_eq!(only.iter().map(|(n, _)| n).collect::<Vec<_>>(), [1]);
        let all = Shards::all(vec!["a", "b"]);
        assert!(all.complete());
        assert_eq!(all.iter().collect::<Vec<_>>(), [(0, &"a"), (1, &"b")]);
    }
}
