package engine

import (
	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Mixture-of-experts and attention-layout pieces of calibrated serving.

// calibKVCacheBytes returns the KV cache of batch sequences of seqLen
// tokens at bytesPerElement with the model's own attention layout, the one
// the calibrated fidelity prices:
//
//	MLA:        L · (r_kv + d_rope) · S · B · b
//	otherwise:  2 · H_kv · d_head · (L_full · S + L_win · min(S, W)) · B · b
//
// with H_kv the configuration's KV heads (registry.Model.TrueKVHeads:
// Mixtral's 8 where mlsysim's fields leave it unset) and the L_win layers
// with a sliding window of W keys holding only the window (gpt-oss, Llama
// 4); a hybrid Mamba-Transformer's attention blocks' KV and its Mamba-2
// blocks' recurrent state (hybridCacheBytes). KVCacheBytes keeps mlsysim's
// fields for fidelity mlsysim.
func calibKVCacheBytes(m *registry.Model, seqLen, batch int, bytesPerElement float64) float64 {
	S, B, L := float64(seqLen), float64(batch), float64(m.Layers)
	if m.IsHybrid() {
		return hybridCacheBytes(m, seqLen, batch, bytesPerElement) // hybrid.go
	}
	if m.IsMLA() {
		return L * float64(m.KVLoRARank+m.QKRopeHeadDim) * S * B * bytesPerElement
	}
	tokens := L * S // KV entries per sequence, over the layers
	if w, lw := m.SlidingWindow, min(m.WindowLayers, m.Layers); w > 0 && lw > 0 && seqLen > w {
		tokens = (L-float64(lw))*S + float64(lw)*float64(w)
	}
	return 2 * float64(m.TrueKVHeads()) * float64(m.EffectiveHeadDim()) * tokens * B * bytesPerElement
}

// Expert parallelism in serving (calibrated fidelity): wide EP with
// attention data parallelism, as DeepSeek serves V3 (DeepSeek-V3
// arXiv:2412.19437 §3.4: attention TP4 + DP, experts EP32 in prefill and
// EP320 in decode) and SGLang and vLLM run it (--enable-dp-attention,
// --enable-expert-parallel). A replica of ep GPUs, ep a multiple of tp:
//
//	attention:  ep/tp data-parallel groups of tp tensor-parallel GPUs, each
//	            serving ⌈B/(ep/tp)⌉ of the batch's B sequences
//	experts:    ⌈E/ep⌉ whole experts on each GPU (expert TP 1); the active
//	            ones are the expected distinct experts of all B tokens
//	            (calibration.ExpectedActiveExperts), each GPU dispatching a
//	            1/tp share of its group's tokens
//	exchange:   2 all-to-alls per MoE layer and pass (dispatch, combine) of
//	            T·k·h·b bytes per GPU, T its dispatched tokens, over the
//	            node's link and past a node the fabric (moeAllToAllS)
//
// Weights per GPU: the dense part / tp + the routed experts / ep. Not
// modelled (refused with ReasonServingLayout): ep on a dense model, ep not
// a multiple of tp or not dividing the experts, and EP with pipeline
// stages (pp > 1), a draft model or disaggregated decode hardware.

// servingEPGap returns why c's expert parallelism is not modelled in
// calibrated serving, ReasonNone when it is or ep is 1.
func servingEPGap(c *Config) Reason {
	ep, tp := one(c.Dist.EP), one(c.Dist.TP)
	if ep <= 1 {
		return ReasonNone
	}
	m := c.Model
	if m.MoELayers() == 0 || ep%tp != 0 || m.Experts%ep != 0 || one(c.Dist.PP) > 1 || c.Serve.Draft != nil || c.Serve.DecodeHW != nil {
		return ReasonServingLayout
	}
	if !hasLink(c, c.Hardware) {
		return ReasonNoInterconnect
	}
	return ReasonNone
}

// servingGPUs returns the GPUs of one serving replica: tp, or ep with
// expert parallelism (ep is a multiple of tp).
func servingGPUs(c *Config) int {
	return max(one(c.Dist.TP), one(c.Dist.EP))
}

// servingAttnBatch returns the sequences one attention group of a replica
// serves: ⌈batch/(ep/tp)⌉ with expert parallelism, batch otherwise.
func servingAttnBatch(c *Config, batch int) int {
	groups := servingGPUs(c) / one(c.Dist.TP)
	return (batch + groups - 1) / groups
}

// servingEPShape sets sh (the tp-sharded shape) to what one GPU of an EP
// replica computes: whole experts (expert TP 1) over ep GPUs, each
// dispatching 1/tp of its group's tokens.
func servingEPShape(c *Config, sh, full *calibration.Transformer) {
	ep := servingGPUs(c)
	if one(c.Dist.EP) <= 1 || sh.Experts < 2 {
		return
	}
	sh.FFN, sh.DenseFFN = full.FFN, full.DenseFFN
	sh.EP = ep
	sh.TokenShare = 1 / float64(one(c.Dist.TP))
}

// servingEPAllToAllS returns the all-to-alls of one pass of tokens tokens
// per attention group: 2 per MoE layer (dispatch and combine) of
// tokens/tp · k · h · b bytes per GPU, b the activations' bytes
// (activation_precision: W4A16 sends 16-bit tokens), over the node's link
// and the fabric at the profile's efficiencies (moeAllToAllS). 0 without
// EP.
func servingEPAllToAllS(c *Config, prof *calibration.Profile, hw *registry.Hardware, tokens float64) float64 {
	ep := one(c.Dist.EP)
	m := c.Model
	n := m.MoELayers()
	if ep <= 1 || n == 0 {
		return 0
	}
	var t distTopology
	t.intraBps, t.intraLatS = servingTPLink(c, hw, prof, 1)
	per := c.Dist.GPUsPerNode
	if per <= 0 && c.Dist.System != nil && c.Dist.System.Node != nil {
		per = c.Dist.System.Node.AcceleratorsPerNode
	}
	if per <= 0 {
		per = DefaultGPUsPerNode
	}
	t.perNode = per
	t.fabric = c.Dist.Fabric
	if t.fabric == nil && c.Dist.System != nil {
		t.fabric = c.Dist.System.Fabric
	}
	if t.fabric == nil {
		t.fabric = &defaultFabric
	}
	if ep > per {
		t.interBps, _ = servingTPLink(c, hw, prof, ep)
	}
	vol := tokens / float64(one(c.Dist.TP)) * float64(max(m.ActiveExperts, 1)) * float64(m.EffectiveHidden()) * activationPrecision(c).Bytes()
	return 2 * float64(n) * moeAllToAllS(vol, ep, 1, &t)
}

// servingWeightsPerGPU returns one GPU's share of the weights of a
// serving replica: W/tp, or with expert parallelism the dense part / tp
// plus the routed experts / ep.
func servingWeightsPerGPU(c *Config, m *registry.Model, w float64) float64 {
	tp, ep := one(c.Dist.TP), one(c.Dist.EP)
	if ep <= 1 || m.Parameters <= 0 {
		return w / float64(tp)
	}
	frac := routedExpertParams(m) / m.Parameters
	return w*(1-frac)/float64(tp) + w*frac/float64(ep)
}
