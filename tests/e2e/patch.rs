//! PATCH and conditional requests against the worker (`common::scenarios::patch`).

use crate::common::scenarios::patch as s;
use crate::http_client::worker;

#[test]
fn okta_patch_sequence() {
    s::okta_patch_sequence(worker());
}

#[test]
fn entra_patch_sequence() {
    s::entra_patch_sequence(worker());
}

#[test]
fn a_request_with_one_invalid_operation_changes_nothing() {
    s::a_request_with_one_invalid_operation_changes_nothing(worker());
}

#[test]
fn custom_attributes_by_patch() {
    s::custom_attributes_by_patch(worker());
}

#[test]
fn conditional_requests() {
    s::conditional_requests(worker());
}
