use crate::common::scenarios::tenants as s;
use crate::http_client::worker;

#[test]
fn tenant_lifecycle() {
    s::tenant_lifecycle(worker());
}

#[test]
fn tenant_creation_is_validated() {
    s::tenant_creation_is_validated(worker());
}

#[test]
fn tenant_list_is_newest_first_and_paged() {
    s::tenant_list_is_newest_first_and_paged(worker());
}

#[test]
fn tokens_rotate_and_revoke() {
    s::tokens_rotate_and_revoke(worker());
}

#[test]
fn tenants_do_not_see_each_other() {
    s::tenants_do_not_see_each_other(worker());
}

#[test]
fn admin_api_refuses_wrong_credentials() {
    s::admin_api_refuses_wrong_credentials(worker());
}

#[test]
fn scim_refuses_wrong_credentials() {
    s::scim_refuses_wrong_credentials(worker());
}
