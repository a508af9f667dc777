//! A route as the snapshot keeps it: the JSON text it came in as,
//! LZ4-compressed in two parts (its metadata and the rest), decoded again
//! when planning or the status writer reads it.
//!
//! A decoded HTTPRoute keeps every optional field of the generated types
//! inline: at 10,000 routes of three rules each, the typed routes were 42 MB
//! of the controller's heap, and their text is a third of that. Each route
//! is read a few times a pass (planned, its dependencies, its status), and a
//! decode of it costs microseconds; decompressing it, a fraction of that.
//! The typed metadata alone, with its annotations' B-tree, was 1.2 KB a
//! route.
//!
//! A route is too short for LZ4 to find much to repeat within it, so it is
//! compressed against [`WORDS`]: the keys and values every route, its
//! metadata and its status spell out. A 1.5 KB HTTPRoute with its status
//! packs into about 220 bytes (630 without the words).

use std::fmt;
use std::marker::PhantomData;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What routes spell out, as LZ4's dictionary: a match may point into it.
/// Any text packs and unpacks against it; it only changes how well.
const WORDS: &[u8] = include_bytes!("packed_words.jsonl");

/// An object of kind `T`, packed. Its text decoded as a `T` when it was
/// packed, so it decodes again.
pub struct Packed<T> {
    /// Its `metadata`, packed as [`pack`] does.
    meta: Box<[u8]>,
    /// The object without its metadata (`"metadata":{}`), packed.
    rest: Box<[u8]>,
    kind: PhantomData<fn() -> T>,
}

impl<T: kube::Resource + DeserializeOwned> Packed<T> {
    /// Packs `object` if it is a `T`; if not, says why as decoding it from
    /// `object` says (without the position in text the user never wrote).
    pub fn new(mut object: Value) -> Result<Self, serde_json::Error> {
        let meta = match object.as_object_mut() {
            Some(o) => o.insert("metadata".into(), Value::Object(Default::default())),
            None => None,
        };
        let meta = meta.unwrap_or_else(|| Value::Object(Default::default()));
        let rest = match text_of::<T>(&object) {
            Ok(text) => text,
            Err(e) => {
                if let Some(o) = object.as_object_mut() {
                    o.insert("metadata".into(), meta);
                }
                return Err(serde_json::from_value::<T>(object).err().unwrap_or(e));
            }
        };
        let meta_text = match text_of::<ObjectMeta>(&meta) {
            Ok(text) => text,
            Err(e) => {
                return Err(serde_json::from_value::<ObjectMeta>(meta)
                    .err()
                    .unwrap_or(e));
            }
        };
        Ok(Packed {
            meta: pack(&meta_text),
            rest: pack(&rest),
            kind: PhantomData,
        })
    }

    /// Its metadata, decoded.
    pub fn meta(&self) -> ObjectMeta {
        // As in `object`: this text decoded as metadata in `new`.
        serde_json::from_slice(&unpack(&self.meta)).expect("packed metadata decoded when packed")
    }

    /// The typed object.
    pub fn object(&self) -> T {
        // The text is what decoded as a `T` in `new`, and decoding is a
        // function of the text: this cannot fail.
        let mut object: T = serde_json::from_slice(&unpack(&self.rest))
            .expect("a packed object decoded when it was packed");
        *object.meta_mut() = self.meta();
        object
    }

    /// The object as JSON.
    pub fn json(&self) -> Value {
        let mut v: Value = serde_json::from_slice(&unpack(&self.rest)).unwrap_or(Value::Null);
        if let (Some(o), Ok(meta)) = (
            v.as_object_mut(),
            serde_json::from_slice(&unpack(&self.meta)),
        ) {
            o.insert("metadata".into(), meta);
        }
        v
    }
}

