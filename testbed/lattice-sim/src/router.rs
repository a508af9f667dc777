//! The route table (operation name, HTTP method, URI template, success status) and the
//! request type the handlers read.
//!
//! The table is public so a test can check every route against botocore's service model.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One implemented operation of the VPC Lattice REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// The operation name, e.g. `CreateService`.
    pub operation: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The URI template, e.g. `/services/{serviceIdentifier}`.
    pub uri: &'static str,
    /// The HTTP status of a successful response.
    pub status: u16,
}

macro_rules! routes {
    ($($op:ident $m:ident $uri:literal $st:literal;)*) => {
        /// Every operation the emulator implements.
        pub const ROUTES: &[Route] = &[
            $(Route { operation: stringify!($op), method: stringify!($m), uri: $uri, status: $st },)*
        ];
    };
}

routes! {
    CreateServiceNetwork POST "/servicenetworks" 201;
    ListServiceNetworks GET "/servicenetworks" 200;
    GetServiceNetwork GET "/servicenetworks/{serviceNetworkIdentifier}" 200;
    UpdateServiceNetwork PATCH "/servicenetworks/{serviceNetworkIdentifier}" 200;
    DeleteServiceNetwork DELETE "/servicenetworks/{serviceNetworkIdentifier}" 204;
    CreateService POST "/services" 201;
    ListServices GET "/services" 200;
    GetService GET "/services/{serviceIdentifier}" 200;
    UpdateService PATCH "/services/{serviceIdentifier}" 200;
    DeleteService DELETE "/services/{serviceIdentifier}" 200;
    CreateListener POST "/services/{serviceIdentifier}/listeners" 201;
    ListListeners GET "/services/{serviceIdentifier}/listeners" 200;
    GetListener GET "/services/{serviceIdentifier}/listeners/{listenerIdentifier}" 200;
    UpdateListener PATCH "/services/{serviceIdentifier}/listeners/{listenerIdentifier}" 200;
    DeleteListener DELETE "/services/{serviceIdentifier}/listeners/{listenerIdentifier}" 204;
    CreateRule POST "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules" 201;
    ListRules GET "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules" 200;
    BatchUpdateRule PATCH "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules" 200;
    GetRule GET "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}" 200;
    UpdateRule PATCH "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}" 200;
    DeleteRule DELETE "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}" 204;
    CreateTargetGroup POST "/targetgroups" 201;
    ListTargetGroups GET "/targetgroups" 200;
    GetTargetGroup GET "/targetgroups/{targetGroupIdentifier}" 200;
    UpdateTargetGroup PATCH "/targetgroups/{targetGroupIdentifier}" 200;
    DeleteTargetGroup DELETE "/targetgroups/{targetGroupIdentifier}" 200;
    RegisterTargets POST "/targetgroups/{targetGroupIdentifier}/registertargets" 200;
    DeregisterTargets POST "/targetgroups/{targetGroupIdentifier}/deregistertargets" 200;
    ListTargets POST "/targetgroups/{targetGroupIdentifier}/listtargets" 200;
    CreateServiceNetworkServiceAssociation POST "/servicenetworkserviceassociations" 200;
    ListServiceNetworkServiceAssociations GET "/servicenetworkserviceassociations" 200;
    GetServiceNetworkServiceAssociation GET "/servicenetworkserviceassociations/{serviceNetworkServiceAssociationIdentifier}" 200;
    DeleteServiceNetworkServiceAssociation DELETE "/servicenetworkserviceassociations/{serviceNetworkServiceAssociationIdentifier}" 200;
    CreateServiceNetworkVpcAssociation POST "/servicenetworkvpcassociations" 200;
    ListServiceNetworkVpcAssociations GET "/servicenetworkvpcassociations" 200;
    GetServiceNetworkVpcAssociation GET "/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}" 200;
    UpdateServiceNetworkVpcAssociation PATCH "/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}" 200;
    DeleteServiceNetworkVpcAssociation DELETE "/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}" 200;
    PutAuthPolicy PUT "/authpolicy/{resourceIdentifier}" 200;
    GetAuthPolicy GET "/authpolicy/{resourceIdentifier}" 200;
    DeleteAuthPolicy DELETE "/authpolicy/{resourceIdentifier}" 204;
    PutResourcePolicy PUT "/resourcepolicy/{resourceArn}" 200;
    GetResourcePolicy GET "/resourcepolicy/{resourceArn}" 200;
    DeleteResourcePolicy DELETE "/resourcepolicy/{resourceArn}" 204;
    CreateAccessLogSubscription POST "/accesslogsubscriptions" 201;
    ListAccessLogSubscriptions GET "/accesslogsubscriptions" 200;
    GetAccessLogSubscription GET "/accesslogsubscriptions/{accessLogSubscriptionIdentifier}" 200;
    UpdateAccessLogSubscription PATCH "/accesslogsubscriptions/{accessLogSubscriptionIdentifier}" 200;
    DeleteAccessLogSubscription DELETE "/accesslogsubscriptions/{accessLogSubscriptionIdentifier}" 204;
    TagResource POST "/tags/{resourceArn}" 200;
    UntagResource DELETE "/tags/{resourceArn}" 200;
    ListTagsForResource GET "/tags/{resourceArn}" 200;
}

