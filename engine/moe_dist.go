package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Expert parallelism folded into data parallelism (calibrated fidelity).
//
// Megatron-Core's MoE parallel folding (Liu et al., "MoE Parallel Folding",
// arXiv:2504.14960; Megatron-Core docs, moe README "MoE Parallel Folding")
// and DeepSeek-V3's training (arXiv:2412.19437 §3.2: PP 16, EP 64 across 8
// nodes, ZeRO-1 DP) lay the attention and the experts out separately over
// the same GPUs of a pipeline stage:
//
//	attention:  tp × cp × dp         = GPUs / pp
//	experts:    etp × ep × edp       = GPUs / pp
//
// so the expert-parallel ranks are data-parallel (and context-parallel)
// ranks of the attention: dp = GPUs/(tp·pp·cp) whatever ep, and ep must
// divide dp·cp with the experts split tp ways (etp = tp, Megatron-Core's
// default expert tensor-parallel size), or divide tp·dp·cp with whole
// experts (etp = 1). A layout where neither holds is infeasible
// (DistEPFold). Each rank holds ⌈E/ep⌉ experts (their weights, gradients
// and optimizer state sharded by etp·ep·pp, and by edp under ZeRO), the
// other parameters sharded by tp·pp (and by dp under ZeRO) as in a dense
// model; each runs the attention of its own local = B/dp sequences, and
// the MoE layers the tokens the all-to-alls dispatch to its experts. The
// fidelity mlsysim keeps mlsysim's layout, where ep is a factor of its own
// (dp·tp·pp·ep·cp = GPUs) and shards the whole model.

// foldEP reports whether the layout folds ep into data parallelism: the
// calibrated fidelity under the newest semantics.
func foldEP(c *Config, sem DistSemantics) bool {
	return c.Fidelity == FidelityCalibrated && sem == DistNewest
}

// expertLayout returns the expert tensor-parallel degree and the expert
// data-parallel degree of a folded layout with attention degrees tp, cp
// and dp: etp = tp when ep divides dp·cp, else 1 when ep divides tp·dp·cp;
// edp = tp·cp·dp/(etp·ep). ok is false when ep divides neither.
func expertLayout(tp, cp, dp, ep int) (etp, edp int, ok bool) {
	switch {
	case ep <= 1:
		return tp, dp * cp, true
	case (dp*cp)%ep == 0:
		return tp, dp * cp / ep, true
	case (tp*dp*cp)%ep == 0:
		return 1, tp * dp * cp / ep, true
	}
	return 0, 0, false
}

// routedExpertParams returns the parameters of m's routed experts: MoE
// layers × E × 3·h·F_expert (gated MLPs: gate, up and down projections),
// at most 99 % of the parameters; 0 for a dense model. The rest (attention,
// embeddings, router, shared experts, dense layers) is replicated across
// the expert-parallel ranks.
func routedExpertParams(m *registry.Model) float64 {
	n := m.MoELayers()
	if n == 0 || m.ExpertFFN() <= 0 || m.Parameters <= 0 {
		return 0
	}
	p := float64(n) * float64(m.Experts) * 3 * float64(m.EffectiveHidden()) * float64(m.ExpertFFN())
	return math.Min(p, 0.99*m.Parameters)
}

// moeAllToAllS returns one all-to-all of an expert-parallel group of ep
// ranks, each sending M bytes spread evenly over the group, g of the ranks
// in each node (the group laid out after etp consecutive GPUs):
//
//	t = max((g−1)/ep · M/β_node, (ep−g)/ep · M/β_fabric) + (g−1)·α_node + (ep/g − 1)·α_fabric
//
// the node's share over NVLink and the rest over the NICs at once; with
// the whole group in a node it is AllToAllS over the node's link.
func moeAllToAllS(M float64, ep, etp int, t *distTopology) float64 {
	if ep <= 1 {
		return 0
	}
	g := min(max(t.perNode/max(etp, 1), 1), ep)
	if g >= ep {
		return AllToAllS(M, ep, t.intraBps, t.intraLatS)
	}
	n, gf := float64(ep), float64(g)
	intra := (gf - 1) / n * M / t.intraBps
	inter := (n - gf) / n * M / t.interBps
	return math.Max(intra, inter) + (gf-1)*t.intraLatS + (n/gf-1)*t.fabric.LatencyS
}

