//! ServiceNetwork: cluster-scoped, so its key is `("", name)`. A change
//! re-plans the network it declares and re-judges its status; Gateways are
//! untouched (a Gateway of the same name plans the same network anyway).

use serde_json::Value;

use super::{Identity, Kind, POLICY_GROUP, Scope, decode, with_spec};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The ServiceNetwork kind's identity.
pub const ID: Identity = Identity {
    group: POLICY_GROUP,
    version: "v1alpha1",
    kind: "ServiceNetwork",
    plural: "servicenetworks",
    scope: Scope::Cluster,
};

/// `application-networking.k8s.aws/v1alpha1` ServiceNetwork, decoded as
/// [`crate::crds::ServiceNetwork`].
pub struct ServiceNetworkKind;

impl Kind for ServiceNetworkKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        let (_, name) = ID.key_of(&object);
        let network = decode(&ID, with_spec(object))?;
        snapshot.service_networks.insert(name, network);
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.service_networks.remove(&key.1);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        let names = snapshot.service_networks.keys();
        names.map(|n| ID.key(None, n)).collect()
    }

    fn dirties(&self, _: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        let mut d = Dirty::default();
        d.service_networks.insert(key.1.clone());
        d
    }
}
