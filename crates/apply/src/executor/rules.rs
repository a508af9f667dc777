//! Listener rules: create, update one, update several in a batch, delete.

use super::{Executor, build, gone};
use crate::cache::{RuleDetail, wrote};
use crate::caller::CallError;
use crate::convert::{BuildError, from_sdk_action, from_sdk_match, to_sdk_action, to_sdk_match};
use crate::ops::{Key, OpKind, RuleChange};
use aws_sdk_vpclattice::types as t;
use lattice_core::plan::{Action, MatchPlan};

impl Executor<'_> {
    pub(super) async fn create_rule(
        &self,
        op: &OpKind,
        listener: &Key,
        name: &str,
        priority: u32,
        r#match: &MatchPlan,
        action: &Action,
    ) -> Result<(), CallError> {
        let (s, l) = self.listener_ids(listener)?;
        let a = self.action_ids(action)?;
        let (sm, sa) = (
            to_sdk_match(r#match).map_err(build)?,
            to_sdk_action(&a).map_err(build)?,
        );
        let (c, tok) = (&self.caller.client, self.token(op));
        let tags = self.tags_of(op);
        let o = self
            .caller
            .call("CreateRule", || {
                c.create_rule()
                    .service_identifier(&s)
                    .listener_identifier(&l)
                    .name(name)
                    .priority(priority as i32)
                    .r#match(sm.clone())
                    .action(sa.clone())
                    .client_token(&tok)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        self.created(op, o.arn());
        if let Some(arn) = o.arn() {
            let detail = RuleDetail {
                r#match: r#match.clone(),
                action: a,
            };
            let mut cache = self.cache();
            let arn = cache.arn(arn);
            wrote(&mut cache.rules, arn, Box::new(detail));
        }
        Ok(())
    }

    pub(super) async fn update_rule(
        &self,
        listener: &Key,
        change: &RuleChange,
    ) -> Result<(), CallError> {
        let (s, l) = self.listener_ids(listener)?;
        let u = self.rule_update(change)?;
        let c = &self.caller.client;
        let o = self
            .caller
            .call("UpdateRule", || {
                c.update_rule()
                    .service_identifier(&s)
                    .listener_identifier(&l)
                    .rule_identifier(&change.rule_id)
                    .set_priority(u.priority())
                    .set_match(u.r#match().cloned())
                    .set_action(u.action().cloned())
                    .send()
            })
            .await?;
        if let (Some(arn), Some(m), Some(a)) = (o.arn(), o.r#match(), o.action()) {
            let mut cache = self.cache();
            let arn = cache.arn(arn);
            wrote(&mut cache.rules, arn, detail(m, a));
        }
        Ok(())
    }

    /// What Lattice applied is cached even when part of the batch failed;
    /// the first failure is the operation's.
    pub(super) async fn batch_update_rule(
        &self,
        listener: &Key,
        changes: &[RuleChange],
    ) -> Result<(), CallError> {
        let (s, l) = self.listener_ids(listener)?;
        let us: Vec<t::RuleUpdate> = changes
            .iter()
            .map(|ch| self.rule_update(ch))
            .collect::<Result<_, _>>()?;
        let c = &self.caller.client;
        let o = self
            .caller
            .call("BatchUpdateRule", || {
                c.batch_update_rule()
                    .service_identifier(&s)
                    .listener_identifier(&l)
                    .set_rules(Some(us.clone()))
                    .send()
            })
            .await?;
        {
            let mut cache = self.cache();
            for ok in o.successful() {
                if let (Some(arn), Some(m), Some(a)) = (ok.arn(), ok.r#match(), ok.action()) {
                    let arn = cache.arn(arn);
                    wrote(&mut cache.rules, arn, detail(m, a));
                }
            }
        }
        match o.unsuccessful().first() {
            None => Ok(()),
            Some(f) => Err(CallError {
                operation: "BatchUpdateRule".into(),
                code: f.failure_code().unwrap_or("Unknown").into(),
                message: format!(
                    "rule {}: {}",
                    f.rule_identifier().unwrap_or_default(),
                    f.failure_message().unwrap_or_default()
                ),
            }),
        }
    }

    pub(super) async fn delete_rule(&self, listener: &Key, rule_id: &str) -> Result<(), CallError> {
        let (s, l) = self.listener_ids(listener)?;
        let c = &self.caller.client;
        gone(
            self.caller
                .call("DeleteRule", || {
                    c.delete_rule()
                        .service_identifier(&s)
                        .listener_identifier(&l)
                        .rule_identifier(rule_id)
                        .send()
                })
                .await,
        )
    }

    fn rule_update(&self, ch: &RuleChange) -> Result<t::RuleUpdate, CallError> {
        let mut b = t::RuleUpdate::builder()
            .rule_identifier(&ch.rule_id)
            .set_priority(ch.priority.map(|p| p as i32));
        if let Some(m) = &ch.r#match {
            b = b.r#match(to_sdk_match(m).map_err(build)?);
        }
        if let Some(a) = &ch.action {
            b = b.action(to_sdk_action(&self.action_ids(a)?).map_err(build)?);
        }
        b.build().map_err(|e| build(BuildError(e.to_string())))
    }
}

/// A rule's match and action as Lattice answered them.
fn detail(m: &t::RuleMatch, a: &t::RuleAction) -> Box<RuleDetail> {
    Box::new(RuleDetail {
        r#match: from_sdk_match(m),
        action: from_sdk_action(a),
    })
}
