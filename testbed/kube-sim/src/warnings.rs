//! `Warning` response headers (`299 - "unknown field \"spec.x\""`), which kubectl prints
//! as `Warning: ...`. A request is answered on one thread from start to end, so what
//! its handling warns about is gathered per thread and taken when the answer is built.

use std::cell::RefCell;

thread_local! {
    static PENDING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Adds a warning to the answer of the request being handled.
pub fn warn(text: impl Into<String>) {
    PENDING.with(|p| p.borrow_mut().push(text.into()));
}

/// Takes the warnings gathered so far on this thread.
pub fn take() -> Vec<String> {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// The `Warning` header value for one warning (RFC 7234 warn-code 299).
pub fn header_value(text: &str) -> String {
    format!("299 - {text:?}")
}
