//! The Lattice tree as a person reads it, listed through the AWS SDK from
//! whatever VPC Lattice endpoint the client points at.

use std::fmt::Write;

use aws_sdk_vpclattice::Client;
use aws_sdk_vpclattice::types::{RuleAction, RuleMatch};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn describe_match(m: Option<&RuleMatch>) -> String {
    let Some(RuleMatch::HttpMatch(h)) = m else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(method) = h.method() {
        parts.push(method.to_string());
    }
    if let Some(p) = h.path_match().and_then(|p| p.r#match()) {
        match p {
            aws_sdk_vpclattice::types::PathMatchType::Exact(v) => parts.push(format!("exact {v}")),
            aws_sdk_vpclattice::types::PathMatchType::Prefix(v) => {
                parts.push(format!("prefix {v}"))
            }
            _ => {}
        }
    }
    for hm in h.header_matches() {
        let v = match hm.r#match() {
            Some(aws_sdk_vpclattice::types::HeaderMatchType::Exact(v)) => v.clone(),
            Some(aws_sdk_vpclattice::types::HeaderMatchType::Prefix(v)) => format!("{v}*"),
            Some(aws_sdk_vpclattice::types::HeaderMatchType::Contains(v)) => format!("*{v}*"),
            _ => String::new(),
        };
        parts.push(format!("{}: {v}", hm.name()));
    }
    parts.join("  ")
}

fn describe_action(
    a: Option<&RuleAction>,
    names: &std::collections::HashMap<String, String>,
) -> String {
    match a {
        Some(RuleAction::FixedResponse(f)) => format!("fixed {}", f.status_code()),
        Some(RuleAction::Forward(f)) => {
            let ts: Vec<String> = f
                .target_groups()
                .iter()
                .map(|t| {
                    let id = t.target_group_identifier();
                    let name = names.get(id).map(String::as_str).unwrap_or(id);
                    format!("{name} ({})", t.weight().unwrap_or(1))
                })
                .collect();
            format!("→ {}", ts.join(", "))
        }
        _ => "?".into(),
    }
}

/// Service networks → services → listeners → rules → target groups → targets;
/// with `owners`, each target group's VPC and the cluster its `ManagedBy`
/// tag names.
pub async fn render(client: &Client, owners: bool) -> Result<String> {
    let mut out = String::new();
    let tgs: Vec<_> = client
        .list_target_groups()
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<Vec<_>, _>>()
        .await?;
    let mut names = std::collections::HashMap::new();
    for tg in &tgs {
        if let (Some(id), Some(arn), Some(name)) = (tg.id(), tg.arn(), tg.name()) {
            names.insert(id.to_string(), name.to_string());
            names.insert(arn.to_string(), name.to_string());
        }
    }
    let networks: Vec<_> = client
        .list_service_networks()
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<Vec<_>, _>>()
        .await?;
    let services: Vec<_> = client
        .list_services()
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<Vec<_>, _>>()
        .await?;
    let mut shown = std::collections::HashSet::new();
    let service_block =
        |out: &mut String, indent: &str, svc: &aws_sdk_vpclattice::types::ServiceSummary| {
            let _ = writeln!(
                out,
                "{indent}service {}{}",
                svc.name().unwrap_or("?"),
                svc.custom_domain_name()
                    .map(|d| format!("  ({d})"))
                    .unwrap_or_default()
            );
        };
    for sn in &networks {
        let sn_id = sn.id().unwrap_or_default();
        let auth = client
            .get_service_network()
            .service_network_identifier(sn_id)
            .send()
            .await?;
        let _ = writeln!(
            out,
            "service network {}  auth {}",
            sn.name().unwrap_or("?"),
            auth.auth_type().map(|a| a.as_str()).unwrap_or("NONE")
        );
        let assocs: Vec<_> = client
            .list_service_network_service_associations()
            .service_network_identifier(sn_id)
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await?;
        for a in &assocs {
            if let Some(svc) = services.iter().find(|s| s.id() == a.service_id()) {
                shown.insert(svc.id().unwrap_or_default().to_string());
                service_block(&mut out, "  ", svc);
                listeners(
                    client,
                    &mut out,
                    "    ",
                    svc.id().unwrap_or_default(),
                    &names,
                )
                .await?;
            }
        }
    }
    for svc in services
        .iter()
        .filter(|s| !shown.contains(s.id().unwrap_or_default()))
    {
        service_block(&mut out, "", svc);
        listeners(client, &mut out, "  ", svc.id().unwrap_or_default(), &names).await?;
    }
    if !tgs.is_empty() {
        let _ = writeln!(out, "target groups");
    }
    for tg in &tgs {
        let targets: Vec<_> = client
            .list_targets()
            .target_group_identifier(tg.id().unwrap_or_default())
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await?;
        // A Lambda function is a target without a port.
        let ts: Vec<String> = targets
            .iter()
            .map(|t| match t.port() {
                Some(p) => format!("{}:{p}", t.id().unwrap_or("?")),
                None => t.id().unwrap_or("?").to_string(),
            })
            .collect();
        let kind = match tg.r#type() {
            Some(aws_sdk_vpclattice::types::TargetGroupType::Lambda) => "LAMBDA".to_string(),
            _ => format!(
                "{}:{}",
                tg.protocol().map(|p| p.as_str()).unwrap_or("?"),
                tg.port().unwrap_or(0)
            ),
        };
        let owner = match owners {
            true => owner(client, tg).await?,
            false => String::new(),
        };
        let _ = writeln!(
            out,
            "  {}  {kind}{owner}  {}",
            tg.name().unwrap_or("?"),
            if ts.is_empty() {
                "(no targets)".to_string()
            } else {
                ts.join(", ")
            }
        );
    }
    Ok(out)
}

