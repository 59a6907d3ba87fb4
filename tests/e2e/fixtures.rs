//! The identity providers' documented flows (`tests/fixtures/`, see `common::fixtures`) replayed
//! against the worker under `wrangler dev`, one test per fixture file.

use crate::common::fixtures;
use crate::http_client::worker;

#[test]
fn okta_spec_test() {
    fixtures::run(worker(), "okta-spec-test.json");
}

#[test]
fn okta_crud_test() {
    fixtures::run(worker(), "okta-crud-test.json");
}

#[test]
fn okta_scim_20_reference() {
    fixtures::run(worker(), "okta-scim-20-reference.json");
}

#[test]
fn entra_tutorial_user_operations() {
    fixtures::run(worker(), "entra-tutorial-user-operations.json");
}

#[test]
fn entra_known_issues_scim_compliance() {
    fixtures::run(worker(), "entra-known-issues-scim-compliance.json");
}
