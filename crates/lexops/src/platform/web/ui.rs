//! Page building blocks shared by every module: the layout (navigation, user, flash, CSRF
//! token), list parameters (search, filters, sorting, pagination) and CSV export. One way to
//! build a list page: parse [`ListParams`], query with its limit/offset and sort column, and
//! render `components/table_head.html` / `components/pagination.html` with a [`Pager`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{Auth, CsrfToken, FLASH_COOKIE, cookie};
use crate::platform::access::{CurrentUser, Permission};
use crate::platform::app::App;
use crate::platform::error::{AppError, PageError};

/// Kinds of flash message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
    Info,
    Warning,
}

impl FlashKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
            FlashKind::Info => "info",
            FlashKind::Warning => "warning",
        }
    }
    fn parse(s: &str) -> FlashKind {
        match s {
            "success" => FlashKind::Success,
            "error" => FlashKind::Error,
            "warning" => FlashKind::Warning,
            _ => FlashKind::Info,
        }
    }
}

/// A one-time message shown at the top of a page.
#[derive(Clone, Debug)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn css(&self) -> &'static str {
        match self.kind {
            FlashKind::Success => "flash flash-success",
            FlashKind::Error => "flash flash-error",
            FlashKind::Info => "flash flash-info",
            FlashKind::Warning => "flash flash-warning",
        }
    }
    pub fn icon(&self) -> &'static str {
        super::icons::icon(match self.kind {
            FlashKind::Success => "check",
            FlashKind::Error => "alert",
            FlashKind::Warning => "alert",
            FlashKind::Info => "info",
        })
    }
}

/// One entry of the left navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub icon: &'static str,
    pub active: bool,
}

/// A group of the navigation.
#[derive(Clone, Debug)]
pub struct NavSection {
    pub title: &'static str,
    pub items: Vec<NavItem>,
}

/// The navigation entries: (section, label, href, icon, permission, key). A module appears
/// only once it is built; modules add their line here.
#[rustfmt::skip]
const NAV: &[(&str, &str, &str, &str, Permission, &str)] = &[
    ("Workspace", "Home", "/", "home", Permission::UseApp, "home"),
    ("Workspace", "Matters", "/matters", "briefcase", Permission::ViewMatters, "matters"),
    ("Spend", "Spend dashboard", "/spend", "scale", Permission::ViewSpend, "spend"),
    ("Spend", "Invoices", "/spend/invoices", "receipt", Permission::ViewSpend, "invoices"),
    ("Spend", "Vendors", "/spend/vendors", "users", Permission::ViewSpend, "vendors"),
    ("Spend", "Rate requests", "/spend/rate-requests", "key", Permission::ManageVendors, "rate-requests"),
    ("Spend", "Billing guidelines", "/spend/guidelines", "book", Permission::ManageVendors, "guidelines"),
    ("Spend", "AP exports", "/spend/exports", "download", Permission::ReviewInvoices, "exports"),
    ("Contracts", "Contracts", "/contracts", "pen", Permission::ViewContracts, "contracts"),
    ("Contracts", "Key dates", "/contracts/dates", "clock", Permission::ViewContracts, "contract-dates"),
    ("Contracts", "Import & verify", "/contracts/verify", "upload", Permission::ManageContracts, "contract-verify"),
    ("Contracts", "Templates & clauses", "/contracts/templates", "book", Permission::ManageTemplates, "contract-templates"),
    ("Contracts", "Approval rules", "/contracts/approval-rules", "check", Permission::ManageTemplates, "contract-rules"),
    ("Contracts", "My requests", "/contracts/requests", "send", Permission::RequestContracts, "contract-requests"),
    ("Records", "Records", "/records", "file", Permission::ViewRecords, "records"),
    ("Records", "File plan", "/records/plan", "book", Permission::ViewRecords, "file-plan"),
    ("Records", "Disposition", "/records/disposition", "check", Permission::ManageRecords, "disposition"),
    ("Records", "Legal holds", "/holds", "lock", Permission::ManageHolds, "holds"),
    ("Records", "Custodians", "/holds/custodians", "users", Permission::ManageHolds, "custodians"),
    ("Vendor portal", "My invoices", "/portal", "receipt", Permission::UseVendorPortal, "portal"),
    ("Vendor portal", "Timekeepers & rates", "/portal/rates", "key", Permission::UseVendorPortal, "portal-rates"),
    ("Administration", "Users", "/admin/users", "users", Permission::ViewUsers, "users"),
    ("Administration", "Audit trail", "/admin/audit", "audit", Permission::ViewAudit, "audit"),
    ("Administration", "Jobs & mail", "/admin/jobs", "jobs", Permission::ViewJobs, "jobs"),
    ("Account", "My account", "/account", "user", Permission::ManageOwnAccount, "account"),
];

/// What the layout template needs.
#[derive(Clone, Debug)]
pub struct Layout {
    pub title: String,
    pub user: Option<CurrentUser>,
    pub nav: Vec<NavSection>,
    pub flash: Option<Flash>,
    pub csrf: String,
    pub version: &'static str,
}

