//! Guideline sets: validation, layering, JSON, the standard set, and how findings combine.

use guidelines::*;
use rust_decimal::Decimal;

use crate::support::*;

fn rule(id: &str, kind: RuleKind, action: Action) -> Rule {
    Rule::new(id, kind, action, &format!("BG-{id}"))
}

fn max_hours(h: &str) -> RuleKind {
    RuleKind::MaxEntryHours { max_hours: d(h) }
}

#[test]
fn layering_replaces_disables_and_appends() {
    let dept = GuidelineSet::new(vec![
        rule("hours", max_hours("10"), Action::Flag),
        rule(
            "dup",
            RuleKind::DuplicateInvoiceNumber,
            Action::RejectInvoice,
        ),
        rule("tk", RuleKind::UnknownMatter, Action::RejectInvoice),
    ])
    .unwrap();
    let mut off = rule(
        "dup",
        RuleKind::DuplicateInvoiceNumber,
        Action::RejectInvoice,
    );
    off.enabled = false;
    let vendor = GuidelineSet::with_disabled(
        vec![rule("hours", max_hours("8"), Action::AutoAdjust), off],
        vec!["tk".into()],
    )
    .unwrap();
    let matter = GuidelineSet::new(vec![rule(
        "late",
        RuleKind::LateBilling { max_days: 30 },
        Action::Flag,
    )])
    .unwrap();

    let eff = GuidelineSet::layered(&[dept.clone(), vendor, matter]);
    let ids: Vec<&str> = eff.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["hours", "dup", "late"]);
    assert_eq!(eff.rule("hours").unwrap().kind, max_hours("8"));
    let enabled: Vec<&str> = eff.enabled_rules().map(|r| r.id.as_str()).collect();
    assert_eq!(enabled, ["hours", "late"]);
    assert_eq!(eff.disabled(), ["tk"]);

    // A more specific layer can bring a disabled rule back.
    let again = GuidelineSet::new(vec![rule("tk", RuleKind::UnknownMatter, Action::Flag)]).unwrap();
    let eff2 = GuidelineSet::layered([&eff, &again]);
    assert!(eff2.disabled().is_empty());
    assert_eq!(eff2.rule("tk").unwrap().action, Action::Flag);

    // Layering one set is that set.
    assert_eq!(GuidelineSet::layered([&dept]), dept);
}

#[test]
fn layered_set_evaluates_with_the_specific_parameters() {
    let dept = GuidelineSet::new(vec![rule("hours", max_hours("10"), Action::Flag)]).unwrap();
    let matter =
        GuidelineSet::new(vec![rule("hours", max_hours("8"), Action::AutoAdjust)]).unwrap();
    let inv = invoice(&["F JS 01-05 9@600"]);
    assert!(evaluate(&dept, &inv, &context()).flags.is_empty());
    let eval = evaluate(&GuidelineSet::layered([&dept, &matter]), &inv, &context());
    assert_eq!(eval.savings, d("600"));
}

#[test]
fn validation() {
    let e = |rules: Vec<Rule>| GuidelineSet::new(rules).unwrap_err();
    assert_eq!(
        e(vec![
            rule("a", RuleKind::UnknownMatter, Action::Flag),
            rule("a", RuleKind::FutureDated, Action::Flag)
        ]),
        Error::DuplicateRuleId("a".into())
    );
    assert!(matches!(
        e(vec![rule(
            "b",
            RuleKind::DuplicateInvoiceNumber,
            Action::AutoAdjust
        )]),
        Error::CannotAutoAdjust {
            kind: "duplicate_invoice_number",
            ..
        }
    ));
    assert!(matches!(
        e(vec![rule(
            "c",
            RuleKind::NearDuplicateLine {
                threshold: d("1.5"),
                shingle_words: 2,
                units_tolerance: d("0"),
                include_history: false
            },
            Action::Flag
        )]),
        Error::InvalidParameter {
            parameter: "threshold",
            ..
        }
    ));
    assert!(matches!(
        e(vec![rule(
            "d",
            RuleKind::TimeIncrement { increment: d("0") },
            Action::Flag
        )]),
        Error::InvalidParameter {
            parameter: "increment",
            ..
        }
    ));
    let mut r = rule("e", RuleKind::UnknownMatter, Action::AutoAdjust);
    r.write_down_percent = Some(d("120"));
    assert!(matches!(
        e(vec![r]),
        Error::InvalidParameter {
            parameter: "write_down_percent",
            ..
        }
    ));
    assert!(matches!(
        e(vec![Rule::new(
            "",
            RuleKind::UnknownMatter,
            Action::Flag,
            "X"
        )]),
        Error::MissingIdentifier(_)
    ));
}

