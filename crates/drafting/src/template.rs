//! Contract templates: a variable schema (typed: text, number, money, date, duration, party,
//! choice, yes/no, list) and a minijinja template that renders Markdown. Answers come as a flat
//! map of form fields (`fee`, `fee.currency`, `counterparty.name`…), are checked against the
//! schema, and reach the template as typed values that print themselves properly ("USD
//! 250,000.00", "1 January 2027", "24 months"). Templates cannot read files or run code: the
//! environment has no loader (no `include`/`import`/`extends`), no functions but `clause()`,
//! and a fuel limit.

use jiff::civil::Date;
use minijinja::value::{Object, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// A variable's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarKind {
    Text,
    Number,
    Money,
    Date,
    Duration,
    Party,
    Choice,
    YesNo,
    List,
}

impl VarKind {
    pub const ALL: [VarKind; 9] = [
        VarKind::Text,
        VarKind::Number,
        VarKind::Money,
        VarKind::Date,
        VarKind::Duration,
        VarKind::Party,
        VarKind::Choice,
        VarKind::YesNo,
        VarKind::List,
    ];
}

/// One variable of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(rename = "type")]
    pub kind: VarKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// The options of a `choice`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// The default currency of a `money` variable (ISO 4217).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl Variable {
    pub fn label(&self) -> &str {
        if self.label.is_empty() {
            &self.name
        } else {
            &self.label
        }
    }
}

/// A template's variables, in the order the answers form shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub variables: Vec<Variable>,
}

/// A problem with a template, its schema or the answers: where (a template line or a form
/// field) and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line, &self.field) {
            (Some(l), _) => write!(f, "line {l}: {}", self.message),
            (None, Some(k)) => write!(f, "{k}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

fn field_problem(field: &str, message: impl Into<String>) -> Problem {
    Problem {
        line: None,
        field: Some(field.to_string()),
        message: message.into(),
    }
}

/// Duration units.
pub const UNITS: [&str; 4] = ["days", "weeks", "months", "years"];

/// A form field of the answers form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The form field's name (`fee`, `fee.currency`, `counterparty.name`).
    pub name: String,
    pub label: String,
    /// `text`, `number`, `money`, `date`, `select`, `checkbox`, `textarea`.
    pub input: &'static str,
    pub options: Vec<String>,
    pub required: bool,
    pub help: String,
}

impl Schema {
    /// Parses a schema from JSON and checks it.
    pub fn from_json(s: &str) -> Result<Schema, Vec<Problem>> {
        let schema: Schema = serde_json::from_str(s).map_err(|e| {
            vec![Problem {
                line: Some(e.line()),
                field: Some("schema".into()),
                message: e.to_string(),
            }]
        })?;
        let p = schema.problems();
        if p.is_empty() { Ok(schema) } else { Err(p) }
    }

