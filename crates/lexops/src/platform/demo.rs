//! Demo data: a deterministic department. `lexops demo` and `serve --demo` call [`seed`];
//! each module adds its own data here. Seeding twice changes nothing.

use super::access::{CurrentUser, Role};
use super::app::App;
use super::audit::Actor;
use super::error::AppError;
use super::users::{self, NewUser};

/// The password of every demo account (printed by `serve --demo`).
pub const DEMO_PASSWORD: &str = "lexops-demo-2026";
/// The demo administrator.
pub const DEMO_ADMIN: &str = "admin@demo.lexops.test";

/// The demo people: one or more of every role.
pub const PEOPLE: &[(&str, &str, Role)] = &[
    ("admin@demo.lexops.test", "Alex Morgan", Role::Admin),
    ("legalops@demo.lexops.test", "Jane Doe", Role::LegalOps),
    ("attorney@demo.lexops.test", "Priya Raman", Role::Attorney),
    ("counsel@demo.lexops.test", "Henrik Larsen", Role::Attorney),
    (
        "paralegal@demo.lexops.test",
        "Tomás Álvarez",
        Role::Paralegal,
    ),
    ("requester@demo.lexops.test", "Olivia Chen", Role::Requester),
    ("vendor@demo.lexops.test", "Marcus Whitfield", Role::Vendor),
    (
        "custodian@demo.lexops.test",
        "Aisha Mahmoud",
        Role::Custodian,
    ),
    ("auditor@demo.lexops.test", "Sophie Lambert", Role::Auditor),
];

/// What [`seed`] did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub users_created: usize,
}

/// Creates the demo department (idempotent) at the small scale.
pub async fn seed(app: &App) -> Result<SeedReport, AppError> {
    seed_with(app, crate::spend::demo::Scale::SMALL, |_, _, _| {}).await
}

fn current(u: &users::User) -> CurrentUser {
    CurrentUser {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role(),
        via_token: false,
        vendor_id: None,
    }
}

/// Creates the demo department at a given scale, reporting progress `(stage, done, total)`.
pub async fn seed_with(
    app: &App,
    scale: crate::spend::demo::Scale,
    progress: impl FnMut(&str, u64, u64),
) -> Result<SeedReport, AppError> {
    let actor = Actor::system("demo");
    let mut report = SeedReport::default();
    for (email, name, role) in PEOPLE {
        if users::by_email(app, email).await?.is_some() {
            continue;
        }
        users::create(
            app,
            &actor,
            NewUser {
                email: email.to_string(),
                name: name.to_string(),
                role: role.as_str().to_string(),
                password: Some(DEMO_PASSWORD.to_string()),
                totp_required: false,
            },
        )
        .await?;
        report.users_created += 1;
    }
    let admin = users::by_email(app, DEMO_ADMIN)
        .await?
        .ok_or_else(|| AppError::NotFound("demo admin".into()))?;
    let ops = users::by_email(app, "legalops@demo.lexops.test")
        .await?
        .ok_or_else(|| AppError::NotFound("demo legal ops".into()))?;
    let contracts = scale.contracts;
    crate::spend::demo::seed(app, &current(&admin), &current(&ops), scale, progress).await?;
    crate::records::demo::seed(app, &current(&ops)).await?;
    let requester = users::by_email(app, "requester@demo.lexops.test")
        .await?
        .ok_or_else(|| AppError::NotFound("demo requester".into()))?;
    crate::contracts::demo::seed(app, &current(&ops), &current(&requester), contracts).await?;
    // The demo vendor user works for the first firm.
    let first: Option<i64> = sqlx::query_scalar("SELECT id FROM vendors ORDER BY id LIMIT 1")
        .fetch_optional(app.db.pool())
        .await?;
    if let Some(v) = first {
        let linked: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT vendor_id FROM users WHERE email = 'vendor@demo.lexops.test'",
        )
        .fetch_optional(app.db.pool())
        .await?;
        if linked == Some(None) {
            crate::spend::vendors::link_user(app, &current(&admin), v, "vendor@demo.lexops.test")
                .await?;
        }
    }
    Ok(report)
}
