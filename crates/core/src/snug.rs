//! Vectors without spare room, for what the index keeps of 50,000 objects.
//!
//! Two habits of `Vec` cost memory there: a first push reserves four slots
//! (most Services have one EndpointSlice and one route), and collecting a
//! mapped `into_iter()` reuses the source's buffer, so the few bytes the
//! index keeps of an EndpointSlice's endpoints sat in the buffer of the
//! decoded endpoints, ten times their size.

/// Up to this length a vector grows one slot at a time; past it, as usual
/// (so a Gateway's thousands of routes are not copied at every insert).
const SNUG_UP_TO: usize = 8;

/// Inserts `value` at `at` in `v`, growing a short vector by one slot only.
pub(crate) fn insert<T>(v: &mut Vec<T>, at: usize, value: T) {
    if v.len() == v.capacity() && v.len() < SNUG_UP_TO {
        v.reserve_exact(1);
    }
    v.insert(at, value);
}

/// Pushes `value` onto `v`, growing a short vector by one slot only.
pub(crate) fn push<T>(v: &mut Vec<T>, value: T) {
    let at = v.len();
    insert(v, at, value);
}

/// Collects `items` into a vector that holds no spare room.
pub(crate) fn collect<T>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.shrink_to_fit();
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_short_vector_grows_one_slot_at_a_time_and_a_long_one_as_usual() {
        let mut v = Vec::new();
        super::push(&mut v, 1);
        assert_eq!(v.capacity(), 1);
        super::insert(&mut v, 0, 0);
        assert_eq!((v.as_slice(), v.capacity()), (&[0, 1][..], 2));
        for i in 2..20 {
            super::push(&mut v, i);
        }
        assert_eq!(v, (0..20).collect::<Vec<_>>());
        assert!(v.capacity() >= 20);
    }

    #[test]
    fn a_collected_vector_does_not_keep_its_sources_buffer() {
        let wide: Vec<[u64; 8]> = vec![[7; 8]; 2];
        let narrow = super::collect(wide.into_iter().map(|w| w[0]));
        assert_eq!((narrow.as_slice(), narrow.capacity()), (&[7, 7][..], 2));
    }
}
