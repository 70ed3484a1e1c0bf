//! A fake Amazon S3 Vectors (REST JSON, `POST /<Operation>`) on a loopback port, written from
//! the API reference: CreateIndex, PutVectors, GetVectors, QueryVectors (exact search, the
//! documented metadata-filter operators), DeleteVectors. It enforces the documented limits the
//! engine must respect (500 vectors per PutVectors/DeleteVectors, 100 keys per GetVectors, top-K
//! at most 100, index names, dimensions, 50 metadata keys, no filtering on non-filterable keys)
//! and records every call. Errors are sent as the SDK reads them (`x-amzn-errortype`).

use crate::fake_filter::{check_filter_keys, matches};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

/// The bucket the fake starts with.
pub const BUCKET: &str = "vb";

#[derive(Clone, Debug)]
pub struct Index {
    pub dimension: usize,
    pub metric: String,
    pub non_filterable: Vec<String>,
    pub vectors: BTreeMap<String, (Vec<f32>, Map<String, Value>)>,
}

#[derive(Default)]
struct Inner {
    indexes: BTreeMap<(String, String), Index>,
    calls: Vec<(String, Value)>,
}

/// Handle on the running fake.
#[derive(Clone)]
pub struct FakeS3Vectors {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

type Answer = Result<Value, (StatusCode, &'static str, String)>;

fn invalid(msg: impl Into<String>) -> (StatusCode, &'static str, String) {
    (StatusCode::BAD_REQUEST, "ValidationException", msg.into())
}

fn not_found(what: &str) -> (StatusCode, &'static str, String) {
    (
        StatusCode::NOT_FOUND,
        "NotFoundException",
        format!("The specified {what} could not be found"),
    )
}

impl FakeS3Vectors {
    pub async fn start() -> FakeS3Vectors {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/{op}", post(handle))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeS3Vectors { url, inner }
    }

    /// Every call so far: (operation, request body).
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn calls_to(&self, op: &str) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|(o, _)| o == op)
            .map(|(_, b)| b)
            .collect()
    }

    pub fn forget_calls(&self) {
        self.inner.lock().unwrap().calls.clear();
    }

    pub fn indexes(&self) -> BTreeMap<(String, String), Index> {
        self.inner.lock().unwrap().indexes.clone()
    }

    /// Deletes an index behind the engine's back.
    pub fn drop_index(&self, name: &str) {
        self.inner
            .lock()
            .unwrap()
            .indexes
            .retain(|(_, n), _| n != name);
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(op): Path<String>,
    body: Bytes,
) -> Response {
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut inner = inner.lock().unwrap();
    inner.calls.push((op.clone(), req.clone()));
    let answer = match op.as_str() {
        "CreateIndex" => create_index(&mut inner, &req),
        "PutVectors" => put_vectors(&mut inner, &req),
        "GetVectors" => get_vectors(&mut inner, &req),
        "QueryVectors" => query_vectors(&mut inner, &req),
        "DeleteVectors" => delete_vectors(&mut inner, &req),
        other => Err(invalid(format!("the fake does not implement {other}"))),
    };
    match answer {
        Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        Err((status, code, message)) => (
            status,
            [("x-amzn-errortype", code)],
            axum::Json(json!({ "message": message })),
        )
            .into_response(),
    }
}

fn target(req: &Value) -> Result<(String, String), (StatusCode, &'static str, String)> {
    match (req["vectorBucketName"].as_str(), req["indexName"].as_str()) {
        (Some(b), Some(i)) => Ok((b.to_string(), i.to_string())),
        _ => Err(invalid(
            "Must specify either indexArn or both vectorBucketName and indexName",
        )),
    }
}

fn index<'a>(
    inner: &'a mut Inner,
    req: &Value,
) -> Result<&'a mut Index, (StatusCode, &'static str, String)> {
    let t = target(req)?;
    if t.0 != BUCKET {
        return Err(not_found("vector bucket"));
    }
    inner.indexes.get_mut(&t).ok_or_else(|| not_found("index"))
}