    /// What is wrong with the schema itself.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = vec![];
        let mut seen = BTreeSet::new();
        for v in &self.variables {
            let ok = !v.name.is_empty()
                && v.name.len() <= 64
                && v.name.starts_with(|c: char| c.is_ascii_lowercase())
                && v.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                out.push(field_problem(
                    "schema",
                    format!("variable name `{}` must be lower-case letters, digits and _ , starting with a letter", v.name),
                ));
            }
            if RESERVED.contains(&v.name.as_str()) {
                out.push(field_problem(
                    "schema",
                    format!("`{}` is a reserved name", v.name),
                ));
            }
            if !seen.insert(v.name.clone()) {
                out.push(field_problem(
                    "schema",
                    format!("variable `{}` is declared twice", v.name),
                ));
            }
            if v.kind == VarKind::Choice && v.choices.is_empty() {
                out.push(field_problem(
                    "schema",
                    format!("choice `{}` has no choices", v.name),
                ));
            }
            if let Some(c) = &v.currency
                && !valid_currency(c)
            {
                out.push(field_problem(
                    "schema",
                    format!("`{}`: currency `{c}` is not a three-letter code", v.name),
                ));
            }
        }
        out
    }

    /// The answers form, a field or a few per variable.
    pub fn fields(&self) -> Vec<Field> {
        let mut out = vec![];
        for v in &self.variables {
            let f = |name: String,
                     label: String,
                     input: &'static str,
                     options: Vec<String>,
                     required: bool| Field {
                name,
                label,
                input,
                options,
                required,
                help: v.help.clone(),
            };
            let l = v.label().to_string();
            let r = v.required;
            match v.kind {
                VarKind::Text => out.push(f(v.name.clone(), l, "text", vec![], r)),
                VarKind::Number => out.push(f(v.name.clone(), l, "number", vec![], r)),
                VarKind::Money => {
                    out.push(f(v.name.clone(), l.clone(), "money", vec![], r));
                    out.push(f(
                        format!("{}.currency", v.name),
                        format!("{l}: currency"),
                        "text",
                        vec![],
                        false,
                    ));
                }
                VarKind::Date => out.push(f(v.name.clone(), l, "date", vec![], r)),
                VarKind::Duration => {
                    out.push(f(
                        format!("{}.count", v.name),
                        l.clone(),
                        "number",
                        vec![],
                        r,
                    ));
                    out.push(f(
                        format!("{}.unit", v.name),
                        format!("{l}: unit"),
                        "select",
                        UNITS.iter().map(|u| u.to_string()).collect(),
                        r,
                    ));
                }
                VarKind::Party => {
                    out.push(f(
                        format!("{}.name", v.name),
                        format!("{l}: name"),
                        "text",
                        vec![],
                        r,
                    ));
                    out.push(f(
                        format!("{}.entity", v.name),
                        format!("{l}: description (e.g. a Delaware corporation)"),
                        "text",
                        vec![],
                        false,
                    ));
                    out.push(f(
                        format!("{}.address", v.name),
                        format!("{l}: address"),
                        "text",
                        vec![],
                        false,
                    ));
                }
                VarKind::Choice => out.push(f(v.name.clone(), l, "select", v.choices.clone(), r)),
                VarKind::YesNo => out.push(f(v.name.clone(), l, "checkbox", vec![], false)),
                VarKind::List => out.push(f(
                    v.name.clone(),
                    format!("{l} (one per line)"),
                    "textarea",
                    vec![],
                    r,
                )),
            }
        }
        out
    }

    /// Checks answers (form fields by name) and types them. Every problem is reported, by
    /// field.
    pub fn answers(&self, raw: &BTreeMap<String, String>) -> Result<Answers, Vec<Problem>> {
        let mut out = BTreeMap::new();
        let mut problems = vec![];
        let get = |k: &str| raw.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        for v in &self.variables {
            let n = v.name.as_str();
            let label = v.label();
            let a = match v.kind {
                VarKind::Text | VarKind::Choice => get(n).map(|s| {
                    let s = one_line(s);
                    if v.kind == VarKind::Choice && !v.choices.contains(&s) {
                        Err(format!(
                            "{label}: `{s}` is not one of {}",
                            v.choices.join(", ")
                        ))
                    } else if s.chars().count() > 2000 {
                        Err(format!("{label}: at most 2,000 characters"))
                    } else if v.kind == VarKind::Choice {
                        Ok(Answer::Choice(s))
                    } else {
                        Ok(Answer::Text(s))
                    }
                }),
                VarKind::Number => get(n).map(|s| {
                    parse_decimal(s)
                        .map(Answer::Number)
                        .ok_or_else(|| format!("{label}: `{s}` is not a number"))
                }),
                VarKind::Money => get(n).map(|s| {
                    let cur = get(&format!("{n}.currency"))
                        .map(|c| c.to_ascii_uppercase())
                        .or_else(|| v.currency.clone())
                        .unwrap_or_else(|| "USD".into());
                    match parse_decimal(s) {
                        _ if !valid_currency(&cur) => Err(format!(
                            "{label}: currency `{cur}` is not a three-letter code"
                        )),
                        Some(d) if d.is_sign_negative() => {
                            Err(format!("{label}: must not be negative"))
                        }
                        Some(d) if d.scale() > 2 => Err(format!("{label}: at most two decimals")),
                        Some(d) => Ok(Answer::Money {
                            amount: d,
                            currency: cur,
                        }),
                        None => Err(format!("{label}: `{s}` is not an amount")),
                    }
                }),
                VarKind::Date => get(n).map(|s| {
                    Date::from_str(s)
                        .map(Answer::Date)
                        .map_err(|_| format!("{label}: `{s}` is not a date (YYYY-MM-DD)"))
                }),
                VarKind::Duration => get(&format!("{n}.count")).map(|s| {
                    let unit = get(&format!("{n}.unit")).unwrap_or("months");
                    match (s.parse::<u32>(), UNITS.iter().position(|u| *u == unit)) {
                        (Ok(c), Some(u)) if c > 0 && c <= 10_000 => Ok(Answer::Duration {
                            count: c,
                            unit: UNITS[u],
                        }),
                        (Ok(_), Some(_)) | (Err(_), _) => Err(format!(
                            "{label}: `{s}` is not a whole number from 1 to 10,000"
                        )),
                        (_, None) => Err(format!(
                            "{label}: unit `{unit}` is not one of {}",
                            UNITS.join(", ")
                        )),
                    }
                }),
                VarKind::Party => get(&format!("{n}.name")).map(|s| {
                    Ok(Answer::Party {
                        name: one_line(s),
                        entity: get(&format!("{n}.entity"))
                            .map(one_line)
                            .unwrap_or_default(),
                        address: get(&format!("{n}.address"))
                            .map(one_line)
                            .unwrap_or_default(),
                    })
                }),
                VarKind::YesNo => Some(Ok(Answer::YesNo(matches!(
                    get(n).map(|s| s.to_ascii_lowercase()).as_deref(),
                    Some("yes" | "true" | "on" | "1" | "y")
                )))),
                VarKind::List => get(n).map(|s| {
                    let items: Vec<String> = s
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(one_line)
                        .collect();
                    Ok(Answer::List(items))
                }),
            };
            match a {
                Some(Ok(a)) => {
                    out.insert(n.to_string(), a);
                }
                Some(Err(m)) => problems.push(field_problem(n, m)),
                None if v.required => {
                    problems.push(field_problem(n, format!("{label} is required")))
                }
                None => {}
            }
        }
        if problems.is_empty() {
            Ok(Answers(out))
        } else {
            Err(problems)
        }
    }

    /// Answers with every variable filled by a sample value: what a template is tried with
    /// when it is saved.
    pub fn sample_answers(&self) -> Answers {
        let mut m = BTreeMap::new();
        for v in &self.variables {
            let a = match v.kind {
                VarKind::Text => Answer::Text(format!("[{}]", v.label())),
                VarKind::Number => Answer::Number(Decimal::from(3)),
                VarKind::Money => Answer::Money {
                    amount: Decimal::new(10_000_000, 2),
                    currency: v.currency.clone().unwrap_or_else(|| "USD".into()),
                },
                VarKind::Date => Answer::Date(jiff::civil::date(2027, 1, 1)),
                VarKind::Duration => Answer::Duration {
                    count: 12,
                    unit: "months",
                },
                VarKind::Party => Answer::Party {
                    name: format!("[{}]", v.label()),
                    entity: "a Delaware corporation".into(),
                    address: "1 Main Street".into(),
                },
                VarKind::Choice => Answer::Choice(v.choices.first().cloned().unwrap_or_default()),
                VarKind::YesNo => Answer::YesNo(true),
                VarKind::List => Answer::List(vec!["first".into(), "second".into()]),
            };
            m.insert(v.name.clone(), a);
        }
        Answers(m)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn valid_currency(c: &str) -> bool {
    c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase())
}

