package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/registry"
)

// KVCacheBytes returns the KV cache of batch sequences of seqLen tokens at
// bytesPerElement (mlsysim get_kv_cache_size):
//
//	MLA (kv_lora_rank, qk_rope_head_dim set): L · (r_kv + d_rope) · S · B · b
//	otherwise:                                2 · L · H_kv · d_head · S · B · b
//
// with d_head = hidden/heads (defaults 4096 and 32) and H_kv = kv_heads or heads.
func KVCacheBytes(m *registry.Model, seqLen, batch int, bytesPerElement float64) float64 {
	S, B, L := float64(seqLen), float64(batch), float64(m.Layers)
	if m.KVLoRARank > 0 && m.QKRopeHeadDim > 0 {
		return L * float64(m.KVLoRARank+m.QKRopeHeadDim) * S * B * bytesPerElement
	}
	return 2 * L * float64(m.EffectiveKVHeads()) * float64(m.EffectiveHeadDim()) * S * B * bytesPerElement
}

// activeParameters returns the parameters a token passes through: the active
// ones for a mixture of experts, all of them otherwise.
func activeParameters(m *registry.Model) float64 {
	if m.Class == registry.ClassMoE && m.ActiveParameters > 0 {
		return m.ActiveParameters
	}
	return m.Parameters
}

// PrefillFLOPs returns the FLOPs of a prefill of batch prompts of seqLen
// tokens (mlsysim ServingModel):
//
//	2·P·S·B + 4·L·H·d·S²·B
//
// the weight GEMMs plus the attention score and value products, with H the
// head count and d the head dimension (defaults 32 and 4096/32). P is the
// active parameter count for a mixture of experts.
func PrefillFLOPs(m *registry.Model, seqLen, batch int) float64 {
	S, B := float64(seqLen), float64(batch)
	H, d := float64(m.EffectiveHeads()), float64(m.EffectiveHidden()/m.EffectiveHeads())
	return 2*activeParameters(m)*S*B + 4*float64(m.Layers)*H*d*S*S*B
}

// solveServing is mlsysim's ServingModel core (reference §8.1, solvers §4.14):
//
//	TTFT = (2·P·S·B + 4·L·H·d·S²·B) / (peak·η) + t_dispatch
//	ITL  = (W + KV) / BW + L · 0.01 ms
//	feasible = W + KV ≤ capacity
//
// with KV the cache of B sequences at S tokens. A request generates
// output_tokens tokens: the first comes from the prefill, each further one
// costs an ITL, so latency = TTFT + (output_tokens − 1)·ITL. Tokens per
// second are B/ITL, as mlsysim's CLI derives them.
func solveServing(c *Config, r *Result) {
	hw, m := c.Hardware, c.Model
	bpe := weightPrecision(c).Bytes()
	peak := hw.PeakFor(activationPrecision(c))
	g := Lower(m, bpe)
	B := float64(c.BatchSize)
	L := float64(g.Layers)

	kv := KVCacheBytes(m, c.SeqLen, c.BatchSize, activationPrecision(c).Bytes())
	r.KVCacheBytes = kv
	r.WeightBytes = g.WeightBytes
	r.MemoryBytes = g.WeightBytes + kv
	r.Feasible = r.MemoryBytes <= hw.MemCapacityBytes
	if !r.Feasible {
		r.Reason = ReasonMemory
	}

	effFLOPS := peak * c.Efficiency
	prefill := PrefillFLOPs(m, c.SeqLen, c.BatchSize)
	tPrefill := prefill / effFLOPS
	r.TTFTS = tPrefill + hw.DispatchTaxS

	bw := hw.MemBandwidthBps
	tDecodeMem := r.MemoryBytes / bw
	r.ITLS = tDecodeMem + L*LayerTaxS
	r.TokensPerS = B / r.ITLS
	r.EffectiveFLOPS, r.EffectiveBandwidth = effFLOPS, bw

	// One decode step: the weight GEMMs for B tokens plus attention over S.
	decodeFLOPs := 2*activeParameters(m)*B + 4*L*float64(m.EffectiveHeads())*float64(m.EffectiveHidden()/m.EffectiveHeads())*float64(c.SeqLen)*B
	tDecodeCompute := decodeFLOPs / effFLOPS
	steps := float64(c.OutputTokens - 1)

	r.LatencyS = r.TTFTS + steps*r.ITLS
	r.ThroughputPerS = B / r.LatencyS
	r.ComputeS = tPrefill
	r.MemoryS = tDecodeMem
	r.OverheadS = hw.DispatchTaxS + L*LayerTaxS
	r.OverheadDominated = L*LayerTaxS > tDecodeMem
	r.ArithmeticIntensity = decodeFLOPs / r.MemoryBytes
	// The request is bound by whichever phase takes longer: the prefill is
	// compute-bound in this model; a decode step by its larger time.
	r.Bottleneck = BottleneckCompute
	if steps*r.ITLS > r.TTFTS && tDecodeMem > tDecodeCompute {
		r.Bottleneck = BottleneckMemory
	}
	if peak > 0 {
		r.MFU = clamp01((prefill + steps*decodeFLOPs) / r.LatencyS / peak)
		r.HFU = r.MFU
	}
	r.EnergyJ = hw.TDPW * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * r.LatencyS
	if math.IsNaN(r.LatencyS) {
		r.Feasible, r.Reason = false, ReasonNumerical
	}
}
