//! The demo department's file plan: a retention schedule of the kind an in-house legal
//! department keeps (US federal and UK citations as examples; the department checks its own).

use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::error::AppError;

/// The demo schedule, in the file plan's CSV columns.
pub const PLAN: &str = "\
code,title,description,owner,trigger,period,cutoff,disposition,citation
LEG-100,Commercial contracts,\"Executed agreements, amendments and renewals\",Legal,contract_expiry,7y,fiscal_year,destroy,\"Limitation Act 1980 s.5 (6 years), plus one\"
LEG-110,Contracts under seal,Deeds and agreements executed as deeds,Legal,contract_expiry,13y,fiscal_year,destroy,Limitation Act 1980 s.8 (12 years)
LEG-200,Litigation files,\"Pleadings, correspondence, disclosure and settlement papers\",Legal,matter_closed,10y,year,review,Department policy LP-7
LEG-210,Advisory matter files,Advice and working papers of closed advisory matters,Legal,matter_closed,6y,year,destroy,Department policy LP-7
LEG-300,Outside counsel invoices,LEDES invoices with their review and approval,Legal operations,created,7y,fiscal_year,destroy,26 CFR 1.6001-1(e); IRS Pub. 583
LEG-400,Legal holds,\"Hold notices, acknowledgements and releases\",Legal,matter_closed,10y,year,review,FRCP 37(e) defensibility record
HR-100,Personnel files,\"Contracts of employment, reviews, disciplinary records\",Human resources,employee_termination,6y,year,destroy,Limitation Act 1980 s.5
HR-200,Payroll records,,Human resources,created,3y,fiscal_year,destroy,29 CFR 516.5
HR-300,Recruitment records,Applications of candidates not hired,Human resources,created,1y,month,destroy,EEOC 29 CFR 1602.14
FIN-100,Accounts payable,Supplier invoices and payment records,Finance,created,7y,fiscal_year,destroy,26 CFR 1.6001-1(e)
CORP-100,Board minutes and resolutions,,Company secretary,created,permanent,none,keep,Companies Act 2006 s.248
CORP-200,Statutory registers,\"Registers of members, directors and charges\",Company secretary,created,permanent,none,keep,Companies Act 2006 s.113
IP-100,Patent prosecution files,,Intellectual property,superseded,6y,year,transfer,Department policy IP-2
PRIV-100,Data subject requests,Requests and responses under data protection law,Privacy,created,2y,year,destroy,ICO guidance (right of access)
";

/// Imports the demo file plan unless the department already has one.
pub async fn seed(app: &App, ops: &CurrentUser) -> Result<(), AppError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM record_categories")
        .fetch_one(app.db.pool())
        .await?;
    if existing > 0 {
        return Ok(());
    }
    match super::plan::import_csv(app, ops, "demo file plan", PLAN.as_bytes()).await? {
        Ok(_) => Ok(()),
        Err(problems) => Err(AppError::Internal(anyhow::anyhow!(
            "the demo file plan is invalid: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}
