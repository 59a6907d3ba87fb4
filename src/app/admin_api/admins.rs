//! Company admins through the admin API (DESIGN §7): the operator's sign-in links, the caller's
//! own session (who, and logout), connect and disconnect, a tenant's sessions, and its audit
//! log of admin actions. Who may call what: `principal`.
//!
//! - `POST .../sign-in-links` `{"email"}` (operator): 201 with the one-time `url` (shown once).
//! - `GET /admin/v1/session`: the signed-in admin and their tenant; `DELETE`: logout (the
//!   session ends, and the answer clears the cookie).
//! - `POST .../connect` `{"label"?}`: a new SCIM token and the base URL, shown once, with where
//!   each goes in Okta and Entra; older tokens keep working. `POST .../disconnect`: every token
//!   revoked (the IdP's requests fail from the next one on; a later connect issues a new token
//!   and never revives these). Neither suspends the tenant (the operator's `active`).
//! - `GET .../sessions`, `DELETE .../sessions` (all), `DELETE .../sessions/{id}`.
//! - `GET .../audit?limit=&cursor=`: newest first.

use super::audit::{did, record};
use super::error::AdminError;
use super::principal::Principal;
use super::request::{display_string, limit, page, paging, refuse_unknown_fields};
use super::{credential_key, json, shard_of, TenantBatch};
use crate::app::plumbing::auth::generate_token;
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::credential;
use crate::app::plumbing::ids::{base64url, base64url_decode, prefixed_id};
use crate::app::plumbing::respond::{empty, set};
use crate::app::plumbing::session::{
    genuine_session, issue_link, session_clear_cookie, session_cookie, LINK_MINUTES,
};
use crate::app::plumbing::{query, Request, Response};
use crate::app::sign_in;
use crate::model::{TenantId, TokenId};
use crate::store::admins::{self as sql, Action, AuditEntry, NewLink, Session};
use crate::store::tokens::{self, NewToken};
use crate::store::{After, Store};
use serde_json::{json, Map, Value};

/// Longest email of a sign-in link.
const MAX_EMAIL_CHARS: usize = 254;

fn time(t: Option<crate::scim::datetime::Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

fn session_json(s: &Session) -> Value {
    json!({
        "id": s.id,
        "email": s.email,
        "created": s.created.to_rfc3339(),
        "expires_at": s.expires_at.to_rfc3339(),
        "revoked": s.revoked_at.is_some(),
        "revoked_at": time(s.revoked_at),
    })
}

/// An email as the link names it: trimmed, one `@` with text on each side, no spaces or
/// control characters, at most 254 characters.
fn email(value: Option<&Value>) -> Result<String, AdminError> {
    let bad = || AdminError::BadRequest("\"email\" must be an email address".into());
    let text = display_string(value.ok_or_else(bad)?, "email", MAX_EMAIL_CHARS)?;
    match text.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !text.chars().any(char::is_whitespace) =>
        {
            Ok(text)
        }
        _ => Err(bad()),
    }
}

/// `POST .../sign-in-links` (operator).
pub async fn issue_sign_in_link<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    origin: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["email"])?;
    let email = email(body.get("email"))?;
    let internal = AdminError::Internal;
    let key = credential_key(ctx)?;
    let link = issue_link(key, shard_of(tenant), ctx.random).map_err(internal)?;
    let id = prefixed_id("lnk", ctx.random).map_err(AdminError::Internal)?;
    let expires_at = ctx.now.add_millis(LINK_MINUTES * 60_000);
    let mut batch = TenantBatch::new(tenant);
    batch.write(sql::insert_link(&NewLink {
        id: &id,
        tenant,
        hash: &link.hash,
        email: &email,
        created: ctx.now,
        expires_at,
    }));
    record(
        &mut batch,
        tenant,
        ctx,
        Action {
            detail: Some(&email),
            ..did("sign_in_link.issued", Some(&id))
        },
    );
    batch.run(store).await?;
    Ok(json(
        201,
        &json!({
            "id": id,
            "email": email,
            "url": format!("{origin}{}?link={}", sign_in::PATH, link.secret),
            "expires_at": expires_at.to_rfc3339(),
        }),
    ))
}

/// `GET /admin/v1/session`.
pub async fn whoami<S: Store>(
    principal: &Principal,
    base: &str,
    store: &S,
) -> Result<Response, AdminError> {
    let Principal::Admin(session) = principal else {
        return Err(AdminError::BadRequest(
            "The operator has no session: this is a company admin's".into(),
        ));
    };
    let batch = TenantBatch::new(&session.tenant_id);
    let (tenant, _) = batch.run(store).await?;
    Ok(json(
        200,
        &json!({
            "session": session_json(session),
            "tenant": {
                "id": tenant.id.as_str(),
                "name": tenant.name,
                "suspended": !tenant.active,
                "scim_base_url": base,
            },
        }),
    ))
}

