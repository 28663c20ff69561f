//! The ceiling of the login benchmark: the same requests as the Python peers, made by a
//! pure-Rust reqwest + tokio client, so the numbers show what the machine allows without Python.
//!
//! Usage: `rust-ceiling URL CONCURRENCY COUNT [--seconds S] [--warmup N] [--shape login|github]
//! [--log ACCESS_LOG]`. A login is a POST of the code to the token endpoint and a GET of the
//! user (GitHub shape: `/user` and `/user/emails` together, then `/user/teams`). Certificates in
//! `SSL_CERT_FILE` are trusted on top of the native roots, as the engine does. The result is one
//! JSON object on stdout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::ACCEPT;
use reqwest::Client;
use serde_json::{json, Value};

const CLIENT_ID: &str = "bench-client";
const CLIENT_SECRET: &str = "bench-secret";
const REDIRECT_URL: &str = "http://localhost:8550/oauth_callback";

struct Args {
    base: String,
    concurrency: usize,
    count: usize,
    seconds: f64,
    warmup: usize,
    github: bool,
    log: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: rust-ceiling URL CONCURRENCY COUNT [--seconds S] [--warmup N] \
                 [--shape login|github] [--log PATH]";
    if argv.len() < 3 {
        return Err(usage.into());
    }
    let number = |s: &str| s.parse::<usize>().map_err(|e| format!("{s}: {e}"));
    let mut args = Args {
        base: argv[0].trim_end_matches('/').to_owned(),
        concurrency: number(&argv[1])?.max(1),
        count: number(&argv[2])?,
        seconds: 60.0,
        warmup: 0,
        github: false,
        log: None,
    };
    let mut rest = argv[3..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => args.seconds = value.parse().map_err(|e| format!("{value}: {e}"))?,
            "--warmup" => args.warmup = number(value)?,
            "--shape" => args.github = value == "github",
            "--log" => args.log = Some(value.clone()),
            _ => return Err(usage.into()),
        }
    }
    Ok(args)
}

/// The shared client: keep-alive pool, rustls, plus the certificates of `SSL_CERT_FILE`.
fn build_client() -> Result<Client, String> {
    let mut builder = Client::builder()
        .use_rustls_tls()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30));
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        let pem = std::fs::read(&path).map_err(|e| format!("SSL_CERT_FILE: {e}"))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string())? {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| e.to_string())
}

/// An error with its causes, so that a TLS failure says why.
fn describe(e: reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

async fn get_json(client: &Client, url: String, token: &str) -> Result<Value, String> {
    let response = client
        .get(url)
        .header(ACCEPT, "application/json")
        .bearer_auth(token)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(describe)?;
    let body = response.bytes().await.map_err(describe)?;
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

/// One login: code exchange, then the user (and for GitHub its emails and teams).
async fn login(client: &Client, base: &str, github: bool) -> Result<(), String> {
    let token_path = if github {
        "/login/oauth/access_token"
    } else {
        "/token"
    };
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "bench-code"),
        ("redirect_uri", REDIRECT_URL),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let response = client
        .post(format!("{base}{token_path}"))
        .header(ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(describe)?;
    let body = response.bytes().await.map_err(describe)?;
    let token: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let access = token["access_token"]
        .as_str()
        .ok_or("no access_token")?
        .to_owned();
    if !github {
        let user = get_json(client, format!("{base}/userinfo"), &access).await?;
        return user["sub"].as_str().map(|_| ()).ok_or("no sub".into());
    }
    let (user, emails) = tokio::join!(
        get_json(client, format!("{base}/user"), &access),
        get_json(client, format!("{base}/user/emails"), &access)
    );
    let (user, emails) = (user?, emails?);
    let teams = get_json(client, format!("{base}/user/teams"), &access).await?;
    let has_primary = emails
        .as_array()
        .is_some_and(|list| list.iter().any(|e| e["primary"] == true));
    if user["id"].is_null() || !has_primary || !teams.is_array() {
        return Err("unexpected GitHub answer".into());
    }
    Ok(())
}

/// CPU seconds (user + system) and context switches of this process so far, every thread.
fn usage() -> (f64, i64) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        secs(usage.ru_utime) + secs(usage.ru_stime),
        usage.ru_nvcsw + usage.ru_nivcsw,
    )
}

fn threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task").ok().map(|d| d.count())
}

fn log_size(path: &Option<String>) -> Option<u64> {
    path.as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
}

struct Outcome {
    latencies: Vec<f64>,
    errors: usize,
    first_error: Option<String>,
}

/// Runs up to `count` logins on `concurrency` lanes, no new one after `seconds`.
async fn drive(client: &Client, args: &Args, count: usize, seconds: f64) -> Outcome {
    let issued = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut lanes = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        let (client, issued, base, github) = (
            client.clone(),
            issued.clone(),
            args.base.clone(),
            args.github,
        );
        lanes.push(tokio::spawn(async move {
            let mut out = Outcome {
                latencies: Vec::new(),
                errors: 0,
                first_error: None,
            };
            while Instant::now() < deadline && issued.fetch_add(1, Ordering::Relaxed) < count {
                let started = Instant::now();
                match login(&client, &base, github).await {
                    Ok(()) => out.latencies.push(started.elapsed().as_secs_f64()),
                    Err(e) => {
                        out.errors += 1;
                        out.first_error.get_or_insert(e);
                    }
                }
            }
            out
        }));
    }
    let mut total = Outcome {
        latencies: Vec::new(),
        errors: 0,
        first_error: None,
    };
    for lane in lanes {
        match lane.await {
            Ok(out) => {
                total.latencies.extend(out.latencies);
                total.errors += out.errors;
                if total.first_error.is_none() {
                    total.first_error = out.first_error;
                }
            }
            Err(e) => {
                total.errors += 1;
                total.first_error.get_or_insert(e.to_string());
            }
        }
    }
    total
}

fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * (sorted.len() - 1) as f64).round() as usize;
    Some(sorted[rank.min(sorted.len() - 1)])
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let client = match build_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot build the client: {e}");
            std::process::exit(1);
        }
    };
    if args.warmup > 0 {
        drive(&client, &args, args.warmup, args.seconds).await;
    }
    let log_start = log_size(&args.log);
    let (cpu_start, switches_start) = usage();
    let started = Instant::now();
    let mut outcome = drive(&client, &args, args.count, args.seconds).await;
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu_end, switches_end) = usage();
    let cpu = cpu_end - cpu_start;
    let log_end = log_size(&args.log);
    outcome.latencies.sort_by(f64::total_cmp);
    let logins = outcome.latencies.len();
    let per_login = |v: f64| (logins > 0).then(|| v / logins as f64);
    let ms = |v: Option<f64>| v.map(|s| s * 1000.0);
    let result = json!({
        "logins": logins,
        "errors": outcome.errors,
        "first_error": outcome.first_error,
        "seconds": elapsed,
        "logins_per_s": logins as f64 / elapsed,
        "p50_ms": ms(percentile(&outcome.latencies, 0.50)),
        "p99_ms": ms(percentile(&outcome.latencies, 0.99)),
        "cpu_ms_per_login": ms(per_login(cpu)),
        "switches_per_login": per_login((switches_end - switches_start) as f64),
        "threads": threads(),
        "log_start": log_start,
        "log_end": log_end,
    });
    println!("{result}");
}
