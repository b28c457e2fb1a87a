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
// --enable-expert-parallel). A pool of ep GPUs, ep a multiple of tp:
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
// Weights per GPU: the dense part / tp + the routed experts / ep.
//
// Disaggregated (decode_hardware), each pool is such a layout of its own,
// as DeepSeek serves V3 (§3.4: prefill on 32 GPUs, attention TP4 + DP8 and
// MoE EP32; decode on 320 GPUs, attention TP4 + DP80 and MoE EP320), as
// SGLang runs it (The SGLang Team, "Deploying DeepSeek with PD
// Disaggregation and Large-scale Expert Parallelism on 96 H100 GPUs",
// lmsys.org/blog/2025-05-05-large-scale-ep, 2025: DP attention and EP in
// prefill and decode servers apart) and NVIDIA Dynamo deploys it
// ("Running DeepSeek-R1 Disaggregated with WideEP on H100s",
// docs.nvidia.com/dynamo, release 0.4.0: one prefill worker on 4 H100
// nodes, one decode worker on 9): the prefill at
// (tp, ep) on hardware, the decode at (decode_tp, decode_ep) on
// decode_hardware, each with its own attention groups, all-to-alls,
// experts and KV cache per GPU and memory check; a replica is max(tp, ep)
// GPUs of hardware and max(decode_tp, decode_ep) of decode_hardware.
//
// With a draft model (draft_model) the draft, dense, runs on each
// attention group's tp GPUs over the group's sequences, as the target's
// attention does (its weights and KV cache / tp on each of them), and each
// verify pass of K + 1 tokens a sequence pays the target's all-to-alls
// (speculate).
//
// With pipeline stages (pp > 1, serving_pp.go) each stage is such a
// layout of max(tp, ep) GPUs: its experts spread whole over its ep GPUs,
// its MoE layers' all-to-alls inside its group, its attention groups
// sending their sequences' activations to the next stage's.
//
// Refused: ep on a dense model (ReasonServingEPDense), a pool's ep not a
// multiple of its tp or not dividing the experts (ReasonServingEPLayout).

// servingUsesEP reports whether a pool of c's serving replica is expert
// parallel: ep > 1, or decode_ep > 1 with decode_hardware.
func servingUsesEP(c *Config) bool {
	return one(c.Dist.EP) > 1 || (c.Serve.DecodeHW != nil && decodeEP(c) > 1)
}

// decodeEP returns the expert parallelism of the pool that decodes:
// decode_ep with decode_hardware when set, else ep (colocated serving
// decodes on the prefill's GPUs).
func decodeEP(c *Config) int {
	if c.Serve.DecodeHW != nil && c.Serve.DecodeEP > 0 {
		return c.Serve.DecodeEP
	}
	return one(c.Dist.EP)
}

// epLayoutFits reports whether ep GPUs of tp-way attention groups hold
// whole experts of m: ep 1, or ep a multiple of tp dividing the experts.
func epLayoutFits(m *registry.Model, tp, ep int) bool {
	return ep <= 1 || (ep%tp == 0 && m.Experts%ep == 0)
}

// servingEPGap returns why c's expert parallelism is not modelled in
// calibrated serving, ReasonNone when it is or no pool is expert parallel.
func servingEPGap(c *Config) Reason {
	if !servingUsesEP(c) {
		return ReasonNone
	}
	m, split := c.Model, c.Serve.DecodeHW != nil
	ep, tp := one(c.Dist.EP), one(c.Dist.TP)
	if m.MoELayers() == 0 {
		return ReasonServingEPDense
	}
	if !epLayoutFits(m, tp, ep) || (split && !epLayoutFits(m, decodeTP(c), decodeEP(c))) {
		return ReasonServingEPLayout
	}
	if (ep > 1 && !hasLink(c, c.Hardware)) || (split && decodeEP(c) > 1 && !hasLink(c, c.Serve.DecodeHW)) {
		return ReasonNoInterconnect
	}
	return ReasonNone
}

// servingGPUs returns the GPUs of one serving replica's prefill pool (the
// whole replica when colocated): tp, or ep with expert parallelism (ep is
// a multiple of tp).
func servingGPUs(c *Config) int {
	return max(one(c.Dist.TP), one(c.Dist.EP))
}

// decodePoolGPUs returns the GPUs of a disaggregated replica's decode pool
// (decode_hardware) under c's fidelity: max(decode_tp, decode_ep) under
// calibrated, decode_tp under mlsysim, whose serving has no expert
// parallelism.
func decodePoolGPUs(c *Config) int {
	if c.Fidelity == FidelityCalibrated {
		return max(decodeTP(c), decodeEP(c))
	}
	return decodeTP(c)
}

// attnBatch returns the sequences one attention group of the pool serves:
// ⌈batch/groups⌉, groups = ep/tp with expert parallelism, 1 otherwise.
func (p *servePool) attnBatch(batch int) int {
	return (batch + p.groups - 1) / p.groups
}

// servingEPShape sets sh (the tp-sharded shape) to what one GPU of a pool
// of ep GPUs computes: whole experts (expert TP 1) over ep GPUs, each
// dispatching 1/tp of its group's tokens. No change for ep 1.
func servingEPShape(sh, full *calibration.Transformer, tp, ep int) {
	if ep <= 1 || sh.Experts < 2 {
		return
	}
	sh.FFN, sh.DenseFFN = full.FFN, full.DenseFFN
	sh.EP = max(ep, tp)
	sh.TokenShare = 1 / float64(tp)
}

// epAllToAllS returns the pool's all-to-alls of one pass of tokens tokens
// per attention group: 2 per MoE layer (dispatch and combine) of
// tokens/tp · k · h · b bytes per GPU, b the activations' bytes
// (activation_precision: W4A16 sends 16-bit tokens), over the node's link
// and the fabric at the pool's profile's efficiencies (moeAllToAllS), the
// pool's ep GPUs spanning nodes past gpus_per_node. 0 without EP.
func (p *servePool) epAllToAllS(c *Config, tokens float64) float64 {
	return p.epAllToAllLayersS(c, tokens, c.Model.MoELayers())
}

// epAllToAllLayersS is epAllToAllS over n MoE layers (a pipeline stage's).
func (p *servePool) epAllToAllLayersS(c *Config, tokens float64, n int) float64 {
	ep := p.ep
	m := c.Model
	if ep <= 1 || n <= 0 {
		return 0
	}
	var t distTopology
	t.intraBps, t.intraLatS = servingTPLink(c, p.hw, p.prof, 1)
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
		t.interBps, _ = servingTPLink(c, p.hw, p.prof, ep)
	}
	vol := tokens / float64(p.tp) * float64(max(m.ActiveExperts, 1)) * float64(m.EffectiveHidden()) * activationPrecision(c).Bytes()
	return 2 * float64(n) * moeAllToAllS(vol, ep, 1, &t)
}

// servingWeightsPerGPU returns one GPU's share of the weights w of a
// serving pool of tp-way attention groups and ep-way experts: w/tp, or
// with expert parallelism the dense part / tp plus the routed experts /
// ep.
func servingWeightsPerGPU(m *registry.Model, w float64, tp, ep int) float64 {
	if ep <= 1 || m.Parameters <= 0 {
		return w / float64(tp)
	}
	frac := routedExpertParams(m) / m.Parameters
	return w*(1-frac)/float64(tp) + w*frac/float64(ep)
}
