package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Calibrated fidelity: an operator-level model whose operator times come
// from the hardware's calibration profile (package calibration): every
// GEMM with its real M, N, K, attention, element-wise ops, embedding and LM
// head, per layer × layers, in closed form. Profiles are fitted to
// measurements (kind "measured"), derived from a measured one by rule
// ("derived"), or derived with a matrix factor fitted to the hardware's
// published training runs ("fitted", calibration/data/matrix_fits.json);
// the `calibration` output says which.
var (
	calibratedParams = []*Param{
		{Name: "software", Fidelities: UnderCalibrated, Label: "Software stack", Type: TypeEnum, Enum: calibration.SoftwareNames(), Default: "pytorch",
			Doc:   "calibrated: software stack (calibration/data/stacks.json): pytorch (eager ops, unfused element-wise, decode in a CUDA graph, as measured), compiled (fused kernels, no host dispatch bound, flash attention, split-KV decode), megatron (Megatron-LM 2021: fused element-wise kernels, attention unfused with materialised scores), torch-compile (fused kernels, flash attention, no split-KV decode), megatron-core (Megatron-Core + Transformer Engine: fused kernels and attention; fp8 only in the linear layers), megatron-core-fa2 (megatron-core with FlashAttention-2's attention kernels, as Transformer Engine before 1.6 in NeMo 24.03 ran on Hopper), automodel (NeMo AutoModel: PyTorch-native FSDP2 on Transformer Engine's layers, megatron-core's kernel choices without its tensor-parallel overlap and MoE dispatcher time), vllm, sglang, tensorrt-llm (the serving engines: compiled's kernel choices; vllm and tensorrt-llm add a runtime overhead per engine step fitted to their published points, tensorrt-llm's to its v0.6.1 tables), vllm-0.4 (vLLM's engine of early 2024: vllm's kernel choices with host time per decode step that grows with the step's sequences and the tensor-parallel workers, fitted to its published points), tensorrt-llm-0.5 (TensorRT-LLM 0.5's runtime: tensorrt-llm's kernel choices with the overhead per engine step fitted to its v0.5 tables)",
			apply: func(c *Config, v Value) { c.Calib.Software = calibration.Software(v.F) }},
		{Name: "optimizer_step", Modes: InTraining, Fidelities: UnderCalibrated, Label: "Optimizer step", Type: TypeBool, Default: "true",
			Doc:   "calibrated training: include the Adam update in the step (false: forward + backward only)",
			apply: func(c *Config, v Value) { c.Calib.NoOptimizer = v.F == 0 }},
	}
	calibratedOutputs = []*Output{
		{Name: "calibration", Label: "Calibration", Better: NeitherIsBetter, Type: OutString, Modes: InAll, Doc: "where the calibrated fidelity's profile comes from: measured (fitted to this hardware's measurements), derived (scaled from a measured one), fitted (derived, its matrix fractions times a factor fitted to the hardware's published training runs), \"\" under fidelity mlsysim",
			String: func(r *Result) string { return r.Calib.Kind.String() }},
		{Name: "matmul_s", Label: "Matmul time", Better: LowerIsBetter, Unit: "s", Modes: InAll, Doc: "calibrated: time in matrix products (serving: the prefill)",
			Float: func(r *Result) float64 { return r.Calib.MatmulS }},
		{Name: "attention_s", Label: "Attention time", Better: LowerIsBetter, Unit: "s", Modes: InAll, Doc: "calibrated: time in attention kernels (serving: the prefill)",
			Float: func(r *Result) float64 { return r.Calib.AttentionS }},
		{Name: "elementwise_s", Label: "Elementwise time", Better: LowerIsBetter, Unit: "s", Modes: InAll, Doc: "calibrated: time in element-wise kernels, embedding and loss (serving: the prefill)",
			Float: func(r *Result) float64 { return r.Calib.ElementwiseS }},
	}
)

