//! ServiceExport → standalone target groups, as the Go controller builds
//! them (`model_build_targetgroup.go`): one per `spec.exportedPorts` entry
//! (its port, the route type's protocol), or, without any, the legacy one
//! on port 80 (HTTP/HTTP1 unless a TargetGroupPolicy says otherwise) with
//! the endpoints of the `application-networking.k8s.aws/port` annotation's
//! port, or of every port. A TargetGroupPolicy that targets the
//! ServiceExport sets the protocol, version and health check. Targets are
//! the Service's ready endpoints in this cluster.

use kube::{Resource, ResourceExt};
use lattice_plugin_sdk::types::RouteKind;

use super::backends::{Target, endpoint_targets};
use super::naming::export_target_group_name;
use super::{age, tags, target_group_policy as tgp};
use crate::config::ClusterConfig;
use crate::crds::{RouteType, ServiceExport, TargetGroupPolicy};
use crate::kinds::POLICY_GROUP;
use crate::kinds::ServicePorts;
use crate::plan::{ExportPlan, PlanDiagnostic, TargetGroupPlan, TargetPlan};
use crate::snapshot::{Key, Snapshot};

/// The annotation naming the exported Service when it is not the
/// export's namesake.
pub const SERVICE_NAME: &str = "application-networking.k8s.aws/service-name";
/// The legacy export's port annotation.
pub const PORT: &str = "application-networking.k8s.aws/port";

/// How plan diagnostics name an export.
pub fn object(key: &Key) -> String {
    format!("ServiceExport {}/{}", key.0, key.1)
}

/// The name of the Service an export exports.
pub fn exported_service(e: &ServiceExport) -> String {
    e.annotations()
        .get(SERVICE_NAME)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map_or_else(|| e.name_any(), str::to_string)
}

/// The target groups of the export `key`, and what is wrong with it.
pub fn declared(
    snapshot: &Snapshot,
    cfg: &ClusterConfig,
    key: &Key,
) -> (Vec<TargetGroupPlan>, Vec<PlanDiagnostic>) {
    let Some(export) = snapshot.service_exports.get(key) else {
        return (vec![], vec![]);
    };
    let b = Builder::new(snapshot, cfg, key, export);
    b.groups()
}

/// Every export's groups and diagnostics (the offline `plan`).
pub fn all_declared(
    snapshot: &Snapshot,
    cfg: &ClusterConfig,
) -> (Vec<TargetGroupPlan>, Vec<PlanDiagnostic>) {
    let (mut groups, mut diagnostics) = (vec![], vec![]);
    for key in snapshot.service_exports.keys() {
        let (g, d) = declared(snapshot, cfg, key);
        groups.extend(g);
        diagnostics.extend(d);
    }
    (groups, diagnostics)
}

/// The policy that decides an export's groups: the oldest valid
/// TargetGroupPolicy whose `targetRef` is the ServiceExport.
pub fn policy_for<'a>(snapshot: &'a Snapshot, key: &Key) -> Option<&'a TargetGroupPolicy> {
    snapshot
        .target_group_policies
        .iter()
        .filter(|(k, p)| targets_export(p, k) == Some(key.clone()))
        .filter(|(_, p)| tgp::invalid(p).is_none())
        .min_by_key(|(k, p)| age(Some(p.meta()), *k))
        .map(|(_, p)| p)
}

/// The export a policy in namespace `key.0` targets, if it targets one.
pub fn targets_export(p: &TargetGroupPolicy, key: &Key) -> Option<Key> {
    let t = &p.spec.target_ref;
    let same_namespace = t.namespace.as_ref().is_none_or(|ns| ns == &key.0);
    (t.group == POLICY_GROUP && t.kind == "ServiceExport" && same_namespace)
        .then(|| (key.0.clone(), t.name.clone()))
}

struct Builder<'a> {
    snapshot: &'a Snapshot,
    cfg: &'a ClusterConfig,
    key: &'a Key,
    export: &'a ServiceExport,
    service: Key,
    policy: Option<&'a TargetGroupPolicy>,
    diagnostics: Vec<PlanDiagnostic>,
}

impl<'a> Builder<'a> {
    fn new(
        snapshot: &'a Snapshot,
        cfg: &'a ClusterConfig,
        key: &'a Key,
        export: &'a ServiceExport,
    ) -> Self {
        Builder {
            snapshot,
            cfg,
            key,
            export,
            service: (key.0.clone(), exported_service(export)),
            policy: policy_for(snapshot, key),
            diagnostics: vec![],
        }
    }

