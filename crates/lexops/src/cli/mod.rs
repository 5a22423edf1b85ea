//! The command line: `lexops serve | worker | demo | user | audit | blobs | backup | restore |
//! bench | ledes`. Every option is also read from a `LEXOPS_*` environment variable.

pub mod ledes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::App;
use crate::platform::access::Role;
use crate::platform::audit::Actor;
use crate::platform::config::Settings;
use crate::platform::users::{self, NewUser, UserPatch};
use crate::platform::{audit, backup, bench, blobs, demo, jobs, routes};

/// lexops: the legal operations platform.
#[derive(Parser)]
#[command(name = "lexops", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (UI, API) and background workers.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "LEXOPS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo department first.
        #[arg(long, env = "LEXOPS_DEMO")]
        demo: bool,
        /// Background workers inside the server.
        #[arg(long, env = "LEXOPS_WORKERS", default_value_t = 2)]
        workers: usize,
    },
    /// Run background workers only.
    Worker {
        #[arg(long, env = "LEXOPS_WORKERS", default_value_t = 2)]
        workers: usize,
        /// Run the jobs due now, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Create the demo department (deterministic; running it again changes nothing).
    Demo {
        /// tiny, small (seconds; what serve --demo loads) or full (about a million line items).
        #[arg(long, default_value = "small")]
        scale: String,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The document store.
    #[command(subcommand)]
    Blobs(BlobsCmd),
    /// Write a consistent online backup of the database and documents to FILE.
    Backup { file: PathBuf },
    /// Restore a backup into an empty data directory.
    Restore { file: PathBuf },
    /// Records: the disposition sweep (what is past its retention date goes to the review list),
    /// full-text search, reading pending documents' text.
    #[command(subcommand)]
    Records(RecordsCmd),
    /// Read one document's text from standard input and write it to standard output (the
    /// isolated reader lexops runs for PDF files).
    #[command(hide = true)]
    ExtractText {
        /// pdf, docx, email or text.
        #[arg(long)]
        kind: String,
    },
    /// Legal holds: list them, send the notices that are due, print a hold's report.
    #[command(subcommand)]
    Holds(HoldsCmd),
    /// Contracts: search the repository, redline two versions, list key dates, send alerts.
    #[command(subcommand)]
    Contracts(ContractsCmd),
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCmd),
    /// LEDES files: validate and convert (no database needed).
    #[command(subcommand)]
    Ledes(ledes::LedesCmd),
    /// Run a benchmark suite (platform, ledes, spend, records, contracts, cuad DIR) and print its figures.
    Bench {
        suite: String,
        /// cuad: the folder laid out like CUAD (contracts/*.txt and master_clauses.csv).
        dir: Option<PathBuf>,
        /// cuad: also score contracts the model was trained on (by default they are left out).
        #[arg(long)]
        include_trained: bool,
        /// Size of the run (platform: seconds of load; ledes: line items, default 1,000,000; spend: lines per invoice, default 84 ≈ 500,000 line items; records: records, default 1,000,000).
        #[arg(long)]
        size: Option<u64>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user. The password comes from LEXOPS_NEW_PASSWORD or standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, legal_ops, attorney, paralegal, requester, vendor, custodian or auditor.
        #[arg(long)]
        role: String,
        /// Require a second factor at sign-in.
        #[arg(long)]
        require_totp: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: sessions and API tokens end at once.
    Disable { email: String },
}

#[derive(Subcommand)]
pub enum ContractsCmd {
    /// Search the repository (number, title, parties, governing law and every version's text):
    /// words and "quoted phrases" must all be there, -word must not, OR accepts either.
    Search {
        query: String,
        /// draft, in_review, negotiation, approval, signature, executed, expired or terminated.
        #[arg(long, default_value = "")]
        status: String,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Write the redline of two versions of a contract as a DOCX with tracked changes (and print
    /// its counts); FROM defaults to what TO should be read against.
    Redline {
        /// The contract's number (CT-…).
        number: String,
        /// The later version's number (default: the newest).
        #[arg(long)]
        to: Option<i64>,
        /// The earlier version's number.
        #[arg(long)]
        from: Option<i64>,
        /// Where to write the DOCX.
        #[arg(long)]
        out: PathBuf,
    },
    /// Key dates of executed contracts and open obligations in the next DAYS days.
    Dates {
        #[arg(long, default_value_t = 90)]
        days: i64,
        #[arg(long)]
        json: bool,
    },
    /// Send the key-date and obligation alerts that are due (the daily job does this by itself).
    Alerts,
    /// Build this data directory's contract search index again from the database (it keeps
    /// itself up to date; this is for a copied or suspect index). Stop `lexops serve` on this
    /// data directory first: one process holds an index.
    Reindex,
    /// Find the CUAD clauses in a contract file (PDF, DOCX or text), with their evidence.
    Clauses {
        file: PathBuf,
        /// Lowest confidence shown (0–1).
        #[arg(long, default_value_t = 0.5)]
        min: f32,
        #[arg(long)]
        json: bool,
    },
    /// Train the clause models on a folder laid out like CUAD, leaving out the fixed held-out
    /// fifth (unless --all), and write the model file (shipped as crates/clauses/model/cuad.bin).
    TrainClauses {
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
pub enum RecordsCmd {
    /// Puts the records past their date on the disposition review list (records under a legal
    /// hold are named and left alone); `--dry-run` only says what it would do.
    Sweep {
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search the records' titles, file names, folders and text: words and "quoted phrases" must
    /// all be there, -word must not, OR between two terms accepts either.
    Search {
        query: String,
        /// How many records to show.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Read the text of the documents still waiting for it now (the workers do this in the
    /// background after every upload).
    Index {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum HoldsCmd {
    /// Every hold with its custodians' standing.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Send now the reminders, escalations and re-affirmations that are due (the workers do
    /// this every night).
    Notices {
        #[arg(long)]
        json: bool,
    },
    /// A hold's report as CSV on standard output (one row per custodian: notified, reminders,
    /// escalation, acknowledgement, answers), or as PDF into a file: the defensibility record.
    Report {
        id: i64,
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum ImportCmd {
    /// Import LEDES invoice files (1998B, 98BI, XML), each checked and accepted or rejected
    /// whole, as the given user (legal ops, or a firm's vendor user).
    Invoices {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The lexops user the files are submitted as.
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        /// Print one JSON object with every file's outcome.
        #[arg(long)]
        json: bool,
    },
    /// Import matters from CSV (all or nothing; re-importing the same file changes nothing).
    Matters {
        file: PathBuf,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
    },
    /// Import every file under a folder as a record, keeping its folder path; classified by
    /// `--map FOLDER=CODE` (longest matching folder wins) or `--category CODE`. Everything is
    /// checked first; files already kept are skipped, so running it again finishes an
    /// interrupted import and adds nothing otherwise.
    Records {
        dir: PathBuf,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        /// The category of files no mapping covers (empty: classify later).
        #[arg(long, default_value = "")]
        category: String,
        /// A folder (relative to DIR) and the category of the files under it.
        #[arg(long = "map", value_name = "FOLDER=CODE")]
        map: Vec<String>,
        /// The custodian (directory email) whose documents these are.
        #[arg(long, default_value = "")]
        custodian: String,
        /// The matter number they belong to.
        #[arg(long, default_value = "")]
        matter: String,
    },
    /// Import existing contracts (PDF, Word, text) from a folder as executed contracts: each file
    /// is read first (one unreadable file stops the import, nothing is written); the metadata
    /// found in the text goes to the verification queue. Files already imported are skipped.
    Contracts {
        dir: PathBuf,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        /// The names our side goes by (the other party is the counterparty).
        #[arg(long = "our-name", default_value = "Example Corp")]
        our_names: Vec<String>,
    },
    /// Holidays for contract notices' business days from CSV (`date,name`): all or nothing;
    /// the same file again changes nothing. `--us-federal YEAR` adds that year's US federal
    /// holidays instead.
    Holidays {
        file: Option<PathBuf>,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
        #[arg(long)]
        us_federal: Option<i16>,
    },
    /// Import the company directory of custodians from CSV (name,email,department,
    /// manager_email,employee_status): all or nothing, one person per email, re-import updates.
    Custodians {
        file: PathBuf,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
    },
    /// Import the file plan (record categories and retention rules) from CSV: all or nothing,
    /// matched by code; re-importing the same file changes nothing.
    FilePlan {
        file: PathBuf,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: String,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Recompute the hash chain; exits 1 and names the first broken event if any was altered,
    /// deleted or reordered.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum BlobsCmd {
    /// Decrypt and re-hash every stored document; exits 1 if any fails.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

/// A progress bar on standard error (hidden when it is not a terminal).
pub fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

fn read_new_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("LEXOPS_NEW_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn operator() -> Actor {
    let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    Actor::system(&format!("cli:{who}"))
}

fn show(e: crate::platform::error::AppError) -> anyhow::Error {
    match e {
        crate::platform::error::AppError::Validation(f) => {
            anyhow::anyhow!(
                f.iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }
        other => anyhow::anyhow!(other.public_message()),
    }
}

/// Runs the parsed command; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let settings = cli.settings;
    match cli.command {
        Command::Serve {
            listen,
            demo: with_demo,
            workers,
        } => {
            let app = App::open(settings).await?;
            if with_demo {
                demo::seed(&app).await.map_err(show)?;
            }
            serve(app, listen, workers, with_demo).await?;
            Ok(0)
        }
        Command::Worker { workers, once } => {
            let app = App::open(settings).await?;
            if once {
                let n = jobs::drain(&app).await?;
                println!("ran {n} jobs");
                return Ok(0);
            }
            crate::records::disposition::schedule_next(&app, 0).await?;
            crate::records::text::queue_now(&app).await?;
            jobs::schedule_daily(&app, "holds.notices", 0).await?;
            jobs::schedule_daily(&app, crate::contracts::dates::JOB, 0).await?;
            let (tx, rx) = tokio::sync::watch::channel(false);
            let handles = jobs::spawn_workers(&app, workers, rx);
            tracing::info!(workers, "workers running; Ctrl-C to stop");
            shutdown_signal().await;
            let _ = tx.send(true);
            for h in handles {
                let _ = h.await;
            }
            Ok(0)
        }
        Command::Demo { scale } => {
            let scale = match scale.as_str() {
                "tiny" => crate::spend::demo::Scale::TINY,
                "small" => crate::spend::demo::Scale::SMALL,
                "full" => crate::spend::demo::Scale::FULL,
                other => anyhow::bail!("unknown demo scale {other}: choose small or full"),
            };
            let app = App::open(settings).await?;
            let bar = progress_bar();
            let r = demo::seed_with(&app, scale, |stage, done, total| {
                bar.set_length(total);
                bar.set_position(done);
                bar.set_message(stage.to_string());
            })
            .await
            .map_err(show)?;
            bar.finish_and_clear();
            println!(
                "demo department ready ({} users created); sign in as {} / {}",
                r.users_created,
                demo::DEMO_ADMIN,
                demo::DEMO_PASSWORD
            );
            Ok(0)
        }
        Command::User(cmd) => {
            let app = App::open(settings).await?;
            match cmd {
                UserCmd::Add {
                    email,
                    name,
                    role,
                    require_totp,
                } => {
                    let password = read_new_password()?;
                    let u = users::create(
                        &app,
                        &operator(),
                        NewUser {
                            email,
                            name,
                            role,
                            password: Some(password),
                            totp_required: require_totp,
                        },
                    )
                    .await
                    .map_err(show)?;
                    println!(
                        "created user {} ({}, {})",
                        u.email,
                        u.name,
                        u.role().label()
                    );
                }
                UserCmd::List { json } => {
                    let (rows, _) = users::list(&app, "", "", "", "email ASC", 1_000_000, 0)
                        .await
                        .map_err(show)?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&rows)?);
                    } else {
                        println!(
                            "{:<36} {:<28} {:<10} {:<8} 2FA",
                            "EMAIL", "NAME", "ROLE", "STATUS"
                        );
                        for u in rows {
                            println!(
                                "{:<36} {:<28} {:<10} {:<8} {}",
                                u.email,
                                u.name,
                                u.role,
                                u.status,
                                if u.totp_enabled != 0 { "on" } else { "off" }
                            );
                        }
                    }
                }
                UserCmd::Disable { email } => {
                    let u = users::by_email(&app, &email)
                        .await
                        .map_err(show)?
                        .ok_or_else(|| anyhow::anyhow!("no user with email {email}"))?;
                    users::update(
                        &app,
                        &operator(),
                        u.id,
                        UserPatch {
                            status: Some("disabled".into()),
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(show)?;
                    println!("disabled {}", u.email);
                }
            }
            let _ = Role::Admin;
            Ok(0)
        }
        Command::Audit(AuditCmd::Verify { json }) => {
            let app = App::open(settings).await?;
            let r = audit::verify(&app.db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else if r.ok {
                println!("audit trail intact: {} events verified", r.events);
            } else {
                println!(
                    "audit trail BROKEN at event {}: {}",
                    r.first_broken_seq.unwrap_or(0),
                    r.problem.clone().unwrap_or_default()
                );
            }
            Ok(if r.ok { 0 } else { 1 })
        }
        Command::Blobs(BlobsCmd::Verify { json }) => {
            let app = App::open(settings).await?;
            let r = blobs::verify_all(&app).await.map_err(show)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} documents ({} bytes) checked, {} problems, {} orphaned objects",
                    r.checked,
                    r.bytes,
                    r.problems.len(),
                    r.orphans.len()
                );
                for p in &r.problems {
                    println!("  {}: {}", p.sha256, p.problem);
                }
            }
            Ok(if r.problems.is_empty() { 0 } else { 1 })
        }
        Command::Ledes(cmd) => ledes::run(cmd),
        Command::ExtractText { kind } => Ok(crate::records::text::extract_main(&kind)),
        Command::Records(RecordsCmd::Index { json }) => {
            let app = App::open(settings).await?;
            let r = crate::records::text::index_pending(&app, None)
                .await
                .map_err(show)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} document(s) indexed, {} without text, {} could not be read",
                    r.indexed, r.without_text, r.failed
                );
            }
            Ok(if r.failed > 0 { 1 } else { 0 })
        }
        Command::Records(RecordsCmd::Search { query, limit, json }) => {
            let app = App::open(settings).await?;
            let today = app.clock.today();
            let f = crate::records::store::RecordFilter {
                q: query.clone(),
                ..Default::default()
            };
            let (rows, total) = crate::records::store::list(
                &app,
                None,
                &f,
                &today,
                "r.title ASC",
                limit.clamp(1, 10_000),
                0,
            )
            .await
            .map_err(show)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let snips = crate::platform::search::snippets(&app, "record_text", &query, &ids)
                .await
                .map_err(show)?;
            if json {
                let items: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| serde_json::json!({"record": r, "snippet": snips.get(&r.id).map(|s| crate::platform::search::snippet_text(s))}))
                    .collect();
                print_found(total, items)?;
            } else {
                println!("{total} record(s) match");
                for r in &rows {
                    println!("{:>7}  {}  ({})", r.id, r.title, r.filename);
                    if let Some(s) = snips.get(&r.id) {
                        println!("         {}", crate::platform::search::snippet_text(s));
                    }
                }
            }
            Ok(0)
        }
        Command::Contracts(cmd) => contracts_cmd(settings, cmd).await,
        Command::Records(RecordsCmd::Sweep { dry_run, json }) => {
            let app = App::open(settings).await?;
            let r = crate::records::disposition::sweep(&app, dry_run)
                .await
                .map_err(show)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{}{} record(s) {} the review list; {} past their date under a hold; {} deferred record(s) back",
                    if dry_run { "dry run: " } else { "" },
                    r.listed_count,
                    if dry_run { "would go on" } else { "put on" },
                    r.held_count,
                    r.returned
                );
                for (id, title, names) in &r.held {
                    println!("  held: record {id} {title} ({names})");
                }
            }
            Ok(0)
        }
        Command::Holds(cmd) => {
            let app = App::open(settings).await?;
            match cmd {
                HoldsCmd::List { json } => {
                    let holds = crate::records::holds::list(&app, None)
                        .await
                        .map_err(show)?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&holds)?);
                    } else if holds.is_empty() {
                        println!("no legal hold");
                    }
                    for h in holds.iter().filter(|_| !json) {
                        println!(
                            "{:>5}  {:<8}  {}  ({} records, {} custodians: {} acknowledged, {} outstanding)",
                            h.id,
                            h.status,
                            h.name,
                            h.records,
                            h.custodians,
                            h.acknowledged,
                            h.outstanding
                        );
                    }
                }
                HoldsCmd::Notices { json } => {
                    let r = crate::records::notices::run_schedule(&app)
                        .await
                        .map_err(show)?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&r)?);
                    } else {
                        println!(
                            "{} reminder(s), {} escalation(s), {} re-affirmation(s) queued; run the workers (serve or worker) to send them",
                            r.reminders, r.escalations, r.reaffirmations
                        );
                    }
                }
                HoldsCmd::Report {
                    id,
                    pdf: Some(file),
                } => {
                    let bytes = crate::records::notices::report_pdf(&app, id)
                        .await
                        .map_err(show)?;
                    std::fs::write(&file, bytes)
                        .with_context(|| format!("cannot write {}", file.display()))?;
                    println!("{}: hold {id}'s report", file.display());
                }
                HoldsCmd::Report { id, pdf: None } => {
                    let exists: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM legal_holds WHERE id = $1")
                            .bind(id)
                            .fetch_optional(app.db.pool())
                            .await?;
                    anyhow::ensure!(exists.is_some(), "there is no legal hold {id}");
                    let places = crate::records::notices::custodians_of(&app, id)
                        .await
                        .map_err(show)?;
                    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
                    w.write_record(crate::records::notices::REPORT_HEADERS)?;
                    for row in crate::records::notices::report_rows(&places) {
                        w.write_record(&row)?;
                    }
                    w.flush()?;
                }
            }
            Ok(0)
        }
        Command::Import(cmd) => {
            let app = App::open(settings).await?;
            let acting = |email: String| {
                let app = app.clone();
                async move {
                    let u = users::by_email(&app, &email)
                        .await
                        .map_err(show)?
                        .ok_or_else(|| {
                            anyhow::anyhow!("no user {email}: --as names a lexops user")
                        })?;
                    anyhow::ensure!(u.status == "active", "{email} is disabled");
                    let vendor_id: Option<i64> =
                        sqlx::query_scalar("SELECT vendor_id FROM users WHERE id = $1")
                            .bind(u.id)
                            .fetch_one(app.db.pool())
                            .await?;
                    Ok::<_, anyhow::Error>(crate::platform::access::CurrentUser {
                        id: u.id,
                        email: u.email.clone(),
                        name: u.name.clone(),
                        role: u.role(),
                        via_token: false,
                        vendor_id,
                    })
                }
            };
            match cmd {
                ImportCmd::Invoices {
                    files,
                    as_user,
                    json,
                } => {
                    let user = acting(as_user).await?;
                    ensure_can(
                        &user,
                        crate::platform::access::Permission::SubmitInvoices,
                        "submit invoices",
                    )?;
                    let bar = progress_bar();
                    bar.set_length(files.len() as u64);
                    bar.set_message("files");
                    let mut rejected = 0;
                    let outcomes =
                        crate::spend::intake::import_files(&app, &user, files.clone(), |o| {
                            if !o.accepted {
                                rejected += 1;
                            }
                            if !json {
                                bar.suspend(|| {
                                    if o.accepted {
                                        println!(
                                            "{}: accepted, {} invoice(s), {} line items",
                                            o.file,
                                            o.invoice_ids.len(),
                                            o.line_items
                                        );
                                    } else {
                                        println!("{}: REJECTED, nothing stored", o.file);
                                    }
                                    for p in &o.problems {
                                        println!("  {}", p.render());
                                    }
                                });
                            }
                            bar.inc(1);
                        })
                        .await;
                    bar.finish_and_clear();
                    let outcomes = outcomes.map_err(show)?;
                    app.db.refresh_statistics().await?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(
                                &serde_json::json!({ "files": outcomes, "rejected": rejected })
                            )?
                        );
                    } else {
                        println!(
                            "{} file(s): {} accepted, {} rejected",
                            files.len(),
                            files.len() - rejected,
                            rejected
                        );
                    }
                    Ok(if rejected > 0 { 1 } else { 0 })
                }
                ImportCmd::Records {
                    dir,
                    as_user,
                    category,
                    map,
                    custodian,
                    matter,
                } => {
                    let user = acting(as_user).await?;
                    ensure_can(
                        &user,
                        crate::platform::access::Permission::ManageRecords,
                        "add records",
                    )?;
                    let mut mappings = vec![];
                    for m in &map {
                        let (folder, code) = m.split_once('=').with_context(|| {
                            format!("--map {m}: write FOLDER=CODE, e.g. contracts/signed=LEG-100")
                        })?;
                        mappings.push((folder.trim().to_string(), code.trim().to_string()));
                    }
                    let bar = progress_bar();
                    bar.set_message("records");
                    let started = std::time::Instant::now();
                    let outcome = crate::records::store::import_folder(
                        &app,
                        &user,
                        &dir,
                        &category,
                        &mappings,
                        &crate::records::store::Owners { custodian, matter },
                        |done, total| {
                            bar.set_length(total);
                            bar.set_position(done);
                        },
                    )
                    .await
                    .map_err(show)?;
                    bar.finish_and_clear();
                    match outcome {
                        Ok(r) => {
                            let secs = started.elapsed().as_secs_f64().max(0.001);
                            println!(
                                "{}: {} added, {} already kept ({:.1} MB, {:.0} documents/s)",
                                dir.display(),
                                r.added,
                                r.already_kept,
                                r.bytes as f64 / 1e6,
                                (r.added + r.already_kept) as f64 / secs
                            );
                            Ok(0)
                        }
                        Err(problems) => {
                            println!("{}: nothing imported:", dir.display());
                            for p in problems {
                                println!("  {p}");
                            }
                            Ok(1)
                        }
                    }
                }
                ImportCmd::Contracts {
                    dir,
                    as_user,
                    our_names,
                } => {
                    let user = acting(as_user).await?;
                    ensure_can(
                        &user,
                        crate::platform::access::Permission::ManageContracts,
                        "import contracts",
                    )?;
                    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
                        .with_context(|| format!("cannot read {}", dir.display()))?
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.is_file())
                        .collect();
                    paths.sort();
                    let mut files = vec![];
                    for p in &paths {
                        files.push(crate::contracts::store::Upload {
                            filename: p
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                            bytes: std::fs::read(p)
                                .with_context(|| format!("cannot read {}", p.display()))?,
                        });
                    }
                    let names: Vec<&str> = our_names.iter().map(String::as_str).collect();
                    match crate::contracts::import::import(&app, &user, files, &names).await {
                        Ok(r) => {
                            println!(
                                "imported {} contract(s) ({} already there), {} value(s) to verify: {}",
                                r.imported,
                                r.skipped,
                                r.fields,
                                r.numbers.join(", ")
                            );
                            Ok(0)
                        }
                        Err(crate::platform::error::AppError::Validation(fs)) => {
                            eprintln!("nothing was imported:");
                            for f in fs {
                                eprintln!("  {}", f.message);
                            }
                            Ok(1)
                        }
                        Err(e) => Err(show(e)),
                    }
                }
                ImportCmd::Holidays {
                    file,
                    as_user,
                    us_federal,
                } => {
                    let user = acting(as_user).await?;
                    ensure_can(
                        &user,
                        crate::platform::access::Permission::ManageTemplates,
                        "change the holiday calendar",
                    )?;
                    let outcome = match (file, us_federal) {
                        (None, Some(year)) => Ok(crate::contracts::holidays::add_us_federal(
                            &app, &user, year,
                        )
                        .await
                        .map_err(show)?),
                        (Some(file), None) => {
                            let bytes = std::fs::read(&file)
                                .with_context(|| format!("cannot read {}", file.display()))?;
                            crate::contracts::holidays::import_csv(
                                &app,
                                &user,
                                &file.display().to_string(),
                                &bytes,
                            )
                            .await
                            .map_err(show)?
                        }
                        _ => anyhow::bail!("give either a CSV file or --us-federal YEAR"),
                    };
                    match outcome {
                        Ok(r) => {
                            println!(
                                "holidays: {} added, {} renamed, {} unchanged",
                                r.added, r.renamed, r.unchanged
                            );
                            Ok(0)
                        }
                        Err(problems) => {
                            eprintln!("nothing was imported:");
                            for p in problems {
                                eprintln!("  {p}");
                            }
                            Ok(1)
                        }
                    }
                }
                ImportCmd::Custodians { file, as_user } => {
                    let user = acting(as_user).await?;
                    ensure_can(
                        &user,
                        crate::platform::access::Permission::ManageHolds,
                        "import custodians",
                    )?;
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let outcome = crate::records::custodians::import_csv(
                        &app,
                        &user,
                        &file.display().to_string(),
                        &bytes,
                    )
                    .await
                    .map_err(show)?;
                    Ok(report_import(&file, outcome, |r| {
                        format!(
                            "{} created, {} updated, {} unchanged, {} merged",
                            r.created, r.updated, r.unchanged, r.merged
                        )
                    }))
                }
                ImportCmd::FilePlan { file, as_user } => {
                    let user = acting(as_user).await?;
                    ensure_can(
                        &user,
                        crate::platform::access::Permission::ManageRecords,
                        "change the file plan",
                    )?;
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let outcome = crate::records::plan::import_csv(
                        &app,
                        &user,
                        &file.display().to_string(),
                        &bytes,
                    )
                    .await
                    .map_err(show)?;
                    Ok(report_import(&file, outcome, |r| {
                        format!(
                            "{} created, {} updated, {} unchanged, {} not in the file{}",
                            r.created,
                            r.updated,
                            r.unchanged,
                            r.not_in_file,
                            r.version
                                .map(|v| format!("; the file plan is now version {v}"))
                                .unwrap_or_default()
                        )
                    }))
                }
                ImportCmd::Matters { file, as_user } => {
                    let user = acting(as_user).await?;
                    ensure_can(
                        &user,
                        crate::platform::access::Permission::ManageMatters,
                        "import matters",
                    )?;
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let outcome = crate::matters::store::import_csv(
                        &app,
                        &user,
                        &file.display().to_string(),
                        &bytes,
                    )
                    .await
                    .map_err(show)?;
                    Ok(report_import(&file, outcome, |r| {
                        format!(
                            "{} created, {} updated, {} unchanged",
                            r.created, r.updated, r.unchanged
                        )
                    }))
                }
            }
        }
        Command::Backup { file } => {
            let app = App::open(settings).await?;
            let m = backup::backup(&app, &file).await?;
            println!(
                "backup written to {} ({} documents); the master key is NOT in it: keep it apart",
                file.display(),
                m.documents.len()
            );
            Ok(0)
        }
        Command::Restore { file } => {
            let m = backup::restore(&file, &settings.data_dir)?;
            println!(
                "restored the backup of {} ({} documents) into {}; start lexops with the same master key",
                m.created_at,
                m.documents.len(),
                settings.data_dir.display()
            );
            Ok(0)
        }
        Command::Bench {
            suite,
            dir,
            include_trained,
            size,
            json,
        } => {
            let v = match suite.as_str() {
                "cuad" => {
                    let dir = dir.ok_or_else(|| {
                        anyhow::anyhow!("lexops bench cuad DIR: name the folder (contracts/ and master_clauses.csv)")
                    })?;
                    tokio::task::spawn_blocking(move || {
                        crate::contracts::clauses::bench(&dir, include_trained)
                    })
                    .await??
                }
                "platform" => bench::platform(size.unwrap_or(10)).await?,
                "spend" => crate::spend::bench::run(&settings, size.unwrap_or(84) as usize).await?,
                "records" => {
                    crate::records::bench::run(&settings, size.unwrap_or(1_000_000)).await?
                }
                "contracts" => {
                    crate::contracts::bench::run(&settings, size.unwrap_or(100_000)).await?
                }
                "ledes" => {
                    let n = size.unwrap_or(1_000_000) as usize;
                    tokio::task::spawn_blocking(move || ledes::bench(n)).await??
                }
                other => anyhow::bail!(
                    "unknown benchmark suite {other}: choose platform, ledes, spend, records, contracts or cuad"
                ),
            };
            if json {
                println!("{v}");
            } else {
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
            Ok(0)
        }
    }
}

