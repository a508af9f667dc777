//! Runs a kube-sim until Ctrl-C:
//! `cargo run -p kube-sim --example serve -- [ADDR] [KUBECONFIG] [STATE_FILE]`.
//! Set `KUBE_SIM_TLS=1` to serve HTTPS with a generated CA (written into the kubeconfig).

use kube_sim::{KubeSim, SelfSigned, SimOptions, write_kubeconfig_with_ca};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:6443".into());
    let kubeconfig = args.next();
    let state_file = args.next().map(Into::into);
    let tls = std::env::var("KUBE_SIM_TLS").is_ok_and(|v| v == "1");
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let cert = if tls {
        Some(SelfSigned::generate(&[])?)
    } else {
        None
    };
    let scheme = if tls { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr()?);
    if let Some(path) = kubeconfig {
        write_kubeconfig_with_ca(
            std::path::Path::new(&path),
            &url,
            cert.as_ref().map(SelfSigned::ca_pem),
        )?;
    }
    println!("kube-sim listening on {url}");
    let sim = KubeSim::new(SimOptions {
        state_file,
        ..Default::default()
    })?;
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match &cert {
        Some(c) => sim.serve_tls(listener, c, stop).await?,
        None => sim.serve(listener, stop).await?,
    }
    Ok(())
}