/// `  cluster <name>  <vpc>`: the cluster its `ManagedBy` tag
/// (`<account>/<cluster>/<vpc>`) names, and its VPC.
async fn owner(
    client: &Client,
    tg: &aws_sdk_vpclattice::types::TargetGroupSummary,
) -> Result<String> {
    let tags = client
        .list_tags_for_resource()
        .resource_arn(tg.arn().unwrap_or_default())
        .send()
        .await?;
    let managed_by = tags
        .tags()
        .and_then(|t| t.get("application-networking.k8s.aws/ManagedBy"))
        .and_then(|m| m.split('/').nth(1))
        .unwrap_or("?");
    Ok(format!(
        "  cluster {managed_by}  {}",
        tg.vpc_identifier().unwrap_or("-")
    ))
}

async fn listeners(
    client: &Client,
    out: &mut String,
    indent: &str,
    service: &str,
    names: &std::collections::HashMap<String, String>,
) -> Result<()> {
    let ls: Vec<_> = client
        .list_listeners()
        .service_identifier(service)
        .into_paginator()
        .items()
        .send()
        .collect::<std::result::Result<Vec<_>, _>>()
        .await?;
    for l in &ls {
        let lid = l.id().unwrap_or_default();
        let detail = client
            .get_listener()
            .service_identifier(service)
            .listener_identifier(lid)
            .send()
            .await?;
        let _ = writeln!(
            out,
            "{indent}listener {}  {}:{}  default {}",
            l.name().unwrap_or("?"),
            l.protocol().map(|p| p.as_str()).unwrap_or("?"),
            l.port().unwrap_or(0),
            describe_action(detail.default_action(), names)
        );
        let mut rules: Vec<_> = client
            .list_rules()
            .service_identifier(service)
            .listener_identifier(lid)
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<Vec<_>, _>>()
            .await?;
        rules.retain(|r| !r.is_default().unwrap_or(false));
        rules.sort_by_key(|r| r.priority().unwrap_or(0));
        for r in &rules {
            let rule = client
                .get_rule()
                .service_identifier(service)
                .listener_identifier(lid)
                .rule_identifier(r.id().unwrap_or_default())
                .send()
                .await?;
            let _ = writeln!(
                out,
                "{indent}  rule {:>4}  {:<40} {}",
                rule.priority().unwrap_or(0),
                describe_match(rule.r#match()),
                describe_action(rule.action(), names)
            );
        }
    }
    Ok(())
}
