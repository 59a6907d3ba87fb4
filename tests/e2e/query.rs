use crate::common::scenarios::query as s;
use crate::http_client::worker;

#[test]
fn every_operator_family_filters() {
    s::every_operator_family_filters(worker());
}

#[test]
fn invalid_filters_are_400_invalid_filter_with_position() {
    s::invalid_filters_are_400_invalid_filter_with_position(worker());
}

#[test]
fn sorting_orders_by_any_singular_attribute_then_id() {
    s::sorting_orders_by_any_singular_attribute_then_id(worker());
}

#[test]
fn projection_applies_to_every_answer_that_returns_users() {
    s::projection_applies_to_every_answer_that_returns_users(worker());
}

#[test]
fn search_means_what_get_means() {
    s::search_means_what_get_means(worker());
}

#[test]
fn index_paging_is_exact_at_every_offset() {
    s::index_paging_is_exact_at_every_offset(worker());
}

#[test]
fn cursor_paging_walks_forward_and_back() {
    s::cursor_paging_walks_forward_and_back(worker());
}

#[test]
fn service_provider_config_advertises_sort_and_pagination() {
    s::service_provider_config_advertises_sort_and_pagination(worker());
}