// CalibConfig holds the parameters of the calibrated fidelity.
type CalibConfig struct {
	Software    calibration.Software // software stack the times assume
	NoOptimizer bool                 // training: forward + backward only

	// Profiles is the calibration profiles the configuration is priced
	// with; nil means the embedded ones (calibration.Embedded).
	Profiles *calibration.Set
	// Profile is Profiles' profile of the configuration's hardware,
	// resolved once when the hardware is set (ResolveProfile, or a sweep
	// plan per hardware value) so that evaluating costs a pointer compare.
	// Left nil, or resolved for other hardware, Evaluate looks it up in
	// Profiles instead.
	Profile *calibration.Profile
}

// ResolveProfile sets c.Calib.Profile to c.Calib.Profiles' profile of
// c.Hardware (nil without hardware). Call it after setting the hardware or
// the profiles.
func (c *Config) ResolveProfile() {
	c.Calib.Profile = nil
	if c.Hardware != nil {
		c.Calib.Profile = c.Calib.Profiles.Profile(c.Hardware)
	}
}

// profile returns the calibration profile of c.Hardware: c.Calib.Profile
// when it was resolved for that hardware, else the one c.Calib.Profiles
// holds (one map lookup).
func (c *Config) profile() *calibration.Profile {
	if p := c.Calib.Profile; p != nil && p.Hardware == c.Hardware.Key {
		return p
	}
	return c.Calib.Profiles.Profile(c.Hardware)
}

// CalibResult holds the outcomes of the calibrated fidelity.
type CalibResult struct {
	Kind         calibration.Kind // measured, derived or fitted profile; none under mlsysim
	MatmulS      float64
	AttentionS   float64
	ElementwiseS float64
	// Step splits latency_s of inference and training (a distributed
	// step: its replica_s) by operation class; Prefill splits the batch's
	// prefill (ServeResult.PrefillS) and Decode one decode step (itl_s).
	Step, Prefill, Decode TimeParts
	// MoELayerMicrobatches is what a distributed training step of a
	// mixture of experts grows by per second of the software stack's time
	// per MoE layer per micro-batch (calibration.MoELayerMicrobatchS):
	// the last stage's MoE layers × the step's microbatches, ÷ (1 −
	// bubble fraction), × the straggler factor, less the share combined
	// 1F1B hides (ep_overlap) where the all-to-alls exceed their cover.
	// The step is linear in that time with this slope (the accuracy
	// report fits it). 0 for a dense model or outside distributed
	// training.
	MoELayerMicrobatches float64
	// RoutedCopies and MoEExpertMicrobatches are the same slope for the
	// forms of that cost the accuracy report compares it with, which
	// nothing prices: per routed token copy of those layers and per local
	// expert ⌈E/ep⌉ of each layer and micro-batch
	// (calibration.Transformer.StageMoECounts).
	RoutedCopies, MoEExpertMicrobatches float64
}

// shapeOf returns the transformer shape of m; ok is false for models
// without the layer structure (layers, hidden size).
func shapeOf(m *registry.Model) (calibration.Transformer, bool) {
	var t calibration.Transformer
	ok := shapeInto(m, &t)
	return t, ok
}

