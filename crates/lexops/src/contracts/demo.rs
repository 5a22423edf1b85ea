//! The demo department's contracts: a clause library, two templates, and a few hundred
//! contracts drafted from them (real DOCX files) in every state, with counterparty turns,
//! signed copies and requests from the business. Deterministic; seeding twice changes nothing.

use std::collections::BTreeMap;

use super::model::{ContractInput, Status};
use super::store;
use super::templates::{self as tpl, ClauseInput, Fallback, TemplateInput};
use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::error::AppError;

pub const SERVICES_SCHEMA: &str = r#"{"variables": [
  {"name": "counterparty", "label": "Supplier", "type": "party", "required": true},
  {"name": "fee", "label": "Annual fee", "type": "money", "required": true, "currency": "USD"},
  {"name": "start", "label": "Start date", "type": "date", "required": true},
  {"name": "term", "label": "Initial term", "type": "duration", "required": true, "help": "Renews for the same period unless notice is given."},
  {"name": "notice_days", "label": "Notice of non-renewal (days)", "type": "number", "required": true},
  {"name": "payment_days", "label": "Days to pay an invoice", "type": "number", "required": true},
  {"name": "law", "label": "Governing law", "type": "choice", "choices": ["New York", "Delaware", "California", "England and Wales"], "required": true},
  {"name": "exclusive", "label": "Exclusive supplier", "type": "yes_no"},
  {"name": "services", "label": "Services", "type": "list", "required": true}
]}"#;

pub const SERVICES_BODY: &str = r#"# Services Agreement

This Services Agreement (the **Agreement**) is made between **Example Corp**, a Delaware corporation (the **Customer**), and **{{ counterparty }}**{% if counterparty.entity %}, {{ counterparty.entity }}{% endif %} (the **Supplier**).

1. Services
   1. The Supplier will provide the following services (the **Services**):
{% for s in services %}      - {{ s }}
{% endfor %}
   2. The Supplier will perform the Services with reasonable skill and care and in line with good industry practice.
2. Fees and payment
   1. The Customer will pay an annual fee of {{ fee }}, invoiced quarterly in advance.
   2. Invoices are payable within {{ payment_days }} days of receipt.
3. Term and renewal
   1. This Agreement starts on {{ start }} and continues for {{ term }} (the **Initial Term**).
   2. {{ clause("renewal") }} Either party may give notice of non-renewal at least {{ notice_days }} days before the end of the then-current term.
4. Confidentiality
   1. {{ clause("confidentiality") }}
5. Liability
   1. {{ clause("limitation_of_liability") }}
{% if exclusive %}6. Exclusivity
   1. During the term the Supplier will not provide services of the same kind to a competitor of the Customer.
{% endif %}
## Governing law

{{ clause("governing_law") }} {{ law }}.
"#;

pub const NDA_SCHEMA: &str = r#"{"variables": [
  {"name": "counterparty", "label": "Other party", "type": "party", "required": true},
  {"name": "start", "label": "Effective date", "type": "date", "required": true},
  {"name": "term", "label": "Term", "type": "duration", "required": true},
  {"name": "purpose", "label": "Purpose", "type": "text", "required": true},
  {"name": "law", "label": "Governing law", "type": "choice", "choices": ["New York", "Delaware", "California", "England and Wales"], "required": true}
]}"#;

pub const NDA_BODY: &str = r#"# Mutual Non-Disclosure Agreement

This Agreement is made on {{ start }} between **Example Corp** and **{{ counterparty }}**{% if counterparty.address %} of {{ counterparty.address }}{% endif %}.

1. Purpose
   1. The parties will share confidential information to evaluate {{ purpose }} (the **Purpose**).
2. Obligations
   1. {{ clause("confidentiality") }}
   2. Each party will use the other's confidential information only for the Purpose.
3. Term
   1. This Agreement lasts {{ term }} from its date; the obligations of confidence survive for three years after it ends.

{{ clause("governing_law") }} {{ law }}.
"#;

