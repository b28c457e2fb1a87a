package engine

import (
	"fmt"
	"math"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Mode is what a configuration runs: a forward pass, a training step, or
// LLM serving (prefill then decode).
type Mode uint8

// The modes.
const (
	Inference Mode = iota
	Training
	Serving
	numModes
)

var modeNames = [numModes]string{"inference", "training", "serving"}

// String returns the mode's name in the parameter vocabulary.
func (m Mode) String() string {
	if m < numModes {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// Fidelity selects the model behind an evaluation.
type Fidelity uint8

// The fidelities.
const (
	// FidelityMLSysim reproduces mlsysim's published numbers: a first-order
	// roofline with one efficiency factor η (Engine.solve, ServingModel).
	FidelityMLSysim Fidelity = iota
	// FidelityCalibrated is the operator-level model with per-hardware
	// calibration profiles fitted to measurements (calibrated.go).
	FidelityCalibrated
	numFidelities
)

var fidelityNames = [numFidelities]string{"mlsysim", "calibrated"}

// String returns the fidelity's name in the parameter vocabulary.
func (f Fidelity) String() string {
	if f < numFidelities {
		return fidelityNames[f]
	}
	return fmt.Sprintf("Fidelity(%d)", f)
}

// Recompute is the activation recomputation (checkpointing) strategy of a
// training step.
type Recompute uint8

// The strategies (Korthikanti et al. 2023, "Reducing Activation Recomputation
// in Large Transformer Models").
const (
	RecomputeNone      Recompute = iota // keep every activation
	RecomputeSelective                  // recompute attention internals only
	RecomputeFull                       // keep layer inputs, recompute the rest
	numRecomputes
)

var recomputeNames = [numRecomputes]string{"none", "selective", "full"}

// String returns the strategy's name in the parameter vocabulary.
func (r Recompute) String() string {
	if r < numRecomputes {
		return recomputeNames[r]
	}
	return fmt.Sprintf("Recompute(%d)", r)
}

// Config is one fully resolved configuration: registry entries by pointer,
// enums as small integers, so that evaluating it allocates nothing. The zero
// value is not useful; start from DefaultConfig.
type Config struct {
	Model      *registry.Model
	Hardware   *registry.Hardware
	Mode       Mode
	Fidelity   Fidelity
	Precision  registry.Precision
	BatchSize  int     // sequences or samples per step
	SeqLen     int     // tokens per sequence; serving: the prompt (TTFT) and KV context (ITL)
	Efficiency float64 // η: fraction of peak FLOP/s achieved (mlsysim fidelity)

	// Training (single node).
	Recompute Recompute // activation recomputation strategy
	ZeroStage int       // ZeRO stage 0-3: shards optimizer state, gradients, weights over DP ranks
	DPSize    int       // data-parallel ranks the ZeRO shards spread over (≥ 1)
	LoRA      bool      // train LoRA adapters (rank 16) instead of all weights

	// Serving.
	OutputTokens int // tokens generated per request (≥ 1)

	// Prec sets weight and activation precisions apart (precision.go).
	Prec PrecConfig
	// Work holds the parameters of workloads beyond the transformer
	// (workloads.go).
	Work WorkloadConfig

	// The parameters of the other models, each defined in its own file.
	Dist  DistConfig  // distributed training (distributed.go)
	Serve ServeConfig // serving at scale (serving_scale.go)
	Fleet FleetConfig // fleet: energy, carbon, cost, reliability (fleet.go)
	Calib CalibConfig // calibrated fidelity (calibrated.go)

	// memo is the work EvaluateMemo lets later evaluations reuse (memo.go);
	// nil under Evaluate.
	memo *Memo
}

// DefaultConfig returns the defaults of the parameter vocabulary: inference,
// fp16, batch 1, sequence 2048, η = 0.5 (used by the mlsysim fidelity),
// calibrated fidelity, no model or hardware.
func DefaultConfig() Config {
	return Config{
		Mode:         Inference,
		Fidelity:     FidelityCalibrated,
		Precision:    registry.FP16,
		BatchSize:    1,
		SeqLen:       2048,
		Efficiency:   0.5,
		DPSize:       1,
		OutputTokens: 1,
	}
}

// Validate reports the first input that makes no sense (mlsysim raises
// ValueError for the same inputs). Infeasible configurations are valid: they
// evaluate to feasible=false.
func (c *Config) Validate() error {
	switch {
	case c.Model == nil:
		return fmt.Errorf("model is required")
	case c.Hardware == nil:
		return fmt.Errorf("hardware is required")
	case !(c.Efficiency >= 1e-9 && c.Efficiency <= 1):
		return fmt.Errorf("efficiency must be in [1e-09, 1.0], got %v", c.Efficiency)
	case c.BatchSize < 1:
		return fmt.Errorf("batch_size must be >= 1, got %d", c.BatchSize)
	case c.SeqLen < 1:
		return fmt.Errorf("seq_len must be >= 1, got %d", c.SeqLen)
	case c.ZeroStage < 0 || c.ZeroStage > 3:
		return fmt.Errorf("zero_stage must be 0, 1, 2 or 3, got %d", c.ZeroStage)
	case c.DPSize < 1:
		return fmt.Errorf("dp must be >= 1, got %d", c.DPSize)
	case c.OutputTokens < 1:
		return fmt.Errorf("output_tokens must be >= 1, got %d", c.OutputTokens)
	case c.Dist.MTPLayers < 0 || c.Dist.MTPLayers > 64:
		return fmt.Errorf("mtp_layers must be in [0, 64], got %d", c.Dist.MTPLayers)
	case c.Mode >= numModes || c.Fidelity >= numFidelities || c.Precision >= registry.NumPrecisions || c.Prec.Weight >= registry.NumPrecisions || c.Prec.Activation >= registry.NumPrecisions || c.Recompute >= numRecomputes:
		return fmt.Errorf("config holds an out-of-range enum")
	}
	return nil
}

func clamp01(x float64) float64 {
	if !(x > 0) { // also NaN
		return 0
	}
	return math.Min(x, 1)
}
