//! One test per rule kind: cases that fire and cases that do not, through `check`.

use guidelines::*;

use crate::support::*;

#[test]
fn line_arithmetic() {
    let k = standard_kind("line-arithmetic");
    check(
        k.clone(),
        &["F JS 01-05 1.5@600", "F JS 01-06 1@600 adj=-50"],
        &[],
    );
    check_adjust(
        k.clone(),
        &["F JS 01-05 1.5@600 total=950", "F JS 01-06 1@600 total=550"],
        &[
            "L1 Line total 950.00 does not equal 1.5 × 600.00 = 900.00 => 900.00 (saved 50.00)",
            // Under-billing is reported but never adjusted upwards.
            "L2 Line total 550.00 does not equal 1.0 × 600.00 = 600.00",
        ],
    );
    // Within tolerance.
    check(k, &["F JS 01-05 0.333@600 total=199.80"], &[]);
}

#[test]
fn invoice_arithmetic() {
    let k = standard_kind("invoice-arithmetic");
    check(
        k.clone(),
        &["F JS 01-05 1@600 tax=0.2/120", "E - 01-06 10@1"],
        &[],
    );
    check_with(
        k,
        Action::RejectInvoice,
        |inv, _| {
            inv.total = d("700");
            inv.tax_total = d("10");
        },
        &["F JS 01-05 1@600"],
        &[
            "INV Invoice total 700.00 does not equal the sum of line totals 600.00 plus tax 10.00 = 610.00",
            "INV Invoice tax total 10.00 does not equal the sum of line taxes 0.00",
        ],
    );
}

#[test]
fn tax() {
    let k = RuleKind::Tax {
        tolerance: d("0.01"),
        allowed_rates: vec![d("0.2"), d("0.1")],
    };
    check(
        k.clone(),
        &["F JS 01-05 1@600 tax=0.2/120", "F JS 01-06 1@600"],
        &[],
    );
    check(
        k,
        &[
            "F JS 01-05 1@600 tax=0.2/125",
            "F JS 01-06 1@600 tax=0.25/150",
            "F JS 01-07 1@600 tax=-/20",
        ],
        &[
            "L1 Tax 125.00 does not equal 20% of 600.00 = 120.00",
            "L2 Tax rate 25% is not an accepted rate (20%, 10%)",
            "L3 Tax 20.00 is billed without a tax rate",
        ],
    );
}

#[test]
fn duplicate_invoice_number() {
    let k = RuleKind::DuplicateInvoiceNumber;
    check(k.clone(), &["F JS 01-05 1@600"], &[]);
    check_with(
        k,
        Action::RejectInvoice,
        |_, c| c.history.invoice_numbers = strings(&["INV-099", " inv-100 "]),
        &["F JS 01-05 1@600"],
        &["INV Invoice number INV-100 was already used on an earlier invoice from vendor V1"],
    );
}

#[test]
fn duplicate_line() {
    let k = standard_kind("duplicate-line");
    // Same words, different hours, or a different timekeeper or date: not duplicates.
    check(
        k.clone(),
        &[
            "F JS 01-05 1@600 : Draft motion",
            "F JS 01-05 1.5@600 : Draft motion",
            "F AB 01-05 1@400 : Draft motion",
            "F JS 01-06 1@600 : Draft motion",
        ],
        &[],
    );
    let eval = check_with(
        k,
        Action::RejectLine,
        |_, c| c.history.lines = vec![hist("INV-7 4 JS 01-09 2.0@600 : Review expert report.")],
        &[
            "F JS 01-05 1@600 : Draft motion",
            "F JS 01-05 1.00@600 : draft  MOTION.",
            "F JS 01-09 2@600 : Review expert report",
        ],
        &[
            "L2 Duplicates line 1: same timekeeper (Jane Smith (PT)), date 2026-01-05, 1.0 units",
            "L3 Duplicates line 4 of invoice INV-7",
        ],
    );
    assert_eq!(eval.savings, d("1800"));
}

