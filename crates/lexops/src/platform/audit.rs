//! The audit trail: an append-only, hash-chained table written in the same transaction as each
//! change. Event n stores `hash_n = SHA-256(hash_{n-1} || "\n" || canonical JSON of event n)`;
//! the head row (`audit_head`) serialises writers (its `UPDATE` takes a row lock on PostgreSQL;
//! SQLite has one writer). [`verify`] recomputes the chain and names the first broken event.

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::db::{Db, Tx};

/// Who did it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn user(id: i64, email: &str) -> Actor {
        Actor {
            id: Some(id),
            label: email.to_string(),
        }
    }

    /// The system itself (jobs, migrations) or a CLI operator.
    pub fn system(label: &str) -> Actor {
        Actor {
            id: None,
            label: label.to_string(),
        }
    }
}

/// One change to append.
pub struct Change<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A stored audit event.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

fn event_hash(prev: &str, e: &AuditEvent) -> String {
    // serde_json's map is ordered by key, so this JSON is canonical.
    let canonical = json!({
        "seq": e.seq,
        "at": e.at,
        "actor_id": e.actor_id,
        "actor": e.actor,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "before": e.before_json,
        "after": e.after_json,
    });
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(canonical.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Appends one event inside the caller's transaction.
pub async fn record(
    tx: &mut Tx,
    at: &str,
    actor: &Actor,
    change: Change<'_>,
) -> Result<i64, sqlx::Error> {
    let (seq, prev): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut **tx)
            .await?;
    let mut e = AuditEvent {
        seq,
        at: at.to_string(),
        actor_id: actor.id,
        actor: actor.label.clone(),
        action: change.action.to_string(),
        object_type: change.object_type.to_string(),
        object_id: change.object_id,
        before_json: change.before.map(|v| v.to_string()),
        after_json: change.after.map(|v| v.to_string()),
        prev_hash: prev.clone(),
        hash: String::new(),
    };
    e.hash = event_hash(&prev, &e);
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor_id, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(e.seq)
    .bind(&e.at)
    .bind(e.actor_id)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.object_type)
    .bind(&e.object_id)
    .bind(&e.before_json)
    .bind(&e.after_json)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&e.hash)
        .execute(&mut **tx)
        .await?;
    Ok(seq)
}

/// Appends several events inside the caller's transaction with two round trips, however many
/// there are (bulk imports): the chain's places are claimed, then the events written. The chain
/// is the same as with one [`record`] per event. A caller with a [`super::db::Batch`] of its own
/// uses [`claim_into`] and [`chain_into`] instead.
pub async fn record_many(
    tx: &mut Tx,
    at: &str,
    actor: &Actor,
    changes: Vec<Change<'_>>,
) -> Result<(), sqlx::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let backend = super::db::backend_of(tx);
    let mut claim = super::db::Batch::new(backend);
    claim_into(&mut claim, changes.len());
    let head = claimed(&claim.fetch(tx).await?[0])?;
    let mut batch = super::db::Batch::new(backend);
    chain_into(&mut batch, head, at, actor, changes);
    batch.execute(tx).await
}

/// Adds to `batch` the statement that claims `n` places in the chain; [`claimed`] reads its
/// answer, which [`chain_into`] then fills (all in one transaction).
pub fn claim_into(batch: &mut super::db::Batch, n: usize) {
    let sql = format!(
        "UPDATE audit_head SET seq = seq + {} WHERE id = 1 RETURNING seq, hash",
        batch.param(1)
    );
    batch.statement(&sql).bind(n as i64);
}

/// The last sequence number claimed and the hash before the first, from [`claim_into`]'s rows.
pub fn claimed(rows: &[sqlx::any::AnyRow]) -> Result<(i64, String), sqlx::Error> {
    let mut v = super::db::decode::<(i64, String)>(rows)?;
    v.pop().ok_or(sqlx::Error::RowNotFound)
}

