"""The WASM sandbox on wasmtime (SPEC §8.3): shared engine, limits, host functions, faults, hot swap."""
