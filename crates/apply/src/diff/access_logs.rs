//! Access log subscriptions of the planned services and service networks:
//! one per destination type, as the plan names them. A subscription of the
//! wanted type but another destination is updated when it is ours (Lattice
//! cannot change its type, and a second of one type is refused); ours that
//! no plan wants are deleted; others' are left alone.

use super::{Builder, of_service, unrouted};
use crate::model::{ObsAccessLog, Owner};
use crate::ops::{Key, OpKind};
use lattice_core::model::access_log_policy::destination_type;
use lattice_core::plan::{AccessLogPlan, Plan, ResourceKind, ResourceRef};

/// What one resource's subscriptions are diffed for.
struct Target<'p> {
    key: Key,
    id: Option<String>,
    want: &'p [AccessLogPlan],
    resource: ResourceRef,
}

impl Builder<'_> {
    /// The subscriptions of every planned service and (unless the pass is
    /// scoped) service network that is ours.
    pub(super) fn access_logs(&mut self, plan: &Plan) {
        let mut targets = Vec::new();
        if !self.opts.scoped {
            for n in &plan.service_networks {
                let o = self
                    .observed
                    .service_networks
                    .iter()
                    .find(|o| o.name == n.name);
                targets.push(Target {
                    key: Key::ServiceNetwork(n.name.clone()),
                    id: o.filter(|o| o.owner == Owner::Ours).map(|o| o.id.clone()),
                    want: &n.access_logs,
                    resource: unrouted(ResourceKind::AccessLogSubscription, &n.name),
                });
            }
        }
        for s in &plan.services {
            let o = self.ix.services.get(s.name.as_str());
            targets.push(Target {
                key: Key::Service(s.name.clone()),
                id: o.filter(|o| o.owner == Owner::Ours).map(|o| o.id.clone()),
                want: &s.access_logs,
                resource: of_service(ResourceKind::AccessLogSubscription, s),
            });
        }
        for t in targets {
            self.access_logs_of(t);
        }
    }

    /// Creates, updates and deletes for one resource. A resource neither
    /// ours nor created in this pass gets none.
    fn access_logs_of(&mut self, t: Target<'_>) {
        let deps = self.dep(&t.key);
        if t.id.is_none() && deps.is_empty() {
            return;
        }
        let observed: Vec<&ObsAccessLog> = match &t.id {
            Some(id) => self
                .observed
                .access_logs
                .iter()
                .filter(|a| &a.resource_id == id)
                .collect(),
            None => vec![],
        };
        let object = format!("access logs of {}", t.resource.name);
        for w in t.want {
            match want_op(&t.key, &observed, w) {
                Ok(Some(op)) => {
                    self.push(op, deps.clone(), object.clone(), t.resource.clone());
                }
                Ok(None) => {}
                Err(why) => self.diag(object.clone(), t.resource.clone(), "Conflicted", why),
            }
            let kind = destination_type(&w.destination_arn);
            let ours = observed
                .iter()
                .find(|o| o.ours && destination_type(&o.destination_arn) == kind);
            if let Some(o) = ours {
                self.retag(
                    &o.arn,
                    o.tags.as_ref(),
                    &w.tags,
                    &deps,
                    &object,
                    &t.resource,
                );
            }
        }
        let unwanted = |o: &ObsAccessLog| {
            let kind = destination_type(&o.destination_arn);
            !t.want
                .iter()
                .any(|w| destination_type(&w.destination_arn) == kind)
        };
        for o in observed.iter().filter(|o| o.ours && unwanted(o)) {
            let op = OpKind::DeleteAccessLogSubscription { id: o.id.clone() };
            self.push(op, vec![], object.clone(), t.resource.clone());
        }
    }
}

/// What one wanted destination needs: nothing when a subscription of its
/// type logs there already, an update of ours of its type, a create when
/// there is none; an error when another's subscription holds the type.
fn want_op(
    key: &Key,
    observed: &[&ObsAccessLog],
    w: &AccessLogPlan,
) -> Result<Option<OpKind>, String> {
    let kind = destination_type(&w.destination_arn);
    let same_type = observed
        .iter()
        .find(|o| destination_type(&o.destination_arn) == kind);
    Ok(match same_type {
        Some(o) if o.destination_arn == w.destination_arn => None,
        Some(o) if o.ours => Some(OpKind::UpdateAccessLogSubscription {
            id: o.id.clone(),
            destination_arn: w.destination_arn.clone(),
        }),
        Some(o) => {
            return Err(format!(
                "access log subscription {} is not ours and logs to a destination of this type already",
                o.id
            ));
        }
        None => Some(OpKind::CreateAccessLogSubscription {
            resource: key.clone(),
            destination_arn: w.destination_arn.clone(),
            policy: w.policy.clone(),
            tags: w.tags.clone(),
        }),
    })
}