// shapeInto writes shapeOf(m) to *t (the zero shape when ok is false),
// without returning the shape by value: an evaluation that builds it
// in its own frame copies it once.
func shapeInto(m *registry.Model, t *calibration.Transformer) bool {
	if !hasShape(m) {
		*t = calibration.Transformer{}
		return false
	}
	h := m.EffectiveHidden()
	// Field by field into the zeroed *t: a composite literal assigned
	// through the pointer is built in a temporary and copied.
	*t = calibration.Transformer{}
	t.Name, t.Layers, t.Hidden, t.Heads = m.Key, m.Layers, h, m.TrueHeads()
	t.KVHeads, t.HeadDim, t.FFN, t.Vocab = m.TrueKVHeads(), m.EffectiveHeadDim(), m.FFNDim, m.VocabSize
	t.Experts, t.ActiveExperts = m.Experts, m.ActiveExperts
	if m.Class == registry.ClassMoE {
		t.FFN = m.ExpertFFN()
		t.SharedExperts, t.DenseFFN = m.SharedExperts, m.DenseFFNDim
		if n := m.MoELayers(); n < m.Layers {
			t.MoELayers = n
		}
	}
	t.Window, t.WindowLayers = m.SlidingWindow, m.WindowLayers
	if m.IsMLA() && m.QKNopeHeadDim > 0 && m.VHeadDim > 0 {
		t.KVLatent, t.QLatent, t.RopeDim = m.KVLoRARank, m.QLoRARank, m.QKRopeHeadDim
		t.QKDim, t.VDim = m.QKNopeHeadDim+m.QKRopeHeadDim, m.VHeadDim
		t.KVHeads, t.HeadDim = t.Heads, (t.QKDim+t.VDim)/2
	}
	if t.FFN <= 0 {
		t.FFN = 4 * h
	}
	t.GatedMLP = t.FFN != 4*h || gatedByParameters(m, t)
	if m.Class == registry.ClassMoE && t.Experts > 1 && t.ActiveExperts > 0 && m.FFNDim > 0 {
		t.GatedMLP = true
	}
	if m.IsHybrid() {
		// Each layer one block of the pattern (calibration/hybrid.go). The
		// registry's hybrids are Nemotron-H models, whose MLPs and experts
		// are squared-ReLU, not gated (config.json mlp_hidden_act relu2).
		t.Blocks, t.GatedMLP = m.Blocks, false
		t.SSM = calibration.Mamba2{Heads: m.MambaHeads, HeadDim: m.MambaHeadDim, State: m.StateSize,
			Groups: m.MambaGroups, Conv: m.ConvKernel, Chunk: m.ChunkSize}
	}
	return true
}

// hasShape reports whether shapeOf(m) gives m's transformer shape, without
// building it: the model is a transformer with at least one layer and a
// hidden size.
func hasShape(m *registry.Model) bool {
	return m.Class.IsTransformer() && m.Layers >= 1 && m.HiddenDim >= 1
}

// gatedByParameters reports whether a model whose MLP width is 4·hidden
// (which alone reads as a plain GELU MLP) has a gated MLP (GeGLU, SwiGLU:
// Gemma 2's 14,336 = 4 × 3,584, Llama 3.2 1B's 8,192 = 4 × 2,048): whether
// the gated layer count
//
//	L·(h·(q + 2·kv) + q·h + 3·h·F) + e·V·h,  e = 1 (tied) or 2
//
// is within 1% of the registry's parameters. A plain MLP of the same width
// is a third smaller in the MLP and misses by far more.
func gatedByParameters(m *registry.Model, t *calibration.Transformer) bool {
	if m.Parameters <= 0 {
		return false
	}
	h, L, V := float64(t.Hidden), float64(t.Layers), float64(t.Vocab)
	q, kv, F := float64(t.Heads*t.HeadDim), float64(t.KVHeads*t.HeadDim), float64(t.FFN)
	gated := L * (h*(q+2*kv) + q*h + 3*h*F)
	miss := math.Min(math.Abs(gated+V*h-m.Parameters), math.Abs(gated+2*V*h-m.Parameters))
	return miss < 0.01*m.Parameters
}

