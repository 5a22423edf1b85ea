//! Contracts: a request from the business becomes a draft with an owner; legal drafts it from a
//! template (a real DOCX), sends it, gets the counterparty's turn back with silent edits, reads
//! the redline (HTML and a DOCX with tracked changes), moves it through approval and signature
//! to executed (locked); bad files and bad templates are refused with their reason and change
//! nothing; a walled matter's contract is absent off the wall.

use lexops::platform::access::Role;
use serde_json::{Value, json};

use crate::both;
use crate::harness::{TestApp, location};

pub(crate) const SCHEMA: &str = r#"{"variables": [
  {"name": "counterparty", "label": "Counterparty", "type": "party", "required": true},
  {"name": "fee", "label": "Annual fee", "type": "money", "required": true, "currency": "USD"},
  {"name": "start", "label": "Start date", "type": "date", "required": true},
  {"name": "term", "label": "Initial term", "type": "duration", "required": true},
  {"name": "payment_days", "label": "Days to pay", "type": "number", "required": true},
  {"name": "law", "label": "Governing law", "type": "choice", "choices": ["New York", "Delaware"], "required": true},
  {"name": "exclusive", "label": "Exclusive", "type": "yes_no"},
  {"name": "services", "label": "Services", "type": "list", "required": true}
]}"#;

pub(crate) const BODY: &str = "# Services Agreement

This Services Agreement is made between **Example Corp** and **{{ counterparty }}**, {{ counterparty.entity }}.

1. Services
   1. The Supplier provides these services:
{% for s in services %}      - {{ s }}
{% endfor %}
2. Fees and payment
   1. The annual fee is {{ fee }}.
   2. Invoices are payable within {{ payment_days }} days of receipt.
