//! `/admin/v1/tenants/{tenant}/deleted-employees` (DESIGN §4, §7): the employees a SCIM DELETE
//! removed and the product still keeps, restorable for the tenant's retention
//! (`deleted_retention_days`, default 30). List them (who deleted each, when, with which token and
//! client, and when the purge will erase it), restore one, or purge one at once.
//!
//! **Restore** puts the employee back as it was: same id, attributes, creation time and active
//! state, at the next version, with its history and the references other employees had to it.
//! It is the same write as a SCIM create of that document (`scim_api::write` adds its emails and
//! references), under one more condition: the deleted row is still there. A `userName` or
//! `externalId` another employee took meanwhile refuses it with 409 `conflict`; the tenant's
//! quota, with 403 `quota_exceeded`. Both the restore and its refusal are in the activity log
//! (`restore`, client `admin`, no token).
//!
//! **Purge** erases its personal data for good (`store::deleted::purge`), logged as `purge`.

use super::error::AdminError;
use super::request::{page, paging};
use super::{json, TenantBatch};
use crate::app::employee_write::{eligibility, follow_up, new_write_id};
use crate::app::plumbing::context::Ctx;
use crate::app::plumbing::respond::empty;
use crate::app::plumbing::Response;
use crate::model::{EventType, Operation, TenantId, UserId};
use crate::scim::columns;
use crate::scim::fold::fold;
use crate::scim::user::{folded, Doc};
use crate::store::activity::{log_one_of, Event, Outcome, When};
use crate::store::attributes::definitions_of;
use crate::store::deleted::{self as sql, DeletedUser, Purger, Purging};
use crate::store::guard::{self, Actor, Settled};
use crate::store::outbox::{self, Emitter, If};
use crate::store::users::{self, Activation, Claim, Refusal, UserWrite};
use crate::store::{After, Scope, Store};
use serde_json::{json, Value};

/// The `client` of the activity-log entries this API writes (they carry no token).
pub const ADMIN_CLIENT: &str = "admin";

fn not_deleted() -> AdminError {
    AdminError::NotFound(
        "No deleted employee with this id in this tenant: it was never deleted, or it was \
         restored or purged since"
            .into(),
    )
}

fn deleted_json(d: &DeletedUser) -> Value {
    json!({
        "id": d.id.as_str(),
        "userName": d.user_name,
        "email": d.email,
        "active": d.active,
        "deleted_at": d.deleted_at.to_rfc3339(),
        "deleted_by": {
            "request_id": d.request_id,
            "token_id": d.token_id,
            "client": d.client,
        },
        "purge_at": d.purge_at.to_rfc3339(),
        "version": d.version,
    })
}

/// `GET .../deleted-employees?limit=&cursor=`: the latest deleted first.
pub async fn list<S: Store>(
    tenant: &TenantId,
    params: &[(String, String)],
    store: &S,
) -> Result<Response, AdminError> {
    let (limit, after) = paging(params)?;
    let mut batch = TenantBatch::new(tenant);
    let rows = batch.read(sql::list_deleted(tenant, after.as_ref(), limit + 1));
    let total = batch.read(sql::count_deleted(tenant));
    let (row, mut results) = batch.run(store).await?;
    let total = results.take(total)?;
    let (rows, next) = page(results.take(rows)?, limit, |d| After {
        created: d.deleted_at,
        id: d.id.to_string(),
    });
    let employees: Vec<Value> = rows.iter().map(deleted_json).collect();
    Ok(json(
        200,
        &json!({
            "deleted_employees": employees,
            "total": total,
            "next_cursor": next,
            "deleted_retention_days": row.deleted_retention_days,
        }),
    ))
}

/// `GET .../deleted-employees/{id}`.
pub async fn get<S: Store>(
    tenant: &TenantId,
    id: &UserId,
    store: &S,
) -> Result<Response, AdminError> {
    let mut batch = TenantBatch::new(tenant);
    let found = batch.read(sql::get_deleted(tenant, id));
    let (_, mut results) = batch.run(store).await?;
    let d = results.take(found)?.ok_or_else(not_deleted)?;
    Ok(json(200, &deleted_json(&d)))
}

