//! SQL of a tenant's custom attribute definitions (DESIGN §4, §7).

use super::Stmt;
use crate::tenant_of_token;

/// The definitions of the token's tenant, in creation order: part of every SCIM batch, so that
/// a change applies to the very next request.
pub fn definitions(hash: &str) -> Stmt {
    Stmt::new(
        concat!(
            "SELECT id, name, scim_name, type, options, aliases, active FROM attributes WHERE tenant_id = ",
            tenant_of_token!(),
            " ORDER BY created, id"
        ),
        vec![hash.into()],
    )
}
