//! Which watch events change what planning reads.

use std::hash::{Hash, Hasher};

use serde_json::Value;

use super::OUTPUT_ANNOTATIONS;

/// A hash of an object without what planning never reads: `status`, and the
/// metadata that writes of status, finalizers or output annotations change.
/// Our own writes then come back through the watch without re-planning. It
/// hashes in place: every watch event goes through here.
pub(super) fn fingerprint(obj: &Value) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_value(obj, &mut h, Level::Root);
    h.finish()
}

/// A hash of what decides which Gateway listeners a route attaches to:
/// its `parentRefs` and `hostnames` (its kind and namespace are in its key).
/// A route edit that keeps it leaves its Gateways' status as it was.
pub(super) fn attachment(route: &Value) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_value(&route["spec"]["parentRefs"], &mut h, Level::Inner);
    hash_value(&route["spec"]["hostnames"], &mut h, Level::Inner);
    h.finish()
}

/// Where in the object a value sits, for what [`fingerprint`] leaves out.
#[derive(Clone, Copy)]
enum Level {
    Root,
    Metadata,
    Annotations,
    Inner,
}

fn hash_value(v: &Value, h: &mut impl Hasher, level: Level) {
    match v {
        Value::Object(m) => {
            h.write_u8(b'{');
            for (k, x) in m {
                let next = match (level, k.as_str()) {
                    (Level::Root, "status") => continue,
                    (Level::Root, "metadata") => Level::Metadata,
                    (
                        Level::Metadata,
                        "resourceVersion" | "managedFields" | "finalizers" | "generation",
                    ) => continue,
                    // Only output annotations is as good as none.
                    (Level::Metadata, "annotations")
                        if x.as_object().is_some_and(|a| {
                            a.keys().all(|k| OUTPUT_ANNOTATIONS.contains(&k.as_str()))
                        }) =>
                    {
                        continue;
                    }
                    (Level::Metadata, "annotations") => Level::Annotations,
                    (Level::Annotations, k) if OUTPUT_ANNOTATIONS.contains(&k) => continue,
                    _ => Level::Inner,
                };
                k.hash(h);
                hash_value(x, h, next);
            }
            h.write_u8(b'}');
        }
        Value::Array(items) => {
            h.write_u8(b'[');
            h.write_usize(items.len());
            for x in items {
                hash_value(x, h, Level::Inner);
            }
        }
        Value::String(s) => {
            h.write_u8(b's');
            s.hash(h);
        }
        Value::Number(n) => {
            h.write_u8(b'n');
            match n.as_i64() {
                Some(i) => i.hash(h),
                None => n.as_f64().unwrap_or_default().to_bits().hash(h),
            }
        }
        Value::Bool(b) => b.hash(h),
        Value::Null => h.write_u8(0),
    }
}
