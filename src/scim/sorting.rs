//! Stable sorting with one copy of the sort in the worker's module (issue 22): the standard
//! library's `sort_by` is compiled anew for every element type and comparison (3 to 4 KB of
//! wasm each); [`sort_by`] sorts the positions `0..n`, always of one type through one
//! comparison signature, and then moves the elements into that order.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, stably (equal elements keep their order), as `slice::sort_by`.
pub fn sort_by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    let order = positions_in_order(items.len(), &|a, b| compare(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// The positions `0..len` ordered by `compare` of the elements at them, stably: the one
/// instance of the standard library's sort (not generic, and kept out of line).
#[inline(never)]
fn positions_in_order(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_the_comparison_and_keeps_equal_elements_in_order() {
        let mut pairs = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e'), (0, 'f')];
        sort_by(&mut pairs, |a, b| a.0.cmp(&b.0));
        assert_eq!(
            pairs,
            [(0, 'f'), (1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]
        );
        sort_by(&mut pairs, |a, b| b.0.cmp(&a.0));
        assert_eq!(
            pairs,
            [(3, 'a'), (3, 'c'), (2, 'd'), (1, 'b'), (1, 'e'), (0, 'f')]
        );
        let mut empty: Vec<String> = Vec::new();
        sort_by(&mut empty, |a, b| a.cmp(b));
        assert!(empty.is_empty());
    }

    proptest::proptest! {
        /// The same order as the standard library's stable sort, element for element.
        #[test]
        fn orders_as_the_standard_sort(items in proptest::collection::vec((0u8..8, proptest::prelude::any::<u16>()), 0..200)) {
            let mut expected = items.clone();
            expected.sort_by_key(|a| a.0);
            let mut got = items;
            sort_by(&mut got, |a, b| a.0.cmp(&b.0));
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