/// A search's JSON at the command line: `{"total": N, "items": [...]}`.
fn print_found(total: i64, items: Vec<serde_json::Value>) -> anyhow::Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({"total": total, "items": items}))?
    );
    Ok(())
}

/// Serves the app until Ctrl-C or SIGTERM, then drains in-flight requests and stops workers.
pub async fn serve(
    app: App,
    listen: SocketAddr,
    workers: usize,
    demo_login: bool,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        anyhow::anyhow!(
            "Cannot listen on {listen} ({e}): choose another address with --listen / LEXOPS_LISTEN."
        )
    })?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::watch::channel(false);
    if workers > 0 {
        // The daily disposition sweep (once a day whatever the restarts).
        crate::records::disposition::schedule_next(&app, 0).await?;
        crate::records::text::queue_now(&app).await?;
        // The daily hold notices: reminders, escalations, re-affirmations.
        jobs::schedule_daily(&app, "holds.notices", 0).await?;
        // The daily contract alerts: key dates and obligations.
        jobs::schedule_daily(&app, crate::contracts::dates::JOB, 0).await?;
    }
    let handles = jobs::spawn_workers(&app, workers, rx);
    // The contracts' search index: opened (built from the database if new) now, not on the
    // first search, and caught up every minute (changes by other processes, and so that a
    // quiet week never leaves it behind the pruned queue).
    let warm = app.clone();
    tokio::spawn(async move {
        loop {
            if let Some(ix) = crate::contracts::index::get(&warm).await
                && let Err(e) = ix.catch_up(&warm).await
            {
                tracing::warn!(error = ?e, "contract search index: catching up failed");
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
    println!("lexops is running at http://{addr}/");
    if demo_login {
        println!(
            "sign in as {} with password {}",
            demo::DEMO_ADMIN,
            demo::DEMO_PASSWORD
        );
    }
    let router = routes::router(app.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    let _ = tx.send(true);
    for h in handles {
        let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
    }
    app.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Refuses, naming the user and role, when `user` does not hold `perm` (what they tried: `what`).
fn ensure_can(
    user: &crate::platform::access::CurrentUser,
    perm: crate::platform::access::Permission,
    what: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        user.can(perm),
        "{} may not {what} (role {})",
        user.email,
        user.role.label()
    );
    Ok(())
}

/// Prints the outcome of an all-or-nothing CSV import (the summary, or every problem) and
/// returns the exit code.
fn report_import<R>(
    file: &std::path::Path,
    outcome: Result<R, Vec<crate::matters::store::ImportProblem>>,
    summary: impl Fn(&R) -> String,
) -> i32 {
    match outcome {
        Ok(r) => {
            println!("{}: {}", file.display(), summary(&r));
            0
        }
        Err(problems) => {
            println!("{}: nothing imported:", file.display());
            for p in problems {
                println!("  {p}");
            }
            1
        }
    }
}

async fn contracts_cmd(settings: Settings, cmd: ContractsCmd) -> anyhow::Result<i32> {
    // The clause commands need no database.
    match cmd {
        ContractsCmd::Clauses { file, min, json } => {
            tokio::task::spawn_blocking(move || {
                crate::contracts::clauses::cli_find(&file, min, json)
            })
            .await?
        }
        ContractsCmd::TrainClauses { dir, out, all } => {
            tokio::task::spawn_blocking(move || {
                crate::contracts::clauses::cli_train(&dir, &out, all)
            })
            .await?
        }
        cmd => contracts_db_cmd(settings, cmd).await,
    }
}

async fn contracts_db_cmd(settings: Settings, cmd: ContractsCmd) -> anyhow::Result<i32> {
    let app = App::open(settings).await?;
    match cmd {
        ContractsCmd::Search {
            query,
            status,
            limit,
            json,
        } => {
            let f = crate::contracts::store::Filter {
                q: query,
                status,
                ..Default::default()
            };
            let (mut rows, total) = crate::contracts::store::list(
                &app,
                None,
                &f,
                "c.updated_at DESC",
                limit.clamp(1, 10_000),
                0,
            )
            .await
            .map_err(show)?;
            for c in &mut rows {
                c.snippet = c
                    .snippet
                    .take()
                    .map(|s| crate::platform::search::snippet_text(&s));
            }
            if json {
                let items: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|c| serde_json::json!({"contract": c, "snippet": c.snippet}))
                    .collect();
                print_found(total, items)?;
            } else {
                println!("{total} contract(s) match");
                for c in &rows {
                    println!(
                        "{}  {:<12} {}  ({})",
                        c.number, c.status, c.title, c.counterparty
                    );
                    if let Some(s) = &c.snippet {
                        println!(
                            "               {}",
                            crate::platform::search::snippet_text(s)
                        );
                    }
                }
            }
            Ok(0)
        }
        ContractsCmd::Redline {
            number,
            to,
            from,
            out,
        } => {
            let c = crate::contracts::store::by_number(&app, None, &number)
                .await
                .map_err(show)?;
            let vid = |n: Option<i64>| {
                let app = app.clone();
                async move {
                    match n {
                        Some(n) => crate::contracts::store::version_by_number(&app, None, c.id, n)
                            .await
                            .map(|v| Some(v.id)),
                        None => Ok(None),
                    }
                }
            };
            let (f, t) = (vid(from).await.map_err(show)?, vid(to).await.map_err(show)?);
            let cmp = crate::contracts::compare::compare(&app, None, c.id, f, t)
                .await
                .map_err(show)?;
            std::fs::write(&out, cmp.docx().map_err(show)?)?;
            println!(
                "{}: version {} -> {}: {} paragraph(s) changed, {} word(s) added, {} removed{}; wrote {}",
                c.number,
                cmp.from.version,
                cmp.to.version,
                cmp.redline.paras_changed,
                cmp.redline.words_inserted,
                cmp.redline.words_deleted,
                if cmp.untracked_changes() {
                    " (the counterparty made them without tracked changes)"
                } else {
                    ""
                },
                out.display()
            );
            Ok(0)
        }
        ContractsCmd::Dates { days, json } => {
            let items = crate::contracts::dates::upcoming(&app, None, days.clamp(0, 3650), false)
                .await
                .map_err(show)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else {
                for i in &items {
                    println!(
                        "{}{}  {}  {}  {}",
                        i.date,
                        if i.overdue { " OVERDUE" } else { "" },
                        i.number,
                        i.label,
                        i.counterparty
                    );
                }
                println!("{} date(s)", items.len());
            }
            Ok(0)
        }
        ContractsCmd::Alerts => {
            let r = crate::contracts::dates::run_alerts(&app)
                .await
                .map_err(show)?;
            println!("queued {} alert(s)", r.sent);
            Ok(0)
        }
        ContractsCmd::Reindex => {
            let started = std::time::Instant::now();
            let n = crate::contracts::index::rebuild(&app).await.map_err(show)?;
            println!(
                "indexed {n} contract(s) in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(0)
        }
        ContractsCmd::Clauses { .. } | ContractsCmd::TrainClauses { .. } => {
            anyhow::bail!("the clause commands run without a database")
        }
    }
}
