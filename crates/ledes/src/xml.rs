//! LEDES XML E-Billing 2.0, 2.1 and 2.2: reading (into the shared model, then the shared checks)
//! and writing.
//!
//! Sources. The LOC publishes the format as a document plus an XSD (ledes.org, "LEDES XML
//! Ebilling ver. 2.1 Format", <https://ledes.org/ledes-xml-ebilling-ver-2-1-format/>: 2.1.3 Rev
//! 1-2020, 192 data elements in 16 segments, XSD in "LEDES213xsd.zip"); neither the XSD nor the
//! document could be read while this was written (no public repository in the searched index
//! ships `ledesxmlebilling21.xsd` or `LEDES213.xsd`). What is confirmed, and from where:
//!
//! - Segment names `@FIRM`, `@CLIENT`, `@INVOICE`, `@MATTER`, `@MATTER_DISC_CRED`, `@FEE`,
//!   `@EXPENSE`, `@TAX`, `@ADDRESS_INFO`, `@CONTACT_INFO`, and `file_item_nbr` ("the item count of
//!   this data element in the invoice file submission", the last element of every item):
//!   Thomson Reuters Legal Tracker, "LEDES XML invoice posting errors"
//!   (<https://www.thomsonreuters.com/en-us/help/legal-tracker/company/invoices/ledes-xml-invoice-posting-errors.html>),
//!   ledes.org "Updates to XML Revisions" (2023-06), and Mitratech Collaborati, "LEDES XML 2.1
//!   Format" (a field-by-field reproduction of the LOC document, of which only the `@FIRM` part
//!   could be read),
//!   <https://success.mitratech.com/Collaborati/User_Guides/Invoices/Upload_a_LEDES_File/LEDES_XML_2.1_Format>.
//! - `lf_vendor_id` as the first `@FIRM` field in 2.0 and 2.1 (`lf_tax_id` in LEDES 2000), then
//!   `lf_id`, `lf_name`, `lf_address`: LOC "LEDES Comparison List v2.0" (reproduced on
//!   fdocuments.in and scribd). Collaborati's page lists `lf_office_id` first; all three are read.
//!
//! Corroborated only by a shipping vendor implementation (TOTVS Protheus SIGAPFS, LEDES XML 2.2
//! export, public on GitHub), not by the LOC document: the root element `ledesxmlebilling2.N`
//! (e.g. `ledesxmlebilling2.2`) with default namespace `http://www.ledes.org/LEDES2N.xsd`; the
//! nesting `firm` › `client` › `invoice` › `matter` › timekeeper summary / `fee` / `expense`;
//! `cl_address`; and the elements `inv_id`, `inv_date`, `inv_currency`, `inv_start_date`,
//! `inv_end_date`, `inv_desc`, `inv_total_net_due`, `cl_matter_id`, `lf_matter_id`,
//! `matter_name`, `charge_date`, `tk_id`, `tk_lname`, `tk_fname`, `tk_level`, `charge_desc`,
//! `units`, `rate`, `total_amount`, `address_1`, `city`, `state_province`, `zip_postal_code`,
//! `country`. That export spells the timekeeper segment `tk_sum` and the UTBMS codes
//! `task_code`/`task_activity`; this crate writes `tksum` and `acca_task`/`acca_activity`/
//! `acca_expense` (the LEDES 2000 names, used by the same vendor's LEDES 2000 export) and reads
//! every one of these spellings.
//!
//! Unconfirmed: `tksum` vs `tk_sum`, the `acca_*` code element names, `line_item_nbr`,
//! `line_type` (this crate's way of carrying `IF`/`IE` adjustments in `fee`/`expense`; the LOC
//! format expresses invoice-level adjustments through `@MATTER_DISC_CRED` instead), the `tax`
//! element names, and the 98BI-derived invoice fields (`inv_tax_total`, `inv_net_total`,
//! `inv_reported_tax_total`, `tax_currency`, `account_type`, `po_number`). The reader accepts any
//! root whose name starts with `ledes`. XML 2.2's tiered taxes are not modelled: 2.2 is read and
//! written like 2.1.