#[test]
fn near_duplicate_line() {
    let k = standard_kind("near-duplicate-line");
    check(
        k.clone(),
        &[
            "F JS 01-05 2@600 : Draft motion to compel discovery",
            "F JS 01-05 2@600 : Review expert report on damages",
            "F JS 01-06 2@600 : Draft motion to compel discovery responses",
            // Exact duplicates are the duplicate-line rule's business.
            "F JS 01-06 2@600 : Draft motion to compel discovery responses",
            // Units too far apart.
            "F JS 01-06 4@600 : Draft motion to compel discovery",
        ],
        &[],
    );
    check_with(
        k,
        Action::Flag,
        |_, c| {
            c.history.lines = vec![hist(
                "INV-7 3 AB 01-07 1.0@400 : Telephone conference with client regarding settlement terms",
            )]
        },
        &[
            "F JS 01-05 2@600 : Draft motion to compel discovery",
            "F JS 01-05 2.2@600 : Draft motion to compel discovery responses",
            "F AB 01-07 1.2@400 : Telephone conference with client regarding settlement terms and timing",
        ],
        &[
            "L2 Nearly duplicates line 1 (2.0 h): same timekeeper (Jane Smith (PT)) and date 2026-01-05, narratives 80% alike",
            "L3 Nearly duplicates line 3 of invoice INV-7 (1.0 h): same timekeeper (Alex Brown (AS)) and date 2026-01-07, narratives 75% alike, 1.2 h billed here",
        ],
    );
}

#[test]
fn matters() {
    let lines = &["F JS 01-05 1@600", "F JS 01-06 1@600 matter=2"];
    check(RuleKind::UnknownMatter, &lines[..1], &[]);
    check(
        RuleKind::UnknownMatter,
        lines,
        &["L2 Matter 2 (CM-1) is not a known matter"],
    );

    let billable = RuleKind::MatterNotBillable {
        billable: vec![MatterStatus::Open],
    };
    check(billable.clone(), lines, &[]);
    check_with(
        billable,
        Action::RejectLine,
        |_, c| c.matters[0].status = MatterStatus::Closed,
        lines,
        &["L1 Matter 1 (CM-1) is closed and accepts no charges"],
    );

    check(RuleKind::VendorNotAssigned, lines, &[]);
    check_with(
        RuleKind::VendorNotAssigned,
        Action::RejectInvoice,
        |_, c| c.matters[0].vendor_assigned = false,
        lines,
        &["L1 Vendor V1 is not assigned to matter 1 (CM-1)"],
    );
}

#[test]
fn dates() {
    check(
        RuleKind::OutsideBillingPeriod,
        &["F JS 01-01 1@600", "F JS 01-31 1@600"],
        &[],
    );
    check(
        RuleKind::OutsideBillingPeriod,
        &["F JS 2025-12-31 1@600", "F JS 02-01 1@600"],
        &[
            "L1 Line date 2025-12-31 is outside the billing period 2026-01-01 to 2026-01-31",
            "L2 Line date 2026-02-01",
        ],
    );
    check(RuleKind::FutureDated, &["F JS 02-05 1@600"], &[]);
    check_with(
        RuleKind::FutureDated,
        Action::RejectLine,
        |inv, c| {
            inv.invoice_date = date("02-20");
            c.today = date("02-05");
        },
        &["F JS 02-06 1@600", "F JS 02-25 1@600"],
        &[
            "L1 Line date 2026-02-06 is in the future (today is 2026-02-05)",
            "L2 Line date 2026-02-25 is after the invoice date 2026-02-20",
        ],
    );
    let late = RuleKind::LateBilling { max_days: 90 };
    check(late.clone(), &["F JS 2025-11-07 1@600"], &[]);
    check(
        late,
        &["F JS 2025-11-06 1@600"],
        &[
            "L1 Line date 2025-11-06 is 91 days before the invoice date 2026-02-05; work must be billed within 90 days",
        ],
    );
    let submission = RuleKind::LateSubmission { max_days: 60 };
    check(submission.clone(), &["F JS 01-05 1@600"], &[]);
    check_with(
        submission,
        Action::Flag,
        |_, c| c.today = date("04-01"),
        &["F JS 01-05 1@600"],
        &[],
    );
}

#[test]
fn late_submission_fires_after_the_limit() {
    check_with(
        RuleKind::LateSubmission { max_days: 60 },
        Action::Flag,
        |_, c| c.today = date("04-02"),
        &["F JS 01-05 1@600"],
        &["INV Submitted on 2026-04-02 — 61 days after the billing period ended on 2026-01-31"],
    );
}

