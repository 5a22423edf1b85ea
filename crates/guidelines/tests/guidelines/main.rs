//! Integration tests of the guidelines engine: one binary, one module per concern.

mod kinds;
mod props;
mod sets;
mod support;
mod whatif;
