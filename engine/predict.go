package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mlsysim/mlsysim-go/registry"
	"github.com/mlsysim/mlsysim-go/units"
)

// Predict is the stable, typed entry point that gives the numbers of
// `sweep eval`: calibrated fidelity by default; inference, training and
// serving; one device or a cluster. Solve stays mlsysim's Engine.solve
// (fidelity mlsysim, η); Predict is what the command line computes.
//
//	q := engine.NewQuery(model, hardware) // the CLI's defaults
//	q.Mode, q.BatchSize = engine.Serving, 8
//	p, err := engine.Predict(q)           // p.TTFT, p.ITL, p.Feasible, p.InfeasibleReason
//
// Everything the vocabulary holds beyond Query's fields (about 70
// parameters) stays reachable through the experimental Config: q.Config(),
// then Config.Set, then EvaluateChecked.

// Query is one configuration for Predict: the parameters of `sweep eval`
// that most programs need, typed. Start from NewQuery, which sets the CLI's
// defaults; a zero number means that default too, but the zero Fidelity is
// FidelityMLSysim, so a Query literal should set Fidelity.
type Query struct {
	Model    *registry.Model    // required
	Hardware *registry.Hardware // required unless System is set (then the system's accelerator)
	// System is a cluster (registry.Registry.Cluster) the step is
	// distributed over, in training; nil means one device.
	System *registry.Cluster

	Mode      Mode               // Inference (the zero value), Training or Serving
	Fidelity  Fidelity           // FidelityCalibrated (NewQuery) or FidelityMLSysim
	Precision registry.Precision // of weights and arithmetic; NewQuery: FP16

	BatchSize    int     // sequences or samples per step; 0 = 1
	SeqLen       int     // tokens per sequence (serving: the prompt and the KV context); 0 = 2048
	OutputTokens int     // serving: tokens generated per request; 0 = 1
	Efficiency   float64 // η, the fraction of peak FLOP/s, read by fidelity mlsysim only; 0 = 0.5

	GPUs int // training: GPUs of the job; 0 = all of System's (1 without a system)
	TP   int // training: tensor-parallel degree; 0 = 1
	PP   int // training: pipeline-parallel stages; 0 = 1
}

// NewQuery returns a Query with the defaults of `sweep eval`: inference,
// fidelity calibrated, fp16, batch 1, sequence 2048, one output token,
// η = 0.5, one device.
func NewQuery(model *registry.Model, hardware *registry.Hardware) Query {
	d := DefaultConfig()
	return Query{Model: model, Hardware: hardware, Mode: d.Mode, Fidelity: d.Fidelity, Precision: d.Precision,
		BatchSize: d.BatchSize, SeqLen: d.SeqLen, OutputTokens: d.OutputTokens, Efficiency: d.Efficiency}
}

// Config returns the experimental Config of q, validated, with the
// calibration profile of its hardware resolved (the embedded profiles), as
// `sweep eval` builds it. It returns an error naming the input that makes no
// sense: a missing model or hardware, a negative number, an unknown enum.
func (q Query) Config() (Config, error) {
	c := DefaultConfig()
	c.Model, c.Hardware = q.Model, q.Hardware
	if q.System != nil {
		c.Dist.System = q.System
		if c.Hardware == nil && q.System.Node != nil {
			c.Hardware = q.System.Node.Accelerator
		}
	}
	c.Mode, c.Fidelity, c.Precision = q.Mode, q.Fidelity, q.Precision
	for _, f := range []struct {
		name string
		v    int
		dst  *int
	}{
		{"batch_size", q.BatchSize, &c.BatchSize}, {"seq_len", q.SeqLen, &c.SeqLen},
		{"output_tokens", q.OutputTokens, &c.OutputTokens}, {"gpus", q.GPUs, &c.Dist.GPUs},
		{"tp", q.TP, &c.Dist.TP}, {"pp", q.PP, &c.Dist.PP},
	} {
		if f.v < 0 {
			return Config{}, fmt.Errorf("engine: %s must be >= 0 (0 = the default), got %d", f.name, f.v)
		}
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	if q.Efficiency != 0 {
		c.Efficiency = q.Efficiency
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("engine: %w", err)
	}
	c.ResolveProfile()
	return c, nil
}

// Prediction is the outcome of Predict, in SI units. Outputs a mode does
// not compute are zero (TTFT outside serving, for instance). An infeasible
// configuration is a Prediction with Feasible false and the reason in
// InfeasibleReason, never an error.
type Prediction struct {
	Feasible         bool
	InfeasibleReason string // "" when feasible, else why ("memory: the working set exceeds device memory")

	Latency    units.Seconds // one step (inference, training) or one request (serving)
	Throughput float64       // samples (inference, training) or requests (serving) per second
	Bottleneck Bottleneck    // BottleneckCompute, BottleneckMemory or BottleneckNetwork
	MFU        float64       // model FLOPs utilisation, in [0, 1]
	Energy     units.Joules  // accelerator energy of the step or request
	Memory     units.Bytes   // memory the configuration needs on one device

	TTFT         units.Seconds // serving: time to first token (calibrated: one request's under continuous batching; mlsysim: the batch's prefill)
	ITL          units.Seconds // serving: inter-token latency (one decode step)
	TokensPerSec float64       // tokens per second (serving: decode tokens, batch / ITL)
	KVCache      units.Bytes   // serving: KV cache of the batch at SeqLen

	// Result holds every output of the evaluation (the output columns of
	// `sweep eval`); its type is experimental.
	Result Result
}

// Predict evaluates q as `sweep eval` does with the same parameters, and
// returns an error (never a panic) for an input that makes no sense.
func Predict(q Query) (Prediction, error) {
	c, err := q.Config()
	if err != nil {
		return Prediction{}, err
	}
	r := Evaluate(&c)
	return Prediction{
		Feasible: r.Feasible, InfeasibleReason: r.Reason.String(),
		Latency: units.Seconds(r.LatencyS), Throughput: r.ThroughputPerS, Bottleneck: r.Bottleneck,
		MFU: r.MFU, Energy: units.Joules(r.EnergyJ), Memory: units.Bytes(r.MemoryBytes),
		TTFT: units.Seconds(r.TTFTS), ITL: units.Seconds(r.ITLS), TokensPerSec: r.TokensPerS,
		KVCache: units.Bytes(r.KVCacheBytes),
		Result:  r,
	}, nil
}

// EvaluateChecked is Evaluate after Validate: it returns Validate's error
// instead of evaluating a configuration that makes no sense (Evaluate
// itself does not check, so that sweeps validate each axis once, and may
// panic on a Config without a model or hardware).
func EvaluateChecked(c *Config) (Result, error) {
	if c == nil {
		return Result{}, errors.New("engine: nil Config")
	}
	if err := c.Validate(); err != nil {
		return Result{}, fmt.Errorf("engine: %w", err)
	}
	return Evaluate(c), nil
}

// ParseMode returns the Mode named s ("inference", "training",
// "serving"; case-insensitive), as the parameter `mode` spells it.
func ParseMode(s string) (Mode, error) {
	for m := Mode(0); m < numModes; m++ {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("mode %q: want one of %s", s, strings.Join(modeNames[:], ", "))
}

// ParseFidelity returns the Fidelity named s ("mlsysim", "calibrated";
// case-insensitive), as the parameter `fidelity` spells it.
func ParseFidelity(s string) (Fidelity, error) {
	for f := Fidelity(0); f < numFidelities; f++ {
		if strings.EqualFold(s, f.String()) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("fidelity %q: want one of %s", s, strings.Join(fidelityNames[:], ", "))
}
