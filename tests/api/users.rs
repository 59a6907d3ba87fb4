use crate::common::scenarios::users as s;
use crate::helpers::TestApp;

#[test]
fn create_read_replace_delete() {
    s::create_read_replace_delete(&TestApp::new());
}

#[test]
fn user_names_are_unique_ignoring_case() {
    s::user_names_are_unique_ignoring_case(&TestApp::new());
}

#[test]
fn invalid_bodies_are_scim_errors() {
    s::invalid_bodies_are_scim_errors(&TestApp::new());
}

#[test]
fn ignored_attributes_are_ignored() {
    s::ignored_attributes_are_ignored(&TestApp::new());
}

#[test]
fn deactivate_and_reactivate() {
    s::deactivate_and_reactivate(&TestApp::new());
}

#[test]
fn list_filters_and_pages() {
    s::list_filters_and_pages(&TestApp::new());
}

#[test]
fn tenants_never_see_each_others_users() {
    s::tenants_never_see_each_others_users(&TestApp::new());
}

#[test]
fn enterprise_manager_is_returned_in_rfc_form() {
    s::enterprise_manager_is_returned_in_rfc_form(&TestApp::new());
}

#[test]
fn discovery_endpoints() {
    s::discovery_endpoints(&TestApp::new());
}
