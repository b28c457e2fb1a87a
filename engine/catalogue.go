package engine

import (
	"math"
	"sort"

	"github.com/mlsysim/mlsysim-go/registry"
)

// The rest of mlsysim's solver catalogue (reference solvers §4.4, §4.5,
// §4.9, §4.13, §4.17, §4.19, §4.25-4.28) as small functions. They call
// Evaluate or the formulas of the other files; none is on a sweep's hot
// path, so they may allocate.

// Constants of the catalogue (mlsysim engine/calibration.py).
const (
	// ChinchillaTokensPerParam is the compute-optimal D/P (Hoffmann et al. 2022).
	ChinchillaTokensPerParam = 20.0
	// TokensPerReasoningStep is InferenceScalingModel's tokens per step.
	TokensPerReasoningStep = 50
	// FallbackInjectionBps is WeightStreamingModel's interconnect fallback, 100 GB/s.
	FallbackInjectionBps = 100e9
	// WaferKVHeadroom is WeightStreamingModel's KV headroom factor.
	WaferKVHeadroom = 1.1
)

// Chinchilla returns the compute-optimal parameters and tokens for a budget
// of C FLOPs (mlsysim ScalingModel, G16):
//
//	P* = √(C/(6·20)),  D* = 20·P*
//
// With pinned > 0 parameters, D = C/(6·pinned).
func Chinchilla(C, pinned float64) (P, D float64) {
	if pinned > 0 {
		return pinned, C / (6 * pinned)
	}
	P = math.Sqrt(C / (6 * ChinchillaTokensPerParam))
	return P, ChinchillaTokensPerParam * P
}

// Sensitivity is the outcome of SensitivityOf.
type Sensitivity struct {
	PeakFLOPS, MemoryBandwidth, MemoryCapacity float64 // (T_k − T0)/T0; negative helps
	Binding                                    string  // "peak_flops", "memory_bandwidth" or "memory_capacity"
	Feasible                                   bool    // the baseline fits
	BaselineS                                  float64
}

// SensitivityOf perturbs the hardware of c by pct percent, one resource at a
// time (peak FLOP/s with every precision rate, memory bandwidth, capacity),
// and returns each relative latency change (mlsysim SensitivitySolver, G14):
//
//	sens_k = (T(resource_k × (1 + pct/100)) − T0) / T0
//
// The binding resource has the largest |sens| (ties: peak_flops first); an
// infeasible baseline binds on memory_capacity.
func SensitivityOf(c Config, pct float64) Sensitivity {
	f := 1 + pct/100
	base := Evaluate(&c)
	s := Sensitivity{Feasible: base.Feasible, BaselineS: base.LatencyS}
	hw := *c.Hardware
	run := func(mut func(h *registry.Hardware)) float64 {
		h := hw
		mut(&h)
		cc := c
		cc.Hardware = &h
		r := Evaluate(&cc)
		return (r.LatencyS - base.LatencyS) / base.LatencyS
	}
	s.PeakFLOPS = run(func(h *registry.Hardware) {
		h.PeakFLOPS *= f
		for i := range h.PrecisionFLOPS {
			h.PrecisionFLOPS[i] *= f
		}
	})
	s.MemoryBandwidth = run(func(h *registry.Hardware) { h.MemBandwidthBps *= f })
	s.MemoryCapacity = run(func(h *registry.Hardware) { h.MemCapacityBytes *= f })
	s.Binding = "peak_flops"
	best := math.Abs(s.PeakFLOPS)
	if math.Abs(s.MemoryBandwidth) > best {
		s.Binding, best = "memory_bandwidth", math.Abs(s.MemoryBandwidth)
	}
	if math.Abs(s.MemoryCapacity) > best {
		s.Binding = "memory_capacity"
	}
	if !s.Feasible {
		s.Binding = "memory_capacity"
	}
	return s
}

// Synthesis is what hardware a latency target needs (mlsysim
// SynthesisSolver, G15): one pass streams every weight once,
//
//	bandwidth = W/T,  FLOP/s = ops/(T·η),  memory = W
type Synthesis struct {
	BandwidthBps, FLOPS, MemoryBytes float64
	FLOPPerByte                      float64 // FLOPS / BandwidthBps
}