fn parse_decimal(s: &str) -> Option<Decimal> {
    let cleaned: String = s
        .chars()
        .filter(|c| *c != ',' && *c != '_' && !c.is_whitespace())
        .collect();
    Decimal::from_str(&cleaned).ok()
}

/// A typed answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer {
    Text(String),
    Number(Decimal),
    Money {
        amount: Decimal,
        currency: String,
    },
    Date(Date),
    Duration {
        count: u32,
        unit: &'static str,
    },
    Party {
        name: String,
        entity: String,
        address: String,
    },
    Choice(String),
    YesNo(bool),
    List(Vec<String>),
}

/// Checked answers by variable name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Answers(pub BTreeMap<String, Answer>);

impl Answers {
    /// The answers back as form fields (what [`Schema::answers`] reads).
    pub fn to_fields(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for (k, a) in &self.0 {
            match a {
                Answer::Text(s) | Answer::Choice(s) => {
                    m.insert(k.clone(), s.clone());
                }
                Answer::Number(d) => {
                    m.insert(k.clone(), d.to_string());
                }
                Answer::Money { amount, currency } => {
                    m.insert(k.clone(), amount.to_string());
                    m.insert(format!("{k}.currency"), currency.clone());
                }
                Answer::Date(d) => {
                    m.insert(k.clone(), d.to_string());
                }
                Answer::Duration { count, unit } => {
                    m.insert(format!("{k}.count"), count.to_string());
                    m.insert(format!("{k}.unit"), unit.to_string());
                }
                Answer::Party {
                    name,
                    entity,
                    address,
                } => {
                    m.insert(format!("{k}.name"), name.clone());
                    m.insert(format!("{k}.entity"), entity.clone());
                    m.insert(format!("{k}.address"), address.clone());
                }
                Answer::YesNo(b) => {
                    m.insert(k.clone(), if *b { "yes" } else { "no" }.into());
                }
                Answer::List(v) => {
                    m.insert(k.clone(), v.join("\n"));
                }
            }
        }
        m
    }
}

