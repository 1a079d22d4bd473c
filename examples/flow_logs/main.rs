//! Generate VPC Flow Logs for a snapshot, in the S3 delivery layout, for
//! `scripts/bench-usage.sh`:
//!
//!   cargo run --release --example flow_logs -- --snapshot S --out DIR [--records N] [--days D] [--custom]
//!
//! Records are spread over every interface of the snapshot that has an
//! address and a CIDR-sourced inbound rule, and over every hour of the
//! window (ending at the snapshot's time): about three quarters new
//! connections through the rules, the rest replies and rejected probes;
//! hours without traffic get a NODATA record. One gzip file per account,
//! region and day (the delivery layout's folders), written on every core.

mod gen;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use gen::{Layout, Record, Rng};

const USAGE: &str = "usage: flow_logs --snapshot FILE --out DIR [--records N (10000000)] [--days D (30)] [--custom]";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut snapshot, mut out, mut records, mut days, mut layout) =
        (None, None, 10_000_000u64, 30u32, Layout::Default);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--snapshot" => snapshot = args.next().map(PathBuf::from),
            "--out" => out = args.next().map(PathBuf::from),
            "--records" => records = args.next().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(0),
            "--days" => days = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--custom" => layout = Layout::Custom,
            _ => {
                eprintln!("flow_logs: unknown argument {a}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(snapshot), Some(out)) = (snapshot, out) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if records == 0 || days == 0 {
        eprintln!("flow_logs: --records and --days must be positive\n{USAGE}");
        return ExitCode::from(2);
    }
    let t0 = Instant::now();
    let snap = match sgaudit::model::read_snapshot(&snapshot) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("flow_logs: {e}");
            return ExitCode::FAILURE;
        }
    };
    let targets = gen::targets(&snap);
    if targets.is_empty() {
        eprintln!("flow_logs: no interface of the snapshot has an address and a CIDR-sourced rule");
        return ExitCode::FAILURE;
    }
    let end = snap.started_at.unix_timestamp();
    let end = end - end.rem_euclid(3600);
    let hours = i64::from(days) * 24;
    let since = end - hours * 3600;
    // Per interface and hour, on average.
    let per_hour = records as f64 / (targets.len() as f64 * hours as f64);

    // (account, region) → its targets; one job per account-region and day.
    let mut by_place: std::collections::BTreeMap<(String, String), Vec<&gen::Target>> = Default::default();
    for t in &targets {
        by_place
            .entry((t.account.clone(), t.region.clone()))
            .or_default()
            .push(t);
    }
    let jobs: Vec<(&(String, String), &Vec<&gen::Target>, i64)> = by_place
        .iter()
        .flat_map(|(k, v)| (0..i64::from(days)).map(move |d| (k, v, d)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let written = std::sync::atomic::AtomicU64::new(0);
    let bytes = std::sync::atomic::AtomicU64::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut text = String::new();
                let mut recs: Vec<Record> = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&((account, region), place, day)) = jobs.get(i) else {
                        break;
                    };
                    let mut rng = Rng::new(i as u64 + 1);
                    text.clear();
                    text.push_str(&gen::render(&[], layout));
                    let mut n = 0u64;
                    for h in 0..24 {
                        let hour_start = since + (day * 24 + h) * 3600;
                        for t in place {
                            // Poisson-ish: the mean, with the fraction drawn.
                            let whole = per_hour.floor() as usize;
                            let extra = usize::from((rng.below(1_000_000) as f64) < per_hour.fract() * 1e6);
                            recs.clear();
                            gen::synthetic(t, hour_start, whole + extra, &mut rng, &mut recs);
                            for r in &recs {
                                gen::line(r, layout, &mut text);
                                text.push('\n');
                            }
                            n += recs.len() as u64;
                        }
                    }
                    let key = gen::delivery_key(account, region, since + day * 86_400, 0);
                    let path = out.join(key);
                    std::fs::create_dir_all(path.parent().expect("a parent")).expect("creating folders");
                    let gz = gen::gzip(text.as_bytes());
                    bytes.fetch_add(gz.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    std::fs::write(&path, gz).expect("writing a log file");
                    written.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let n = written.into_inner();
    let b = bytes.into_inner();
    eprintln!(
        "flow_logs: {n} records for {} interfaces over {days} days in {} files ({:.1} MiB gzip) under {} in {:.1} s",
        targets.len(),
        jobs.len(),
        b as f64 / 1048576.0,
        out.display(),
        t0.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
