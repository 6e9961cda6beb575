//! Governance mechanisms. `dual`: Lido's Dual Governance (reference/dual-governance.md).

pub mod dual;
