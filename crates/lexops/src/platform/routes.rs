//! Every route of lexops with its access policy, in one table. The router is built from it, so
//! a route cannot exist without a policy; `tests/app/routes.rs` walks [`table`] and proves each
//! protected route refuses a role without its permission. Modules add their routes here.

use axum::Router;
use axum::extract::State;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use tower_http::limit::RequestBodyLimitLayer;

use super::access::{Permission as P, Policy};
use super::app::App;
use super::web::{self, Surface};
use super::{api, pages};
use crate::{contracts, matters, records, spend};

/// One route: method, path (axum syntax), policy and surface.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub policy: Policy,
    pub surface: Surface,
}

struct Table {
    specs: Vec<RouteSpec>,
    router: Router<App>,
}

impl Table {
    fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        policy: Policy,
        surface: Surface,
        handler: H,
    ) -> Self
    where
        H: Handler<T, App>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        let mr: MethodRouter<App> =
            on(filter, handler).layer(middleware::from_fn(move |req, next: Next| {
                web::enforce(policy, surface, req, next)
            }));
        self.router = self.router.route(path, mr);
        self.specs.push(RouteSpec {
            method,
            path,
            policy,
            surface,
        });
        self
    }
    fn page<H: Handler<T, App>, T: 'static>(
        self,
        method: Method,
        path: &'static str,
        policy: Policy,
        h: H,
    ) -> Self {
        self.add(method, path, policy, Surface::Page, h)
    }
    fn api<H: Handler<T, App>, T: 'static>(
        self,
        method: Method,
        path: &'static str,
        policy: Policy,
        h: H,
    ) -> Self {
        self.add(method, path, policy, Surface::Api, h)
    }
}

const PUBLIC: Policy = Policy::Public;
const fn req(p: P) -> Policy {
    Policy::Requires(p)
}