#[test]
fn unapproved_timekeeper() {
    let k = RuleKind::UnapprovedTimekeeper {
        check_classification: true,
    };
    check(k.clone(), &["F JS 01-05 1@600", "E - 01-05 10@1"], &[]);
    check(
        k,
        &[
            "F ZZ 01-05 1@300",
            "F PL 01-05 1@200 class=AS",
            "F - 01-05 1@100",
        ],
        &[
            "L1 Unknown ZZ (AS) (id ZZ) is not an approved timekeeper",
            "L2 Pat Lee (AS) billed as associate but is approved as paralegal",
            "L3 Fee line has no timekeeper",
        ],
    );
}

#[test]
fn rate_above_approved() {
    let k = RuleKind::RateAboveApproved;
    check(k.clone(), &["F JS 01-05 1@600", "F AB 01-05 1@350"], &[]);
    let eval = check_with(
        k,
        Action::AutoAdjust,
        |_, c| {
            let js = &mut c.timekeepers[0];
            js.rates[0].to = Some(date("2025-12-31"));
            js.rates.push(ApprovedRate {
                rate: d("625"),
                from: date("2026-01-01"),
                to: None,
                matter_id: None,
            });
            js.rates.push(ApprovedRate {
                rate: d("575"),
                from: date("2026-01-01"),
                to: None,
                matter_id: Some(2),
            });
            c.matters.push(MatterInfo {
                id: 2,
                status: MatterStatus::Open,
                vendor_assigned: true,
            });
            c.timekeepers[1].rates[0].from = date("2026-01-10");
        },
        &[
            "F JS 01-05 1.5@650",
            "F JS 01-06 1@625",
            "F JS 01-07 2@600 matter=2",
            "F AB 01-05 1@400",
        ],
        &[
            "L1 Rate 650.00 exceeds the approved rate 625.00 for Jane Smith (PT) effective 2026-01-01 => 937.50 (saved 37.50)",
            "L3 Rate 600.00 exceeds the approved rate 575.00 for Jane Smith (PT) effective 2026-01-01 => 1150.00 (saved 50.00)",
            "L4 No approved rate is in force for Alex Brown (AS) on 2026-01-05",
        ],
    );
    assert_eq!(eval.savings, d("87.50"));
    assert!(eval.flags[2].adjustment.is_none());
}

#[test]
fn rate_above_cap() {
    let caps = |_: &mut Invoice, c: &mut Context| {
        c.rate_caps = vec![
            RateCap {
                classification: Classification::Partner,
                rate: d("550"),
            },
            RateCap {
                classification: Classification::Associate,
                rate: d("450"),
            },
        ];
    };
    check(RuleKind::RateAboveCap, &["F JS 01-05 1@600"], &[]);
    check_with(
        RuleKind::RateAboveCap,
        Action::AutoAdjust,
        caps,
        &["F JS 01-05 2@600", "F AB 01-05 1@400"],
        &[
            "L1 Rate 600.00 exceeds the partner rate cap 550.00 for Jane Smith (PT) => 1100.00 (saved 100.00)",
        ],
    );
}

#[test]
fn unapproved_rate_increase() {
    let history = |_: &mut Invoice, c: &mut Context| {
        c.history.lines = vec![
            hist("INV-5 1 AB 2025-11-03 1@350 : Draft answer"),
            hist("INV-6 1 AB 2025-12-03 1@380 : Draft reply"),
            hist("INV-9 1 AB 03-01 1@420 : Later, out-of-order line"),
        ];
    };
    // 400 is covered by the approved rate 400.
    check_with(
        RuleKind::UnapprovedRateIncrease,
        Action::Flag,
        history,
        &["F AB 01-05 1@400"],
        &[],
    );
    check_with(
        RuleKind::UnapprovedRateIncrease,
        Action::AutoAdjust,
        |i, c| {
            history(i, c);
            c.timekeepers[1].rates.clear();
        },
        &["F AB 01-05 2@400", "F AB 01-06 1@380"],
        &[
            "L1 Rate 400.00 for Alex Brown (AS) is higher than the 380.00 billed on invoice INV-6 (2025-12-03) and no approved rate covers the increase => 760.00 (saved 40.00)",
        ],
    );
}

