//! What a worker isolate remembers of the SCIM traffic it just served, so that an IdP's
//! read-then-write costs one D1 round trip (issue 22): the users it just read or wrote (their
//! document, version and what a write of them needs), and each token's attribute definitions
//! with their version (`tenants.attributes_version`).
//!
//! Nothing here is ever answered from: a GET reads the database. What is remembered is only a
//! starting point for a write (`scim_api::retry`) or for reading a body or a filter before its
//! batch (`scim_api::users`, `scim_api::list`), and every such write is conditional on the
//! version it started from (the user's `version`, the definitions' version): when either moved,
//! the write does not happen and is computed again from what its batch read back. So
//! correctness never depends on this cache, only the number of round trips does.
//!
//! Entries are keyed by the token's hash, which names one tenant, and are only remembered from a
//! batch that authenticated that token: a token never meets another tenant's users, nor another
//! token's entries. Bounded in entries and in bytes (least recently used first out), so that no
//! tenant can make the isolate hold more than [`MAX_USERS`] users or [`MAX_USER_BYTES`] bytes.

use crate::model::{TokenHash, UserId};
use crate::scim::tenant::TenantSchema;
use crate::store::users::StoredUser;
use std::cell::RefCell;
use std::collections::HashMap;

/// Most users remembered by one isolate.
pub const MAX_USERS: usize = 2_000;
/// Most bytes of user documents remembered by one isolate (the sizes their writes measured,
/// plus a fixed allowance per entry for what a document costs beyond its text).
pub const MAX_USER_BYTES: usize = 8 * 1024 * 1024;
/// Most tokens whose definitions are remembered.
pub const MAX_SCHEMAS: usize = 256;
/// What an entry is counted beyond its document's size: keys, version, bookkeeping.
const ENTRY_OVERHEAD: usize = 512;

/// A tenant's attribute definitions as of `version` (`tenants.attributes_version`).
#[derive(Debug, Clone, PartialEq)]
pub struct Definitions {
    pub version: i64,
    pub schema: TenantSchema,
}

struct UserEntry {
    user: StoredUser,
    bytes: usize,
    used: u64,
}

struct SchemaEntry {
    definitions: Definitions,
    used: u64,
}

/// The isolate's memory of recent users and definitions. Requests of one isolate interleave at
/// their awaits: every method borrows for its own duration only, never across an await.
#[derive(Default)]
pub struct Recent {
    users: HashMap<(TokenHash, UserId), UserEntry>,
    user_bytes: usize,
    schemas: HashMap<TokenHash, SchemaEntry>,
    /// A logical clock for least-recently-used eviction.
    tick: u64,
}

/// How an isolate keeps its [`Recent`] (the edge keeps one per isolate; a test makes its own).
pub type RecentCache = RefCell<Recent>;

fn user_bytes(user: &StoredUser) -> usize {
    usize::try_from(user.size).unwrap_or(0) + ENTRY_OVERHEAD
}

impl Recent {
    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// The user `id` as this token last read or wrote it, if still remembered.
    pub fn user(&mut self, hash: &TokenHash, id: &UserId) -> Option<StoredUser> {
        let tick = self.next_tick();
        let entry = self.users.get_mut(&(hash.clone(), id.clone()))?;
        entry.used = tick;
        Some(entry.user.clone())
    }

    /// Remembers a user a batch authenticated by `hash` just read or wrote (replacing an older
    /// version of it; never a newer one, as interleaved requests may finish out of order).
    pub fn remember_user(&mut self, hash: &TokenHash, user: &StoredUser) {
        let bytes = user_bytes(user);
        if bytes > MAX_USER_BYTES / 4 {
            // One document must not push out everything else.
            self.forget_user(hash, &user.meta.id);
            return;
        }
        let key = (hash.clone(), user.meta.id.clone());
        if let Some(old) = self.users.get(&key) {
            if old.user.meta.version > user.meta.version {
                return;
            }
        }
        let tick = self.next_tick();
        if let Some(old) = self.users.insert(
            key,
            UserEntry {
                user: user.clone(),
                bytes,
                used: tick,
            },
        ) {
            self.user_bytes -= old.bytes;
        }
        self.user_bytes += bytes;
        while self.users.len() > MAX_USERS || self.user_bytes > MAX_USER_BYTES {
            let Some(oldest) = self
                .users
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(gone) = self.users.remove(&oldest) {
                self.user_bytes -= gone.bytes;
            }
        }
    }

    /// Forgets a user (deleted, or no longer what the database holds).
    pub fn forget_user(&mut self, hash: &TokenHash, id: &UserId) {
        if let Some(gone) = self.users.remove(&(hash.clone(), id.clone())) {
            self.user_bytes -= gone.bytes;
        }
    }

    /// The definitions this token's last batch read, if still remembered.
    pub fn definitions(&mut self, hash: &TokenHash) -> Option<Definitions> {
        let tick = self.next_tick();
        let entry = self.schemas.get_mut(hash)?;
        entry.used = tick;
        Some(entry.definitions.clone())
    }