// solveCalibrated is the calibrated fidelity. Memory footprint and
// feasibility are the mlsysim fidelity's; times come from the operator
// model. Energy keeps mlsysim's TDP·(0.3 + 0.7·HFU)·T.
func solveCalibrated(c *Config, r *Result) {
	hw, m := c.Hardware, c.Model
	prof := c.profile()
	d := deviceFor(c, hw)
	r.Calib.Kind = prof.Kind
	bpe := weightPrecision(c).Bytes()
	g := Lower(m, bpe)
	B := float64(c.BatchSize)
	r.WeightBytes = g.WeightBytes
	sw := c.Calib.Software
	var shape calibration.Transformer
	isTF := c.modelShape(&shape) // shapeOf(m), memo.go
	if sh, ok := mambaOf(m); ok && c.Mode != Training {
		solveSSMCalibrated(c, r, &sh) // workloads.go
		return
	}

	if c.Mode == Training && !isTF && (c.Dist.Layout != nil || c.Dist.MTPLayers > 0) {
		r.Dist.Reason, r.Feasible, r.Reason = DistLayoutModel, false, ReasonParallelism
		return
	}
	var b calibration.Breakdown
	switch {
	case c.Mode == Training && isTF:
		fp, ok := TrainingMemoryBytes(m, c.Precision, c.BatchSize, c.SeqLen, activationStrategy(c), c.ZeroStage, c.DPSize, c.LoRA)
		if !ok {
			r.Feasible, r.Reason = false, ReasonNoHeads
			return
		}
		if reason := layoutReason(c.Dist.Layout, m.Layers, 1, one(c.Dist.Interleave), c.Dist.MTPLayers); reason != DistOK {
			r.Dist.Reason, r.Feasible, r.Reason = reason, false, ReasonParallelism
			return
		}
		if c.Dist.MTPLayers > 0 {
			// The prediction blocks' training state and activations
			// (layoutRankParams; one stage holds everything).
			dense, experts, _ := layoutRankParams(c, m.Layers, 1, routedExpertParams(m), m.Parameters, 1, 1)
			fp += mtpStateBytes(c, dense+experts-m.Parameters)
			a, _ := ActivationMemoryBytes(c.Dist.MTPLayers, c.SeqLen, c.BatchSize, m.EffectiveHidden(), m.Heads, activationStrategy(c), c.Precision.Bytes())
			fp += a
		}
		r.MemoryBytes = fp
		st := calibration.Step{Batch: c.BatchSize, Seq: c.SeqLen, Recompute: calibration.Recompute(c.Recompute),
			Optimizer: !c.Calib.NoOptimizer, Params: m.Parameters, Software: sw, MoETokenDrop: c.Dist.MoETokenDrop, MoEHybridEP: c.Dist.MoEHybridEP, MTP: c.Dist.MTPLayers}
		if c.LoRA {
			st.Params = math.Min(2*LoRARank*float64(m.EffectiveHidden())*4*float64(m.Layers), m.Parameters)
		}
		if c.ZeroStage >= 1 {
			st.Params /= float64(c.DPSize)
		}
		b = prof.TrainStep(&d, &shape, &st)
		r.LatencyS = b.Total
		r.ThroughputPerS = B / r.LatencyS
		calibratedRoofline(r, &b, prof, &d)
	case isTF:
		// Inference: one forward of batch_size tokens, each attending a
		// context of seq_len (mlsysim's per-token inference).
		r.MemoryBytes = g.WeightBytes
		prof.DecodeStepTo(&b, &d, &shape, c.BatchSize, c.SeqLen, sw)
		r.LatencyS = b.Total
		r.ThroughputPerS = B / r.LatencyS
		calibratedRoofline(r, &b, prof, &d)
	default:
		// A network the operator model knows layer by layer
		// (calibration.CNNFor: ResNets, MobileNetV2, on 224×224 images) is
		// timed so; any other as genericWork. The memory footprint is
		// genericWork's for both.
		w := genericWork(c, g, r)
		if n, ok := calibration.CNNFor(m.Key); ok {
			b = prof.CNNStep(&d, n, c.BatchSize, c.Mode == Training, !c.Calib.NoOptimizer, sw)
		} else if !diffusionImage(c, prof, &d, &b) { // workloads.go
			b = prof.GenericPass(&d, &w)
		}
		r.LatencyS = b.Total
		r.ThroughputPerS = B / r.LatencyS
		calibratedRoofline(r, &b, prof, &d)
	}
	if c.Mode == Serving && !isTF {
		// A model without transformer structure serves as one forward.
		r.TTFTS, r.ITLS = r.LatencyS, r.LatencyS
		r.TokensPerS = B / r.LatencyS
	}
	r.Feasible = r.MemoryBytes <= hw.MemCapacityBytes
	if !r.Feasible {
		r.Reason = ReasonMemory
	}
	r.Calib.MatmulS, r.Calib.AttentionS, r.Calib.ElementwiseS = b.Matmul, b.Attention, b.Elementwise+b.Optimizer
	r.Calib.Step = partsOf(&b, 1)
	if c.Mode == Serving { // one forward: the prefill and each decode step
		r.Calib.Prefill, r.Calib.Decode = r.Calib.Step, r.Calib.Step
	}
	peak := d.PeakFLOPS
	if r.LatencyS > 0 && peak > 0 {
		r.MFU = clamp01(b.ModelFLOPs / r.LatencyS / peak)
		r.HFU = clamp01(b.FLOPs / r.LatencyS / peak)
	}
	r.EffectiveFLOPS = prof.MatmulFLOPS(&d)
	r.EffectiveBandwidth = prof.StreamBps(&d)
	r.EnergyJ = hw.TDPW * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * r.LatencyS
}

