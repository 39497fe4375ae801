//! Support code: knows nothing of accounts, models or churn.
//!
//! - [`fixed_sum`]: exact sums of floating-point terms, the same whatever their order;
//! - [`wire`]: a plain byte format for handing columns from one web worker to another.

pub mod fixed_sum;
pub mod wire;
