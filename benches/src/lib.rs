//! criterion benchmarks for initspec live in `benches/`.
