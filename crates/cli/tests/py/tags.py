"""Prints, as JSON, the tags VPC Lattice holds on a service and its parts,
read with boto3 (the AWS SDK for Python, not this project's client):
{"service": {...}, "associations": [{...}], "listeners": [{...}], "rules": [{...}]}.

usage: tags.py ENDPOINT SERVICE_NAME
"""
import json
import sys

import boto3

endpoint, name = sys.argv[1:3]
c = boto3.client("vpc-lattice", endpoint_url=endpoint, region_name="us-west-2",
                 aws_access_key_id="test", aws_secret_access_key="test")


def tags(arn):
    return c.list_tags_for_resource(resourceArn=arn)["tags"]


svc = next(s for s in c.list_services()["items"] if s["name"] == name)
out = {"service": tags(svc["arn"]), "associations": [], "listeners": [], "rules": []}
assocs = c.list_service_network_service_associations(serviceIdentifier=svc["id"])
out["associations"] = [tags(a["arn"]) for a in assocs["items"]]
for l in c.list_listeners(serviceIdentifier=svc["id"])["items"]:
    out["listeners"].append(tags(l["arn"]))
    rules = c.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=l["id"])["items"]
    out["rules"] += [tags(r["arn"]) for r in rules if not r["isDefault"]]
print(json.dumps(out))