// moeActivationDeltaBytes returns what a stage of layers layers of the
// mixture of experts m keeps for the backward beyond what
// ActivationMemoryBytes counts for them (its 34·s·B·h per layer holds
// 19·s·B·h for a 4h GeLU MLP: the first product's input 2, its output 8,
// the GeLU's output 8, the dropout mask 1, in bytes at 16 bits), on
// microbatches of batch sequences of seq tokens. A MoE layer keeps, per
// token, in bytes at 16 bits:
//
//	2·k·f·h         the k routed copies' inputs (× imbalance f on the busiest rank)
//	6·k·f·F_e       their gate and up outputs and the SwiGLU output
//	2·h + 6·S·F_e   the shared experts' input and outputs
//	8·E             the router's logits and probabilities (fp32)
//
// the MoE layers' share of the stage priced, × b/2; 0 under full
// recomputation (each layer keeps its input only). The caller divides by
// tp as for the rest: a rank holds its tokens' share of the routed copies
// (with experts split tp ways, or the dispatch split over the tp ranks).
func moeActivationDeltaBytes(m *registry.Model, layers, seq, batch int, strategy Recompute, imbalance, bytesPerElement float64) float64 {
	n := m.MoELayers()
	if strategy == RecomputeFull || n == 0 || m.Layers < 1 {
		return 0
	}
	h, F := float64(m.EffectiveHidden()), float64(m.ExpertFFN())
	k, f := float64(max(m.ActiveExperts, 1)), oneF(imbalance)
	perTok := 2*k*f*h + 6*k*f*F + 8*float64(m.Experts)
	if s := float64(m.SharedExperts); s > 0 {
		perTok += 2*h + 6*s*F
	}
	moeLayers := float64(layers) * float64(n) / float64(m.Layers)
	return moeLayers * (perTok - 19*h) * float64(seq) * float64(batch) * bytesPerElement / 2
}

// moeEPTokenShare returns the share of a tensor-parallel group's tokens
// one of its tp ranks computes in the routed experts in a folded layout
// with expert tensor-parallel degree etp: 1/tp when the experts are whole
// (etp = 1, tp > 1), 1 otherwise. Megatron-Core requires sequence
// parallelism for a mixture of experts with tp > 1 (arguments.py: "When
// using MoE and tensor parallelism, sequence parallelism must be used"),
// so the hidden states reaching the router are split along the sequence
// over the tp ranks; with etp = 1 each rank is an expert-parallel rank of
// its own and its experts see only its 1/tp of the tokens (MoE Parallel
// Folding, Liu et al. 2025, arXiv:2504.14960 §3: the attention's tp×dp
// ranks re-folded as ep×edp with etp = 1). With etp = tp the experts are
// split tp ways and every rank of the group computes all the group's
// tokens on its slice: the dispatcher gathers them over the expert
// tensor-parallel group after the all-to-all (moeA2ATokenShare).
func moeEPTokenShare(tp, etp int) float64 {
	if etp == 1 && tp > 1 {
		return 1 / float64(tp)
	}
	return 1
}

