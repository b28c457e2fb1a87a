package engine

import (
	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Workloads beyond the transformer, under the calibrated fidelity:
//
//	SSM (Mamba)  serving: the prefill is a scan over the prompt, every
//	             layer's products over batch·seq_len rows and the selective
//	             scan over each token (calibration.MambaPass), so its cost
//	             grows with the prompt; a decode step is one token of each
//	             sequence reading and writing the recurrent state, which does
//	             not grow with the context. Inference is one such step of
//	             batch_size tokens, as for a transformer.
//	CNN,         serving is refused under both fidelities (ReasonNoTokens):
//	diffusion    they generate no tokens, so TTFT, ITL and tokens per second
//	             mean nothing; mode=inference prices one pass (an image).
//
//	diffusion    inference: one image is diffusion_steps denoising steps
//	             (the model card's by default), each a U-Net forward on two
//	             latents (classifier-free guidance) timed operator by
//	             operator (calibration.UNetStep) for the U-Nets the operator
//	             model knows (Stable Diffusion 1.5), else the generic pass at
//	             the registry's FLOPs per step. The text encoder and the VAE
//	             decoder are not counted, as the registry counts the U-Net.
//
// refusal returns why c is not priced at all (checked before any model
// runs), ReasonNone when it is.
func refusal(c *Config) Reason {
	if r := precisionGap(c); r != ReasonNone {
		return r
	}
	if c.Mode == Serving && (c.Model.Class == registry.ClassCNN || c.Model.Class == registry.ClassDiffusion) {
		return ReasonNoTokens
	}
	if c.Model.IsHybrid() && !hybridPriced(c) {
		return ReasonHybrid
	}
	if c.Mode == Training && c.Fidelity == FidelityCalibrated && calibration.ServingEngine(c.Calib.Software) {
		return ReasonStackMode
	}
	return ReasonNone
}

// WorkloadConfig holds the parameters of workloads beyond the transformer.
type WorkloadConfig struct {
	DiffusionSteps int // denoising steps of an image; 0 = the model card's
}

var workloadParams = []*Param{
	{Name: "diffusion_steps", Modes: InInference, Fidelities: UnderCalibrated, Label: "Denoising steps", Type: TypeInt, Min: 0, Max: 10000, Default: "0",
		Doc:   "calibrated inference of a diffusion model: denoising steps of an image, each a U-Net forward on two latents (classifier-free guidance); 0 = the model card's (50 for Stable Diffusion 1.5)",
		apply: func(c *Config, v Value) { c.Work.DiffusionSteps = int(v.F) }},
}

// GuidanceLatents is the latents a diffusion U-Net runs on per image and
// step: two under classifier-free guidance (Ho and Salimans 2022), the
// conditional and the unconditional prediction, as diffusers'
// StableDiffusionPipeline runs them at its default guidance_scale 7.5.
const GuidanceLatents = 2

// diffusionSteps returns the denoising steps of one image of m under c.
func diffusionSteps(c *Config) float64 {
	if c.Work.DiffusionSteps > 0 {
		return float64(c.Work.DiffusionSteps)
	}
	return float64(max(c.Model.DenoiseSteps, 1))
}

// diffusionImage sets b to one inference of batch_size images of a
// diffusion model under calibrated and reports whether it did: steps ×
// the U-Net step on GuidanceLatents·batch latents when the operator model
// knows the U-Net, else steps × the generic pass of one step's FLOPs
// (registry inference_flops per step). Training and other models: false.
func diffusionImage(c *Config, prof *calibration.Profile, d *calibration.Device, b *calibration.Breakdown) bool {
	m := c.Model
	if m.Class != registry.ClassDiffusion || c.Mode == Training {
		return false
	}
	steps := diffusionSteps(c)
	if u, ok := calibration.UNetFor(m.Key); ok {
		*b = prof.UNetStep(d, u, GuidanceLatents*c.BatchSize, c.Calib.Software)
	} else {
		var r Result
		g := Lower(m, weightPrecision(c).Bytes())
		g.OpsPerSample /= float64(max(m.DenoiseSteps, 1)) // one step
		w := genericWork(c, g, &r)
		*b = prof.GenericPass(d, &w)
	}
	t := b.Total * steps
	b.Scale(steps)
	b.Total = t
	return true
}

// mambaOf returns the Mamba shape of m; ok is false for a model that is not
// a state-space model with layers, hidden size and state size.
func mambaOf(m *registry.Model) (calibration.Mamba, bool) {
	if m.Class != registry.ClassSSM || m.Layers < 1 || m.HiddenDim < 1 || m.StateSize < 1 {
		return calibration.Mamba{}, false
	}
	return calibration.Mamba{Layers: m.Layers, Hidden: m.HiddenDim, State: m.StateSize, Vocab: m.VocabSize}, true
}

// solveSSMCalibrated prices a state-space model under calibrated in
// inference (one step of batch_size tokens) and serving: TTFT the prefill
// of the batch's prompts (seq_len − cached tokens each), ITL a decode step
// of the batch, latency TTFT + (output_tokens − 1)·ITL, throughput the
// batch over that cycle. Memory is the weights and the recurrent state of
// the batch (Mamba.StateBytesPerSeq, at the activations' bytes), reported
// as the KV cache; max_batch_size the most sequences whose state fits
// beside the weights. Energy TDP·(0.3 + 0.7·HFU)·T.
func solveSSMCalibrated(c *Config, r *Result, sh *calibration.Mamba) {
	hw := c.Hardware
	prof := c.profile()
	d := deviceFor(c, hw)
	r.Calib.Kind = prof.Kind
	sw := c.Calib.Software
	B := float64(c.BatchSize)
	r.WeightBytes = Lower(c.Model, weightPrecision(c).Bytes()).WeightBytes
	perSeq := sh.StateBytesPerSeq(d.Bytes)
	if c.Mode != Serving {
		b := prof.MambaPass(&d, sh, c.BatchSize, 1, false, sw)
		r.MemoryBytes = r.WeightBytes + B*perSeq
		r.LatencyS = b.Total
		r.ThroughputPerS = B / r.LatencyS
		calibratedRoofline(r, &b, prof, &d)
		finishSSM(c, r, &b, &d, b.Total)
		r.Calib.Step = partsOf(&b, 1)
		return
	}
	newTok := c.SeqLen - min(c.Serve.CachedLen, c.SeqLen-1)
	pre := prof.MambaPass(&d, sh, c.BatchSize, newTok, true, sw)
	dec := prof.MambaPass(&d, sh, c.BatchSize, 1, false, sw)
	steps := float64(c.OutputTokens - 1)
	r.TTFTS, r.ITLS = pre.Total, dec.Total
	r.TokensPerS = B / r.ITLS
	cycle := pre.Total + steps*dec.Total
	r.LatencyS = cycle
	r.ThroughputPerS = B / cycle
	r.Serve.PrefillS, r.Serve.DecodeS = pre.Total, steps*dec.Total
	r.Calib.Prefill, r.Calib.Decode = partsOf(&pre, 1), partsOf(&dec, 1)
	r.KVCacheBytes = B * perSeq
	r.MemoryBytes = r.WeightBytes + r.KVCacheBytes
	if free := hw.MemCapacityBytes - r.WeightBytes; free > 0 && perSeq > 0 {
		r.Serve.MaxBatchSize = int(min(free/perSeq, 1<<31-1))
	}
	calibratedRoofline(r, &dec, prof, &d)
	r.ComputeS, r.MemoryS = pre.Matmul+pre.Attention, dec.Total-dec.Fixed
	r.OverheadS = pre.Fixed + dec.Fixed
	r.Bottleneck = BottleneckCompute
	if steps*r.ITLS > r.TTFTS {
		r.Bottleneck = BottleneckMemory
	}
	all := pre
	dec.Scale(steps)
	all.Add(&dec)
	finishSSM(c, r, &all, &d, cycle)
	r.Calib.MatmulS, r.Calib.AttentionS, r.Calib.ElementwiseS = pre.Matmul, pre.Attention, pre.Elementwise
}

// finishSSM sets feasibility, utilisation and energy of an SSM row from
// the work b done over t seconds.
func finishSSM(c *Config, r *Result, b *calibration.Breakdown, d *calibration.Device, t float64) {
	r.Feasible = r.MemoryBytes <= c.Hardware.MemCapacityBytes
	if !r.Feasible {
		r.Reason = ReasonMemory
	}
	if t > 0 && d.PeakFLOPS > 0 {
		r.MFU = clamp01(b.ModelFLOPs / t / d.PeakFLOPS)
		r.HFU = clamp01(b.FLOPs / t / d.PeakFLOPS)
	}
	if c.Mode != Serving {
		r.Calib.MatmulS, r.Calib.AttentionS, r.Calib.ElementwiseS = b.Matmul, b.Attention, b.Elementwise
	}
	r.EffectiveFLOPS = c.profile().MatmulFLOPS(d)
	r.EffectiveBandwidth = c.profile().StreamBps(d)
	r.EnergyJ = c.Hardware.TDPW * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * t
}

// hybridPriced reports whether c's hybrid Mamba-Transformer is priced:
// under fidelity calibrated, whose operator model times each kind of block
// by the layer pattern (calibration/hybrid.go), in training (one GPU or
// distributed, without context parallelism, which would split the Mamba-2
// blocks' scan), inference and serving without parallelism or serving
// options (tp, pp, ep, cp, chunk_size, cached_prefix_len, kv_precision,
// draft_model, decode_hardware, whose per-layer collectives and caches
// nothing prices block by block yet); never under mlsysim (ReasonHybrid).
func hybridPriced(c *Config) bool {
	if c.Fidelity != FidelityCalibrated {
		return false
	}
	if c.Mode != Serving {
		return one(c.Dist.CP) <= 1 // context parallelism of Mamba-2 blocks: not modelled
	}
	return one(c.Dist.PP) <= 1 && one(c.Dist.EP) <= 1 && one(c.Dist.CP) <= 1 && !servingExtended(c)
}
