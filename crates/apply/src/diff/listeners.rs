//! Listeners: create, replace (the protocol cannot change) or update the
//! default action of each planned listener, then its rules (see `rules.rs`).

use super::{Builder, of_service, tgs_of};
use crate::model::{ObsListener, ObsService};
use crate::names::{listener_name, rule_name, unique_name};
use crate::ops::{Key, OpKind};
use lattice_core::plan::{ListenerPlan, ResourceKind, RulePlan, ServicePlan};
use std::collections::BTreeSet;

impl Builder<'_> {
    pub(super) fn listener(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        obs: Option<&ObsService>,
        svc_deps: &[usize],
    ) {
        let lname = listener_name(&l.protocol, l.port);
        let object = format!("listener {}/{lname}", s.name);
        let resource = of_service(ResourceKind::Listener, s);
        let existing = obs.and_then(|o| o.listeners.iter().find(|ol| ol.port == l.port));
        let mut ldeps = svc_deps.to_vec();
        let current = match (obs, existing) {
            (_, Some(ol)) if ol.protocol == l.protocol => Some(ol),
            (Some(o), Some(ol)) => {
                ldeps.push(self.replace_listener(s, o, ol, svc_deps));
                None
            }
            _ => None,
        };
        let default_deps = match self.usable(&l.default_action) {
            Ok(d) => d,
            Err(m) => {
                self.diag(object, resource, "Conflicted", m);
                return;
            }
        };
        let Some(ol) = current else {
            ldeps.extend(default_deps);
            let create = OpKind::CreateListener {
                service: Key::Service(s.name.clone()),
                name: lname,
                port: l.port,
                protocol: l.protocol.clone(),
                default_action: l.default_action.clone(),
                tags: s.tags.clone(),
            };
            self.push(create, ldeps, object, resource);
            let mut taken = BTreeSet::new();
            for r in &l.rules {
                self.create_rule(s, l, r, &[], &mut taken);
            }
            return;
        };
        self.retag(
            &ol.arn,
            ol.tags.as_ref(),
            &s.tags,
            &ldeps,
            &object,
            &resource,
        );
        if ol.default_action != l.default_action {
            let mut d = ldeps.clone();
            d.extend(default_deps);
            let update = OpKind::UpdateListener {
                listener: Key::Listener(s.name.clone(), l.port),
                default_action: l.default_action.clone(),
            };
            let i = self.push(update, d, object.clone(), resource);
            for t in tgs_of(&ol.default_action) {
                self.tg_users.entry(t.to_string()).or_default().push(i);
            }
        }
        self.rules(s, l, ol, &ldeps, &object);
    }

    /// Delete a listener whose protocol changed, so one can be created in
    /// its place; the delete op.
    fn replace_listener(
        &mut self,
        s: &ServicePlan,
        o: &ObsService,
        ol: &ObsListener,
        svc_deps: &[usize],
    ) -> usize {
        let d = self.push(
            OpKind::DeleteListener {
                service_id: o.id.clone(),
                listener_id: ol.id.clone(),
            },
            svc_deps.to_vec(),
            format!("listener {}/{}", s.name, ol.name),
            of_service(ResourceKind::Listener, s),
        );
        self.note_listener_users(ol, d);
        d
    }

    /// Create `r` after `before`, under a name not yet `taken` in its listener.
    pub(super) fn create_rule(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        r: &RulePlan,
        before: &[usize],
        taken: &mut BTreeSet<String>,
    ) {
        let lkey = Key::Listener(s.name.clone(), l.port);
        let name = unique_name(&rule_name(&r.r#match), |n| taken.contains(n));
        taken.insert(name.clone());
        let robj = format!(
            "rule {}/{}/{name} (priority {})",
            s.name,
            listener_name(&l.protocol, l.port),
            r.priority
        );
        let resource = of_service(ResourceKind::Rule, s);
        let mut deps = match self.usable(&r.action) {
            Ok(d) => d,
            Err(m) => {
                self.diag(robj, resource, "Conflicted", m);
                return;
            }
        };
        deps.extend(self.dep(&lkey));
        deps.extend_from_slice(before);
        let create = OpKind::CreateRule {
            listener: lkey,
            name,
            priority: r.priority,
            r#match: r.r#match.clone(),
            action: r.action.clone(),
            tags: s.tags.clone(),
        };
        self.push(create, deps, robj, resource);
    }
}
