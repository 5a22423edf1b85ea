//! Access control: roles, permissions, route policies and object-level scopes.
//!
//! One function decides: [`check`] = the role's permission AND, for an object behind an
//! ethical wall, membership of that wall. A wall beats any grant, the admin role included.
//! Every route declares a [`Policy`] (see `routes`), enforced before its handler runs.

use serde::{Deserialize, Serialize};

use super::db::Db;
use super::error::AppError;

/// The roles of lexops (PRODUCT.md, "Who uses it").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    LegalOps,
    Attorney,
    Paralegal,
    Requester,
    Vendor,
    Custodian,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::LegalOps,
        Role::Attorney,
        Role::Paralegal,
        Role::Requester,
        Role::Vendor,
        Role::Custodian,
        Role::Auditor,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::LegalOps => "legal_ops",
            Role::Attorney => "attorney",
            Role::Paralegal => "paralegal",
            Role::Requester => "requester",
            Role::Vendor => "vendor",
            Role::Custodian => "custodian",
            Role::Auditor => "auditor",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::LegalOps => "Legal ops",
            Role::Attorney => "Attorney",
            Role::Paralegal => "Paralegal",
            Role::Requester => "Requester",
            Role::Vendor => "Vendor",
            Role::Custodian => "Custodian",
            Role::Auditor => "Auditor",
        }
    }

    /// Parses a stored or typed role name (`legal_ops`, `legal-ops`, `Legal ops`).
    pub fn parse(s: &str) -> Option<Role> {
        let k = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Role::ALL.into_iter().find(|r| r.as_str() == k)
    }

    /// Whether this role holds a permission.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            UseApp | ManageOwnAccount => true,
            ManageUsers | ManageSettings => self == Admin,
            ViewAudit => matches!(self, Admin | LegalOps | Auditor),
            ViewJobs => matches!(self, Admin | LegalOps),
            ViewUsers => matches!(self, Admin | LegalOps | Auditor),
            ViewMatters => matches!(self, Admin | LegalOps | Attorney | Paralegal | Auditor),
            ManageMatters => matches!(self, Admin | LegalOps | Attorney),
            ViewSpend => matches!(self, Admin | LegalOps | Attorney | Paralegal | Auditor),
            ManageVendors => matches!(self, Admin | LegalOps),
            ReviewInvoices => matches!(self, Admin | LegalOps | Attorney),
            SubmitInvoices => matches!(self, Admin | LegalOps | Vendor),
            UseVendorPortal => self == Vendor,
            ViewInvoicesApi => matches!(
                self,
                Admin | LegalOps | Attorney | Paralegal | Auditor | Vendor
            ),
            ViewRecords => matches!(self, Admin | LegalOps | Attorney | Paralegal | Auditor),
            ManageRecords => matches!(self, Admin | LegalOps),
            ManageHolds => matches!(self, Admin | LegalOps | Attorney),
            ViewContracts => matches!(self, Admin | LegalOps | Attorney | Paralegal | Auditor),
            ManageContracts => matches!(self, Admin | LegalOps | Attorney | Paralegal),
            ManageTemplates => matches!(self, Admin | LegalOps | Attorney),
            RequestContracts => matches!(self, Admin | LegalOps | Attorney | Paralegal | Requester),
        }
    }
}

/// What a role may do. Modules add their own variants here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the home dashboard and the navigation.
    UseApp,
    /// Change one's own password, second factor and API tokens.
    ManageOwnAccount,
    /// Create, edit and disable users; assign roles.
    ManageUsers,
    /// List users (read only).
    ViewUsers,
    /// Change department-wide settings.
    ManageSettings,
    /// Read and verify the audit trail.
    ViewAudit,
    /// See background jobs and the mail outbox.
    ViewJobs,
    /// See matters (walled ones only from inside their wall).
    ViewMatters,
    /// Open, edit and import matters; manage the walls one is on.
    ManageMatters,
    /// See invoices, vendors, rates and spend analytics.
    ViewSpend,
    /// Register vendors, approve timekeepers and rates, assign matters, set guidelines.
    ManageVendors,
    /// Review, adjust and approve invoices; export them to accounts payable.
    ReviewInvoices,
    /// Submit LEDES invoices (vendors through the portal; legal ops on their behalf).
    SubmitInvoices,
    /// The vendor portal: one's own firm's invoices, rates and accruals.
    UseVendorPortal,
    /// Read invoices and vendors through the API (staff: all visible; vendors: their own).
    ViewInvoicesApi,
    /// See the file plan and records.
    ViewRecords,
    /// Change the file plan; manage records and their disposition.
    ManageRecords,
    /// Place and release legal holds.
    ManageHolds,
    /// See the contract repository (walled matters' contracts only from inside the wall).
    ViewContracts,
    /// Create and edit contracts, add versions, move them through their statuses.
    ManageContracts,
    /// Write contract templates and the clause library.
    ManageTemplates,
    /// Ask legal for a contract and follow one's own requests.
    RequestContracts,
}

