//! Renders a plan as a table for people, or JSON/YAML for scripts.

use std::fmt::Write;

use lattice_core::plan::{Action, MatchPlan, Plan};

/// Output formats of `plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// The stable JSON contract.
    Json,
    /// The same, as YAML.
    Yaml,
}

/// Renders `plan` in `format`.
pub fn render(plan: &Plan, format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(plan)
                .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            s.push('\n');
            s
        }
        // Through JSON values, so enums are plain maps rather than YAML tags
        // and the YAML reads exactly like the JSON contract.
        Format::Yaml => serde_json::to_value(plan)
            .map_err(|e| e.to_string())
            .and_then(|v| serde_yaml::to_string(&v).map_err(|e| e.to_string()))
            .unwrap_or_else(|e| format!("error: {e}\n")),
        Format::Table => table(plan),
    }
}

fn describe_match(m: &MatchPlan) -> String {
    let mut parts = Vec::new();
    if let Some(method) = &m.method {
        parts.push(method.clone());
    }
    if let Some(p) = &m.path {
        let cs = if p.case_sensitive { "" } else { " (any case)" };
        parts.push(format!("{} {}{cs}", p.r#type, p.value));
    }
    for h in &m.headers {
        parts.push(format!("{}: {}", h.name, h.value));
    }
    parts.join("  ")
}

fn describe_action(a: &Action) -> String {
    match a {
        Action::FixedResponse(c) => format!("fixed {c}"),
        Action::Forward(ts) => {
            let total: u32 = ts.iter().map(|t| t.weight).sum();
            let parts: Vec<String> = ts
                .iter()
                .map(|t| {
                    if ts.len() == 1 {
                        t.target_group.clone()
                    } else {
                        let pct = if total == 0 {
                            0.0
                        } else {
                            100.0 * f64::from(t.weight) / f64::from(total)
                        };
                        format!("{} {pct:.0}%", t.target_group)
                    }
                })
                .collect();
            format!("→ {}", parts.join(", "))
        }
    }
}

/// Aligned columns; the last column is left ragged.
fn columns(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |out: &mut String, cells: Vec<&str>| {
        let n = cells.len();
        for (i, c) in cells.into_iter().enumerate() {
            if i + 1 == n {
                let _ = write!(out, "{c}");
            } else {
                let _ = write!(out, "{c:<w$}  ", w = widths[i]);
            }
        }
        out.push('\n');
    };
    line(out, header.to_vec());
    for r in rows {
        line(out, r.iter().map(String::as_str).collect());
    }
}

fn table(plan: &Plan) -> String {
    let mut out = String::new();
    let mut section = |header: &[&str], rows: Vec<Vec<String>>| {
        if !rows.is_empty() {
            columns(&mut out, header, &rows);
            out.push('\n');
        }
    };
    section(&["SERVICE NETWORK", "FROM", "AUTH"], network_rows(plan));
    section(
        &[
            "SERVICE", "ROUTE", "AUTH", "LISTENER", "PRIORITY", "MATCH", "ACTION",
        ],
        service_rows(plan),
    );
    section(
        &["TARGET GROUP", "BACKEND", "PROTOCOL", "TARGETS"],
        target_group_rows(plan),
    );
    section(
        &["KEPT AS LATTICE HAS IT", "ROUTE", "TARGET GROUPS", "PLUGIN"],
        kept_rows(plan),
    );
    if plan.diagnostics.is_empty() {
        out.push_str("No diagnostics.\n");
    } else {
        columns(
            &mut out,
            &["OBJECT", "CONDITION/REASON", "FIELD", "MESSAGE"],
            &diagnostic_rows(plan),
        );
    }
    out
}

fn network_rows(plan: &Plan) -> Vec<Vec<String>> {
    plan.service_networks
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                format!("Gateway {}", s.gateway),
                s.auth_type.clone(),
            ]
        })
        .collect()
}

/// One row per rule, and one for each listener's default action.
fn service_rows(plan: &Plan) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for s in &plan.services {
        let route = format!("{} {}", s.route_kind, s.route);
        for l in &s.listeners {
            let listener = format!("{}:{}", l.protocol, l.port);
            let row = |priority: String, matches: String, action: String| {
                let (name, auth) = (s.name.clone(), s.auth_type.clone());
                vec![
                    name,
                    route.clone(),
                    auth,
                    listener.clone(),
                    priority,
                    matches,
                    action,
                ]
            };
            for r in &l.rules {
                rows.push(row(
                    r.priority.to_string(),
                    describe_match(&r.r#match),
                    describe_action(&r.action),
                ));
            }
            rows.push(row(
                "default".into(),
                String::new(),
                describe_action(&l.default_action),
            ));
        }
    }
    rows
}

fn target_group_rows(plan: &Plan) -> Vec<Vec<String>> {
    plan.target_groups
        .iter()
        .map(|t| {
            if let Some(i) = &t.import {
                return import_row(t, i);
            }
            let backend = match &t.export {
                Some(e) => format!("ServiceExport {}/{} ({})", e.namespace, e.name, t.backend),
                None => t.backend.clone(),
            };
            let mut targets: Vec<String> = t
                .targets
                .iter()
                .map(|x| format!("{}:{}", x.ip, x.port))
                .collect();
            // A LAMBDA group's one target is its function.
            targets.extend(t.lambda.iter().map(|l| l.function_arn.clone()));
            let protocol = match &t.lambda {
                Some(l) => format!(
                    "LAMBDA/{}",
                    l.event_structure_version.as_deref().unwrap_or("-")
                ),
                None => format!(
                    "{}/{}",
                    t.protocol,
                    t.protocol_version.as_deref().unwrap_or("-")
                ),
            };
            let targets = if targets.is_empty() {
                "(no ready endpoints)".into()
            } else {
                targets.join(", ")
            };
            vec![t.name.clone(), backend, protocol, targets]
        })
        .collect()
}

/// A ServiceImport's group: what the applier will look for in Lattice.
fn import_row(
    t: &lattice_core::plan::TargetGroupPlan,
    i: &lattice_core::plan::ImportPlan,
) -> Vec<String> {
    let found = match &i.target_group_arn {
        Some(arn) => format!("the target group {arn}"),
        None => {
            let mut by = format!("the export {}/{}", i.export_namespace, i.export_name);
            by.extend(i.cluster.as_ref().map(|c| format!(" of cluster {c}")));
            by.extend(i.vpc.as_ref().map(|v| format!(" in VPC {v}")));
            by
        }
    };
    vec![
        t.name.clone(),
        format!("ServiceImport {}", i.service_import),
        "imported".into(),
        format!("(found in VPC Lattice when applied: {found})"),
    ]
}

/// Routes a plugin failed on under `KeepLastGood`: their services and
/// groups are left exactly as Lattice has them.
fn kept_rows(plan: &Plan) -> Vec<Vec<String>> {
    plan.kept
        .iter()
        .map(|k| {
            let route = format!("{} {}", k.route_kind, k.route);
            vec![
                k.service.clone(),
                route,
                k.target_groups.join(", "),
                k.plugin.clone(),
            ]
        })
        .collect()
}

fn diagnostic_rows(plan: &Plan) -> Vec<Vec<String>> {
    plan.diagnostics
        .iter()
        .map(|d| {
            let condition = format!("{}/{}", d.condition, d.reason);
            vec![
                d.object.clone(),
                condition,
                d.field.clone(),
                d.message.clone(),
            ]
        })
        .collect()
}