#[rustfmt::skip]
fn build() -> Table {
    let t = Table { specs: vec![], router: Router::new() };
    t
        // Sign-in and the shell.
        .page(Method::GET, "/login", PUBLIC, pages::login_form)
        .page(Method::POST, "/login", PUBLIC, pages::login)
        .page(Method::GET, "/login/totp", PUBLIC, pages::totp_form)
        .page(Method::POST, "/login/totp", PUBLIC, pages::totp_login)
        .page(Method::POST, "/logout", PUBLIC, pages::logout)
        .page(Method::GET, "/", req(P::UseApp), pages::home)
        // My account.
        .page(Method::GET, "/account", req(P::ManageOwnAccount), pages::account)
        .page(Method::POST, "/account/password", req(P::ManageOwnAccount), pages::change_password)
        .page(Method::POST, "/account/tokens", req(P::ManageOwnAccount), pages::create_token)
        .page(Method::POST, "/account/tokens/{id}/revoke", req(P::ManageOwnAccount), pages::revoke_token)
        .page(Method::GET, "/account/totp", req(P::ManageOwnAccount), pages::totp_setup)
        .page(Method::POST, "/account/totp", req(P::ManageOwnAccount), pages::totp_enable)
        // Matters.
        .page(Method::GET, "/contracts", req(P::ViewContracts), contracts::pages::list)
        .page(Method::GET, "/contracts/new", req(P::ManageContracts), contracts::pages::new_form)
        .page(Method::POST, "/contracts", req(P::ManageContracts), contracts::pages::create)
        .page(Method::GET, "/contracts/request", req(P::RequestContracts), contracts::pages::request_form)
        .page(Method::POST, "/contracts/request", req(P::RequestContracts), contracts::pages::request)
        .page(Method::GET, "/contracts/requests", req(P::RequestContracts), contracts::pages::my_requests)
        .page(Method::GET, "/contracts/requests/{id}", req(P::RequestContracts), contracts::pages::request_detail)
        .page(Method::GET, "/contracts/templates", req(P::ManageTemplates), contracts::pages::templates_list)
        .page(Method::GET, "/contracts/approval-rules", req(P::ManageTemplates), contracts::pages::rules_page)
        .page(Method::GET, "/contracts/dates", req(P::ViewContracts), contracts::pages::dates_page)
        .page(Method::GET, "/contracts/holidays", req(P::ViewContracts), contracts::pages::holidays_page)
        .page(Method::POST, "/contracts/holidays", req(P::ManageTemplates), contracts::pages::holiday_add)
        .page(Method::POST, "/contracts/holidays/us-federal", req(P::ManageTemplates), contracts::pages::holidays_us_federal)
        .page(Method::POST, "/contracts/holidays/import", req(P::ManageTemplates), contracts::pages::holidays_import)
        .page(Method::POST, "/contracts/holidays/{day}/delete", req(P::ManageTemplates), contracts::pages::holiday_remove)
        .page(Method::GET, "/contracts/{id}/clauses", req(P::ViewContracts), contracts::pages::clauses_page)
        .page(Method::GET, "/contracts/verify", req(P::ManageContracts), contracts::pages::verify_page)
        .page(Method::POST, "/contracts/verify/{id}", req(P::ManageContracts), contracts::pages::verify)
        .page(Method::POST, "/contracts/import", req(P::ManageContracts), contracts::pages::import)
        .page(Method::GET, "/calendar/{token}", PUBLIC, contracts::pages::calendar_feed)
        .page(Method::POST, "/contracts/approval-rules", req(P::ManageTemplates), contracts::pages::rule_save)
        .page(Method::GET, "/contracts/templates/new", req(P::ManageTemplates), contracts::pages::template_new)
        .page(Method::POST, "/contracts/templates", req(P::ManageTemplates), contracts::pages::template_create)
        .page(Method::GET, "/contracts/templates/{id}", req(P::ManageTemplates), contracts::pages::template_edit)
        .page(Method::POST, "/contracts/templates/{id}", req(P::ManageTemplates), contracts::pages::template_update)
        .page(Method::GET, "/contracts/clauses/new", req(P::ManageTemplates), contracts::pages::clause_new)
        .page(Method::POST, "/contracts/clauses", req(P::ManageTemplates), contracts::pages::clause_create)
        .page(Method::GET, "/contracts/clauses/{id}", req(P::ManageTemplates), contracts::pages::clause_edit)
        .page(Method::POST, "/contracts/clauses/{id}", req(P::ManageTemplates), contracts::pages::clause_update)
        .page(Method::GET, "/contracts/{id}", req(P::ViewContracts), contracts::pages::detail)
        .page(Method::GET, "/contracts/{id}/edit", req(P::ManageContracts), contracts::pages::edit_form)
        .page(Method::POST, "/contracts/{id}", req(P::ManageContracts), contracts::pages::update)
        .page(Method::POST, "/contracts/{id}/status", req(P::ManageContracts), contracts::pages::set_status)
        .page(Method::POST, "/contracts/{id}/versions", req(P::ManageContracts), contracts::pages::add_version)
        .page(Method::GET, "/contracts/{id}/versions/{vid}", req(P::ViewContracts), contracts::pages::version_view)
        .page(Method::GET, "/contracts/{id}/versions/{vid}/content", req(P::ViewContracts), contracts::pages::version_content)
        .page(Method::POST, "/contracts/{id}/versions/{vid}/sent", req(P::ManageContracts), contracts::pages::version_sent)
        .page(Method::GET, "/contracts/{id}/redline", req(P::ViewContracts), contracts::pages::redline)
        .page(Method::GET, "/contracts/{id}/redline.docx", req(P::ViewContracts), contracts::pages::redline_docx)
        .page(Method::POST, "/contracts/{id}/comments", req(P::ManageContracts), contracts::pages::add_comment)
        .page(Method::POST, "/contracts/{id}/approvals/{aid}", req(P::ManageContracts), contracts::pages::decide)
        .page(Method::POST, "/contracts/{id}/signature", req(P::ManageContracts), contracts::pages::request_signature)
        .page(Method::GET, "/contracts/{id}/calendar.ics", req(P::ViewContracts), contracts::pages::contract_calendar)
        .page(Method::POST, "/contracts/{id}/obligations", req(P::ManageContracts), contracts::pages::add_obligation)
        .page(Method::POST, "/contracts/{id}/obligations/{oid}", req(P::ManageContracts), contracts::pages::complete_obligation)
        .page(Method::GET, "/contracts/{id}/draft", req(P::ManageContracts), contracts::pages::draft_form)
        .page(Method::POST, "/contracts/{id}/draft", req(P::ManageContracts), contracts::pages::draft)
        .page(Method::GET, "/records", req(P::ViewRecords), records::pages::records_list)
        .page(Method::GET, "/records/upload", req(P::ManageRecords), records::pages::upload_form)
        .page(Method::POST, "/records/upload", req(P::ManageRecords), records::pages::upload)
        .page(Method::GET, "/records/plan", req(P::ViewRecords), records::pages::list)
        .page(Method::GET, "/records/plan/new", req(P::ManageRecords), records::pages::new_form)
        .page(Method::POST, "/records/plan", req(P::ManageRecords), records::pages::create)
        .page(Method::POST, "/records/plan/import", req(P::ManageRecords), records::pages::import)
        .page(Method::GET, "/records/plan/versions/{version}", req(P::ViewRecords), records::pages::version)
        .page(Method::GET, "/records/plan/{id}/edit", req(P::ManageRecords), records::pages::edit_form)
        .page(Method::POST, "/records/plan/{id}", req(P::ManageRecords), records::pages::update)
        .page(Method::GET, "/records/disposition", req(P::ManageRecords), records::pages::disposition_list)
        .page(Method::POST, "/records/disposition/sweep", req(P::ManageRecords), records::pages::disposition_sweep)
        .page(Method::POST, "/records/disposition/decide", req(P::ManageRecords), records::pages::disposition_decide)
        .page(Method::GET, "/records/certificates/{id}", req(P::ViewRecords), records::pages::certificate)
        .page(Method::GET, "/holds/custodians", req(P::ManageHolds), records::pages::custodians_list)
        .page(Method::POST, "/holds/custodians/import", req(P::ManageHolds), records::pages::custodians_import)
        .page(Method::GET, "/holds/custodians/{id}", req(P::ManageHolds), records::pages::custodian_detail)
        .page(Method::GET, "/holds", req(P::ManageHolds), records::pages::holds_list)
        .page(Method::GET, "/holds/new", req(P::ManageHolds), records::pages::hold_new)
        .page(Method::POST, "/holds", req(P::ManageHolds), records::pages::hold_create)
        .page(Method::GET, "/holds/{id}", req(P::ManageHolds), records::pages::hold_detail)
        .page(Method::POST, "/holds/{id}/custodians", req(P::ManageHolds), records::pages::hold_add_custodians)
        .page(Method::POST, "/holds/{id}/remind", req(P::ManageHolds), records::pages::hold_remind)
        .page(Method::GET, "/holds/{id}/report.csv", req(P::ManageHolds), records::pages::hold_report)
        .page(Method::GET, "/holds/{id}/report.pdf", req(P::ManageHolds), records::pages::hold_report_pdf)
        .page(Method::POST, "/holds/{id}/release", req(P::ManageHolds), records::pages::hold_release)
        // A custodian's hold notice: public, the signed expiring link is the credential.
        .page(Method::GET, "/hold-notice/{token}", PUBLIC, records::pages::notice_open)
        .page(Method::POST, "/hold-notice/{token}", PUBLIC, records::pages::notice_acknowledge)
        .page(Method::GET, "/records/{id}", req(P::ViewRecords), records::pages::record_detail)
        .page(Method::GET, "/records/{id}/content", req(P::ViewRecords), records::pages::record_content)
        .page(Method::GET, "/records/{id}/preview", req(P::ViewRecords), records::pages::record_preview)
        .page(Method::GET, "/records/{id}/inline", req(P::ViewRecords), records::pages::record_inline)
        .page(Method::POST, "/records/{id}/versions", req(P::ManageRecords), records::pages::record_new_version)
        .page(Method::GET, "/records/{id}/versions/{version}/content", req(P::ViewRecords), records::pages::record_version_content)
        .page(Method::POST, "/records/{id}/classify", req(P::ManageRecords), records::pages::record_classify)
        .page(Method::POST, "/records/classify", req(P::ManageRecords), records::pages::records_bulk_classify)
        .page(Method::POST, "/records/{id}/events", req(P::ManageRecords), records::pages::record_event)
        .page(Method::GET, "/matters", req(P::ViewMatters), matters::pages::list)
        .page(Method::GET, "/matters/new", req(P::ManageMatters), matters::pages::new_form)
        .page(Method::POST, "/matters", req(P::ManageMatters), matters::pages::create)
        .page(Method::GET, "/matters/import", req(P::ManageMatters), matters::pages::import_form)
        .page(Method::POST, "/matters/import", req(P::ManageMatters), matters::pages::import)
        .page(Method::GET, "/matters/{id}", req(P::ViewMatters), matters::pages::detail)
        .page(Method::GET, "/matters/{id}/edit", req(P::ManageMatters), matters::pages::edit_form)
        .page(Method::POST, "/matters/{id}", req(P::ManageMatters), matters::pages::update)
        .page(Method::POST, "/matters/{id}/wall", req(P::ManageMatters), matters::pages::change_wall)
        .page(Method::POST, "/matters/{id}/budgets", req(P::ManageVendors), matters::pages::set_budget)
        .page(Method::POST, "/matters/{id}/accruals", req(P::ManageVendors), matters::pages::record_accrual)
        // Spend.
        .page(Method::GET, "/spend", req(P::ViewSpend), spend::analytics::dashboard)
        .page(Method::GET, "/spend/invoices", req(P::ViewSpend), spend::pages::invoices)
        .page(Method::GET, "/spend/invoices/queue", req(P::ReviewInvoices), spend::pages::queue)
        .page(Method::GET, "/spend/invoices/upload", req(P::SubmitInvoices), spend::pages::upload_form)
        .page(Method::POST, "/spend/invoices/upload", req(P::SubmitInvoices), spend::pages::upload)
        .page(Method::GET, "/spend/invoices/{id}", req(P::ViewSpend), spend::pages::invoice)
        .page(Method::GET, "/spend/invoices/{id}/source", req(P::ViewSpend), spend::pages::source)
        .page(Method::POST, "/spend/invoices/{id}/flags/{flag}", req(P::ReviewInvoices), spend::pages::resolve_flag)
        .page(Method::POST, "/spend/invoices/{id}/lines/{line}", req(P::ReviewInvoices), spend::pages::adjust_line)
        .page(Method::POST, "/spend/invoices/{id}/comments", req(P::ViewSpend), spend::pages::comment)
        .page(Method::POST, "/spend/invoices/{id}/decision", req(P::ReviewInvoices), spend::pages::decide)
        .page(Method::GET, "/spend/vendors", req(P::ViewSpend), spend::pages::vendors_list)
        .page(Method::GET, "/spend/vendors/new", req(P::ManageVendors), spend::pages::vendor_new)
        .page(Method::POST, "/spend/vendors", req(P::ManageVendors), spend::pages::vendor_create)
        .page(Method::GET, "/spend/vendors/{id}", req(P::ViewSpend), spend::pages::vendor)
        .page(Method::GET, "/spend/vendors/{id}/edit", req(P::ManageVendors), spend::pages::vendor_edit)
        .page(Method::POST, "/spend/vendors/{id}", req(P::ManageVendors), spend::pages::vendor_update)
        .page(Method::POST, "/spend/vendors/{id}/timekeepers", req(P::ManageVendors), spend::pages::add_timekeeper)
        .page(Method::POST, "/spend/vendors/{id}/rates", req(P::ManageVendors), spend::pages::add_rate)
        .page(Method::POST, "/spend/vendors/{id}/assignments", req(P::ManageVendors), spend::pages::assign)
        .page(Method::POST, "/spend/vendors/{id}/users", req(P::ManageVendors), spend::pages::link_user)
        .page(Method::GET, "/spend/rate-requests", req(P::ManageVendors), spend::pages::rate_requests)
        .page(Method::POST, "/spend/rate-requests/{id}", req(P::ManageVendors), spend::pages::decide_rate_request)
        .page(Method::GET, "/spend/guidelines", req(P::ManageVendors), spend::guidelines_pages::page)
        .page(Method::POST, "/spend/guidelines", req(P::ManageVendors), spend::guidelines_pages::submit)
        .page(Method::POST, "/spend/approval-rules", req(P::ManageVendors), spend::guidelines_pages::add_rule)
        .page(Method::POST, "/spend/approval-rules/{id}/delete", req(P::ManageVendors), spend::guidelines_pages::delete_rule)
        .page(Method::POST, "/spend/rate-caps", req(P::ManageVendors), spend::guidelines_pages::save_caps)
        .page(Method::GET, "/spend/exports", req(P::ReviewInvoices), spend::export::page)
        .page(Method::POST, "/spend/exports", req(P::ReviewInvoices), spend::export::create_page)
        .page(Method::POST, "/spend/exports/columns", req(P::ReviewInvoices), spend::export::save_columns)
        .page(Method::GET, "/spend/exports/{id}/download", req(P::ReviewInvoices), spend::export::download)
        // Vendor portal.
        .page(Method::GET, "/portal", req(P::UseVendorPortal), spend::portal::home)
        .page(Method::GET, "/portal/invoices/upload", req(P::UseVendorPortal), spend::portal::upload_form)
        .page(Method::POST, "/portal/invoices/upload", req(P::UseVendorPortal), spend::portal::upload)
        .page(Method::GET, "/portal/invoices/{id}", req(P::UseVendorPortal), spend::portal::invoice)
        .page(Method::POST, "/portal/invoices/{id}/appeal/{flag}", req(P::UseVendorPortal), spend::portal::appeal)
        .page(Method::POST, "/portal/invoices/{id}/comments", req(P::UseVendorPortal), spend::portal::comment)
        .page(Method::GET, "/portal/rates", req(P::UseVendorPortal), spend::portal::rates)
        .page(Method::POST, "/portal/rate-requests", req(P::UseVendorPortal), spend::portal::request_rate)
        .page(Method::POST, "/portal/accruals", req(P::UseVendorPortal), spend::portal::accrual)
        // Administration.
        .page(Method::GET, "/admin/users", req(P::ViewUsers), pages::users_list)
        .page(Method::GET, "/admin/users/new", req(P::ManageUsers), pages::user_new)
        .page(Method::POST, "/admin/users", req(P::ManageUsers), pages::user_create)
        .page(Method::GET, "/admin/users/{id}", req(P::ManageUsers), pages::user_edit)
        .page(Method::POST, "/admin/users/{id}", req(P::ManageUsers), pages::user_update)
        .page(Method::GET, "/admin/audit", req(P::ViewAudit), pages::audit_list)
        .page(Method::GET, "/admin/audit/verify", req(P::ViewAudit), pages::audit_verify)
        .page(Method::GET, "/admin/jobs", req(P::ViewJobs), pages::jobs_list)
        // REST API.
        .api(Method::GET, "/api/v1/me", req(P::UseApp), api::me)
        .api(Method::GET, "/api/v1/users", req(P::ViewUsers), api::list_users)
        .api(Method::POST, "/api/v1/users", req(P::ManageUsers), api::create_user)
        .api(Method::GET, "/api/v1/users/{id}", req(P::ViewUsers), api::get_user)
        .api(Method::PATCH, "/api/v1/users/{id}", req(P::ManageUsers), api::update_user)
        .api(Method::GET, "/api/v1/audit/events", req(P::ViewAudit), api::audit_events)
        .api(Method::GET, "/api/v1/audit/verify", req(P::ViewAudit), api::audit_verify)
        .api(Method::GET, "/api/v1/tokens", req(P::ManageOwnAccount), api::list_tokens)
        .api(Method::POST, "/api/v1/tokens", req(P::ManageOwnAccount), api::create_token)
        .api(Method::DELETE, "/api/v1/tokens/{id}", req(P::ManageOwnAccount), api::revoke_token)
        .api(Method::GET, "/api/v1/jobs", req(P::ViewJobs), api::list_jobs)
        .api(Method::GET, "/api/v1/contracts", req(P::ViewContracts), contracts::api::list)
        .api(Method::POST, "/api/v1/contracts", req(P::ManageContracts), contracts::api::create)
        .api(Method::GET, "/api/v1/contracts/facets", req(P::ViewContracts), contracts::api::facets)
        .api(Method::GET, "/api/v1/contracts/upcoming", req(P::ViewContracts), contracts::api::upcoming)
        .api(Method::GET, "/api/v1/contracts/holidays", req(P::ViewContracts), contracts::api::holidays)
        .api(Method::POST, "/api/v1/contracts/holidays", req(P::ManageTemplates), contracts::api::holiday_add)
        .api(Method::POST, "/api/v1/contracts/holidays/import", req(P::ManageTemplates), contracts::api::holidays_import)
        .api(Method::POST, "/api/v1/contracts/holidays/us-federal", req(P::ManageTemplates), contracts::api::holidays_us_federal)
        .api(Method::DELETE, "/api/v1/contracts/holidays/{day}", req(P::ManageTemplates), contracts::api::holiday_remove)
        .api(Method::POST, "/api/v1/contracts/import", req(P::ManageContracts), contracts::api::import)
        .api(Method::GET, "/api/v1/contracts/verification", req(P::ManageContracts), contracts::api::verification)
        .api(Method::POST, "/api/v1/contracts/verification/{id}", req(P::ManageContracts), contracts::api::verify)
        .api(Method::POST, "/api/v1/contracts/alerts/run", req(P::ManageContracts), contracts::api::alerts_run)
        .api(Method::GET, "/api/v1/contracts/{id}/key-dates", req(P::ViewContracts), contracts::api::key_dates)
        .api(Method::GET, "/api/v1/contracts/{id}/clauses", req(P::ViewContracts), contracts::api::clauses)
        .api(Method::GET, "/api/v1/contracts/{id}/obligations", req(P::ViewContracts), contracts::api::obligations)
        .api(Method::POST, "/api/v1/contracts/{id}/obligations", req(P::ManageContracts), contracts::api::add_obligation)
        .api(Method::POST, "/api/v1/contracts/{id}/obligations/{obligation}", req(P::ManageContracts), contracts::api::complete_obligation)
        .api(Method::GET, "/api/v1/contracts/{id}", req(P::ViewContracts), contracts::api::get)
        .api(Method::PUT, "/api/v1/contracts/{id}", req(P::ManageContracts), contracts::api::update)
        .api(Method::POST, "/api/v1/contracts/{id}/status", req(P::ManageContracts), contracts::api::set_status)
        .api(Method::POST, "/api/v1/contracts/{id}/versions", req(P::ManageContracts), contracts::api::add_version)
        .api(Method::GET, "/api/v1/contracts/{id}/versions/{version}/content", req(P::ViewContracts), contracts::api::version_content)
        .api(Method::POST, "/api/v1/contracts/{id}/versions/{version}/sent", req(P::ManageContracts), contracts::api::version_sent)
        .api(Method::POST, "/api/v1/contracts/{id}/draft", req(P::ManageContracts), contracts::api::draft)
        .api(Method::GET, "/api/v1/contracts/{id}/redline", req(P::ViewContracts), contracts::api::redline)
        .api(Method::POST, "/api/v1/contracts/{id}/comments", req(P::ManageContracts), contracts::api::comment)
        .api(Method::GET, "/api/v1/contracts/{id}/approvals", req(P::ViewContracts), contracts::api::approvals)
        .api(Method::POST, "/api/v1/contracts/{id}/approvals/{approval}", req(P::ManageContracts), contracts::api::decide)
        .api(Method::POST, "/api/v1/contracts/{id}/signature", req(P::ManageContracts), contracts::api::request_signature)
        .api(Method::GET, "/api/v1/contract-approval-rules", req(P::ManageContracts), contracts::api::rules_list)
        .api(Method::POST, "/api/v1/contract-approval-rules", req(P::ManageTemplates), contracts::api::rule_save)
        .api(Method::POST, "/api/v1/contract-requests", req(P::RequestContracts), contracts::api::request)
        .api(Method::GET, "/api/v1/contract-requests", req(P::RequestContracts), contracts::api::my_requests)
        .api(Method::GET, "/api/v1/contract-templates", req(P::ManageContracts), contracts::api::templates_list)
        .api(Method::POST, "/api/v1/contract-templates", req(P::ManageTemplates), contracts::api::template_create)
        .api(Method::PUT, "/api/v1/contract-templates/{id}", req(P::ManageTemplates), contracts::api::template_update)
        .api(Method::GET, "/api/v1/clauses", req(P::ManageContracts), contracts::api::clauses_list)
        .api(Method::POST, "/api/v1/clauses", req(P::ManageTemplates), contracts::api::clause_create)
        .api(Method::PUT, "/api/v1/clauses/{id}", req(P::ManageTemplates), contracts::api::clause_update)
        .api(Method::GET, "/api/v1/records", req(P::ViewRecords), records::api::records_list)
        .api(Method::POST, "/api/v1/records", req(P::ManageRecords), records::api::record_add)
        .api(Method::GET, "/api/v1/records/{id}", req(P::ViewRecords), records::api::record_get)
        .api(Method::POST, "/api/v1/records/classify", req(P::ManageRecords), records::api::records_classify)
        .api(Method::GET, "/api/v1/records/{id}/text", req(P::ViewRecords), records::api::record_text)
        .api(Method::POST, "/api/v1/records/{id}/versions", req(P::ManageRecords), records::api::record_add_version)
        .api(Method::POST, "/api/v1/disposition/sweep", req(P::ManageRecords), records::api::disposition_sweep)
        .api(Method::POST, "/api/v1/disposition/decisions", req(P::ManageRecords), records::api::disposition_decide)
        .api(Method::GET, "/api/v1/holds", req(P::ManageHolds), records::api::holds_list)
        .api(Method::POST, "/api/v1/holds", req(P::ManageHolds), records::api::hold_create)
        .api(Method::POST, "/api/v1/holds/notices/run", req(P::ManageHolds), records::api::hold_notices_run)
        .api(Method::GET, "/api/v1/holds/{id}", req(P::ManageHolds), records::api::hold_get)
        .api(Method::POST, "/api/v1/holds/{id}/custodians", req(P::ManageHolds), records::api::hold_add_custodians)
        .api(Method::POST, "/api/v1/holds/{id}/remind", req(P::ManageHolds), records::api::hold_remind)
        .api(Method::POST, "/api/v1/holds/{id}/release", req(P::ManageHolds), records::api::hold_release)
        .api(Method::GET, "/api/v1/custodians", req(P::ManageHolds), records::api::custodians_list)
        .api(Method::POST, "/api/v1/custodians/import", req(P::ManageHolds), records::api::custodians_import)
        .api(Method::GET, "/api/v1/records/categories", req(P::ViewRecords), records::api::list)
        .api(Method::POST, "/api/v1/records/categories/import", req(P::ManageRecords), records::api::import)
        .api(Method::GET, "/api/v1/matters", req(P::ViewMatters), matters::api::list)
        .api(Method::POST, "/api/v1/matters", req(P::ManageMatters), matters::api::create)
        .api(Method::GET, "/api/v1/matters/{id}", req(P::ViewMatters), matters::api::get)
        .api(Method::PUT, "/api/v1/matters/{id}", req(P::ManageMatters), matters::api::update)
        .api(Method::POST, "/api/v1/invoices", req(P::SubmitInvoices), spend::api::submit)
        .api(Method::GET, "/api/v1/invoices", req(P::ViewInvoicesApi), spend::api::list)
        .api(Method::GET, "/api/v1/invoices/{id}", req(P::ViewInvoicesApi), spend::api::get)
        .api(Method::POST, "/api/v1/invoices/{id}/decision", req(P::ReviewInvoices), spend::api::decide)
        .api(Method::GET, "/api/v1/vendors", req(P::ViewInvoicesApi), spend::api::vendors_list)
        .api(Method::POST, "/api/v1/vendors", req(P::ManageVendors), spend::api::vendor_create)
        .api(Method::GET, "/api/v1/spend/reports", req(P::ViewSpend), spend::api::reports)
        .api(Method::POST, "/api/v1/exports", req(P::ReviewInvoices), spend::api::export_create)
        .api(Method::GET, "/api/v1/exports/{id}/file", req(P::ReviewInvoices), spend::api::export_file)
        // Operations and assets.
        .page(Method::GET, "/healthz", PUBLIC, healthz)
        .page(Method::GET, "/readyz", PUBLIC, readyz)
        .page(Method::GET, "/metrics", PUBLIC, metrics)
        .page(Method::GET, "/api/openapi.json", PUBLIC, openapi)
        .page(Method::GET, "/static/{*file}", PUBLIC, static_file)
}

