//! The rules of an existing listener: pair plan rules with observed ones,
//! delete the obsolete first, then moves and content changes, then creates.

use super::{Builder, of_service, tgs_of};
use crate::model::ObsListener;
use crate::names::rule_name;
use crate::ops::{Key, OpKind, RuleChange};
use crate::priorities;
use lattice_core::plan::{ListenerPlan, ResourceKind, ServicePlan};
use std::collections::BTreeSet;

/// Which observed rule each plan rule keeps.
struct Pairing {
    /// Per plan rule: the index of its observed rule.
    paired: Vec<Option<usize>>,
    /// Per observed rule: whether a plan rule keeps it.
    used: Vec<bool>,
}

/// Pair by match first, then by our name for the match (a drifted rule).
fn pair(l: &ListenerPlan, ol: &ObsListener) -> Pairing {
    let mut p = Pairing {
        paired: vec![None; l.rules.len()],
        used: vec![false; ol.rules.len()],
    };
    for (pi, r) in l.rules.iter().enumerate() {
        if let Some(oi) =
            (0..ol.rules.len()).find(|&oi| !p.used[oi] && ol.rules[oi].r#match == r.r#match)
        {
            p.used[oi] = true;
            p.paired[pi] = Some(oi);
        }
    }
    for (pi, r) in l.rules.iter().enumerate() {
        if p.paired[pi].is_some() {
            continue;
        }
        let want = rule_name(&r.r#match);
        if let Some(oi) = (0..ol.rules.len()).find(|&oi| !p.used[oi] && ol.rules[oi].name == want) {
            p.used[oi] = true;
            p.paired[pi] = Some(oi);
        }
    }
    p
}

impl Builder<'_> {
    pub(super) fn rules(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        ol: &ObsListener,
        ldeps: &[usize],
        object: &str,
    ) {
        let p = pair(l, ol);
        self.retag_rules(s, ol, &p, ldeps);
        // Obsolete rules go first: they may hold priorities the plan needs.
        let mut before = ldeps.to_vec();
        before.extend(self.obsolete_rules(s, l, ol, &p, ldeps));
        let mut change_deps = ldeps.to_vec();
        change_deps.extend(before.iter().copied());
        let (changes, old_tgs) = self.rule_changes(s, l, ol, &p, &mut change_deps);
        let staying: Vec<(String, u32)> = ol
            .rules
            .iter()
            .enumerate()
            .filter(|(oi, _)| p.used[*oi])
            .map(|(_, r)| (r.id.clone(), r.priority))
            .collect();
        let change_ops = self.push_rule_changes(s, l, &staying, changes, &change_deps, object);
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
            .filter(|(oi, _)| p.used[*oi])
            .map(|(_, r)| r.name.clone())
            .collect();
        for (pi, r) in l.rules.iter().enumerate() {
            if p.paired[pi].is_none() {
                self.create_rule(s, l, r, &before, &mut taken);
            }
        }
    }

    /// The user tags of the observed rules that plan rules keep.
    fn retag_rules(&mut self, s: &ServicePlan, ol: &ObsListener, p: &Pairing, ldeps: &[usize]) {
        let resource = of_service(ResourceKind::Rule, s);
        for o in p.paired.iter().flatten().map(|&oi| &ol.rules[oi]) {
            let object = format!("rule {}/{}/{}", s.name, ol.name, o.name);
            self.retag(&o.arn, o.tags.as_ref(), &s.tags, ldeps, &object, &resource);
        }
    }

    /// Delete the observed rules no plan rule keeps; the delete ops.
    fn obsolete_rules(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        ol: &ObsListener,
        p: &Pairing,
        ldeps: &[usize],
    ) -> Vec<usize> {
        let mut deletes = vec![];
        for (_, orule) in ol.rules.iter().enumerate().filter(|(oi, _)| !p.used[*oi]) {
            let i = self.push(
                OpKind::DeleteRule {
                    listener: Key::Listener(s.name.clone(), l.port),
                    rule_id: orule.id.clone(),
                },
                ldeps.to_vec(),
                format!(
                    "rule {}/{}/{} (priority {})",
                    s.name, ol.name, orule.name, orule.priority
                ),
                of_service(ResourceKind::Rule, s),
            );
            for t in tgs_of(&orule.action) {
                self.tg_users.entry(t.to_string()).or_default().push(i);
            }
            deletes.push(i);
        }
        deletes
    }

    /// What changes in each kept rule, and the target groups that changed
    /// actions stop using. Adds what new actions wait for to `change_deps`.
    fn rule_changes(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        ol: &ObsListener,
        p: &Pairing,
        change_deps: &mut Vec<usize>,
    ) -> (Vec<RuleChange>, Vec<String>) {
        let mut changes = vec![];
        let mut old_tgs: Vec<String> = vec![];
        for (pi, r) in l.rules.iter().enumerate() {
            let Some(oi) = p.paired[pi] else { continue };
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
                match self.usable(&r.action) {
                    Ok(d) => change_deps.extend(d),
                    Err(m) => {
                        let object = format!("rule {}/{}/{}", s.name, ol.name, o.name);
                        self.diag(object, of_service(ResourceKind::Rule, s), "Conflicted", m);
                        continue;
                    }
                }
                old_tgs.extend(tgs_of(&o.action).into_iter().map(str::to_string));
            }
            changes.push(c);
        }
        (changes, old_tgs)
    }

    /// One `UpdateRule` for a single change, else `BatchUpdateRule`s in
    /// sequence whose every intermediate state has unique priorities
    /// (`staying`: the kept rules' ids and current priorities).
    fn push_rule_changes(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        staying: &[(String, u32)],
        changes: Vec<RuleChange>,
        change_deps: &[usize],
        object: &str,
    ) -> Vec<usize> {
        let lkey = Key::Listener(s.name.clone(), l.port);
        let single = changes.len() == 1;
        let mut change_ops: Vec<usize> = vec![];
        for batch in priorities::batches(staying, changes) {
            let mut deps = change_deps.to_vec();
            let kind = match (single, batch.as_slice()) {
                (true, [change]) => OpKind::UpdateRule {
                    listener: lkey.clone(),
                    change: change.clone(),
                },
                _ => {
                    deps.extend(change_ops.last().copied());
                    OpKind::BatchUpdateRule {
                        listener: lkey.clone(),
                        changes: batch,
                    }
                }
            };
            let resource = of_service(ResourceKind::Rule, s);
            change_ops.push(self.push(kind, deps, format!("rules of {object}"), resource));
        }
        change_ops
    }
}
