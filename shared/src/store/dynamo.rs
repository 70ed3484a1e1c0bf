//! The DynamoDB engine: the port on aws-sdk-dynamodb, the only module that names SDK types.

mod expr;
mod tables;
mod tx;

use super::{
    Cond, EXPIRES_AT, GSI1PK, GSI1SK, Item, Key, PK, Page, Query, SK, SkRange, Store, StoreError,
    StoreResult, Table, TableNames, TxOp, Update, check, now_secs,
};
use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use expr::{AttrMap, Expr, from_map, to_map};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use tx::{Cancelled, cancelled, is_tx_transient};

/// Attempts for a write that lost a race with a concurrent transaction (not a failed check).
const MAX_ATTEMPTS: u32 = 5;

/// Item store on DynamoDB tables named by a [`TableNames`].
#[derive(Clone)]
pub struct DynamoEngine {
    client: Client,
    names: TableNames,
}

impl std::fmt::Debug for DynamoEngine {
    // Hand-written so no client configuration (credential providers) is ever printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoEngine")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

fn backend<E, R>(op: &str, e: &SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    // The SDK's error text carries codes and messages, never the signing credentials.
    StoreError::Backend(format!("dynamodb {op}: {}", DisplayErrorContext(e)))
}

/// Map a single-item write or read error onto the port's errors.
fn map_err<E, R>(op: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e.code() {
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
        Some("ValidationException") => StoreError::Invalid(format!(
            "dynamodb {op}: {}",
            e.message().unwrap_or("validation error")
        )),
        _ => backend(op, &e),
    }
}

fn is_conflict<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.code() == Some("TransactionConflictException")
}

/// Retry `f` while `retryable` says its error is transient, with jittered backoff.
async fn retrying<T, E, Fut>(
    mut f: impl FnMut() -> Fut,
    retryable: impl Fn(&E) -> bool,
) -> Result<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(e) if attempt + 1 < MAX_ATTEMPTS && retryable(&e) => {
                let ms = 20 * 2u64.pow(attempt) + rand::random_range(0..20);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                attempt += 1;
            }
            r => return r,
        }
    }
}

fn key_map(key: &Key) -> AttrMap {
    [
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ]
    .into()
}

/// The condition placeholders of one request (or one transaction member).
fn cond_expr(cond: Option<&Cond>, now: i64) -> (Expr, Option<String>) {
    let mut e = Expr::default();
    let text = cond.map(|c| e.cond(c, now));
    (e, text)
}

fn encode_cursor(lek: &AttrMap) -> StoreResult<String> {
    let mut parts = BTreeMap::new();
    for (k, v) in lek {
        let AttributeValue::S(s) = v else {
            return Err(StoreError::Backend(format!("non-string key attribute {k}")));
        };
        parts.insert(k.as_str(), s.as_str());
    }
    let json = serde_json::to_vec(&parts).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

fn decode_cursor(c: &str, q: &Query) -> StoreResult<AttrMap> {
    let bad = || StoreError::Invalid("bad cursor".into());
    let json = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let parts: BTreeMap<String, String> = serde_json::from_slice(&json).map_err(|_| bad())?;
    let (pk_name, want): (&str, &[&str]) = if q.gsi1 {
        (GSI1PK, &[PK, SK, GSI1PK, GSI1SK])
    } else {
        (PK, &[PK, SK])
    };
    let shape_ok = parts.len() == want.len() && want.iter().all(|k| parts.contains_key(*k));
    if !shape_ok || parts.get(pk_name) != Some(&q.pk) {
        return Err(bad());
    }
    Ok(parts
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

impl DynamoEngine {
    /// An engine on an already configured client.
    pub fn new(client: Client, names: TableNames) -> Self {
        DynamoEngine { client, names }
    }

    /// An engine configured from the environment (region, credentials, and
    /// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` for a local endpoint).
    pub async fn from_env(prefix: &str) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Self::new(Client::new(&config), TableNames::with_prefix(prefix))
    }

    /// An engine on a local DynamoDB-compatible endpoint (moto, DynamoDB Local) with dummy
    /// credentials and region us-east-1, whatever the environment says.
    pub async fn for_endpoint(endpoint_url: &str, prefix: &str) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint_url)
            .region(aws_config::Region::new("us-east-1"))
            .test_credentials()
            .load()
            .await;
        Self::new(Client::new(&config), TableNames::with_prefix(prefix))
    }

    /// The physical table names this engine uses.
    pub fn names(&self) -> &TableNames {
        &self.names
    }

    fn table(&self, t: Table) -> &str {
        self.names.get(t)
    }
}

