//! TransactWriteItems: building the request members and reading why it was cancelled.

use super::expr::to_map;
use super::{DynamoEngine, cond_expr, is_conflict, key_map};
use crate::store::{StoreError, StoreResult, TxOp};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Delete, Put, TransactWriteItem, Update as SdkUpdate,
};

impl DynamoEngine {
    /// One member of a TransactWriteItems request, with its own placeholders.
    pub(super) fn tx_item(&self, op: &TxOp, now: i64) -> StoreResult<TransactWriteItem> {
        let build_err = |e: aws_sdk_dynamodb::error::BuildError| {
            StoreError::Backend(format!("dynamodb transaction request: {e}"))
        };
        let item = match op {
            TxOp::Put { table, item, cond } => {
                let (e, text) = cond_expr(cond.as_ref(), now);
                let (names, values) = e.finish();
                let put = Put::builder()
                    .table_name(self.table(*table))
                    .set_item(Some(to_map(item)))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_err)?;
                TransactWriteItem::builder().put(put)
            }
            TxOp::Update {
                table,
                key,
                updates,
                cond,
            } => {
                let (mut e, text) = cond_expr(cond.as_ref(), now);
                let update_text = e.update(updates);
                let (names, values) = e.finish();
                let update = SdkUpdate::builder()
                    .table_name(self.table(*table))
                    .set_key(Some(key_map(key)))
                    .update_expression(update_text)
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_err)?;
                TransactWriteItem::builder().update(update)
            }
            TxOp::Delete { table, key, cond } => {
                let (e, text) = cond_expr(cond.as_ref(), now);
                let (names, values) = e.finish();
                let delete = Delete::builder()
                    .table_name(self.table(*table))
                    .set_key(Some(key_map(key)))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_err)?;
                TransactWriteItem::builder().delete(delete)
            }
            TxOp::Check { table, key, cond } => {
                let (e, text) = cond_expr(Some(cond), now);
                let (names, values) = e.finish();
                let check = ConditionCheck::builder()
                    .table_name(self.table(*table))
                    .set_key(Some(key_map(key)))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build_err)?;
                TransactWriteItem::builder().condition_check(check)
            }
        };
        Ok(item.build())
    }
}

/// Why a transaction was cancelled, from DynamoDB's CancellationReasons.
pub(super) enum Cancelled {
    /// Some conditions failed: `failed[i]` per op.
    Conditions(Vec<bool>),
    /// Lost a race or was throttled: nothing applied, worth retrying.
    Transient,
    /// An op was malformed (e.g. the item grew past 400 KB).
    Invalid(String),
}

pub(super) fn cancelled<R>(e: &SdkError<TransactWriteItemsError, R>) -> Option<Cancelled> {
    let TransactWriteItemsError::TransactionCanceledException(tce) = e.as_service_error()? else {
        return None;
    };
    let reasons = tce.cancellation_reasons();
    if reasons.iter().any(|r| code(r) == "ConditionalCheckFailed") {
        let failed = reasons
            .iter()
            .map(|r| code(r) == "ConditionalCheckFailed")
            .collect();
        return Some(Cancelled::Conditions(failed));
    }
    if let Some(r) = reasons.iter().find(|r| code(r) == "ValidationError") {
        let msg = r.message().unwrap_or("validation error").to_owned();
        return Some(Cancelled::Invalid(format!(
            "dynamodb TransactWriteItems: {msg}"
        )));
    }
    let transient = [
        "None",
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
    ];
    reasons
        .iter()
        .all(|r| transient.contains(&code(r)))
        .then_some(Cancelled::Transient)
}

fn code(r: &CancellationReason) -> &str {
    r.code().unwrap_or("None")
}

pub(super) fn is_tx_transient<R>(e: &SdkError<TransactWriteItemsError, R>) -> bool {
    matches!(cancelled(e), Some(Cancelled::Transient)) || is_conflict(e)
}
