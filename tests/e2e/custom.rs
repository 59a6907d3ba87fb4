use crate::common::scenarios::custom as s;
use crate::http_client::worker;

#[test]
fn admin_defines_attributes() {
    s::admin_defines_attributes(worker());
}

#[test]
fn okta_custom_attribute_flow() {
    s::okta_custom_attribute_flow(worker());
}

#[test]
fn employee_references() {
    s::employee_references(worker());
}

#[test]
fn deactivated_attributes_are_ignored_and_kept() {
    s::deactivated_attributes_are_ignored_and_kept(worker());
}

#[test]
fn each_tenant_sees_only_its_own_attributes() {
    s::each_tenant_sees_only_its_own_attributes(worker());
}

#[test]
fn entra_custom_attribute_flow() {
    s::entra_custom_attribute_flow(worker());
}