#[test]
fn json_round_trip() {
    let set = GuidelineSet::standard();
    let json = set.to_json();
    assert!(json.contains("\"type\": \"near_duplicate_line\""), "{json}");
    assert!(json.contains("\"threshold\": \"0.7\""), "{json}");
    assert_eq!(GuidelineSet::from_json(&json).unwrap(), set);

    let layer = GuidelineSet::from_json(
        r#"{"rules":[{"id":"hours","kind":{"type":"max_entry_hours","max_hours":"8"},
            "action":{"type":"route_to_approver","approver":{"user":42}},"reason_code":"BG-H"}],
            "disabled":["tax"]}"#,
    )
    .unwrap();
    assert!(layer.rules()[0].enabled);
    assert_eq!(layer.disabled(), ["tax"]);
    assert_eq!(GuidelineSet::from_json(&layer.to_json()).unwrap(), layer);

    // Deserialisation validates.
    let bad = r#"{"rules":[{"id":"x","kind":{"type":"late_submission","max_days":3},
        "action":{"type":"auto_adjust"},"reason_code":"R"}]}"#;
    assert!(
        matches!(GuidelineSet::from_json(bad), Err(Error::Json(m)) if m.contains("cannot auto-adjust"))
    );
    assert!(GuidelineSet::from_json("{\"rules\":[{\"id\":1}]}").is_err());
}

#[test]
fn standard_set_uses_every_kind_and_passes_a_clean_invoice() {
    let set = GuidelineSet::standard();
    let mut kinds: Vec<&str> = set.rules().iter().map(|r| r.kind.name()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), 32);
    let inv = invoice(&[
        "F JS 01-05 1.5@600 : Draft motion to compel production of documents",
        "F AB 01-05 2@400 : Research case law on privilege log sufficiency for motion to compel",
        "F PL 01-06 0.8@200 task=L120 : Prepare exhibit binder for deposition of plant manager",
        "E - 01-07 1@45 exp=E112 : Court fee for motion to compel",
    ]);
    let eval = evaluate(&set, &inv, &context());
    assert!(eval.flags.is_empty(), "{:#?}", eval.flags);
    assert_eq!(eval.adjusted_total, inv.total);
    assert!(!eval.invoice_rejected);
}

#[test]
fn findings_combine_per_line() {
    let set = GuidelineSet::standard();
    let mut ctx = context();
    ctx.rate_caps = vec![RateCap {
        classification: Classification::Partner,
        rate: d("580"),
    }];
    let inv = invoice(&[
        // Rate above approved (600) and cap (580), and 0.25 h not a tenth: 0.2 × 580 = 116.
        "F JS 01-05 0.25@650 : Draft motion to compel production of documents",
        // Rejected for a prohibited term, whatever else applies.
        "F JS 01-06 1.05@650 : Overtime spent on trial preparation for the hearing",
        "F AB 01-05 1@400 : Research privilege issues for the motion to compel responses",
    ]);
    let eval = evaluate(&set, &inv, &ctx);
    let l1: Vec<&str> = eval.flags_for_line(1).map(|f| f.rule_id.as_str()).collect();
    assert_eq!(
        l1,
        ["rate-above-approved", "rate-above-cap", "time-increment"]
    );
    assert_eq!(eval.lines[0].adjusted_total, d("116"));
    assert!(eval.lines[1].rejected);
    assert_eq!(eval.lines[1].adjusted_total, d("0"));
    assert_eq!(eval.lines[2].adjusted_total, d("400"));
    assert_eq!(eval.savings, d("46.50") + d("682.50"));
    assert_eq!(eval.adjusted_total, eval.billed_total - eval.savings);
    // Each flag's own adjustment is shown as if alone.
    let rate = &eval
        .flags
        .iter()
        .find(|f| f.rule_id == "rate-above-cap")
        .unwrap();
    assert_eq!(rate.adjustment.as_ref().unwrap().new_total, d("145.00"));
    assert_eq!(rate.reason_code, "BG-RATE-02");
}