use crate::check::{Sink, check_invoices};
use crate::finding::{Finding, Rule, Severity};
use crate::num::parse_decimal;
use crate::pipe::ReadInvoice;
use crate::{ConvertError, Date, Format, Invoice, LineItem, LineType, Party, ValidateOptions};
use quick_xml::events::Event;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Element names used by the reader and writer (sources in the module documentation).
pub mod el {
    #![allow(missing_docs)]
    pub const ROOT_20: &str = "ledesxmlebilling2.0";
    pub const ROOT_21: &str = "ledesxmlebilling2.1";
    pub const ROOT_22: &str = "ledesxmlebilling2.2";
    pub const NS_20: &str = "http://www.ledes.org/LEDES20.xsd";
    pub const NS_21: &str = "http://www.ledes.org/LEDES21.xsd";
    pub const NS_22: &str = "http://www.ledes.org/LEDES22.xsd";
    pub const FIRM: &str = "firm";
    pub const CLIENT: &str = "client";
    pub const INVOICE: &str = "invoice";
    pub const MATTER: &str = "matter";
    pub const TKSUM: &str = "tksum";
    /// The spelling of the timekeeper segment used by some exporters; read, never written.
    pub const TKSUM_ALT: &str = "tk_sum";
    pub const FEE: &str = "fee";
    pub const EXPENSE: &str = "expense";
}

const MAX_DEPTH: usize = 64;

#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    line: u64,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn text_of(&self, name: &str) -> &str {
        self.child(name).map_or("", |c| c.text.trim())
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Detects the XML version from the root element name.
pub(crate) fn detect_version(head: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(head);
    let mut rest: &str = &text;
    while let Some(p) = rest.find('<') {
        rest = &rest[p + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        let local = name
            .rsplit(':')
            .next()
            .unwrap_or(&name)
            .to_ascii_lowercase();
        if !local.starts_with("ledes") {
            return None;
        }
        return Some(version_of(&local).unwrap_or(Format::Xml21));
    }
    None
}

fn version_of(root: &str) -> Option<Format> {
    let digits: String = root
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    match digits.as_str() {
        "2" | "20" => Some(Format::Xml20),
        "21" => Some(Format::Xml21),
        "22" => Some(Format::Xml22),
        _ => None,
    }
}

pub(crate) struct XmlRead {
    pub format: Option<Format>,
    pub items: Vec<ReadInvoice>,
    pub file_findings: Vec<Finding>,
    pub line_items: usize,
}

fn parse_tree(input: &str, sink: &mut Sink) -> Option<Node> {
    let mut reader = quick_xml::Reader::from_str(input);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut line = 1u64;
    let mut last = 0usize;
    let bytes = input.as_bytes();
    loop {
        let pos = (reader.buffer_position() as usize).min(bytes.len());
        if pos > last {
            line += memchr::memchr_iter(b'\n', &bytes[last..pos]).count() as u64;
            last = pos;
        }
        let ev = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = (reader.error_position() as usize).min(bytes.len());
                let l = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
                sink.push(
                    Finding::new(
                        Severity::Error,
                        Rule::XmlSyntax,
                        format!("the XML is not well formed: {e}"),
                    )
                    .at_line(l),
                );
                return None;
            }
        };
        match ev {
            Event::Start(s) => {
                if stack.len() > MAX_DEPTH {
                    sink.push(
                        Finding::new(
                            Severity::Error,
                            Rule::XmlStructure,
                            "elements are nested too deeply",
                        )
                        .at_line(line),
                    );
                    return None;
                }
                let name = s.local_name().as_ref().to_string();
                stack.push(Node {
                    name,
                    line,
                    ..Node::default()
                });
            }
            Event::Empty(s) => {
                let name = s.local_name().as_ref().to_string();
                if let Some(top) = stack.last_mut() {
                    top.children.push(Node {
                        name,
                        line,
                        ..Node::default()
                    });
                }
            }
            Event::End(_) => {
                if stack.len() <= 1 {
                    sink.push(
                        Finding::new(Severity::Error, Rule::XmlSyntax, "unexpected closing tag")
                            .at_line(line),
                    );
                    return None;
                }
                let node = stack.pop().expect("stack");
                if let Some(top) = stack.last_mut() {
                    top.children.push(node);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r.into_inner() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                match (c, stack.last_mut()) {
                    (Some(c), Some(top)) => top.text.push(c),
                    _ => {
                        sink.push(
                            Finding::new(
                                Severity::Error,
                                Rule::XmlSyntax,
                                "unknown entity reference",
                            )
                            .at_line(line),
                        );
                        return None;
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        sink.push(
            Finding::new(
                Severity::Error,
                Rule::XmlSyntax,
                "the XML ends before all elements are closed",
            )
            .at_line(line),
        );
        return None;
    }
    let mut doc = stack.pop().expect("doc");
    doc.children.retain(|c| !c.name.is_empty());
    if doc.children.len() != 1 {
        sink.push(
            Finding::new(
                Severity::Error,
                Rule::XmlSyntax,
                "an XML document has exactly one root element",
            )
            .at_line(1),
        );
        return None;
    }
    doc.children.pop()
}

struct Ctx<'s> {
    sink: &'s mut Sink,
    invoice: String,
    item: String,
}

impl Ctx<'_> {
    fn err(&mut self, node_line: u64, field: &'static str, rule: Rule, msg: String) {
        let f = Finding::new(Severity::Error, rule, msg)
            .at_line(node_line)
            .field(field)
            .invoice(&self.invoice)
            .line_item(&self.item);
        self.sink.push(f);
    }

    fn date(&mut self, n: &Node, name: &'static str, required: bool) -> Option<Date> {
        let line = n.child(name).map_or(n.line, |c| c.line);
        let v = n.text_of(name);
        if v.is_empty() {
            if required {
                self.err(
                    line,
                    name,
                    Rule::RequiredField,
                    format!("<{name}> is missing; it is required"),
                );
            }
            return None;
        }
        let d = Date::parse_iso(v).or_else(|| Date::parse_yyyymmdd(v.as_bytes()));
        if d.is_none() {
            self.err(
                line,
                name,
                Rule::DateFormat,
                format!("<{name}> {v:?} is not a real date in the form YYYY-MM-DD"),
            );
        }
        d
    }

    fn num(&mut self, n: &Node, name: &'static str, required: bool) -> Option<Decimal> {
        let line = n.child(name).map_or(n.line, |c| c.line);
        let v = n.text_of(name);
        if v.is_empty() {
            if required {
                self.err(
                    line,
                    name,
                    Rule::RequiredField,
                    format!("<{name}> is missing; it is required"),
                );
            }
            return None;
        }
        match parse_decimal(v.as_bytes()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(
                    line,
                    name,
                    Rule::NumberFormat,
                    format!("<{name}> {v:?} cannot be read as a number: {}", e.explain()),
                );
                None
            }
        }
    }
}

fn opt(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}

/// The text of the first of `names` that is present and not empty.
fn first_of<'a>(n: &'a Node, names: &[&str]) -> &'a str {
    names
        .iter()
        .map(|name| n.text_of(name))
        .find(|t| !t.is_empty())
        .unwrap_or("")
}

