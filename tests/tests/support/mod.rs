//! Helpers shared by the key-management and CLI login tests.

pub mod firebase;
