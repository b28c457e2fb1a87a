package calibration

import "math"

// Mixture-of-experts MLPs and multi-head latent attention projections of
// one layer, as layerMatmuls times them.

// ExpectedActiveExperts returns the expected number of distinct experts
// that tokens tokens routed top-k over experts experts reach, each token
// choosing k distinct experts uniformly:
//
//	E · (1 − (1 − k/E)^T)
//
// (each expert is missed by one token with probability 1 − k/E). It rises
// from k at one token to all E at large T. 0 when there are no experts.
func ExpectedActiveExperts(experts, k int, tokens float64) float64 {
	if experts < 1 || k < 1 || tokens <= 0 {
		return 0
	}
	E := float64(experts)
	miss := 1 - math.Min(float64(k), E)/E
	return E * (1 - math.Pow(miss, tokens))
}

// moeFraction returns the share of m's layers with routed experts:
// MoELayers/Layers, 1 when MoELayers is 0; a hybrid's Blocks.MoE/Layers.
func (m *Transformer) moeFraction() float64 {
	if m.Hybrid() {
		return m.share(m.Blocks.MoE)
	}
	if m.MoELayers <= 0 || m.Layers <= 0 || m.MoELayers >= m.Layers {
		return 1
	}
	return float64(m.MoELayers) / float64(m.Layers)
}

// upWidth returns the width of the up projection of m's MLP of width F:
// 2F when the MLP is gated (gate and up in one GEMM), F otherwise.
func (m *Transformer) upWidth(F float64) float64 {
	if m.GatedMLP {
		return 2 * F
	}
	return F
}

// denseFFN returns the MLP width of m's dense layers (DenseFFN, FFN when
// 0) and the width of its up projection (upWidth).
func (m *Transformer) denseFFN() (F, up float64) {
	F = float64(m.DenseFFN)
	if F <= 0 {
		F = float64(m.FFN)
	}
	return F, m.upWidth(F)
}

// denseShare returns the share of m's layers with a dense MLP, given the
// MoE share fm: 1 − fm, or a hybrid's MLP blocks over its layers (its
// Mamba-2 and attention blocks have no MLP).
func (m *Transformer) denseShare(fm float64) float64 {
	if m.Hybrid() {
		return m.share(m.Blocks.MLP)
	}
	if fm < 1 {
		return 1 - fm
	}
	return 0
}

// routedCopies returns the routed token copies one rank's MoE MLP takes
// in a layer of m over T tokens, averaged over the layers as moeMLPs
// weights them: moeFraction · f · s·T · k, with f the imbalance (≥ 1) and
// s the rank's TokenShare (1 when unset); 0 for a dense model
// (Transformer.StageMoECounts).
func (m *Transformer) routedCopies(T float64) float64 {
	if m.Experts <= 1 || m.ActiveExperts <= 0 {
		return 0
	}
	f := m.Imbalance
	if !(f >= 1) {
		f = 1
	}
	if m.TokenShare > 0 && m.TokenShare < 1 {
		T *= m.TokenShare
	}
	return m.moeFraction() * f * T * float64(m.ActiveExperts)
}