#[async_trait]
impl Store for DynamoEngine {
    async fn get(&self, table: Table, key: &Key) -> StoreResult<Option<Item>> {
        check::key(key)?;
        let out = self
            .client
            .get_item()
            .table_name(self.table(table))
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| map_err("GetItem", e))?;
        let now = now_secs();
        Ok(out
            .item
            .map(from_map)
            .transpose()?
            .filter(|i| !i.is_expired(now)))
    }

    async fn put(&self, table: Table, item: Item, cond: Option<Cond>) -> StoreResult<()> {
        check::item(&item)?;
        check::opt_cond(cond.as_ref())?;
        let (e, text) = cond_expr(cond.as_ref(), now_secs());
        let (names, values) = e.finish();
        let req = self
            .client
            .put_item()
            .table_name(self.table(table))
            .set_item(Some(to_map(&item)))
            .set_condition_expression(text)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values);
        retrying(|| req.clone().send(), is_conflict)
            .await
            .map_err(|e| map_err("PutItem", e))?;
        Ok(())
    }

    async fn update(
        &self,
        table: Table,
        key: &Key,
        updates: &[Update],
        cond: Option<Cond>,
    ) -> StoreResult<Item> {
        check::key(key)?;
        check::updates(updates)?;
        check::opt_cond(cond.as_ref())?;
        let (mut e, text) = cond_expr(cond.as_ref(), now_secs());
        let update_text = e.update(updates);
        let (names, values) = e.finish();
        let req = self
            .client
            .update_item()
            .table_name(self.table(table))
            .set_key(Some(key_map(key)))
            .update_expression(update_text)
            .set_condition_expression(text)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values(ReturnValue::AllNew);
        let out = retrying(|| req.clone().send(), is_conflict)
            .await
            .map_err(|e| map_err("UpdateItem", e))?;
        let attrs = out
            .attributes
            .ok_or_else(|| StoreError::Backend("dynamodb UpdateItem returned no item".into()))?;
        from_map(attrs)
    }

    async fn delete(&self, table: Table, key: &Key, cond: Option<Cond>) -> StoreResult<()> {
        check::key(key)?;
        check::opt_cond(cond.as_ref())?;
        let (e, text) = cond_expr(cond.as_ref(), now_secs());
        let (names, values) = e.finish();
        let req = self
            .client
            .delete_item()
            .table_name(self.table(table))
            .set_key(Some(key_map(key)))
            .set_condition_expression(text)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values);
        retrying(|| req.clone().send(), is_conflict)
            .await
            .map_err(|e| map_err("DeleteItem", e))?;
        Ok(())
    }

    async fn transact(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        check::tx(&ops)?;
        if ops.is_empty() {
            return Ok(());
        }
        let now = now_secs();
        let items = ops
            .iter()
            .map(|op| self.tx_item(op, now))
            .collect::<StoreResult<Vec<_>>>()?;
        let req = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items));
        match retrying(|| req.clone().send(), is_tx_transient).await {
            Ok(_) => Ok(()),
            Err(e) => match cancelled(&e) {
                Some(Cancelled::Conditions(failed)) => {
                    Err(StoreError::TransactionCanceled { failed })
                }
                Some(Cancelled::Invalid(msg)) => Err(StoreError::Invalid(msg)),
                _ => Err(map_err("TransactWriteItems", e)),
            },
        }
    }

    async fn query(&self, q: Query) -> StoreResult<Page> {
        check::query(&q)?;
        let mut e = Expr::default();
        let (pk_name, sk_name) = if q.gsi1 { (GSI1PK, GSI1SK) } else { (PK, SK) };
        let pk_ph = e.name(pk_name);
        let pk_v = e.value(AttributeValue::S(q.pk.clone()));
        let mut key_cond = format!("{pk_ph} = {pk_v}");
        match &q.sk {
            SkRange::All => {}
            SkRange::Prefix(p) if p.is_empty() => {}
            SkRange::Prefix(p) => {
                let (sk, p) = (e.name(sk_name), e.value(AttributeValue::S(p.clone())));
                key_cond.push_str(&format!(" AND begins_with({sk}, {p})"));
            }
            SkRange::Between(a, b) => {
                let sk = e.name(sk_name);
                let a = e.value(AttributeValue::S(a.clone()));
                let b = e.value(AttributeValue::S(b.clone()));
                key_cond.push_str(&format!(" AND {sk} BETWEEN {a} AND {b}"));
            }
        }
        // Server-side filtering saves transfer; the client-side check below is what counts.
        let now = now_secs();
        let exp = e.name(EXPIRES_AT);
        let now_v = e.value(AttributeValue::N(now.to_string()));
        let filter = format!("attribute_not_exists({exp}) OR {exp} > {now_v}");
        let start = q
            .cursor
            .as_deref()
            .map(|c| decode_cursor(c, &q))
            .transpose()?;
        let (names, values) = e.finish();
        let out = self
            .client
            .query()
            .table_name(self.table(q.table))
            .set_index_name(q.gsi1.then(|| "gsi1".to_owned()))
            // GSIs only offer eventually consistent reads.
            .consistent_read(!q.gsi1)
            .key_condition_expression(key_cond)
            .filter_expression(filter)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .scan_index_forward(q.forward)
            .limit(i32::try_from(q.limit).unwrap_or(1000))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| map_err("Query", e))?;
        let mut items = Vec::new();
        for raw in out.items.unwrap_or_default() {
            let item = from_map(raw)?;
            if !item.is_expired(now) {
                items.push(item);
            }
        }
        let next = out
            .last_evaluated_key
            .as_ref()
            .map(encode_cursor)
            .transpose()?;
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_partition() {
        let lek: AttrMap = [
            (PK.to_owned(), AttributeValue::S("key1".into())),
            (SK.to_owned(), AttributeValue::S("meta".into())),
            (GSI1PK.to_owned(), AttributeValue::S("acct".into())),
            (GSI1SK.to_owned(), AttributeValue::S("c#1".into())),
        ]
        .into();
        let c = encode_cursor(&lek).ok();
        let q = Query::new(Table::Keys, "acct").gsi1();
        let back = c.as_deref().map(|c| decode_cursor(c, &q).ok());
        assert_eq!(back, Some(Some(lek)));
        let other = Query::new(Table::Keys, "acct2").gsi1();
        assert!(
            c.as_deref()
                .is_some_and(|c| decode_cursor(c, &other).is_err())
        );
        let table = Query::new(Table::Keys, "key1");
        assert!(
            c.as_deref()
                .is_some_and(|c| decode_cursor(c, &table).is_err())
        );
        assert!(decode_cursor("%%", &q).is_err());
    }
}
