//! The scenarios and golden fixture files both suites run (`common::scenarios::shared_tests!`),
//! here against the worker under `wrangler dev`: one test each, all on the one worker, each
//! scenario in tenants of its own.

crate::common::scenarios::shared_tests!(crate::http_client::worker());
