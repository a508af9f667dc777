//! `maxResults` / `nextToken` pagination over lists ordered by creation.
//!
//! A token names the creation sequence number of the last item returned, so a page is
//! stable even when items before it are deleted between calls.

use crate::errors::ApiError;
use crate::router::Request;

/// The default page size when `maxResults` is absent.
pub const DEFAULT_PAGE: usize = 100;

const TOKEN_PREFIX: &str = "lsim1.";

/// One page of `items` (each with its creation sequence number), and the token of the next.
///
/// Pass cheap items (references) and render only the page that comes back: a
/// list of N resources read in pages of 100 then costs O(N) rather than O(N²/100).
pub fn page<T>(
    req: &Request,
    mut items: Vec<(u64, T)>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max = match req.query_one("maxResults") {
        None => DEFAULT_PAGE,
        Some(s) => {
            let n: i64 = s
                .parse()
                .map_err(|_| ApiError::field("maxResults", "must be an integer"))?;
            crate::validate::range("maxResults", n, 1, 100)?;
            n as usize
        }
    };
    let after = match req.query_one("nextToken") {
        None => None,
        Some(t) => Some(
            decode(t).ok_or_else(|| ApiError::field("nextToken", "invalid pagination token"))?,
        ),
    };
    items.retain(|(seq, _)| after.is_none_or(|a| *seq > a));
    items.sort_unstable_by_key(|(seq, _)| *seq);
    let mut rest = items;
    let next = if rest.len() > max {
        Some(encode(rest[max - 1].0))
    } else {
        None
    };
    rest.truncate(max);
    Ok((rest.into_iter().map(|(_, t)| t).collect(), next))
}

fn encode(seq: u64) -> String {
    format!("{TOKEN_PREFIX}{seq:016x}")
}

fn decode(token: &str) -> Option<u64> {
    u64::from_str_radix(token.strip_prefix(TOKEN_PREFIX)?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(q: &[(&str, &str)]) -> Request {
        Request::for_test(q)
    }

    #[test]
    fn pages_follow_each_other_without_gaps() {
        let items: Vec<(u64, u64)> = (1..=5).map(|i| (i, i)).collect();
        let (p1, t1) = page(&req(&[("maxResults", "2")]), items.clone()).expect("page 1");
        assert_eq!(p1, vec![1, 2]);
        let t1 = t1.expect("token");
        let (p2, t2) = page(
            &req(&[("maxResults", "2"), ("nextToken", &t1)]),
            items.clone(),
        )
        .expect("page 2");
        assert_eq!(p2, vec![3, 4]);
        let t2 = t2.expect("token");
        let (p3, t3) =
            page(&req(&[("maxResults", "2"), ("nextToken", &t2)]), items).expect("page 3");
        assert_eq!((p3, t3), (vec![5], None));
    }

    #[test]
    fn out_of_range_max_results_is_rejected() {
        assert!(page(&req(&[("maxResults", "0")]), Vec::<(u64, u8)>::new()).is_err());
        assert!(page(&req(&[("maxResults", "101")]), Vec::<(u64, u8)>::new()).is_err());
        assert!(page(&req(&[("nextToken", "garbage")]), Vec::<(u64, u8)>::new()).is_err());
    }
}