/// Groups digits in threes: `1234567.5` → `1,234,567.50` (two decimals).
pub fn format_amount(d: Decimal) -> String {
    let s = format!("{:.2}", d.round_dp(2));
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let (sign, digits) = int.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", int));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2027-01-01` → `1 January 2027`.
pub fn format_date(d: Date) -> String {
    format!(
        "{} {} {}",
        d.day(),
        MONTHS[d.month() as usize - 1],
        d.year()
    )
}

/// A value that prints itself one way and offers fields.
#[derive(Debug)]
struct Typed {
    display: String,
    fields: BTreeMap<&'static str, Value>,
}

impl Object for Typed {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        key.as_str().and_then(|k| self.fields.get(k).cloned())
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

fn typed(display: String, fields: Vec<(&'static str, Value)>) -> Value {
    Value::from_object(Typed {
        display,
        fields: fields.into_iter().collect(),
    })
}

fn decimal_value(d: Decimal) -> Value {
    use rust_decimal::prelude::ToPrimitive;
    if d.fract().is_zero()
        && let Some(i) = d.to_i64()
    {
        return Value::from(i);
    }
    // Only for comparisons in a template; amounts print from their exact text.
    Value::from(d.to_f64().unwrap_or(0.0))
}

impl Answer {
    fn value(&self) -> Value {
        match self {
            Answer::Text(s) | Answer::Choice(s) => Value::from(s.clone()),
            Answer::Number(d) => decimal_value(*d),
            Answer::Money { amount, currency } => typed(
                format!("{currency} {}", format_amount(*amount)),
                vec![
                    ("amount", decimal_value(*amount)),
                    ("text", Value::from(format_amount(*amount))),
                    ("currency", Value::from(currency.clone())),
                ],
            ),
            Answer::Date(d) => typed(
                format_date(*d),
                vec![
                    ("iso", Value::from(d.to_string())),
                    ("year", Value::from(d.year())),
                    ("month", Value::from(d.month())),
                    ("day", Value::from(d.day())),
                ],
            ),
            Answer::Duration { count, unit } => {
                let u = if *count == 1 {
                    unit.trim_end_matches('s')
                } else {
                    unit
                };
                let months = match *unit {
                    "months" => Value::from(*count),
                    "years" => Value::from(count * 12),
                    _ => Value::from(()),
                };
                typed(
                    format!("{count} {u}"),
                    vec![
                        ("count", Value::from(*count)),
                        ("unit", Value::from(*unit)),
                        ("months", months),
                    ],
                )
            }
            Answer::Party {
                name,
                entity,
                address,
            } => typed(
                name.clone(),
                vec![
                    ("name", Value::from(name.clone())),
                    ("entity", Value::from(entity.clone())),
                    ("address", Value::from(address.clone())),
                ],
            ),
            Answer::YesNo(b) => Value::from(*b),
            Answer::List(v) => Value::from(v.clone()),
        }
    }
}

/// The clause library as a template sees it: by clause key, the preferred text then the
/// fallback positions (Markdown).
pub type ClauseTexts = BTreeMap<String, Vec<String>>;

/// A clause a rendering used: its key and position (0 = preferred).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClauseUse {
    pub key: String,
    pub position: usize,
}

/// A rendered template.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub markdown: String,
    pub document: crate::doc::Document,
    pub clauses: Vec<ClauseUse>,
}

/// Names a template may use besides its variables.
const RESERVED: [&str; 9] = [
    "clause",
    "loop",
    "range",
    "dict",
    "namespace",
    "true",
    "false",
    "none",
    "debug",
];

/// Work a rendering may do (minijinja fuel): generous for a contract, fatal to a runaway loop.
const FUEL: u64 = 2_000_000;
/// The largest rendered text.
const MAX_OUTPUT: usize = 4 * 1024 * 1024;

fn env(clauses: Arc<ClauseTexts>, used: Arc<Mutex<Vec<ClauseUse>>>) -> Environment<'static> {
    // The built-in filters, tests and globals (range, dict, namespace) but no loader: nothing
    // reaches outside the answers. `debug` would print the whole context into a contract.
    let mut env = Environment::new();
    env.add_global("debug", Value::UNDEFINED);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(50);
    env.set_formatter(|out, _state, value| {
        if value.is_undefined() {
            return Err(Error::from(ErrorKind::UndefinedError));
        }
        let s = value.to_string();
        if value.is_safe() {
            out.write_str(&s)
                .map_err(|_| Error::from(ErrorKind::WriteFailure))
        } else {
            out.write_str(&escape_markdown(&s))
                .map_err(|_| Error::from(ErrorKind::WriteFailure))
        }
    });
    env.add_function(
        "clause",
        move |key: String, position: Option<usize>| -> Result<Value, Error> {
            let texts = clauses.get(&key).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("there is no clause `{key}` in the clause library"),
                )
            })?;
            let position = position.unwrap_or(0);
            let text = texts.get(position).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "clause `{key}` has no position {position} (it has {})",
                        texts.len()
                    ),
                )
            })?;
            used.lock()
                .expect("not poisoned")
                .push(ClauseUse { key, position });
            Ok(Value::from_safe_string(text.clone()))
        },
    );
    env
}