/// `DELETE /admin/v1/session`: logout.
pub async fn logout<S: Store>(
    req: &Request,
    principal: &Principal,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let Principal::Admin(session) = principal else {
        return Err(AdminError::BadRequest(
            "The operator has no session to end".into(),
        ));
    };
    let key = credential_key(ctx)?;
    let hash = session_cookie(req)
        .and_then(|c| genuine_session(c, key))
        .ok_or_else(|| AdminError::Internal("a live session without its cookie".into()))?;
    let mut batch = TenantBatch::new(&session.tenant_id);
    batch.write(sql::end_session(&hash, ctx.now));
    record(
        &mut batch,
        &session.tenant_id,
        ctx,
        Action {
            if_changed: true,
            ..did("session.ended", Some(&session.id))
        },
    );
    batch.run(store).await?;
    let mut r = empty(204);
    set(&mut r, http::header::SET_COOKIE, &session_clear_cookie());
    Ok(r)
}

/// `POST .../connect`.
pub async fn connect<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    base: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["label"])?;
    let label = match body.get("label") {
        None | Some(Value::Null) => None,
        Some(v) => Some(display_string(v, "label", super::tokens::MAX_LABEL_CHARS)?),
    };
    let internal = AdminError::Internal;
    let token_id = TokenId::new(prefixed_id("tok", ctx.random).map_err(internal)?);
    let key = credential_key(ctx)?;
    let token = generate_token(key, shard_of(tenant), ctx.random).map_err(AdminError::Internal)?;
    let mut batch = TenantBatch::new(tenant);
    batch.write(tokens::insert_token(
        tenant,
        &NewToken {
            id: &token_id,
            hash: &token.hash,
            prefix: &token.prefix,
            label: label.as_deref(),
            created: ctx.now,
            format: i64::from(credential::VERSION),
        },
    ));
    record(
        &mut batch,
        tenant,
        ctx,
        did("tenant.connected", Some(token_id.as_str())),
    );
    let (row, _) = batch.run(store).await?;
    Ok(json(
        201,
        &json!({
            "scim_base_url": base,
            "token_id": token_id.as_str(),
            "label": label,
            "prefix": token.prefix,
            "token": token.secret,
            "suspended": !row.active,
            "where": {
                "okta": { "Base URL": base, "API token": "the token" },
                "entra": { "Tenant URL": base, "Secret Token": "the token" },
            },
        }),
    ))
}

/// `POST .../disconnect`.
pub async fn disconnect<S: Store>(
    tenant: &TenantId,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let live = batch.read(tokens::count_live_tokens(tenant));
    batch.write(tokens::revoke_all_tokens(tenant, ctx.now));
    record(&mut batch, tenant, ctx, did("tenant.disconnected", None));
    let (_, mut results) = batch.run(store).await?;
    Ok(json(200, &json!({ "revoked": results.take(live)? })))
}

/// `GET .../sessions`.
pub async fn list_sessions<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, AdminError> {
    let (limit, after) = paging(params)?;
    let mut batch = TenantBatch::new(tenant);
    let rows = batch.read(sql::list_sessions(tenant, after.as_ref(), limit + 1));
    let (_, mut results) = batch.run(store).await?;
    let (rows, next) = page(results.take(rows)?, limit, |s| After {
        created: s.created,
        id: s.id.clone(),
    });
    let sessions: Vec<Value> = rows.iter().map(session_json).collect();
    Ok(json(
        200,
        &json!({ "sessions": sessions, "next_cursor": next }),
    ))
}

/// `DELETE .../sessions` and `DELETE .../sessions/{id}`: 204 (also when already revoked).
pub async fn revoke_sessions<S: Store>(
    tenant: &TenantId,
    one: Option<&str>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let found = one.map(|id| batch.read(sql::session_by_id(id)));
    batch.write(sql::revoke_sessions(tenant, one, ctx.now));
    record(
        &mut batch,
        tenant,
        ctx,
        Action {
            if_changed: true,
            ..did(
                if one.is_some() {
                    "session.revoked"
                } else {
                    "sessions.revoked"
                },
                one,
            )
        },
    );
    let (_, mut results) = batch.run(store).await?;
    if let Some(found) = found {
        match results.take(found)? {
            Some(s) if &s.tenant_id == tenant => {}
            _ => {
                return Err(AdminError::NotFound(
                    "No such session for this tenant".into(),
                ))
            }
        }
    }
    Ok(empty(204))
}

fn audit_json(e: &AuditEntry) -> Value {
    json!({
        "at": e.at.to_rfc3339(),
        "request_id": e.request_id,
        "actor": e.actor,
        "session_id": e.session_id,
        "action": e.action,
        "target": e.target,
        "detail": e.detail,
    })
}

/// `GET .../audit?limit=&cursor=`.
pub async fn audit<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, AdminError> {
    let limit = limit(params)?;
    let before = match query::get(params, "cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            base64url_decode(c)
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.strip_prefix("audit:").and_then(|n| n.parse::<i64>().ok()))
                .ok_or_else(|| AdminError::BadRequest("\"cursor\" is not valid".into()))?,
        ),
    };
    let mut batch = TenantBatch::new(tenant);
    let rows = batch.read(sql::audit_page(tenant, before, limit + 1));
    let (_, mut results) = batch.run(store).await?;
    let mut rows = results.take(rows)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next = match (more, rows.last()) {
        (true, Some(last)) => Value::String(base64url(format!("audit:{}", last.seq).as_bytes())),
        _ => Value::Null,
    };
    let entries: Vec<Value> = rows.iter().map(audit_json).collect();
    Ok(json(
        200,
        &json!({ "entries": entries, "next_cursor": next }),
    ))
}
