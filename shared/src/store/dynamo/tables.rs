//! Table creation for tests and local runs (production tables come from the infra template).

use super::{DynamoEngine, backend};
use crate::store::{EXPIRES_AT, GSI1PK, GSI1SK, PK, SK, StoreError, StoreResult, Table};
use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use std::time::Duration;

/// How long to wait for new tables to become ACTIVE (moto: at once; DynamoDB: seconds).
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

fn build_err(e: BuildError) -> StoreError {
    StoreError::Backend(format!("dynamodb table request: {e}"))
}

fn key_schema(pk: &str, sk: &str) -> Result<Vec<KeySchemaElement>, BuildError> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(pk)
            .key_type(KeyType::Hash)
            .build()?,
        KeySchemaElement::builder()
            .attribute_name(sk)
            .key_type(KeyType::Range)
            .build()?,
    ])
}

fn string_attrs(names: &[&str]) -> Result<Vec<AttributeDefinition>, BuildError> {
    names
        .iter()
        .map(|n| {
            AttributeDefinition::builder()
                .attribute_name(*n)
                .attribute_type(ScalarAttributeType::S)
                .build()
        })
        .collect()
}

impl DynamoEngine {
    /// Create every table (pk/sk strings, `gsi1` where the table has it, on-demand billing,
    /// TTL on `expires_at`) and wait until they are ACTIVE. Existing tables are left alone.
    pub async fn create_tables(&self) -> StoreResult<()> {
        for t in Table::ALL {
            self.create_table(t).await?;
        }
        for t in Table::ALL {
            self.wait_active(t).await?;
            self.enable_ttl(t).await?;
        }
        Ok(())
    }

    async fn create_table(&self, t: Table) -> StoreResult<()> {
        let mut req = self
            .client
            .create_table()
            .table_name(self.table(t))
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(PK, SK).map_err(build_err)?));
        if t.has_gsi1() {
            let gsi = GlobalSecondaryIndex::builder()
                .index_name("gsi1")
                .set_key_schema(Some(key_schema(GSI1PK, GSI1SK).map_err(build_err)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(build_err)?;
            req = req
                .global_secondary_indexes(gsi)
                .set_attribute_definitions(Some(
                    string_attrs(&[PK, SK, GSI1PK, GSI1SK]).map_err(build_err)?,
                ));
        } else {
            req = req.set_attribute_definitions(Some(string_attrs(&[PK, SK]).map_err(build_err)?));
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ResourceInUseException") => Ok(()),
            Err(e) => Err(backend("CreateTable", &e)),
        }
    }

    async fn wait_active(&self, t: Table) -> StoreResult<()> {
        let start = tokio::time::Instant::now();
        loop {
            let out = self
                .client
                .describe_table()
                .table_name(self.table(t))
                .send()
                .await
                .map_err(|e| backend("DescribeTable", &e))?;
            let status = out.table.and_then(|d| d.table_status);
            if status == Some(TableStatus::Active) {
                return Ok(());
            }
            if start.elapsed() > ACTIVE_TIMEOUT {
                return Err(StoreError::Backend(format!(
                    "table {} not ACTIVE after {ACTIVE_TIMEOUT:?}",
                    self.table(t)
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn enable_ttl(&self, t: Table) -> StoreResult<()> {
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(EXPIRES_AT)
            .enabled(true)
            .build()
            .map_err(build_err)?;
        match self
            .client
            .update_time_to_live()
            .table_name(self.table(t))
            .time_to_live_specification(spec)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Already enabled (a rerun, or another test process got there first).
            Err(e) if e.code() == Some("ValidationException") => Ok(()),
            Err(e) => Err(backend("UpdateTimeToLive", &e)),
        }
    }
}
