"""Builds in VPC Lattice the target group the Go controller
(aws-application-networking-k8s v2.1.3) makes for a ServiceExport, with the
calls and parameters its code makes (model_build_targetgroup.go,
target_group_manager.go), and prints it as JSON {"id", "arn", "name"}:

- name `k8s-<namespace:55>-<export:55>-<10 random letters>`, type IP;
- config: the exported port, HTTP/HTTP1, the cluster's VPC, IPv4;
- tags: ManagedBy `<account>/<cluster>/<vpc>`, ClusterName, ServiceName and
  ServiceNamespace (the export's), SourceTypeKey `ServiceExport`,
  ProtocolVersion; no route tags;
- targets: the given IPs at the given port.

usage: go_export.py ENDPOINT ACCOUNT CLUSTER VPC NAMESPACE EXPORT PORT IP...
"""
import json
import random
import string
import sys

import boto3

endpoint, account, cluster, vpc, ns, export, port = sys.argv[1:8]
ips = sys.argv[8:]
c = boto3.client("vpc-lattice", endpoint_url=endpoint, region_name="us-west-2",
                 aws_access_key_id="go-controller", aws_secret_access_key="test")
T = "application-networking.k8s.aws/"
suffix = "".join(random.choice(string.ascii_lowercase) for _ in range(10))
name = f"k8s-{ns[:55].strip('-')}-{export[:55].strip('-')}-{suffix}"
tg = c.create_target_group(
    name=name, type="IP",
    config={"port": int(port), "protocol": "HTTP", "protocolVersion": "HTTP1",
            "vpcIdentifier": vpc, "ipAddressType": "IPV4"},
    tags={T + "ManagedBy": f"{account}/{cluster}/{vpc}", T + "ClusterName": cluster,
          T + "ServiceName": export, T + "ServiceNamespace": ns,
          T + "SourceTypeKey": "ServiceExport", T + "ProtocolVersion": "HTTP1"})
if ips:
    c.register_targets(targetGroupIdentifier=tg["id"],
                       targets=[{"id": ip, "port": int(port)} for ip in ips])
print(json.dumps({"id": tg["id"], "arn": tg["arn"], "name": tg["name"]}))