// Synthesize returns the hardware that runs one forward pass (one token for
// decoder LMs) of m at precision p in targetS seconds at efficiency eff.
func Synthesize(m *registry.Model, p registry.Precision, targetS, eff float64) Synthesis {
	g := Lower(m, p.Bytes())
	s := Synthesis{BandwidthBps: g.WeightBytes / targetS, FLOPS: g.OpsPerSample / (targetS * eff), MemoryBytes: g.WeightBytes}
	s.FLOPPerByte = s.FLOPS / s.BandwidthBps
	return s
}

// DataSupply returns the data pipeline's stall state for a demand in B/s on
// hw (mlsysim DataModel, §4.25, G34): the supply is the slowest of storage
// and host interconnect that exist,
//
//	utilization = demand/supply (+Inf without supply), stalled = utilization > 1
//
// bottleneck is "Storage", "Interconnect" or "Unknown".
func DataSupply(demandBps float64, hw *registry.Hardware) (utilization, supplyBps float64, stalled bool, bottleneck string) {
	bottleneck = "Unknown"
	if b := hw.StorageBandwidthBps; b > 0 {
		supplyBps, bottleneck = b, "Storage"
	}
	if b := hw.HostLink.BandwidthBps; b > 0 && (supplyBps == 0 || b < supplyBps) {
		supplyBps, bottleneck = b, "Interconnect"
	}
	if supplyBps == 0 {
		return math.Inf(1), 0, true, bottleneck
	}
	utilization = demandBps / supplyBps
	return utilization, supplyBps, utilization > 1, bottleneck
}

// Transformation returns the accelerator utilisation when a batch of
// batch samples of sampleBytes is transformed on CPUs at cpuBps while the
// accelerator step takes stepS (mlsysim TransformationModel, §4.26, G34):
//
//	t_x = B·sample/cpu,  utilization = step/max(t_x, step),  bottleneck = t_x > step
func Transformation(batch int, sampleBytes, cpuBps, stepS float64) (utilization, slowdown float64, bottleneck bool) {
	tx := float64(batch) * sampleBytes / cpuBps
	m := math.Max(tx, stepS)
	return stepS / m, m / stepS, tx > stepS
}

// Orchestration returns the M/D/1 queue of a cluster taking jobs at λ per
// day, each running durDays (mlsysim OrchestrationModel, §4.27, G24):
//
//	ρ = λ·dur,  wait = ρ·dur/(2(1−ρ)) days,  Lq = ρ²/(2(1−ρ))
//
// Unstable queues (ρ ≥ 1) wait +Inf.
func Orchestration(λPerDay, durDays float64) (ρ, waitDays, queue float64, stable bool) {
	ρ = λPerDay * durDays
	if ρ >= 1 {
		return ρ, math.Inf(1), math.Inf(1), false
	}
	return ρ, ρ * durDays / (2 * (1 - ρ)), ρ * ρ / (2 * (1 - ρ)), true
}

// WeightStreaming is the outcome of StreamWeights.
type WeightStreaming struct {
	Feasible          bool
	TokensPerS        float64
	LayerComputeS     float64
	LayerInjectionS   float64
	Bottleneck        string // "Compute-Bound" or "Interconnect-Bandwidth-Bound"
	OptimalBatch      int
	WaferUtilization  float64 // 1.1·KV / capacity
	InterconnectBound bool
}

