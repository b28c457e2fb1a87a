package engine

// Calibrated fidelity: operator-level model with per-hardware profiles.
var (
	calibratedParams  []*Param
	calibratedOutputs []*Output
)

// CalibConfig holds the parameters of the calibrated fidelity.
type CalibConfig struct{}

// CalibResult holds the outcomes of the calibrated fidelity.
type CalibResult struct{}
