package calibration

// Hybrid Mamba-Transformer models (Nemotron-H, NVIDIA arXiv:2504.03624):
// each of a Transformer's Layers is one block, a pre-norm, one mixer and a
// residual add, of the kind its layer pattern says (Transformer.Blocks):
// Mamba-2, attention, a dense MLP or a mixture-of-experts MLP. The
// operator model keeps its rule of timing one mean layer and multiplying
// it by Layers: the mean layer is each kind's block weighted by its share
// of the layers (blocks/Layers), as a MoE model's dense and MoE MLPs are
// weighted (moeFraction). The sums over the layers are exact; only a
// kernel's fixed time, counted once a block, is spread.

// Mamba2 is the shape of the Mamba-2 layers of a hybrid (Dao and Gu 2024,
// "Transformers are SSMs", arXiv:2405.21060; the Nemotron-H config's
// mamba_num_heads, mamba_head_dim, ssm_state_size, n_groups, conv_kernel,
// chunk_size). The inner width is Heads × HeadDim; B and C are shared by
// the Heads/Groups heads of a group.
type Mamba2 struct {
	Heads, HeadDim, State, Groups, Conv, Chunk int
}

// inner returns the inner width E = Heads·HeadDim and the width of the
// convolved x, B, C stream, E + 2·Groups·State.
func (s *Mamba2) inner() (E, xBC float64) {
	E = float64(s.Heads) * float64(s.HeadDim)
	return E, E + 2*float64(s.Groups)*float64(s.State)
}

// MambaStateBytesPerSeq returns the recurrent state of one sequence over
// m's Mamba-2 layers at elt bytes an element: per layer the SSM state,
// Heads·HeadDim·State, and the convolution's last Conv − 1 inputs of the
// x, B, C stream. It does not grow with the context; 0 for a model
// without Mamba-2 layers.
func (m *Transformer) MambaStateBytesPerSeq(elt float64) float64 {
	if m.Blocks.Mamba <= 0 {
		return 0
	}
	E, xBC := m.SSM.inner()
	return float64(m.Blocks.Mamba) * (E*float64(m.SSM.State) + float64(m.SSM.Conv-1)*xBC) * elt
}

// AttentionLayers returns the layers of m that attend and keep a KV cache:
// a hybrid's attention blocks, every layer of a transformer.
func (m *Transformer) AttentionLayers() int {
	if m.Hybrid() {
		return m.Blocks.Attention
	}
	return m.Layers
}

// Hybrid reports whether m is a hybrid whose layers are single blocks
// (Blocks set).
func (m *Transformer) Hybrid() bool { return m.Blocks.Total() > 0 }

// share returns n of m's Layers as a fraction.
func (m *Transformer) share(n int) float64 {
	if m.Layers <= 0 {
		return 0
	}
	return float64(n) / float64(m.Layers)
}

// attnShare returns the share of m's layers that attend: a hybrid's
// attention blocks over its layers, 1 for a transformer.
func (m *Transformer) attnShare() float64 {
	if m.Hybrid() {
		return m.share(m.Blocks.Attention)
	}
	return 1
}

// linearLayers returns the linear layers (Transformer Engine's te.Linear,
// each with its fp8 casts) of m's mean layer: 4 in a transformer layer
// (QKV, output, up, down), 2 in each block of a hybrid (attention's QKV
// and output, an MLP's up and down, Mamba-2's in_proj and out_proj).
func (m *Transformer) linearLayers() float64 {
	if m.Hybrid() {
		return 2
	}
	return 4
}

// hybridMatmuls adds a hybrid's mean layer's matrix products over T tokens
// (layerMatmuls): the attention projections × the attention share, a
// Mamba-2 block's
//
//	in_proj   [T, 2E + 2·G·N + H] × h     (z, then x, B, C, then dt per head)
//	out_proj  [T, h] × E
//
// × the Mamba share, and the MLPs (moeMLPs: dense × the MLP share, MoE ×
// the MoE share; a dense hybrid's MLP × its share).
func (p *Profile) hybridMatmuls(b *Breakdown, d, dr *Device, m *Transformer, T, rate float64) {
	h := float64(m.Hidden)
	if m.Blocks.Attention > 0 {
		var at Breakdown
		q, kv := float64(m.Heads)*float64(m.HeadDim), float64(m.KVHeads)*float64(m.HeadDim)
		p.gemm(&at, d, 1, T, q+2*kv, h, rate)
		p.gemm(&at, d, 1, T, h, q, rate)
		at.Scale(m.share(m.Blocks.Attention))
		b.Add(&at)
	}
	if m.Blocks.Mamba > 0 {
		var mb Breakdown
		E, xBC := m.SSM.inner()
		p.gemm(&mb, d, 1, T, E+xBC+float64(m.SSM.Heads), h, rate)
		p.gemm(&mb, d, 1, T, h, E, rate)
		mb.Scale(m.share(m.Blocks.Mamba))
		b.Add(&mb)
	}
	if m.Experts > 1 && m.ActiveExperts > 0 {
		p.moeMLPs(b, d, dr, m, T, rate)
		return
	}
	if m.Blocks.MLP > 0 {
		var ml Breakdown
		F := float64(m.FFN)
		p.gemm(&ml, d, 1, T, m.upWidth(F), h, rate)
		p.gemm(&ml, d, 1, T, h, F, rate)
		ml.Scale(m.share(m.Blocks.MLP))
		b.Add(&ml)
	}
}

