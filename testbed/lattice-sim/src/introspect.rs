//! The `/_sim/…` HTTP endpoints: call counts, state dump, faults, quotas and the route
//! table. Lattice's own URIs never start with `/_sim`.
//!
//! | method | path | effect |
//! |---|---|---|
//! | GET | `/_sim/calls` | calls per operation |
//! | DELETE | `/_sim/calls` | reset the counters |
//! | GET | `/_sim/state` | the state dump |
//! | GET / PUT / DELETE | `/_sim/faults` | read / replace / clear the fault rules |
//! | GET / PUT | `/_sim/quotas` | read / replace the quotas |
//! | GET | `/_sim/routes` | the implemented routes |

use crate::config::Quotas;
use crate::faults::FaultRules;
use crate::router::ROUTES;
use crate::server::LatticeSim;
use serde_json::{Value, json};

/// Answer one `/_sim/…` request with a status and a JSON body.
pub fn handle(sim: &LatticeSim, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    match (method, path.trim_end_matches('/')) {
        ("GET", "/_sim/calls") => (200, json!(sim.call_counts())),
        ("DELETE", "/_sim/calls") => {
            sim.reset_call_counts();
            (200, json!({}))
        }
        ("GET", "/_sim/state") => (200, sim.state_dump()),
        ("GET", "/_sim/faults") => (200, json!(sim.faults())),
        ("PUT", "/_sim/faults") | ("POST", "/_sim/faults") => {
            match serde_json::from_slice::<FaultRules>(body) {
                Ok(rules) => {
                    sim.set_faults(rules);
                    (200, json!(sim.faults()))
                }
                Err(e) => (400, json!({"message": format!("invalid fault rules: {e}")})),
            }
        }
        ("DELETE", "/_sim/faults") => {
            sim.set_faults(FaultRules::new());
            (200, json!({}))
        }
        ("GET", "/_sim/quotas") => (200, json!(sim.config().quotas)),
        ("PUT", "/_sim/quotas") => match serde_json::from_slice::<Quotas>(body) {
            Ok(q) => {
                sim.set_quotas(q);
                (200, json!(sim.config().quotas))
            }
            Err(e) => (400, json!({"message": format!("invalid quotas: {e}")})),
        },
        ("GET", "/_sim/routes") => (200, json!(ROUTES)),
        _ => (
            404,
            json!({"message": format!("no such endpoint {method} {path}")}),
        ),
    }
}