// StreamWeights prices wafer-scale execution with weights streamed layer by
// layer from external memory (mlsysim WeightStreamingModel, §4.17, G33):
//
//	layer_W = (P/L)·b,  t_inject = layer_W / interconnect (100 GB/s fallback)
//	FLOPs/layer: prefill 2·(P/L)·S·B + 2·H·S²·d·B, decode 2·(P/L)·B
//	t_comp = FLOPs/(peak·η) + t_dispatch,  layer = max(t_comp, t_inject)
//	tokens/s = (B·S if prefill else B) / (layer·L),  B* = ⌊t_inject·peak·η/(2·P/L)⌋
//	feasible = 1.1·KV ≤ capacity
func StreamWeights(m *registry.Model, hw *registry.Hardware, p registry.Precision, seq, batch int, eff float64, prefill bool) WeightStreaming {
	var w WeightStreaming
	b := p.Bytes()
	L := float64(max(m.Layers, 1))
	P := m.Parameters
	S, B := float64(seq), float64(batch)
	kv := KVCacheBytes(m, seq, batch, b)
	w.WaferUtilization = WaferKVHeadroom * kv / hw.MemCapacityBytes
	w.Feasible = WaferKVHeadroom*kv <= hw.MemCapacityBytes
	inj := hw.HostLink.BandwidthBps
	if !(inj > 0) {
		inj = FallbackInjectionBps
	}
	w.LayerInjectionS = P / L * b / inj
	peak := hw.PeakFor(p) * eff
	flops := 2 * P / L * B
	if prefill {
		H, d := float64(m.EffectiveHeads()), float64(m.EffectiveHeadDim())
		flops = 2*P/L*S*B + 2*H*S*S*d*B
	}
	w.LayerComputeS = flops/peak + hw.DispatchTaxS
	layer := math.Max(w.LayerComputeS, w.LayerInjectionS)
	w.InterconnectBound = w.LayerInjectionS > w.LayerComputeS
	w.Bottleneck = "Compute-Bound"
	if w.InterconnectBound {
		w.Bottleneck = "Interconnect-Bandwidth-Bound"
	}
	w.OptimalBatch = max(1, int(math.Floor(w.LayerInjectionS*peak/(2*P/L))))
	if w.Feasible {
		tok := B
		if prefill {
			tok = B * S
		}
		w.TokensPerS = tok / (layer * L)
		w.WaferUtilization = math.Min(w.WaferUtilization, 1)
	}
	return w
}

// InferenceScaling prices chain-of-thought reasoning of steps steps of 50
// tokens after a prompt of contextLen (mlsysim InferenceScalingModel, §4.19,
// G31) on the serving configuration c (batch 1):
//
//	total = TTFT + steps·50·ITL,  energy = TDP·total
func InferenceScaling(c Config, steps, contextLen int) (totalS, energyJ float64, tokens int, feasible bool) {
	c.Mode, c.BatchSize, c.SeqLen, c.OutputTokens = Serving, 1, contextLen, 1
	r := Evaluate(&c)
	tokens = steps * TokensPerReasoningStep
	totalS = r.TTFTS + float64(tokens)*r.ITLS
	return totalS, c.Hardware.TDPW * totalS, tokens, r.Feasible
}

// CompressionMethod is how CompressModel shrinks a model.
type CompressionMethod uint8

// The methods.
const (
	Quantize CompressionMethod = iota
	PruneUnstructured
	PruneStructured
	PruneNM // 2:4 structured sparsity
)

// Compression is the outcome of CompressModel (mlsysim CompressionResult).
type Compression struct {
	OriginalBytes, CompressedBytes float64
	Ratio                          float64
	AccuracyDelta                  float64 // change in accuracy, ≤ 0
	SavingsPct                     float64 // (1 − 1/ratio)·100
	Speedup                        float64
	HardwareSupported              bool
}

