//! Runs a kube-sim until Ctrl-C: `cargo run -p kube-sim --example serve -- [ADDR] [KUBECONFIG] [STATE_FILE]`.

use kube_sim::{KubeSim, SimOptions, write_kubeconfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:6443".into());
    let kubeconfig = args.next();
    let state_file = args.next().map(Into::into);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    if let Some(path) = kubeconfig {
        write_kubeconfig(std::path::Path::new(&path), &url)?;
    }
    println!("kube-sim listening on {url}");
    let sim = KubeSim::new(SimOptions {
        state_file,
        ..Default::default()
    })?;
    sim.serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
