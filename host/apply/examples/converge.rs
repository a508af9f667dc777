//! `cargo run --release -p lattice-apply --example converge -- [ROUTES] [LATENCY_MS] [CONCURRENCY]`
//! prints the converge benchmark's JSON on stdout, and the process's CPU time
//! and the machine's load on stderr (the emulator shares the process).

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / 100.0
}

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
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!(
        "cpu_s={:.2} loadavg={}",
        cpu_seconds(),
        load.split_whitespace().next().unwrap_or("?")
    );
}