fn clause(
    code: &str,
    title: &str,
    category: &str,
    preferred: &str,
    guidance: &str,
    fallbacks: &[(&str, &str)],
) -> ClauseInput {
    ClauseInput {
        code: code.into(),
        title: title.into(),
        category: category.into(),
        preferred: preferred.into(),
        guidance: guidance.into(),
        fallbacks: fallbacks
            .iter()
            .map(|(t, g)| Fallback {
                text: t.to_string(),
                guidance: g.to_string(),
            })
            .collect(),
    }
}

fn library() -> Vec<ClauseInput> {
    vec![
        clause(
            "governing_law",
            "Governing law",
            "Governing Law",
            "This Agreement and any dispute arising out of it are governed by the laws of",
            "Our courts and law are preferred; accept the counterparty's home law only for low-value agreements.",
            &[(
                "This Agreement is governed by the laws of",
                "Neutral wording when the counterparty insists on its own law.",
            )],
        ),
        clause(
            "limitation_of_liability",
            "Limitation of liability",
            "Cap On Liability",
            "Each party's total liability under this Agreement is limited to the fees paid or payable in the twelve months before the claim. Neither party is liable for indirect or consequential loss.",
            "A cap at twelve months' fees is standard.",
            &[
                (
                    "Each party's total liability under this Agreement is limited to twice the fees paid or payable in the twelve months before the claim.",
                    "For strategic suppliers, with the business owner's approval.",
                ),
                (
                    "Each party's total liability under this Agreement is limited to the fees paid or payable under it.",
                    "Last resort; needs the General Counsel's approval.",
                ),
            ],
        ),
        clause(
            "confidentiality",
            "Confidentiality",
            "",
            "Each party will keep the other's confidential information secret and protect it with at least reasonable care.",
            "",
            &[],
        ),
        clause(
            "renewal",
            "Automatic renewal",
            "Renewal Term",
            "After the Initial Term this Agreement renews automatically for successive periods equal to the Initial Term.",
            "Diarise the notice date: the system computes it from the notice period.",
            &[(
                "After the Initial Term this Agreement renews for successive periods of twelve months.",
                "When the counterparty wants shorter renewals.",
            )],
        ),
        clause(
            "termination_for_convenience",
            "Termination for convenience",
            "Termination For Convenience",
            "The Customer may terminate this Agreement at any time on thirty days' written notice.",
            "Always ask for it; give it up only for a price concession.",
            &[(
                "The Customer may terminate this Agreement on ninety days' written notice after the first anniversary.",
                "",
            )],
        ),
    ]
}

pub const COUNTERPARTIES: [&str; 24] = [
    "Northwind Traders LLC",
    "Contoso Ltd",
    "Fabrikam Inc",
    "Adventure Works Corp",
    "Tailspin Toys Inc",
    "Wide World Importers",
    "Litware Inc",
    "Proseware Inc",
    "Woodgrove Bank",
    "Lucerne Publishing",
    "Margie's Travel",
    "Blue Yonder Airlines",
    "Coho Winery",
    "Alpine Ski House",
    "Fourth Coffee",
    "Graphic Design Institute",
    "Humongous Insurance",
    "Trey Research",
    "Wingtip Toys",
    "Southridge Video",
    "City Power & Light",
    "Consolidated Messenger",
    "School of Fine Art",
    "VanArsdel Ltd",
];

const SERVICES: [&str; 8] = [
    "Cloud hosting of the customer web shop",
    "Second-line technical support, 24/7",
    "Security monitoring and incident response",
    "Payroll processing",
    "Translation of product documentation",
    "Facilities cleaning at the Boston office",
    "Data centre colocation",
    "Marketing analytics",
];

const LAWS: [&str; 4] = ["New York", "Delaware", "California", "England and Wales"];

