//! Mail: a transactional outbox. A message is written to `mail_outbox` in the same transaction
//! as the change that causes it, with a `mail.send` job; the job sends it over SMTP (lettre)
//! and is retried with back-off while the server is down, so a message is never lost and never
//! sent for a change that rolled back. Message bodies are never logged.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use serde_json::json;

use super::app::App;
use super::db::Tx;
use super::jobs::{self, Job, JobResult};

/// Queues a message inside the caller's transaction.
pub async fn queue(
    tx: &mut Tx,
    now: &str,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO mail_outbox (to_addr, subject, body_text, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    jobs::enqueue(
        tx,
        now,
        "mail.send",
        &json!({ "id": id }),
        Some(&format!("mail:{id}")),
        None,
    )
    .await?;
    Ok(id)
}

/// A message for [`queue_batch`]; `origin` names what caused it (unique within the batch).
pub struct Draft {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub origin: String,
}

/// Queues many messages inside the caller's transaction with a few multi-row statements (a
/// hold notice to 10,000 custodians is 30 statements, not 20,000); returns each draft's
/// outbox id, in the order of `drafts`.
pub async fn queue_batch(
    tx: &mut Tx,
    now: &str,
    drafts: &[Draft],
) -> Result<Vec<i64>, sqlx::Error> {
    use super::db::{backend_of, values};
    let backend = backend_of(tx);
    let mut by_origin = std::collections::HashMap::with_capacity(drafts.len());
    for chunk in drafts.chunks(1000) {
        let sql = format!(
            "INSERT INTO mail_outbox (to_addr, subject, body_text, created_at, origin) VALUES {} RETURNING id, origin",
            values(backend, chunk.len(), 5)
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            q = q
                .bind(&d.to)
                .bind(&d.subject)
                .bind(&d.body)
                .bind(now)
                .bind(&d.origin);
        }
        for (id, origin) in q.fetch_all(&mut **tx).await? {
            by_origin.insert(origin, id);
        }
        let ids: Vec<i64> = chunk
            .iter()
            .filter_map(|d| by_origin.get(&d.origin).copied())
            .collect();
        let sql = format!(
            "INSERT INTO jobs (kind, payload, unique_key, run_at, created_at) VALUES {} ON CONFLICT DO NOTHING",
            values(backend, ids.len(), 5)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in &ids {
            q = q
                .bind("mail.send")
                .bind(json!({ "id": id }).to_string())
                .bind(format!("mail:{id}"))
                .bind(now)
                .bind(now);
        }
        q.execute(&mut **tx).await?;
    }
    drafts
        .iter()
        .map(|d| {
            by_origin.get(&d.origin).copied().ok_or_else(|| {
                sqlx::Error::Protocol(format!("the outbox lost the message for {}", d.origin))
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct Outgoing {
    to_addr: String,
    subject: String,
    body_text: String,
    sent_at: Option<String>,
}

/// The `mail.send` job.
pub async fn send_job(app: App, job: Job) -> JobResult {
    let id = serde_json::from_str::<serde_json::Value>(&job.payload)
        .ok()
        .and_then(|v| v["id"].as_i64())
        .ok_or("the mail job has no message id")?;
    let m = sqlx::query_as::<_, Outgoing>(
        "SELECT to_addr, subject, body_text, sent_at FROM mail_outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(app.db.pool())
    .await
    .map_err(|e| e.to_string())?
    .ok_or("the message is no longer in the outbox")?;
    if m.sent_at.is_some() {
        return Ok(());
    }
    let result = send_now(&app, &m.to_addr, &m.subject, &m.body_text).await;
    let mut tx = app.db.begin().await.map_err(|e| e.to_string())?;
    match &result {
        Ok(()) => sqlx::query("UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
            .bind(app.clock.now_text())
            .bind(id),
        Err(e) => sqlx::query("UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2")
            .bind(e.clone())
            .bind(id),
    }
    .execute(&mut *tx)
    .await
    .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    result
}

/// The SMTP transport (pooled connections).
pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

async fn send_now(app: &App, to: &str, subject: &str, body: &str) -> Result<(), String> {
    let Some(url) = &app.settings.smtp_url else {
        return Err("no SMTP server is configured (set LEXOPS_SMTP_URL)".into());
    };
    let from: Mailbox = app
        .settings
        .mail_from
        .parse()
        .map_err(|e| format!("the sender address LEXOPS_MAIL_FROM is not valid: {e}"))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("the recipient address is not valid: {e}"))?;
    let msg = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .body(body.to_string())
        .map_err(|e| format!("cannot build the message: {e}"))?;
    let transport = match app.mailer.get() {
        Some(t) => t.clone(),
        None => {
            let t = Transport::from_url(url)
                .map_err(|e| format!("the SMTP URL is not valid: {e}"))?
                .timeout(Some(std::time::Duration::from_secs(20)))
                .build();
            app.mailer.get_or_init(|| t).clone()
        }
    };
    transport
        .send(msg)
        .await
        .map_err(|e| format!("the SMTP server refused or could not be reached: {e}"))?;
    Ok(())
}

/// A message in the outbox, for the admin page.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The latest messages of the outbox.
pub async fn recent(app: &App, limit: i64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    sqlx::query_as::<_, OutboxRow>(
        "SELECT id, to_addr, subject, created_at, sent_at, attempts, last_error FROM mail_outbox ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(app.db.pool())
    .await
}

/// A loopback SMTP server that accepts every message and keeps it in memory: the tests' mail
/// server and the notice benchmark's (`lexops bench records`). Not for production use.
pub mod sink {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    #[derive(Clone)]
    pub struct SmtpSink {
        pub port: u16,
        pub messages: Arc<Mutex<Vec<String>>>,
        /// When true, the sink answers every MAIL FROM with 451 (a server that is down).
        pub refuse: Arc<std::sync::atomic::AtomicBool>,
    }

    impl SmtpSink {
        pub async fn start() -> SmtpSink {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let sink = SmtpSink {
                port,
                messages: Arc::default(),
                refuse: Arc::default(),
            };
            let s = sink.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let s = s.clone();
                    tokio::spawn(async move {
                        let (r, mut w) = stream.into_split();
                        let mut lines = BufReader::new(r).lines();
                        let _ = w.write_all(b"220 sink.test ESMTP\r\n").await;
                        let mut data: Option<String> = None;
                        while let Ok(Some(line)) = lines.next_line().await {
                            if let Some(d) = data.as_mut() {
                                if line == "." {
                                    s.messages.lock().unwrap().push(std::mem::take(d));
                                    data = None;
                                    let _ = w.write_all(b"250 queued\r\n").await;
                                } else {
                                    d.push_str(line.strip_prefix('.').unwrap_or(&line));
                                    d.push('\n');
                                }
                                continue;
                            }
                            let cmd = line.to_ascii_uppercase();
                            let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO")
                            {
                                b"250-sink.test\r\n250 8BITMIME\r\n"
                            } else if cmd.starts_with("MAIL") {
                                if s.refuse.load(std::sync::atomic::Ordering::SeqCst) {
                                    b"451 try again later\r\n"
                                } else {
                                    b"250 ok\r\n"
                                }
                            } else if cmd.starts_with("RCPT")
                                || cmd.starts_with("RSET")
                                || cmd.starts_with("NOOP")
                            {
                                b"250 ok\r\n"
                            } else if cmd.starts_with("DATA") {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            } else if cmd.starts_with("QUIT") {
                                let _ = w.write_all(b"221 bye\r\n").await;
                                break;
                            } else {
                                b"502 not implemented\r\n"
                            };
                            let _ = w.write_all(reply).await;
                        }
                    });
                }
            });
            sink
        }

        pub fn received(&self) -> Vec<String> {
            self.messages.lock().unwrap().clone()
        }
    }
}
