//! `lattice-host crds`: the CRDs generated from the Rust types (checked in
//! under `deploy/crds/`, one file per API group; a test keeps the two in step).

use clap::Args;
use lattice_core::crds;

/// `crds` arguments.
#[derive(Debug, Args)]
pub struct CrdsArgs {
    /// Also the Gateway API kinds the controller reads (for clusters
    /// without them, such as `sim kube`).
    #[arg(long)]
    gateway_api: bool,
    /// Only the project's CRDs of this API group, as checked in under
    /// `deploy/crds/<group>.yaml`.
    #[arg(long, value_name = "GROUP")]
    group: Option<String>,
}

/// Prints the CRDs as multi-document YAML.
pub fn run(args: CrdsArgs) -> anyhow::Result<()> {
    let mut all = Vec::new();
    if args.gateway_api {
        all.extend(crds::gateway_api());
    }
    match &args.group {
        Some(group) => {
            let Some(of_group) = crds::project_by_group().remove(group) else {
                anyhow::bail!("no CRDs of group {group:?}");
            };
            all.extend(of_group);
        }
        None => all.extend(crds::project()),
    }
    print!("{}", crds::to_yaml(&all)?);
    Ok(())
}