#[test]
fn reject_invoice_and_routing() {
    let set = GuidelineSet::new(vec![
        rule(
            "dup",
            RuleKind::DuplicateInvoiceNumber,
            Action::RejectInvoice,
        ),
        rule(
            "hours",
            max_hours("1"),
            Action::RouteToApprover {
                approver: Approver::User(7),
            },
        ),
        rule(
            "late",
            RuleKind::LateBilling { max_days: 10 },
            Action::RouteToApprover {
                approver: Approver::User(7),
            },
        ),
    ])
    .unwrap();
    let mut ctx = context();
    ctx.history.invoice_numbers = vec!["INV-100".into()];
    let inv = invoice(&["F JS 01-05 2@600", "F JS 01-06 3@600"]);
    let eval = evaluate(&set, &inv, &ctx);
    assert!(eval.invoice_rejected);
    assert_eq!(eval.withheld(), inv.total);
    assert_eq!(eval.extra_approvers, vec![Approver::User(7)]);
    assert_eq!(eval.flags.len(), 5);
    assert_eq!(eval.flags[0].line_number, None);
}

#[test]
fn write_down_percent() {
    let mut r = rule(
        "dup",
        RuleKind::DuplicateLine {
            include_history: false,
        },
        Action::AutoAdjust,
    );
    r.write_down_percent = Some(d("50"));
    let set = GuidelineSet::new(vec![r]).unwrap();
    let eval = evaluate(
        &set,
        &invoice(&["F JS 01-05 1.1@600", "F JS 01-05 1.1@600"]),
        &context(),
    );
    let adj = eval.flags[0].adjustment.as_ref().unwrap();
    assert_eq!(
        (adj.new_total, adj.saved, adj.write_down_percent),
        (d("330"), d("330"), Some(d("50")))
    );
}

#[test]
fn disabled_rules_do_not_fire() {
    let mut r = rule("hours", max_hours("1"), Action::Flag);
    r.enabled = false;
    let set = GuidelineSet::new(vec![r]).unwrap();
    assert!(
        evaluate(&set, &invoice(&["F JS 01-05 2@600"]), &context())
            .flags
            .is_empty()
    );
}

#[test]
fn evaluation_serialises() {
    let eval = evaluate(
        &GuidelineSet::standard(),
        &invoice(&["F JS 01-05 2@650"]),
        &context(),
    );
    let json = serde_json::to_string(&eval).unwrap();
    let back: Evaluation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, eval);
}

#[test]
fn extreme_amounts_do_not_panic() {
    let mut inv = invoice(&[
        "F JS 01-05 1@600",
        "F JS 01-05 1@600 : Review file",
        "E - 01-05 1@10 exp=E111",
    ]);
    for l in &mut inv.lines {
        l.units = Decimal::MAX;
        l.rate = Decimal::MAX;
        l.adjustment = Decimal::MIN;
        l.total = Decimal::MIN;
        l.tax_rate = Some(Decimal::MAX);
        l.tax = Some(Decimal::MIN);
    }
    inv.total = Decimal::MAX;
    inv.tax_total = Decimal::MIN;
    let mut ctx = context();
    ctx.history.daily_hours = vec![DailyHours {
        timekeeper_id: "JS".into(),
        date: date("01-05"),
        hours: Decimal::MAX,
    }];
    ctx.budgets = vec![Budget {
        matter_id: 1,
        total: Some(Decimal::MAX),
        billed: Decimal::MAX,
        phases: vec![],
    }];
    let eval = evaluate(&GuidelineSet::standard(), &inv, &ctx);
    assert!(!eval.flags.is_empty());
    let w = compare(
        &GuidelineSet::default(),
        &GuidelineSet::standard(),
        &[(inv, ctx)],
    );
    assert_eq!(w.invoices_compared, 1);
}