3. Term
   1. This Agreement starts on {{ start }} and runs for {{ term }}.
{% if exclusive %}4. Exclusivity
   1. The Supplier will not provide the services to our competitors.
{% endif %}
{{ clause(\"governing_law\") }} {{ law }}.
";

async fn json_of(r: reqwest::Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"))
}

/// `GET path` with a bearer token, as JSON.
async fn get_json(t: &TestApp, token: &str, path: &str) -> Value {
    let r = reqwest::Client::new()
        .get(t.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    json_of(r).await
}

pub(crate) async fn setup_library(t: &TestApp, ops: &str) -> i64 {
    let http = reqwest::Client::new();
    let r = http
        .post(t.url("/api/v1/clauses"))
        .bearer_auth(ops)
        .json(&json!({"code": "governing_law", "title": "Governing law", "category": "Governing Law",
            "preferred": "This Agreement is governed by the laws of the State of",
            "guidance": "Prefer New York.",
            "fallbacks": [{"text": "This Agreement is governed by the laws of", "guidance": "Any US state"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = http
        .post(t.url("/api/v1/contract-templates"))
        .bearer_auth(ops)
        .json(&json!({"code": "services", "name": "Services Agreement", "type": "services", "body": BODY, "schema": SCHEMA, "active": true}))
        .send()
        .await
        .unwrap();
    let v = json_of(r).await;
    v["id"].as_i64().unwrap_or_else(|| panic!("{v}"))
}

pub(crate) fn answers() -> Value {
    json!({
        "counterparty.name": "Northwind Traders LLC",
        "counterparty.entity": "a Delaware limited liability company",
        "fee": "250000",
        "start": "2027-01-01",
        "term.count": "24",
        "term.unit": "months",
        "payment_days": "30",
        "law": "New York",
        "exclusive": "yes",
        "services": "Cloud hosting\nSupport, 24/7",
    })
}

fn docx_text(bytes: &[u8]) -> String {
    evidence::extract(evidence::Kind::Docx, bytes, &Default::default())
        .expect("a readable DOCX")
        .text
}

both!(a_contract_from_request_to_execution);
async fn a_contract_from_request_to_execution(t: TestApp) {
    let http = reqwest::Client::new();
    // The one lawyer: requests go to them.
    t.user("counsel@example.com", Role::Attorney).await;
    let ops = t.token(Role::LegalOps).await;
    let requester = t.token(Role::Requester).await;

    // The business asks; a request without a reason is refused.
    let r = http
        .post(t.url("/api/v1/contract-requests"))
        .bearer_auth(&requester)
        .json(&json!({"title": "Hosting for the EU shop", "type": "services", "counterparty": "Northwind Traders LLC"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        json_of(r).await["error"]["fields"][0]["field"],
        "business_reason"
    );
    let r = http
        .post(t.url("/api/v1/contract-requests"))
        .bearer_auth(&requester)
        .json(&json!({"title": "Hosting for the EU shop", "type": "services", "counterparty": "Northwind Traders LLC",
            "value": 250000, "business_reason": "Move the EU web shop to a hosted platform by March."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let c = json_of(r).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["status"], "draft");
    assert_eq!(
        c["owner_name"], "Test Attorney",
        "the least-loaded lawyer owns it: {c}"
    );
    assert_eq!(c["value_minor"], 25_000_000);
    let number = c["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("CT-"), "{number}");
    let mine = json_of(
        http.get(t.url("/api/v1/contract-requests"))
            .bearer_auth(&requester)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mine[0]["number"], number.as_str());
    // A requester does not browse the repository.
    let r = http
        .get(t.url("/api/v1/contracts"))
        .bearer_auth(&requester)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Legal writes the library and a template; a broken template is refused with its line.
    let template_id = setup_library(&t, &ops).await;
    assert!(template_id > 0);
    let r = http
        .post(t.url("/api/v1/contract-templates"))
        .bearer_auth(&ops)
        .json(
            &json!({"code": "broken", "name": "Broken", "type": "nda", "schema": SCHEMA,
            "body": "# NDA\n\nBetween us and {{ counterparty }}.\n\nFee: {{ fees }}\n"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e = json_of(r).await;
    assert_eq!(
        e["error"]["fields"][0]["message"],
        "line 5: unknown variable `fees` (declare it in the schema)",
        "{e}"
    );
    let r = http
        .post(t.url("/api/v1/contract-templates"))
        .bearer_auth(&ops)
        .json(&json!({"code": "broken", "name": "Broken", "type": "nda", "schema": SCHEMA, "body": "# NDA\n\n{% if exclusive %}\nunclosed\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let msg = json_of(r).await["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.starts_with("line ") && msg.contains("syntax error"),
        "{msg}"
    );
    let r = http
        .post(t.url("/api/v1/contract-templates"))
        .bearer_auth(&ops)
        .json(&json!({"code": "sneaky", "name": "Sneaky", "type": "nda", "body": "{% include \"/etc/passwd\" %}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a template cannot read files");

    // Draft version 1 from the template: bad answers name their fields, good ones make a DOCX.
    let mut bad = answers();
    bad["fee"] = json!("12.345");
    bad["law"] = json!("Texas");
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/draft")))
        .bearer_auth(&ops)
        .json(&json!({"template": "services", "answers": bad}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let fields: Vec<String> = json_of(r).await["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["fee", "law"]);
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/draft")))
        .bearer_auth(&ops)
        .json(&json!({"template": "services", "answers": answers()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v1 = json_of(r).await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["source"], "generated");
    let bytes = http
        .get(t.url(&format!("/api/v1/contracts/{id}/versions/1/content")))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = docx_text(&bytes);
    for expected in [
        "Services Agreement",
        "between Example Corp and Northwind Traders LLC, a Delaware limited liability company.",
        "The annual fee is USD 250,000.00.",
        "Invoices are payable within 30 days of receipt.",
        "starts on 1 January 2027 and runs for 24 months.",
        "Support, 24/7",
        "The Supplier will not provide the services to our competitors.",
        "governed by the laws of the State of New York.",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/versions/1/sent")))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The counterparty's turn comes back without tracked changes, but edited.
    let turn_text = text
        .replace("within 30 days", "within 60 days")
        .replace(
            "The Supplier will not provide the services to our competitors.",
            "",
        )
        .replace("the State of New York", "the State of Delaware");
    let paras: Vec<&str> = turn_text.lines().filter(|l| !l.trim().is_empty()).collect();
    let turn = evidence::simple_docx("Services Agreement", "Northwind Legal", "", &paras);
    let upload = |bytes: Vec<u8>, name: &'static str, source: &'static str| {
        let http = http.clone();
        let url = t.url(&format!("/api/v1/contracts/{id}/versions"));
        let ops = ops.clone();
        async move {
            http.post(url)
                .bearer_auth(ops)
                .header("X-Filename", name)
                .header("X-Source", source)
                .body(bytes)
                .send()
                .await
                .unwrap()
        }
    };
    let r = upload(turn.clone(), "northwind-turn.docx", "counterparty").await;
    assert_eq!(r.status(), 201);
    let v2 = json_of(r).await;
    assert_eq!(
        (v2["version"].as_i64(), v2["tracked_changes"].as_i64()),
        (Some(2), Some(0))
    );
    // The same file again is the same version.
    let r = upload(turn.clone(), "again.docx", "counterparty").await;
    assert_eq!(r.status(), 409);
    assert!(
        json_of(r).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("same as version 2")
    );
    // Corrupt and password-protected files are refused with the reason, nothing stored.
    let r = upload(
        b"PK\x03\x04 this is not really a zip".to_vec(),
        "broken.docx",
        "counterparty",
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        json_of(r).await["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("broken.docx")
    );
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend_from_slice(&[0u8; 1024]);
    let r = upload(ole, "locked.docx", "counterparty").await;
    assert_eq!(r.status(), 422);
    assert!(
        json_of(r).await["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("password-protected")
    );
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contract_versions WHERE contract_id = $1")
            .bind(id)
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!(count, 2);

    // The redline: against the version we sent, silent edits flagged.
    let red = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}/redline?to=2")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (red["from_version"].as_i64(), red["to_version"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(red["untracked_changes"], true);
    let html = red["html"].as_str().unwrap();
    assert!(
        html.contains("within <del>30</del><ins>60</ins> days"),
        "{html}"
    );
    assert!(
        html.contains("<del>New</del><ins>Delaware</ins>")
            || html.contains("<del>New York</del><ins>Delaware</ins>"),
        "{html}"
    );
    assert!(
        html.contains("<del>The Supplier will not provide the services to our competitors.</del>"),
        "{html}"
    );
    let docx = http
        .get(t.url(&format!("/api/v1/contracts/{id}/redline?to=2&format=docx")))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(evidence::docx_revisions(&docx, &Default::default()).unwrap() >= 3);
    // Accepting every tracked change gives the counterparty's text.
    let accepted: Vec<String> = docx_text(&docx)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let theirs: Vec<String> = docx_text(&turn)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(accepted, theirs);

    // Status: executed needs the steps and a signed copy; then it is locked.
    let status = |to: &'static str| {
        let http = http.clone();
        let url = t.url(&format!("/api/v1/contracts/{id}/status"));
        let ops = ops.clone();
        async move {
            http.post(url)
                .bearer_auth(ops)
                .json(&json!({"status": to, "note": format!("to {to}")}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(status("executed").await.status(), 409);
    // Approval rules are data: above USD 100,000.00 an attorney approves; a law outside New
    // York and Delaware needs legal ops too (it does not apply here).
    for rule in [
        json!({"name": "Large contracts", "condition": {"kind": "value_above", "amount_minor": 10_000_000}, "approvers": [{"role": "attorney"}], "mode": "sequential"}),
        json!({"name": "Foreign law", "condition": {"kind": "governing_law_not_in", "laws": ["New York", "Delaware"]}, "approvers": [{"role": "legal_ops"}], "mode": "parallel"}),
    ] {
        let r = http
            .post(t.url("/api/v1/contract-approval-rules"))
            .bearer_auth(&ops)
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let r = http
        .post(t.url("/api/v1/contract-approval-rules"))
        .bearer_auth(&ops)
        .json(&json!({"name": "Bad", "condition": {"kind": "always"}, "approvers": [{"role": "vendor"}], "mode": "sequential"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a vendor cannot approve contracts");
    for s in ["in_review", "negotiation", "approval"] {
        let r = status(s).await;
        assert_eq!(r.status(), 200, "{s}: {}", r.text().await.unwrap());
    }
    let approvals = |http: reqwest::Client| {
        let url = t.url(&format!("/api/v1/contracts/{id}/approvals"));
        let ops = ops.clone();
        async move { json_of(http.get(url).bearer_auth(ops).send().await.unwrap()).await }
    };
    let a = approvals(http.clone()).await;
    assert_eq!(a.as_array().unwrap().len(), 1, "{a}");
    assert_eq!(
        (
            a[0]["version"].as_i64(),
            a[0]["state"].as_str(),
            a[0]["approver_role"].as_str()
        ),
        (Some(2), Some("pending"), Some("attorney"))
    );
    assert!(
        a[0]["reason"].as_str().unwrap().contains("Large contracts"),
        "{a}"
    );
    assert_eq!(
        status("signature").await.status(),
        409,
        "waits for the approval"
    );
    // The attorney was told by mail.
    let mail: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE to_addr = 'counsel@example.com' AND subject LIKE 'Approval needed%'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(mail, 1);
    // Legal ops cannot decide an attorney's approval.
    let aid = a[0]["id"].as_i64().unwrap();
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/approvals/{aid}")))
        .bearer_auth(&ops)
        .json(&json!({"approve": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A change to the content voids the approval and asks again for the new version.
    let ours = evidence::simple_docx(
        "Services Agreement",
        "Example Corp",
        "",
        &[&paras[..], &["Payment within 45 days."]].concat(),
    );
    let r = upload(ours, "our-reply.docx", "ours").await;
    assert_eq!(r.status(), 201);
    let a = approvals(http.clone()).await;
    let states: Vec<(i64, &str)> = a
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["version"].as_i64().unwrap(), x["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(3, "pending"), (2, "void")]);
    let aid = a[0]["id"].as_i64().unwrap();
    let attorney = t.token(Role::Attorney).await;
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/approvals/{aid}")))
        .bearer_auth(&attorney)
        .json(&json!({"approve": true, "note": "Fine at 45 days."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = status("signature").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(status("executed").await.status(), 409, "no signed copy yet");
    let signed = lexops::platform::pdf::Report {
        title: "Services Agreement (signed)".into(),
        subtitle: number.clone(),
        footer: "Signed by both parties".into(),
        blocks: vec![lexops::platform::pdf::Block::Paragraph(
            "Signed for Example Corp and Northwind Traders LLC.".into(),
        )],
    }
    .render();
    let r = upload(signed.clone(), "signed.pdf", "signed").await;
    assert_eq!(r.status(), 409, "who signs is recorded first");
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/signature")))
        .bearer_auth(&ops)
        .json(&json!({"signatories": [{"name": "Ada Example", "email": "ada@example.com", "party": "us"}, {"name": "Nora Northwind", "party": "counterparty"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/versions")))
        .bearer_auth(&ops)
        .header("X-Filename", "signed.pdf")
        .header("X-Source", "signed")
        .header("X-Signed-On", "2026-12-01")
        .body(signed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let signed_sha = json_of(r).await["sha256"].as_str().unwrap().to_string();
    let r = status("executed").await;
    assert_eq!(r.status(), 200);
    let c = json_of(r).await;
    assert_eq!(c["locked"], 1);
    let r = upload(b"late change".to_vec(), "late.txt", "ours").await;
    assert_eq!(r.status(), 409);
    let r = http
        .put(t.url(&format!("/api/v1/contracts/{id}")))
        .bearer_auth(&ops)
        .json(&json!({"title": "Renamed", "type": "services"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let d = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let path: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(
        path,
        [
            "draft",
            "in_review",
            "negotiation",
            "approval",
            "signature",
            "executed"
        ]
    );
    assert_eq!(d["versions"].as_array().unwrap().len(), 4);
    let sigs: Vec<String> = sqlx::query_scalar(
        "SELECT signatories_json FROM contract_signatures WHERE contract_id = $1 AND completed_at IS NOT NULL",
    )
    .bind(id)
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(sigs.len(), 1);
    assert!(sigs[0].contains("\"signed_on\":\"2026-12-01\""), "{sigs:?}");
    assert_eq!(d["versions"][0]["sha256"], signed_sha.as_str());

    // The requester follows it.
    let mine = json_of(
        http.get(t.url("/api/v1/contract-requests"))
            .bearer_auth(&requester)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mine[0]["status"], "executed");

    // Every step is in the audit trail.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE object_type = 'contract' ORDER BY seq",
    )
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    for a in [
        "contract.request",
        "contract.version",
        "contract.version_sent",
        "contract.download",
        "contract.status",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} not audited: {actions:?}"
        );
    }
    let report = lexops::platform::audit::verify(&t.app.db).await.unwrap();
    assert!(report.ok, "{report:?}");
}

both!(walled_contracts_and_the_pages);
async fn walled_contracts_and_the_pages(t: TestApp) {
    let http = reqwest::Client::new();
    let ops = t.token(Role::LegalOps).await;
    let other = t.token(Role::Attorney).await;
    setup_library(&t, &ops).await;
    // A confidential matter: only its creator (ops) is on the wall.
    let r = http
        .post(t.url("/api/v1/matters"))
        .bearer_auth(&ops)
        .json(&json!({"number": "MA-ORCA", "name": "Project Orca", "type": "transactional", "confidential": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mk = |title: &'static str, matter: &'static str| {
        let http = http.clone();
        let url = t.url("/api/v1/contracts");
        let ops = ops.clone();
        async move {
            let r = http
                .post(url)
                .bearer_auth(ops)
                .json(&json!({"title": title, "type": "nda", "counterparty": "Orca Target Inc", "matter_number": matter,
                    "effective_on": "2027-02-01", "term_months": 12, "auto_renew": true, "renewal_months": 12, "notice_days": 60}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()
        }
    };
    let secret = mk("Orca NDA", "MA-ORCA").await;
    let open = mk("Plain NDA", "").await;
    assert_eq!(open["expires_on"], "2028-01-31", "expiry from the term");
    let sid = secret["id"].as_i64().unwrap();
    let list = json_of(
        http.get(t.url("/api/v1/contracts?q=nda"))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["title"], "Plain NDA");
    for path in [
        format!("/api/v1/contracts/{sid}"),
        format!("/api/v1/contracts/{sid}/redline"),
    ] {
        let r = http
            .get(t.url(&path))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let list = json_of(
        http.get(t.url("/api/v1/contracts?q=nda"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["total"], 2);

    // The pages: the attorney off the wall sees one contract, in the list, the CSV and by id.
    let mut b = t.signed_in(Role::Attorney).await;
    let page = b.page("/contracts").await;
    assert!(page.contains("Plain NDA") && !page.contains("Orca NDA"));
    let csv = b.get("/contracts?format=csv").await.text().await.unwrap();
    assert!(csv.starts_with("number,title,type,status"), "{csv}");
    assert!(csv.contains("Plain NDA") && !csv.contains("Orca NDA"));
    assert_eq!(b.get(&format!("/contracts/{sid}")).await.status(), 404);

    // Draft through the form, upload a turn through the form, read the redline page.
    let oid = open["id"].as_i64().unwrap();
    let page = b.page(&format!("/contracts/{oid}")).await;
    assert!(page.contains("Draft from a template"));
    let tid: i64 = sqlx::query_scalar("SELECT id FROM contract_templates WHERE code = 'services'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let form = b
        .page(&format!("/contracts/{oid}/draft?template={tid}"))
        .await;
    assert!(
        form.contains("name=\"term.unit\""),
        "the duration's unit field"
    );
    let tids = tid.to_string();
    let mut fields: Vec<(String, String)> = answers()
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    fields.push(("template".into(), tids.clone()));
    fields.retain(|(k, _)| k != "start");
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = b.post(&format!("/contracts/{oid}/draft"), &f).await;
    assert_eq!(r.status(), 422, "the start date is required");
    let body = r.text().await.unwrap();
    assert!(body.contains("Start date is required"), "{body}");
    let mut f = f.clone();
    f.push(("start", "2027-02-01"));
    let r = b.post(&format!("/contracts/{oid}/draft"), &f).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/contracts/{oid}"));
    b.page(&format!("/contracts/{oid}")).await;
    let turn = evidence::simple_docx(
        "NDA",
        "Orca",
        "",
        &["Services Agreement", "Completely different terms."],
    );
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(turn).file_name("their-turn.docx"),
        )
        .text("source", "counterparty")
        .text("note", "Their paper");
    let r = b
        .post_multipart(&format!("/contracts/{oid}/versions"), form)
        .await;
    assert_eq!(r.status(), 303);
    let page = b.page(&format!("/contracts/{oid}/redline")).await;
    assert!(
        page.contains("Changes without tracking"),
        "silent edits are flagged"
    );
    assert!(
        page.contains("<ins>Completely different terms.</ins>") || page.contains("<ins>Completely"),
        "{page}"
    );
    // Search finds contracts by the words of any version, with the words marked, and
    // counts them by status and type; the walled contract is not found by its words.
    let page = b.page("/contracts?q=%22different+terms%22").await;
    assert!(
        page.contains("<mark>different</mark> <mark>terms</mark>")
            || page.contains("<mark>different terms</mark>"),
        "{page}"
    );
    assert!(page.contains("Plain NDA") && page.contains("chip-count"));
    let found = json_of(
        http.get(t.url("/api/v1/contracts?q=Orca"))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        found["total"], 1,
        "the plain NDA's counterparty is Orca Target; the walled one stays hidden: {found}"
    );
    let found = json_of(
        http.get(t.url("/api/v1/contracts?q=Orca"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(found["total"], 2);
    let found = json_of(
        http.get(t.url("/api/v1/contracts?q=%22different%20terms%22"))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(found["total"], 1);
    let snippet = found["items"][0]["snippet"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        snippet.contains("[different] [terms]") || snippet.contains("[different terms]"),
        "{found}"
    );
    let facets = json_of(
        http.get(t.url("/api/v1/contracts/facets?q=nda"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(facets["status"][0]["value"], "draft", "{facets}");
    assert_eq!(facets["status"][0]["count"], 2, "{facets}");
    let r = b.get(&format!("/contracts/{oid}/redline.docx")).await;
    assert_eq!(r.status(), 200);
    assert!(evidence::docx_revisions(&r.bytes().await.unwrap(), &Default::default()).unwrap() > 0);

    // A requester asks through the form with an attachment and follows the request; nobody
    // else's requester sees it.
    let mut req = t.signed_in(Role::Requester).await;
    req.page("/contracts/request").await;
    let form = reqwest::multipart::Form::new()
        .text("title", "Reseller agreement")
        .text("type", "services")
        .text("counterparty", "Contoso")
        .text("business_reason", "Sell through Contoso in Canada.")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"Contoso's draft terms".to_vec())
                .file_name("contoso.txt"),
        );
    let r = req.post_multipart("/contracts/request", form).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    let page = req.page(&to).await;
    assert!(page.contains("Reseller agreement") && page.contains("contoso.txt"));
    assert_eq!(req.get("/contracts").await.status(), 403);
    let other_req = t.signed_in(Role::Requester).await;
    assert_eq!(other_req.get(&to).await.status(), 404);
}

/// Takes a contract through review, approval and signature to executed (no approval rules).
async fn execute(t: &TestApp, token: &str, id: i64) {
    let http = reqwest::Client::new();
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/versions")))
        .bearer_auth(token)
        .header("X-Filename", "final.txt")
        .body("The final text of the agreement.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for s in ["in_review", "negotiation", "approval", "signature"] {
        let r = http
            .post(t.url(&format!("/api/v1/contracts/{id}/status")))
            .bearer_auth(token)
            .json(&json!({"status": s}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{s}: {}", r.text().await.unwrap());
    }
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/signature")))
        .bearer_auth(token)
        .json(&json!({"signatories": [{"name": "Us", "party": "us"}, {"name": "Them", "party": "counterparty"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/versions")))
        .bearer_auth(token)
        .header("X-Filename", "signed.txt")
        .header("X-Source", "signed")
        .body("Signed: Us, Them.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/status")))
        .bearer_auth(token)
        .json(&json!({"status": "executed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

both!(key_dates_obligations_alerts_and_calendars);
async fn key_dates_obligations_alerts_and_calendars(t: TestApp) {
    use jiff::{SignedDuration, Timestamp};
    let http = reqwest::Client::new();
    t.app
        .clock
        .set_to(Some("2026-06-01T12:00:00Z".parse::<Timestamp>().unwrap()));
    t.user("owner@example.com", Role::LegalOps).await;
    let ops = t.token(Role::LegalOps).await;
    let r = http
        .post(t.url("/api/v1/contracts"))
        .bearer_auth(&ops)
        .json(&json!({"title": "Hosting", "type": "services", "counterparty": "Northwind", "owner_email": "owner@example.com",
            "effective_on": "2025-01-01", "term_months": 12, "auto_renew": true, "renewal_months": 12, "notice_days": 90}))
        .send()
        .await
        .unwrap();
    let c = json_of(r).await;
    let id = c["id"].as_i64().unwrap();
    execute(&t, &ops, id).await;
    let kd = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}/key-dates")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let find = |kd: &Value, k: &str| {
        kd.as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == k)
            .cloned()
            .unwrap_or_else(|| panic!("{k}: {kd}"))
    };
    assert_eq!(find(&kd, "expiry")["date"], "2026-12-31");
    assert!(
        find(&kd, "expiry")["how"]
            .as_str()
            .unwrap()
            .contains("renewed automatically 1 time"),
        "{kd}"
    );
    assert_eq!(find(&kd, "notice_deadline")["date"], "2026-10-02");
    assert_eq!(find(&kd, "send_notice_by")["date"], "2026-09-29");
    assert_eq!(find(&kd, "renewal")["date"], "2027-01-01");
    // An obligation: bad input names its field; a quarterly report due in 29 days.
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/obligations")))
        .bearer_auth(&ops)
        .json(&json!({"title": "Usage report", "kind": "reporting", "due_on": "2026-06-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/obligations")))
        .bearer_auth(&ops)
        .json(&json!({"title": "Usage report", "kind": "reporting", "due_on": "2026-06-30", "recurrence": "quarterly"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let oid = json_of(r).await["id"].as_i64().unwrap();
    let up = json_of(
        http.get(t.url("/api/v1/contracts/upcoming?days=180"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let kinds: Vec<&str> = up["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["obligation", "send_notice_by", "notice_deadline"],
        "{up}"
    );
    assert_eq!(up["total"], 3, "{up}");
    // A page at a time, in the same order, counted by the server.
    let second = json_of(
        http.get(t.url("/api/v1/contracts/upcoming?days=180&limit=1&offset=1"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(second["total"], 3, "{second}");
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert_eq!(second["items"][0]["kind"], "send_notice_by", "{second}");
    // Alerts: the obligation is within 30 days; the notice dates are not yet within 90.
    let run = |http: reqwest::Client| {
        let url = t.url("/api/v1/contracts/alerts/run");
        let ops = ops.clone();
        async move {
            json_of(http.post(url).bearer_auth(ops).send().await.unwrap()).await["sent"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(run(http.clone()).await, 1);
    assert_eq!(run(http.clone()).await, 0, "each alert goes once");
    t.app.clock.advance(SignedDuration::from_hours(24 * 34));
    // 2026-07-05: the notice deadline is 89 days away, the send-by date 86; the report is overdue.
    assert_eq!(run(http.clone()).await, 3);
    let subjects: Vec<String> = sqlx::query_scalar(
        "SELECT subject FROM mail_outbox WHERE to_addr = 'owner@example.com' ORDER BY id",
    )
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(subjects.len(), 4, "{subjects:?}");
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Usage report is overdue")),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Last day for notice of non-renewal is in 89 days (2026-10-02)")),
        "{subjects:?}"
    );
    // Meeting the obligation needs evidence; the next quarter's comes due.
    let done = |body: Value| {
        let http = http.clone();
        let url = t.url(&format!("/api/v1/contracts/{id}/obligations/{oid}"));
        let ops = ops.clone();
        async move {
            http.post(url)
                .bearer_auth(ops)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(done(json!({})).await.status(), 422);
    assert_eq!(
        done(json!({"evidence": "Report sent 2026-07-06, ref UR-7"}))
            .await
            .status(),
        200
    );
    let obs = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}/obligations")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let due: Vec<(&str, &str)> = obs
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["status"].as_str().unwrap(), o["due_on"].as_str().unwrap()))
        .collect();
    assert_eq!(due, [("done", "2026-06-30"), ("open", "2026-09-30")]);
    // After the renewal date the dates roll forward.
    t.app.clock.advance(SignedDuration::from_hours(24 * 200));
    let kd = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}/key-dates")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(find(&kd, "expiry")["date"], "2027-12-31");
    assert_eq!(find(&kd, "notice_deadline")["date"], "2027-10-02");

    // Calendars: the owner's personal feed (no sign-in: the signed link), and the contract's.
    let mut b = t.client();
    assert_eq!(
        b.sign_in("owner@example.com", crate::harness::PASSWORD)
            .await
            .status(),
        303
    );
    let page = b.page("/contracts/dates?days=365").await;
    assert!(page.contains("Last day for notice of non-renewal"));
    let feed = page
        .split("href=\"/calendar/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = reqwest::get(t.url(&format!("/calendar/{feed}")))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let ics = r.text().await.unwrap();
    assert!(
        ics.contains("BEGIN:VEVENT")
            && ics.contains(c["number"].as_str().unwrap())
            && ics.contains("DTSTART;VALUE=DATE:20271002"),
        "{ics}"
    );
    let last = if feed.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &feed[..feed.len() - 1]);
    assert_eq!(
        reqwest::get(t.url(&format!("/calendar/{forged}")))
            .await
            .unwrap()
            .status(),
        404
    );
    let (uid, mac) = feed.split_once('.').unwrap();
    let other = format!("{}.{mac}", uid.parse::<i64>().unwrap() + 1);
    assert_eq!(
        reqwest::get(t.url(&format!("/calendar/{other}")))
            .await
            .unwrap()
            .status(),
        404,
        "another user's id with this mac"
    );
    let r = b.get(&format!("/contracts/{id}/calendar.ics")).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Usage report"));
}

both!(termination_for_convenience_and_option_windows);
async fn termination_for_convenience_and_option_windows(t: TestApp) {
    use jiff::Timestamp;
    let http = reqwest::Client::new();
    t.app
        .clock
        .set_to(Some("2026-06-01T12:00:00Z".parse::<Timestamp>().unwrap()));
    let ops = t.token(Role::LegalOps).await;
    let terms = json!({"title": "Fleet leasing", "type": "services", "counterparty": "Northwind",
        "effective_on": "2025-01-01", "term_months": 12, "auto_renew": true, "renewal_months": 12, "notice_days": 90,
        "termination_notice_days": 60, "termination_after_months": 24, "option_from_days": 90, "option_to_days": 180});
    let r = http
        .post(t.url("/api/v1/contracts"))
        .bearer_auth(&ops)
        .json(&terms)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "a window that closes before it opens");
    let e = json_of(r).await;
    assert_eq!(e["error"]["fields"][0]["field"], "option_to_days", "{e}");
    let mut good = terms.clone();
    good["option_from_days"] = json!(180);
    good["option_to_days"] = json!(90);
    let r = http
        .post(t.url("/api/v1/contracts"))
        .bearer_auth(&ops)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = json_of(r).await["id"].as_i64().unwrap();
    execute(&t, &ops, id).await;
    let kd = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}/key-dates")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let date_of = |k: &str| {
        kd.as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == k)
            .unwrap_or_else(|| panic!("{k}: {kd}"))["date"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Termination for convenience from 2027-01-01 (24 months), 60 days' notice: 2027-03-02.
    assert_eq!(date_of("termination_from"), "2027-01-01");
    assert_eq!(date_of("termination_if_notice_today"), "2027-03-02");
    // The option window of the renewed term (ends 2026-12-31).
    assert_eq!(date_of("option_opens"), "2026-07-04");
    assert_eq!(date_of("option_closes"), "2026-10-02");
    // The dashboard lists deadlines, not what notice sent today would do.
    let up = json_of(
        http.get(t.url("/api/v1/contracts/upcoming?days=365"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let kinds: Vec<&str> = up["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"option_opens") && kinds.contains(&"option_closes"),
        "{up}"
    );
    assert!(kinds.contains(&"termination_from"), "{up}");
    assert!(!kinds.contains(&"termination_if_notice_today"), "{up}");
    // A renewing contract without a renewal period (an older row) does not roll: its dates are
    // stored once, not recomputed on every read.
    sqlx::query("UPDATE contracts SET renewal_months = NULL, key_dates_until = '' WHERE id = $1")
        .bind(id)
        .execute(t.app.db.pool())
        .await
        .unwrap();
    let (n, until) = {
        let today = jiff::civil::date(2026, 6, 1);
        let n = lexops::contracts::dates::refresh(&t.app, today, 3)
            .await
            .unwrap();
        let until: String =
            sqlx::query_scalar("SELECT key_dates_until FROM contracts WHERE id = $1")
                .bind(id)
                .fetch_one(t.app.db.pool())
                .await
                .unwrap();
        (n, until)
    };
    assert_eq!((n, until.as_str()), (1, "9999-12-31"));
    assert_eq!(
        lexops::contracts::dates::refresh(&t.app, jiff::civil::date(2026, 6, 1), 3)
            .await
            .unwrap(),
        0,
        "nothing stale the second time"
    );
    sqlx::query("UPDATE contracts SET renewal_months = 12, key_dates_until = '' WHERE id = $1")
        .bind(id)
        .execute(t.app.db.pool())
        .await
        .unwrap();
    // The key-dates page, in pages of 100 (a page past the end shows the last one).
    {
        let mut b = t.signed_in(Role::LegalOps).await;
        let dates = b.page("/contracts/dates?days=365&page=99").await;
        assert!(dates.contains("Page 1 of 1"), "{dates}");
        assert!(dates.contains("Fleet leasing"), "{dates}");
    }
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contract_key_dates WHERE contract_id = $1")
            .bind(id)
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert!(stored >= 6, "the dashboard reads stored dates: {stored}");
    // Terminated: its dates leave the dashboard (the stored rows go with the next read).
    let r = http
        .post(t.url(&format!("/api/v1/contracts/{id}/status")))
        .bearer_auth(&ops)
        .json(&json!({"status": "terminated", "note": "ended for convenience"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let up = json_of(
        http.get(t.url("/api/v1/contracts/upcoming?days=365"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !up["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["contract_id"] == id),
        "{up}"
    );
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contract_key_dates WHERE contract_id = $1")
            .bind(id)
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, 0);
    // The contract page says so.
    let mut b = t.signed_in(Role::LegalOps).await;
    let page = b.page(&format!("/contracts/{id}")).await;
    assert!(
        page.contains("On 60 days&#39; notice, after 24 months")
            || page.contains("On 60 days' notice, after 24 months"),
        "{page}"
    );
    assert!(
        page.contains("From 180 to 90 days before the term ends"),
        "{page}"
    );
    assert!(page.contains("Option window closes"), "{page}");
}

const LEGACY: &str = "MASTER SERVICES AGREEMENT\n\nThis Master Services Agreement is entered into as of March 3, 2021 between Northwind Traders LLC, a Delaware limited liability company, and Example Corp (the \"Customer\").\n\n1. Term. The initial term of this Agreement is three (3) years. Thereafter it renews automatically for successive one-year periods unless either party gives at least sixty (60) days' prior written notice of non-renewal.\n\n2. This Agreement is governed by the laws of the State of New York.\n";

both!(importing_existing_contracts_and_verifying_what_was_read);
async fn importing_existing_contracts_and_verifying_what_was_read(t: TestApp) {
    let http = reqwest::Client::new();
    let ops = t.token(Role::LegalOps).await;
    let send = |name: &'static str, bytes: Vec<u8>| {
        let http = http.clone();
        let url = t.url("/api/v1/contracts/import");
        let ops = ops.clone();
        async move {
            http.post(url)
                .bearer_auth(ops)
                .header("X-Filename", name)
                .body(bytes)
                .send()
                .await
                .unwrap()
        }
    };
    let r = send("broken.docx", b"PK\x03\x04 not a real package".to_vec()).await;
    assert_eq!(r.status(), 422);
    assert!(
        json_of(r).await["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("broken.docx")
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contracts")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing of a refused import is stored");
    let r = send("northwind-msa.txt", LEGACY.as_bytes().to_vec()).await;
    assert_eq!(r.status(), 200);
    let rep = json_of(r).await;
    assert_eq!(rep["imported"].as_i64(), Some(1), "{rep}");
    assert!(
        rep["fields"].as_i64().unwrap() > 8,
        "eight metadata fields and the clauses found: {rep}"
    );
    let r = send("again.txt", LEGACY.as_bytes().to_vec()).await;
    assert_eq!(json_of(r).await["skipped"], 1, "the same file is skipped");
    let list = json_of(
        http.get(t.url("/api/v1/contracts?q=Northwind"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let c = &list["items"][0];
    assert_eq!(
        (
            c["title"].as_str(),
            c["type_code"].as_str(),
            c["status"].as_str()
        ),
        (
            Some("Master Services Agreement"),
            Some("msa"),
            Some("executed")
        )
    );
    assert_eq!(
        (
            c["counterparty"].as_str(),
            c["effective_on"].as_str(),
            c["expires_on"].as_str()
        ),
        (
            Some("Northwind Traders LLC"),
            Some("2021-03-03"),
            Some("2024-03-02")
        )
    );
    let id = c["id"].as_i64().unwrap();
    // The clauses of the newest version, on demand: API and page (with CSV).
    let cl = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}/clauses")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cl["version"], 1);
    let law = cl["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "governing_law")
        .unwrap_or_else(|| panic!("{cl}"));
    assert_eq!(law["category"], "Governing Law");
    assert_eq!(law["answer"], "New York");
    let strict = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}/clauses?min=1")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(strict["clauses"].as_array().unwrap().len() < cl["clauses"].as_array().unwrap().len());
    {
        let mut b = t.signed_in(Role::LegalOps).await;
        let page = b.page(&format!("/contracts/{id}/clauses")).await;
        assert!(
            page.contains("Governing Law") && page.contains("New York"),
            "{page}"
        );
        let r = b.get(&format!("/contracts/{id}/clauses?format=csv")).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.text()
                .await
                .unwrap()
                .starts_with("category,answer,confidence,evidence")
        );
    }
    // The queue: each value with the words it came from.
    let q = json_of(
        http.get(t.url("/api/v1/contracts/verification"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let all = q.as_array().unwrap();
    let is_clause = |i: &&Value| i["field"].as_str().unwrap().starts_with("clause:");
    let items: Vec<&Value> = all.iter().filter(|i| !is_clause(i)).collect();
    assert_eq!(items.len(), 8);
    // The clause finder (CUAD categories): each clause with its evidence and, where CUAD has
    // one, the normalised answer.
    let clause = |f: &str| {
        all.iter()
            .find(|i| i["field"] == f)
            .unwrap_or_else(|| panic!("{f} in {q}"))
    };
    let c_law = clause("clause:governing_law");
    assert_eq!(c_law["value"], "New York");
    assert_eq!(c_law["label"], "Governing Law");
    assert_eq!(
        c_law["matched"], "New York",
        "the answer's words are marked"
    );
    assert!(
        c_law["evidence"]
            .as_str()
            .unwrap()
            .contains("governed by the laws of the State of New York")
    );
    assert_eq!(
        clause("clause:notice_period_to_terminate_renewal")["value"],
        "60 days"
    );
    assert_eq!(clause("clause:renewal_term")["value"], "Successive 1 year");
    let law = items
        .iter()
        .find(|i| i["field"] == "governing_law")
        .unwrap();
    assert_eq!(law["value"], "New York");
    assert_eq!(
        law["matched"],
        "governed by the laws of the State of New York"
    );
    let decide = |vid: i64, body: Value| {
        let http = http.clone();
        let url = t.url(&format!("/api/v1/contracts/verification/{vid}"));
        let ops = ops.clone();
        async move {
            http.post(url)
                .bearer_auth(ops)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let eff = items.iter().find(|i| i["field"] == "effective_on").unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = decide(eff, json!({"value": "2021-02-30"})).await;
    assert_eq!(r.status(), 422, "a wrong date is refused");
    assert_eq!(decide(eff, json!({})).await.status(), 200);
    assert_eq!(
        decide(law["id"].as_i64().unwrap(), json!({"value": "Delaware"}))
            .await
            .status(),
        200
    );
    assert_eq!(decide(eff, json!({})).await.status(), 409, "decided once");
    // A clause is confirmed or corrected without touching the contract's fields.
    let c_law_id = c_law["id"].as_i64().unwrap();
    let r = decide(c_law_id, json!({"value": "x".repeat(501)})).await;
    assert_eq!(r.status(), 422, "an answer over 500 characters is refused");
    assert_eq!(decide(c_law_id, json!({"value": "No"})).await.status(), 200);
    let state: (String, String) =
        sqlx::query_as("SELECT state, decided_value FROM contract_extractions WHERE id = $1")
            .bind(c_law_id)
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!(state, ("corrected".to_string(), "No".to_string()));
    let d = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(d["contract"]["governing_law"], "Delaware");
    let left = json_of(
        http.get(t.url("/api/v1/contracts/verification"))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        left.as_array()
            .unwrap()
            .iter()
            .filter(|i| !is_clause(i))
            .count(),
        6
    );
    // The page shows the evidence with the words marked.
    let mut b = t.signed_in(Role::LegalOps).await;
    let page = b.page("/contracts/verify").await;
    assert!(page.contains("<mark>renews automatically</mark>"), "{page}");
    // Key dates come from what was read: rolled forward over the renewals since 2024.
    let kd = json_of(
        http.get(t.url(&format!("/api/v1/contracts/{id}/key-dates")))
            .bearer_auth(&ops)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        kd.as_array()
            .unwrap()
            .iter()
            .any(|k| k["kind"] == "notice_deadline"),
        "{kd}"
    );
}

both!(a_holiday_calendar_moves_send_by_dates);
async fn a_holiday_calendar_moves_send_by_dates(t: TestApp) {
    use jiff::Timestamp;
    let http = reqwest::Client::new();
    t.app
        .clock
        .set_to(Some("2026-06-01T12:00:00Z".parse::<Timestamp>().unwrap()));
    let ops = t.token(Role::LegalOps).await;
    let paralegal = t.token(Role::Paralegal).await;
    // A renewing contract whose 47 days' notice falls on Saturday 14 November 2026: it must
    // arrive by Friday the 13th and, with three business days for delivery, go by Tuesday the
    // 10th — unless Veterans Day (Wednesday the 11th) is a holiday.
    let r = http
        .post(t.url("/api/v1/contracts"))
        .bearer_auth(&ops)
        .json(&json!({"title": "Cloud hosting", "type": "services", "counterparty": "Northwind",
            "effective_on": "2025-01-01", "term_months": 12, "auto_renew": true, "renewal_months": 12,
            "notice_days": 47}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = json_of(r).await["id"].as_i64().unwrap();
    execute(&t, &ops, id).await;
    let kd_path = format!("/api/v1/contracts/{id}/key-dates");
    let send_by = || async {
        let kd = get_json(&t, &ops, &kd_path).await;
        let d = kd
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "send_notice_by")
            .cloned()
            .unwrap();
        (
            d["date"].as_str().unwrap().to_string(),
            d["how"].as_str().unwrap().to_string(),
        )
    };
    let upcoming_send_by = || async {
        let up = get_json(&t, &ops, "/api/v1/contracts/upcoming?days=365").await;
        up["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["kind"] == "send_notice_by")
            .map(|i| i["date"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(send_by().await.0, "2026-11-10");
    assert_eq!(upcoming_send_by().await, "2026-11-10");
    let holidays = || get_json(&t, &ops, "/api/v1/contracts/holidays?year=2026");
    assert_eq!(holidays().await, json!([]));
    // Changing the calendar is for those who set the department's rules.
    let r = http
        .post(t.url("/api/v1/contracts/holidays/us-federal"))
        .bearer_auth(&paralegal)
        .json(&json!({"year": 2026}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .post(t.url("/api/v1/contracts/holidays/us-federal"))
        .bearer_auth(&ops)
        .json(&json!({"year": 2026}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        json_of(r).await,
        json!({"added": 11, "renamed": 0, "unchanged": 0})
    );
    let r = http
        .post(t.url("/api/v1/contracts/holidays/us-federal"))
        .bearer_auth(&ops)
        .json(&json!({"year": 2026}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(r).await,
        json!({"added": 0, "renamed": 0, "unchanged": 11})
    );
    // The change queued the recomputation of every contract's dates, in its own transaction
    // (once, however many changes): the job brings them up to date before anyone looks.
    let queued: Vec<String> =
        sqlx::query_scalar("SELECT state FROM jobs WHERE kind = 'contracts.key_dates' ORDER BY id")
            .fetch_all(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!(queued, ["queued"]);
    let stored = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT date FROM contract_key_dates WHERE contract_id = $1 AND kind = 'send_notice_by'",
        )
        .bind(id)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap()
    };
    assert_eq!(stored().await, "2026-11-10", "not yet recomputed");
    lexops::platform::jobs::drain(&t.app).await.unwrap();
    assert_eq!(stored().await, "2026-11-09", "the job recomputed the dates");
    let h = holidays().await;
    assert_eq!(h.as_array().unwrap().len(), 11);
    assert_eq!(h[8], json!({"day": "2026-11-11", "name": "Veterans Day"}));
    // The stored dates follow the calendar: the send-by date skips the holiday.
    let (date, how) = send_by().await;
    assert_eq!(date, "2026-11-09");
    assert!(
        how.contains("holidays skipped: Veterans Day on 2026-11-11"),
        "{how}"
    );
    assert_eq!(upcoming_send_by().await, "2026-11-09");
    // A CSV with a bad row changes nothing and names the line and column.
    let before = holidays().await;
    let r = http
        .post(t.url("/api/v1/contracts/holidays/import"))
        .bearer_auth(&ops)
        .header("X-Filename", "office-days.csv")
        .body("date,name\n2026-12-24,Christmas Eve\n2026-13-31,New Year's Eve\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e = json_of(r).await;
    assert_eq!(e["error"]["fields"][0]["field"], "date", "{e}");
    let msg = e["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(msg.starts_with("office-days.csv:3: column date:"), "{msg}");
    assert_eq!(holidays().await, before);
    // A good file is imported once; the same file again changes nothing.
    let csv = "date,name\n2026-12-24,Christmas Eve\n2026-11-11,Veterans Day\n";
    for expected in [
        json!({"added": 1, "renamed": 0, "unchanged": 1}),
        json!({"added": 0, "renamed": 0, "unchanged": 2}),
    ] {
        let r = http
            .post(t.url("/api/v1/contracts/holidays/import"))
            .bearer_auth(&ops)
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(json_of(r).await, expected);
    }
    // Removing the holiday puts the date back.
    let r = http
        .delete(t.url("/api/v1/contracts/holidays/2026-11-11"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = http
        .delete(t.url("/api/v1/contracts/holidays/2026-11-11"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(send_by().await.0, "2026-11-10");
    // Every change is in the audit trail.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE object_type = 'holiday' ORDER BY seq",
    )
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "contract.holidays_import",
            "contract.holidays_import",
            "contract.holiday_remove"
        ]
    );
    // The page: the calendar with its forms for legal ops, read-only for a paralegal.
    let mut b = t.signed_in(Role::LegalOps).await;
    let html = b.page("/contracts/holidays?year=2026").await;
    assert!(html.contains("Thanksgiving Day") && html.contains("Christmas Eve"));
    assert!(!html.contains("Veterans Day"));
    assert!(html.contains("Add a holiday"));
    let r = b
        .post(
            "/contracts/holidays",
            &[("day", "2026-11-11"), ("name", "Veterans Day")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(send_by().await.0, "2026-11-09");
    let csv = b.get("/contracts/holidays?year=2026&format=csv").await;
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("date,name"), "{csv}");
    assert!(csv.contains("2026-11-11,Veterans Day"), "{csv}");
    let mut p = t.signed_in(Role::Paralegal).await;
    let html = p.page("/contracts/holidays").await;
    assert!(html.contains("Veterans Day") && !html.contains("Add a holiday"));
    let r = p.post("/contracts/holidays/2026-11-11/delete", &[]).await;
    assert_eq!(r.status(), 403);
}

both!(several_counterparties);
async fn several_counterparties(t: TestApp) {
    let http = reqwest::Client::new();
    let ops = t.token(Role::LegalOps).await;
    let create = |body: Value| {
        let http = http.clone();
        let url = t.url("/api/v1/contracts");
        let ops = ops.clone();
        async move {
            http.post(url)
                .bearer_auth(ops)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // The same party twice (in any case) is refused, naming the field.
    let r = create(json!({"title": "Joint venture", "type": "services", "counterparty": "Contoso Ltd; contoso ltd"})).await;
    assert_eq!(r.status(), 422);
    let e = json_of(r).await;
    assert_eq!(e["error"]["fields"][0]["field"], "counterparty", "{e}");
    let r = create(json!({"title": "Joint venture", "type": "services",
        "counterparty": " Northwind   Traders ;\nContoso Ltd; "}))
    .await;
    assert_eq!(r.status(), 201);
    let c = json_of(r).await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(
        c["counterparties"],
        json!(["Northwind Traders", "Contoso Ltd"]),
        "{c}"
    );
    assert_eq!(c["counterparty"], "Northwind Traders; Contoso Ltd");
    let other = json_of(
        create(json!({"title": "Supply", "type": "services", "counterparty": "Contoso"})).await,
    )
    .await;
    let count = |q: &'static str| {
        let path = format!("/api/v1/contracts?counterparty={q}");
        let (t, ops) = (&t, &ops);
        async move {
            let v = get_json(t, ops, &path).await;
            let ids: Vec<i64> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap())
                .collect();
            (v["total"].as_i64().unwrap(), ids)
        }
    };
    // The filter takes a whole name, in any case.
    assert_eq!(count("contoso%20ltd").await, (1, vec![id]));
    assert_eq!(
        count("Contoso").await,
        (1, vec![other["id"].as_i64().unwrap()])
    );
    assert_eq!(count("Northwind%20Traders").await, (1, vec![id]));
    assert_eq!(count("Fabrikam").await.0, 0);
    // Any alphabet's case, and spaces as typed.
    let r =
        create(json!({"title": "Lubricants", "type": "services", "counterparty": "Ölwerke  AG"}))
            .await;
    assert_eq!(r.status(), 201);
    let oel = json_of(r).await["id"].as_i64().unwrap();
    assert_eq!(count("%C3%B6lwerke%20%20ag").await, (1, vec![oel]));
    // Changing the parties moves the filter with them.
    let mut input = c.clone();
    input["counterparty"] = json!("Contoso Ltd");
    input["type"] = json!("services");
    let r = http
        .put(t.url(&format!("/api/v1/contracts/{id}")))
        .bearer_auth(&ops)
        .json(&input)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(count("Northwind%20Traders").await.0, 0);
    assert_eq!(count("contoso%20ltd").await, (1, vec![id]));
    // The page links each counterparty to its contracts.
    let mut b = t.signed_in(Role::LegalOps).await;
    let html = b.page(&format!("/contracts/{id}")).await;
    assert!(
        html.contains("/contracts?counterparty=Contoso%20Ltd"),
        "a link per party"
    );
    let html = b
        .page("/contracts?counterparty=Contoso%20Ltd&status=draft")
        .await;
    assert!(html.contains("Joint venture") && !html.contains(">Supply<"));
    assert!(
        html.contains(r#"<a class="chip is-active" href="/contracts?status=draft""#),
        "the chip takes the filter off and keeps the rest"
    );
}

both!(the_search_index_answers_as_the_database_does);
/// The repository search goes through the search index (tantivy): for the bench's searches and
/// more, every order of the list, filters, two pages, and a viewer on and off a matter's wall,
/// the index gives the same total, facets and page as the database; changes made afterwards
/// (in SQL, through the triggers' queue; a wall raised) are seen by the next search.
async fn the_search_index_answers_as_the_database_does(t: TestApp) {
    use lexops::contracts::{bench, index, store};
    use lexops::platform::access::CurrentUser;
    let viewer = |id: i64, role: Role| CurrentUser {
        id,
        email: format!("u{id}@example.com"),
        name: "Viewer".into(),
        role,
        via_token: false,
        vendor_id: None,
    };
    let ops = viewer(
        t.user("ops@example.com", Role::LegalOps).await,
        Role::LegalOps,
    );
    let off = viewer(
        t.user("att@example.com", Role::Attorney).await,
        Role::Attorney,
    );
    bench::load_repository(&t.app, ops.id, 400, 7)
        .await
        .unwrap();
    // A walled matter (ops on the wall) holding every seventh contract.
    let matter = t.matter("MA-WALL").await;
    for sql in [
        format!("INSERT INTO walled_objects (object_type, object_id) VALUES ('matter', {matter})"),
        format!(
            "INSERT INTO object_walls (object_type, object_id, user_id) VALUES ('matter', {matter}, {})",
            ops.id
        ),
        format!("UPDATE contracts SET matter_id = {matter} WHERE id % 7 = 0"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(t.app.db.pool())
            .await
            .unwrap();
    }
    let postgres = matches!(t.backend, crate::harness::Backend::Postgres);
    if !postgres {
        // Contracts without a value or an expiry: the index sorts them as SQLite's NULL (first
        // going up, last going down). PostgreSQL's NULLs sort the other way: not compared there.
        sqlx::query("UPDATE contracts SET value_minor = NULL, expires_on = NULL WHERE id % 11 = 0")
            .execute(t.app.db.pool())
            .await
            .unwrap();
    }
    assert!(index::get(&t.app).await.is_some(), "the index opens");

    let mut searches: Vec<(&str, &str, &str)> = bench::SEARCHES.to_vec();
    searches.extend([
        ("agreement", "", ""),
        ("escrow OR migration", "", ""),
        ("services -payment", "draft", ""),
        ("\"force majeure\" delay", "", ""),
        ("Northwind", "", "nda"),
    ]);
    searches.push(("liabilit*", "", ""));
    if postgres {
        // PostgreSQL's websearch has no prefixes (the index has): compared on SQLite only.
        searches.retain(|(q, _, _)| !q.contains('*'));
    }
    let check = |a: &(Vec<lexops::contracts::model::Contract>, i64, store::Facets),
                 b: &(Vec<lexops::contracts::model::Contract>, i64, store::Facets),
                 what: &str| {
        let ids =
            |r: &[lexops::contracts::model::Contract]| r.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(a.1, b.1, "total: {what}");
        assert_eq!(a.2, b.2, "facets: {what}");
        assert_eq!(ids(&a.0), ids(&b.0), "page: {what}");
        for (x, y) in a.0.iter().zip(&b.0) {
            assert_eq!(x.snippet, y.snippet, "snippet: {what}");
        }
    };
    let mut compared = 0;
    // Every order (both ways) as the viewer on the wall; the second page and the filters in
    // the default order, for both viewers.
    let mut runs: Vec<(&CurrentUser, String, i64, u8)> = vec![];
    let mut found = [0usize; 3];
    for (_, expr) in store::SORTS {
        for dir in ["ASC", "DESC"] {
            runs.push((&ops, format!("{expr} {dir}"), 0, 0));
        }
    }
    for who in [&ops, &off] {
        for (offset, extra) in [(20, 0), (0, 1), (0, 2)] {
            runs.push((who, "c.updated_at DESC".into(), offset, extra));
        }
    }
    runs.push((&off, "c.updated_at DESC".into(), 0, 0));
    for (q, status, type_code) in &searches {
        for (who, order, offset, extra) in &runs {
            let (who, offset, extra) = (*who, *offset, *extra);
            let mut f = store::Filter::search(q, status, type_code);
            match extra {
                1 => f.counterparty = "northwind traders llc".into(),
                2 => f.expires_by = "2024-06-30".into(),
                _ => {}
            }
            let what = format!(
                "{q:?} {status} {type_code} {order} +{offset} filter {extra} as {}",
                who.id
            );
            let a = store::search(&t.app, Some(who), &f, order, 20, offset)
                .await
                .unwrap();
            let b = store::search_in_database(&t.app, Some(who), &f, order, 20, offset)
                .await
                .unwrap();
            check(&a, &b, &what);
            compared += 1;
            found[extra as usize] += usize::from(!a.0.is_empty());
        }
    }
    assert!(compared > 300, "{compared}");
    assert!(
        found.iter().all(|n| *n > 3),
        "each filter finds contracts: {found:?}"
    );
    // The wall hides: the same broad search finds fewer for the viewer off the wall.
    let f = store::Filter {
        q: "agreement".into(),
        ..Default::default()
    };
    let seen = |r: &(Vec<lexops::contracts::model::Contract>, i64, store::Facets)| r.1;
    let on = store::search(&t.app, Some(&ops), &f, "c.updated_at DESC", 50, 0)
        .await
        .unwrap();
    let offw = store::search(&t.app, Some(&off), &f, "c.updated_at DESC", 50, 0)
        .await
        .unwrap();
    assert!(
        seen(&offw) < seen(&on) && seen(&offw) > 0,
        "{} vs {}",
        seen(&offw),
        seen(&on)
    );
    assert!(offw.0.iter().all(|c| c.id % 7 != 0));

    // Changes after the index was built: a new word in a contract's text, a status, a wall
    // lifted; the next search sees each.
    let before = store::search(
        &t.app,
        Some(&ops),
        &store::Filter {
            q: "zanzibar".into(),
            ..Default::default()
        },
        "c.updated_at DESC",
        50,
        0,
    )
    .await
    .unwrap();
    assert_eq!(before.1, 0);
    in_one_transaction(
        &t.app,
        &[
            "UPDATE contract_text SET body = body || ' Delivered to Zanzibar.' WHERE rowid = 5",
            "INSERT INTO contract_search_queue (contract_id) VALUES (5)",
            "UPDATE contracts SET status = 'terminated' WHERE id = 5",
        ],
    )
    .await;
    let f = store::Filter {
        q: "zanzibar".into(),
        status: "terminated".into(),
        ..Default::default()
    };
    let after = store::search(&t.app, Some(&ops), &f, "c.updated_at DESC", 50, 0)
        .await
        .unwrap();
    assert_eq!((after.1, after.0.len()), (1, 1));
    assert_eq!(after.0[0].id, 5);
    assert!(
        after.0[0]
            .snippet
            .as_deref()
            .unwrap_or("")
            .contains("\u{2}Zanzibar\u{3}"),
        "{:?}",
        after.0[0].snippet
    );
    sqlx::query("DELETE FROM walled_objects")
        .execute(t.app.db.pool())
        .await
        .unwrap();
    let offw2 = store::search(
        &t.app,
        Some(&off),
        &store::Filter {
            q: "agreement".into(),
            ..Default::default()
        },
        "c.updated_at DESC",
        50,
        0,
    )
    .await
    .unwrap();
    assert_eq!(offw2.1, on.1, "the wall lifted: the viewer sees all");

    // A second process with a data directory of its own (several web processes on one
    // database): it builds its own index and follows the same queue; a change is seen by both.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut settings = lexops::platform::config::Settings::for_data_dir(elsewhere.path());
    settings.database_url = Some(t.app.settings.database_url());
    settings.master_key_file = Some(t.app.settings.master_key_path());
    let second = lexops::App::open(settings).await.unwrap();
    let f = store::Filter {
        q: "agreement".into(),
        ..Default::default()
    };
    let there = store::search(&second, Some(&ops), &f, "c.updated_at DESC", 50, 0)
        .await
        .unwrap();
    assert!(
        index::get(&second).await.is_some(),
        "the second index opens"
    );
    assert_eq!(there.1, on.1);
    in_one_transaction(
        &t.app,
        &[
            "UPDATE contract_text SET body = body || ' Shipped via Timbuktu.' WHERE rowid IN (3, 4)",
            "INSERT INTO contract_search_queue (contract_id) VALUES (3), (4)",
        ],
    )
    .await;
    let f = store::Filter {
        q: "timbuktu".into(),
        ..Default::default()
    };
    for app in [&t.app, &second] {
        let r = store::search(app, Some(&ops), &f, "c.id ASC", 50, 0)
            .await
            .unwrap();
        assert_eq!(r.1, 2, "both indexes see the change");
    }
    // The second process stops; a change is made meanwhile; started again, its index reads on
    // from the place kept in its last commit (no rebuild) and finds the change.
    let settings = second.settings.as_ref().clone();
    drop(second);
    sqlx::query("UPDATE contracts SET status = 'expired' WHERE id = 3")
        .execute(t.app.db.pool())
        .await
        .unwrap();
    let again = lexops::App::open(settings).await.unwrap();
    assert!(index::get(&again).await.is_some(), "reopened");
    let f = store::Filter {
        q: "timbuktu".into(),
        status: "expired".into(),
        ..Default::default()
    };
    let r = store::search(&again, Some(&ops), &f, "c.updated_at DESC", 50, 0)
        .await
        .unwrap();
    assert!(
        r.0.iter().any(|c| c.id == 3),
        "the change made while stopped is found"
    );
    let db = store::search_in_database(&again, Some(&ops), &f, "c.updated_at DESC", 50, 0)
        .await
        .unwrap();
    check(&r, &db, "after a restart");
}

/// Runs `statements` in one transaction (a change as the application writes it: the text and
/// the queue row together).
async fn in_one_transaction(app: &lexops::App, statements: &[&str]) {
    let mut tx = app.db.begin().await.unwrap();
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(*sql))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}
