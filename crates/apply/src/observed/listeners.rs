//! A service's listeners and their rules: list calls, plus the default
//! actions, matches and actions the lists lack, from the cache or one `Get*`
//! each. Target groups come back by name, as the plan has them.

use super::{Observer, lock};
use crate::cache::{Cached, RuleDetail, fresh};
use crate::caller::CallError;
use crate::convert::{from_sdk_action, from_sdk_match, rename_action};
use crate::model::{ObsListener, ObsRule};
use aws_sdk_vpclattice::types::{ListenerSummary, RuleSummary};
use lattice_core::plan::Action;

/// Target group name by id or ARN.
type TgName<'f> = &'f (dyn Fn(&str) -> Option<String> + Sync);

/// What Lattice answers for an action it did not return.
const NO_ACTION: Action = Action::FixedResponse(404);

impl Observer<'_> {
    pub(super) async fn listeners(
        &self,
        svc: &str,
        tg_name: TgName<'_>,
        read_tags: bool,
    ) -> Result<Vec<ObsListener>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        let ls = paginate!(
            cl,
            "ListListeners",
            |t| c
                .list_listeners()
                .service_identifier(svc)
                .set_next_token(t.clone()),
            |o| o.items().to_vec()
        );
        let mut out = Vec::with_capacity(ls.len());
        for l in ls {
            let lid = l.id().unwrap_or_default();
            let default = self.default_action(svc, &l).await?;
            out.push(ObsListener {
                id: lid.to_string(),
                arn: l.arn().unwrap_or_default().to_string(),
                name: l.name().unwrap_or_default().into(),
                port: l.port().unwrap_or(0),
                protocol: l
                    .protocol()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                default_action: rename_action(&default, tg_name),
                rules: self.rules(svc, lid, tg_name, read_tags).await?,
                tags: self.tags_if(l.arn().unwrap_or_default(), read_tags).await?,
            });
        }
        Ok(out)
    }

    /// A listener's default action (target groups as Lattice names them).
    async fn default_action(&self, svc: &str, l: &ListenerSummary) -> Result<Action, CallError> {
        let (lid, larn) = (l.id().unwrap_or_default(), l.arn().unwrap_or_default());
        if let Some(a) = fresh(&mut lock(self.cache).listeners, larn, l.last_updated_at()) {
            return Ok(a);
        }
        let c = &self.caller.client;
        let g = self
            .caller
            .call("GetListener", || {
                c.get_listener()
                    .service_identifier(svc)
                    .listener_identifier(lid)
                    .send()
            })
            .await?;
        let a = g.default_action().map(from_sdk_action).unwrap_or(NO_ACTION);
        let cached = Cached {
            updated: g.last_updated_at().cloned(),
            value: a.clone(),
        };
        let mut cache = lock(self.cache);
        let larn = cache.arn(larn);
        cache.listeners.insert(larn, cached);
        Ok(a)
    }

    /// A listener's non-default rules.
    async fn rules(
        &self,
        svc: &str,
        lid: &str,
        tg_name: TgName<'_>,
        read_tags: bool,
    ) -> Result<Vec<ObsRule>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        let rs = paginate!(
            cl,
            "ListRules",
            |t| c
                .list_rules()
                .service_identifier(svc)
                .listener_identifier(lid)
                .set_next_token(t.clone()),
            |o| o.items().to_vec()
        );
        let mut rules = Vec::new();
        for r in rs.iter().filter(|r| r.is_default() != Some(true)) {
            let d = self.rule_detail(svc, lid, r).await?;
            rules.push(ObsRule {
                id: r.id().unwrap_or_default().to_string(),
                arn: r.arn().unwrap_or_default().to_string(),
                name: r.name().unwrap_or_default().into(),
                priority: r.priority().unwrap_or(0).max(0) as u32,
                r#match: d.r#match,
                action: rename_action(&d.action, tg_name),
                tags: self.tags_if(r.arn().unwrap_or_default(), read_tags).await?,
            });
        }
        Ok(rules)
    }

    /// A rule's match and action.
    async fn rule_detail(
        &self,
        svc: &str,
        lid: &str,
        r: &RuleSummary,
    ) -> Result<RuleDetail, CallError> {
        let (rid, rarn) = (r.id().unwrap_or_default(), r.arn().unwrap_or_default());
        if let Some(d) = fresh(&mut lock(self.cache).rules, rarn, r.last_updated_at()) {
            return Ok(*d);
        }
        let c = &self.caller.client;
        let g = self
            .caller
            .call("GetRule", || {
                c.get_rule()
                    .service_identifier(svc)
                    .listener_identifier(lid)
                    .rule_identifier(rid)
                    .send()
            })
            .await?;
        let d = RuleDetail {
            r#match: g.r#match().map(from_sdk_match).unwrap_or_default(),
            action: g.action().map(from_sdk_action).unwrap_or(NO_ACTION),
        };
        let cached = Cached {
            updated: g.last_updated_at().cloned(),
            value: Box::new(d.clone()),
        };
        let mut cache = lock(self.cache);
        let rarn = cache.arn(rarn);
        cache.rules.insert(rarn, cached);
        Ok(d)
    }
}
