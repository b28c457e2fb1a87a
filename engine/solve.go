package engine

import (
	"fmt"

	"github.com/mlsysim/mlsysim-go/registry"
	"github.com/mlsysim/mlsysim-go/units"
)

// Options are the optional inputs of Solve, mirroring mlsysim's
// Engine.solve(model, hardware, batch_size, precision, efficiency, ...).
// The zero value means mlsysim's defaults: batch 1, fp16, η = 0.5,
// inference, sequence 2048.
type Options struct {
	BatchSize  int     // 0 = 1
	Precision  string  // "" = "fp16"
	Efficiency float64 // 0 = 0.5
	Training   bool    // a training step instead of a forward pass
	SeqLen     int     // 0 = 2048; used by transformer training memory
	Recompute  bool    // training with full activation recomputation
	ZeroStage  int     // ZeRO stage for training memory
	DPSize     int     // 0 = 1; data-parallel ranks ZeRO shards over
	LoRA       bool    // LoRA fine-tuning memory
}

// Profile is the outcome of Solve, with units (mlsysim PerformanceProfile).
// Latency, Throughput, Bottleneck, MFU, Feasible and Energy are the stable
// fields; the rest may grow.
type Profile struct {
	Latency    units.Seconds // one step for the whole batch
	Throughput float64       // samples per second
	Bottleneck string        // "Compute" or "Memory"
	MFU        float64       // model FLOPs utilisation in [0, 1]
	Feasible   bool          // the model fits in device memory
	Energy     units.Joules  // energy of the step

	HFU                 float64
	LatencyCompute      units.Seconds
	LatencyMemory       units.Seconds
	LatencyOverhead     units.Seconds
	ArithmeticIntensity float64 // flop/byte
	MemoryFootprint     units.Bytes
	PeakFLOPSActual     units.FLOPSRate      // peak × η
	PeakBWActual        units.BytesPerSecond // the bandwidth the memory time used
	OffloadSpillBytes   units.Bytes          // > 0 only when infeasible
	OverheadDominated   bool
	InfeasibleReason    string
}

// Solve evaluates model on hardware with mlsysim's single-node roofline,
// the library's stable entry point. It returns an error for inputs that make
// no sense (an unknown precision, η outside (0, 1], a batch below 1); an
// infeasible configuration is a Profile with Feasible false.
func Solve(model *registry.Model, hardware *registry.Hardware, opts Options) (Profile, error) {
	c := DefaultConfig()
	c.Fidelity = FidelityMLSysim
	c.Model, c.Hardware = model, hardware
	if opts.BatchSize != 0 {
		c.BatchSize = opts.BatchSize
	}
	if opts.Precision != "" {
		p, err := registry.ParsePrecision(opts.Precision)
		if err != nil {
			return Profile{}, err
		}
		c.Precision = p
	}
	if opts.Efficiency != 0 {
		c.Efficiency = opts.Efficiency
	}
	if opts.SeqLen != 0 {
		c.SeqLen = opts.SeqLen
	}
	if opts.DPSize != 0 {
		c.DPSize = opts.DPSize
	}
	if opts.Training {
		c.Mode = Training
	}
	if opts.Recompute {
		c.Recompute = RecomputeFull
	}
	c.ZeroStage, c.LoRA = opts.ZeroStage, opts.LoRA
	if err := c.Validate(); err != nil {
		return Profile{}, fmt.Errorf("solve: %w", err)
	}
	r := Evaluate(&c)
	return Profile{
		Latency:             units.Seconds(r.LatencyS),
		Throughput:          r.ThroughputPerS,
		Bottleneck:          r.Bottleneck.String(),
		MFU:                 r.MFU,
		Feasible:            r.Feasible,
		Energy:              units.Joules(r.EnergyJ),
		HFU:                 r.HFU,
		LatencyCompute:      units.Seconds(r.ComputeS),
		LatencyMemory:       units.Seconds(r.MemoryS),
		LatencyOverhead:     units.Seconds(r.OverheadS),
		ArithmeticIntensity: r.ArithmeticIntensity,
		MemoryFootprint:     units.Bytes(r.MemoryBytes),
		PeakFLOPSActual:     units.FLOPSRate(r.EffectiveFLOPS),
		PeakBWActual:        units.BytesPerSecond(r.EffectiveBandwidth),
		OffloadSpillBytes:   units.Bytes(r.OffloadSpillBytes),
		OverheadDominated:   r.OverheadDominated,
		InfeasibleReason:    r.Reason.String(),
	}, nil
}
