//! Browser tests: headless Chromium, driven through chromedriver, signs in through the real
//! pages and checks the home page. Screenshots go to `target/screenshots/` to be looked at.
//! Skipped when chromedriver is missing, unless `LEXOPS_REQUIRE_BROWSER=1`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use lexops::platform::access::Role;

use crate::harness::{Backend, PASSWORD, TestApp};

pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or returns `None` (test skipped) when it is not installed.
pub async fn chromedriver() -> Option<Driver> {
    let bin = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        assert!(
            std::env::var("LEXOPS_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "LEXOPS_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        eprintln!(
            "skipped: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Driver { child, port });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

pub async fn browser(d: &Driver) -> fantoccini::Client {
    let profile = tempfile::tempdir().unwrap().keep();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1440,900",
                     format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().unwrap().clone().into_iter().collect();
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .expect("connect to chromedriver")
}

pub async fn screenshot(c: &fantoccini::Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_chromium_and_see_the_home_page() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    t.user("lena@example.com", Role::Admin).await;
    for i in 0..12 {
        t.user(&format!("person{i}@example.com"), Role::ALL[i % 8])
            .await;
    }
    let c = browser(&driver).await;
    c.goto(&t.url("/")).await.unwrap();
    assert!(c.current_url().await.unwrap().as_str().contains("/login"));
    screenshot(&c, "login").await;
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("lena@example.com")
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = c
        .wait()
        .for_element(Locator::Css("h1.page-title"))
        .await
        .unwrap();
    assert!(h1.text().await.unwrap().starts_with("Good "));
    let nav = c
        .find(Locator::Css("nav.nav"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nav.contains("Users") && nav.contains("Audit trail"));
    screenshot(&c, "home").await;
    c.goto(&t.url("/admin/users")).await.unwrap();
    let rows = c
        .find_all(Locator::Css("table.table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 13);
    screenshot(&c, "users").await;
    c.goto(&t.url("/admin/users/new")).await.unwrap();
    screenshot(&c, "user-new").await;
    c.goto(&t.url("/admin/audit")).await.unwrap();
    screenshot(&c, "audit").await;
    c.goto(&t.url("/account")).await.unwrap();
    screenshot(&c, "account").await;
    // Sign out through the button.
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("#email")).await.unwrap();
    c.close().await.unwrap();
}
