//! Matter domain types: checked constructors turn input into values that are valid by
//! construction (matter numbers, statuses, civil dates).

use serde::{Deserialize, Serialize};

/// Where a matter is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatterStatus {
    Intake,
    Open,
    OnHold,
    Closed,
}

impl MatterStatus {
    pub const ALL: [MatterStatus; 4] = [
        MatterStatus::Intake,
        MatterStatus::Open,
        MatterStatus::OnHold,
        MatterStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatterStatus::Intake => "intake",
            MatterStatus::Open => "open",
            MatterStatus::OnHold => "on_hold",
            MatterStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MatterStatus::Intake => "Intake",
            MatterStatus::Open => "Open",
            MatterStatus::OnHold => "On hold",
            MatterStatus::Closed => "Closed",
        }
    }

    /// Parses `open`, `On hold`, `on-hold`, …
    pub fn parse(s: &str) -> Option<MatterStatus> {
        let k = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        MatterStatus::ALL.into_iter().find(|m| m.as_str() == k)
    }

    /// The badge colour on pages.
    pub fn badge(self) -> &'static str {
        match self {
            MatterStatus::Intake => "badge badge-blue",
            MatterStatus::Open => "badge badge-green",
            MatterStatus::OnHold => "badge badge-amber",
            MatterStatus::Closed => "badge badge-gray",
        }
    }
}

/// A matter number: 1–40 characters of letters, digits and `-_./`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatterNumber(String);

impl MatterNumber {
    pub fn parse(s: &str) -> Result<MatterNumber, String> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 40 {
            return Err("Enter a matter number of 1 to 40 characters.".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        {
            return Err("Use only letters, digits and - _ . / in a matter number.".into());
        }
        Ok(MatterNumber(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a civil date `YYYY-MM-DD` (a real calendar date).
pub fn parse_date(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<jiff::civil::Date>()
        .map(|d| Some(d.to_string()))
        .map_err(|_| format!("{s} is not a date: use YYYY-MM-DD."))
}

/// A matter as stored, with its type and attorney names joined in.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Matter {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub type_code: String,
    pub type_name: String,
    /// intake, open, on_hold or closed.
    pub status: String,
    pub practice_area: String,
    pub business_owner: String,
    pub responsible_attorney_id: Option<i64>,
    pub responsible_attorney: Option<String>,
    /// YYYY-MM-DD
    pub opened_on: Option<String>,
    /// YYYY-MM-DD
    pub closed_on: Option<String>,
    pub description: String,
    /// 1 when behind an ethical wall.
    pub confidential: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Matter {
    pub fn status(&self) -> MatterStatus {
        MatterStatus::parse(&self.status).unwrap_or(MatterStatus::Open)
    }
}

/// What a person enters for a matter (form, API, CSV row). Empty strings mean "not given".
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MatterInput {
    pub number: String,
    pub name: String,
    /// A matter type code, e.g. litigation, advisory, transactional.
    #[serde(rename = "type", alias = "type_code")]
    pub type_code: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub practice_area: String,
    #[serde(default)]
    pub business_owner: String,
    /// Email of the responsible attorney (a lexops user).
    #[serde(default)]
    pub responsible_attorney_email: String,
    #[serde(default)]
    pub opened_on: String,
    #[serde(default)]
    pub closed_on: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub confidential: bool,
}

/// A matter type.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MatterType {
    pub id: i64,
    pub code: String,
    pub name: String,
}
