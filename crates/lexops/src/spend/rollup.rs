//! The spend rollups behind the dashboard (`spend_*_month` tables): the sums of the line items
//! of the invoices that count, by month and one dimension each. They are maintained by delta:
//! [`apply`] with −1 before an invoice's lines, totals or status change and +1 after, inside the
//! same transaction; [`rebuild`] recomputes them from the line items (after a wall changes, or
//! to repair). A matter behind an ethical wall is summed under its own key (`wall_matter_id`;
//! 0 for every matter without a wall), so a dashboard adds exactly the walled matters its user
//! may see; [`apply_matter`] moves a matter's sums when its wall or type changes.

use crate::platform::db::Tx;

const COUNTED: &str = "i.status IN ('in_review','approved','exported')";

/// The join that finds an invoice's wall (if its matter has one), and the key it gives.
const WALL_JOIN: &str =
    "LEFT JOIN walled_objects wo ON wo.object_type = 'matter' AND wo.object_id = i.matter_id";
const WALL_KEY: &str = "COALESCE(wo.object_id, 0)";

/// (table, key columns, key expressions, value columns, value expressions, extra join)
const ROLLUPS: [(&str, &str, &str, &str, &str, &str); 6] = [
    (
        "spend_vendor_month",
        "month, wall_matter_id, vendor_id",
        "SUBSTR(i.invoice_date, 1, 7), COALESCE(wo.object_id, 0), i.vendor_id",
        "billed_e4, approved_e4, fee_billed_e4, fee_approved_e4, fee_units_e4",
        "SUM(l.total_e4), SUM(l.adjusted_total_e4), SUM(CASE WHEN l.line_type = 'F' THEN l.total_e4 ELSE 0 END), SUM(CASE WHEN l.line_type = 'F' THEN l.adjusted_total_e4 ELSE 0 END), SUM(CASE WHEN l.line_type = 'F' THEN l.units_e4 ELSE 0 END)",
        "",
    ),
    (
        "spend_type_month",
        "month, wall_matter_id, type_id",
        "SUBSTR(i.invoice_date, 1, 7), COALESCE(wo.object_id, 0), m.type_id",
        "billed_e4, approved_e4",
        "SUM(l.total_e4), SUM(l.adjusted_total_e4)",
        "JOIN matters m ON m.id = i.matter_id",
    ),
    (
        "spend_matter_month",
        "month, wall_matter_id, matter_id",
        "SUBSTR(i.invoice_date, 1, 7), COALESCE(wo.object_id, 0), i.matter_id",
        "billed_e4, approved_e4",
        "SUM(l.total_e4), SUM(l.adjusted_total_e4)",
        "",
    ),
    (
        "spend_phase_month",
        "month, wall_matter_id, matter_id, phase",
        "SUBSTR(i.invoice_date, 1, 7), COALESCE(wo.object_id, 0), i.matter_id, SUBSTR(l.task_code, 1, 2)",
        "billed_e4, approved_e4",
        "SUM(l.total_e4), SUM(l.adjusted_total_e4)",
        "",
    ),
    (
        "spend_task_month",
        "month, wall_matter_id, task_code",
        "SUBSTR(i.invoice_date, 1, 7), COALESCE(wo.object_id, 0), l.task_code",
        "billed_e4, approved_e4",
        "SUM(l.total_e4), SUM(l.adjusted_total_e4)",
        "",
    ),
    (
        "spend_class_month",
        "month, wall_matter_id, classification",
        "SUBSTR(i.invoice_date, 1, 7), COALESCE(wo.object_id, 0), l.classification",
        "billed_e4, approved_e4, units_e4",
        "SUM(l.total_e4), SUM(l.adjusted_total_e4), SUM(l.units_e4)",
        "",
    ),
];

