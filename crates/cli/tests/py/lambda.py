"""Prints, as JSON, where a VPC Lattice service forwards, read with boto3
(the AWS SDK for Python, not this project's client): every forward action
of its listeners (default actions included), each target group with its
weight, type, config and live targets:
[[{"name", "weight", "type", "config", "targets": [{"id", "port"?}]}]]

usage: lambda.py ENDPOINT SERVICE_NAME
"""
import json
import sys

import boto3

endpoint, name = sys.argv[1:3]
c = boto3.client("vpc-lattice", endpoint_url=endpoint, region_name="us-west-2",
                 aws_access_key_id="test", aws_secret_access_key="test")


def group(ident, weight):
    g = c.get_target_group(targetGroupIdentifier=ident)
    targets = c.list_targets(targetGroupIdentifier=ident)["items"]
    live = [{k: t[k] for k in ("id", "port") if k in t}
            for t in targets if t.get("status") != "DRAINING"]
    return {"name": g["name"], "weight": weight, "type": g["type"],
            "config": g.get("config", {}), "targets": live}


def forwards(action):
    if "forward" not in action:
        return []
    groups = action["forward"]["targetGroups"]
    return [[group(t["targetGroupIdentifier"], t.get("weight")) for t in groups]]


svc = next(s for s in c.list_services()["items"] if s["name"] == name)
out = []
for l in c.list_listeners(serviceIdentifier=svc["id"])["items"]:
    listener = c.get_listener(serviceIdentifier=svc["id"], listenerIdentifier=l["id"])
    out += forwards(listener["defaultAction"])
    for r in c.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=l["id"])["items"]:
        if r["isDefault"]:
            continue
        rule = c.get_rule(serviceIdentifier=svc["id"], listenerIdentifier=l["id"],
                          ruleIdentifier=r["id"])
        out += forwards(rule["action"])
print(json.dumps(out))
