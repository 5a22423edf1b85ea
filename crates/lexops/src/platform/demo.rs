//! Demo data: a deterministic department. `lexops demo` and `serve --demo` call [`seed`];
//! each module adds its own data here. Seeding twice changes nothing.

use super::access::Role;
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

/// Creates the demo department (idempotent).
pub async fn seed(app: &App) -> Result<SeedReport, AppError> {
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
    Ok(report)
}
