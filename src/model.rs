//! The product's vocabulary that crosses layers: the identities of tenants, employees (SCIM
//! users) and tokens, a token's hash, and the operations of the activity log. Pure data with
//! no behaviour beyond spelling, so `scim`, `store` and `app` all speak it; each type says
//! where its values come from.
//!
//! Leaves out: generating ids (randomness comes in from the edge, `app::http::ids`) and
//! checking a token's shape (`app::http::auth`). A newtype here does not validate: an id from a
//! URL is only ever compared with stored ids in SQL, so an unknown one simply matches nothing.

use sha2::{Digest, Sha256};
use std::fmt;

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// A tenant (a customer company): `tnt_` and random hex, made when the operator creates it.
    TenantId
);
text_id!(
    /// An employee's SCIM `id` (RFC 7643 §3.1): a random UUID assigned at creation, or, when it
    /// comes from a request path or a `manager.value`, whatever the client sent.
    UserId
);
text_id!(
    /// A SCIM bearer token's id (`tok_` and random hex), shown in the admin API; never the secret.
    TokenId
);
text_id!(
    /// Random per write of a user row: lets the later statements of a batch tell whether their
    /// own write took effect (a version number alone could have been reached by another writer).
    WriteId
);

/// The SHA-256 of a SCIM token, lower-case hex: the only form in which tokens are stored and
/// looked up (DESIGN §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn of(token: &str) -> TokenHash {
        let digest = Sha256::digest(token.as_bytes());
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push_str(&format!("{b:02x}"));
        }
        TokenHash(hex)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an activity-log entry records (DESIGN §7). `replace` is a PUT and `update` a PATCH,
/// unless their effect is to deactivate or reactivate the employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Create,
    Replace,
    Update,
    Deactivate,
    Reactivate,
    Delete,
    /// An admin brought a deleted employee back (DESIGN §4).
    Restore,
    /// A deleted employee's personal data was erased, by an admin or by the retention.
    Purge,
    /// A Bulk request (RFC 7644 §3.7) refused whole, before any of its operations ran (its
    /// performed operations are logged one by one, each as the single request would be).
    Bulk,
    /// The eligibility guard tripped and holds eligibility losses (DESIGN §4).
    Guard,
    /// A held eligibility loss took effect (an admin's decision, or after the tenant's period).
    Apply,
    /// A held eligibility loss was dismissed: the employee stays eligible (overridden).
    Dismiss,
}

impl Operation {
    /// Every operation, in the order the admin API documents them (and the `activity` table's
    /// CHECK constraint lists them).
    pub const ALL: [Operation; 12] = [
        Operation::Create,
        Operation::Replace,
        Operation::Update,
        Operation::Deactivate,
        Operation::Reactivate,
        Operation::Delete,
        Operation::Restore,
        Operation::Purge,
        Operation::Bulk,
        Operation::Guard,
        Operation::Apply,
        Operation::Dismiss,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Replace => "replace",
            Operation::Update => "update",
            Operation::Deactivate => "deactivate",
            Operation::Reactivate => "reactivate",
            Operation::Delete => "delete",
            Operation::Restore => "restore",
            Operation::Purge => "purge",
            Operation::Bulk => "bulk",
            Operation::Guard => "guard",
            Operation::Apply => "apply",
            Operation::Dismiss => "dismiss",
        }
    }

    /// The operation spelled `name`, in any letter case.
    pub fn parse(name: &str) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of an employee event (the change feed, `store::outbox`): what changed, as the
/// survey side reads it. `Held`, `HoldApplied` and `HoldDismissed` are the eligibility guard's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Created,
    Updated,
    Deactivated,
    Reactivated,
    Deleted,
    Restored,
    Purged,
    Held,
    HoldApplied,
    HoldDismissed,
}

impl EventType {
    /// Every type (and the `employee_events` table's CHECK constraint lists them).
    pub const ALL: [EventType; 10] = [
        EventType::Created,
        EventType::Updated,
        EventType::Deactivated,
        EventType::Reactivated,
        EventType::Deleted,
        EventType::Restored,
        EventType::Purged,
        EventType::Held,
        EventType::HoldApplied,
        EventType::HoldDismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Created => "employee.created",
            EventType::Updated => "employee.updated",
            EventType::Deactivated => "employee.deactivated",
            EventType::Reactivated => "employee.reactivated",
            EventType::Deleted => "employee.deleted",
            EventType::Restored => "employee.restored",
            EventType::Purged => "employee.purged",
            EventType::Held => "employee.held",
            EventType::HoldApplied => "employee.hold_applied",
            EventType::HoldDismissed => "employee.hold_dismissed",
        }
    }

    /// The type spelled exactly `name`.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The event of a SCIM write that took effect, logged as `operation`.
    pub fn of_write(operation: Operation) -> Option<EventType> {
        match operation {
            Operation::Create => Some(EventType::Created),
            Operation::Replace | Operation::Update => Some(EventType::Updated),
            Operation::Deactivate => Some(EventType::Deactivated),
            Operation::Reactivate => Some(EventType::Reactivated),
            Operation::Delete => Some(EventType::Deleted),
            Operation::Restore => Some(EventType::Restored),
            Operation::Purge => Some(EventType::Purged),
            // A Bulk request refused whole changed nothing; the guard's own entries have events
            // of their own (held, applied, dismissed), written where they happen.
            Operation::Bulk | Operation::Guard | Operation::Apply | Operation::Dismiss => None,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_sha256_hex() {
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            TokenHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn operations_parse_in_any_case_and_nothing_else() {
        for op in Operation::ALL {
            assert_eq!(Operation::parse(op.as_str()), Some(op));
            assert_eq!(Operation::parse(&op.as_str().to_uppercase()), Some(op));
        }
        assert_eq!(Operation::parse("remove"), None);
        assert_eq!(Operation::parse(""), None);
    }
}
