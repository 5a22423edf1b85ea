//! What-if replay: flags gained and lost and money at stake between two sets.

use guidelines::*;

use crate::support::*;

fn one(id: &str, kind: RuleKind, action: Action) -> GuidelineSet {
    GuidelineSet::new(vec![Rule::new(id, kind, action, "BG-X")]).unwrap()
}

fn history() -> Vec<(Invoice, Context)> {
    let mut second = invoice(&["F JS 01-10 9@600", "F AB 01-11 4@400"]);
    second.invoice_number = "INV-101".into();
    vec![
        (
            invoice(&[
                "F JS 01-05 11@600",
                "F AB 01-05 2@400",
                "F JS 01-06 8.5@600",
            ]),
            context(),
        ),
        (second, context()),
        (invoice(&["F PL 01-05 1@200"]), context()),
    ]
}

#[test]
fn tightening_a_limit_gains_flags_and_money() {
    let old = one(
        "hours",
        RuleKind::MaxEntryHours { max_hours: d("10") },
        Action::AutoAdjust,
    );
    let new = one(
        "hours",
        RuleKind::MaxEntryHours { max_hours: d("8") },
        Action::AutoAdjust,
    );
    let w = compare(&old, &new, &history());
    assert_eq!(w.invoices_compared, 3);
    assert_eq!(w.invoices.len(), 2);
    // Line 1 of INV-100 changes message (10 → 8 h): one lost, one gained; line 3 and INV-101's
    // line 1 are new.
    assert_eq!((w.flags_gained, w.flags_lost), (3, 1));
    let first = &w.invoices[0];
    assert_eq!(first.invoice_number, "INV-100");
    let line1 = first
        .lines
        .iter()
        .find(|l| l.line_number == Some(1))
        .unwrap();
    assert_eq!(line1.money_at_stake, d("1200"));
    assert_eq!(
        line1.lost[0].message,
        "Entry of 11.0 h by Jane Smith (PT) exceeds the 10.0 h maximum for one entry"
    );
    let line3 = first
        .lines
        .iter()
        .find(|l| l.line_number == Some(3))
        .unwrap();
    assert_eq!((line3.gained.len(), line3.money_at_stake), (1, d("300")));
    assert_eq!(first.money_at_stake, d("1500"));
    assert_eq!(w.invoices[1].money_at_stake, d("600"));
    assert_eq!(w.money_at_stake, d("2100"));
}

#[test]
fn identical_sets_change_nothing() {
    let set = GuidelineSet::standard();
    let w = compare(&set, &set, &history());
    assert!(w.invoices.is_empty());
    assert_eq!(
        (w.flags_gained, w.flags_lost, w.money_at_stake),
        (0, 0, d("0"))
    );
}

#[test]
fn dropping_a_rule_loses_flags_and_pays_more() {
    let old = one(
        "hours",
        RuleKind::MaxEntryHours { max_hours: d("10") },
        Action::RejectLine,
    );
    let w = compare(&old, &GuidelineSet::default(), &history());
    assert_eq!((w.flags_gained, w.flags_lost), (0, 1));
    assert_eq!(w.money_at_stake, d("-6600"));
}

#[test]
fn rejection_is_money_at_stake_at_invoice_level() {
    let mut ctx = context();
    ctx.history.invoice_numbers = vec!["INV-100".into()];
    let invoices = vec![(invoice(&["F JS 01-05 1@600", "F AB 01-05 2@400"]), ctx)];
    let flag = one("dup", RuleKind::DuplicateInvoiceNumber, Action::Flag);
    let reject = one(
        "dup",
        RuleKind::DuplicateInvoiceNumber,
        Action::RejectInvoice,
    );
    let w = compare(&flag, &reject, &invoices);
    assert_eq!((w.newly_rejected, w.no_longer_rejected), (1, 0));
    let inv = &w.invoices[0];
    assert_eq!(inv.lines.len(), 1);
    assert_eq!(inv.lines[0].line_number, None);
    // Same message, different action: the finding itself is unchanged.
    assert!(inv.lines[0].gained.is_empty());
    assert_eq!(inv.lines[0].money_at_stake, d("1400"));
    assert_eq!(w.money_at_stake, d("1400"));
}
