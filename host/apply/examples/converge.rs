//! `cargo run --release -p lattice-apply --example converge -- [ROUTES] [LATENCY_MS] [CONCURRENCY]`
//! prints the converge benchmark's JSON.

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let routes = args.first().copied().unwrap_or(1000) as usize;
    let latency = args.get(1).copied().unwrap_or(10);
    let concurrency = args.get(2).copied().unwrap_or(64) as usize;
    let f = lattice_apply::bench::converge(routes, latency, concurrency).await;
    println!("{}", serde_json::to_string(&f).unwrap_or_default());
}
