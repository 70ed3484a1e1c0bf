//! SQLite persistence (WAL) of collections and points; read back whole on open.

use super::collection::Collection;
use crate::vectors::{Distance, Namespace, Payload, PointId, VectorError};
use rusqlite::{Connection, params};
use std::collections::HashMap;
use std::path::Path;

type Result<T> = std::result::Result<T, VectorError>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS vector_collections (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    distance TEXT NOT NULL,
    PRIMARY KEY (namespace, name)
);
CREATE TABLE IF NOT EXISTS vector_points (
    namespace TEXT NOT NULL,
    collection TEXT NOT NULL,
    id_kind INTEGER NOT NULL,
    id TEXT NOT NULL,
    vector BLOB NOT NULL,
    payload TEXT,
    PRIMARY KEY (namespace, collection, id_kind, id)
);";

/// `id_kind` column values: ids keep their type, so `5` and `"5"` stay distinct.
const KIND_NUM: i64 = 0;
const KIND_STR: i64 = 1;

/// (namespace, collection name) → collection, as loaded on open.
pub(crate) type Loaded = HashMap<(Namespace, String), Collection>;

/// The SQLite side of the engine.
pub(crate) struct Store {
    conn: Connection,
}

fn id_columns(id: &PointId) -> (i64, String) {
    match id {
        PointId::Num(n) => (KIND_NUM, n.to_string()),
        PointId::Str(s) => (KIND_STR, s.clone()),
    }
}

fn id_from_columns(kind: i64, text: String) -> Result<PointId> {
    match kind {
        KIND_NUM => text
            .parse()
            .map(PointId::Num)
            .map_err(|_| VectorError::Storage(format!("corrupt numeric point id '{text}'"))),
        KIND_STR => Ok(PointId::Str(text)),
        other => Err(VectorError::Storage(format!(
            "unknown point id kind {other}"
        ))),
    }
}

fn vector_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn blob_vector(b: &[u8], dim: usize) -> Result<Vec<f32>> {
    if b.len() != dim * 4 {
        return Err(VectorError::Storage(format!(
            "stored vector has {} bytes, expected {}",
            b.len(),
            dim * 4
        )));
    }
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

impl Store {
    pub(crate) fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn })
    }

    pub(crate) fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn })
    }

    /// Every collection with its points.
    pub(crate) fn load(&self) -> Result<Loaded> {
        let mut out: Loaded = HashMap::new();
        let mut dims: HashMap<(String, String), usize> = HashMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT c.namespace, c.name, c.dimension, c.distance,
                    (SELECT COUNT(*) FROM vector_points p
                     WHERE p.namespace = c.namespace AND p.collection = c.name)
             FROM vector_collections c",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in rows {
            let (ns, name, dim, distance, count) = row?;
            let distance = Distance::parse(&distance)
                .ok_or_else(|| VectorError::Storage(format!("unknown distance '{distance}'")))?;
            let dim =
                usize::try_from(dim).map_err(|_| VectorError::Storage("bad dimension".into()))?;
            let mut c = Collection::new(dim, distance);
            c.reserve(usize::try_from(count).unwrap_or(0));
            dims.insert((ns.clone(), name.clone()), dim);
            out.insert((Namespace::for_account(ns), name), c);
        }
        let mut stmt = self.conn.prepare(
            "SELECT namespace, collection, id_kind, id, vector, payload FROM vector_points",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let ns: String = r.get(0)?;
            let name: String = r.get(1)?;
            let key = (ns, name);
            let dim = *dims.get(&key).ok_or_else(|| {
                VectorError::Storage(format!("points of unknown collection '{}'", key.1))
            })?;
            let id = id_from_columns(r.get(2)?, r.get(3)?)?;
            let blob = r
                .get_ref(4)?
                .as_blob()
                .map_err(|e| VectorError::Storage(e.to_string()))?;
            let vector = blob_vector(blob, dim)?;
            let payload: Option<Payload> = match r.get::<_, Option<String>>(5)? {
                Some(text) => Some(
                    serde_json::from_str(&text).map_err(|e| VectorError::Storage(e.to_string()))?,
                ),
                None => None,
            };
            let (ns, name) = key;
            if let Some(c) = out.get_mut(&(Namespace::for_account(ns), name)) {
                c.upsert(id, &vector, payload);
            }
        }
        Ok(out)
    }

    pub(crate) fn create_collection(
        &self,
        ns: &Namespace,
        name: &str,
        dim: usize,
        distance: Distance,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO vector_collections (namespace, name, dimension, distance)
             VALUES (?1, ?2, ?3, ?4)",
            params![ns.as_str(), name, dim as i64, distance.as_str()],
        )?;
        Ok(())
    }

    /// Writes points (replacing same ids) in one transaction.
    pub(crate) fn upsert_points<'a>(
        &mut self,
        ns: &Namespace,
        name: &str,
        points: impl Iterator<Item = (&'a PointId, &'a [f32], Option<&'a Payload>)>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO vector_points (namespace, collection, id_kind, id, vector, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (id, vector, payload) in points {
                let (kind, text) = id_columns(id);
                let payload = payload
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| VectorError::Storage(e.to_string()))?;
                stmt.execute(params![
                    ns.as_str(),
                    name,
                    kind,
                    text,
                    vector_blob(vector),
                    payload
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes points by id in one transaction.
    pub(crate) fn delete_points(
        &mut self,
        ns: &Namespace,
        name: &str,
        ids: &[PointId],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "DELETE FROM vector_points WHERE namespace = ?1 AND collection = ?2 AND id_kind = ?3 AND id = ?4",
            )?;
            for id in ids {
                let (kind, text) = id_columns(id);
                stmt.execute(params![ns.as_str(), name, kind, text])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes these collections of `ns` and their points in one transaction.
    pub(crate) fn drop_collections(&mut self, ns: &Namespace, names: &[String]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for name in names {
            tx.execute(
                "DELETE FROM vector_points WHERE namespace = ?1 AND collection = ?2",
                params![ns.as_str(), name],
            )?;
            tx.execute(
                "DELETE FROM vector_collections WHERE namespace = ?1 AND name = ?2",
                params![ns.as_str(), name],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