// moeMLPs adds the MLPs of one layer of a mixture of experts over T tokens
// to b; a model whose MoELayers are fewer than its layers adds the layer
// mean, MoE and dense MLPs weighted by their shares. On a rank of an
// expert-parallel group of EP ranks (each holding E/EP experts, the
// tokens dispatched to them by all-to-all) the MoE MLP is:
//
//	router      [T, E] × h                       (replicated: every rank routes its own tokens)
//	routed      grouped GEMMs over a = (E/EP)·(1 − (1 − k/E)^(T·EP)) active local experts,
//	            each with M = f·T·k/a rows:  [M, up] × h and [M, h] × F
//	shared      [T, S·up] × h and [T, h] × S·F   (S shared experts, dense)
//	permute     2 kernels, 4·f·T·k·h elements (gather, scatter, weighted combine)
//
// with up = 2F for a gated MLP, f the imbalance (the busiest rank sets the
// pace) and a the expected distinct local experts the EP ranks' T·EP tokens
// reach (ExpectedActiveExperts). The EP group receives as many token copies
// as it sends, T·k per rank on average. With TokenShare s < 1 (serving EP
// beside tensor-parallel attention) the rank routes s·T of the pass's T
// tokens, with whole (unsplit) experts and shared experts.
//
// The experts' (routed and shared) and dense MLPs' products are linear
// layers and run on d; the router and the permutation on dr, which is d
// except under Transformer Engine's fp8 recipe, where they stay in bf16:
// Megatron-Core's router is a plain GEMM outside te.Linear (computed in
// its parameters' bf16, the probabilities in fp32 with
// --moe-router-dtype), and the tokens are permuted and dispatched before
// the experts' TEGroupedLinear casts them to fp8 (Megatron-Core
// transformer/moe/router.py, token_dispatcher.py, experts.py).
func (p *Profile) moeMLPs(b *Breakdown, d, dr *Device, m *Transformer, T, rate float64) {
	h, F := float64(m.Hidden), float64(m.FFN)
	up := m.upWidth(F)
	fm := m.moeFraction()
	if dense := m.denseShare(fm); dense > 0 {
		Fd, upD := m.denseFFN()
		var dn Breakdown
		p.gemm(&dn, d, 1, T, upD, h, rate)
		p.gemm(&dn, d, 1, T, h, Fd, rate)
		dn.Scale(dense)
		b.Add(&dn)
	}
	var mo Breakdown
	Tr := T // the tokens this rank routes
	if m.TokenShare > 0 && m.TokenShare < 1 {
		Tr = T * m.TokenShare
	}
	E, k := m.Experts, m.ActiveExperts
	ep := max(m.EP, 1)
	local := math.Ceil(float64(E) / float64(ep))
	f := m.Imbalance
	if !(f >= 1) {
		f = 1
	}
	active := math.Min(local, ExpectedActiveExperts(E, k, Tr*float64(ep))*local/float64(E))
	rows := f * Tr * float64(k) / math.Max(active, 1)
	p.gemm(&mo, dr, 1, Tr, float64(E), h, rate) // router
	p.groupedGEMM(&mo, d, active, rows, up, h, rate)
	p.groupedGEMM(&mo, d, active, rows, h, F, rate)
	if s := float64(m.SharedExperts); s > 0 {
		p.gemm(&mo, d, 1, Tr, s*up, h, rate)
		p.gemm(&mo, d, 1, Tr, h, s*F, rate)
	}
	mo.Fixed += p.KernelS * 2 // permute and combine
	p.elementwise(&mo, dr, 4*f*Tr*float64(k)*h*dr.Bytes)
	if fm < 1 {
		mo.Scale(fm)
	}
	b.Add(&mo)
}

// mlaProjections adds the projections of one layer of multi-head latent
// attention over T tokens to b (DeepSeek-V2/V3): with H heads, query/key
// width q_k = d_nope + d_rope and value width d_v per head, latent ranks
// r_q (0 = none) and r_kv:
//
//	queries  [T, r_q] × h, then [T, H·q_k] × r_q   (or [T, H·q_k] × h)
//	KV down  [T, r_kv + d_rope] × h
//	KV up    [T, H·(d_nope + d_v)] × r_kv
//	output   [T, h] × H·d_v
//
// In decode the engines absorb the up-projections into the query and output
// products (FlashMLA); the FLOPs of the absorbed form are of the same
// order and the weights read the same, so one form times both.
func (p *Profile) mlaProjections(b *Breakdown, d *Device, m *Transformer, T, rate float64) {
	h, H := float64(m.Hidden), float64(m.Heads)
	qk, v := float64(m.QKDim), float64(m.VDim)
	r, rope := float64(m.KVLatent), float64(m.RopeDim)
	if ql := float64(m.QLatent); ql > 0 {
		p.gemm(b, d, 1, T, ql, h, rate)
		p.gemm(b, d, 1, T, H*qk, ql, rate)
	} else {
		p.gemm(b, d, 1, T, H*qk, h, rate)
	}
	p.gemm(b, d, 1, T, r+rope, h, rate)
	p.gemm(b, d, 1, T, H*(qk-rope+v), r, rate)
	p.gemm(b, d, 1, T, h, H*v, rate)
}