/// `DELETE .../deleted-employees/{id}`: purged now; 204.
pub async fn purge<S: Store>(
    tenant: &TenantId,
    id: &UserId,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    let selection = Purging::One(id);
    let mut batch = TenantBatch::new(tenant);
    let found = batch.read(sql::purge_count(tenant, selection));
    batch.write_all(sql::purge(
        tenant,
        selection,
        &Purger {
            at: ctx.now,
            request_id: &ctx.request_id,
            client: ADMIN_CLIENT,
        },
    ));
    let (_, mut results) = batch.run(store).await?;
    if results.take(found)? == 0 {
        return Err(not_deleted());
    }
    Ok(empty(204))
}

/// `POST .../deleted-employees/{id}/restore`: 200 with the restored employee.
pub async fn restore<S: Store>(
    tenant: &TenantId,
    id: &UserId,
    store: &S,
    ctx: &mut Ctx<'_>,
) -> Result<Response, AdminError> {
    Ok(json(
        200,
        &restore_employee(tenant, id, store, ctx, Why::Restore).await?,
    ))
}

/// Why an employee is restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// An admin's restore: a held deletion of it (`store::guard`) is cleared.
    Restore,
    /// An admin dismissed its held deletion (`admin_api::guard`): logged as `dismiss`, and it
    /// stays eligible even if it was inactive (overridden).
    Dismissal,
}

