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
// refusal returns why c is not priced at all (checked before any model
// runs), ReasonNone when it is.
func refusal(c *Config) Reason {
	if r := precisionGap(c); r != ReasonNone {
		return r
	}
	if c.Mode == Serving && (c.Model.Class == registry.ClassCNN || c.Model.Class == registry.ClassDiffusion) {
		return ReasonNoTokens
	}
	return ReasonNone
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
