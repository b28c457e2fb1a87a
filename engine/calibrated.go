package engine

// Calibrated fidelity: operator-level model with per-hardware profiles.
var (
	calibratedParams  []*Param
	calibratedOutputs []*Output
)
