"""Builds in VPC Lattice what the Go controller (aws-application-networking-k8s
v2.1.3) builds for the bookstore's `books` HTTPRoute and `ratings` GRPCRoute,
with the calls and parameters its code makes, and prints what it made as JSON.

- service network: as DEFAULT_SERVICE_NETWORK makes it at start
  (service_network_manager.go): ManagedBy tag, a VPC association;
- target groups (target_group_manager.go): `k8s-<ns:55>-<svc:55>-<10 random
  letters>`, type IP, config port 80 whatever the Service port, the Go tag set;
  targets every endpoint not terminating, at the EndpointSlice port;
- services (service_manager.go): `<route:20>-<ns:18>`, custom domain from the
  first hostname, ManagedBy/RouteName/RouteNamespace/RouteType tags;
  association with the service network;
- listeners (listener_manager.go): `<route:20>-<ns:18>-<port>-<protocol>`,
  404 default action; rules (rule_manager.go): `k8s-<unix time>-rule-<n>`,
  priority index + 1, one match each, weights as written.

usage: go_estate.py ENDPOINT SERVICES_YAML ACCOUNT CLUSTER VPC
"""
import json
import random
import string
import sys
import time

import boto3
import yaml

endpoint, services_yaml, account, cluster, vpc = sys.argv[1:6]
c = boto3.client("vpc-lattice", endpoint_url=endpoint, region_name="us-west-2",
                 aws_access_key_id="go-controller", aws_secret_access_key="test")
T = "application-networking.k8s.aws/"
MB = {T + "ManagedBy": f"{account}/{cluster}/{vpc}"}
NS = "bookstore"
slices = [d for d in yaml.safe_load_all(open(services_yaml)) if d and d["kind"] == "EndpointSlice"]


def trunc(s, n):
    return s[:n].strip("-")


def endpoints(svc):
    out = []
    for s in slices:
        if s["metadata"]["labels"]["kubernetes.io/service-name"] != svc:
            continue
        for e in s["endpoints"]:
            if e.get("conditions", {}).get("terminating"):
                continue
            for p in s["ports"]:
                out += [{"id": a, "port": p["port"]} for a in e["addresses"]]
    return out


def target_group(route, svc, source, version):
    suffix = "".join(random.choice(string.ascii_lowercase) for _ in range(10))
    name = f"k8s-{trunc(NS, 55)}-{trunc(svc, 55)}-{suffix}"
    config = {"port": 80, "protocol": "HTTP", "protocolVersion": version,
              "vpcIdentifier": vpc, "ipAddressType": "IPV4"}
    tags = dict(MB, **{T + "ClusterName": cluster, T + "ServiceName": svc,
                       T + "ServiceNamespace": NS, T + "SourceTypeKey": source,
                       T + "ProtocolVersion": version, T + "RouteName": route,
                       T + "RouteNamespace": NS})
    tg = c.create_target_group(name=name, type="IP", config=config, tags=tags)
    c.register_targets(targetGroupIdentifier=tg["id"], targets=endpoints(svc))
    return tg


def service(route, route_type, hostname, sn_id, port, protocol, rules):
    name = f"{trunc(route, 20)}-{trunc(NS, 18)}"
    tags = dict(MB, **{T + "RouteName": route, T + "RouteNamespace": NS, T + "RouteType": route_type})
    s = c.create_service(name=name, customDomainName=hostname, tags=tags)
    c.create_service_network_service_association(
        serviceIdentifier=s["id"], serviceNetworkIdentifier=sn_id, tags=MB)
    listener = c.create_listener(
        serviceIdentifier=s["id"], name=f"{name}-{port}-{protocol.lower()}",
        protocol=protocol, port=port, defaultAction={"fixedResponse": {"statusCode": 404}}, tags=MB)
    now = int(time.time())
    for i, (match, forward) in enumerate(rules):
        c.create_rule(
            serviceIdentifier=s["id"], listenerIdentifier=listener["id"],
            name=f"k8s-{now}-rule-{i + 1}", priority=i + 1, match={"httpMatch": match},
            action={"forward": {"targetGroups": [
                {"targetGroupIdentifier": tg["id"], "weight": w} for tg, w in forward]}},
            tags=MB)
    return s


sn = c.create_service_network(name="bookstore", tags=MB)
c.create_service_network_vpc_association(
    serviceNetworkIdentifier=sn["id"], vpcIdentifier=vpc, tags=MB)

v1 = target_group("books", "books-v1", "HTTPRoute", "HTTP1")
v2 = target_group("books", "books-v2", "HTTPRoute", "HTTP1")
books_prefix = {"pathMatch": {"match": {"prefix": "/books"}, "caseSensitive": True}}
beta = dict(books_prefix, headerMatches=[
    {"name": "x-beta", "match": {"exact": "true"}, "caseSensitive": False}])
books = service("books", "http", "books.bookstore.example.com", sn["id"], 80, "HTTP",
                [(books_prefix, [(v1, 90), (v2, 10)]), (beta, [(v2, 1)])])

ratings_tg = target_group("ratings", "ratings", "GRPCRoute", "GRPC")
get_rating = {"method": "POST", "pathMatch": {
    "match": {"exact": "/bookstore.Ratings/GetRating"}, "caseSensitive": True}}
any_rating = {"method": "POST", "pathMatch": {
    "match": {"prefix": "/bookstore.Ratings/"}, "caseSensitive": True}}
ratings = service("ratings", "grpc", "ratings.bookstore.example.com", sn["id"], 443, "HTTPS",
                  [(get_rating, [(ratings_tg, 1)]), (any_rating, [(ratings_tg, 1)])])

print(json.dumps({
    "serviceNetwork": sn["id"],
    "services": {"books": books["id"], "ratings": ratings["id"]},
    "targetGroups": {"books-v1": v1["name"], "books-v2": v2["name"], "ratings": ratings_tg["name"]},
}))
