// TEMP placeholder for compile check
use super::*;
pub struct DynamoEngine;
impl DynamoEngine { pub async fn from_env(_p: &str) -> Self { DynamoEngine } }
#[async_trait]
impl Store for DynamoEngine {
    async fn get(&self, _t: Table, _k: &Key) -> StoreResult<Option<Item>> { todo!() }
    async fn put(&self, _t: Table, _i: Item, _c: Option<Cond>) -> StoreResult<()> { todo!() }
    async fn update(&self, _t: Table, _k: &Key, _u: &[Update], _c: Option<Cond>) -> StoreResult<Item> { todo!() }
    async fn delete(&self, _t: Table, _k: &Key, _c: Option<Cond>) -> StoreResult<()> { todo!() }
    async fn transact(&self, _o: Vec<TxOp>) -> StoreResult<()> { todo!() }
    async fn query(&self, _q: Query) -> StoreResult<Page> { todo!() }
}
