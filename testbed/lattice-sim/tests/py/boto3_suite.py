"""Drive every operation lattice-sim implements through boto3, checking results, error
codes, pagination, quotas and injected faults; every raw response body is also checked
against botocore's output and error shapes. Usage: boto3_suite.py ENDPOINT_URL.
Exits non-zero on the first failure."""
import json
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"}]})
VPC = "vpc-0123456789abcdef0"


def client(url):
    return boto3.client(
        "vpc-lattice", endpoint_url=url, region_name="us-west-2",
        aws_access_key_id="AKIDLATTICESIM", aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


PROBLEMS = []
CHECKED = []


def check_value(shape, value, path):
    """Check a raw JSON value against a botocore shape: no member the model lacks, the
    right JSON types, required members present."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            PROBLEMS.append(f"{path}: expected an object, got {value!r}")
            return
        by_name = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items()
                   if m.serialization.get("location") in (None, "body")}
        for k, v in value.items():
            if k not in by_name:
                if not (path.endswith("<error>") and k in ("__type", "code")):
                    PROBLEMS.append(f"{path}.{k}: not a member of {shape.name}")
                continue
            check_value(by_name[k][1], v, f"{path}.{k}")
        if shape.metadata.get("union") and len(value) != 1:
            PROBLEMS.append(f"{path}: union {shape.name} must have exactly one member")
        for req in shape.required_members:
            loc = shape.members[req].serialization.get("location")
            if loc in (None, "body") and req not in value and not path.endswith("<error>"):
                PROBLEMS.append(f"{path}: required member {req} missing")
    elif t == "list":
        if not isinstance(value, list):
            PROBLEMS.append(f"{path}: expected a list")
            return
        for i, v in enumerate(value):
            check_value(shape.member, v, f"{path}[{i}]")
    elif t == "map":
        if not isinstance(value, dict):
            PROBLEMS.append(f"{path}: expected a map")
            return
        for k, v in value.items():
            check_value(shape.value, v, f"{path}[{k}]")
    elif t == "string" or t == "timestamp":
        if not isinstance(value, str):
            PROBLEMS.append(f"{path}: expected a string, got {value!r}")
        elif t == "string" and shape.enum and value not in shape.enum:
            PROBLEMS.append(f"{path}: {value!r} not in enum {shape.name}")
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            PROBLEMS.append(f"{path}: expected an integer, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            PROBLEMS.append(f"{path}: expected a boolean, got {value!r}")


def check_response(http_response, parsed, model, **_):
    """botocore `after-call` hook: check every raw response body against the model."""
    body = http_response.content
    status = http_response.status_code
    name = model.name
    CHECKED.append(name)
    if status == 204:
        if body:
            PROBLEMS.append(f"{name}: 204 with a body")
        return
    if status != model.http.get("responseCode", 200) and status < 300:
        PROBLEMS.append(f"{name}: status {status}, model says {model.http.get('responseCode', 200)}")
    try:
        raw = json.loads(body or b"{}")
    except ValueError:
        PROBLEMS.append(f"{name}: body is not JSON")
        return
    if status >= 300:
        code = http_response.headers.get("x-amzn-errortype", "")
        shape = model.service_model.shape_for(code) if code in model.service_model.shape_names else None
        if shape is None or code not in [e.name for e in model.error_shapes]:
            PROBLEMS.append(f"{name}: error {code!r} is not an error of this operation")
        else:
            check_value(shape, raw, f"{name}<error>")
            for req in shape.required_members:
                if shape.members[req].serialization.get("location") in (None, "body") and req not in raw:
                    PROBLEMS.append(f"{name}: error {code} lacks required member {req}")
        return
    if model.output_shape is not None:
        check_value(model.output_shape, raw, name)


def sim_put(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="PUT")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200, r.status


def error_of(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response
    raise AssertionError(f"{fn.__name__} succeeded but should have failed")


def expect(code, fn, **kw):
    got, resp = error_of(fn, **kw)
    assert got == code, f"{fn.__name__}: expected {code}, got {got}: {resp}"
    return resp


def fwd(*tgs):
    return {"forward": {"targetGroups": [{"targetGroupIdentifier": t, "weight": 1} for t in tgs]}}


def main(url):
    c = client(url)
    c.meta.events.register("after-call.vpc-lattice", check_response)
    # Service networks
    sn = c.create_service_network(name="boto-net", authType="AWS_IAM", tags={"k": "v"})
    assert sn["id"].startswith("sn-") and len(sn["id"]) == 20, sn
    assert sn["ResponseMetadata"]["HTTPStatusCode"] == 201
    expect("ConflictException", c.create_service_network, name="boto-net")
    expect("ValidationException", c.create_service_network, name="-bad")
    assert c.get_service_network(serviceNetworkIdentifier=sn["arn"])["name"] == "boto-net"
    assert c.update_service_network(serviceNetworkIdentifier=sn["id"], authType="NONE")["authType"] == "NONE"
    assert len(c.list_service_networks()["items"]) == 1
    # Services and pagination
    svcs = [c.create_service(name=f"boto-svc-{i}") for i in range(5)]
    assert all(s["status"] == "ACTIVE" for s in svcs)
    page = c.list_services(maxResults=2)
    assert len(page["items"]) == 2 and "nextToken" in page, page
    names = [s["name"] for p in c.get_paginator("list_services").paginate(PaginationConfig={"PageSize": 2})
             for s in p["items"]]
    assert names == [f"boto-svc-{i}" for i in range(5)], names
    expect("ValidationException", c.list_services, nextToken="not-a-token")
    svc = svcs[0]
    assert c.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM")["authType"] == "AWS_IAM"
    assert c.get_service(serviceIdentifier=svc["arn"])["dnsEntry"]["domainName"]
    missing = expect("ResourceNotFoundException", c.get_service, serviceIdentifier="svc-0123456789abcdef0")
    assert missing["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert missing.get("resourceId") == "svc-0123456789abcdef0", missing
    # Target groups and targets
    tg = c.create_target_group(name="boto-tg", type="IP",
                               config={"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC})
    tg2 = c.create_target_group(name="boto-tg2", type="IP",
                                config={"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC})
    expect("ConflictException", c.create_target_group, name="boto-tg", type="LAMBDA")
    assert c.get_target_group(targetGroupIdentifier=tg["arn"])["config"]["port"] == 80
    up = c.update_target_group(targetGroupIdentifier=tg["id"], healthCheck={"enabled": False})
    assert up["config"]["healthCheck"]["enabled"] is False
    # An update lays its fields over the health check the group holds.
    c.update_target_group(targetGroupIdentifier=tg["id"],
                          healthCheck={"path": "/ready", "matcher": {"httpCode": "200-299"}})
    hc = c.get_target_group(targetGroupIdentifier=tg["id"])["config"]["healthCheck"]
    assert hc["path"] == "/ready" and hc["matcher"] == {"httpCode": "200-299"}, hc
    assert hc["enabled"] is False and hc["healthCheckIntervalSeconds"] == 30, hc
    assert len(c.list_target_groups(vpcIdentifier=VPC)["items"]) == 2
    reg = c.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.1"}, {"id": "10.0.0.2"}])
    assert len(reg["successful"]) == 2 and not reg["unsuccessful"], reg
    assert {t["status"] for t in c.list_targets(targetGroupIdentifier=tg["id"])["items"]} == {"UNUSED"}
    # Listeners and rules
    lst = c.create_listener(serviceIdentifier=svc["id"], name="boto-http", protocol="HTTP", port=80,
                            defaultAction=fwd(tg["id"]))
    assert lst["id"].startswith("listener-")
    expect("ConflictException", c.create_listener, serviceIdentifier=svc["id"], name="boto-http2",
           protocol="HTTP", port=80, defaultAction=fwd(tg["id"]))
    assert {t["status"] for t in c.list_targets(targetGroupIdentifier=tg["id"])["items"]} == {"UNAVAILABLE"}
    c.update_listener(serviceIdentifier=svc["id"], listenerIdentifier=lst["id"], defaultAction=fwd(tg2["id"]))
    assert c.get_listener(serviceIdentifier=svc["id"], listenerIdentifier=lst["arn"])["defaultAction"] == fwd(tg2["id"])
    assert len(c.list_listeners(serviceIdentifier=svc["id"])["items"]) == 1
    match = {"httpMatch": {"pathMatch": {"match": {"prefix": "/a"}}}}
    base = dict(serviceIdentifier=svc["id"], listenerIdentifier=lst["id"])
    r1 = c.create_rule(**base, name="boto-r1", priority=1, match=match, action=fwd(tg["id"]))
    r2 = c.create_rule(**base, name="boto-r2", priority=2, match=match, action={"fixedResponse": {"statusCode": 404}})
    expect("ConflictException", c.create_rule, **base, name="boto-r3", priority=1, match=match, action=fwd(tg["id"]))
    resp = expect("ValidationException", c.create_rule, **base, name="boto-r4", priority=2001, match=match,
                  action=fwd(tg["id"]))
    assert resp.get("fieldList") and resp["fieldList"][0]["name"] == "priority", resp
    expect("ValidationException", c.create_rule, **base, name="boto-r5", priority=5, match=match,
           action=fwd(*([tg["id"]] * 11)))
    headers = [{"name": "x", "match": {"exact": "1"}}] * 6
    expect("ValidationException", c.create_rule, **base, name="boto-r6", priority=6,
           match={"httpMatch": {"headerMatches": headers}}, action=fwd(tg["id"]))
    swap = c.batch_update_rule(**base, rules=[{"ruleIdentifier": r1["id"], "priority": 2},
                                              {"ruleIdentifier": r2["arn"], "priority": 1}])
    assert len(swap["successful"]) == 2 and not swap["unsuccessful"], swap
    assert c.get_rule(**base, ruleIdentifier=r1["id"])["priority"] == 2
    assert c.update_rule(**base, ruleIdentifier=r1["id"], priority=3)["priority"] == 3
    rules = c.list_rules(**base)["items"]
    assert len(rules) == 3 and sum(1 for r in rules if r["isDefault"]) == 1, rules
    expect("ConflictException", c.delete_target_group, targetGroupIdentifier=tg["id"])
    c.delete_rule(**base, ruleIdentifier=r1["id"])
    expect("ResourceNotFoundException", c.get_rule, **base, ruleIdentifier=r1["id"])
    # Associations
    snsa = c.create_service_network_service_association(serviceNetworkIdentifier=sn["id"], serviceIdentifier=svc["id"])
    assert snsa["id"].startswith("snsa-") and snsa["ResponseMetadata"]["HTTPStatusCode"] == 200
    expect("ConflictException", c.create_service_network_service_association,
           serviceNetworkIdentifier=sn["id"], serviceIdentifier=svc["id"])
    assert c.get_service_network_service_association(
        serviceNetworkServiceAssociationIdentifier=snsa["id"])["serviceName"] == svc["name"]
    assert len(c.list_service_network_service_associations(serviceIdentifier=svc["id"])["items"]) == 1
    snva = c.create_service_network_vpc_association(serviceNetworkIdentifier=sn["id"], vpcIdentifier=VPC)
    assert snva["id"].startswith("snva-")
    c.update_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=snva["id"],
                                             securityGroupIds=["sg-0123456789abcdef0"])
    got = c.get_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=snva["arn"])
    assert got["securityGroupIds"] == ["sg-0123456789abcdef0"], got
    assert len(c.list_service_network_vpc_associations(vpcIdentifier=VPC)["items"]) == 1
    # The list calls' models have no ResourceNotFoundException: unknown filters match nothing.
    unknown_sn = "sn-0123456789abcdef0"
    assert c.list_service_network_service_associations(serviceNetworkIdentifier=unknown_sn)["items"] == []
    assert c.list_service_network_vpc_associations(serviceNetworkIdentifier=unknown_sn)["items"] == []
    assert c.list_access_log_subscriptions(resourceIdentifier=unknown_sn)["items"] == []
    expect("ConflictException", c.delete_service_network, serviceNetworkIdentifier=sn["id"])
    expect("ConflictException", c.delete_service, serviceIdentifier=svc["id"])
    # Policies
    assert c.put_auth_policy(resourceIdentifier=svc["id"], policy=POLICY)["state"] == "Active"
    assert c.get_auth_policy(resourceIdentifier=svc["arn"])["policy"] == POLICY
    c.delete_auth_policy(resourceIdentifier=svc["id"])
    expect("ResourceNotFoundException", c.get_auth_policy, resourceIdentifier=svc["id"])
    c.put_resource_policy(resourceArn=sn["arn"], policy=POLICY)
    assert c.get_resource_policy(resourceArn=sn["arn"])["policy"] == POLICY
    c.delete_resource_policy(resourceArn=sn["arn"])
    # Access logs
    als = c.create_access_log_subscription(resourceIdentifier=sn["id"], destinationArn="arn:aws:s3:::boto-logs")
    assert als["id"].startswith("als-")
    expect("ConflictException", c.create_access_log_subscription, resourceIdentifier=sn["id"],
           destinationArn="arn:aws:s3:::boto-logs-2")
    c.update_access_log_subscription(accessLogSubscriptionIdentifier=als["id"], destinationArn="arn:aws:s3:::boto-logs-three")
    assert c.get_access_log_subscription(accessLogSubscriptionIdentifier=als["arn"])["destinationArn"] == "arn:aws:s3:::boto-logs-three"
    assert len(c.list_access_log_subscriptions(resourceIdentifier=sn["arn"])["items"]) == 1
    c.delete_access_log_subscription(accessLogSubscriptionIdentifier=als["id"])
    # Tags
    c.tag_resource(resourceArn=lst["arn"], tags={"a": "1", "b": "2"})
    c.untag_resource(resourceArn=lst["arn"], tagKeys=["a"])
    assert c.list_tags_for_resource(resourceArn=lst["arn"])["tags"] == {"b": "2"}
    assert c.list_tags_for_resource(resourceArn=sn["arn"])["tags"] == {"k": "v"}
    # Teardown in dependency order
    c.delete_service_network_service_association(serviceNetworkServiceAssociationIdentifier=snsa["id"])
    c.delete_service_network_vpc_association(serviceNetworkVpcAssociationIdentifier=snva["id"])
    c.deregister_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.1"}, {"id": "10.0.0.2"}])
    c.delete_listener(serviceIdentifier=svc["id"], listenerIdentifier=lst["id"])
    assert c.delete_service(serviceIdentifier=svc["id"])["status"] == "DELETE_IN_PROGRESS"
    assert c.delete_target_group(targetGroupIdentifier=tg["id"])["status"] == "DELETE_IN_PROGRESS"
    c.delete_service_network(serviceNetworkIdentifier=sn["id"])
    # Quotas and injected faults, set through the sim's own endpoints.
    sim_put(url, "/_sim/quotas", {"services": 4})
    resp = expect("ServiceQuotaExceededException", c.create_service, name="over-quota")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 402 and resp.get("quotaCode"), resp
    sim_put(url, "/_sim/faults", {"ListServices": {"throttleRate": 1.0}, "GetService": {"errorRate": 1.0}})
    assert expect("ThrottlingException", c.list_services)["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert expect("InternalServerException", c.get_service, serviceIdentifier=svcs[1]["id"])[
        "ResponseMetadata"]["HTTPStatusCode"] == 500
    sim_put(url, "/_sim/faults", {})
    assert len(CHECKED) >= 70, f"the response check ran only {len(CHECKED)} times"
    assert not PROBLEMS, "responses that do not fit the botocore model:\n" + "\n".join(PROBLEMS)
    print(f"boto3 suite: ok ({len(CHECKED)} responses checked against the model)")


if __name__ == "__main__":
    main(sys.argv[1])
