//! Redlines between two versions of a contract (the `drafting` crate's word-level diff), as
//! HTML for the page and a DOCX with tracked changes for Word and LibreOffice.

use super::model::{Contract, Version};
use super::store;
use crate::platform::access::CurrentUser;
use crate::platform::app::App;
use crate::platform::error::AppError;

/// Two versions and their redline.
pub struct Comparison {
    pub contract: Contract,
    pub from: Version,
    pub to: Version,
    pub redline: drafting::Redline,
}

/// Compares version ids `from` and `to` of a contract (`to` defaults to the newest, `from` to
/// what `to` should be read against: for a counterparty turn, the version we sent).
pub async fn compare(
    app: &App,
    viewer: Option<&CurrentUser>,
    contract_id: i64,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Comparison, AppError> {
    let contract = store::get(app, viewer, contract_id).await?;
    let all = store::versions(app, contract_id).await?;
    let to = match to {
        Some(t) => all.iter().find(|v| v.id == t).cloned(),
        None => all.iter().find(|v| v.source != "attachment").cloned(),
    }
    .ok_or_else(|| AppError::NotFound("version".into()))?;
    let from_id = from
        .or_else(|| store::compare_base(&all, &to))
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "version {} has no earlier version to compare with",
                to.version
            ))
        })?;
    let from = all
        .iter()
        .find(|v| v.id == from_id)
        .cloned()
        .ok_or_else(|| AppError::NotFound("version".into()))?;
    let (a, b) = (
        store::version_text(app, from.id).await?,
        store::version_text(app, to.id).await?,
    );
    let redline = tokio::task::spawn_blocking(move || drafting::redline(&a, &b))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
    Ok(Comparison {
        contract,
        from,
        to,
        redline,
    })
}

impl Comparison {
    /// The tracked-changes DOCX: the changes are the counterparty's when `to` is theirs.
    pub fn docx(&self) -> Result<Vec<u8>, AppError> {
        let author = if self.to.source == "counterparty" {
            if self.contract.counterparty.is_empty() {
                "Counterparty".to_string()
            } else {
                self.contract.counterparty.clone()
            }
        } else {
            self.to
                .created_by_name
                .clone()
                .unwrap_or_else(|| "lexops".into())
        };
        let date = format!(
            "{}Z",
            self.to
                .created_at
                .get(..19)
                .unwrap_or("2000-01-01T00:00:00")
        );
        drafting::redline::to_docx(&self.redline, &author, &date)
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))
    }

    pub fn filename(&self) -> String {
        format!(
            "{}-redline-v{}-v{}.docx",
            self.contract.number, self.from.version, self.to.version
        )
    }

    /// Whether `to` is a counterparty turn that came back without tracked changes although it
    /// differs from what we sent: silent edits.
    pub fn untracked_changes(&self) -> bool {
        self.to.source == "counterparty"
            && self.to.tracked_changes == 0
            && !self.redline.is_identical()
    }
}
