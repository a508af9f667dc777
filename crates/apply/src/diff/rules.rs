//! Listeners and their rules: pair plan rules with observed ones, delete the
//! obsolete first, then moves and content changes, then creates.

use super::{Builder, tgs_of};
use crate::model::{ObsListener, ObsService};
use crate::names::{listener_name, rule_name, unique_name};
use crate::ops::{Key, OpKind, RuleChange};
use crate::priorities;
use lattice_core::plan::{ListenerPlan, Plan, RulePlan, ServicePlan};
use std::collections::BTreeSet;

impl Builder<'_> {
    pub(super) fn listener(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        obs: Option<&ObsService>,
        svc_deps: &[usize],
        plan: &Plan,
    ) {
        let lname = listener_name(&l.protocol, l.port);
        let object = format!("listener {}/{lname}", s.name);
        let lkey = Key::Listener(s.name.clone(), l.port);
        let skey = Key::Service(s.name.clone());
        let existing = obs.and_then(|o| o.listeners.iter().find(|ol| ol.port == l.port));
        let mut ldeps = svc_deps.to_vec();
        let current = match existing {
            Some(ol) if ol.protocol == l.protocol => Some(ol),
            Some(ol) => {
                // The protocol cannot change: replace the listener.
                let sid = obs.map(|o| o.id.clone()).unwrap_or_default();
                let d = self.push(
                    OpKind::DeleteListener {
                        service_id: sid,
                        listener_id: ol.id.clone(),
                    },
                    svc_deps.to_vec(),
                    format!("listener {}/{}", s.name, ol.name),
                );
                self.note_listener_users(ol, d);
                ldeps.push(d);
                None
            }
            None => None,
        };
        let default_deps = match self.usable(&l.default_action, plan) {
            Ok(d) => d,
            Err(m) => {
                self.diag(object, "Conflicted", m);
                return;
            }
        };
        let Some(ol) = current else {
            ldeps.extend(default_deps);
            self.push(
                OpKind::CreateListener {
                    service: skey,
                    name: lname,
                    port: l.port,
                    protocol: l.protocol.clone(),
                    default_action: l.default_action.clone(),
                },
                ldeps,
                object.clone(),
            );
            let mut taken = BTreeSet::new();
            for r in &l.rules {
                self.create_rule(s, l, r, &[], plan, &mut taken);
            }
            return;
        };
        if ol.default_action != l.default_action {
            let mut d = ldeps.clone();
            d.extend(default_deps);
            let i = self.push(
                OpKind::UpdateListener {
                    listener: lkey.clone(),
                    default_action: l.default_action.clone(),
                },
                d,
                object.clone(),
            );
            for t in tgs_of(&ol.default_action) {
                self.tg_users.entry(t.to_string()).or_default().push(i);
            }
        }
        self.rules(s, l, ol, &ldeps, &object, plan);
    }

    pub(super) fn create_rule(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        r: &RulePlan,
        before: &[usize],
        plan: &Plan,
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
        let mut deps = match self.usable(&r.action, plan) {
            Ok(d) => d,
            Err(m) => {
                self.diag(robj, "Conflicted", m);
                return;
            }
        };
        deps.extend(self.dep(&lkey));
        deps.extend_from_slice(before);
        self.push(
            OpKind::CreateRule {
                listener: lkey,
                name,
                priority: r.priority,
                r#match: r.r#match.clone(),
                action: r.action.clone(),
            },
            deps,
            robj,
        );
    }

    pub(super) fn rules(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        ol: &ObsListener,
        ldeps: &[usize],
        object: &str,
        plan: &Plan,
    ) {
        let lkey = Key::Listener(s.name.clone(), l.port);
        // Pair plan rules with observed ones: by match, then by our name for the match.
        let mut paired: Vec<Option<usize>> = vec![None; l.rules.len()];
        let mut used = vec![false; ol.rules.len()];
        for (pi, r) in l.rules.iter().enumerate() {
            if let Some(oi) =
                (0..ol.rules.len()).find(|&oi| !used[oi] && ol.rules[oi].r#match == r.r#match)
            {
                used[oi] = true;
                paired[pi] = Some(oi);
            }
        }
        for (pi, r) in l.rules.iter().enumerate() {
            if paired[pi].is_some() {
                continue;
            }
            let want = rule_name(&r.r#match);
            if let Some(oi) = (0..ol.rules.len()).find(|&oi| !used[oi] && ol.rules[oi].name == want)
            {
                used[oi] = true;
                paired[pi] = Some(oi);
            }
        }
        let mut before = ldeps.to_vec();
        // Obsolete rules go first: they may hold priorities the plan needs.
        for (oi, orule) in ol.rules.iter().enumerate() {
            if !used[oi] {
                let i = self.push(
                    OpKind::DeleteRule {
                        listener: lkey.clone(),
                        rule_id: orule.id.clone(),
                    },
                    ldeps.to_vec(),
                    format!(
                        "rule {}/{}/{} (priority {})",
                        s.name, ol.name, orule.name, orule.priority
                    ),
                );
                for t in tgs_of(&orule.action) {
                    self.tg_users.entry(t.to_string()).or_default().push(i);
                }
                before.push(i);
            }
        }
        let mut changes = vec![];
        let mut change_deps = ldeps.to_vec();
        change_deps.extend(before.iter().copied());
        let mut old_tgs: Vec<String> = vec![];
        for (pi, r) in l.rules.iter().enumerate() {
            let Some(oi) = paired[pi] else { continue };
            let o = &ol.rules[oi];
            let c = RuleChange {
                rule_id: o.id.clone(),
                priority: (o.priority != r.priority).then_some(r.priority),
                r#match: (o.r#match != r.r#match).then(|| r.r#match.clone()),
                action: (o.action != r.action).then(|| r.action.clone()),
            };
            if c.priority.is_none() && c.r#match.is_none() && c.action.is_none() {
                continue;
            }
            if c.action.is_some() {
                match self.usable(&r.action, plan) {
                    Ok(d) => change_deps.extend(d),
                    Err(m) => {
                        self.diag(
                            format!("rule {}/{}/{}", s.name, ol.name, o.name),
                            "Conflicted",
                            m,
                        );
                        continue;
                    }
                }
                old_tgs.extend(tgs_of(&o.action).into_iter().map(str::to_string));
            }
            changes.push(c);
        }
        let staying: Vec<(String, u32)> = ol
            .rules
            .iter()
            .enumerate()
            .filter(|(oi, _)| used[*oi])
            .map(|(_, r)| (r.id.clone(), r.priority))
            .collect();
        let single = changes.len() == 1;
        let mut change_ops = vec![];
        for batch in priorities::batches(&staying, changes) {
            let i = if single {
                let change = batch.into_iter().next().expect("one change");
                self.push(
                    OpKind::UpdateRule {
                        listener: lkey.clone(),
                        change,
                    },
                    change_deps.clone(),
                    format!("rules of {object}"),
                )
            } else {
                let mut d = change_deps.clone();
                d.extend(change_ops.last().copied());
                self.push(
                    OpKind::BatchUpdateRule {
                        listener: lkey.clone(),
                        changes: batch,
                    },
                    d,
                    format!("rules of {object}"),
                )
            };
            change_ops.push(i);
        }
        for t in old_tgs {
            self.tg_users
                .entry(t)
                .or_default()
                .extend(change_ops.iter().copied());
        }
        before.extend(change_ops);
        let mut taken: BTreeSet<String> = ol
            .rules
            .iter()
            .enumerate()
            .filter(|(oi, _)| used[*oi])
            .map(|(_, r)| r.name.clone())
            .collect();
        for (pi, r) in l.rules.iter().enumerate() {
            if paired[pi].is_none() {
                self.create_rule(s, l, r, &before, plan, &mut taken);
            }
        }
    }
}
