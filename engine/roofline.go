package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Constants of mlsysim's engine (mlsysim engine/calibration.py @32253d9b).
const (
	// LayerTaxS is the framework overhead per layer per launch, 0.01 ms
	// (FRAMEWORK_LAYER_TAX_MS).
	LayerTaxS = 0.01e-3
	// IdlePowerFraction and DynamicPowerFraction split TDP into a constant
	// part and a part proportional to utilisation (ENERGY_IDLE_FRACTION,
	// ENERGY_DYNAMIC_FRACTION).
	IdlePowerFraction    = 0.30
	DynamicPowerFraction = 0.70
	// FallbackHostLinkBps is the offload bandwidth when hardware lists no
	// host interconnect, 64 GB/s (FALLBACK_PCIE_BANDWIDTH_GB_S).
	FallbackHostLinkBps = 64e9
	// AdamBytesPerParam is the Adam optimizer state per parameter: fp32
	// master weights, momentum and variance (TRAINING_OPTIMIZER_BYTES_ADAM).
	AdamBytesPerParam = 12.0
	// ActivationTrafficPerSample is mlsysim's activation I/O heuristic: each
	// sample moves 10 % of the weight bytes on top of one weight read.
	ActivationTrafficPerSample = 0.1
	// LoRARank is the adapter rank mlsysim assumes for LoRA training memory.
	LoRARank = 16
)

// Lowered is a model reduced to what the roofline needs (mlsysim
// Workload.lower → ComputationGraph).
type Lowered struct {
	OpsPerSample float64 // forward FLOPs per sample (per token for decoder LMs)
	WeightBytes  float64
	Parameters   float64 // counted parameters (0 for size-only models)
	Layers       int     // ≥ 1: mlsysim's layer tax uses 1 when the model has none
}

// Lower reduces m at bytesPerElement (mlsysim lower(), §3.2):
//
//	ops     = inference_flops, or 2·P (2·P_active for MoE); × denoising steps for diffusion
//	weights = P · bytesPerElement, or model_size when only that is known
func Lower(m *registry.Model, bytesPerElement float64) Lowered {
	l := Lowered{Parameters: m.Parameters, Layers: max(m.Layers, 1)}
	if m.Parameters <= 0 && m.ModelSizeBytes > 0 {
		l.OpsPerSample = m.InferenceFLOPs
		l.WeightBytes = m.ModelSizeBytes // precision-independent, as mlsysim
		return l
	}
	l.WeightBytes = m.Parameters * bytesPerElement
	l.OpsPerSample = m.InferenceFLOPs
	if l.OpsPerSample == 0 {
		p := m.Parameters
		if m.Class == registry.ClassMoE && m.ActiveParameters > 0 {
			p = m.ActiveParameters
		}
		l.OpsPerSample = 2 * p
	}
	if m.Class == registry.ClassDiffusion {
		l.OpsPerSample *= float64(m.DenoiseSteps)
	}
	return l
}

// TrainingMemoryBytes returns the per-device training footprint of a
// transformer (mlsysim TransformerWorkload.training_memory, optimizer Adam):
//
//	weights = P·b, grads = P·b, optimizer = 12·P
//	ZeRO: stage ≥ 1 optimizer/dp, ≥ 2 grads/dp, ≥ 3 weights/dp
//	LoRA: grads and optimizer × min(2·r·d·4L / P, 1), r = 16
//	activations = L · a_layer · b/2, with per layer (Korthikanti et al. 2023)
//	  full 2·s·B·h, selective 34·s·B·h, none 34·s·B·h + 5·a·s²·B
//
// where b is bytes per element, s the sequence length, B the batch, h the
// hidden size (default 4096) and a the head count; a hybrid
// Mamba-Transformer's activations block by block (hybridActivationBytes).
// ok is false when the strategy needs a head count the model lacks.
func TrainingMemoryBytes(m *registry.Model, p registry.Precision, batch, seq int, strategy Recompute, zeroStage, dp int, lora bool) (total float64, ok bool) {
	b := p.Bytes()
	P := m.Parameters
	weights := P * b
	grads := P * b
	opt := AdamBytesPerParam * P
	if lora {
		frac := math.Min(2*LoRARank*float64(m.EffectiveHidden())*4*float64(m.Layers)/P, 1)
		grads *= frac
		opt *= frac
	}
	d := float64(dp)
	if zeroStage >= 1 {
		opt /= d
	}
	if zeroStage >= 2 {
		grads /= d
	}
	if zeroStage >= 3 {
		weights /= d
	}
	if m.IsHybrid() { // block by block (hybrid.go)
		return weights + grads + opt + hybridActivationBytes(m, m.Layers, seq, batch, strategy, 1, b), true
	}
	act, ok := ActivationMemoryBytes(m.Layers, seq, batch, m.EffectiveHidden(), m.Heads, strategy, b)
	if !ok {
		return 0, false
	}
	return weights + grads + opt + act, true
}

// ActivationMemoryBytes returns the activations a training step keeps, in
// bytes (mlsysim calc_activation_memory; Korthikanti et al. 2023, FP16
// coefficients scaled by b/2):
//
//	L · a_layer · b/2, a_layer = 2·s·B·h (full), 34·s·B·h (selective),
//	                             34·s·B·h + 5·a·s²·B (none)
//
// ok is false for strategy none without a head count.
func ActivationMemoryBytes(layers, seq, batch, hidden, heads int, strategy Recompute, bytesPerElement float64) (float64, bool) {
	s, B, h := float64(seq), float64(batch), float64(hidden)
	var perLayer float64
	switch strategy {
	case RecomputeFull:
		perLayer = 2 * s * B * h
	case RecomputeSelective:
		perLayer = 34 * s * B * h
	default:
		if heads <= 0 {
			return 0, false
		}
		perLayer = 34*s*B*h + 5*float64(heads)*s*s*B
	}
	return float64(layers) * perLayer * bytesPerElement / 2, true
}