fn create_index(inner: &mut Inner, req: &Value) -> Answer {
    let (bucket, name) = target(req)?;
    if bucket != BUCKET {
        return Err(not_found("vector bucket"));
    }
    let valid_name = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    if !valid_name {
        return Err(invalid(format!("Invalid index name {name}")));
    }
    let dimension = req["dimension"].as_u64().unwrap_or(0) as usize;
    if !(1..=4096).contains(&dimension) || req["dataType"] != "float32" {
        return Err(invalid("dimension must be 1..4096 and dataType float32"));
    }
    let metric = req["distanceMetric"].as_str().unwrap_or("").to_string();
    if metric != "cosine" && metric != "euclidean" {
        return Err(invalid("distanceMetric must be cosine or euclidean"));
    }
    if inner.indexes.contains_key(&(bucket.clone(), name.clone())) {
        return Err((
            StatusCode::CONFLICT,
            "ConflictException",
            "The index already exists".into(),
        ));
    }
    let non_filterable = req["metadataConfiguration"]["nonFilterableMetadataKeys"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let idx = Index {
        dimension,
        metric,
        non_filterable,
        vectors: BTreeMap::new(),
    };
    inner.indexes.insert((bucket, name), idx);
    Ok(json!({}))
}

fn put_vectors(inner: &mut Inner, req: &Value) -> Answer {
    let idx = index(inner, req)?;
    let vectors = req["vectors"].as_array().cloned().unwrap_or_default();
    if vectors.is_empty() || vectors.len() > 500 {
        return Err(invalid(format!(
            "{} vectors: must be 1..500",
            vectors.len()
        )));
    }
    let mut keys = HashSet::new();
    let mut staged = Vec::new();
    for v in &vectors {
        let key = v["key"].as_str().unwrap_or("").to_string();
        if key.is_empty() || key.len() > 1024 || !keys.insert(key.clone()) {
            return Err(invalid(format!("bad or repeated key {key:?}")));
        }
        let data: Vec<f32> = v["data"]["float32"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_f64())
                    .map(|x| x as f32)
                    .collect()
            })
            .unwrap_or_default();
        if data.len() != idx.dimension {
            return Err(invalid(format!(
                "Invalid record for key '{key}': vector must have length {}, but has length {}",
                idx.dimension,
                data.len()
            )));
        }
        if idx.metric == "cosine" && data.iter().all(|&x| x == 0.0) {
            return Err(invalid("zero vectors are not allowed for cosine"));
        }
        let meta = v["metadata"].as_object().cloned().unwrap_or_default();
        let filterable: usize = meta
            .iter()
            .filter(|(k, _)| !idx.non_filterable.contains(k))
            .map(|(k, v)| k.len() + v.to_string().len())
            .sum();
        if meta.len() > 50 || filterable > 2048 {
            return Err(invalid(format!("metadata of {key} exceeds the limits")));
        }
        staged.push((key, data, meta));
    }
    for (key, data, meta) in staged {
        idx.vectors.insert(key, (data, meta));
    }
    Ok(json!({}))
}

fn keys_of(req: &Value, max: usize) -> Result<Vec<String>, (StatusCode, &'static str, String)> {
    let keys: Vec<String> = req["keys"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() || keys.len() > max {
        return Err(invalid(format!("{} keys: must be 1..{max}", keys.len())));
    }
    Ok(keys)
}

fn get_vectors(inner: &mut Inner, req: &Value) -> Answer {
    let keys = keys_of(req, 100)?;
    let idx = index(inner, req)?;
    let (data, meta) = (req["returnData"] == true, req["returnMetadata"] == true);
    let found: Vec<Value> = keys
        .iter()
        .filter_map(|k| idx.vectors.get(k).map(|v| (k, v)))
        .map(|(k, (d, m))| {
            let mut o = json!({ "key": k });
            if data {
                o["data"] = json!({ "float32": d });
            }
            if meta {
                o["metadata"] = Value::Object(m.clone());
            }
            o
        })
        .collect();
    Ok(json!({ "vectors": found }))
}

fn delete_vectors(inner: &mut Inner, req: &Value) -> Answer {
    let keys = keys_of(req, 500)?;
    let idx = index(inner, req)?;
    for k in keys {
        idx.vectors.remove(&k);
    }
    Ok(json!({}))
}

fn distance(metric: &str, q: &[f32], v: &[f32]) -> f32 {
    let dot: f64 = q
        .iter()
        .zip(v)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum();
    let norm = |x: &[f32]| x.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
    if metric == "cosine" {
        (1.0 - dot / (norm(q) * norm(v))) as f32
    } else {
        q.iter()
            .zip(v)
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
            .sum::<f64>()
            .sqrt() as f32
    }
}

fn query_vectors(inner: &mut Inner, req: &Value) -> Answer {
    let top_k = req["topK"].as_u64().unwrap_or(0) as usize;
    if !(1..=100).contains(&top_k) {
        return Err(invalid(format!("topK {top_k} must be 1..100")));
    }
    let idx = index(inner, req)?;
    let q: Vec<f32> = req["queryVector"]["float32"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_f64())
                .map(|x| x as f32)
                .collect()
        })
        .unwrap_or_default();
    if q.len() != idx.dimension {
        return Err(invalid("query vector has the wrong dimension"));
    }
    let filter = req.get("filter").filter(|f| !f.is_null());
    if let Some(f) = filter {
        check_filter_keys(f, &idx.non_filterable)?;
    }
    let mut hits = Vec::new();
    for (key, (data, meta)) in &idx.vectors {
        if filter.is_none_or(|f| matches(f, meta)) {
            hits.push((distance(&idx.metric, &q, data), key, meta));
        }
    }
    hits.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    let out: Vec<Value> = hits
        .into_iter()
        .take(top_k)
        .map(|(d, key, meta)| {
            let mut o = json!({ "key": key });
            if req["returnDistance"] == true {
                o["distance"] = json!(d);
            }
            if req["returnMetadata"] == true {
                o["metadata"] = Value::Object(meta.clone());
            }
            o
        })
        .collect();
    Ok(json!({ "vectors": out, "distanceMetric": idx.metric }))
}
