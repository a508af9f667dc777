"""Print the HTTP bindings of every vpc-lattice operation in botocore's service model.

Output: one JSON object {operation: {"method", "uri", "status", "input": {member: location}}}.
Used by tests/botocore_routes.rs; needs only botocore (installed with boto3).
"""
import json

import botocore.session

model = botocore.session.get_session().get_service_model("vpc-lattice")
out = {}
for name in model.operation_names:
    op = model.operation_model(name)
    http = op.http
    members = {}
    if op.input_shape is not None:
        for m, shape in op.input_shape.members.items():
            loc = shape.serialization.get("location", "body")
            members[m] = {
                "location": loc,
                "name": shape.serialization.get("name", m),
                "required": m in op.input_shape.required_members,
            }
    out[name] = {
        "method": http["method"],
        "uri": http["requestUri"],
        "status": http.get("responseCode", 200),
        "input": members,
        "model_file": model.metadata.get("uid"),
    }
print(json.dumps(out))
