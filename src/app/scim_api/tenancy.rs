//! SCIM requests and their tenant: the token check runs as the first statement of the
//! operation's own batch (no extra D1 round trip, DESIGN §9), and the same statement reads the
//! tenant's attribute definitions unless the isolate has them at their current version
//! (`app::recent`); its `last_used` is written after the answer, at most every five minutes.
//! What an authenticated batch read or wrote is remembered here for the isolate. Also how the
//! plumbing's and the store's failures read as SCIM errors.

use crate::app::plumbing::auth::AuthFailure;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::media::MediaError;
use crate::app::recent::Definitions;
use crate::model::{TenantId, TokenHash, TokenId, UserId};
use crate::scim::error::ScimError;
use crate::scim::tenant::TenantSchema;
use crate::store::tokens::{self, Authorized};
use crate::store::users::StoredUser;
use crate::store::{Batch, Consistency, Handle, Query, Results, Stmt, Store, StoreError};

/// How often a token's `last_used` may be written.
pub const LAST_USED_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// The authenticated tenant of a SCIM request, and its schema as of this batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub tenant_id: TenantId,
    pub token_id: TokenId,
    pub schema: TenantSchema,
    /// The version of `schema` (`tenants.attributes_version`).
    pub schema_version: i64,
}

/// A store failure as a SCIM error (DESIGN §8). The store logged the cause; no detail says more
/// than the client can act on.
pub fn store_error(e: StoreError) -> ScimError {
    match e {
        StoreError::Duplicate(_) => {
            ScimError::Uniqueness("A value that must be unique is already taken".into())
        }
        StoreError::TooLarge(_) => ScimError::ContentTooLarge(
            "The resource is larger than the service can store; nothing was changed".into(),
        ),
        StoreError::Full(_) => ScimError::ContentTooLarge(
            "The service cannot store more data until its operator makes room; nothing was \
             changed"
                .into(),
        ),
        StoreError::TooComplex(_) => ScimError::BadRequest(
            "The request asks for more than the service runs at once (for example a filter with \
             too many terms); ask for less"
                .into(),
        ),
        StoreError::Unavailable { retry_after, .. } => ScimError::Unavailable { retry_after },
        StoreError::Internal(cause) => ScimError::Internal(cause),
    }
}

/// A media type or body failure as a SCIM error (RFC 7644 §3.12: a body that is not a JSON
/// object is `invalidSyntax`).
pub fn media_error(e: MediaError) -> ScimError {
    match e {
        MediaError::NotAcceptable => ScimError::NotAcceptable,
        MediaError::UnsupportedType(detail) => ScimError::UnsupportedMediaType(detail),
        MediaError::TooLarge { limit } => ScimError::PayloadTooLarge { limit },
        MediaError::NotAnObject(detail) => ScimError::InvalidSyntax(detail),
    }
}

/// How long a client is asked to wait while the deployment cannot check its token.
pub const NOT_CONFIGURED_RETRY_AFTER: u32 = 60;

/// A missing or unusable credential as a SCIM error: 401, except for a token that cannot be
/// checked because the deployment's credential secret is missing (503 with `Retry-After`: the
/// token may well be good, and an IdP retries a 503 where a 401 would make its admin replace a
/// working token).
pub fn auth_error(f: AuthFailure) -> ScimError {
    match f {
        AuthFailure::NotConfigured(_) => ScimError::Unavailable {
            retry_after: NOT_CONFIGURED_RETRY_AFTER,
        },
        f => unauthorized(f),
    }
}

/// A refused credential as a SCIM error (401).
pub fn unauthorized(f: AuthFailure) -> ScimError {
    ScimError::Unauthorized(f.detail().into())
}

/// A batch of a SCIM request: the token check and the tenant's attribute definitions first,
/// then the operation's own statements, each scoped to the token's tenant in SQL. When the
/// token is unknown, revoked, or its tenant disabled, the operation's statements touched
/// nothing (their tenant subquery was NULL) and the batch answers 401.
pub struct ScimBatch {
    batch: Batch,
    auth: Handle<Option<Authorized>>,
    hash: TokenHash,
    /// The definitions the isolate had when the batch was made: not read again if current.
    known: Option<Definitions>,
}

impl ScimBatch {
    pub fn new(hash: &TokenHash, ctx: &Ctx<'_>) -> ScimBatch {
        let known = recalled_definitions(ctx, hash);
        let mut batch = Batch::new();
        let auth = batch.read(tokens::auth_check(hash, known.as_ref().map(|d| d.version)));
        ScimBatch {
            batch,
            auth,
            hash: hash.clone(),
            known,
        }
    }

    pub fn read<T>(&mut self, query: Query<T>) -> Handle<T> {
        self.batch.read(query)
    }

    pub fn write(&mut self, stmt: Stmt) {
        self.batch.write(stmt);
    }

    pub fn write_all(&mut self, stmts: impl IntoIterator<Item = Stmt>) {
        self.batch.write_all(stmts);
    }