/// Restores a deleted employee (see the module doc); the restored employee's summary.
pub async fn restore_employee<S: Store>(
    tenant: &TenantId,
    id: &UserId,
    store: &S,
    ctx: &mut Ctx<'_>,
    why: Why,
) -> Result<Value, AdminError> {
    // What was kept, and the company's attributes to fold it by.
    let mut batch = TenantBatch::new(tenant);
    let found = batch.read(sql::get_deleted(tenant, id));
    let schema = batch.read(definitions_of(tenant));
    let (_, mut results) = batch.run(store).await?;
    let deleted = results.take(found)?.ok_or_else(not_deleted)?;
    let schema = results.take(schema)?;
    let doc: Doc = match &deleted.resource {
        Value::Object(m) => m.clone(),
        _ => {
            return Err(AdminError::Internal(format!(
                "the kept document of deleted employee {id} is not an object"
            )))
        }
    };

    let write_id = new_write_id(ctx).map_err(AdminError::Internal)?;
    let folded_doc = folded(&doc, &schema);
    let write = UserWrite::new(id, &write_id, &doc, &folded_doc, ctx.now)
        .restoring(deleted.version, deleted.created);
    let user_name = columns::text_at(&doc, &["userName"]).unwrap_or_default();
    let user_name_fold = fold(user_name);
    let external_id = columns::text_at(&doc, &["externalId"]);
    let claim = Claim {
        id,
        user_name_fold: &user_name_fold,
        external_id,
        employees: 1,
        bytes: write.size(),
    };
    let scope = Scope::Tenant(tenant);
    let (operation, detail) = match why {
        Why::Restore => (
            Operation::Restore,
            format!("restored; deleted {}", deleted.deleted_at.to_rfc3339()),
        ),
        Why::Dismissal => (
            Operation::Dismiss,
            format!(
                "held deletion received {} dismissed: the employee is restored",
                deleted.deleted_at.to_rfc3339()
            ),
        ),
    };
    let entry = Event {
        at: ctx.now,
        request_id: &ctx.request_id,
        operation,
        user_id: Some(id),
        user_name: Some(user_name),
        status: 200,
        detail: Some(&detail),
        changes: Some("[]".into()),
        client: Some(ADMIN_CLIENT),
    };
    // A refusal's status and detail in the log, as the batch finds it.
    let outcomes: Vec<Outcome> = Refusal::ALL
        .into_iter()
        .map(|reason| {
            let e = admin_refusal(reason, user_name, external_id);
            Outcome {
                reason,
                status: e.status(),
                detail: e.detail(),
            }
        })
        .collect();

    let mut batch = TenantBatch::new(tenant);
    batch.write(users::insert_user(scope, &write, &claim));
    batch.write(users::count_usage(scope, &write, &claim));
    batch.write_all(follow_up(scope, &write, &Doc::new(), &schema));
    batch.write(users::record_activation(
        scope,
        id,
        &write_id,
        Activation::Restore,
        ctx.now,
    ));
    let by = Emitter {
        at: ctx.now,
        request_id: &ctx.request_id,
    };
    batch.write_all(sql::restore_follow_up(scope, id, &write_id, &by));
    match why {
        Why::Restore => batch.write_all(eligibility(
            scope,
            Activation::Restore,
            id,
            &write_id,
            &Actor {
                at: ctx.now,
                request_id: &ctx.request_id,
                client: Some(ADMIN_CLIENT),
            },
        )),
        Why::Dismissal => batch.write_all([
            guard::settle(scope, id, &write_id, Settled::Dismissed),
            guard::dismissed_restore(scope, id, &write_id),
            guard::end_trips(scope, ctx.now),
        ]),
    }
    // The employee's event, after the guard's statements (a dismissal keeps it eligible); a
    // dismissed held deletion is an `employee.restored` too: the employee exists again.
    batch.write(outbox::emit(
        scope,
        &by,
        EventType::Restored,
        id,
        None,
        If::Written(&write_id),
    ));
    // One entry: the restore's, or the refusal's (with that outcome's status and detail).
    batch.write(log_one_of(
        scope,
        &[
            (
                &entry,
                &When::Written {
                    id,
                    write_id: &write_id,
                },
            ),
            (
                &entry,
                &When::Refused {
                    write_id: None,
                    claim: &claim,
                    outcomes: &outcomes,
                    definitions: None,
                },
            ),
        ],
    ));
    let restored = batch.read(users::get_user(scope, id));
    let why = batch.read(users::refusal(scope, &claim));
    let still = batch.read(sql::get_deleted(tenant, id));
    let (_, mut results) = batch.run(store).await?;
    let restored = results.take(restored)?;
    let why = results.take(why)?;
    let still = results.take(still)?;
    match restored {
        Some(user) if user.write_id == write_id => Ok(json!({
            "id": id.as_str(),
            "userName": user_name,
            "externalId": external_id,
            "active": columns::is_active(&doc),
            "version": user.meta.version,
            "created": deleted.created.to_rfc3339(),
            "restored_at": ctx.now.to_rfc3339(),
            "deleted_at": deleted.deleted_at.to_rfc3339(),
        })),
        // Restored by a request that ran meanwhile: that one answered.
        Some(_) => Err(AdminError::Conflict(
            "This employee was restored by another request meanwhile".into(),
        )),
        None => match (why, still) {
            (Some(reason), _) => Err(admin_refusal(reason, user_name, external_id)),
            // Purged (or restored and deleted again) meanwhile.
            (None, None) => Err(not_deleted()),
            (None, Some(_)) => Err(AdminError::Conflict(
                "This employee changed while it was being restored; try again".into(),
            )),
        },
    }
}

/// A restore refused for `reason`, as this API answers it and the activity log records it.
fn admin_refusal(reason: Refusal, user_name: &str, external_id: Option<&str>) -> AdminError {
    let held = "another employee holds it now; rename that one (or change it at the identity \
                provider) and restore again";
    match reason {
        Refusal::UserNameTaken => AdminError::Conflict(format!(
            "Cannot restore: userName \"{user_name}\" is taken: {held}"
        )),
        Refusal::ExternalIdTaken => AdminError::Conflict(format!(
            "Cannot restore: externalId \"{}\" is taken: {held}",
            external_id.unwrap_or_default()
        )),
        Refusal::EmployeeQuota => AdminError::QuotaExceeded(
            "Cannot restore: this tenant has reached its quota of employees; the operator can raise it"
                .into(),
        ),
        Refusal::ByteQuota => AdminError::QuotaExceeded(
            "Cannot restore: the tenant's quota of stored data has no room for this employee; the \
             operator can raise it"
                .into(),
        ),
    }
}