/// Escapes what Markdown would read as markup in an answer, so a party called `*Acme*` or
/// `# 1` prints as typed.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn template_problem(e: &Error) -> Problem {
    let message = match e.detail() {
        Some(d) => format!("{}: {d}", kind_text(e.kind())),
        None => kind_text(e.kind()).to_string(),
    };
    Problem {
        line: e.line(),
        field: None,
        message,
    }
}

fn kind_text(k: ErrorKind) -> &'static str {
    match k {
        ErrorKind::SyntaxError => "syntax error",
        ErrorKind::UndefinedError => {
            "a variable has no value here (make it required, or test it with `if`)"
        }
        ErrorKind::UnknownFilter => "unknown filter",
        ErrorKind::UnknownTest => "unknown test",
        ErrorKind::UnknownFunction => {
            "unknown function (templates can call clause(), range(), dict() and namespace() only)"
        }
        ErrorKind::UnknownMethod => "unknown method",
        ErrorKind::OutOfFuel => "the template does too much work (a loop that runs too long?)",
        ErrorKind::TemplateNotFound => "templates cannot include, import or extend other files",
        ErrorKind::InvalidOperation => "invalid operation",
        ErrorKind::BadSerialization => "bad value",
        _ => "template error",
    }
}

/// The first line of `source` where `name` appears as a word inside `{{ }}` or `{% %}`.
fn line_of(source: &str, name: &str) -> Option<usize> {
    for (i, line) in source.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{").or_else(|| rest.find("{%")) {
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .or_else(|| after.find("%}"))
                .unwrap_or(after.len());
            let inner = &after[..end];
            if inner
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == name)
            {
                return Some(i + 1);
            }
            rest = &after[end..];
        }
    }
    None
}