#[test]
fn disallowed_classification() {
    let k = standard_kind("disallowed-classification");
    check(k.clone(), &["F PL 01-05 1@200"], &[]);
    check(
        k,
        &["F LA 01-05 1@100"],
        &["L1 Time billed by a legal assistant (Lou Ash (LA)) is not billable"],
    );
}

#[test]
fn time_increment() {
    let k = standard_kind("time-increment");
    check(
        k.clone(),
        &["F JS 01-05 0.1@600", "F JS 01-06 2.50@600"],
        &[],
    );
    check_adjust(
        k,
        &["F JS 01-05 0.25@600"],
        &["L1 0.25 h is not a multiple of the 0.1 h billing increment => 120.00 (saved 30.00)"],
    );
    check_adjust(
        RuleKind::TimeIncrement {
            increment: d("0.25"),
        },
        &["F JS 01-05 0.3@600", "F JS 01-06 0.75@600"],
        &["L1 0.3 h is not a multiple of the 0.25 h billing increment => 150.00 (saved 30.00)"],
    );
}

#[test]
fn max_entry_hours() {
    let k = standard_kind("max-entry-hours");
    check(k.clone(), &["F JS 01-05 10@600"], &[]);
    check_adjust(
        k,
        &["F JS 01-05 10.5@600"],
        &[
            "L1 Entry of 10.5 h by Jane Smith (PT) exceeds the 10.0 h maximum for one entry => 6000.00 (saved 300.00)",
        ],
    );
}

#[test]
fn daily_hours() {
    let k = standard_kind("daily-hours");
    let earlier = |_: &mut Invoice, c: &mut Context| {
        c.history.daily_hours = vec![DailyHours {
            timekeeper_id: "JS".into(),
            date: date("01-05"),
            hours: d("4"),
        }];
    };
    check_with(
        k.clone(),
        Action::Flag,
        earlier,
        &[
            "F JS 01-05 5@600 : Draft brief",
            "F JS 01-05 3@600 : Revise brief",
            "F JS 01-06 12@600",
        ],
        &[],
    );
    check_with(
        k,
        Action::AutoAdjust,
        earlier,
        &[
            "F JS 01-05 5@600 : Draft brief",
            "F JS 01-05 2@600 matter=2 : Revise brief",
            "F JS 01-05 3@600 : Prepare exhibits",
        ],
        &[
            "L3 Jane Smith (PT) billed 14.0 h on 2026-01-05 across all matters (4.0 h on earlier invoices, 10.0 h on this one), above the 12.0 h daily maximum => 600.00 (saved 1200.00)",
        ],
    );
}

#[test]
fn block_billing() {
    let k = standard_kind("block-billing");
    check(
        k.clone(),
        &[
            "F JS 01-05 2@600 : Review and revise brief",
            "F JS 01-06 2@600 : Draft motion to compel and supporting declaration",
        ],
        &[],
    );
    check(
        k,
        &[
            "F JS 01-05 4.5@600 : Review documents; draft memo; call with client",
            "F JS 01-06 3@600 : Reviewed production and drafted deficiency letter",
        ],
        &[
            "L1 Block billing: 3 tasks in one 4.5 h entry (\"Review documents; draft memo; call with client\")",
            "L2 Block billing: 2 tasks",
        ],
    );
    // Below the minimum hours, not checked.
    check(
        RuleKind::BlockBilling {
            min_tasks: 2,
            min_hours: d("1"),
            separators: strings(&[";"]),
            task_verbs: strings(DEFAULT_TASK_VERBS),
        },
        &["F JS 01-05 0.5@600 : Review email; respond to email"],
        &[],
    );
}

#[test]
fn vague_narrative() {
    let k = standard_kind("vague-narrative");
    check(
        k.clone(),
        &[
            "F JS 01-05 1@600 : Research case law on personal jurisdiction for motion to dismiss",
            "F JS 01-06 1@600 : Review file re expert disclosure deadlines under scheduling order",
        ],
        &[],
    );
    check(
        k,
        &[
            "F JS 01-05 1@600 : Research",
            "F JS 01-06 1@600 : Review file and attention to matter",
            "E - 01-06 1@10 : Misc",
        ],
        &[
            "L1 Narrative \"Research\" is too short (8 characters; at least 15 required)",
            "L2 Narrative \"Review file and attention to matter\" is vague: \"review file\"",
        ],
    );
}

