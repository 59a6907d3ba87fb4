//! Discovery (RFC 7644 §4, RFC 7643 §5–§7): `/ServiceProviderConfig`, `/ResourceTypes`,
//! `/Schemas`. Each tells the truth about what this service does today.
//!
//! They answer without credentials (RFC 7644 §4 lets a service provider publish them); a
//! request that does carry a bearer token has it checked, so a wrong token is a 401 here too.

use super::list::{DEFAULT_COUNT, FILTER_LIMITS, MAX_COUNT};
use crate::app::plumbing::media::MAX_BODY_BYTES;
use crate::scim::bulk;
use crate::scim::error::ScimError;
use crate::scim::limits;
use crate::scim::patch::MAX_OPERATIONS;
use crate::scim::schema::{
    schema_json, CORE_SCHEMA, CORE_USER, ENTERPRISE_SCHEMA, ENTERPRISE_USER, LIST_RESPONSE,
    RESOURCE_TYPE_SCHEMA, TENANT_USER,
};
use crate::scim::tenant::TenantSchema;
use serde_json::{json, Value};

/// RFC 7643 §5.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": { "supported": true },
        // RFC 7644 §3.7.4; the limits are derived in `scim::bulk`.
        "bulk": {
            "supported": true,
            "maxOperations": bulk::MAX_OPERATIONS,
            "maxPayloadSize": bulk::MAX_PAYLOAD_BYTES
        },
        "filter": { "supported": true, "maxResults": MAX_COUNT },
        "changePassword": { "supported": false },
        // RFC 7644 §3.4.2.3: sortBy on any singular attribute or sub-attribute (multi-valued
        // ones by their primary value), then by id.
        "sort": { "supported": true },
        // RFC 9865 §4: both paging methods; index paging stays the default (RFC 9865 §2.5,
        // existing clients). Cursors hold no state and do not expire, so there is no
        // `cursorTimeout` to advertise.
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": DEFAULT_COUNT,
            "maxPageSize": MAX_COUNT
        },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            // RFC 7643 §5 has fields for a few limits only (`filter.maxResults`, the bulk ones):
            // the others, the attribute limits of `scim::limits` among them, are stated here.
            "description": format!(
                "The bearer token issued when provisioning was enabled. Limits: request bodies up to {MAX_BODY_BYTES} bytes; \
                 filters up to {} characters, {} levels of nesting and {} comparisons; pages of up to {MAX_COUNT} users \
                 (startIndex, or RFC 9865 cursors, which do not expire); up to {MAX_OPERATIONS} PATCH operations per request. {}",
                FILTER_LIMITS.max_len, FILTER_LIMITS.max_depth, FILTER_LIMITS.max_terms, limits::summary()
            ),
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        }
    })
}

/// RFC 7643 §6: the User resource type, with its extensions.
///
/// The tenant extension is listed when the tenant has active attributes of its own: an
/// extension without attributes would only invite clients to send empty objects, which read
/// back as nothing (RFC 7643 §2.5: empty is unassigned). Without a token the tenant is unknown,
/// so it is not listed either.
pub fn user_resource_type(schema: &TenantSchema, base: &str) -> Value {
    let mut extensions = vec![json!({ "schema": ENTERPRISE_USER, "required": false })];
    if schema.active().next().is_some() {
        extensions.push(json!({ "schema": TENANT_USER, "required": false }));
    }
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "An employee of the company",
        "schema": CORE_USER,
        "schemaExtensions": extensions,
        "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") }
    })
}

/// Every schema, the tenant extension with the tenant's active attributes (none when the
/// request carries no token: without one, the tenant is unknown).
pub fn all_schemas(schema: &TenantSchema, base: &str) -> Vec<Value> {
    let mut all = vec![
        schema_json(&CORE_SCHEMA, base),
        schema_json(&ENTERPRISE_SCHEMA, base),
    ];
    if schema.active().next().is_some() {
        all.push(schema.schema_json(base));
    }
    all
}

/// A ListResponse of every item (discovery lists are never paged).
pub fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}

/// One schema by its URN. The tenant extension answers even while the tenant has no active
/// attributes (its attribute list is then empty), so a client that asks directly learns that.
pub fn schema_by_id(id: &str, schema: &TenantSchema, base: &str) -> Result<Value, ScimError> {
    [
        schema_json(&CORE_SCHEMA, base),
        schema_json(&ENTERPRISE_SCHEMA, base),
        schema.schema_json(base),
    ]
    .into_iter()
    .find(|s| s["id"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(id)))
    .ok_or_else(|| ScimError::NotFound(format!("No schema \"{id}\"")))
}

pub fn resource_type_by_id(
    id: &str,
    schema: &TenantSchema,
    base: &str,
) -> Result<Value, ScimError> {
    if id.eq_ignore_ascii_case("User") {
        Ok(user_resource_type(schema, base))
    } else {
        Err(ScimError::NotFound(format!(
            "No resource type \"{id}\"; this service provides only User"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::limits::{
        CODE_CHARS, IDENTIFIER_CHARS, MAX_RESOURCE_BYTES, MAX_VALUES, NAME_CHARS, TEXT_CHARS,
    };

    #[test]
    fn the_service_provider_config_states_every_input_limit() {
        let spc = service_provider_config("https://x/scim/v2");
        let d = spc["authenticationSchemes"][0]["description"]
            .as_str()
            .unwrap();
        assert!(d.ends_with(&limits::summary()), "{d}");
        for n in [
            MAX_BODY_BYTES,
            MAX_OPERATIONS,
            CODE_CHARS,
            IDENTIFIER_CHARS,
            NAME_CHARS,
            TEXT_CHARS,
            MAX_VALUES,
            MAX_RESOURCE_BYTES,
        ] {
            assert!(d.contains(&n.to_string()), "{n}: {d}");
        }
    }
}
