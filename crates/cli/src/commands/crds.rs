//! `lattice-host crds`: the CRDs generated from the Rust types (checked in
//! under `deploy/crds/`; a test keeps the two in step).

use clap::Args;
use lattice_core::crds;

/// `crds` arguments.
#[derive(Debug, Args)]
pub struct CrdsArgs {
    /// Also the Gateway API kinds the controller reads (for clusters
    /// without them, such as `sim kube`).
    #[arg(long)]
    gateway_api: bool,
}

/// Prints the CRDs as multi-document YAML.
pub fn run(args: CrdsArgs) -> anyhow::Result<()> {
    let mut all = Vec::new();
    if args.gateway_api {
        all.extend(crds::gateway_api());
    }
    all.extend(crds::project());
    print!("{}", crds::to_yaml(&all)?);
    Ok(())
}