impl Layout {
    pub fn icon(&self, name: &str) -> &'static str {
        super::icons::icon(name)
    }
    /// The date part (`YYYY-MM-DD`) of a stored timestamp.
    pub fn day<'a>(&self, ts: &'a str) -> &'a str {
        ts.get(..10).unwrap_or(ts)
    }
    /// The minute (`YYYY-MM-DD HH:MM`) of a stored timestamp.
    pub fn minute(&self, ts: &str) -> String {
        ts.get(..16).unwrap_or(ts).replace('T', " ")
    }
    /// The date of an optional timestamp, or `none`.
    pub fn day_or<'a>(&self, ts: &'a Option<String>, none: &'a str) -> &'a str {
        ts.as_deref()
            .map(|t| t.get(..10).unwrap_or(t))
            .unwrap_or(none)
    }
    pub fn role_label(&self) -> &'static str {
        self.user.as_ref().map(|u| u.role.label()).unwrap_or("")
    }
}

/// The per-request context of a page handler: the signed-in user, the CSRF token and the
/// flash message. Extracting it consumes the flash; [`PageCtx::render`] clears its cookie.
pub struct PageCtx {
    pub app: App,
    pub user: Option<CurrentUser>,
    pub auth: Auth,
    pub csrf: String,
    pub flash: Option<Flash>,
}

impl FromRequestParts<App> for PageCtx {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let flash = cookie(&parts.headers, FLASH_COOKIE).and_then(|raw| {
            let decoded: String =
                serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("x={raw}"))
                    .ok()?
                    .pop()?
                    .1;
            let (k, m) = decoded.split_once(':')?;
            Some(Flash {
                kind: FlashKind::parse(k),
                message: m.chars().take(500).collect(),
            })
        });
        let user = auth.user().cloned().or_else(|| {
            auth.session
                .as_ref()
                .filter(|s| !s.mfa_pending && s.must_enroll_totp)
                .map(|s| s.user.clone())
        });
        Ok(PageCtx {
            app: app.clone(),
            user,
            auth,
            csrf,
            flash,
        })
    }
}

impl PageCtx {
    /// The signed-in user (the route's policy guarantees one on protected pages).
    pub fn user(&self) -> Result<&CurrentUser, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }

    /// The layout for a page titled `title` whose navigation entry `active` is highlighted.
    pub fn layout(&self, title: &str, active: &str) -> Layout {
        let mut nav: Vec<NavSection> = vec![];
        if let Some(u) = &self.user {
            for (section, label, href, icon, perm, key) in NAV {
                if !u.can(*perm) {
                    continue;
                }
                let item = NavItem {
                    label,
                    href,
                    icon: super::icons::icon(icon),
                    active: *key == active,
                };
                match nav.iter_mut().find(|s| s.title == *section) {
                    Some(s) => s.items.push(item),
                    None => nav.push(NavSection {
                        title: section,
                        items: vec![item],
                    }),
                }
            }
        }
        Layout {
            title: title.to_string(),
            user: self.user.clone(),
            nav,
            flash: self.flash.clone(),
            csrf: self.csrf.clone(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// Renders a template, clearing the flash cookie once it has been shown.
    pub fn render<T: askama::Template>(&self, t: T) -> Result<Response, PageError> {
        let html = t.render().map_err(AppError::from)?;
        let mut resp = Html(html).into_response();
        if self.flash.is_some() {
            resp.headers_mut().append(
                header::SET_COOKIE,
                super::set_cookie(&self.app, FLASH_COOKIE, "", Some(0)),
            );
        }
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(resp)
    }
}

/// Query parameters of every list page.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub per_page: Option<i64>,
    /// `csv` exports every matching row instead of a page.
    #[serde(default)]
    pub format: String,
}

impl ListParams {
    pub fn per_page(&self) -> i64 {
        self.per_page.unwrap_or(50).clamp(1, 500)
    }
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }
    pub fn offset(&self) -> i64 {
        (self.page() - 1) * self.per_page()
    }
    pub fn is_csv(&self) -> bool {
        self.format == "csv"
    }
    pub fn descending(&self) -> bool {
        self.dir == "desc"
    }
    /// The ORDER BY expression for the requested sort key, from a whitelist of
    /// `(key, column)`; the first entry is the default.
    pub fn order_by(&self, sorts: &[(&str, &str)]) -> String {
        let col = sorts
            .iter()
            .find(|(k, _)| *k == self.sort)
            .unwrap_or(&sorts[0])
            .1;
        format!("{col} {}", if self.descending() { "DESC" } else { "ASC" })
    }
    /// (limit, offset) for the query: everything for CSV export.
    pub fn window(&self) -> (i64, i64) {
        if self.is_csv() {
            (1_000_000, 0)
        } else {
            (self.per_page(), self.offset())
        }
    }
}

/// A sortable column header.
#[derive(Clone, Debug)]
pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// "", "asc" or "desc".
    pub state: &'static str,
    pub numeric: bool,
}