    /// Remembers the definitions a batch authenticated by `hash` read (never replacing newer
    /// ones).
    pub fn remember_definitions(&mut self, hash: &TokenHash, definitions: &Definitions) {
        if self
            .schemas
            .get(hash)
            .is_some_and(|e| e.definitions.version > definitions.version)
        {
            return;
        }
        let tick = self.next_tick();
        self.schemas.insert(
            hash.clone(),
            SchemaEntry {
                definitions: definitions.clone(),
                used: tick,
            },
        );
        while self.schemas.len() > MAX_SCHEMAS {
            let Some(oldest) = self
                .schemas
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.schemas.remove(&oldest);
        }
    }

    /// How many users and bytes are remembered.
    pub fn user_usage(&self) -> (usize, usize) {
        (self.users.len(), self.user_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WriteId;
    use crate::scim::datetime::Timestamp;
    use crate::scim::user::Meta;

    fn user(id: &str, version: i64, size: i64) -> StoredUser {
        StoredUser {
            doc: serde_json::Map::new(),
            meta: Meta {
                id: UserId::new(id),
                created: Timestamp(0),
                last_modified: Timestamp(0),
                version,
            },
            manager: None,
            refs: serde_json::Map::new(),
            write_id: WriteId::new(format!("w{version}")),
            size,
        }
    }

    #[test]
    fn entries_belong_to_the_token_that_read_them() {
        let (a, b) = (TokenHash::of("a"), TokenHash::of("b"));
        let mut r = Recent::default();
        r.remember_user(&a, &user("u1", 1, 10));
        assert_eq!(
            r.user(&a, &UserId::new("u1")).map(|u| u.meta.version),
            Some(1)
        );
        assert_eq!(r.user(&b, &UserId::new("u1")), None);
        r.remember_definitions(
            &a,
            &Definitions {
                version: 3,
                schema: TenantSchema::default(),
            },
        );
        assert_eq!(r.definitions(&a).map(|d| d.version), Some(3));
        assert_eq!(r.definitions(&b), None);
    }

    #[test]
    fn an_older_version_never_replaces_a_newer_one() {
        let a = TokenHash::of("a");
        let mut r = Recent::default();
        r.remember_user(&a, &user("u1", 5, 10));
        r.remember_user(&a, &user("u1", 4, 10));
        assert_eq!(
            r.user(&a, &UserId::new("u1")).map(|u| u.meta.version),
            Some(5)
        );
        r.remember_user(&a, &user("u1", 6, 10));
        assert_eq!(
            r.user(&a, &UserId::new("u1")).map(|u| u.meta.version),
            Some(6)
        );
        let defs = |version| Definitions {
            version,
            schema: TenantSchema::default(),
        };
        r.remember_definitions(&a, &defs(7));
        r.remember_definitions(&a, &defs(2));
        assert_eq!(r.definitions(&a).map(|d| d.version), Some(7));
        r.forget_user(&a, &UserId::new("u1"));
        assert_eq!(r.user(&a, &UserId::new("u1")), None);
        assert_eq!(r.user_usage(), (0, 0));
    }

    #[test]
    fn bounded_in_entries_least_recently_used_out() {
        let a = TokenHash::of("a");
        let mut r = Recent::default();
        for i in 0..MAX_USERS + 10 {
            r.remember_user(&a, &user(&format!("u{i}"), 1, 1));
            if i == MAX_USERS - 1 {
                // Full; u0 is used again: u1 is now the least recently used.
                assert!(r.user(&a, &UserId::new("u0")).is_some());
            }
        }
        assert_eq!(r.user_usage().0, MAX_USERS);
        assert!(r.user(&a, &UserId::new("u0")).is_some());
        for gone in 1..=10 {
            assert_eq!(
                r.user(&a, &UserId::new(format!("u{gone}"))),
                None,
                "u{gone}"
            );
        }
        assert!(r.user(&a, &UserId::new("u11")).is_some());
        for i in 0..MAX_SCHEMAS + 3 {
            r.remember_definitions(
                &TokenHash::of(&i.to_string()),
                &Definitions {
                    version: 0,
                    schema: TenantSchema::default(),
                },
            );
        }
        assert_eq!(r.schemas.len(), MAX_SCHEMAS);
    }

    #[test]
    fn bounded_in_bytes() {
        let a = TokenHash::of("a");
        let mut r = Recent::default();
        // 100 KiB documents: 8 MiB holds 81 of them with their allowance.
        for i in 0..200 {
            r.remember_user(&a, &user(&format!("u{i}"), 1, 100 * 1024));
        }
        let (n, bytes) = r.user_usage();
        assert!(bytes <= MAX_USER_BYTES, "{bytes}");
        assert_eq!(n, MAX_USER_BYTES / (100 * 1024 + ENTRY_OVERHEAD));
        // A document over a quarter of the budget is not kept at all.
        r.remember_user(&a, &user("huge", 1, (MAX_USER_BYTES / 4) as i64));
        assert_eq!(r.user(&a, &UserId::new("huge")), None);
        assert_eq!(r.user_usage(), (n, bytes));
    }
}