// CompressModel returns the size, accuracy and speed of m compressed from
// the baseline precision (mlsysim CompressionModel, newest semantics with
// baseline_precision, §4.28, G21):
//
//	quantization: ratio = b_base/bits; Δ = 0 (≥16 bits), −0.002 (8), −0.025 (4-7), −0.05 (<4);
//	  speedup = ratio when memory-bound, else min(rate(bits)/peak, ratio) if the hardware lists the rate, else 1
//	pruning: ratio = 1/(1−s) (100 at s = 1); Δ = −0.001 if s ≤ 0.5 else −0.01·e^(2s);
//	  speedup: structured ratio, 2:4 2 when |s − 0.5| < 0.05, unstructured 1
func CompressModel(m *registry.Model, hw *registry.Hardware, method CompressionMethod, bits int, sparsity float64, baseline registry.Precision) Compression {
	baseBits := baseline.Bytes() * 8
	var c Compression
	P := m.Parameters
	c.OriginalBytes = P * baseBits / 8
	switch method {
	case Quantize:
		c.Ratio = baseBits / float64(bits)
		switch {
		case bits >= 16:
		case bits == 8:
			c.AccuracyDelta = -0.002
		case bits >= 4:
			c.AccuracyDelta = -0.025
		default:
			c.AccuracyDelta = -0.05
		}
		g := Lower(m, baseline.Bytes())
		tc := g.OpsPerSample / hw.PeakFLOPS
		tm := g.WeightBytes / hw.MemBandwidthBps
		var rate float64
		switch bits {
		case 8:
			rate = hw.PrecisionFLOPS[registry.INT8]
			if rate == 0 {
				rate = hw.PrecisionFLOPS[registry.FP8]
			}
		case 4:
			rate = hw.PrecisionFLOPS[registry.INT4]
		case 16:
			rate = hw.PeakFLOPS
		}
		c.HardwareSupported = bits >= 16 || rate > 0
		switch {
		case tm > tc:
			c.Speedup = c.Ratio
		case rate > 0:
			c.Speedup = math.Min(rate/hw.PeakFLOPS, c.Ratio)
		default:
			c.Speedup = 1
		}
	default:
		c.Ratio = 100
		if sparsity < 1 {
			c.Ratio = 1 / (1 - sparsity)
		}
		c.AccuracyDelta = -0.001
		if sparsity > 0.5 {
			c.AccuracyDelta = -0.01 * math.Exp(2*sparsity)
		}
		c.Speedup = 1
		switch method {
		case PruneStructured:
			c.Speedup, c.HardwareSupported = c.Ratio, true
		case PruneNM:
			if math.Abs(sparsity-0.5) < 0.05 {
				c.Speedup = 2
			}
			c.HardwareSupported = hw.PrecisionFLOPS[registry.INT8] > 0 || hw.PrecisionFLOPS[registry.FP8] > 0 || hw.PrecisionFLOPS[registry.TF32] > 0
		}
	}
	c.CompressedBytes = c.OriginalBytes / c.Ratio
	c.SavingsPct = (1 - 1/c.Ratio) * 100
	return c
}

// ParallelismCandidate is one (tp, pp) layout ranked by RankParallelism.
type ParallelismCandidate struct {
	TP, PP, DP  int
	MFU         float64 // scaling efficiency × η, ParallelismOptimizer's objective
	StepS       float64
	SamplesPerS float64
}

// RankParallelism ranks the (tp, pp) layouts of a distributed training
// configuration as mlsysim's ParallelismOptimizer does (§4.9): tp, pp
// powers of two with tp ≤ maxTP (0 = GPUs per node) and pp ≤ maxPP (0 = the
// GPUs), tp·pp dividing the GPUs, ep 1; layouts whose fp16 weights
// 2·P·2 B/(tp·pp) exceed 90 % of HBM are screened out; each survivor is
// evaluated with overlap 0.85 and ranked by scaling_efficiency × η,
// best first (ties keep search order: tp outer, pp inner).
//
// The sweep that reproduces it: mode=training with the same model, system
// and batch, axes tp ∈ {1, 2, 4, 8} and pp ∈ {1, 2, 4, …, GPUs}, overlap
// 0.85, dist_semantics=newest, the constraint dist_reason == "" and
// 4·P/(tp·pp) ≤ 0.9·HBM, objective maximize scaling_efficiency.
func RankParallelism(c Config, maxTP, maxPP int) []ParallelismCandidate {
	var t distTopology
	var scratch Result
	t, _ = resolveTopology(&c, &scratch)
	if maxTP <= 0 {
		maxTP = t.perNode
	}
	if maxPP <= 0 {
		maxPP = t.gpus
	}
	var out []ParallelismCandidate
	limit := 0.9 * c.Hardware.MemCapacityBytes
	for i := 0; i <= 9; i++ {
		tp := 1 << i
		if tp > maxTP {
			break
		}
		for j := 0; j <= 9; j++ {
			pp := 1 << j
			if pp > maxPP || tp*pp > t.gpus || t.gpus%(tp*pp) != 0 {
				continue
			}
			if 2*c.Model.Parameters*2/float64(tp*pp) > limit {
				continue
			}
			cc := c
			cc.Dist.TP, cc.Dist.PP, cc.Dist.EP, cc.Dist.CP, cc.Dist.Overlap = tp, pp, 1, 1, 0.85
			cc.DPSize = 1
			r := Evaluate(&cc)
			if r.Dist.Reason != DistOK {
				continue
			}
			out = append(out, ParallelismCandidate{TP: tp, PP: pp, DP: r.Dist.DP,
				MFU: r.Dist.ScalingEfficiency * c.Efficiency, StepS: r.LatencyS, SamplesPerS: r.ThroughputPerS})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].MFU > out[b].MFU })
	return out
}