fn party(n: Option<&Node>, name: &str) -> Party {
    let Some(n) = n else { return Party::default() };
    let a = n.child("address_info");
    let a = a.unwrap_or(n);
    Party {
        name: name.to_string(),
        address_1: a.text_of("address_1").to_string(),
        address_2: a.text_of("address_2").to_string(),
        city: a.text_of("city").to_string(),
        state_or_region: a.text_of("state_province").to_string(),
        postcode: a.text_of("zip_postal_code").to_string(),
        country: a.text_of("country").to_string(),
    }
}

/// Reads a LEDES XML file, checks it with the shared rules, and returns its invoices.
pub(crate) fn read(input: &[u8], opts: &ValidateOptions, keep: bool) -> XmlRead {
    let mut sink = Sink::new(opts.max_findings);
    let body = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut out = XmlRead {
        format: None,
        items: Vec::new(),
        file_findings: Vec::new(),
        line_items: 0,
    };
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) => {
            let l = 1 + memchr::memchr_iter(b'\n', &body[..e.valid_up_to()]).count() as u64;
            out.file_findings.push(
                Finding::new(
                    Severity::Error,
                    Rule::Encoding,
                    "LEDES XML must be UTF-8; this file has bytes that are not",
                )
                .at_line(l),
            );
            return out;
        }
    };
    let Some(root) = parse_tree(text, &mut sink) else {
        out.file_findings = sink.findings;
        return out;
    };
    let root_name = root.name.to_ascii_lowercase();
    out.format = if root_name.starts_with("ledes") {
        Some(version_of(&root_name).unwrap_or(Format::Xml21))
    } else {
        sink.push(
            Finding::new(Severity::Error, Rule::XmlStructure, format!("the root element <{}> is not a LEDES XML e-billing root (e.g. <ledesxmlebilling2.1>)", root.name))
                .at_line(root.line),
        );
        None
    };
    let mut invoices: Vec<Invoice> = Vec::new();
    let mut positions: Vec<Vec<Option<u64>>> = Vec::new();
    let mut lines_total = 0usize;
    for firm in root.all(el::FIRM) {
        let law_firm_id = first_of(firm, &["lf_vendor_id", "lf_office_id", "lf_tax_id"]);
        let law_firm = party(firm.child("lf_address"), firm.text_of("lf_name"));
        for client in firm.all(el::CLIENT) {
            let client_party = party(client.child("cl_address"), client.text_of("cl_name"));
            for inv in client.all(el::INVOICE) {
                let mut ctx = Ctx {
                    sink: &mut sink,
                    invoice: inv.text_of("inv_id").to_string(),
                    item: String::new(),
                };
                if ctx.invoice.is_empty() {
                    ctx.err(
                        inv.line,
                        "inv_id",
                        Rule::RequiredField,
                        "<inv_id> is missing; every invoice needs its number".into(),
                    );
                }
                let invoice_date = ctx.date(inv, "inv_date", true);
                let total = ctx.num(inv, "inv_total_net_due", true);
                let mut invoice = Invoice {
                    invoice_number: ctx.invoice.clone(),
                    invoice_date: invoice_date.unwrap_or(Date::new(1000, 1, 1).expect("date")),
                    client_id: client.text_of("cl_id").to_string(),
                    law_firm_id: law_firm_id.to_string(),
                    billing_start: ctx.date(inv, "inv_start_date", false),
                    billing_end: ctx.date(inv, "inv_end_date", false),
                    description: inv.text_of("inv_desc").to_string(),
                    total: total.unwrap_or_default(),
                    po_number: opt(inv.text_of("po_number")),
                    client_tax_id: opt(client.text_of("cl_tax_id")),
                    tax_total: ctx.num(inv, "inv_tax_total", false),
                    net_total: ctx.num(inv, "inv_net_total", false),
                    currency: opt(inv.text_of("inv_currency")),
                    account_type: opt(inv.text_of("account_type")),
                    reported_tax_total: ctx.num(inv, "inv_reported_tax_total", false),
                    tax_currency: opt(inv.text_of("tax_currency")),
                    law_firm: law_firm.clone(),
                    client: client_party.clone(),
                    line_items: Vec::new(),
                };
                let mut pos = Vec::new();
                let mut complete = invoice_date.is_some() && total.is_some();
                for matter in inv.all(el::MATTER) {
                    let lf_matter = matter.text_of("lf_matter_id");
                    let cl_matter = matter.text_of("cl_matter_id");
                    let matter_name = matter.text_of("matter_name");
                    let mut names: HashMap<&str, (&str, &str)> = HashMap::new();
                    for tk in matter
                        .children
                        .iter()
                        .filter(|c| c.name == el::TKSUM || c.name == el::TKSUM_ALT)
                    {
                        names.insert(
                            tk.text_of("tk_id"),
                            (tk.text_of("tk_lname"), tk.text_of("tk_fname")),
                        );
                    }
                    for li in matter
                        .children
                        .iter()
                        .filter(|c| c.name == el::FEE || c.name == el::EXPENSE)
                    {
                        lines_total += 1;
                        let is_fee = li.name == el::FEE;
                        ctx.item = li.text_of("line_item_nbr").to_string();
                        let lt = match li.text_of("line_type") {
                            "" => Some(if is_fee {
                                LineType::Fee
                            } else {
                                LineType::Expense
                            }),
                            s => LineType::from_code(s),
                        };
                        if lt.is_none() {
                            ctx.err(
                                li.line,
                                "line_type",
                                Rule::LineType,
                                "<line_type> must be IF or IE".into(),
                            );
                        }
                        let date = ctx.date(li, "charge_date", true);
                        let total = ctx.num(li, "total_amount", true);
                        let tk_id = li.text_of("tk_id");
                        let (lname, fname) = names.get(tk_id).copied().unwrap_or(("", ""));
                        let tax = li.child("tax");
                        let item = LineItem {
                            number: ctx.item.clone(),
                            line_type: lt.unwrap_or(LineType::Fee),
                            date: date.unwrap_or(Date::new(1000, 1, 1).expect("date")),
                            units: ctx.num(li, "units", false),
                            unit_cost: ctx.num(li, "rate", false),
                            adjustment: ctx.num(li, "adjustment_amount", false),
                            total: total.unwrap_or_default(),
                            task_code: opt(first_of(li, &["acca_task", "task_code"])),
                            expense_code: opt(first_of(li, &["acca_expense", "expense_code"])),
                            activity_code: opt(first_of(
                                li,
                                &["acca_activity", "activity_code", "task_activity"],
                            )),
                            timekeeper_id: opt(tk_id),
                            timekeeper_name: opt(li.text_of("tk_name")),
                            timekeeper_classification: opt(li.text_of("tk_level")),
                            timekeeper_last_name: opt(lname),
                            timekeeper_first_name: opt(fname),
                            description: li.text_of("charge_desc").to_string(),
                            law_firm_matter_id: lf_matter.to_string(),
                            client_matter_id: opt(cl_matter),
                            matter_name: opt(matter_name),
                            tax_rate: tax.and_then(|t| ctx.num(t, "tax_rate", false)),
                            tax_total: tax.and_then(|t| ctx.num(t, "tax_on_charge", false)),
                            tax_type: tax.and_then(|t| opt(t.text_of("tax_type"))),
                        };
                        if lt.is_none() || date.is_none() || total.is_none() {
                            complete = false;
                        } else {
                            invoice.line_items.push(item);
                            pos.push(Some(li.line));
                        }
                    }
                }
                // XML groups line items by matter; restore the invoice's line order when the
                // line numbers are plain numbers (the usual case).
                let key = |li: &LineItem| li.number.parse::<u64>().ok();
                if invoice.line_items.iter().all(|l| key(l).is_some()) {
                    let mut pairs: Vec<(LineItem, Option<u64>)> =
                        invoice.line_items.drain(..).zip(pos.drain(..)).collect();
                    pairs.sort_by_key(|(l, _)| key(l));
                    for (l, p) in pairs {
                        invoice.line_items.push(l);
                        pos.push(p);
                    }
                }
                if invoice.line_items.is_empty() {
                    let l = inv.line;
                    ctx.item.clear();
                    ctx.err(
                        l,
                        "fee",
                        Rule::EmptyFile,
                        "the invoice has no fee or expense items".into(),
                    );
                }
                let _ = complete;
                invoices.push(invoice);
                positions.push(pos);
            }
        }
    }
    if invoices.is_empty() && out.format.is_some() {
        sink.push(
            Finding::new(Severity::Error, Rule::EmptyFile, "the file has no invoices")
                .at_line(root.line),
        );
    }
    let syntax = std::mem::take(&mut sink.findings);
    check_invoices(&invoices, &positions, true, opts, &mut sink);
    let mut all = syntax;
    all.append(&mut sink.findings);
    // Attribute findings to invoices (by number), keeping file-level ones apart.
    let mut per: HashMap<String, Vec<Finding>> = HashMap::new();
    for f in all {
        match &f.invoice {
            Some(i) if invoices.iter().any(|v| &v.invoice_number == i) => {
                per.entry(i.clone()).or_default().push(f)
            }
            _ => out.file_findings.push(f),
        }
    }
    out.line_items = lines_total;
    for inv in invoices {
        let findings = per.remove(&inv.invoice_number).unwrap_or_default();
        out.items.push(ReadInvoice {
            invoice_number: inv.invoice_number.clone(),
            invoice: if keep { Some(inv) } else { None },
            findings,
        });
    }
    if opts.stop_at_first_error {
        truncate_at_first_error(&mut out);
    }
    out
}