/// Pagination, sorting links and export link for a list page.
#[derive(Clone, Debug)]
pub struct Pager {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub first: i64,
    pub last: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub csv_href: String,
    pub headers: Vec<SortHeader>,
}

impl Pager {
    /// Builds the pager for `total` rows. `base` is the page path, `filters` the other query
    /// pairs to keep (search and filter values), `columns` `(key, label, numeric)` with an
    /// empty key for unsortable columns.
    pub fn new(
        base: &str,
        params: &ListParams,
        filters: &[(&str, &str)],
        total: i64,
        columns: &[(&str, &'static str, bool)],
        default_sort: &str,
    ) -> Pager {
        let per = params.per_page();
        let pages = ((total + per - 1) / per).max(1);
        let page = params.page().min(pages);
        let current_sort = if params.sort.is_empty() {
            default_sort
        } else {
            params.sort.as_str()
        };
        let link = |pairs: &[(&str, String)]| -> String {
            let mut all: Vec<(&str, String)> = filters
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (*k, v.to_string()))
                .collect();
            all.extend(pairs.iter().filter(|(_, v)| !v.is_empty()).cloned());
            let qs = serde_urlencoded::to_string(&all).unwrap_or_default();
            if qs.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{qs}")
            }
        };
        let sort_pairs = vec![("sort", params.sort.clone()), ("dir", params.dir.clone())];
        let page_link = |p: i64| {
            let mut v = sort_pairs.clone();
            v.push(("page", p.to_string()));
            link(&v)
        };
        let headers = columns
            .iter()
            .map(|(key, label, numeric)| {
                if key.is_empty() {
                    return SortHeader {
                        label,
                        href: String::new(),
                        state: "",
                        numeric: *numeric,
                    };
                }
                let active = *key == current_sort;
                let state = if active {
                    if params.descending() { "desc" } else { "asc" }
                } else {
                    ""
                };
                let next_dir = if active && !params.descending() {
                    "desc"
                } else {
                    "asc"
                };
                SortHeader {
                    label,
                    href: link(&[("sort", key.to_string()), ("dir", next_dir.to_string())]),
                    state,
                    numeric: *numeric,
                }
            })
            .collect();
        let mut csv = sort_pairs.clone();
        csv.push(("format", "csv".into()));
        Pager {
            total,
            page,
            pages,
            first: if total == 0 { 0 } else { (page - 1) * per + 1 },
            last: (page * per).min(total),
            prev_href: (page > 1).then(|| page_link(page - 1)),
            next_href: (page < pages).then(|| page_link(page + 1)),
            csv_href: link(&csv),
            headers,
        }
    }
}

/// A CSV download of `rows` under `headers`. Cells that a spreadsheet would run as a formula
/// are prefixed with `'` (CSV injection).
pub fn csv_response(
    filename: &str,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Response {
    let mut w = csv::Writer::from_writer(vec![]);
    let _ = w.write_record(headers);
    for r in rows {
        let safe: Vec<String> = r
            .into_iter()
            .map(|c| {
                // A number (even negative) stays a number; anything else a spreadsheet would run
                // as a formula gets a leading quote.
                let numeric = c.parse::<f64>().is_ok() && !c.contains(['e', 'E', 'x', 'X']);
                if !numeric && c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    format!("'{c}")
                } else {
                    c
                }
            })
            .collect();
        let _ = w.write_record(&safe);
    }
    let body = w.into_inner().unwrap_or_default();
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// Formats a count with thousands separators.
pub fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_links_keep_filters_and_flip_sort() {
        let p = ListParams {
            q: "ann".into(),
            sort: "name".into(),
            dir: "asc".into(),
            page: Some(2),
            per_page: Some(10),
            format: String::new(),
        };
        let pg = Pager::new(
            "/admin/users",
            &p,
            &[("q", "ann")],
            35,
            &[("name", "Name", false), ("", "Actions", false)],
            "name",
        );
        assert_eq!((pg.page, pg.pages, pg.first, pg.last), (2, 4, 11, 20));
        assert_eq!(
            pg.prev_href.as_deref(),
            Some("/admin/users?q=ann&sort=name&dir=asc&page=1")
        );
        assert_eq!(pg.headers[0].state, "asc");
        assert_eq!(pg.headers[0].href, "/admin/users?q=ann&sort=name&dir=desc");
        assert!(pg.csv_href.ends_with("format=csv"));
        assert_eq!(
            p.order_by(&[("name", "name"), ("email", "email")]),
            "name ASC"
        );
        let evil = ListParams {
            sort: "1; DROP TABLE users".into(),
            ..Default::default()
        };
        assert_eq!(evil.order_by(&[("name", "name")]), "name ASC");
    }

    #[tokio::test]
    async fn csv_export_neutralises_formulas_but_keeps_numbers() {
        let r = csv_response(
            "x.csv",
            &["a", "b", "c"],
            vec![vec!["=HYPERLINK(1)".into(), "-200.00".into(), "@me".into()]],
        );
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "a,b,c\n'=HYPERLINK(1),-200.00,'@me\n"
        );
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(thousands(-1000), "-1,000");
    }
}
