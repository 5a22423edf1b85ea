//! Backup and restore of an embedded (SQLite) installation: one tar file holding a consistent
//! online snapshot of the database (`VACUUM INTO`, safe while lexops runs) and the encrypted
//! document objects it refers to, with a manifest of SHA-256 sums. The master key is never
//! included: keep it apart. PostgreSQL installations are backed up with `pg_dump` plus the
//! `documents` directory.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::app::App;
use super::db::Backend;

/// The manifest stored as `manifest.json` in a backup.
#[derive(Serialize, Deserialize, Debug)]
pub struct Manifest {
    pub format: u32,
    pub lexops_version: String,
    pub created_at: String,
    pub database_sha256: String,
    pub documents: Vec<String>,
}

fn sha_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn object_file(data_dir: &Path, sha: &str) -> std::path::PathBuf {
    data_dir
        .join("documents")
        .join("blobs")
        .join(&sha[..2])
        .join(&sha[2..4])
        .join(sha)
}

/// Writes a backup of a running or stopped installation to `out`.
pub async fn backup(app: &App, out: &Path) -> anyhow::Result<Manifest> {
    anyhow::ensure!(
        app.db.backend() == Backend::Sqlite,
        "lexops backup covers the embedded SQLite database; for PostgreSQL use pg_dump and copy the documents directory"
    );
    let tmp = tempfile_in(out)?;
    let snapshot = tmp.join("lexops.db");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "VACUUM INTO '{}'",
        snapshot.display().to_string().replace('\'', "''")
    )))
    .execute(app.db.pool())
    .await?;
    // The document list comes from the snapshot itself, so the two agree.
    let snap_db = super::db::Db::connect(&format!("sqlite://{}", snapshot.display())).await?;
    let documents: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM blobs ORDER BY sha256")
        .fetch_all(snap_db.pool())
        .await?;
    snap_db.close().await;
    let manifest = Manifest {
        format: 1,
        lexops_version: env!("CARGO_PKG_VERSION").into(),
        created_at: app.clock.now_text(),
        database_sha256: sha_file(&snapshot)?,
        documents,
    };
    let partial = out.with_extension("partial");
    {
        let f = File::create(&partial)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", partial.display()))?;
        let mut tar = tar::Builder::new(f);
        let m = serde_json::to_vec_pretty(&manifest)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(m.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, "manifest.json", m.as_slice())?;
        tar.append_path_with_name(&snapshot, "lexops.db")?;
        for sha in &manifest.documents {
            let p = object_file(&app.settings.data_dir, sha);
            tar.append_path_with_name(
                &p,
                format!("documents/blobs/{}/{}/{}", &sha[..2], &sha[2..4], sha),
            )
            .map_err(|e| {
                anyhow::anyhow!(
                    "document {sha} is missing from the store ({e}): run `lexops blobs verify`"
                )
            })?;
        }
        let f = tar.into_inner()?;
        f.sync_all()?;
    }
    std::fs::rename(&partial, out)?;
    std::fs::remove_dir_all(&tmp).ok();
    Ok(manifest)
}

fn tempfile_in(out: &Path) -> anyhow::Result<std::path::PathBuf> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".lexops-backup-{}", super::auth::random_hex(6)));
    std::fs::create_dir_all(&tmp)
        .map_err(|e| anyhow::anyhow!("cannot write next to {}: {e}", out.display()))?;
    Ok(tmp)
}

/// Restores a backup into an empty (or absent) data directory, checking every checksum.
pub fn restore(file: &Path, data_dir: &Path) -> anyhow::Result<Manifest> {
    if data_dir.exists() {
        let non_empty = std::fs::read_dir(data_dir)?
            .any(|e| e.map(|e| e.file_name() != "master.key").unwrap_or(true));
        anyhow::ensure!(
            !non_empty,
            "the data directory {} is not empty: restore only into an empty directory (a master.key file may be there)",
            data_dir.display()
        );
    }
    std::fs::create_dir_all(data_dir)?;
    let staging = data_dir.join(".restore");
    std::fs::create_dir_all(&staging)?;
    let f = File::open(file)
        .map_err(|e| anyhow::anyhow!("cannot open the backup {}: {e}", file.display()))?;
    let mut archive = tar::Archive::new(f);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let ok = path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        anyhow::ensure!(ok, "the backup contains an unsafe path {}", path.display());
        let dest = staging.join(&path);
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p)?;
        }
        let mut out = File::create(&dest)?;
        std::io::copy(&mut entry, &mut out)?;
        out.flush()?;
        out.sync_all()?;
    }
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(staging.join("manifest.json")).map_err(|_| {
            anyhow::anyhow!(
                "{} is not a lexops backup (no manifest.json)",
                file.display()
            )
        })?)?;
    anyhow::ensure!(
        sha_file(&staging.join("lexops.db"))? == manifest.database_sha256,
        "the database in the backup does not match its checksum: the backup file is damaged"
    );
    for sha in &manifest.documents {
        let p = staging
            .join("documents/blobs")
            .join(&sha[..2])
            .join(&sha[2..4])
            .join(sha);
        anyhow::ensure!(
            p.exists(),
            "document {sha} listed in the manifest is missing from the backup"
        );
    }
    std::fs::rename(staging.join("lexops.db"), data_dir.join("lexops.db"))?;
    if staging.join("documents").exists() {
        std::fs::rename(staging.join("documents"), data_dir.join("documents"))?;
    }
    std::fs::remove_dir_all(&staging).ok();
    Ok(manifest)
}