    fn groups(mut self) -> (Vec<TargetGroupPlan>, Vec<PlanDiagnostic>) {
        let Some(ports) = self.snapshot.services.get(&self.service) else {
            let message = format!(
                "Service {}/{} does not exist; nothing is exported",
                self.service.0, self.service.1
            );
            self.diag("ServiceNotFound", "metadata.name", message);
            return (vec![], self.diagnostics);
        };
        let mut groups = match &self.export.spec.exported_ports {
            Some(exported) if !exported.is_empty() => self.exported_ports(ports, exported),
            _ => self.legacy(ports).into_iter().collect(),
        };
        let parsed = tags::from_annotations(
            self.export
                .annotations()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        if let Some(why) = parsed.problems() {
            let field = format!("metadata.annotations[{:?}]", tags::TAGS);
            self.diag_as("PartiallyInvalid", "UnsupportedValue", &field, why);
        }
        for g in &mut groups {
            g.tags = parsed.tags.clone();
        }
        (groups, self.diagnostics)
    }

    /// One group per `spec.exportedPorts` entry whose port the Service has.
    fn exported_ports(
        &mut self,
        svc: &ServicePorts,
        exported: &[crate::crds::ExportedPort],
    ) -> Vec<TargetGroupPlan> {
        let mut out = vec![];
        for (i, e) in exported.iter().enumerate() {
            let Some(p) = svc.ports.iter().find(|p| p.port == e.port) else {
                let message = format!(
                    "Service {}/{} has no port {}",
                    self.service.0, self.service.1, e.port
                );
                let field = format!("spec.exportedPorts[{i}].port");
                self.diag("PortNotFound", &field, message);
                continue;
            };
            let kind = match e.route_type {
                RouteType::Http => RouteKind::Http,
                RouteType::Grpc => RouteKind::Grpc,
                RouteType::Tls => RouteKind::Tls,
            };
            let name = p.name.as_deref().unwrap_or("");
            let targets =
                endpoint_targets(self.snapshot, &self.service, |n| n.unwrap_or("") == name);
            out.push(self.group(e.port, kind, targets));
        }
        out
    }

    /// The legacy group: port 80, HTTP unless the policy says otherwise,
    /// with the annotated port's endpoints or every port's.
    fn legacy(&mut self, svc: &ServicePorts) -> Option<TargetGroupPlan> {
        let annotated = self.export.annotations().get(PORT).map(|v| v.trim());
        let targets = match annotated {
            None => endpoint_targets(self.snapshot, &self.service, |_| true),
            Some(v) => {
                let Some(p) = v
                    .parse::<i32>()
                    .ok()
                    .and_then(|n| svc.ports.iter().find(|p| p.port == n))
                else {
                    let message = format!(
                        "{v:?} is not a port of Service {}/{}",
                        self.service.0, self.service.1
                    );
                    let field = format!("metadata.annotations[{PORT:?}]");
                    self.diag("PortNotFound", &field, message);
                    return None;
                };
                let name = p.name.as_deref().unwrap_or("");
                endpoint_targets(self.snapshot, &self.service, |n| n.unwrap_or("") == name)
            }
        };
        Some(self.group(80, RouteKind::Http, targets))
    }

    fn group(&self, port: i32, kind: RouteKind, targets: Vec<Target>) -> TargetGroupPlan {
        let (protocol, version) = match (kind, self.policy) {
            // The policy's protocol wins for every route type, as in Go.
            (RouteKind::Tls, None) => ("TCP".to_string(), None),
            (_, Some(p)) if p.spec.protocol.as_deref() == Some("TCP") => ("TCP".into(), None),
            _ => tgp::protocol(kind, self.policy),
        };
        TargetGroupPlan {
            name: export_target_group_name(
                &self.key.1,
                &self.key.0,
                port,
                &protocol,
                version.as_deref(),
                &self.cfg.cluster_name,
            ),
            backend: format!("{}/{}:{port}", self.service.0, self.service.1),
            port,
            protocol,
            protocol_version: version,
            targets: targets
                .into_iter()
                .map(|t| TargetPlan {
                    ip: t.ip,
                    port: t.port,
                })
                .collect(),
            routes: vec![],
            health_check: tgp::health_check(self.policy).map(Box::new),
            tags: Default::default(),
            export: Some(Box::new(ExportPlan {
                namespace: self.key.0.clone(),
                name: self.key.1.clone(),
            })),
            import: None,
            lambda: None,
        }
    }

    /// A reason the export is not valid (`Valid=False`).
    fn diag(&mut self, reason: &str, field: &str, message: String) {
        self.diag_as("Valid", reason, field, message)
    }

    fn diag_as(&mut self, condition: &str, reason: &str, field: &str, message: String) {
        self.diagnostics.push(PlanDiagnostic {
            object: object(self.key),
            condition: condition.into(),
            reason: reason.into(),
            message,
            field: field.into(),
            plugin: None,
        });
    }
}
