//! A route as the snapshot keeps it: its metadata typed, the rest as the
//! JSON text it came in as, decoded again when planning or the status
//! writer reads it.
//!
//! A decoded HTTPRoute keeps every optional field of the generated types
//! inline: at 10,000 routes of three rules each, the typed routes were 42 MB
//! of the controller's heap, and their text is a third of that. Each route
//! is read a few times a pass (planned, its dependencies, its status), and a
//! decode of it costs microseconds.

use std::fmt;
use std::marker::PhantomData;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// An object of kind `T`, packed. Its text decoded as a `T` when it was
/// packed, so it decodes again.
pub struct Packed<T> {
    /// Boxed, so that a B-tree leaf of packed routes stays small.
    meta: Box<ObjectMeta>,
    /// The object without its metadata (`"metadata":{}`).
    rest: Box<str>,
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
        let rest = serde_json::to_string(&object)?;
        if let Err(e) = serde_json::from_str::<T>(&rest) {
            if let (Some(meta), Some(o)) = (meta, object.as_object_mut()) {
                o.insert("metadata".into(), meta);
            }
            return Err(serde_json::from_value::<T>(object).err().unwrap_or(e));
        }
        let meta: ObjectMeta = match meta {
            Some(m) => serde_json::from_value(m)?,
            None => ObjectMeta::default(),
        };
        Ok(Packed {
            meta: Box::new(meta),
            rest: rest.into_boxed_str(),
            kind: PhantomData,
        })
    }

    /// Its metadata.
    pub fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    /// The typed object.
    pub fn object(&self) -> T {
        // The text is what decoded as a `T` in `new`, and decoding is a
        // function of the text: this cannot fail.
        let mut object: T =
            serde_json::from_str(&self.rest).expect("a packed object decoded when it was packed");
        *object.meta_mut() = (*self.meta).clone();
        object
    }

    /// The object as JSON.
    pub fn json(&self) -> Value {
        let mut v: Value = serde_json::from_str(&self.rest).unwrap_or(Value::Null);
        if let (Some(o), Ok(meta)) = (v.as_object_mut(), serde_json::to_value(&*self.meta)) {
            o.insert("metadata".into(), meta);
        }
        v
    }
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
            .field("meta", &self.meta)
            .field("rest", &self.rest)
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
        assert_eq!(packed.meta(), &typed.metadata);
        assert_eq!(
            serde_json::to_value(packed.object()).unwrap(),
            serde_json::to_value(&typed).unwrap()
        );
        assert_eq!(packed.json(), serde_json::to_value(&typed).unwrap());
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
