//! What lattice-sim holds, named by what each thing is rather than by its
//! id, so that two runs can be compared: orphans, duplicates, gaps.

use std::collections::BTreeMap;

use serde_json::Value;

/// (orphans, duplicates, missing) of `got` against `want`.
pub(crate) fn compare(want: &[String], got: &[String]) -> (usize, usize, usize) {
    let (want, got) = (counts(want), counts(got));
    let orphans = got.keys().filter(|k| !want.contains_key(*k)).count();
    let duplicates = got.values().map(|n| n.saturating_sub(1)).sum();
    let missing = want.keys().filter(|k| !got.contains_key(*k)).count();
    (orphans, duplicates, missing)
}

fn counts(items: &[String]) -> BTreeMap<&str, usize> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for i in items {
        *m.entry(i.as_str()).or_default() += 1;
    }
    m
}

/// Every resource lattice-sim holds, named by what it is rather than its
/// id: networks, services, target groups and their targets by name;
/// listeners by service and port; rules by listener, name, priority, match
/// and action (target groups by name); associations by their two names.
pub(crate) fn resources(dump: &Value) -> Vec<String> {
    let items = |kind: &str| -> Vec<&Value> {
        dump[kind]
            .as_object()
            .map(|m| m.values().collect())
            .unwrap_or_default()
    };
    let names = |kind: &str| -> BTreeMap<String, String> {
        items(kind)
            .iter()
            .map(|v| (text(&v["id"]), text(&v["name"])))
            .collect()
    };
    let (networks, services, groups) = (
        names("serviceNetworks"),
        names("services"),
        names("targetGroups"),
    );
    let listeners: BTreeMap<String, String> = items("listeners")
        .iter()
        .map(|l| {
            let service = services
                .get(&text(&l["serviceId"]))
                .cloned()
                .unwrap_or_default();
            (text(&l["id"]), format!("{service}:{}", l["port"]))
        })
        .collect();
    let mut out: Vec<String> = networks.values().map(|n| format!("network {n}")).collect();
    out.extend(services.values().map(|s| format!("service {s}")));
    out.extend(listeners.values().map(|l| format!("listener {l}")));
    for g in items("targetGroups") {
        out.push(format!("target group {}", text(&g["name"])));
        if let Some(targets) = g["targets"].as_object() {
            for t in targets.values().filter(|t| t["deregisteredAt"].is_null()) {
                out.push(format!(
                    "target {} {}:{}",
                    text(&g["name"]),
                    text(&t["id"]),
                    t["port"]
                ));
            }
        }
    }
    for r in items("rules") {
        let listener = listeners
            .get(&text(&r["listenerId"]))
            .cloned()
            .unwrap_or_default();
        // Target groups by name: ids differ between runs.
        let mut action = r["action"].clone();
        if let Some(forward) = action["forward"]["targetGroups"].as_array_mut() {
            for tg in forward {
                let id = text(&tg["targetGroupIdentifier"]);
                let name = groups.get(&id).cloned().unwrap_or(id);
                tg["targetGroupIdentifier"] = name.into();
            }
        }
        out.push(format!(
            "rule {listener} {} {} {} {action}",
            text(&r["name"]),
            r["priority"],
            r["match"]
        ));
    }
    for a in items("serviceAssociations") {
        let sn = networks
            .get(&text(&a["serviceNetworkId"]))
            .cloned()
            .unwrap_or_default();
        let svc = services
            .get(&text(&a["serviceId"]))
            .cloned()
            .unwrap_or_default();
        out.push(format!("association {svc} ↔ {sn}"));
    }
    for a in items("vpcAssociations") {
        let sn = networks
            .get(&text(&a["serviceNetworkId"]))
            .cloned()
            .unwrap_or_default();
        out.push(format!("vpc association {sn} ↔ {}", text(&a["vpcId"])));
    }
    out
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
