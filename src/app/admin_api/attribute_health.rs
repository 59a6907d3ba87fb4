//! Attribute health (DESIGN §7): how the tenant's custom attributes fare with what its IdPs
//! send, and one call that turns a name the IdP sent into an alias.
//!
//! `GET /admin/v1/tenants/{tenant}/attribute-health` answers, from what SCIM writes noted as they
//! arrived (`app::scim_api::attribute_health`, `store::attribute_health`):
//! - `unmatched`: names sent under the tenant extension that matched no attribute (the write was
//!   refused, 400), most recently seen first, with a count, when first and last seen and the
//!   client of the last; names that match an attribute by now (an alias or attribute added
//!   since) are left out;
//! - `never_received`: active attributes no write has given a value since they were noted
//!   (attributes created before attribute health existed count as never received until their
//!   next value), with the hint that explains the commonest cause in Okta;
//! - `refused`: attributes whose last refused value is known, with the reason the IdP was told;
//! - `attributes`: every attribute with its `last_received`, `last_refused`, `refused_reason`
//!   and `refused_count`.
//!
//! `POST .../attribute-health/aliases {"name", "attribute"}` adds `name` (a valid ATTRNAME) to
//! the aliases of the attribute `attribute` (its id), as `PATCH .../attributes/{id}` would, and
//! forgets the name in the same batch; the IdP's next request with it succeeds.

use super::attributes;
use super::error::AdminError;
use super::request::refuse_unknown_fields;
use super::{json, TenantBatch};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::Response;
use crate::model::TenantId;
use crate::scim::fold::fold;
use crate::scim::naming::{is_attr_name, MAX_ATTR_NAME_LEN};
use crate::scim::schema::TENANT_USER;
use crate::scim::sorting;
use crate::store::{attribute_health as sql, attributes as attr_sql, Store};
use serde_json::{json, Map, Value};

/// Why an attribute may never be received, in Okta's words (its Profile Editor).
pub const OKTA_HINT: &str = "Okta sends an attribute only when its mapping has the External \
     namespace urn:ietf:params:scim:schemas:extension:peakon:2.0:User; an attribute added \
     without one is never sent. In Entra ID, map it to \
     urn:ietf:params:scim:schemas:extension:peakon:2.0:User:<SCIM name>.";

fn time(t: Option<crate::scim::datetime::Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

/// `GET /admin/v1/tenants/{tenant}/attribute-health`.
pub async fn get<S: Store>(tenant: &TenantId, store: &S) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let schema = batch.read(attr_sql::definitions_of(tenant));
    let health = batch.read(sql::attribute_health(tenant));
    let unmatched = batch.read(sql::unmatched(tenant));
    let (_, mut results) = batch.run(store).await?;
    let (schema, health, unmatched) = (
        results.take(schema)?,
        results.take(health)?,
        results.take(unmatched)?,
    );
    let unmatched: Vec<Value> = unmatched
        .iter()
        .filter(|u| schema.find(&u.name).is_none())
        .map(|u| {
            json!({
                "name": u.name,
                "count": u.count,
                "first_seen": u.first_seen.to_rfc3339(),
                "last_seen": u.last_seen.to_rfc3339(),
                "client": u.client,
                // Only a valid ATTRNAME can become an alias.
                "can_alias": is_attr_name(&u.name),
            })
        })
        .collect();
    let (mut attrs, mut never, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    for a in &schema.attributes {
        let Some(h) = health.iter().find(|h| h.id == a.id) else {
            continue;
        };
        let brief = json!({"id": a.id, "name": a.name, "scim_name": a.scim_name});
        if a.active && h.last_received.is_none() {
            let mut b = brief.clone();
            b["hint"] = json!(OKTA_HINT);
            never.push(b);
        }
        if let Some(at) = h.last_refused {
            let mut b = brief.clone();
            b["last_refused"] = json!(at.to_rfc3339());
            b["reason"] = json!(h.refused_reason);
            b["count"] = json!(h.refused_count);
            refused.push(b);
        }
        attrs.push(json!({
            "id": a.id,
            "name": a.name,
            "scim_name": a.scim_name,
            "active": a.active,
            "last_received": time(h.last_received),
            "last_refused": time(h.last_refused),
            "refused_reason": h.refused_reason,
            "refused_count": h.refused_count,
        }));
    }
    sorting::sort_by(&mut refused, |a, b| {
        b["last_refused"].as_str().cmp(&a["last_refused"].as_str())
    });
    Ok(json(
        200,
        &json!({
            "extension": TENANT_USER,
            "unmatched": unmatched,
            "never_received": never,
            "refused": refused,
            "attributes": attrs,
        }),
    ))
}

/// `POST /admin/v1/tenants/{tenant}/attribute-health/aliases {"name", "attribute"}`: 200 the
/// attribute, with `name` among its aliases.
pub async fn alias<S: Store>(
    tenant: &TenantId,
    body: Map<String, Value>,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    refuse_unknown_fields(&body, &["name", "attribute"])?;
    let field = |f: &str| {
        body.get(f)
            .and_then(Value::as_str)
            .ok_or_else(|| AdminError::BadRequest(format!("\"{f}\" is required (a string)")))
    };
    let (name, id) = (field("name")?, field("attribute")?);
    if !is_attr_name(name) {
        return Err(AdminError::BadRequest(format!(
            "\"{name}\" cannot become an alias: an alias is a letter, then letters, digits, '_' or \
             '-', at most {MAX_ATTR_NAME_LEN} characters (RFC 7643 §2.1); change the name in the IdP"
        )));
    }
    let current = attributes::fetch(tenant, id, store).await?.attr;
    let mut aliases = current.aliases.clone();
    aliases.push(name.to_string());
    let mut change = Map::new();
    change.insert("aliases".into(), json!(aliases));
    let forget = vec![sql::forget_unmatched(tenant, &fold(name))];
    attributes::update_with(tenant, id, change, store, ctx, forget).await
}