impl Permission {
    pub const ALL: [Permission; 22] = [
        Permission::ViewContracts,
        Permission::ManageContracts,
        Permission::ManageTemplates,
        Permission::RequestContracts,
        Permission::ManageHolds,
        Permission::ViewRecords,
        Permission::ManageRecords,
        Permission::ViewInvoicesApi,
        Permission::ViewSpend,
        Permission::ManageVendors,
        Permission::ReviewInvoices,
        Permission::SubmitInvoices,
        Permission::UseVendorPortal,
        Permission::ViewMatters,
        Permission::ManageMatters,
        Permission::UseApp,
        Permission::ManageOwnAccount,
        Permission::ManageUsers,
        Permission::ViewUsers,
        Permission::ManageSettings,
        Permission::ViewAudit,
        Permission::ViewJobs,
    ];
}

/// The access rule of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, signed in or not (sign-in page, health checks, static assets).
    Public,
    /// A signed-in user holding the permission.
    Requires(Permission),
}

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Signed in through an API token (not a browser session).
    pub via_token: bool,
    /// For the vendor role: the firm this person works for (they see only its data).
    pub vendor_id: Option<i64>,
}

impl CurrentUser {
    pub fn can(&self, p: Permission) -> bool {
        self.role.can(p)
    }

    /// The actor label written in the audit trail.
    pub fn actor(&self) -> super::audit::Actor {
        super::audit::Actor::user(self.id, &self.email)
    }

    pub fn initials(&self) -> String {
        self.name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .collect::<String>()
            .to_uppercase()
    }
}

/// The decision: may `user` exercise `perm`, on `object` if given (`(type, id)`)?
/// Denied when the role lacks the permission, or when the object is walled and the user is
/// not on its wall, whatever the role.
pub async fn check(
    db: &Db,
    user: &CurrentUser,
    perm: Permission,
    object: Option<(&str, i64)>,
) -> Result<(), AppError> {
    if !user.can(perm) {
        return Err(AppError::forbidden());
    }
    if let Some((ty, id)) = object
        && !can_see(db, user, ty, id).await?
    {
        // A walled object is reported as absent, so its existence does not leak.
        return Err(AppError::NotFound(ty.replace('_', " ")));
    }
    Ok(())
}

/// Whether an object is visible to the user: not walled, or walled with the user inside.
pub async fn can_see(db: &Db, user: &CurrentUser, ty: &str, id: i64) -> Result<bool, AppError> {
    let walled: Option<i64> = sqlx::query_scalar(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM object_walls w WHERE w.object_type = $1 AND w.object_id = $2 AND w.user_id = $3) THEN 1 ELSE 0 END \
         FROM walled_objects WHERE object_type = $1 AND object_id = $2",
    )
    .bind(ty)
    .bind(id)
    .bind(user.id)
    .fetch_optional(db.pool())
    .await?;
    Ok(match walled {
        None => true,
        Some(inside) => inside == 1,
    })
}

/// [`visible_sql`] for an optional viewer: the condition (with a leading ` AND `) and whether to
/// bind the viewer's id as `$N`; nothing for `None` (the operator at the command line, who
/// sees everything).
pub fn visible_sql_for(
    viewer: Option<&CurrentUser>,
    object_type: &'static str,
    id_column: &str,
    user_param: usize,
) -> String {
    match viewer {
        Some(_) => format!(" AND {}", visible_sql(object_type, id_column, user_param)),
        None => String::new(),
    }
}

/// SQL condition that keeps only rows whose `{id_column}` object is visible to user `$N`.
/// Modules put it into every list, search and export query, so that a walled object
/// never appears anywhere.
pub fn visible_sql(object_type: &'static str, id_column: &str, user_param: usize) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM walled_objects wo WHERE wo.object_type = '{object_type}' AND wo.object_id = {id_column} \
         AND NOT EXISTS (SELECT 1 FROM object_walls ow WHERE ow.object_type = wo.object_type AND ow.object_id = wo.object_id AND ow.user_id = ${user_param}))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(Role::parse(r.label()), Some(r));
        }
        assert_eq!(Role::parse("legal-ops"), Some(Role::LegalOps));
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn only_admins_manage_users() {
        for r in Role::ALL {
            assert_eq!(r.can(Permission::ManageUsers), r == Role::Admin);
            assert!(r.can(Permission::UseApp));
        }
        assert!(Role::Auditor.can(Permission::ViewAudit));
        assert!(!Role::Vendor.can(Permission::ViewAudit));
    }
}
