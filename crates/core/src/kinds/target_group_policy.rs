//! TargetGroupPolicy: the protocol, version and health check of a
//! Service's target groups, or a ServiceExport's. A change re-plans the
//! routes that use the Service (or the export); the index asks before and
//! after, so a retargeted policy re-plans what both targets feed. The
//! policy's own status is judged on every pass, so it is marked for one.

use serde_json::Value;

use super::{CORE_GROUP, Identity, Kind, POLICY_GROUP, Scope, insert_keyed};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The TargetGroupPolicy kind's identity.
pub const ID: Identity = Identity {
    group: POLICY_GROUP,
    version: "v1alpha1",
    kind: "TargetGroupPolicy",
    plural: "targetgrouppolicies",
    scope: Scope::Namespaced,
};

/// `application-networking.k8s.aws/v1alpha1` TargetGroupPolicy, decoded as
/// [`crate::crds::TargetGroupPolicy`].
pub struct TargetGroupPolicyKind;

impl Kind for TargetGroupPolicyKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.target_group_policies, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.target_group_policies.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.target_group_policies.keys().cloned().collect()
    }

    /// The routes of the targeted Service, and the policy's status.
    fn dirties(&self, snapshot: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        let mut d = Dirty::default();
        d.policies.insert((ID.kind.to_string(), key.clone()));
        let Some(policy) = snapshot.target_group_policies.get(key) else {
            return d;
        };
        if let Some(service) = targeted_service(&policy.spec.target_ref, key) {
            d.routes = graph.routes_of_service(&service);
        }
        // Or it configures a ServiceExport's groups.
        d.service_exports
            .extend(crate::model::service_export::targets_export(policy, key));
        d
    }
}

/// The Service a policy in namespace `key.0` targets, if it targets one:
/// policies attach within their own namespace.
pub fn targeted_service(t: &crate::crds::PolicyTargetReference, key: &Key) -> Option<Key> {
    let core = t.group == CORE_GROUP || t.group == "core";
    let same_namespace = t.namespace.as_ref().is_none_or(|ns| ns == &key.0);
    (core && t.kind == "Service" && same_namespace).then(|| (key.0.clone(), t.name.clone()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, mk_service, route_names};
    use crate::index::Index;

    fn mk_policy(service: &str) -> serde_json::Value {
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"TargetGroupPolicy",
            "metadata":{"name":"tgp","namespace":"app"},
            "spec":{"targetRef":{"group":"","kind":"Service","name":service},"protocol":"HTTPS"}})
    }

    #[test]
    fn a_retargeted_policy_dirties_the_routes_of_its_old_and_new_service_and_itself() {
        let mut ix = Index::default();
        ix.apply(mk_service("app", "web")).unwrap();
        ix.apply(mk_service("app", "api")).unwrap();
        ix.apply(mk_route(
            "HTTPRoute",
            "a",
            "mesh",
            json!([{"name":"web","port":80}]),
        ))
        .unwrap();
        ix.apply(mk_route(
            "HTTPRoute",
            "b",
            "mesh",
            json!([{"name":"api","port":80}]),
        ))
        .unwrap();
        ix.apply(mk_policy("web")).unwrap();
        let d = ix.apply(mk_policy("api")).unwrap();
        assert_eq!(route_names(&d), vec!["a", "b"]);
        assert_eq!(d.policies.len(), 1);
    }
}
