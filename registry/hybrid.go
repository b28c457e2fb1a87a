package registry

import "fmt"

// MaxLayerPattern bounds the length of a hybrid layer pattern (and so the
// layers of a hybrid model): far above any published model (Nemotron-H
// 56B: 118 layers) and small enough that a pattern is parsed in
// microseconds.
const MaxLayerPattern = 4096

// LayerBlocks counts the blocks of a hybrid Mamba-Transformer's layer
// pattern (Model.LayerPattern). In such a model each layer is one block,
// a pre-norm, one mixer and a residual add: a Mamba-2 mixer, an attention
// mixer, a dense MLP or a mixture-of-experts MLP, not the attention + MLP
// pair of a transformer layer.
type LayerBlocks struct {
	Mamba     int // 'M': Mamba-2 (Dao and Gu 2024, arXiv:2405.21060)
	Attention int // '*': self-attention
	MLP       int // '-': dense MLP
	MoE       int // 'E': mixture-of-experts MLP
}

// Total returns the blocks of all kinds, the pattern's length.
func (b LayerBlocks) Total() int { return b.Mamba + b.Attention + b.MLP + b.MoE }

// ParseLayerPattern counts the blocks of a hybrid layer pattern, the
// hybrid_override_pattern of a Nemotron-H config.json (Hugging Face
// transformers configuration_nemotron_h.py; NVIDIA, "Nemotron-H",
// arXiv:2504.03624): one character per layer, 'M' a Mamba-2 layer, '*'
// an attention layer, '-' an MLP layer, 'E' a mixture-of-experts layer.
// It returns an error naming the first offending position for any other
// character, and for an empty pattern or one longer than MaxLayerPattern.
func ParseLayerPattern(s string) (LayerBlocks, error) {
	var b LayerBlocks
	if s == "" {
		return b, fmt.Errorf("layer pattern is empty")
	}
	if len(s) > MaxLayerPattern {
		return b, fmt.Errorf("layer pattern has %d characters, at most %d", len(s), MaxLayerPattern)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'M':
			b.Mamba++
		case '*':
			b.Attention++
		case '-':
			b.MLP++
		case 'E':
			b.MoE++
		default:
			return LayerBlocks{}, fmt.Errorf("layer pattern position %d: %q, want M (Mamba-2), * (attention), - (MLP) or E (mixture of experts)", i+1, s[i])
		}
	}
	return b, nil
}

// IsHybrid reports whether m is a hybrid Mamba-Transformer: it has a layer
// pattern (LayerPattern, parsed into Blocks at load).
func (m *Model) IsHybrid() bool { return m.Blocks.Total() > 0 }

// MambaInner returns the inner width of m's Mamba-2 layers, heads × head
// dimension (the d_inner of the Nemotron-H implementation; 0 when unset).
func (m *Model) MambaInner() int { return m.MambaHeads * m.MambaHeadDim }

// MambaChunkDefault is the chunk length of the SSD algorithm when a model
// does not state one: 256 (Dao and Gu 2024, arXiv:2405.21060, §6-7, the
// chunk size of its benchmarks and of mamba_ssm's Mamba2 default).
const MambaChunkDefault = 256

// MambaConvDefault is the width of the depthwise causal convolution when
// a model does not state one: 4 (mamba_ssm's Mamba2 default d_conv).
const MambaConvDefault = 4

// checkHybrid validates the hybrid fields of m (from entry e): the
// pattern's characters and length (= layers), the Mamba-2 sizes its 'M'
// layers need, experts for its 'E' layers, and none of them without a
// pattern. It fills ConvKernel and ChunkSize defaults.
func (c *checker) checkHybrid(e string, m *Model) {
	mambaSet := m.MambaHeads+m.MambaHeadDim+m.MambaGroups+m.ConvKernel+m.ChunkSize > 0
	if m.LayerPattern == "" {
		if mambaSet {
			c.errorf(e, "mamba_num_heads, mamba_head_dim, n_groups, conv_kernel and chunk_size are for a hybrid model with a hybrid_override_pattern")
		}
		return
	}
	b, err := ParseLayerPattern(m.LayerPattern)
	if err != nil {
		c.errorf(e, "hybrid_override_pattern: %v", err)
		return
	}
	if m.Class != ClassTransformer && m.Class != ClassMoE {
		c.errorf(e, "a hybrid_override_pattern is for type transformer or moe, not %s", m.Class)
		return
	}
	if b.Total() != m.Layers {
		c.errorf(e, "hybrid_override_pattern has %d layers, layers is %d", b.Total(), m.Layers)
		return
	}
	if b.Mamba > 0 && (m.MambaHeads <= 0 || m.MambaHeadDim <= 0 || m.StateSize <= 0 || m.MambaGroups <= 0) {
		c.errorf(e, "Mamba-2 layers (M) need mamba_num_heads, mamba_head_dim, state_size and n_groups")
		return
	}
	if m.MambaGroups > 0 && m.MambaHeads%m.MambaGroups != 0 {
		c.errorf(e, "mamba_num_heads %d is not a multiple of n_groups %d", m.MambaHeads, m.MambaGroups)
		return
	}
	if b.MoE > 0 && (m.Class != ClassMoE || m.Experts < 2) {
		c.errorf(e, "mixture-of-experts layers (E) need type moe and experts")
		return
	}
	if m.Class == ClassMoE && b.MoE == 0 {
		c.errorf(e, "a hybrid of type moe needs E layers in its hybrid_override_pattern")
		return
	}
	if b.Attention > 0 && m.Heads <= 0 {
		c.errorf(e, "attention layers (*) need heads")
		return
	}
	if m.DenseLayers+m.MoELayerStep+m.WindowLayers > 0 {
		c.errorf(e, "dense_layers, moe_layer_step and window_layers do not combine with a hybrid_override_pattern, which places every layer")
		return
	}
	if m.ConvKernel == 0 {
		m.ConvKernel = MambaConvDefault
	}
	if m.ChunkSize == 0 {
		m.ChunkSize = MambaChunkDefault
	}
	m.Blocks = b
}
