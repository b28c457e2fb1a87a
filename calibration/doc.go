// Package calibration holds what the engine's calibrated fidelity knows
// about real hardware: per-hardware profiles (achievable matrix throughput
// by GEMM shape, achievable memory bandwidth, per-kernel and host-dispatch
// floors, attention-kernel efficiency, collective efficiency), the
// operator-level time model that uses them, the reader of the measurement
// files they are fitted to, and the fitter.
//
// Profiles fitted to measurements are embedded from data/*.json, each with
// its provenance. Hardware without measurements gets a profile derived from
// the nearest measured one by a documented rule (Derive). The package
// imports registry but not engine, so that the engine and the fitter share
// one model.
package calibration