    /// Runs the batch on the primary (an IdP that writes and then reads must see its write).
    pub async fn run<S: Store>(
        self,
        store: &S,
        ctx: &mut Ctx<'_>,
    ) -> Result<(Tenant, ScimResults), ScimError> {
        let mut results = self
            .batch
            .run(store, Consistency::Primary)
            .await
            .map_err(store_error)?;
        let Authorized { auth, definitions } = results
            .take(self.auth)
            .map_err(store_error)?
            .ok_or_else(|| unauthorized(AuthFailure::Invalid))?;
        ctx.tenant = Some(auth.tenant_id.clone());
        ctx.webhooks = Some(auth.webhooks);
        if !auth.tenant_active {
            return Err(unauthorized(AuthFailure::TenantDisabled));
        }
        let schema = match (definitions, self.known) {
            (Some(schema), _) => schema,
            // Not read again: still at the version the isolate had.
            (None, Some(known)) => known.schema,
            (None, None) => {
                return Err(ScimError::Internal(
                    "the token check read no definitions, and none were known".into(),
                ))
            }
        };
        let tenant = Tenant {
            tenant_id: auth.tenant_id,
            token_id: auth.token_id,
            schema,
            schema_version: auth.attributes_version,
        };
        if let Some(recent) = ctx.recent {
            recent.borrow_mut().remember_definitions(
                &self.hash,
                &Definitions {
                    version: tenant.schema_version,
                    schema: tenant.schema.clone(),
                },
            );
        }
        let stale_before = ctx.now.add_millis(-LAST_USED_INTERVAL_MS);
        if auth.last_used.is_none_or(|t| t < stale_before) {
            // Once per request, however many batches it runs (a Bulk request runs many).
            let touch = tokens::touch_token(
                &tenant.token_id,
                ctx.now,
                stale_before,
                ctx.client.as_deref(),
            );
            if !ctx.deferred.contains(&touch) {
                ctx.deferred.push(touch);
            }
        }
        Ok((tenant, ScimResults(results)))
    }
}

/// The definitions the isolate last read for this token, if it remembers them.
pub fn recalled_definitions(ctx: &Ctx<'_>, hash: &TokenHash) -> Option<Definitions> {
    ctx.recent.and_then(|r| r.borrow_mut().definitions(hash))
}

/// The user `id` as the isolate last read or wrote it for this token, if it remembers it: a
/// starting point for a conditional write, never an answer.
pub fn recalled_user(ctx: &Ctx<'_>, hash: &TokenHash, id: &UserId) -> Option<StoredUser> {
    ctx.recent.and_then(|r| r.borrow_mut().user(hash, id))
}

/// Remembers a user an authenticated batch of this token read or wrote.
pub fn remember_user(ctx: &Ctx<'_>, hash: &TokenHash, user: &StoredUser) {
    if let Some(recent) = ctx.recent {
        recent.borrow_mut().remember_user(hash, user);
    }
}

/// Forgets a user (deleted, or found changed).
pub fn forget_user(ctx: &Ctx<'_>, hash: &TokenHash, id: &UserId) {
    if let Some(recent) = ctx.recent {
        recent.borrow_mut().forget_user(hash, id);
    }
}

/// The answers of a SCIM batch, decoded, with store failures as SCIM errors.
pub struct ScimResults(Results);

impl ScimResults {
    pub fn take<T>(&mut self, handle: Handle<T>) -> Result<T, ScimError> {
        self.0.take(handle).map_err(store_error)
    }
}

/// The tenant of a token and its schema alone (one round trip, always: the token is checked
/// now), for requests that must know before anything else (discovery with a token, Bulk).
pub async fn tenant_of<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    hash: &TokenHash,
) -> Result<Tenant, ScimError> {
    Ok(ScimBatch::new(hash, ctx).run(store, ctx).await?.0)
}

/// The tenant's attribute definitions as the database has them now (one round trip), for a
/// request that needs them before its main batch and has none the isolate remembers (or whose
/// remembered ones refused it). What is computed from them is conditional on their version
/// (a write) or checked against the version its batch reads (a query).
pub async fn definitions_read<S: Store>(
    store: &S,
    ctx: &mut Ctx<'_>,
    hash: &TokenHash,
) -> Result<Definitions, ScimError> {
    let tenant = tenant_of(store, ctx, hash).await?;
    Ok(Definitions {
        version: tenant.schema_version,
        schema: tenant.schema,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::classify::classify;

    /// Each kind of store failure, from a message D1 documents, answers as DESIGN §8 says:
    /// status, `scimType`, `Retry-After`, and a detail that never repeats the database's words.
    #[test]
    fn store_failures_answer_their_scim_meaning() {
        let table: &[(&str, u16, Option<&str>, Option<u32>)] = &[
            (
                "D1_ERROR: UNIQUE constraint failed: users.tenant_id, users.user_name_fold: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)",
                409,
                Some("uniqueness"),
                None,
            ),
            (
                "D1_ERROR: CHECK constraint failed: active IN (0, 1): SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_CHECK)",
                500,
                None,
                None,
            ),
            (
                "D1_ERROR: NOT NULL constraint failed: users.resource: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)",
                500,
                None,
                None,
            ),
            (
                "D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)",
                500,
                None,
                None,
            ),
            ("D1_ERROR: string or blob too big: SQLITE_TOOBIG", 413, None, None),
            ("D1_ERROR: Exceeded maximum DB size", 413, None, None),
            ("D1_ERROR: statement too long: SQLITE_TOOBIG", 400, None, None),
            (
                "D1_ERROR: too many SQL variables at offset 207: SQLITE_ERROR",
                400,
                None,
                None,
            ),
            ("D1_ERROR: Network connection lost.", 503, None, Some(1)),
            (
                "D1_ERROR: D1 DB is overloaded. Too many requests queued.",
                503,
                None,
                Some(5),
            ),
            ("D1_ERROR: no such table: users: SQLITE_ERROR", 500, None, None),
        ];
        for (message, status, scim_type, retry_after) in table {
            let e = store_error(classify(message));
            assert_eq!(e.status(), *status, "{message}");
            assert_eq!(e.scim_type().map(|t| t.as_str()), *scim_type, "{message}");
            assert_eq!(e.retry_after(), *retry_after, "{message}");
            let body = e.to_json().to_string();
            for word in ["SQLITE", "D1_ERROR", "users.", "constraint failed"] {
                assert!(!body.contains(word), "{message} shows {word}: {body}");
            }
        }
    }
}