/// A deterministic pseudo-random stream (SplitMix64), for the demo and the benchmark.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// An index below `n`.
    pub(super) fn index(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// An index below `n`, skewed towards small ones as word frequencies are.
    pub(super) fn zipf(&mut self, n: usize) -> usize {
        let a = self.index(n);
        let b = self.index(n);
        a.min(b).min(self.index(n))
    }
}

/// The statuses a demo contract goes through to reach `target`.
fn path_to(target: Status) -> Vec<Status> {
    use Status::*;
    let full = [InReview, Negotiation, Approval, Signature, Executed];
    match target {
        Draft => vec![],
        Expired | Terminated => full.iter().copied().chain([target]).collect(),
        t => full
            .iter()
            .copied()
            .take_while(|s| *s != t)
            .chain([t])
            .collect(),
    }
}

/// Seeds the library, the templates and `contracts` contracts, unless the department already
/// has templates.
pub async fn seed(
    app: &App,
    ops: &CurrentUser,
    requester: &CurrentUser,
    contracts: usize,
) -> Result<(), AppError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contract_templates")
        .fetch_one(app.db.pool())
        .await?;
    if existing > 0 {
        return Ok(());
    }
    for c in library() {
        tpl::save_clause(app, ops, None, &c).await?;
    }
    // The department works to the United States federal holidays.
    for year in 2024..=2028 {
        super::holidays::add_us_federal(app, ops, year).await?;
    }
    let services = tpl::save(
        app,
        ops,
        None,
        &TemplateInput {
            code: "services".into(),
            name: "Services Agreement".into(),
            type_code: "services".into(),
            description:
                "Our standard paper for suppliers of services, with renewal and the liability cap."
                    .into(),
            body: SERVICES_BODY.into(),
            schema: SERVICES_SCHEMA.into(),
            active: "1".into(),
        },
    )
    .await?;
    let nda = tpl::save(
        app,
        ops,
        None,
        &TemplateInput {
            code: "mutual-nda".into(),
            name: "Mutual NDA".into(),
            type_code: "nda".into(),
            description: "Two-way confidentiality before a deal or a pilot.".into(),
            body: NDA_BODY.into(),
            schema: NDA_SCHEMA.into(),
            active: "1".into(),
        },
    )
    .await?;
    for rule in [
        super::approvals::Rule {
            id: 0,
            name: "Large contracts".into(),
            position: 1,
            condition: super::approvals::Condition::ValueAbove {
                amount_minor: 50_000_000,
            },
            approvers: vec![super::approvals::Approver::Role {
                role: "legal_ops".into(),
            }],
            mode: "sequential".into(),
            active: true,
        },
        super::approvals::Rule {
            id: 0,
            name: "Law outside New York and Delaware".into(),
            position: 2,
            condition: super::approvals::Condition::GoverningLawNotIn {
                laws: vec!["New York".into(), "Delaware".into()],
            },
            approvers: vec![super::approvals::Approver::Role {
                role: "legal_ops".into(),
            }],
            mode: "parallel".into(),
            active: true,
        },
    ] {
        super::approvals::save_rule(app, ops, &rule).await?;
    }
    let mut rng = Rng(0x1e_c0_27_ac_75);
    let statuses = [
        Status::Draft,
        Status::InReview,
        Status::Negotiation,
        Status::Negotiation,
        Status::Approval,
        Status::Signature,
        Status::Executed,
        Status::Executed,
        Status::Executed,
        Status::Executed,
        Status::Executed,
        Status::Expired,
        Status::Terminated,
    ];
    let today = jiff::civil::Date::strptime("%Y-%m-%d", app.clock.today())
        .unwrap_or(jiff::civil::date(2026, 11, 1));
    for i in 0..contracts {
        let party = COUNTERPARTIES[rng.below(COUNTERPARTIES.len() as u64) as usize];
        let is_nda = rng.below(4) == 0;
        let target = statuses[rng.below(statuses.len() as u64) as usize];
        let law = LAWS[rng.below(4) as usize];
        let term = [12, 24, 36][rng.below(3) as usize];
        // Executed contracts began in the past; those still being made start soon.
        let start = if target.in_progress() {
            today.checked_add(jiff::Span::new().days(rng.below(120) as i64 + 14))
        } else {
            let back = if matches!(target, Status::Expired) {
                term * 31 + 60
            } else {
                rng.below((term * 28) as u64) as i64 + 10
            };
            today.checked_sub(jiff::Span::new().days(back))
        }
        .unwrap_or(today);
        let fee: i64 = (rng.below(240) as i64 + 10) * 5_000;
        let notice = [30, 60, 90][rng.below(3) as usize];
        let auto_renew = !is_nda && rng.below(3) != 0;
        let service = SERVICES[rng.below(SERVICES.len() as u64) as usize];
        let title = if is_nda {
            format!("Mutual NDA with {party}")
        } else {
            format!("{service} ({party})")
        };
        let input = ContractInput {
            title,
            type_code: if is_nda { "nda" } else { "services" }.into(),
            counterparty: party.into(),
            our_entity: "Example Corp".into(),
            value: if is_nda {
                String::new()
            } else {
                (fee * term / 12).to_string()
            },
            currency: "USD".into(),
            effective_on: start.to_string(),
            term_months: term.to_string(),
            auto_renew: if auto_renew {
                "1".into()
            } else {
                String::new()
            },
            renewal_months: if auto_renew {
                term.to_string()
            } else {
                String::new()
            },
            notice_days: if auto_renew {
                notice.to_string()
            } else {
                String::new()
            },
            governing_law: law.into(),
            business_reason: format!("Needed for: {}.", service.to_lowercase()),
            // Some may be ended without cause (after a first year for half of those); some
            // carry an option to extend, exercisable in a window before the term ends.
            termination_notice_days: if i % 3 == 1 {
                "60".into()
            } else {
                String::new()
            },
            termination_after_months: if i % 6 == 1 {
                "12".into()
            } else {
                String::new()
            },
            option_from_days: if i % 5 == 2 {
                "180".into()
            } else {
                String::new()
            },
            option_to_days: if i % 5 == 2 {
                "90".into()
            } else {
                String::new()
            },
            ..Default::default()
        };
        // Every eighth one came in as a request from the business.
        let c = if i % 8 == 0 {
            store::request(app, requester, &input, vec![]).await?
        } else {
            store::create(app, ops, &input).await?
        };
        let mut answers: BTreeMap<String, String> = BTreeMap::new();
        answers.insert("counterparty.name".into(), party.into());
        answers.insert("start".into(), start.to_string());
        answers.insert("term.count".into(), term.to_string());
        answers.insert("term.unit".into(), "months".into());
        answers.insert("law".into(), law.into());
        let template = if is_nda {
            answers.insert(
                "counterparty.address".into(),
                "1 Harbour Way, Seattle, WA".into(),
            );
            answers.insert(
                "purpose".into(),
                format!("a possible {}", service.to_lowercase()),
            );
            nda.id
        } else {
            answers.insert(
                "counterparty.entity".into(),
                "a Delaware corporation".into(),
            );
            answers.insert("fee".into(), fee.to_string());
            answers.insert("notice_days".into(), notice.to_string());
            answers.insert(
                "payment_days".into(),
                [30, 45, 60][rng.below(3) as usize].to_string(),
            );
            answers.insert(
                "services".into(),
                format!(
                    "{service}\n{}",
                    SERVICES[rng.below(SERVICES.len() as u64) as usize]
                ),
            );
            if rng.below(4) == 0 {
                answers.insert("exclusive".into(), "yes".into());
            }
            services.id
        };
        let v1 = tpl::draft(app, ops, c.id, template, &answers).await?;
        let path = path_to(target);
        for s in &path {
            if *s == Status::Negotiation {
                // We sent our paper; the counterparty sent it back edited (half of them without
                // tracking their changes).
                store::mark_sent(app, ops, c.id, v1.id).await?;
                let text = store::version_text(app, v1.id).await?;
                let turn = text
                    .replace("within 30 days", "within 60 days")
                    .replace("within 45 days", "within 60 days")
                    .replace(
                        "twelve months before the claim",
                        "twenty-four months before the claim",
                    )
                    .replace("three years", "two years");
                let paras: Vec<&str> = turn.lines().filter(|l| !l.trim().is_empty()).collect();
                let bytes = evidence::simple_docx(&c.title, party, "", &paras);
                let p = store::prepare(
                    app,
                    format!(
                        "{}-{}-turn.docx",
                        c.number,
                        party.split(' ').next().unwrap_or("cp")
                    ),
                    bytes,
                )
                .await?;
                store::add_version(app, ops, c.id, p, "counterparty", "Their comments", None)
                    .await?;
            }
            if *s == Status::Signature {
                // Legal ops decides what the rules asked (the demo's rules ask legal ops only).
                loop {
                    let pending: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM contract_approvals WHERE contract_id = $1 AND state = 'pending' ORDER BY step, id LIMIT 1",
                    )
                    .bind(c.id)
                    .fetch_optional(app.db.pool())
                    .await?;
                    let Some(aid) = pending else { break };
                    super::approvals::decide(app, ops, c.id, aid, true, "").await?;
                }
            }
            if *s == Status::Executed {
                let people = [
                    super::approvals::Signatory {
                        name: "Dana Whitfield".into(),
                        email: "dana.whitfield@demo.lexops.test".into(),
                        party: "us".into(),
                        signed_on: None,
                    },
                    super::approvals::Signatory {
                        name: format!("{} signatory", party.split(' ').next().unwrap_or("Their")),
                        email: String::new(),
                        party: "counterparty".into(),
                        signed_on: None,
                    },
                ];
                super::approvals::request_signature(app, ops, c.id, &people, "electronic").await?;
                let pdf = crate::platform::pdf::Report {
                    title: format!("{} (signed)", c.title),
                    subtitle: format!("{} · signed {}", c.number, start),
                    footer: format!("Signed for Example Corp and {party}"),
                    blocks: vec![crate::platform::pdf::Block::Paragraph(format!(
                        "Executed by Example Corp and {party} on {start}."
                    ))],
                }
                .render();
                let p = store::prepare(app, format!("{}-signed.pdf", c.number), pdf).await?;
                store::add_version_signed(
                    app,
                    ops,
                    c.id,
                    p,
                    "signed",
                    "Signed by both parties",
                    None,
                    &super::approvals::signed_on_all(&start.to_string()),
                )
                .await?;
            }
            store::set_status(app, ops, c.id, *s, "").await?;
        }
        // Executed services agreements carry their obligations: quarterly usage reports, and a
        // yearly certificate of insurance.
        if matches!(target, Status::Executed) && !is_nda {
            // Their own stream, so the contracts stay the same whatever is added here.
            let mut orng = Rng(0x0b11_6a71_0000 + c.id as u64);
            let due = |days: i64| {
                today
                    .checked_add(jiff::Span::new().days(days))
                    .unwrap_or(today)
                    .to_string()
            };
            for (title, kind, due_on, recurrence) in [
                (
                    "Quarterly usage report",
                    "reporting",
                    due(orng.below(80) as i64 - 10),
                    "quarterly",
                ),
                (
                    "Certificate of insurance",
                    "insurance",
                    due(orng.below(300) as i64 + 5),
                    "yearly",
                ),
            ] {
                super::dates::add_obligation(
                    app,
                    ops,
                    c.id,
                    &super::dates::ObligationInput {
                        title: title.into(),
                        kind: kind.into(),
                        due_on,
                        recurrence: recurrence.into(),
                        owner_email: String::new(),
                    },
                )
                .await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_status_graph() {
        for target in Status::ALL {
            let mut at = Status::Draft;
            for s in path_to(target) {
                assert!(at.next().contains(&s), "{at:?} -> {s:?}");
                at = s;
            }
            assert_eq!(at, target);
        }
    }
}