fn statement(
    table: &str,
    keys: &str,
    key_exprs: &str,
    vals: &str,
    val_exprs: &str,
    join: &str,
    sign: i64,
    filter: &str,
) -> String {
    let class_filter = if table == "spend_class_month" {
        " AND l.line_type = 'F'"
    } else {
        ""
    };
    let signed = val_exprs
        .split("SUM(")
        .skip(1)
        .map(|part| format!("({sign}) * SUM({part}"))
        .collect::<Vec<_>>()
        .join("");
    let signed = signed.trim_end_matches(", ");
    let updates = vals
        .split(", ")
        .map(|v| format!("{v} = {table}.{v} + excluded.{v}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {table} ({keys}, {vals}) SELECT {key_exprs}, {signed} FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id {join} {WALL_JOIN} \
         WHERE {COUNTED}{class_filter} AND {filter} GROUP BY {key_exprs} ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )
}

fn flag_statement(sign: i64, filter: &str) -> String {
    format!(
        "INSERT INTO spend_flag_month (month, wall_matter_id, rule_kind, reason_code, flags, overridden, savings_e4) \
         SELECT SUBSTR(i.invoice_date, 1, 7), {WALL_KEY}, f.rule_kind, f.reason_code, ({sign}) * COUNT(*), ({sign}) * SUM(CASE WHEN f.state IN ('overridden','appeal_upheld') THEN 1 ELSE 0 END), \
         ({sign}) * SUM(CASE WHEN f.proposed_total_e4 IS NOT NULL AND f.state NOT IN ('overridden','appeal_upheld') THEN l.total_e4 - f.proposed_total_e4 ELSE 0 END) \
         FROM invoice_flags f JOIN invoices i ON i.id = f.invoice_id LEFT JOIN invoice_lines l ON l.id = f.line_id {WALL_JOIN} \
         WHERE {COUNTED} AND {filter} GROUP BY SUBSTR(i.invoice_date, 1, 7), {WALL_KEY}, f.rule_kind, f.reason_code \
         ON CONFLICT (month, wall_matter_id, rule_kind, reason_code) DO UPDATE SET flags = spend_flag_month.flags + excluded.flags, \
         overridden = spend_flag_month.overridden + excluded.overridden, savings_e4 = spend_flag_month.savings_e4 + excluded.savings_e4"
    )
}

/// Adds (`sign` = 1) or removes (−1) the flags of `ids` to or from the flag rollup (around a
/// change of a flag's state).
pub async fn apply_flags(tx: &mut Tx, ids: &[i64], sign: i64) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(400) {
        let list = chunk
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(sqlx::AssertSqlSafe(flag_statement(
            sign,
            &format!("i.id IN ({list})"),
        )))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Adds (`sign` = 1) or removes (−1) the line items and flags of `ids` to or from every rollup,
/// for the invoices that count at this moment (around a change of status).
pub async fn apply(tx: &mut Tx, ids: &[i64], sign: i64) -> Result<(), sqlx::Error> {
    apply_lines(tx, ids, sign).await?;
    apply_flags(tx, ids, sign).await
}

/// [`apply`] for the line-item rollups only (around a change of line totals).
pub async fn apply_lines(tx: &mut Tx, ids: &[i64], sign: i64) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(400) {
        let list = chunk
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        for (table, keys, key_exprs, vals, val_exprs, join) in ROLLUPS {
            let sql = statement(
                table,
                keys,
                key_exprs,
                vals,
                val_exprs,
                join,
                sign,
                &format!("i.id IN ({list})"),
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Adds (`sign` = 1) or removes (−1) every invoice of a matter to or from every rollup: −1
/// before the matter's wall or type changes, +1 after, in the same transaction.
pub async fn apply_matter(tx: &mut Tx, matter_id: i64, sign: i64) -> Result<(), sqlx::Error> {
    let filter = format!("i.matter_id = {matter_id}");
    sqlx::query(sqlx::AssertSqlSafe(flag_statement(sign, &filter)))
        .execute(&mut **tx)
        .await?;
    for (table, keys, key_exprs, vals, val_exprs, join) in ROLLUPS {
        let sql = statement(table, keys, key_exprs, vals, val_exprs, join, sign, &filter);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Recomputes every rollup from the line items.
pub async fn rebuild(tx: &mut Tx) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM spend_flag_month")
        .execute(&mut **tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(flag_statement(1, "1 = 1")))
        .execute(&mut **tx)
        .await?;
    for (table, keys, key_exprs, vals, val_exprs, join) in ROLLUPS {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&mut **tx)
            .await?;
        let sql = statement(table, keys, key_exprs, vals, val_exprs, join, 1, "1 = 1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A key part of a rollup row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Part {
    Int(i64),
    Text(String),
}

/// One line item of an invoice that counts, as the rollups see it.
pub struct LineFacts<'a> {
    /// YYYY-MM of the invoice date.
    pub month: &'a str,
    /// The matter's wall key (its id if walled, else 0).
    pub wall: i64,
    pub vendor_id: i64,
    pub type_id: i64,
    pub matter_id: i64,
    /// A fee line (`F`).
    pub fee: bool,
    pub task_code: &'a str,
    pub classification: &'a str,
    pub total_e4: i64,
    pub adjusted_e4: i64,
    pub units_e4: i64,
}

/// Sums to add to the rollups, made in memory from rows just written (intake: a file's
/// invoices, without reading their lines back) and upserted by [`Delta::write`] in a few
/// multi-row statements. The sums are those of [`ROLLUPS`] and the flag statement, written a
/// second way: the stories compare the rollups with a rebuild ([`verify`]) after every intake.
#[derive(Default)]
pub struct Delta {
    /// Per table of [`ROLLUPS`]: key → values, in the table's column order (unused values 0).
    lines: [FxHashMap<LineKey, [i64; 5]>; 6],
    /// The texts of the keys (months, phases, task codes, classifications), each stored once:
    /// a line then costs no allocation unless it brings a new text.
    texts: Vec<String>,
    text_ids: FxHashMap<String, u32>,
    /// (month, wall, rule kind, reason code; texts as above) → (flags, savings).
    flags: FxHashMap<(u32, i64, u32, u32), (i64, i64)>,
}

/// A rollup row's key: (month, wall key, the table's number dimension or 0, its text dimension
/// or [`NO_TEXT`]), texts by their index in [`Delta::texts`].
type LineKey = (u32, i64, i64, u32);
const NO_TEXT: u32 = u32::MAX;

use std::collections::HashMap;

use rustc_hash::FxHashMap;

impl Delta {
    fn text_id(&mut self, t: &str) -> u32 {
        if let Some(id) = self.text_ids.get(t) {
            return *id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(t.to_string());
        self.text_ids.insert(t.to_string(), id);
        id
    }

    /// Counts a line item.
    pub fn line(&mut self, f: &LineFacts) {
        let month = self.text_id(f.month);
        let phase_end = f
            .task_code
            .char_indices()
            .nth(2)
            .map_or(f.task_code.len(), |(i, _)| i);
        let phase = self.text_id(&f.task_code[..phase_end]);
        let task = self.text_id(f.task_code);
        let fee = |v: i64| if f.fee { v } else { 0 };
        let (t, a, w) = (f.total_e4, f.adjusted_e4, f.wall);
        let mut add = |table: usize, num: i64, text: u32, vals: [i64; 5]| {
            let slot = self.lines[table]
                .entry((month, w, num, text))
                .or_insert([0; 5]);
            for (s, v) in slot.iter_mut().zip(vals) {
                *s += v;
            }
        };
        add(
            0,
            f.vendor_id,
            NO_TEXT,
            [t, a, fee(t), fee(a), fee(f.units_e4)],
        );
        add(1, f.type_id, NO_TEXT, [t, a, 0, 0, 0]);
        add(2, f.matter_id, NO_TEXT, [t, a, 0, 0, 0]);
        add(3, f.matter_id, phase, [t, a, 0, 0, 0]);
        add(4, 0, task, [t, a, 0, 0, 0]);
        if f.fee {
            let class = self.text_id(f.classification);
            let slot = self.lines[5].entry((month, w, 0, class)).or_insert([0; 5]);
            slot[0] += t;
            slot[1] += a;
            slot[2] += f.units_e4;
        }
    }

    /// Counts a new (open) flag; `savings_e4` is what its proposed total takes off its line.
    pub fn flag(&mut self, month: &str, wall: i64, kind: &str, reason: &str, savings_e4: i64) {
        let key = (
            self.text_id(month),
            wall,
            self.text_id(kind),
            self.text_id(reason),
        );
        let slot = self.flags.entry(key).or_default();
        slot.0 += 1;
        slot.1 += savings_e4;
    }

    /// Adds the sums to the rollup tables.
    pub async fn write(&self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        let mut batch = crate::platform::db::Batch::new(crate::platform::db::backend_of(tx));
        self.write_into(&mut batch);
        batch.execute(tx).await
    }

    /// Adds the statements that add the sums to the rollup tables to `batch`.
    pub fn write_into(&self, batch: &mut crate::platform::db::Batch) {
        let backend = batch.backend();
        for (n, ((table, keys, _, vals, _, _), rows)) in ROLLUPS.iter().zip(&self.lines).enumerate()
        {
            let (nkeys, nvals) = (keys.split(", ").count(), vals.split(", ").count());
            let cols = nkeys + nvals;
            // The key's parts in the table's order: month, wall, then the number and/or text
            // dimensions it has (vendor, type, matter; matter and phase; task; classification).
            let (has_num, has_text) = (n <= 3, n >= 3);
            let rows: Vec<(Vec<Part>, &[i64])> = rows
                .iter()
                .map(|(&(month, wall, num, text), v)| {
                    let mut k = vec![
                        Part::Text(self.texts[month as usize].clone()),
                        Part::Int(wall),
                    ];
                    if has_num {
                        k.push(Part::Int(num));
                    }
                    if has_text {
                        k.push(Part::Text(self.texts[text as usize].clone()));
                    }
                    debug_assert_eq!(k.len(), nkeys);
                    (k, &v[..nvals])
                })
                .collect();
            let updates = vals
                .split(", ")
                .map(|v| format!("{v} = {table}.{v} + excluded.{v}"))
                .collect::<Vec<_>>()
                .join(", ");
            for chunk in rows.chunks(200) {
                batch.statement(&format!(
                    "INSERT INTO {table} ({keys}, {vals}) VALUES {} ON CONFLICT ({keys}) DO UPDATE SET {updates}",
                    crate::platform::db::values(backend, chunk.len(), cols)
                ));
                for (k, v) in chunk {
                    for part in k.iter() {
                        match part {
                            Part::Int(i) => batch.bind(*i),
                            Part::Text(t) => batch.bind(t.clone()),
                        };
                    }
                    for x in v.iter() {
                        batch.bind(*x);
                    }
                }
            }
        }
        let flags: Vec<_> = self.flags.iter().collect();
        for chunk in flags.chunks(200) {
            batch.statement(&format!(
                "INSERT INTO spend_flag_month (month, wall_matter_id, rule_kind, reason_code, flags, overridden, savings_e4) VALUES {} \
                 ON CONFLICT (month, wall_matter_id, rule_kind, reason_code) DO UPDATE SET flags = spend_flag_month.flags + excluded.flags, \
                 savings_e4 = spend_flag_month.savings_e4 + excluded.savings_e4",
                crate::platform::db::values(backend, chunk.len(), 7)
            ));
            for ((month, wall, kind, reason), (n, savings)) in chunk {
                let text = |t: &u32| self.texts[*t as usize].clone();
                batch
                    .bind(text(month))
                    .bind(*wall)
                    .bind(text(kind))
                    .bind(text(reason))
                    .bind(*n)
                    .bind(0i64)
                    .bind(*savings);
            }
        }
    }
}

/// Adds to `batch` the statements that read each matter's type and wall key, as the rollups
/// group them; [`matter_keys_of`] reads their rows.
pub fn matter_keys_into(batch: &mut crate::platform::db::Batch, matters: &[i64]) {
    for chunk in matters.chunks(500) {
        let sql = format!(
            "SELECT m.id, m.type_id, CAST(COALESCE(wo.object_id, 0) AS BIGINT) FROM matters m \
             LEFT JOIN walled_objects wo ON wo.object_type = 'matter' AND wo.object_id = m.id WHERE m.id IN ({})",
            batch.params(1, chunk.len())
        );
        batch.statement(&sql);
        for id in chunk {
            batch.bind(*id);
        }
    }
}

/// How many statements [`matter_keys_into`] adds for `matters`.
pub fn matter_keys_statements(matters: &[i64]) -> usize {
    matters.len().div_ceil(500)
}

/// The keys from the rows of [`matter_keys_into`]'s statements.
pub fn matter_keys_of(
    sets: &[Vec<sqlx::any::AnyRow>],
) -> Result<HashMap<i64, (i64, i64)>, sqlx::Error> {
    let mut out = HashMap::new();
    for rows in sets {
        for (id, type_id, wall) in crate::platform::db::decode::<(i64, i64, i64)>(rows)? {
            out.insert(id, (type_id, wall));
        }
    }
    Ok(out)
}

/// Every rollup row, as text (for [`verify`]).
async fn snapshot(conn: &mut sqlx::AnyConnection) -> Result<Vec<String>, sqlx::Error> {
    let mut rows = vec![];
    for (table, keys, _, vals, _, _) in ROLLUPS {
        let cols = format!("{keys}, {vals}");
        let n = cols.split(", ").count();
        let concat = cols
            .split(", ")
            .map(|c| format!("CAST({c} AS TEXT)"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let nonzero = vals
            .split(", ")
            .map(|v| format!("{v} <> 0"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let got: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT '{table}|' || {concat} FROM {table} WHERE {nonzero}"
        )))
        .fetch_all(&mut *conn)
        .await?;
        debug_assert!(n > 1);
        rows.extend(got);
    }
    let flags: Vec<String> = sqlx::query_scalar(
        "SELECT 'flags|' || month || '|' || CAST(wall_matter_id AS TEXT) || '|' || rule_kind || '|' || reason_code || '|' || CAST(flags AS TEXT) || '|' || CAST(overridden AS TEXT) || '|' || CAST(savings_e4 AS TEXT) FROM spend_flag_month WHERE flags <> 0",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.extend(flags);
    rows.sort();
    Ok(rows)
}

/// Compares the rollups with a rebuild from the line items (rolled back); returns the rows
/// that differ (empty when they agree).
pub async fn verify(db: &crate::platform::db::Db) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let before = snapshot(&mut tx).await?;
    rebuild(&mut tx).await?;
    let after = snapshot(&mut tx).await?;
    tx.rollback().await?;
    let a: std::collections::BTreeSet<_> = before.into_iter().collect();
    let b: std::collections::BTreeSet<_> = after.into_iter().collect();
    Ok(a.symmetric_difference(&b).cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_sign_every_sum_and_add_on_conflict() {
        let (t, k, ke, v, ve, j) = ROLLUPS[0];
        let s = statement(t, k, ke, v, ve, j, -1, "i.id IN (7)");
        assert!(
            s.contains("(-1) * SUM(l.total_e4), (-1) * SUM(l.adjusted_total_e4), (-1) * SUM(CASE")
        );
        assert_eq!(s.matches("(-1) * SUM(").count(), 5);
        assert!(s.contains("ON CONFLICT (month, wall_matter_id, vendor_id) DO UPDATE SET billed_e4 = spend_vendor_month.billed_e4 + excluded.billed_e4"));
    }
}
