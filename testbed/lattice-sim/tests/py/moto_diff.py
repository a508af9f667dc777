"""Send the same sequence of VPC Lattice calls to lattice-sim and to moto's server, and
compare response shapes (key paths) and error codes (and HTTP statuses) call by call.

Usage: moto_diff.py SIM_URL MOTO_URL. Prints one JSON object:
{"compared": N, "disagreements": [{"label", "kind", "sim", "moto"}...]}.
Which side is right for each known disagreement is recorded in the crate's README.md.
"""
import json
import re
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

VPC = "vpc-0123456789abcdef0"
# The id patterns of the botocore model, e.g. ServiceId `svc-[0-9a-z]{17}`.
ID_PATTERN = re.compile(r"(sn|svc|tg|listener|rule|snsa|snva|als)-[0-9a-z]{17}")
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]})


def client(url):
    return boto3.client(
        "vpc-lattice", endpoint_url=url, region_name="us-west-2",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def paths(v, prefix=""):
    """The set of key paths in a response (list items merged under `[]`). A member whose
    value is null counts as absent: both SDKs treat it so, and AWS omits such members."""
    out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            if x is None:
                continue
            p = f"{prefix}.{k}" if prefix else k
            out.add(p)
            out |= paths(x, p)
    elif isinstance(v, list):
        for x in v:
            out |= paths(x, prefix + "[]")
    return out


class Recorder:
    def __init__(self, c):
        self.c = c
        self.results = {}

    def call(self, label, op, **kw):
        try:
            r = getattr(self.c, op)(**kw)
        except ClientError as e:
            self.results[label] = {"error": e.response["Error"]["Code"],
                                   "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
            return None
        status = r.pop("ResponseMetadata", {}).get("HTTPStatusCode")
        found = paths(r)
        if isinstance(r.get("id"), str) and ID_PATTERN.fullmatch(r["id"]):
            found.add("id~matches-model-pattern")
        self.results[label] = {"paths": sorted(found), "status": status}
        return r


def get(r, key, default="missing-0123456789abcde"):
    return r[key] if r and key in r else default


def scenario(c):
    rec = Recorder(c)
    sn = rec.call("CreateServiceNetwork", "create_service_network", name="diff-net", tags={"k": "v"})
    sn_id, sn_arn = get(sn, "id", "sn-0123456789abcdef0"), get(sn, "arn")
    rec.call("CreateServiceNetwork duplicate name", "create_service_network", name="diff-net")
    rec.call("GetServiceNetwork", "get_service_network", serviceNetworkIdentifier=sn_id)
    rec.call("GetServiceNetwork missing", "get_service_network", serviceNetworkIdentifier="sn-0123456789abcdef0")
    rec.call("ListServiceNetworks", "list_service_networks")
    svc = rec.call("CreateService", "create_service", name="diff-svc", authType="AWS_IAM")
    svc_id, svc_arn = get(svc, "id", "svc-0123456789abcdef0"), get(svc, "arn")
    rec.call("CreateService invalid name", "create_service", name="svc-Bad--name")
    rec.call("GetService", "get_service", serviceIdentifier=svc_id)
    rec.call("GetService missing", "get_service", serviceIdentifier="svc-0123456789abcdef0")
    rec.call("ListServices", "list_services")
    rec.call("ListServices page", "list_services", maxResults=1)
    tg = rec.call("CreateTargetGroup", "create_target_group", name="diff-tg", type="IP",
                  config={"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC})
    tg_id = get(tg, "id", "tg-0123456789abcdef0")
    rec.call("GetTargetGroup", "get_target_group", targetGroupIdentifier=tg_id)
    rec.call("GetTargetGroup missing", "get_target_group", targetGroupIdentifier="tg-0123456789abcdef0")
    rec.call("ListTargetGroups", "list_target_groups")
    action = {"forward": {"targetGroups": [{"targetGroupIdentifier": tg_id, "weight": 1}]}}
    lst = rec.call("CreateListener", "create_listener", serviceIdentifier=svc_id, name="diff-http",
                   protocol="HTTP", port=80, defaultAction=action)
    lst_id = get(lst, "id", "listener-0123456789abcdef0")
    rec.call("GetListener", "get_listener", serviceIdentifier=svc_id, listenerIdentifier=lst_id)
    rec.call("ListListeners", "list_listeners", serviceIdentifier=svc_id)
    rec.call("CreateRule", "create_rule", serviceIdentifier=svc_id, listenerIdentifier=lst_id, name="diff-rule",
             priority=10, match={"httpMatch": {"pathMatch": {"match": {"prefix": "/x"}}}}, action=action)
    rec.call("CreateRule priority out of range", "create_rule", serviceIdentifier=svc_id, listenerIdentifier=lst_id,
             name="diff-rule-2", priority=2001, match={"httpMatch": {"pathMatch": {"match": {"prefix": "/y"}}}},
             action=action)
    snsa = rec.call("CreateServiceNetworkServiceAssociation", "create_service_network_service_association",
                    serviceNetworkIdentifier=sn_id, serviceIdentifier=svc_id)
    rec.call("GetServiceNetworkServiceAssociation", "get_service_network_service_association",
             serviceNetworkServiceAssociationIdentifier=get(snsa, "id", "snsa-0123456789abcdef0"))
    rec.call("ListServiceNetworkServiceAssociations", "list_service_network_service_associations",
             serviceNetworkIdentifier=sn_id)
    rec.call("CreateServiceNetworkVpcAssociation", "create_service_network_vpc_association",
             serviceNetworkIdentifier=sn_id, vpcIdentifier=VPC, securityGroupIds=["sg-0123456789abcdef0"])
    rec.call("ListServiceNetworkVpcAssociations", "list_service_network_vpc_associations",
             serviceNetworkIdentifier=sn_id)
    rec.call("PutAuthPolicy", "put_auth_policy", resourceIdentifier=svc_id, policy=POLICY)
    rec.call("GetAuthPolicy", "get_auth_policy", resourceIdentifier=svc_id)
    rec.call("DeleteAuthPolicy", "delete_auth_policy", resourceIdentifier=svc_id)
    rec.call("GetAuthPolicy after delete", "get_auth_policy", resourceIdentifier=svc_id)
    rec.call("DeleteAuthPolicy again", "delete_auth_policy", resourceIdentifier=svc_id)
    rec.call("PutResourcePolicy", "put_resource_policy", resourceArn=sn_arn, policy=POLICY)
    rec.call("GetResourcePolicy", "get_resource_policy", resourceArn=sn_arn)
    rec.call("DeleteResourcePolicy", "delete_resource_policy", resourceArn=sn_arn)
    rec.call("GetResourcePolicy after delete", "get_resource_policy", resourceArn=sn_arn)
    als = rec.call("CreateAccessLogSubscription", "create_access_log_subscription", resourceIdentifier=sn_id,
                   destinationArn="arn:aws:s3:::diff-log-bucket")
    als_id = get(als, "id", "als-0123456789abcdef0")
    rec.call("GetAccessLogSubscription", "get_access_log_subscription", accessLogSubscriptionIdentifier=als_id)
    rec.call("ListAccessLogSubscriptions", "list_access_log_subscriptions", resourceIdentifier=sn_id)
    rec.call("UpdateAccessLogSubscription", "update_access_log_subscription", accessLogSubscriptionIdentifier=als_id,
             destinationArn="arn:aws:s3:::diff-log-bucket-2")
    rec.call("DeleteAccessLogSubscription", "delete_access_log_subscription", accessLogSubscriptionIdentifier=als_id)
    rec.call("GetAccessLogSubscription after delete", "get_access_log_subscription",
             accessLogSubscriptionIdentifier=als_id)
    rec.call("TagResource", "tag_resource", resourceArn=svc_arn, tags={"a": "1", "b": "2"})
    rec.call("UntagResource", "untag_resource", resourceArn=svc_arn, tagKeys=["a"])
    rec.call("ListTagsForResource", "list_tags_for_resource", resourceArn=svc_arn)
    return rec.results


def main(sim_url, moto_url):
    sim, moto = scenario(client(sim_url)), scenario(client(moto_url))
    out = []
    for label in sim:
        s, m = sim[label], moto[label]
        if ("error" in s) != ("error" in m):
            out.append({"label": label, "kind": "outcome", "sim": s, "moto": m})
        elif "error" in s:
            if s != m:
                out.append({"label": label, "kind": "error", "sim": s, "moto": m})
        else:
            only_sim = sorted(set(s["paths"]) - set(m["paths"]))
            only_moto = sorted(set(m["paths"]) - set(s["paths"]))
            if only_sim or only_moto or s["status"] != m["status"]:
                out.append({"label": label, "kind": "shape",
                            "sim": {"status": s["status"], "only_here": only_sim},
                            "moto": {"status": m["status"], "only_here": only_moto}})
    print(json.dumps({"compared": len(sim), "disagreements": out}, indent=1, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
