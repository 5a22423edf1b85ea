//! `lexops bench platform`: starts this binary's `serve` as a child process and measures it
//! from outside, as an operator would: cold start (to a ready `/readyz`) on an empty and a demo
//! database, idle resident memory, and the home page under load from `wrk` (another process
//! on loopback) for a signed-in user.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A minimal HTTP/1.1 exchange on loopback: returns (status, headers, body).
async fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> std::io::Result<(u16, Vec<(String, String)>, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await?;
    let mut buf = vec![];
    s.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let hs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, hs, body.to_string()))
}

fn cookie_value(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .filter_map(|(_, v)| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18080)
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
        .unwrap_or(0.0)
}

struct Server {
    child: tokio::process::Child,
    port: u16,
    cold_start_ms: f64,
}

async fn start(data_dir: &Path) -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let port = free_port();
    let t0 = Instant::now();
    let child = tokio::process::Command::new(exe)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .env_remove("LEXOPS_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    loop {
        if let Ok((200, _, _)) = http(port, "GET", "/readyz", &[], "").await {
            break;
        }
        anyhow::ensure!(
            t0.elapsed() < Duration::from_secs(60),
            "the server did not become ready within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(Server {
        child,
        port,
        cold_start_ms: t0.elapsed().as_secs_f64() * 1000.0,
    })
}

async fn sign_in(port: u16, email: &str, password: &str) -> anyhow::Result<String> {
    let (_, h, _) = http(port, "GET", "/login", &[], "").await?;
    let csrf = cookie_value(&h, "lexops_csrf")
        .ok_or_else(|| anyhow::anyhow!("no CSRF cookie from /login"))?;
    let body = serde_urlencoded::to_string([
        ("email", email),
        ("password", password),
        ("_csrf", &csrf),
        ("next", "/"),
    ])?;
    let (status, h, _) = http(
        port,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded".into()),
            ("Cookie", format!("lexops_csrf={csrf}")),
        ],
        &body,
    )
    .await?;
    anyhow::ensure!(status == 303, "sign-in failed with status {status}");
    cookie_value(&h, "lexops_session")
        .ok_or_else(|| anyhow::anyhow!("no session cookie after sign-in"))
}

fn parse_wrk(out: &str) -> (f64, f64) {
    let rps = out
        .lines()
        .find(|l| l.trim_start().starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let p99 = out
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("99%"))
        .and_then(|l| l.split_whitespace().nth(1))
        .map(|v| {
            let (num, unit) = v.split_at(v.find(|c: char| c.is_alphabetic()).unwrap_or(v.len()));
            let n: f64 = num.parse().unwrap_or(0.0);
            match unit {
                "us" => n / 1000.0,
                "s" => n * 1000.0,
                _ => n,
            }
        })
        .unwrap_or(0.0);
    (rps, p99)
}

/// Runs the platform suite; `seconds` is the length of the load test.
pub async fn platform(seconds: u64) -> anyhow::Result<Value> {
    let which = std::process::Command::new("wrk").arg("--version").output();
    anyhow::ensure!(
        which.is_ok(),
        "the platform benchmark drives load with wrk: install it (apt-get install wrk)"
    );
    let root = std::env::temp_dir().join(format!("lexops-bench-{}", super::auth::random_hex(4)));
    // Empty database (the first start also creates and migrates it; the second is the cold start).
    let empty = root.join("empty");
    let s = start(&empty).await?;
    drop(s);
    let s = start(&empty).await?;
    let cold_empty = s.cold_start_ms;
    drop(s);
    // Demo database.
    let demo = root.join("demo");
    let status = tokio::process::Command::new(std::env::current_exe()?)
        .args(["demo", "--data-dir"])
        .arg(&demo)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .await?;
    anyhow::ensure!(status.success(), "lexops demo failed");
    let mut s = start(&demo).await?;
    let cold_demo = s.cold_start_ms;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = s.child.id().unwrap_or(0);
    let idle = rss_mb(pid);
    let session = sign_in(s.port, super::demo::DEMO_ADMIN, super::demo::DEMO_PASSWORD).await?;
    let (st, _, body) = http(
        s.port,
        "GET",
        "/",
        &[("Cookie", format!("lexops_session={session}"))],
        "",
    )
    .await?;
    anyhow::ensure!(
        st == 200 && body.contains("Good "),
        "the home page did not render for the signed-in user (status {st})"
    );
    let out = tokio::process::Command::new("wrk")
        .args(["-t1", "-c32", &format!("-d{seconds}s"), "--latency", "-H"])
        .arg(format!("Cookie: lexops_session={session}"))
        .arg(format!("http://127.0.0.1:{}/", s.port))
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (rps, p99) = parse_wrk(&text);
    anyhow::ensure!(rps > 0.0, "could not read wrk's output:\n{text}");
    let loaded = rss_mb(pid);
    let _ = s.child.kill().await;
    std::fs::remove_dir_all(&root).ok();
    Ok(json!({
        "suite": "platform",
        "cold_start_ms": (cold_empty * 10.0).round() / 10.0,
        "cold_start_demo_ms": (cold_demo * 10.0).round() / 10.0,
        "idle_rss_mb": idle,
        "loaded_rss_mb": loaded,
        "home_requests_per_second": rps.round(),
        "home_p99_ms": p99,
        "load": format!("wrk -t1 -c32 -d{seconds}s, signed-in admin, SQLite"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let out = "  Latency Distribution\n     50%  1.02ms\n     99%  450.00us\nRequests/sec:  12345.67\n";
        assert_eq!(parse_wrk(out), (12345.67, 0.45));
        assert_eq!(parse_wrk("     99%   1.50s\nRequests/sec: 1\n").1, 1500.0);
    }
}
