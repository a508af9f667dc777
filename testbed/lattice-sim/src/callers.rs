//! Who called: the access key of each SigV4-signed call, and when its
//! writes came. Two controller replicas given two keys show whether they
//! ever wrote at the same time.

use std::collections::BTreeMap;
use std::time::Instant;

/// One caller's calls.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    /// Read calls (`Get…`, `List…`).
    pub reads: u64,
    /// Every other call, answered or not.
    pub writes: u64,
    /// When its first write arrived.
    pub first_write: Option<Instant>,
    /// When its last write arrived.
    pub last_write: Option<Instant>,
}

/// Callers by access key id (`unsigned` for a call without a SigV4
/// `Authorization` header).
#[derive(Debug, Default)]
pub(crate) struct Callers(BTreeMap<String, Caller>);

impl Callers {
    /// Counts one call of `operation` with this `Authorization` header.
    pub fn record(&mut self, authorization: Option<&str>, operation: &str, at: Instant) {
        let key = authorization.and_then(access_key).unwrap_or("unsigned");
        let c = self.0.entry(key.to_string()).or_insert(Caller {
            reads: 0,
            writes: 0,
            first_write: None,
            last_write: None,
        });
        if crate::is_read_operation(operation) {
            c.reads += 1;
        } else {
            c.writes += 1;
            c.first_write.get_or_insert(at);
            c.last_write = Some(at);
        }
    }

    /// Every caller so far.
    pub fn snapshot(&self) -> BTreeMap<String, Caller> {
        self.0.clone()
    }
}

/// The access key id of `AWS4-HMAC-SHA256 Credential=AKID/date/region/…`.
fn access_key(authorization: &str) -> Option<&str> {
    let credential = authorization.split("Credential=").nth(1)?;
    credential.split('/').next().filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_key_names_the_caller_and_writes_are_timed() {
        let auth = "AWS4-HMAC-SHA256 Credential=replica-a/20261205/us-west-2/vpc-lattice/aws4_request, SignedHeaders=host, Signature=00";
        assert_eq!(access_key(auth), Some("replica-a"));
        let mut c = Callers::default();
        let t0 = Instant::now();
        c.record(Some(auth), "ListServices", t0);
        c.record(Some(auth), "CreateService", t0);
        c.record(None, "CreateService", t0);
        let s = c.snapshot();
        assert_eq!((s["replica-a"].reads, s["replica-a"].writes), (1, 1));
        assert_eq!(s["replica-a"].first_write, Some(t0));
        assert_eq!(s["unsigned"].writes, 1);
    }
}