// activationStrategy returns the recomputation strategy whose activation
// memory (ActivationMemoryBytes) a training step of c stores: c.Recompute,
// except that without recomputation a software stack with fused (flash)
// attention keeps no attention score matrix, only the 34·s·B·h per layer
// that selective recomputation keeps (Korthikanti et al. 2022: the
// 5·a·s²·B score, softmax and dropout term is what flash attention never
// writes). Fused attention: the stacks whose keeps_scores is false in
// calibration/data/stacks.json (compiled, torch-compile, megatron-core and
// the serving engines). Megatron (the 2021 Megatron-LM the profile models)
// materialises the scores, and pytorch keeps them as the eager reference
// runs did. Fidelity mlsysim has no
// software stack and keeps mlsysim's formula.
func activationStrategy(c *Config) Recompute {
	if c.Recompute == RecomputeNone && c.Fidelity == FidelityCalibrated && !calibration.KeepsScores(c.Calib.Software) {
		return RecomputeSelective
	}
	return c.Recompute
}

// calibratedRoofline fills the roofline-style outputs from a breakdown.
func calibratedRoofline(r *Result, b *calibration.Breakdown, prof *calibration.Profile, d *calibration.Device) {
	r.ComputeS = b.Matmul + b.Attention
	r.MemoryS = b.Elementwise + b.Optimizer
	r.OverheadS = b.Fixed
	r.OverheadDominated = b.Fixed > r.ComputeS && b.Fixed > r.MemoryS
	if b.Bytes > 0 {
		r.ArithmeticIntensity = b.FLOPs / b.Bytes
	}
	// The binding resource: compute when the FLOPs at the achievable matrix
	// rate take longer than the bytes at the achievable bandwidth.
	tc := b.FLOPs / prof.MatmulFLOPS(d)
	tm := b.Bytes / prof.StreamBps(d)
	r.Bottleneck = BottleneckCompute
	if tm > tc {
		r.Bottleneck = BottleneckMemory
	}
}

// genericWork describes a model without transformer shapes (CNNs, SSMs,
// diffusion U-Nets, size-only models) as L equal layers, each one kernel
// whose FLOPs and bytes are the layer's share: F = B·ops (×3 training, ×4
// with full recomputation) and W·(1 + 0.1·B) bytes (mlsysim's activation
// traffic, ×3 training); training adds the Adam update. It sets r's memory
// footprint.
func genericWork(c *Config, g Lowered, r *Result) calibration.Generic {
	B := float64(c.BatchSize)
	flops := B * g.OpsPerSample
	model := flops
	r.MemoryBytes = g.WeightBytes
	if c.Mode == Training {
		model = 3 * flops
		flops = model
		if c.Recompute == RecomputeFull {
			flops = 4 * B * g.OpsPerSample
		}
		r.MemoryBytes = 2*g.WeightBytes + AdamBytesPerParam*g.Parameters
		if c.Model.Class.IsTransformer() && c.Model.Layers > 0 {
			if fp, ok := TrainingMemoryBytes(c.Model, c.Precision, c.BatchSize, c.SeqLen, RecomputeSelective, c.ZeroStage, c.DPSize, c.LoRA); ok {
				r.MemoryBytes = fp
			}
		}
	}
	bytes := g.WeightBytes * (1 + ActivationTrafficPerSample*B)
	if c.Mode == Training {
		bytes *= 3
	}
	return calibration.Generic{Layers: g.Layers, FLOPs: flops, ModelFLOPs: model, Bytes: bytes,
		Optimizer: c.Mode == Training && !c.Calib.NoOptimizer, Params: g.Parameters}
}
