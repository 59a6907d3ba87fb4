//! What SCIM writes note for attribute health (DESIGN §7), as statements for batches that run
//! anyway (`store::attribute_health`): a write that took effect notes the attributes it gave a value; a
//! refused write notes the names under the tenant extension that matched no attribute and the
//! values its attributes refused. Never a round trip of its own.

use crate::model::TokenHash;
use crate::scim::datetime::Timestamp;
use crate::scim::error::ScimError;
use crate::scim::fold::fold;
use crate::scim::sent::{examine, Sent};
use crate::scim::tenant::TenantSchema;
use crate::store::attribute_health as health;
use crate::store::Stmt;

/// The statements a write that took effect adds to its batch: none when it gave no attribute
/// a value.
pub fn on_write(hash: &TokenHash, sent: &Sent, schema: &TenantSchema, at: Timestamp) -> Vec<Stmt> {
    if sent.is_empty() {
        return Vec::new();
    }
    let examined = examine(sent, schema);
    if examined.received.is_empty() {
        return Vec::new();
    }
    vec![health::note_received(hash, &examined.received, at)]
}

/// The statements the refusal of a write (answered `err`) adds to the batch that logs it: only
/// for a 400, the status of a name or value the tenant's schema refuses.
pub fn on_refusal(
    hash: &TokenHash,
    sent: &Sent,
    schema: &TenantSchema,
    err: &ScimError,
    at: Timestamp,
    client: Option<&str>,
) -> Vec<Stmt> {
    if sent.is_empty() || err.status() != 400 {
        return Vec::new();
    }
    let examined = examine(sent, schema);
    let mut stmts = Vec::new();
    if !examined.unmatched.is_empty() {
        let names: Vec<(String, String)> = examined
            .unmatched
            .iter()
            .map(|n| (n.clone(), fold(n)))
            .collect();
        stmts.extend(health::note_unmatched(hash, &names, at, client));
    }
    if !examined.refused.is_empty() {
        stmts.push(health::note_refused(hash, &examined.refused, at));
    }
    stmts
}
