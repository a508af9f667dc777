"""Reads VPC Lattice with boto3 and checks it holds exactly the plan.

usage: lattice_equals_plan.py ENDPOINT PLAN.json
Prints one line per difference and exits 1 if there is any.
"""
import json
import sys

import boto3

endpoint, plan_path = sys.argv[1], sys.argv[2]
plan = json.load(open(plan_path))
c = boto3.client("vpc-lattice", endpoint_url=endpoint, region_name="us-west-2",
                 aws_access_key_id="test", aws_secret_access_key="test")


def items(op, key="items", **kw):
    out = []
    for page in c.get_paginator(op).paginate(**kw):
        out.extend(page[key])
    return out


problems = []
tgs = {t["name"]: t for t in items("list_target_groups")}
tg_by_id = {t["id"]: t["name"] for t in tgs.values()}
tg_by_id.update({t["arn"]: t["name"] for t in tgs.values()})

for want in plan["targetGroups"]:
    got = tgs.get(want["name"])
    if got is None:
        problems.append(f"target group {want['name']} missing")
        continue
    if "healthCheck" in want:
        held = c.get_target_group(targetGroupIdentifier=got["id"])["config"].get("healthCheck", {})
        held = dict(held, httpCode=held.get("matcher", {}).get("httpCode"))
        differ = {k: (held.get(k), v) for k, v in want["healthCheck"].items() if held.get(k) != v}
        if differ:
            problems.append(f"target group {want['name']}: health check (lattice, plan) {differ}")
    targets = {(t["id"], t["port"]) for t in items("list_targets", targetGroupIdentifier=got["id"])}
    wanted = {(t["ip"], t["port"]) for t in want["targets"]}
    if targets != wanted:
        problems.append(f"target group {want['name']}: targets {sorted(targets)} != {sorted(wanted)}")
extra = set(tgs) - {t["name"] for t in plan["targetGroups"]}
if extra:
    problems.append(f"target groups not in the plan: {sorted(extra)}")


def action(a):
    if "fixedResponse" in a:
        return ("fixed", a["fixedResponse"]["statusCode"])
    return ("forward", tuple(sorted((tg_by_id.get(t["targetGroupIdentifier"], t["targetGroupIdentifier"]),
                                      t.get("weight", 1)) for t in a["forward"]["targetGroups"])))


def plan_action(a):
    if "fixedResponse" in a:
        return ("fixed", a["fixedResponse"])
    return ("forward", tuple(sorted((t["targetGroup"], t["weight"]) for t in a["forward"])))


def plan_match(m):
    path = m.get("path")
    return (m.get("method"), (path["type"], path["value"]) if path else None,
            tuple(sorted((h["name"], h["value"]) for h in m.get("headers", []))))


def lattice_match(m):
    h = m["httpMatch"]
    pm = h.get("pathMatch", {}).get("match")
    path = (next(iter(pm)), next(iter(pm.values()))) if pm else None
    headers = tuple(sorted((x["name"], next(iter(x["match"].values()))) for x in h.get("headerMatches", [])))
    return (h.get("method"), path, headers)


services = {s["name"]: s for s in items("list_services")}
for want in plan["services"]:
    got = services.get(want["name"])
    if got is None:
        problems.append(f"service {want['name']} missing")
        continue
    listeners = {(l["port"], l["protocol"]): l for l in items("list_listeners", serviceIdentifier=got["id"])}
    for wl in want["listeners"]:
        gl = listeners.get((wl["port"], wl["protocol"]))
        if gl is None:
            problems.append(f"{want['name']}: listener {wl['protocol']}:{wl['port']} missing")
            continue
        rules = [r for r in items("list_rules", serviceIdentifier=got["id"], listenerIdentifier=gl["id"])
                 if not r.get("isDefault")]
        got_rules = set()
        for r in rules:
            d = c.get_rule(serviceIdentifier=got["id"], listenerIdentifier=gl["id"], ruleIdentifier=r["id"])
            got_rules.add((d["priority"], lattice_match(d["match"]), action(d["action"])))
        want_rules = {(r["priority"], plan_match(r["match"]), plan_action(r["action"])) for r in wl["rules"]}
        if got_rules != want_rules:
            problems.append(f"{want['name']} {wl['protocol']}:{wl['port']}: rules differ:\n  lattice {sorted(got_rules)}\n  plan    {sorted(want_rules)}")
extra = set(services) - {s["name"] for s in plan["services"]}
if extra:
    problems.append(f"services not in the plan: {sorted(extra)}")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