/// Checks a template against its schema and the clause library: syntax, names it uses that
/// the schema does not declare (by line), and a trial rendering with sample answers.
pub fn check(source: &str, schema: &Schema, clauses: &ClauseTexts) -> Vec<Problem> {
    let mut problems = schema.problems();
    if !problems.is_empty() {
        return problems;
    }
    let e = env(Arc::new(clauses.clone()), Arc::default());
    let tmpl = match e.template_from_str(source) {
        Ok(t) => t,
        Err(err) => return vec![template_problem(&err)],
    };
    let declared: BTreeSet<&str> = schema.variables.iter().map(|v| v.name.as_str()).collect();
    let mut unknown: Vec<String> = tmpl
        .undeclared_variables(false)
        .into_iter()
        .filter(|n| !declared.contains(n.as_str()) && !RESERVED.contains(&n.as_str()))
        .collect();
    unknown.sort();
    for n in unknown {
        problems.push(Problem {
            line: line_of(source, &n),
            field: None,
            message: format!("unknown variable `{n}` (declare it in the schema)"),
        });
    }
    if problems.is_empty()
        && let Err(p) = render(source, schema, &schema.sample_answers(), clauses)
    {
        problems.push(p);
    }
    problems
}

/// Renders a template with checked answers.
pub fn render(
    source: &str,
    _schema: &Schema,
    answers: &Answers,
    clauses: &ClauseTexts,
) -> Result<Rendered, Problem> {
    let used = Arc::new(Mutex::new(vec![]));
    let e = env(Arc::new(clauses.clone()), used.clone());
    let tmpl = e
        .template_from_str(source)
        .map_err(|err| template_problem(&err))?;
    let ctx: BTreeMap<&str, Value> = answers
        .0
        .iter()
        .map(|(k, a)| (k.as_str(), a.value()))
        .collect();
    let markdown = tmpl
        .render(Value::from(ctx))
        .map_err(|err| template_problem(&err))?;
    if markdown.len() > MAX_OUTPUT {
        return Err(Problem {
            line: None,
            field: None,
            message: format!(
                "the rendered contract is larger than {} MB",
                MAX_OUTPUT / 1024 / 1024
            ),
        });
    }
    let document = crate::doc::Document::from_markdown(&markdown);
    let clauses = std::mem::take(&mut *used.lock().expect("not poisoned"));
    Ok(Rendered {
        markdown,
        document,
        clauses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::from_json(
            r#"{"variables":[
              {"name":"counterparty","label":"Counterparty","type":"party","required":true},
              {"name":"fee","label":"Fee","type":"money","required":true,"currency":"USD"},
              {"name":"start","label":"Start","type":"date","required":true},
              {"name":"term","label":"Term","type":"duration","required":true},
              {"name":"law","label":"Governing law","type":"choice","choices":["New York","Delaware"],"required":true},
              {"name":"exclusive","label":"Exclusive","type":"yes_no"},
              {"name":"services","label":"Services","type":"list"},
              {"name":"discount","label":"Discount %","type":"number"}
            ]}"#,
        )
        .unwrap()
    }

    fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const SRC: &str = "# Services Agreement\n\nBetween **Acme Corp** and **{{ counterparty }}**, {{ counterparty.entity }}.\n\n1. Fees\n   1. The fee is {{ fee }}.\n2. Term\n   1. From {{ start }} for {{ term }}.\n{% if exclusive %}3. Exclusivity\n   1. The engagement is exclusive.\n{% endif %}\n{% for s in services %}- {{ s }}\n{% endfor %}\n{% if discount %}Discount: {{ discount }}%{% endif %}\n\n{{ clause(\"governing_law\") }} {{ law }}.\n";

    #[test]
    fn answers_render_as_typed_values() {
        let s = schema();
        let a = s
            .answers(&raw(&[
                ("counterparty.name", "Beta *LLC*"),
                (
                    "counterparty.entity",
                    "a New York limited liability company",
                ),
                ("fee", "1,250,000.5"),
                ("start", "2027-01-01"),
                ("term.count", "24"),
                ("term.unit", "months"),
                ("law", "Delaware"),
                ("exclusive", "on"),
                ("services", "Hosting\n\nSupport\n"),
            ]))
            .unwrap();
        let mut clauses = ClauseTexts::new();
        clauses.insert(
            "governing_law".into(),
            vec!["This agreement is governed by the laws of".into()],
        );
        let r = render(SRC, &s, &a, &clauses).unwrap();
        let text = r.document.plain_text();
        assert!(
            text.contains(
                "Between Acme Corp and Beta *LLC*, a New York limited liability company."
            ),
            "{text}"
        );
        assert!(text.contains("The fee is USD 1,250,000.50."), "{text}");
        assert!(
            text.contains("From 1 January 2027 for 24 months."),
            "{text}"
        );
        assert!(text.contains("The engagement is exclusive."), "{text}");
        assert!(text.contains("Hosting\nSupport"), "{text}");
        assert!(!text.contains("Discount"), "{text}");
        assert!(text.contains("governed by the laws of Delaware."), "{text}");
        assert_eq!(
            r.clauses,
            vec![ClauseUse {
                key: "governing_law".into(),
                position: 0
            }]
        );
        // Round trip through form fields.
        assert_eq!(s.answers(&a.to_fields()).unwrap(), a);
    }

    #[test]
    fn bad_answers_name_their_fields() {
        let err = schema()
            .answers(&raw(&[
                ("fee", "12.345"),
                ("start", "2027-02-30"),
                ("term.count", "0"),
                ("law", "Texas"),
                ("discount", "ten"),
            ]))
            .unwrap_err();
        let msgs: Vec<String> = err.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "counterparty: Counterparty is required",
                "fee: Fee: at most two decimals",
                "start: Start: `2027-02-30` is not a date (YYYY-MM-DD)",
                "term: Term: `0` is not a whole number from 1 to 10,000",
                "law: Governing law: `Texas` is not one of New York, Delaware",
                "discount: Discount %: `ten` is not a number",
            ]
        );
    }

    #[test]
    fn template_errors_report_their_line() {
        let s = schema();
        let c = ClauseTexts::new();
        let p = check("# T\n\n{% if fee %}\nunclosed\n", &s, &c);
        assert_eq!(p.len(), 1);
        assert!(p[0].message.starts_with("syntax error"), "{:?}", p);
        let p = check(
            "# T\n\nHello {{ counterparty }}\n\nFee {{ fees }}.\n",
            &s,
            &c,
        );
        assert_eq!(
            p[0].to_string(),
            "line 5: unknown variable `fees` (declare it in the schema)"
        );
        let p = check("{{ clause(\"nope\") }}", &s, &c);
        assert!(
            p[0].message.contains("there is no clause `nope`"),
            "{:?}",
            p
        );
        assert_eq!(p[0].line, Some(1));
        // Optional values must be tested before they are printed.
        let p = check("\n{{ discount }}", &s, &c);
        assert!(p.is_empty(), "sample answers fill every variable: {p:?}");
    }

    #[test]
    fn templates_cannot_read_files_or_run_away() {
        let s = Schema::default();
        let c = ClauseTexts::new();
        for src in [
            "{% include \"/etc/passwd\" %}",
            "{% extends \"base.txt\" %}",
            "{% import \"x\" as y %}",
            "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}",
            "{{ self }}",
            "{{ env }}",
        ] {
            let p = check(src, &s, &c);
            assert!(!p.is_empty(), "{src} was accepted");
        }
    }

    #[test]
    fn amounts_and_dates_print_for_people() {
        assert_eq!(format_amount(Decimal::new(123456789, 2)), "1,234,567.89");
        assert_eq!(format_amount(Decimal::new(5, 0)), "5.00");
        assert_eq!(format_amount(Decimal::new(-100000, 0)), "-100,000.00");
        assert_eq!(
            format_date(jiff::civil::date(2026, 2, 28)),
            "28 February 2026"
        );
        assert_eq!(escape_markdown("*a* #1"), "\\*a\\* \\#1");
    }
}