#[test]
fn prohibited_terms() {
    let k = standard_kind("prohibited-terms");
    check(
        k.clone(),
        &["F JS 01-05 1@600 : Prepare deposition outline for Dr. Overton"],
        &[],
    );
    check(
        k,
        &[
            "F PL 01-05 1@200 : Overtime for trial preparation",
            "F JS 01-05 1@600 : Supervise summer associate research",
        ],
        &[
            "L1 Narrative contains the prohibited term \"overtime\"",
            "L2 Narrative contains the prohibited term \"summer associate\"",
        ],
    );
}

#[test]
fn clerical_work() {
    let k = RuleKind::ClericalWork {
        terms: strings(&["scan", "bates", "calendar", "organize"]),
        exempt: vec![Classification::Paralegal],
    };
    check(
        k.clone(),
        &[
            "F PL 01-05 1@200 : Bates label production volume 3",
            "F JS 01-05 1@600 : Draft motion for scanned signature rule",
        ],
        &[],
    );
    check(
        k,
        &["F AB 01-05 1@400 : Scan and organize deposition exhibits"],
        &["L1 Clerical task (\"scan\") billed as professional time by Alex Brown (AS)"],
    );
}

#[test]
fn internal_conference() {
    let k = standard_kind("internal-conference");
    check(
        k.clone(),
        &["F JS 01-05 1@600 : Conference with opposing counsel re discovery"],
        &[],
    );
    check(
        k,
        &[
            "F JS 01-05 1@600 : Office conference with A. Brown re strategy",
            "F AB 01-05 1@400 : Internal meeting re trial staffing",
        ],
        &[
            "L1 Internal firm conference (\"office conference\") by Jane Smith (PT) is not billable",
            "L2 Internal firm conference (\"internal meeting\")",
        ],
    );
}

#[test]
fn multiple_attendees() {
    let k = standard_kind("multiple-attendees");
    check(
        k.clone(),
        &[
            "F JS 01-05 1@600 : Call with opposing counsel re discovery",
            "F AB 01-05 1@400 : Call with opposing counsel regarding discovery schedule",
            "F CD 01-05 1@350 : Call with client re discovery",
            "F EF 01-06 1@500 : Call with opposing counsel re discovery",
        ],
        &[],
    );
    check(
        k,
        &[
            "F JS 01-05 1@600 : Meeting with the client re settlement",
            "F AB 01-05 1@400 : Prepare for and attend meeting with client re settlement",
            "F CD 01-05 1@350 : Meeting with client regarding settlement",
            "F EF 01-05 1@500 : Meeting with client about settlement",
            "F EF 01-07 1@500 act=A106 : Discuss settlement terms",
            "F JS 01-07 1@600 act=A106 : Discuss settlement terms",
            "F AB 01-07 1@400 act=A106 : Discuss settlement terms",
        ],
        &[
            "L3 4 timekeepers billed the same meeting (with client) on 2026-01-05: Jane Smith (PT), Alex Brown (AS), Chris Doe (AS), Erin Fox (OC); at most 2 may attend",
            "L4 4 timekeepers billed the same meeting (with client)",
            "L7 3 timekeepers billed the same meeting (activity A106) on 2026-01-07",
        ],
    );
}

#[test]
fn disallowed_expenses() {
    let k = standard_kind("disallowed-expenses");
    check(
        k.clone(),
        &["E - 01-05 1@50 exp=E112 : Court filing fee"],
        &[],
    );
    check(
        k,
        &["E - 01-05 1@12.50 exp=e105 : Long-distance telephone charges"],
        &["L1 Expense code E105 (12.50) is not reimbursable"],
    );
}

#[test]
fn expense_caps() {
    let k = standard_kind("expense-caps");
    check(
        k.clone(),
        &[
            "E - 01-05 100@0.10 exp=E101 : Copies",
            "E - 01-05 1@75 exp=E111 : Lunch with witness",
        ],
        &[],
    );
    let eval = check_adjust(
        k,
        &[
            "E - 01-05 100@0.25 exp=E101 : Copies",
            "E - 01-05 1@92.40 exp=E111 : Dinner with client",
        ],
        &[
            "L1 Unit cost 0.25 for E101 exceeds the cap 0.10 per unit => 10.00 (saved 15.00)",
            "L2 Expense of 92.40 for E111 exceeds the cap 75.00 per line => 75.00 (saved 17.40)",
        ],
    );
    assert_eq!(eval.adjusted_total, d("85.00"));
}