// solveRoofline is mlsysim's single-node engine (Engine.solve, newest
// semantics, reference §1.2): for inference or one training step,
//
//	T = max(B·F_hw / (P·η), W·(1 + 0.1·B) / BW) + t_dispatch + L·0.01 ms·(3 if training)
//
// where F_hw is the hardware FLOPs per sample (3× forward for training, 4×
// with full recomputation), P the peak FLOP/s at the precision, W the weight
// bytes and BW the effective bandwidth (HBM; SRAM when the weights fit in it;
// flash on MCUs; min(HBM, host link) when the model does not fit and is
// offloaded). MFU = B·F_model/(T·P), HFU = B·F_hw/(T·P), both clamped to
// [0, 1]; energy = TDP·(0.3 + 0.7·HFU)·T.
func solveRoofline(c *Config, r *Result) {
	hw, m := c.Hardware, c.Model
	bpe := weightPrecision(c).Bytes()
	peak := hw.PeakFor(activationPrecision(c))
	g := Lower(m, bpe)
	B := float64(c.BatchSize)

	modelOps, hwOps := g.OpsPerSample, g.OpsPerSample
	footprint := g.WeightBytes
	layerTax := float64(g.Layers) * LayerTaxS
	if c.Mode == Training {
		modelOps = 3 * g.OpsPerSample
		hwOps = modelOps
		strategy := RecomputeNone
		if c.Recompute == RecomputeFull {
			// mlsysim's activation_recomputation=True: full recompute FLOPs
			// (4× forward) with the "selective" memory bound (its bug #5).
			hwOps = 4 * g.OpsPerSample
			strategy = RecomputeSelective
		} else if c.Recompute == RecomputeSelective {
			strategy = RecomputeSelective
		}
		layerTax *= 3
		if m.Class.IsTransformer() {
			fp, ok := TrainingMemoryBytes(m, c.Precision, c.BatchSize, c.SeqLen, strategy, c.ZeroStage, c.DPSize, c.LoRA)
			if !ok {
				r.Feasible, r.Reason = false, ReasonNoHeads
				return
			}
			footprint = fp
		} else {
			// Weights + gradients + Adam state (mlsysim newest: ResNet-50
			// fp16 training = 25.6e6 × 16 B = 0.4096 GB).
			footprint = 2*g.WeightBytes + AdamBytesPerParam*g.Parameters
		}
	}
	r.MemoryBytes = footprint
	r.WeightBytes = g.WeightBytes
	r.Feasible = footprint <= hw.MemCapacityBytes
	if !r.Feasible {
		r.Reason = ReasonMemory
	}

	effFLOPS := peak * c.Efficiency
	var bw float64
	switch {
	case !r.Feasible:
		link := hw.HostLink.BandwidthBps // raw field, as mlsysim
		if link == 0 {
			link = FallbackHostLinkBps
		}
		bw = math.Min(hw.MemBandwidthBps, link)
		r.OffloadSpillBytes = footprint - hw.MemCapacityBytes
	case hw.SRAMCapacityBytes > 0 && hw.SRAMBandwidthBps > 0 && g.WeightBytes <= hw.SRAMCapacityBytes:
		bw = hw.SRAMBandwidthBps
	case hw.FlashBandwidthBps > 0:
		bw = hw.FlashBandwidthBps
	default:
		bw = hw.MemBandwidthBps
	}
	r.EffectiveFLOPS, r.EffectiveBandwidth = effFLOPS, bw

	batchOps := B * hwOps
	traffic := g.WeightBytes * (1 + ActivationTrafficPerSample*B)
	var tCompute, tMemory float64
	if batchOps > 0 {
		tCompute = batchOps / effFLOPS
	}
	if bw > 0 {
		tMemory = traffic / bw
	}
	r.ComputeS, r.MemoryS = tCompute, tMemory
	// calc_bottleneck compares times in ms against 1e-15.
	switch {
	case tCompute*1e3 < 1e-15:
		r.Bottleneck, r.ArithmeticIntensity = BottleneckMemory, 0
	case tMemory*1e3 < 1e-15:
		r.Bottleneck, r.ArithmeticIntensity = BottleneckCompute, math.Inf(1)
	default:
		r.Bottleneck = BottleneckCompute
		if tMemory > tCompute {
			r.Bottleneck = BottleneckMemory
		}
		r.ArithmeticIntensity = batchOps / traffic
	}

	r.OverheadS = hw.DispatchTaxS + layerTax
	r.LatencyS = math.Max(tCompute, tMemory) + r.OverheadS
	r.OverheadDominated = r.OverheadS > math.Max(tCompute, tMemory)
	if r.LatencyS > 0 {
		r.ThroughputPerS = B / r.LatencyS
		if peak > 0 {
			r.MFU = clamp01(B * modelOps / r.LatencyS / peak)
			r.HFU = clamp01(B * hwOps / r.LatencyS / peak)
		}
	}
	r.EnergyJ = hw.TDPW * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * r.LatencyS
}