/// Every route with its policy (the Swagger UI under `/api/docs` is public too).
pub fn table() -> Vec<RouteSpec> {
    build().specs
}

/// The whole application router.
pub fn router(app: App) -> Router {
    let _ = super::metrics::handle();
    let swagger: Router<App> = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/docs/openapi.json", api::ApiDoc::openapi_spec())
        .into();
    build()
        .router
        .merge(swagger)
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(app.clone(), web::csrf))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            web::authenticate,
        ))
        .layer(middleware::from_fn(web::security_headers))
        .layer(RequestBodyLimitLayer::new(64 * 1024 * 1024))
        .route_layer(middleware::from_fn(super::metrics::track))
        .with_state(app)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(app): State<App>) -> Response {
    if app.db.ping().await {
        "ready".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is not reachable",
        )
            .into_response()
    }
}

async fn metrics() -> Response {
    let mut r = super::metrics::handle().render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

async fn openapi() -> Response {
    let mut r = api::openapi_json().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Assets embedded in the binary: nothing is fetched from the internet.
const STATIC: &[(&str, &str, &[u8])] = &[
    (
        "lexops.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/lexops.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
    (
        "vendor/htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/vendor/htmx-2.0.11.min.js"),
    ),
];

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match STATIC.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, bytes)) => {
            let mut r = bytes.to_vec().into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            r
        }
        None => pages::not_found().await,
    }
}