fn truncate_at_first_error(out: &mut XmlRead) {
    if let Some(p) = out.file_findings.iter().position(Finding::is_error) {
        out.file_findings.truncate(p + 1);
        out.items.clear();
        return;
    }
    if let Some(k) = out.items.iter().position(ReadInvoice::has_errors) {
        out.items.truncate(k + 1);
        let f = &mut out.items[k].findings;
        let p = f.iter().position(Finding::is_error).expect("error");
        f.truncate(p + 1);
    }
}

// ---------------------------------------------------------------- writer

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

struct W {
    out: String,
    depth: usize,
    item: u64,
}

impl W {
    fn open(&mut self, name: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(">\n");
        self.depth += 1;
    }
    fn close(&mut self, name: &str) {
        self.item += 1;
        let n = self.item;
        self.leaf("file_item_nbr", &n.to_string());
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }
    fn close_plain(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
    fn leaf(&mut self, name: &str, v: &str) {
        if v.is_empty() {
            return;
        }
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(&esc(v));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }
    fn opt(&mut self, name: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.leaf(name, v);
        }
    }
    fn dec(&mut self, name: &str, v: Option<Decimal>) {
        if let Some(v) = v {
            self.leaf(name, &v.to_string());
        }
    }
    fn date(&mut self, name: &str, v: Option<Date>) {
        if let Some(v) = v {
            self.leaf(name, &v.to_string());
        }
    }
    fn party(&mut self, el: &str, p: &Party) {
        if p.address_1.is_empty()
            && p.address_2.is_empty()
            && p.city.is_empty()
            && p.state_or_region.is_empty()
            && p.postcode.is_empty()
            && p.country.is_empty()
        {
            return;
        }
        self.open(el);
        self.leaf("address_1", &p.address_1);
        self.leaf("address_2", &p.address_2);
        self.leaf("city", &p.city);
        self.leaf("state_province", &p.state_or_region);
        self.leaf("zip_postal_code", &p.postcode);
        self.leaf("country", &p.country);
        self.close_plain(el);
    }
}

