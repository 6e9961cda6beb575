//! Models. Each owns only its state and its step; the runner owns the loop, recording,
//! progress and cancellation. Models know nothing about files, terminals or plots.

pub mod growth;
