use crate::common::scenarios::protocol as s;
use crate::http_client::worker;

#[test]
fn every_answer_has_a_request_id() {
    s::every_answer_has_a_request_id(worker());
}

#[test]
fn unknown_routes_and_methods() {
    s::unknown_routes_and_methods(worker());
}

#[test]
fn media_types_are_negotiated() {
    s::media_types_are_negotiated(worker());
}

#[test]
fn bodies_over_one_mebibyte_are_refused() {
    s::bodies_over_one_mebibyte_are_refused(worker());
}

#[test]
fn service_provider_config_is_served() {
    s::service_provider_config_is_served(worker());
}