/// Writes invoices as LEDES XML. Consecutive invoices of one law firm and client share a segment
/// (file order is kept), line items are grouped by matter.
pub(crate) fn write(invoices: &[Invoice], format: Format) -> Result<Vec<u8>, ConvertError> {
    let (root, ns) = match format {
        Format::Xml20 => (el::ROOT_20, el::NS_20),
        Format::Xml22 => (el::ROOT_22, el::NS_22),
        _ => (el::ROOT_21, el::NS_21),
    };
    for inv in invoices {
        for li in &inv.line_items {
            if li
                .description
                .chars()
                .any(|c| c.is_control() && c != '\t' && c != '\n' && c != '\r')
            {
                return Err(ConvertError::Unrepresentable {
                    invoice: inv.invoice_number.clone(),
                    line_item: Some(li.number.clone()),
                    field: "charge_desc",
                    reason: "contains control characters, which XML 1.0 cannot carry".into(),
                });
            }
        }
    }
    let mut w = W {
        out: String::with_capacity(invoices.len() * 2048),
        depth: 0,
        item: 0,
    };
    w.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.out.push('<');
    w.out.push_str(root);
    w.out.push_str(" xmlns=\"");
    w.out.push_str(ns);
    w.out.push_str("\">\n");
    w.depth += 1;
    // Group consecutive invoices of the same firm, then of the same client, so that the
    // invoices keep their order.
    let mut firms: Vec<(&Invoice, Vec<Vec<&Invoice>>)> = Vec::new();
    for inv in invoices {
        let same_firm = firms
            .last()
            .is_some_and(|(f, _)| f.law_firm_id == inv.law_firm_id && f.law_firm == inv.law_firm);
        if !same_firm {
            firms.push((inv, Vec::new()));
        }
        let clients = &mut firms.last_mut().expect("firm").1;
        let same_client = clients.last().is_some_and(|c| {
            c[0].client_id == inv.client_id
                && c[0].client == inv.client
                && c[0].client_tax_id == inv.client_tax_id
        });
        if same_client {
            clients.last_mut().expect("client").push(inv);
        } else {
            clients.push(vec![inv]);
        }
    }
    for (firm, clients) in &firms {
        w.open(el::FIRM);
        w.leaf("lf_vendor_id", &firm.law_firm_id);
        w.leaf("lf_name", &firm.law_firm.name);
        w.party("lf_address", &firm.law_firm);
        for group in clients {
            let c = group[0];
            w.open(el::CLIENT);
            w.leaf("cl_id", &c.client_id);
            w.leaf("cl_name", &c.client.name);
            w.opt("cl_tax_id", &c.client_tax_id);
            w.party("cl_address", &c.client);
            for inv in group {
                w.open(el::INVOICE);
                w.leaf("inv_id", &inv.invoice_number);
                w.date("inv_date", Some(inv.invoice_date));
                w.opt("inv_currency", &inv.currency);
                w.date("inv_start_date", inv.billing_start);
                w.date("inv_end_date", inv.billing_end);
                w.leaf("inv_desc", &inv.description);
                w.opt("po_number", &inv.po_number);
                w.opt("account_type", &inv.account_type);
                w.dec("inv_tax_total", inv.tax_total);
                w.dec("inv_net_total", inv.net_total);
                w.dec("inv_reported_tax_total", inv.reported_tax_total);
                w.opt("tax_currency", &inv.tax_currency);
                w.dec("inv_total_net_due", Some(inv.total));
                // Matters in first-seen order.
                let mut matters: Vec<(&str, Option<&str>, Option<&str>)> = Vec::new();
                for li in &inv.line_items {
                    let key = (
                        li.law_firm_matter_id.as_str(),
                        li.client_matter_id.as_deref(),
                        li.matter_name.as_deref(),
                    );
                    if !matters.contains(&key) {
                        matters.push(key);
                    }
                }
                for m in &matters {
                    w.open(el::MATTER);
                    w.leaf("lf_matter_id", m.0);
                    w.leaf("cl_matter_id", m.1.unwrap_or(""));
                    w.leaf("matter_name", m.2.unwrap_or(""));
                    let lines: Vec<&LineItem> = inv
                        .line_items
                        .iter()
                        .filter(|li| {
                            (
                                li.law_firm_matter_id.as_str(),
                                li.client_matter_id.as_deref(),
                                li.matter_name.as_deref(),
                            ) == *m
                        })
                        .collect();
                    let mut tks: Vec<(&str, &Option<String>, &Option<String>)> = Vec::new();
                    for li in &lines {
                        if let Some(id) = &li.timekeeper_id
                            && (li.timekeeper_last_name.is_some()
                                || li.timekeeper_first_name.is_some())
                            && !tks.iter().any(|t| t.0 == id)
                        {
                            tks.push((id, &li.timekeeper_last_name, &li.timekeeper_first_name));
                        }
                    }
                    for (id, l, f) in tks {
                        w.open(el::TKSUM);
                        w.leaf("tk_id", id);
                        w.opt("tk_lname", l);
                        w.opt("tk_fname", f);
                        w.close(el::TKSUM);
                    }
                    for li in lines {
                        let name = if li.line_type.is_fee_side() {
                            el::FEE
                        } else {
                            el::EXPENSE
                        };
                        w.open(name);
                        w.leaf("line_item_nbr", &li.number);
                        if li.line_type.is_adjustment() {
                            w.leaf("line_type", li.line_type.code());
                        }
                        w.date("charge_date", Some(li.date));
                        w.opt("tk_id", &li.timekeeper_id);
                        w.opt("tk_name", &li.timekeeper_name);
                        w.opt("tk_level", &li.timekeeper_classification);
                        w.opt("acca_task", &li.task_code);
                        w.opt("acca_activity", &li.activity_code);
                        w.opt("acca_expense", &li.expense_code);
                        w.leaf("charge_desc", &li.description);
                        w.dec("units", li.units);
                        w.dec("rate", li.unit_cost);
                        w.dec("adjustment_amount", li.adjustment);
                        if li.tax_rate.is_some() || li.tax_total.is_some() || li.tax_type.is_some()
                        {
                            w.open("tax");
                            w.opt("tax_type", &li.tax_type);
                            w.dec("tax_rate", li.tax_rate);
                            w.dec("tax_on_charge", li.tax_total);
                            w.close_plain("tax");
                        }
                        w.dec("total_amount", Some(li.total));
                        w.close(name);
                    }
                    w.close(el::MATTER);
                }
                w.close(el::INVOICE);
            }
            w.close(el::CLIENT);
        }
        w.close(el::FIRM);
    }
    w.close_plain(root);
    Ok(w.out.into_bytes())
}
