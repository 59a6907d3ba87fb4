use crate::common::scenarios::protocol as s;
use crate::helpers::TestApp;

#[test]
fn every_answer_has_a_request_id() {
    s::every_answer_has_a_request_id(&TestApp::new());
}

#[test]
fn unknown_routes_and_methods() {
    s::unknown_routes_and_methods(&TestApp::new());
}

#[test]
fn media_types_are_negotiated() {
    s::media_types_are_negotiated(&TestApp::new());
}

#[test]
fn bodies_over_one_mebibyte_are_refused() {
    s::bodies_over_one_mebibyte_are_refused(&TestApp::new());
}

#[test]
fn service_provider_config_is_served() {
    s::service_provider_config_is_served(&TestApp::new());
}
