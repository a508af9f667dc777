//! Details list calls lack (auth types, policies, default actions, rule
//! matches and actions), from the cache or one `Get*` each.

use super::{Observer, Summary, lock};
use crate::cache::{Cached, RuleDetail, fresh};
use crate::caller::CallError;
use crate::convert::{from_sdk_action, from_sdk_match, rename_action};
use crate::model::{ObsListener, ObsRule};
use aws_smithy_types::DateTime;
use std::collections::HashMap;

/// Which cache an auth type lives in.
#[derive(Clone, Copy)]
enum AuthOf {
    Service,
    Network,
}

impl AuthOf {
    fn map(self, c: &mut crate::cache::Cache) -> &mut HashMap<String, Cached<String>> {
        match self {
            AuthOf::Service => &mut c.services,
            AuthOf::Network => &mut c.networks,
        }
    }
}

impl Observer<'_> {
    pub(super) async fn auth_type_svc(&self, s: &Summary) -> Result<String, CallError> {
        let c = &self.caller.client;
        self.auth_type(AuthOf::Service, s, async {
            let o = self
                .caller
                .call("GetService", || {
                    c.get_service().service_identifier(&s.id).send()
                })
                .await?;
            Ok((
                o.auth_type().map(|a| a.as_str().to_string()),
                o.last_updated_at().cloned(),
            ))
        })
        .await
    }

    pub(super) async fn auth_type_sn(&self, s: &Summary) -> Result<String, CallError> {
        let c = &self.caller.client;
        self.auth_type(AuthOf::Network, s, async {
            let o = self
                .caller
                .call("GetServiceNetwork", || {
                    c.get_service_network()
                        .service_network_identifier(&s.id)
                        .send()
                })
                .await?;
            Ok((
                o.auth_type().map(|a| a.as_str().to_string()),
                o.last_updated_at().cloned(),
            ))
        })
        .await
    }

    /// An auth type from the cache while `lastUpdatedAt` has not moved, else
    /// from `get` (auth type, `lastUpdatedAt`), remembered; absent is `NONE`.
    async fn auth_type(
        &self,
        of: AuthOf,
        s: &Summary,
        get: impl std::future::Future<Output = Result<(Option<String>, Option<DateTime>), CallError>>,
    ) -> Result<String, CallError> {
        if let Some(v) = fresh(of.map(&mut lock(self.cache)), &s.arn, s.updated.as_ref()) {
            return Ok(v);
        }
        let (at, updated) = get.await?;
        let at = at.unwrap_or_else(|| "NONE".into());
        of.map(&mut lock(self.cache)).insert(
            s.arn.clone(),
            Cached {
                updated,
                value: at.clone(),
            },
        );
        Ok(at)
    }

    pub(super) async fn policy(&self, id: &str) -> Result<Option<String>, CallError> {
        if let Some(p) = lock(self.cache).policies.get(id) {
            return Ok(p.clone());
        }
        let p = match self
            .caller
            .call("GetAuthPolicy", || {
                self.caller
                    .client
                    .get_auth_policy()
                    .resource_identifier(id)
                    .send()
            })
            .await
        {
            Ok(o) => o.policy().map(str::to_string),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
        lock(self.cache).policies.insert(id.to_string(), p.clone());
        Ok(p)
    }

    pub(super) async fn listeners(
        &self,
        svc: &str,
        tg_name: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Vec<ObsListener>, CallError> {
        let c = &self.caller.client;
        let cl = self.caller;
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
            let (lid, larn) = (
                l.id().unwrap_or_default().to_string(),
                l.arn().unwrap_or_default().to_string(),
            );
            let cached = fresh(&mut lock(self.cache).listeners, &larn, l.last_updated_at());
            let default = match cached {
                Some(a) => a,
                None => {
                    let g = cl
                        .call("GetListener", || {
                            c.get_listener()
                                .service_identifier(svc)
                                .listener_identifier(&lid)
                                .send()
                        })
                        .await?;
                    let a = g
                        .default_action()
                        .map(from_sdk_action)
                        .unwrap_or(lattice_core::plan::Action::FixedResponse(404));
                    lock(self.cache).listeners.insert(
                        larn.clone(),
                        Cached {
                            updated: g.last_updated_at().cloned(),
                            value: a.clone(),
                        },
                    );
                    a
                }
            };
            let rs = paginate!(
                cl,
                "ListRules",
                |t| c
                    .list_rules()
                    .service_identifier(svc)
                    .listener_identifier(&lid)
                    .set_next_token(t.clone()),
                |o| o.items().to_vec()
            );
            let mut rules = Vec::new();
            for r in rs.iter().filter(|r| r.is_default() != Some(true)) {
                let (rid, rarn) = (
                    r.id().unwrap_or_default().to_string(),
                    r.arn().unwrap_or_default().to_string(),
                );
                let cached = fresh(&mut lock(self.cache).rules, &rarn, r.last_updated_at());
                let d = match cached {
                    Some(d) => d,
                    None => {
                        let g = cl
                            .call("GetRule", || {
                                c.get_rule()
                                    .service_identifier(svc)
                                    .listener_identifier(&lid)
                                    .rule_identifier(&rid)
                                    .send()
                            })
                            .await?;
                        let d = RuleDetail {
                            r#match: g.r#match().map(from_sdk_match).unwrap_or_default(),
                            action: g
                                .action()
                                .map(from_sdk_action)
                                .unwrap_or(lattice_core::plan::Action::FixedResponse(404)),
                        };
                        lock(self.cache).rules.insert(
                            rarn.clone(),
                            Cached {
                                updated: g.last_updated_at().cloned(),
                                value: d.clone(),
                            },
                        );
                        d
                    }
                };
                rules.push(ObsRule {
                    id: rid,
                    arn: rarn,
                    name: r.name().unwrap_or_default().into(),
                    priority: r.priority().unwrap_or(0).max(0) as u32,
                    r#match: d.r#match,
                    action: rename_action(&d.action, tg_name),
                });
            }
            out.push(ObsListener {
                id: lid,
                arn: larn,
                name: l.name().unwrap_or_default().into(),
                port: l.port().unwrap_or(0),
                protocol: l
                    .protocol()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                default_action: rename_action(&default, tg_name),
                rules,
            });
        }
        Ok(out)
    }
}
