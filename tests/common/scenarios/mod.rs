//! Scenarios: request sequences with their expected answers, written once and run by both the
//! host suite and the end-to-end suite; and [`shared_tests!`], the one list of them (and of the
//! golden fixture files) that both suites expand into their tests.
//!
//! A scenario is a `pub fn name(c: &impl Client)` that returns nothing, in a file of this folder.
//! Every other public function here is a helper: it takes more than the client or returns
//! something. Each scenario is named once in [`shared_tests!`]; the host suite's
//! `every_scenario_is_listed_once` fails on a scenario missing from the list, so that no
//! scenario runs in one suite only.
pub mod admins;
pub mod bulk;
pub mod console;
pub mod custom;
pub mod deleted;
pub mod limits;
pub mod patch;
pub mod protocol;
pub mod query;
pub mod quota;
pub mod reports;
pub mod tenants;
pub mod users;

/// How far scenarios move the clock ([`Client::tick`]) between two steps that must have
/// distinct times: requests in the same millisecond share a time.
///
/// [`Client::tick`]: crate::common::Client::tick
pub const APART_MS: u64 = 3;

/// The tests both suites run, named once: every scenario as `module: [function, ...]` and every
/// golden fixture file (`tests/fixtures/`) as `test_name: "file"`.
///
/// `shared_tests!(client)` expands to one module per scenario module (and `fixtures`), each with
/// one `#[test]` per entry. `client` is an expression that gives a `&impl Client`, evaluated
/// afresh in every test; write its paths from `crate::`. The host suite passes a fresh
/// `TestApp`, the end-to-end suite `worker()`.
macro_rules! shared_tests {
    ($client:expr) => {
        $crate::common::scenarios::shared_tests!(@list [tests $client]);
    };
    (@list [$($then:tt)*]) => {
        $crate::common::scenarios::shared_tests! {@$($then)* ;
            scenarios {
                admins: [
                    a_company_admin_signs_in_and_connects_their_idp,
                    a_company_admin_stays_in_their_lane,
                    a_company_admin_fixes_an_attribute_and_exports_the_roster,
                ],
                bulk: [
                    a_mixed_request_of_max_operations,
                    fail_on_errors_stops_at_the_right_operation,
                    a_duplicate_user_name_fails_that_operation_only,
                    a_manager_created_in_the_same_request,
                    one_past_each_limit_is_413_and_nothing_is_stored,
                    bad_envelopes_and_bad_operations,
                ],
                console: [
                    an_unknown_extension_name_is_aliased_from_attribute_health,
                    roster_search_ignores_case_and_accents,
                    the_roster_exports_as_csv,
                    connection_status_shows_requests_and_errors,
                ],
                custom: [
                    admin_defines_attributes,
                    okta_custom_attribute_flow,
                    employee_references,
                    deactivated_attributes_are_ignored_and_kept,
                    each_tenant_sees_only_its_own_attributes,
                    entra_custom_attribute_flow,
                    employee_attributes_filter_as_the_employee_they_name,
                ],
                deleted: [
                    a_deleted_employee_is_gone_for_scim_and_restorable,
                    purging_a_deleted_employee_erases_its_personal_data,
                    the_retention_of_deleted_employees_is_set_per_tenant,
                ],
                limits: [
                    the_largest_allowed_patch_completes_and_the_next_get_is_answered,
                    over_limit_requests_are_refused_and_change_nothing,
                    canonically_equivalent_identities_are_one,
                    script_references_are_refused,
                    rfc_errors_for_schemas_operations_and_required_attributes,
                ],
                patch: [
                    okta_patch_sequence,
                    entra_patch_sequence,
                    a_request_with_one_invalid_operation_changes_nothing,
                    custom_attributes_by_patch,
                    conditional_requests,
                ],
                protocol: [
                    every_answer_has_a_request_id,
                    unknown_routes_and_methods,
                    media_types_are_negotiated,
                    bodies_over_one_mebibyte_are_refused,
                    service_provider_config_is_served,
                ],
                query: [
                    every_operator_family_filters,
                    invalid_filters_are_400_invalid_filter_with_position,
                    sorting_orders_by_any_singular_attribute_then_id,
                    projection_applies_to_every_answer_that_returns_users,
                    search_means_what_get_means,
                    index_paging_is_exact_at_every_offset,
                    cursor_paging_walks_forward_and_back,
                    service_provider_config_advertises_sort_and_pagination,
                    entra_reference_checks_and_unquoted_values,
                    substring_filters_of_three_characters_or_more,
                ],
                quota: [
                    external_ids_are_unique_in_a_tenant,
                    the_employee_quota_refuses_creates_beyond_it,
                    the_byte_quota_refuses_growth_beyond_it,
                ],
                reports: [
                    okta_lifecycle_in_roster_and_log,
                    entra_lifecycle_in_roster_and_log,
                    roster_pages_hold_still_under_concurrent_writes,
                    activity_filters_and_pages,
                    reports_are_tenant_scoped_and_validated,
                ],
                tenants: [
                    tenant_lifecycle,
                    tenant_creation_is_validated,
                    tenant_list_is_newest_first_and_paged,
                    tokens_rotate_and_revoke,
                    tenants_do_not_see_each_other,
                    admin_api_refuses_wrong_credentials,
                    scim_refuses_wrong_credentials,
                ],
                users: [
                    create_read_replace_delete,
                    user_names_are_unique_ignoring_case,
                    invalid_bodies_are_scim_errors,
                    ignored_attributes_are_ignored,
                    deactivate_and_reactivate,
                    list_filters_and_pages,
                    tenants_never_see_each_others_users,
                    enterprise_manager_is_returned_in_rfc_form,
                    discovery_endpoints,
                ],
            }
            fixtures {
                entra_azure_ad_scim_provisioning_guide: "entra-azure-ad-scim-provisioning-guide.json",
                entra_known_issues_scim_compliance: "entra-known-issues-scim-compliance.json",
                entra_tutorial_user_operations: "entra-tutorial-user-operations.json",
                okta_crud_test: "okta-crud-test.json",
                okta_scim_20_reference: "okta-scim-20-reference.json",
                okta_spec_test: "okta-spec-test.json",
                rfc7644_3_7_bulk: "rfc7644-3.7-bulk.json",
            }
        }
    };
    (@tests $client:expr ;
        scenarios { $($module:ident: [$($scenario:ident),* $(,)?]),* $(,)? }
        fixtures { $($fixture:ident: $file:literal),* $(,)? }
    ) => {
        $(
            mod $module {
                $(
                    #[test]
                    fn $scenario() {
                        $crate::common::scenarios::$module::$scenario($client);
                    }
                )*
            }
        )*
        /// The identity providers' documented flows (`common::fixtures`), one test per file.
        mod fixtures {
            $(
                #[test]
                fn $fixture() {
                    $crate::common::fixtures::run($client, $file);
                }
            )*
        }
    };
    (@scenario_names ;
        scenarios { $($module:ident: [$($scenario:ident),* $(,)?]),* $(,)? }
        fixtures { $($fixture:ident: $file:literal),* $(,)? }
    ) => {
        &[$($(concat!(stringify!($module), "::", stringify!($scenario))),*),*]
    };
    (@fixture_files ;
        scenarios { $($module:ident: [$($scenario:ident),* $(,)?]),* $(,)? }
        fixtures { $($fixture:ident: $file:literal),* $(,)? }
    ) => {
        &[$($file),*]
    };
}
pub(crate) use shared_tests;

/// Every scenario of [`shared_tests!`], as `module::function`, in the order of the list.
pub const SCENARIOS: &[&str] = shared_tests!(@list [scenario_names]);

/// Every fixture file of [`shared_tests!`], in the order of the list.
pub const FIXTURE_FILES: &[&str] = shared_tests!(@list [fixture_files]);