impl Route {
    /// True for operations that change nothing (`Get*`, `List*`, including the POST
    /// `ListTargets`); every other implemented operation is a write.
    pub fn is_read(&self) -> bool {
        is_read_operation(self.operation)
    }
}

/// True if `operation` (a name as counted by `call_counts`) only reads.
pub fn is_read_operation(operation: &str) -> bool {
    operation.starts_with("Get") || operation.starts_with("List")
}

/// A decoded request: URI labels, query parameters and the JSON body.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// URI labels by name, percent-decoded.
    pub labels: BTreeMap<&'static str, String>,
    /// Query parameters in order, decoded (a key may repeat, as `tagKeys` does).
    pub query: Vec<(String, String)>,
    /// The JSON body (`{}` when empty).
    pub body: Value,
}

impl Request {
    /// A URI label (always present once a route matched).
    pub fn label(&self, name: &str) -> &str {
        self.labels
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The first value of a query parameter.
    pub fn query_one(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter.
    pub fn query_all(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A request with only query parameters, for unit tests.
    pub fn for_test(q: &[(&str, &str)]) -> Self {
        Request {
            query: q
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Request::default()
        }
    }
}

/// Find the route for `method` and the raw (still percent-encoded) `path`, and decode its
/// labels. A path whose last label is an ARN may also arrive with its `/` unencoded.
pub fn find(method: &str, path: &str) -> Option<(&'static Route, BTreeMap<&'static str, String>)> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    for route in ROUTES.iter().filter(|r| r.method == method) {
        if let Some(labels) = match_template(route.uri, &segs) {
            return Some((route, labels));
        }
    }
    None
}

fn match_template(uri: &'static str, segs: &[&str]) -> Option<BTreeMap<&'static str, String>> {
    let tmpl: Vec<&'static str> = uri.trim_start_matches('/').split('/').collect();
    let greedy_tail = tmpl.last().is_some_and(|t| *t == "{resourceArn}");
    if segs.len() != tmpl.len() && !(greedy_tail && segs.len() > tmpl.len()) {
        return None;
    }
    let mut labels = BTreeMap::new();
    for (i, t) in tmpl.iter().enumerate() {
        let is_last = i + 1 == tmpl.len();
        let seg = if is_last && greedy_tail {
            segs[i..].join("/")
        } else {
            segs[i].to_string()
        };
        match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(name) => {
                let decoded = percent_encoding::percent_decode_str(&seg)
                    .decode_utf8()
                    .ok()?;
                if decoded.is_empty() {
                    return None;
                }
                labels.insert(name, decoded.into_owned());
            }
            None if *t == seg => {}
            None => return None,
        }
    }
    Some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_paths_capture_all_three_labels() {
        let (r, l) =
            find("GET", "/services/svc-1/listeners/listener-2/rules/rule-3").expect("route");
        assert_eq!(r.operation, "GetRule");
        assert_eq!(l["ruleIdentifier"], "rule-3");
        assert_eq!(l["listenerIdentifier"], "listener-2");
    }

    #[test]
    fn encoded_and_unencoded_arns_both_reach_tag_routes() {
        let enc = "/tags/arn%3Aaws%3Avpc-lattice%3Aus-west-2%3A111122223333%3Aservice%2Fsvc-1";
        let (r, l) = find("GET", enc).expect("route");
        assert_eq!(r.operation, "ListTagsForResource");
        assert!(l["resourceArn"].ends_with(":service/svc-1"));
        let raw =
            "/tags/arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1/listener/listener-1";
        let (_, l) = find("POST", raw).expect("route");
        assert!(l["resourceArn"].ends_with("/listener/listener-1"));
    }

    #[test]
    fn reads_are_gets_and_lists_and_everything_else_writes() {
        let reads: Vec<&str> = ROUTES
            .iter()
            .filter(|r| r.is_read())
            .map(|r| r.operation)
            .collect();
        assert!(reads.contains(&"ListTargets") && reads.contains(&"GetRule"));
        assert!(!is_read_operation("BatchUpdateRule") && !is_read_operation("RegisterTargets"));
        assert_eq!(reads.len(), 20, "10 Get and 10 List operations");
    }

    #[test]
    fn unknown_paths_and_methods_match_nothing() {
        assert!(find("PUT", "/services").is_none());
        assert!(find("GET", "/nope").is_none());
    }
}
