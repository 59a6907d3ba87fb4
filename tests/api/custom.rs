use crate::common::scenarios::custom as s;
use crate::helpers::TestApp;

#[test]
fn admin_defines_attributes() {
    s::admin_defines_attributes(&TestApp::new());
}

#[test]
fn okta_custom_attribute_flow() {
    s::okta_custom_attribute_flow(&TestApp::new());
}

#[test]
fn employee_references() {
    s::employee_references(&TestApp::new());
}

#[test]
fn deactivated_attributes_are_ignored_and_kept() {
    s::deactivated_attributes_are_ignored_and_kept(&TestApp::new());
}

#[test]
fn each_tenant_sees_only_its_own_attributes() {
    s::each_tenant_sees_only_its_own_attributes(&TestApp::new());
}

#[test]
fn entra_custom_attribute_flow() {
    s::entra_custom_attribute_flow(&TestApp::new());
}