#[test]
fn premium_travel() {
    let k = standard_kind("premium-travel");
    check(
        k.clone(),
        &["E - 01-05 1@420 exp=E110 : Airfare economy class NYC to Chicago"],
        &[],
    );
    check(
        k,
        &["E - 01-05 1@1900 exp=E110 : Airfare, business class, NYC to London"],
        &["L1 Premium travel (\"business class\", 1900.00) is reimbursed at economy fare only"],
    );
}

#[test]
fn utbms_codes() {
    let k = standard_kind("utbms-codes");
    let lists = |_: &mut Invoice, c: &mut Context| {
        c.codes = AllowedCodes {
            tasks: Some(strings(&["L110", "L120"])),
            activities: Some(strings(&["A101", "A103"])),
            expenses: Some(strings(&["E101", "E124"])),
        };
    };
    check_with(
        k.clone(),
        Action::RejectLine,
        lists,
        &["F JS 01-05 1@600", "E - 01-05 1@10"],
        &[],
    );
    check_with(
        k,
        Action::RejectLine,
        lists,
        &[
            "F JS 01-05 1@600 task=- act=A999",
            "E - 01-05 1@10 exp=-",
            "F JS 01-06 1@600 task=l120",
        ],
        &[
            "L1 UTBMS codes: no task code; activity code A999 is not an accepted code",
            "L2 UTBMS codes: no expense code",
        ],
    );
}

#[test]
fn budget_overrun() {
    let k = standard_kind("budget-overrun");
    let budget = |billed: &str| {
        let billed = d(billed);
        move |_: &mut Invoice, c: &mut Context| {
            c.budgets = vec![Budget {
                matter_id: 1,
                total: Some(d("10000")),
                billed,
                phases: vec![PhaseBudget {
                    phase: "L100".into(),
                    amount: d("2000"),
                    billed: d("1000"),
                }],
            }]
        }
    };
    let approver = Action::RouteToApprover {
        approver: Approver::Role("budget_owner".into()),
    };
    // 9,000 + 1,200 = 10,200 ≤ 11,000; phase 1,000 + 1,200 = 2,200 ≤ 2,200.
    check_with(
        k.clone(),
        approver.clone(),
        budget("9000"),
        &["F JS 01-05 2@600"],
        &[],
    );
    let eval = check_with(
        k,
        approver,
        budget("10000"),
        &[
            "F JS 01-05 2@600",
            "F JS 01-06 0.5@600 task=L120",
            "F JS 01-06 1@600 task=L210",
        ],
        &[
            "INV Matter 1 would reach 12100.00 (billed 10000.00 + this invoice 2100.00), over its budget 10000.00 by more than 10%",
            "INV Matter 1 phase L100 would reach 2500.00 (billed 1000.00 + this invoice 1500.00), over its budget 2000.00 by more than 10%",
        ],
    );
    assert_eq!(
        eval.extra_approvers,
        vec![Approver::Role("budget_owner".into())]
    );
}

#[test]
fn budget_phase_named_by_letter_and_digit() {
    let k = standard_kind("budget-overrun");
    let budget = |amount: &str| {
        let amount = d(amount);
        move |_: &mut Invoice, c: &mut Context| {
            c.budgets = vec![Budget {
                matter_id: 1,
                total: None,
                billed: d("0"),
                phases: vec![PhaseBudget {
                    phase: "L1".into(),
                    amount,
                    billed: d("0"),
                }],
            }]
        }
    };
    let lines = &["F JS 01-05 2@600 task=L110", "F JS 01-06 1@600 task=L190"];
    check_with(k.clone(), Action::Flag, budget("1800"), lines, &[]);
    check_with(
        k,
        Action::Flag,
        budget("1500"),
        lines,
        &[
            "INV Matter 1 phase L100 would reach 1800.00 (billed 0.00 + this invoice 1800.00), over its budget 1500.00 by more than 10%",
        ],
    );
}
