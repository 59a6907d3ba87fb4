use crate::common::scenarios::users as s;
use crate::http_client::worker;

#[test]
fn create_read_replace_delete() {
    s::create_read_replace_delete(worker());
}

#[test]
fn user_names_are_unique_ignoring_case() {
    s::user_names_are_unique_ignoring_case(worker());
}

#[test]
fn invalid_bodies_are_scim_errors() {
    s::invalid_bodies_are_scim_errors(worker());
}

#[test]
fn ignored_attributes_are_ignored() {
    s::ignored_attributes_are_ignored(worker());
}

#[test]
fn deactivate_and_reactivate() {
    s::deactivate_and_reactivate(worker());
}

#[test]
fn list_filters_and_pages() {
    s::list_filters_and_pages(worker());
}

#[test]
fn tenants_never_see_each_others_users() {
    s::tenants_never_see_each_others_users(worker());
}

#[test]
fn enterprise_manager_is_returned_in_rfc_form() {
    s::enterprise_manager_is_returned_in_rfc_form(worker());
}

#[test]
fn discovery_endpoints() {
    s::discovery_endpoints(worker());
}
