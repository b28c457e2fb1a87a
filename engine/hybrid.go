package engine

import (
	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// hybridActivationBytes returns the activations a training step of a
// hybrid Mamba-Transformer keeps over layers of its m.Layers blocks (a
// pipeline stage's share; each kind of block in proportion), for batch
// sequences of seq tokens, in bytes: ActivationMemoryBytes's accounting
// (Korthikanti et al. 2023, bytes at 16 bits a token, × b/2) block by
// block, with h the hidden size, F the MLP width, a the heads:
//
//	any block, full recomputation   2·h                          (its input alone)
//	attention                       2·h + 11·h                   (norm input; QKV input, Q, K, V, the projection's input, dropout mask)
//	                                + 5·a·s without recomputation (the scores, softmax, dropout)
//	MLP (squared ReLU, not gated)   2·h + 3·h + 4·F              (norm; the two products' inputs, the activation's input, dropout mask)
//	MoE                             2·h + 2·k·f·h + 4·k·f·F_e + 8·E + 2·h + 4·S·F_e
//	                                (norm; the k routed copies' inputs, × imbalance f, and their up and
//	                                activation outputs; the router's fp32 logits and probabilities; the
//	                                shared experts' input and outputs, moeActivationDeltaBytes's terms)
//	Mamba-2                         2·h + 2·h + 4·(E + 2·G·N) + 6·E + 4·H
//	                                (norm; in_proj's input; the convolution's input and output, the
//	                                x, B, C the scan reads; z, the scan's output y and the gated norm's
//	                                output, out_proj's input; dt in fp32)
//
// with E = mamba heads H × head dim, G groups and state N (mamba_ssm's
// Mamba2 saves these for its backward; selective recomputation, which
// recomputes attention's core only, keeps them all). The MLPs of the
// registry's hybrids (Nemotron-H) are squared-ReLU, not gated.
func hybridActivationBytes(m *registry.Model, layers, seq, batch int, strategy Recompute, imbalance, bytesPerElement float64) float64 {
	L := float64(max(m.Layers, 1))
	h := float64(m.EffectiveHidden())
	var perTok float64 // all m.Layers blocks, bytes at 16 bits
	if strategy == RecomputeFull {
		perTok = 2 * h * L
	} else {
		b := &m.Blocks
		attn := 13 * h
		if strategy == RecomputeNone {
			attn += 5 * float64(m.EffectiveHeads()) * float64(seq)
		}
		F := float64(m.FFNDim)
		mlp := 5*h + 4*F
		var moe float64
		if b.MoE > 0 {
			Fe := float64(m.ExpertFFN())
			k, f := float64(max(m.ActiveExperts, 1)), oneF(imbalance)
			moe = 2*h + 2*k*f*h + 4*k*f*Fe + 8*float64(m.Experts)
			if s := float64(m.SharedExperts); s > 0 {
				moe += 2*h + 4*s*Fe
			}
		}
		E, H := float64(m.MambaInner()), float64(m.MambaHeads)
		xBC := E + 2*float64(m.MambaGroups)*float64(m.StateSize)
		mamba := 4*h + 4*xBC + 6*E + 4*H
		perTok = float64(b.Attention)*attn + float64(b.MLP)*mlp + float64(b.MoE)*moe + float64(b.Mamba)*mamba
	}
	return perTok * float64(layers) / L * float64(seq) * float64(batch) * bytesPerElement / 2
}

// hybridCacheBytes returns what batch sequences of seqLen tokens of a
// hybrid Mamba-Transformer keep between decode steps, at bytesPerElement:
// the KV cache of its attention blocks alone and the recurrent state of
// its Mamba-2 blocks, which does not grow with the context
// (calibration.Transformer.MambaStateBytesPerSeq):
//
//	2 · H_kv · d_head · L_attn · S · B · b  +  L_mamba · (E·N + (K − 1)·(E + 2·G·N)) · B · b
//
// with E = mamba heads × head dim, N the state, G the groups and K the
// convolution width.
func hybridCacheBytes(m *registry.Model, seqLen, batch int, bytesPerElement float64) float64 {
	S, B := float64(seqLen), float64(batch)
	kv := 2 * float64(m.TrueKVHeads()) * float64(m.EffectiveHeadDim()) * float64(m.Blocks.Attention) * S * B * bytesPerElement
	return kv + hybridStateBytes(m, bytesPerElement)*B
}

// hybridStateBytes returns one sequence's recurrent state over m's Mamba-2
// blocks at bytesPerElement.
func hybridStateBytes(m *registry.Model, bytesPerElement float64) float64 {
	t := calibration.Transformer{Layers: m.Layers, Blocks: m.Blocks,
		SSM: calibration.Mamba2{Heads: m.MambaHeads, HeadDim: m.MambaHeadDim, State: m.StateSize, Groups: m.MambaGroups, Conv: m.ConvKernel}}
	return t.MambaStateBytesPerSeq(bytesPerElement)
}

// hybridTokenBytes returns the cache a token of a hybrid takes in a paged
// pool whose sequences hold mean tokens on average: the attention blocks'
// KV of the token and its sequence's recurrent state shared by its mean
// tokens (the state is one block a request, not paged by token).
func hybridTokenBytes(m *registry.Model, mean, bytesPerElement float64) float64 {
	return hybridCacheBytes(m, 1, 0, bytesPerElement) + hybridStateBytes(m, bytesPerElement)/max(mean, 1)
}
