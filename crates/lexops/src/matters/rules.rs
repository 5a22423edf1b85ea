//! Matter rules without a database: checking input into a [`ValidMatter`].

use super::model::{MatterInput, MatterNumber, MatterStatus, parse_date};
use crate::platform::error::FieldError;

/// A checked matter, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidMatter {
    pub number: MatterNumber,
    pub name: String,
    pub type_code: String,
    pub status: MatterStatus,
    pub practice_area: String,
    pub business_owner: String,
    pub responsible_attorney_email: Option<String>,
    pub opened_on: Option<String>,
    pub closed_on: Option<String>,
    pub description: String,
    pub confidential: bool,
}

/// Checks a matter's input; `today` (YYYY-MM-DD) fills the closing date of a closed matter
/// and the opening date of an open one when they are not given.
pub fn check(input: &MatterInput, today: &str) -> Result<ValidMatter, Vec<FieldError>> {
    let mut errs = vec![];
    let number = MatterNumber::parse(&input.number)
        .map_err(|e| errs.push(FieldError::new("number", e)))
        .ok();
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 300 {
        errs.push(FieldError::new(
            "name",
            "Enter a name of 1 to 300 characters.",
        ));
    }
    let type_code = input.type_code.trim().to_ascii_lowercase();
    if type_code.is_empty() {
        errs.push(FieldError::new("type", "Choose a matter type."));
    }
    let status = if input.status.trim().is_empty() {
        Some(MatterStatus::Open)
    } else {
        MatterStatus::parse(&input.status)
    };
    if status.is_none() {
        errs.push(FieldError::new(
            "status",
            "Choose intake, open, on hold or closed.",
        ));
    }
    let opened = parse_date(&input.opened_on)
        .map_err(|e| errs.push(FieldError::new("opened_on", e)))
        .ok()
        .flatten();
    let closed = parse_date(&input.closed_on)
        .map_err(|e| errs.push(FieldError::new("closed_on", e)))
        .ok()
        .flatten();
    if let (Some(o), Some(c)) = (&opened, &closed)
        && c < o
    {
        errs.push(FieldError::new(
            "closed_on",
            "The closing date is before the opening date.",
        ));
    }
    let status = status.unwrap_or(MatterStatus::Open);
    if closed.is_some() && status != MatterStatus::Closed {
        errs.push(FieldError::new(
            "closed_on",
            "Only a closed matter has a closing date.",
        ));
    }
    let email = input.responsible_attorney_email.trim().to_lowercase();
    for (field, value, max) in [
        ("practice_area", &input.practice_area, 100),
        ("business_owner", &input.business_owner, 200),
        ("description", &input.description, 10_000),
    ] {
        if value.chars().count() > max {
            errs.push(FieldError::new(
                field,
                format!("Use at most {max} characters."),
            ));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let opened_on = opened.or_else(|| (status != MatterStatus::Intake).then(|| today.to_string()));
    let closed_on = closed.or_else(|| (status == MatterStatus::Closed).then(|| today.to_string()));
    Ok(ValidMatter {
        number: number.expect("checked"),
        name,
        type_code,
        status,
        practice_area: input.practice_area.trim().to_string(),
        business_owner: input.business_owner.trim().to_string(),
        responsible_attorney_email: (!email.is_empty()).then_some(email),
        opened_on,
        closed_on,
        description: input.description.trim().to_string(),
        confidential: input.confidential,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(number: &str, status: &str, opened: &str, closed: &str) -> MatterInput {
        MatterInput {
            number: number.into(),
            name: "Acme v. Widget".into(),
            type_code: "Litigation".into(),
            status: status.into(),
            opened_on: opened.into(),
            closed_on: closed.into(),
            ..Default::default()
        }
    }

    fn fields(r: Result<ValidMatter, Vec<FieldError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.field)
            .collect()
    }

    #[test]
    fn checks_each_field() {
        let today = "2026-11-26";
        let ok = check(&input("LIT-2026-001", "", "", ""), today).unwrap();
        assert_eq!(
            (ok.status, ok.opened_on.as_deref(), ok.type_code.as_str()),
            (MatterStatus::Open, Some(today), "litigation")
        );
        let closed = check(&input("M1", "closed", "2026-01-05", ""), today).unwrap();
        assert_eq!(closed.closed_on.as_deref(), Some(today));
        assert_eq!(fields(check(&input("", "open", "", ""), today)), ["number"]);
        assert_eq!(
            fields(check(&input("A B", "open", "", ""), today)),
            ["number"]
        );
        assert_eq!(
            fields(check(&input("M1", "pending", "", ""), today)),
            ["status"]
        );
        assert_eq!(
            fields(check(&input("M1", "closed", "2026-02-30", ""), today)),
            ["opened_on"]
        );
        assert_eq!(
            fields(check(
                &input("M1", "closed", "2026-03-01", "2026-02-01"),
                today
            )),
            ["closed_on"]
        );
        assert_eq!(
            fields(check(&input("M1", "open", "", "2026-02-01"), today)),
            ["closed_on"]
        );
        assert_eq!(
            check(&input("M1", "intake", "", ""), today)
                .unwrap()
                .opened_on,
            None
        );
    }
}
