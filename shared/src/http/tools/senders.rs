//! Verified email senders per account: `/v1/email` sends only from these addresses, which an
//! operator registers (`hexaclaw admin email-sender add`) after verifying the domain at Resend.
//!
//! Stored in the accounts table, partition `SENDERS#<account>`, one item per lower-cased address.

use crate::accounts;
use crate::error::ApiError;
use crate::providers::resend;
use crate::store::{Item, Key, Query, StoreRef, Table};

fn key(account_id: &str, address: &str) -> Key {
    Key::new(format!("SENDERS#{account_id}"), address)
}

fn normalize(address: &str) -> Result<String, ApiError> {
    resend::address_of(address)
        .ok_or_else(|| ApiError::bad_request(format!("'{address}' is not an email address")))
}

/// Register `address` as a verified sender of the account (404 if there is no such account).
/// Returns the stored (lower-cased, bare) address.
pub async fn add(store: &StoreRef, account_id: &str, address: &str) -> Result<String, ApiError> {
    let addr = normalize(address)?;
    if accounts::get(store, account_id).await?.is_none() {
        return Err(ApiError::not_found(format!("No account '{account_id}'")));
    }
    let item = Item::new(&key(account_id, &addr))
        .with("address", addr.as_str())
        .with("added_at", crate::store::now_secs());
    store.put(Table::Accounts, item, None).await?;
    Ok(addr)
}

/// Remove a sender; returns whether it was registered.
pub async fn remove(store: &StoreRef, account_id: &str, address: &str) -> Result<bool, ApiError> {
    let addr = normalize(address)?;
    let k = key(account_id, &addr);
    let existed = store.get(Table::Accounts, &k).await?.is_some();
    store.delete(Table::Accounts, &k, None).await?;
    Ok(existed)
}

/// The account's verified senders, sorted.
pub async fn list(store: &StoreRef, account_id: &str) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .query(
                Query::new(Table::Accounts, format!("SENDERS#{account_id}"))
                    .limit(500)
                    .cursor(cursor),
            )
            .await?;
        out.extend(
            page.items
                .iter()
                .filter_map(|i| i.s("address").map(str::to_owned)),
        );
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(out)
}

/// Whether the bare address `address` (already normalized) is a verified sender of the account.
pub async fn is_verified(
    store: &StoreRef,
    account_id: &str,
    address: &str,
) -> Result<bool, ApiError> {
    Ok(store
        .get(Table::Accounts, &key(account_id, address))
        .await?
        .is_some())
}
