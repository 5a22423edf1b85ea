//! `TestApp`: the real application on port 0 with a fresh database — SQLite in a temporary
//! directory, or a PostgreSQL database of its own (created and dropped) when
//! `LEXOPS_TEST_POSTGRES_URL` is set — and a real SMTP sink that records what it receives.

use std::net::SocketAddr;

use lexops::App;
use lexops::platform::access::Role;
use lexops::platform::audit::Actor;
use lexops::platform::config::Settings;
use lexops::platform::time::Clock;
use lexops::platform::users::{self, NewUser};
use sqlx::Connection;

pub const PASSWORD: &str = "correct horse battery staple";

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server URL for tests, or `None` (then PostgreSQL tests are skipped, unless
/// `LEXOPS_REQUIRE_POSTGRES=1`, which makes them fail).
pub fn postgres_url() -> Option<String> {
    match std::env::var("LEXOPS_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("LEXOPS_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "LEXOPS_REQUIRE_POSTGRES=1 but LEXOPS_TEST_POSTGRES_URL is not set"
            );
            None
        }
    }
}

fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    format!("{base}/{db}{query}")
}

/// A database of its own on the PostgreSQL server, dropped at the end.
pub struct PgDatabase {
    server: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create(server: &str) -> PgDatabase {
        let name = format!("lexops_t_{}", lexops::platform::auth::random_hex(6));
        let mut c = sqlx::PgConnection::connect(server)
            .await
            .expect("connect to the test PostgreSQL server");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .expect("create test database");
        c.close().await.ok();
        PgDatabase {
            server: server.to_string(),
            url: with_db(server, &name),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // Dropping needs async I/O; run it on a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&server).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            });
        })
        .join();
    }
}

pub use lexops::platform::mail::sink::SmtpSink;

/// The application under test.
pub struct TestApp {
    pub app: App,
    pub base: String,
    pub smtp: SmtpSink,
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

impl TestApp {
    /// Starts lexops on `backend`; `None` when PostgreSQL is not configured (test skipped).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// [`TestApp::spawn`] with settings of the test's own.
    pub async fn spawn_with(backend: Backend, tune: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_data_dir(dir.path());
        let smtp = SmtpSink::start().await;
        settings.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
        settings.mail_from = "lexops <lexops@example.com>".into();
        // The test binary is not lexops: PDF text is read by the real one.
        settings.extract_exe = Some(env!("CARGO_BIN_EXE_lexops").into());
        tune(&mut settings);
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let server = postgres_url()?;
                let db = PgDatabase::create(&server).await;
                settings.database_url = Some(db.url.clone());
                Some(db)
            }
        };
        let app = App::open_with_clock(settings, Clock::default())
            .await
            .expect("lexops starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = lexops::platform::routes::router(app.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Some(TestApp {
            app,
            base: format!("http://{addr}"),
            smtp,
            backend,
            dir,
            _pg: pg,
        })
    }

    /// Creates a user with [`PASSWORD`] directly (not through the UI).
    pub async fn user(&self, email: &str, role: Role) -> i64 {
        users::create(
            &self.app,
            &Actor::system("test"),
            NewUser {
                email: email.into(),
                name: format!("Test {}", role.label()),
                role: role.as_str().into(),
                password: Some(PASSWORD.into()),
                totp_required: false,
            },
        )
        .await
        .expect("create test user")
        .id
    }

    /// Creates an open advisory matter `number` (no wall) as an administrator; returns its id.
    pub async fn matter(&self, number: &str) -> i64 {
        let email = format!("matters-{}@example.com", number.to_lowercase());
        let id = self.user(&email, Role::Admin).await;
        let admin = lexops::platform::access::CurrentUser {
            id,
            email,
            name: "Matters".into(),
            role: Role::Admin,
            via_token: false,
            vendor_id: None,
        };
        lexops::matters::store::create(
            &self.app,
            &admin,
            &lexops::matters::model::MatterInput {
                number: number.into(),
                name: format!("Matter {number}"),
                type_code: "advisory".into(),
                ..Default::default()
            },
        )
        .await
        .expect("create test matter")
        .id
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
            csrf: None,
        }
    }

    /// A client already signed in as a new user of `role`.
    pub async fn signed_in(&self, role: Role) -> Browser {
        let email = format!(
            "{}-{}@example.com",
            role.as_str(),
            lexops::platform::auth::random_hex(3)
        );
        self.user(&email, role).await;
        let mut b = self.client();
        let r = b.sign_in(&email, PASSWORD).await;
        assert_eq!(r.status(), 303, "sign-in as {role:?}");
        b
    }

    /// An API token for a new user of `role`.
    pub async fn token(&self, role: Role) -> String {
        let email = format!(
            "api-{}-{}@example.com",
            role.as_str(),
            lexops::platform::auth::random_hex(3)
        );
        let id = self.user(&email, role).await;
        let u = lexops::platform::access::CurrentUser {
            id,
            email,
            name: "t".into(),
            role,
            via_token: false,
            vendor_id: None,
        };
        lexops::platform::auth::issue_token(&self.app, &u, "test", None)
            .await
            .unwrap()
            .secret
    }
}

/// An HTTP client that behaves like a browser: cookies, CSRF token from the cookie.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap()
    }

    /// Fetches a page and returns its body (asserting 200).
    pub async fn page(&mut self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        let body = r.text().await.unwrap();
        if let Some(t) = body
            .split("name=\"csrf-token\" content=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        {
            self.csrf = Some(t.to_string());
        } else if let Some(t) = body
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
        {
            self.csrf = Some(t.to_string());
        }
        body
    }

    /// Posts a form with the CSRF token of the last page seen.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut f: Vec<(&str, &str)> = form.to_vec();
        let csrf = self.csrf.clone().unwrap_or_default();
        f.push(("_csrf", &csrf));
        self.http
            .post(format!("{}{}", self.base, path))
            .form(&f)
            .send()
            .await
            .unwrap()
    }

    /// Posts a multipart form (uploads), with the CSRF token of the last page seen in the query.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        self.http
            .post(format!(
                "{}{path}?_csrf={}",
                self.base,
                self.csrf.clone().unwrap_or_default()
            ))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Uploads one file as the form field `file`.
    pub async fn upload_file(&self, path: &str, name: &str, bytes: &[u8]) -> reqwest::Response {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
        self.post_multipart(path, form).await
    }

    /// Posts a form without any CSRF token.
    pub async fn post_without_csrf(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{}", self.base, path))
            .form(&form.to_vec())
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> reqwest::Response {
        let r = self.get("/login").await;
        if r.status() == 200 {
            let body = r.text().await.unwrap();
            if let Some(t) = body
                .split("name=\"_csrf\" value=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
            {
                self.csrf = Some(t.to_string());
            }
        } else {
            // Already signed in: pick up the current CSRF token from a page.
            self.page("/account").await;
        }
        self.post(
            "/login",
            &[("email", email), ("password", password), ("next", "/")],
        )
        .await
    }
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Generates one `#[tokio::test]` per backend for a story `async fn(TestApp)`.
#[macro_export]
macro_rules! both {
    ($story:ident) => {
        mod $story {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::harness::TestApp::spawn($crate::harness::Backend::Sqlite)
                    .await
                    .unwrap();
                super::$story(t).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::harness::TestApp::spawn($crate::harness::Backend::Postgres).await {
                    Some(t) => super::$story(t).await,
                    None => eprintln!("skipped: LEXOPS_TEST_POSTGRES_URL is not set"),
                }
            }
        }
    };
}