/// Adds to `batch` the events of `changes` in the places claimed (`head`: [`claimed`]) and the
/// chain's new hash.
pub fn chain_into(
    batch: &mut super::db::Batch,
    (last, prev): (i64, String),
    at: &str,
    actor: &Actor,
    changes: Vec<Change<'_>>,
) {
    if changes.is_empty() {
        return;
    }
    let n = changes.len() as i64;
    let mut prev = prev;
    let mut events = Vec::with_capacity(changes.len());
    for (k, change) in changes.into_iter().enumerate() {
        let mut e = AuditEvent {
            seq: last - n + 1 + k as i64,
            at: at.to_string(),
            actor_id: actor.id,
            actor: actor.label.clone(),
            action: change.action.to_string(),
            object_type: change.object_type.to_string(),
            object_id: change.object_id,
            before_json: change.before.map(|v| v.to_string()),
            after_json: change.after.map(|v| v.to_string()),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        e.hash = event_hash(&prev, &e);
        prev = e.hash.clone();
        events.push(e);
    }
    for chunk in events.chunks(500) {
        batch.rows(
            "INSERT INTO audit_events (seq, at, actor_id, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash) VALUES ",
            chunk.len(),
            11,
        );
        for e in chunk {
            batch
                .bind(e.seq)
                .bind(e.at.clone())
                .bind(e.actor_id)
                .bind(e.actor.clone())
                .bind(e.action.clone())
                .bind(e.object_type.clone())
                .bind(e.object_id.clone())
                .bind(e.before_json.clone())
                .bind(e.after_json.clone())
                .bind(e.prev_hash.clone())
                .bind(e.hash.clone());
        }
    }
    let head = format!(
        "UPDATE audit_head SET hash = {} WHERE id = 1",
        batch.param(1)
    );
    batch.statement(&head).bind(prev);
}

/// The outcome of [`verify`].
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct VerifyReport {
    /// Events checked.
    pub events: i64,
    /// True when the whole chain recomputes.
    pub ok: bool,
    /// The first event that does not fit, if any.
    pub first_broken_seq: Option<i64>,
    /// What is wrong with it.
    pub problem: Option<String>,
}

/// Recomputes the whole chain, in order, streaming.
pub async fn verify(db: &Db) -> Result<VerifyReport, sqlx::Error> {
    use futures_util::TryStreamExt;
    let mut rows = sqlx::query_as::<_, AuditEvent>(
        "SELECT seq, at, actor_id, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash \
         FROM audit_events ORDER BY seq",
    )
    .fetch(db.pool());
    let mut expected_seq = 1i64;
    let mut prev = "0".repeat(64);
    let mut count = 0i64;
    let broken = |seq: i64, count: i64, why: String| VerifyReport {
        events: count,
        ok: false,
        first_broken_seq: Some(seq),
        problem: Some(why),
    };
    while let Some(e) = rows.try_next().await? {
        count += 1;
        if e.seq != expected_seq {
            return Ok(broken(
                expected_seq,
                count,
                format!(
                    "event {expected_seq} is missing (next stored event is {})",
                    e.seq
                ),
            ));
        }
        if e.prev_hash != prev {
            return Ok(broken(
                e.seq,
                count,
                format!(
                    "event {} does not follow the event before it (previous hash differs): events were deleted, inserted or reordered",
                    e.seq
                ),
            ));
        }
        if event_hash(&prev, &e) != e.hash {
            return Ok(broken(
                e.seq,
                count,
                format!(
                    "event {} was altered: its content no longer matches its hash",
                    e.seq
                ),
            ));
        }
        prev = e.hash;
        expected_seq += 1;
    }
    drop(rows);
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(db.pool())
            .await?;
    if head_seq != expected_seq - 1 || head_hash != prev {
        return Ok(broken(
            expected_seq,
            count,
            format!(
                "the chain ends at event {} but {} events were written: the latest events were deleted",
                expected_seq - 1,
                head_seq
            ),
        ));
    }
    Ok(VerifyReport {
        events: count,
        ok: true,
        first_broken_seq: None,
        problem: None,
    })
}

/// A page of events, newest first, optionally filtered.
pub async fn list(
    db: &Db,
    object_type: Option<&str>,
    actor: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEvent>, i64), sqlx::Error> {
    let filter = "($1 = '' OR object_type = $1) AND ($2 = '' OR actor LIKE $2)";
    let ty = object_type.unwrap_or("");
    let actor_like = actor
        .filter(|a| !a.is_empty())
        .map(|a| format!("%{a}%"))
        .unwrap_or_default();
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM audit_events WHERE {filter}"
    )))
    .bind(ty)
    .bind(&actor_like)
    .fetch_one(db.pool())
    .await?;
    let rows = sqlx::query_as::<_, AuditEvent>(sqlx::AssertSqlSafe(format!(
        "SELECT seq, at, actor_id, actor, action, object_type, object_id, before_json, after_json, prev_hash, hash \
         FROM audit_events WHERE {filter} ORDER BY seq DESC LIMIT $3 OFFSET $4"
    )))
    .bind(ty)
    .bind(&actor_like)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64) -> AuditEvent {
        AuditEvent {
            seq,
            at: "2026-01-01T00:00:00.000000Z".into(),
            actor_id: Some(1),
            actor: "a@example.com".into(),
            action: "user.create".into(),
            object_type: "user".into(),
            object_id: "7".into(),
            before_json: None,
            after_json: Some("{\"x\":1}".into()),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn any_field_change_changes_the_hash() {
        let base = event_hash("p", &ev(1));
        let mut e = ev(1);
        e.actor = "b@example.com".into();
        assert_ne!(event_hash("p", &e), base);
        let mut e = ev(1);
        e.after_json = Some("{\"x\":2}".into());
        assert_ne!(event_hash("p", &e), base);
        assert_ne!(event_hash("q", &ev(1)), base);
        assert_ne!(event_hash("p", &ev(2)), base);
    }
}
