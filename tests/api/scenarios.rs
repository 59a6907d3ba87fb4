//! The scenarios and golden fixture files both suites run (`common::scenarios::shared_tests!`),
//! here on the host with a fresh `TestApp` each.

crate::common::scenarios::shared_tests!(&crate::helpers::TestApp::new());