// moeA2ATokenShare returns the share of a tensor-parallel group's tokens
// one of its tp ranks sends in the expert-parallel all-to-alls of a folded
// layout: 1/tp whatever the expert tensor-parallel degree. Under sequence
// parallelism each rank holds S/tp of the tokens, and Megatron-Core's
// all-to-all token dispatcher (MoEAlltoAllTokenDispatcher,
// core/transformer/moe/token_dispatcher.py, NVIDIA/Megatron-LM@0014f137;
// the version of Megatron-Core 0.10 onwards, which introduced
// expert_tensor_parallel_size) permutes and all-to-alls those tokens only
// over the ep group (dispatch_preprocess, dispatch_all_to_all: "permute ->
// A2A(EP) -> AG(TP)"); with etp > 1 the received tokens are then
// all-gathered over the expert tensor-parallel group
// (dispatch_postprocess: gather_from_sequence_parallel_region over
// expt_tp_group) and in the combine reduce-scattered back over it before
// the all-to-all (combine_preprocess: reduce_scatter_to_sequence_parallel_
// region), moeExpertTPGatherS. The earlier sequence-level dispatcher
// (legacy_a2a_token_dispatcher.py, alltoall_seq) moved the same bytes in
// the ep all-to-all: all the group's tokens at h/tp each.
func moeA2ATokenShare(tp int) float64 {
	if tp > 1 {
		return 1 / float64(tp)
	}
	return 1
}

// moeExpertTPGatherS returns one all-gather (or reduce-scatter) over the
// expert tensor-parallel group of etp ranks of the tokens a rank received
// in the dispatch all-to-all, M bytes per rank (the all-to-all's own per
// rank volume: balanced, a rank receives what it sends):
//
//	t = AllGatherS(etp·M, etp, β, α) = (etp − 1)·M/β + (etp − 1)·α
//
// over the link spanning etp consecutive GPUs (NVLink inside a node); 0
// with whole experts (etp = 1). Source: moeA2ATokenShare.
func moeExpertTPGatherS(M float64, etp int, t *distTopology) float64 {
	if etp <= 1 {
		return 0
	}
	β, α := t.link(etp)
	return AllGatherS(float64(etp)*M, etp, β, α)
}

// moeEPOverlapExposedS returns the exposed part of comm seconds of
// expert-parallel all-to-alls in a step whose microbatches compute for
// compute seconds (forward and backward, on the rank), under combined
// 1F1B: in the pipeline's steady state the forward of one microbatch and
// the backward of another run as one pair, each one's dispatch and
// combine all-to-alls hidden behind the other's computation, while the
// W warm-up forwards and W cool-down backwards of the mb·v microbatch
// chunks run unpaired:
//
//	u       = min(W / (mb·v), 1)
//	exposed = u·comm + max(0, (1 − u)·(comm − compute))
//
// with W = 2·(pp − 1) + (v − 1)·pp (Megatron-Core's warm-up of the
// interleaved schedule on the first stage, get_num_warmup_microbatches in
// core/pipeline_parallel/schedules.py) and W = 1 without pipeline
// parallelism (the first forward and the last backward). Megatron-Core
// allows the schedule with pp > 1 only with virtual pipeline stages: with
// pp > 1 and v = 1 comm is returned whole. Sources: Megatron-Core
// developer guide, "Combined 1F1B: Expert-Parallel All-to-All Overlap"
// (moe_a2a_overlap: dispatch and combine of one microbatch overlapped with
// the independent forward or backward computation of an adjacent one;
// --overlap-moe-expert-parallel-comm); DeepSeek-V3 technical report
// (arXiv:2412.19437 §3.2.1, DualPipe: a forward and a backward chunk
// paired so that the all-to-alls hide behind computation). dCompute is
// the derivative of exposed in compute: −(1 − u) while the paired
// all-to-alls exceed their cover, 0 otherwise.
func moeEPOverlapExposedS(comm, compute float64, mb, v, pp int) (exposed, dCompute float64) {
	mb, v, pp = max(mb, 1), max(v, 1), max(pp, 1)
	if pp > 1 && v == 1 {
		return comm, 0
	}
	w := 1
	if pp > 1 {
		w = 2*(pp-1) + (v-1)*pp
	}
	u := math.Min(float64(w)/(float64(mb)*float64(v)), 1)
	if x := (1 - u) * (comm - compute); x > 0 {
		return u*comm + x, -(1 - u)
	}
	return u * comm, 0
}
