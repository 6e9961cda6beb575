//! `measure`: concentration metrics on data a user brings (a CSV of values, optionally
//! per entity and per time). Reading is in [`crate::io`]; this module turns rows into
//! metric tables.
