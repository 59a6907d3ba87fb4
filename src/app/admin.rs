//! The operator's admin API under `/admin/v1` (DESIGN §7): tenants and their tokens.
//!
//! JSON in and out; `Authorization: Bearer <ADMIN_TOKEN>`; errors are
//! `{"error": "<code>", "detail": "..."}`. A SCIM token is refused here as any other wrong
//! credential is. Secrets appear in exactly two answers, once each: a created tenant's first
//! token and a newly issued token.

use super::attributes;
use super::auth::{self, generate_token};
use super::ids::{base64url, base64url_decode, prefixed_id};
use super::media;
use super::reports;
use super::respond::{admin_error, admin_json, empty};
use super::routes::AdminEndpoint;
use super::tenancy::store_error;
use super::{query, Body, Ctx, Request, Response};
use crate::scim::error::ScimError;
use crate::store::{admin as sql, Consistency, Row, Stmt, Store};
use http::Method;
use serde_json::{json, Map, Value};

/// Page size of admin lists: default and maximum (DESIGN §7).
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
/// Longest tenant name and token label, in characters.
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_LABEL_CHARS: usize = 100;

pub async fn handle<S: Store>(
    endpoint: AdminEndpoint,
    req: Request,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Response {
    match run(endpoint, req, store, ctx).await {
        Ok(r) => r,
        Err(e) => {
            if e.status() >= 500 {
                ctx.log.push(format!("admin: {e}"));
            }
            admin_error(&e)
        }
    }
}

fn authorize(req: &Request, ctx: &Ctx<'_>) -> Result<(), ScimError> {
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let credential =
        auth::bearer(header).map_err(|f| ScimError::Unauthorized(f.detail().into()))?;
    if auth::admin_token_matches(credential, ctx.config.admin_token.as_deref()) {
        Ok(())
    } else {
        Err(ScimError::Unauthorized(
            "The admin token is not valid".into(),
        ))
    }
}

async fn run<S: Store>(
    endpoint: AdminEndpoint,
    req: Request,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    authorize(&req, ctx)?;
    let params = query::pairs(req.uri().query());
    // The SCIM base URL a tenant's IdP is given: this request's origin plus `/scim/v2`.
    let base = super::users::scim_base(&req);
    let method = req.method().clone();
    let body = || request_object(&req);
    match (method, endpoint) {
        (Method::POST, AdminEndpoint::Tenants) => create_tenant(body()?, &base, store, ctx).await,
        (Method::GET, AdminEndpoint::Tenants) => list_tenants(&params, &base, store).await,
        (Method::GET, AdminEndpoint::Tenant(t)) => {
            let tenant = fetch_tenant(&t, store).await?;
            Ok(admin_json(200, &tenant_json(&tenant, &base)))
        }
        (Method::PATCH, AdminEndpoint::Tenant(t)) => update_tenant(&t, body()?, &base, store).await,
        (Method::DELETE, AdminEndpoint::Tenant(t)) => delete_tenant(&t, store).await,
        (Method::POST, AdminEndpoint::Tokens(t)) => issue_token(&t, body()?, store, ctx).await,
        (Method::GET, AdminEndpoint::Tokens(t)) => list_tokens(&t, &params, store).await,
        (Method::DELETE, AdminEndpoint::Token(t, k)) => revoke_token(&t, &k, store, ctx).await,
        (Method::POST, AdminEndpoint::Attributes(t)) => {
            attributes::create(&t, body()?, store, ctx).await
        }
        (Method::GET, AdminEndpoint::Attributes(t)) => attributes::list(&t, &params, store).await,
        (Method::GET, AdminEndpoint::Attribute(t, a)) => attributes::get(&t, &a, store).await,
        (Method::PATCH, AdminEndpoint::Attribute(t, a)) => {
            attributes::update(&t, &a, body()?, store).await
        }
        (Method::GET, AdminEndpoint::Employees(t)) => {
            reports::employees(&t, &params, store, ctx).await
        }
        (Method::GET, AdminEndpoint::Activity(t)) => {
            reports::activity(&t, &params, store, ctx).await
        }
        (_, AdminEndpoint::Unknown) => Err(ScimError::NotFound("No such admin endpoint".into())),
        (_, endpoint) => Err(ScimError::MethodNotAllowed {
            allow: endpoint.allow(),
        }),
    }
}

/// The JSON object of an admin request body; an empty body counts as `{}`.
fn request_object(req: &Request) -> Result<Map<String, Value>, ScimError> {
    let ct = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    media::check_body_type(ct)?;
    match req.body() {
        Body::TooLarge => Err(ScimError::PayloadTooLarge {
            limit: media::MAX_BODY_BYTES,
        }),
        Body::Complete(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        Body::Complete(b) => media::json_object(b).map_err(|e| ScimError::BadRequest(e.detail())),
    }
}

pub(crate) fn refuse_unknown_fields(
    body: &Map<String, Value>,
    known: &[&str],
) -> Result<(), ScimError> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ScimError::BadRequest(format!(
            "Unknown field \"{k}\"; expected {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// A display string: trimmed, 1..=`max` characters, no control characters.
pub(crate) fn display_string(value: &Value, field: &str, max: usize) -> Result<String, ScimError> {
    let s = value
        .as_str()
        .ok_or_else(|| ScimError::BadRequest(format!("\"{field}\" must be a string")))?
        .trim();
    if s.is_empty() {
        return Err(ScimError::BadRequest(format!(
            "\"{field}\" must not be empty"
        )));
    }
    if s.chars().count() > max {
        return Err(ScimError::BadRequest(format!(
            "\"{field}\" is longer than {max} characters"
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(ScimError::BadRequest(format!(
            "\"{field}\" must not contain control characters"
        )));
    }
    Ok(s.to_string())
}

pub(crate) fn bool_field(value: &Value, field: &str) -> Result<bool, ScimError> {
    value
        .as_bool()
        .ok_or_else(|| ScimError::BadRequest(format!("\"{field}\" must be true or false")))
}

/// `limit` and `cursor` of a list request.
pub(crate) fn paging(
    params: &[(String, String)],
) -> Result<(i64, Option<(String, String)>), ScimError> {
    let limit = match query::get(params, "limit") {
        None => DEFAULT_LIMIT,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => n.min(MAX_LIMIT),
            _ => {
                return Err(ScimError::BadRequest(format!(
                    "\"limit\" must be an integer from 1 to {MAX_LIMIT}"
                )))
            }
        },
    };
    let cursor = match query::get(params, "cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            decode_cursor(c)
                .ok_or_else(|| ScimError::BadRequest("\"cursor\" is not valid".into()))?,
        ),
    };
    Ok((limit, cursor))
}

/// Cursors are opaque to clients: the `(created, id)` of the last row of the previous page.
fn encode_cursor(created: &str, id: &str) -> String {
    base64url(format!("{created}\n{id}").as_bytes())
}

fn decode_cursor(cursor: &str) -> Option<(String, String)> {
    let text = String::from_utf8(base64url_decode(cursor)?).ok()?;
    let (created, id) = text.split_once('\n')?;
    Some((created.to_string(), id.to_string()))
}

fn text(row: &Row, key: &str) -> String {
    row.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn tenant_json(row: &Row, base: &str) -> Value {
    json!({
        "id": row.get("id"),
        "name": row.get("name"),
        "active": row.get("active").and_then(Value::as_i64) == Some(1),
        "created": row.get("created"),
        "scim_base_url": base,
    })
}

fn token_json(row: &Row) -> Value {
    json!({
        "token_id": row.get("id"),
        "label": row.get("label"),
        "prefix": row.get("prefix"),
        "created": row.get("created"),
        "last_used": row.get("last_used"),
        "revoked": !row.get("revoked_at").is_none_or(Value::is_null),
        "revoked_at": row.get("revoked_at"),
    })
}

/// A page of rows fetched with `limit + 1`: the rows to show and the next cursor.
pub(crate) fn page(mut rows: Vec<Row>, limit: i64) -> (Vec<Row>, Value) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = match (more, rows.last()) {
        (true, Some(last)) => {
            Value::String(encode_cursor(&text(last, "created"), &text(last, "id")))
        }
        _ => Value::Null,
    };
    (rows, next)
}

pub(crate) async fn batch<S: Store>(
    store: &S,
    stmts: Vec<Stmt>,
) -> Result<Vec<Vec<Row>>, ScimError> {
    store
        .batch(Consistency::Primary, stmts)
        .await
        .map_err(store_error)
}

pub(crate) async fn fetch_tenant<S: Store>(tenant_id: &str, store: &S) -> Result<Row, ScimError> {
    let mut results = batch(store, vec![sql::get_tenant(tenant_id)]).await?;
    results
        .remove(0)
        .into_iter()
        .next()
        .ok_or_else(tenant_not_found)
}

/// A page of one tenant's rows: `stmt` reads `limit + 1` of them after the cursor, in the same
/// batch as the tenant, which must exist (404 otherwise).
pub(crate) async fn tenant_page<S: Store>(
    store: &S,
    tenant_id: &str,
    stmt: Stmt,
    limit: i64,
) -> Result<(Vec<Row>, Value), ScimError> {
    let mut results = batch(store, vec![sql::get_tenant(tenant_id), stmt]).await?;
    if results[0].is_empty() {
        return Err(tenant_not_found());
    }
    Ok(page(results.remove(1), limit))
}

pub(crate) fn tenant_not_found() -> ScimError {
    ScimError::NotFound("No such tenant".into())
}

fn internal(e: String) -> ScimError {
    ScimError::Internal(e)
}

async fn create_tenant<S: Store>(
    body: Map<String, Value>,
    base: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    refuse_unknown_fields(&body, &["name"])?;
    let name = display_string(
        body.get("name").unwrap_or(&Value::Null),
        "name",
        MAX_NAME_CHARS,
    )?;
    let tenant_id = prefixed_id("tnt", ctx.random).map_err(internal)?;
    let token_id = prefixed_id("tok", ctx.random).map_err(internal)?;
    let token = generate_token(ctx.random).map_err(internal)?;
    let created = ctx.now.to_rfc3339();
    batch(
        store,
        vec![
            sql::insert_tenant(&tenant_id, &name, &created),
            sql::insert_token(
                &token_id,
                &tenant_id,
                token.hash.as_str(),
                &token.prefix,
                None,
                &created,
            ),
        ],
    )
    .await?;
    Ok(admin_json(
        201,
        &json!({
            "id": tenant_id,
            "name": name,
            "active": true,
            "created": created,
            "scim_base_url": base,
            "token_id": token_id,
            "token": token.secret,
        }),
    ))
}

async fn list_tenants<S: Store>(
    params: &[(String, String)],
    base: &str,
    store: &S,
) -> Result<Response, ScimError> {
    let (limit, cursor) = paging(params)?;
    let after = cursor.as_ref().map(|(c, i)| (c.as_str(), i.as_str()));
    let mut results = batch(store, vec![sql::list_tenants(after, limit + 1)]).await?;
    let (rows, next) = page(results.remove(0), limit);
    let tenants: Vec<Value> = rows.iter().map(|r| tenant_json(r, base)).collect();
    Ok(admin_json(
        200,
        &json!({ "tenants": tenants, "next_cursor": next }),
    ))
}

async fn update_tenant<S: Store>(
    tenant_id: &str,
    body: Map<String, Value>,
    base: &str,
    store: &S,
) -> Result<Response, ScimError> {
    refuse_unknown_fields(&body, &["name", "active"])?;
    let name = body
        .get("name")
        .map(|v| display_string(v, "name", MAX_NAME_CHARS))
        .transpose()?;
    let active = body
        .get("active")
        .map(|v| bool_field(v, "active"))
        .transpose()?;
    let mut results = batch(
        store,
        vec![
            sql::update_tenant(tenant_id, name.as_deref(), active),
            sql::get_tenant(tenant_id),
        ],
    )
    .await?;
    let row = results
        .remove(1)
        .into_iter()
        .next()
        .ok_or_else(tenant_not_found)?;
    Ok(admin_json(200, &tenant_json(&row, base)))
}

async fn delete_tenant<S: Store>(tenant_id: &str, store: &S) -> Result<Response, ScimError> {
    let mut stmts = vec![sql::get_tenant(tenant_id)];
    stmts.extend(sql::purge_tenant(tenant_id));
    let results = batch(store, stmts).await?;
    if results[0].is_empty() {
        return Err(tenant_not_found());
    }
    Ok(empty(204))
}

async fn issue_token<S: Store>(
    tenant_id: &str,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    refuse_unknown_fields(&body, &["label"])?;
    let label = match body.get("label") {
        None | Some(Value::Null) => None,
        Some(v) => Some(display_string(v, "label", MAX_LABEL_CHARS)?),
    };
    let token_id = prefixed_id("tok", ctx.random).map_err(internal)?;
    let token = generate_token(ctx.random).map_err(internal)?;
    let created = ctx.now.to_rfc3339();
    let results = batch(
        store,
        vec![
            sql::get_tenant(tenant_id),
            sql::insert_token(
                &token_id,
                tenant_id,
                token.hash.as_str(),
                &token.prefix,
                label.as_deref(),
                &created,
            ),
        ],
    )
    .await?;
    if results[0].is_empty() {
        return Err(tenant_not_found());
    }
    Ok(admin_json(
        201,
        &json!({
            "token_id": token_id,
            "label": label,
            "prefix": token.prefix,
            "created": created,
            "token": token.secret,
        }),
    ))
}

async fn list_tokens<S: Store>(
    tenant_id: &str,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, ScimError> {
    let (limit, cursor) = paging(params)?;
    let after = cursor.as_ref().map(|(c, i)| (c.as_str(), i.as_str()));
    let (rows, next) = tenant_page(
        store,
        tenant_id,
        sql::list_tokens(tenant_id, after, limit + 1),
        limit,
    )
    .await?;
    let tokens: Vec<Value> = rows.iter().map(token_json).collect();
    Ok(admin_json(
        200,
        &json!({ "tokens": tokens, "next_cursor": next }),
    ))
}

async fn revoke_token<S: Store>(
    tenant_id: &str,
    token_id: &str,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, ScimError> {
    let results = batch(
        store,
        vec![
            sql::get_token(tenant_id, token_id),
            sql::revoke_token(tenant_id, token_id, &ctx.now.to_rfc3339()),
        ],
    )
    .await?;
    if results[0].is_empty() {
        return Err(ScimError::NotFound("No such token for this tenant".into()));
    }
    Ok(empty(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = encode_cursor("2026-11-24T20:45:04.123Z", "tnt_0123");
        assert_eq!(
            decode_cursor(&c),
            Some(("2026-11-24T20:45:04.123Z".into(), "tnt_0123".into()))
        );
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor(&base64url(b"no-newline")), None);
    }

    #[test]
    fn limit_is_defaulted_clamped_and_validated() {
        let p = |v: &str| vec![("limit".to_string(), v.to_string())];
        assert_eq!(paging(&[]).unwrap().0, DEFAULT_LIMIT);
        assert_eq!(paging(&p("5")).unwrap().0, 5);
        assert_eq!(paging(&p("5000")).unwrap().0, MAX_LIMIT);
        for bad in ["0", "-1", "x", "1.5", ""] {
            assert_eq!(paging(&p(bad)).unwrap_err().status(), 400, "{bad}");
        }
    }
}