/// `value` as JSON text, if that text decodes as a `U`: what is packed is
/// what decoded, so unpacking it decodes again.
fn text_of<U: DeserializeOwned>(value: &Value) -> Result<String, serde_json::Error> {
    let text = serde_json::to_string(value)?;
    serde_json::from_str::<U>(&text)?;
    Ok(text)
}

/// `text` compressed against [`WORDS`], its length first.
fn pack(text: &str) -> Box<[u8]> {
    lz4_flex::block::compress_prepend_size_with_dict(text.as_bytes(), WORDS).into_boxed_slice()
}

/// The text `packed` was packed from.
fn unpack(packed: &[u8]) -> Vec<u8> {
    // Only `pack`'s output is ever unpacked, and it is kept whole.
    lz4_flex::block::decompress_size_prepended_with_dict(packed, WORDS)
        .expect("a packed text decompresses")
}

impl<T> Clone for Packed<T> {
    fn clone(&self) -> Self {
        Packed {
            meta: self.meta.clone(),
            rest: self.rest.clone(),
            kind: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Packed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packed")
            .field("meta", &String::from_utf8_lossy(&unpack(&self.meta)))
            .field("rest", &String::from_utf8_lossy(&unpack(&self.rest)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use gateway_api::httproutes::HttpRoute;
    use serde_json::json;

    use super::Packed;

    fn route() -> serde_json::Value {
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":"r","namespace":"app","generation":3,
                "annotations":{"a":"b"}},
            "spec":{"parentRefs":[{"name":"mesh"}],
                "rules":[{"backendRefs":[{"name":"web","port":80,"weight":7}]}]},
            "status":{"parents":[]}})
    }

    #[test]
    fn a_packed_route_unpacks_to_the_object_it_was_and_its_json() {
        let packed = Packed::<HttpRoute>::new(route()).unwrap();
        let typed: HttpRoute = serde_json::from_value(route()).unwrap();
        assert_eq!(packed.meta(), typed.metadata);
        assert_eq!(
            serde_json::to_value(packed.object()).unwrap(),
            serde_json::to_value(&typed).unwrap()
        );
        assert_eq!(packed.json(), serde_json::to_value(&typed).unwrap());
    }

    #[test]
    fn a_programmed_route_takes_a_fraction_of_its_text() {
        let condition = |kind: &str| {
            json!({"lastTransitionTime":"2026-12-05T23:26:41Z","message":"","observedGeneration":3,
                "reason":kind,"status":"True","type":kind})
        };
        let mut route = route();
        route["metadata"]["uid"] = json!("5b0a2d54-8f3e-4c1a-9d7e-2f6b1c0e9a31");
        route["metadata"]["finalizers"] = json!(["application-networking.k8s.aws/resources"]);
        let conditions = ["Accepted", "ResolvedRefs", "Programmed"].map(condition);
        route["status"]["parents"] = json!([{
            "conditions": conditions,
            "controllerName": crate::config::CONTROLLER_NAME,
            "parentRef": {"group":"gateway.networking.k8s.io","kind":"Gateway","name":"mesh","namespace":"app"}}]);
        let text = serde_json::to_string(&route).unwrap();
        let packed = Packed::<HttpRoute>::new(route).unwrap();
        let size = packed.meta.len() + packed.rest.len();
        assert!(
            size * 3 < text.len(),
            "{size} bytes packed of {}",
            text.len()
        );
    }

    #[test]
    fn a_route_that_is_not_one_is_refused_as_decoding_it_says_without_a_text_position() {
        let mut bad = route();
        bad["spec"]["rules"][0]["backendRefs"][0]["port"] = json!("eighty");
        let err = Packed::<HttpRoute>::new(bad).unwrap_err().to_string();
        assert!(err.contains("invalid type"), "{err}");
        assert!(!err.contains("line"), "{err}");
        let mut bad_meta = route();
        bad_meta["metadata"]["generation"] = json!("three");
        assert!(Packed::<HttpRoute>::new(bad_meta).is_err());
    }
}