// hybridAttention is attention for a hybrid: the attention of one
// attention block × the attention share, into b; it returns the FLOPs and
// bytes so scaled.
func (p *Profile) hybridAttention(b *Breakdown, d *Device, m *Transformer, ps *Pass, rate float64) (flops, bytes float64) {
	if m.Blocks.Attention <= 0 {
		return 0, 0
	}
	var at Breakdown
	flops, bytes = p.attentionSpan(&at, d, m, ps, rate, 0)
	s := m.share(m.Blocks.Attention)
	at.Scale(s)
	b.Add(&at)
	return s * flops, s * bytes
}

// hybridRest adds a hybrid's mean layer's element-wise kernels and the
// Mamba-2 blocks' convolution and scan to b (layerRestOn after the
// attention). Each block has one pre-norm and one residual add, half the
// norm and residual traffic of a transformer layer's two (eltCoef's h
// term, and half its kernels); the attention blocks add eltCoef's q and
// kv terms, the MLP and MoE blocks its activation term, each × its share.
// A Mamba-2 block (mamba_ssm's Mamba2 forward, ssd_combined.py), × the
// Mamba share, over T tokens with E = Heads·HeadDim, G groups, state N,
// chunk Q:
//
//	conv1d + SiLU    read and write the x, B, C stream, 2·(E + 2GN) elements a token (1 kernel)
//	gated RMSNorm    y·SiLU(z) normalised: read y, z, write, 3E (1 kernel)
//	SSD scan         the chunked algorithm (arXiv:2405.21060 §6, Listing 1): per chunk
//	                 C·Bᵀ (Q×N×Q per group), its masked product with x (Q×Q×P per head),
//	                 the chunk's state Bᵀ·x (N×Q×P per head) and the states' output C·h
//	                 (Q×N×P per head): 2·Q·N·G + 2·Q·E + 4·N·E FLOPs a token, on the
//	                 tensor cores as a fused attention kernel's (AttnFrac) and blended
//	                 with its bytes: x, B, C, dt read and y written (2E + 2GN + H a
//	                 token) and the chunk states, fp32, written, passed between chunks
//	                 (read and written) and read back (16·E·N/Q bytes a token) (5 kernels:
//	                 chunk cumsum, C·Bᵀ, chunk state, state passing, chunk scan)
//
// A decode step (one token, the state carried) runs the recurrence
// instead: the convolution over its window of Conv inputs (read the state
// and the input, write the state: 2·Conv·(E + 2GN) elements), and the
// selective state update reading and writing the state (2·E·N elements)
// with the token's x, B, C, dt, z read and y written (3E + 2GN + H), at
// about 6·E·N FLOPs (dA·h + dB·x, C·h) on the vector units, and the gated
// norm, 3E (3 kernels: convolution update, state update, norm).
// The scan's time is element-wise time (engine/timeparts.go).
func (p *Profile) hybridRest(b *Breakdown, d *Device, m *Transformer, ps *Pass, c *eltCoef) {
	T := float64(ps.Batch) * float64(ps.Tokens)
	h := float64(m.Hidden)
	q, kv := float64(m.Heads)*float64(m.HeadDim), float64(m.KVHeads)*float64(m.HeadDim)
	fc := c.f
	if !m.GatedMLP {
		fc = c.fPlain
	}
	sa := m.share(m.Blocks.Attention)
	smlp := m.share(m.Blocks.MLP + m.Blocks.MoE)
	p.elementwise(b, d, T*d.Bytes*(c.h*h/2+sa*(c.q*q+c.kv*kv)+smlp*fc*float64(m.FFN)))
	b.Fixed += c.kernels / 2 * p.KernelS
	if m.Blocks.Mamba <= 0 {
		return
	}
	var mb Breakdown
	s := &m.SSM
	E, xBC := s.inner()
	H, N, G := float64(s.Heads), float64(s.State), float64(s.Groups)
	if ps.decode() {
		B := float64(ps.Batch)
		p.elementwise(&mb, d, B*d.Bytes*(2*float64(s.Conv)*xBC+2*E*N+3*E+2*G*N+H+3*E))
		mb.FLOPs += 6 * B * E * N
		mb.Fixed += 3 * p.KernelS
	} else {
		p.elementwise(&mb, d, T*d.Bytes*(2*xBC+3*E))
		Q := float64(max(s.Chunk, 1))
		flops := T * (2*Q*N*G + 2*Q*E + 4*N*E)
		bytes := T*d.Bytes*(2*E+2*G*N+H) + T*16*E*N/Q
		ta := flops / (d.PeakFLOPS * p.MatmulFrac.Get(d.Precision) / p.MatmulFrac.BF16 * p.AttnFrac)
		mb.Elementwise += p.blend(ta, bytes/p.streamBps(d))
		mb.Bytes += bytes
		mb.FLOPs += flops
		mb.Fixed += 7 * p.KernelS
	}
	mb.Scale(m.share(m.Blocks.Mamba))
	b.Add(&mb)
}

// hybridCasts is fp8Casts for a hybrid: the attention blocks' and the
// MLPs' casts as fp8Casts counts them, × their shares, and a Mamba-2
// block's two linear layers, × its share: in_proj's input (h) and
// out_proj's (E) forward, their output gradients (2E + 2GN + H and h)
// backward, 4 bytes an element.
func hybridCasts(m *Transformer, T, mlpF, mlpB float64) (fwd, bwd float64) {
	h, q, kv := float64(m.Hidden), float64(m.Heads)*float64(m.HeadDim), float64(m.KVHeads)*float64(m.HeadDim)
	sa, sm := m.share(m.Blocks.Attention), m.share(m.Blocks.Mamba)
	E, xBC := m.SSM.inner()
	const b = 4
	fwd = b * (sa*T*(h+q) + sm*T*(h+E) + mlpF)
	bwd = b * (sa*T*(q+2*kv+h) + sm*T*(E+xBC+float64(m.SSM.Heads)+h) + mlpB)
	return fwd, bwd
}
