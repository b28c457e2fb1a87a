package registry

import (
	"strings"
	"testing"
)

func TestParseLayerPattern(t *testing.T) {
	b, err := ParseLayerPattern("M-M*E-E")
	if err != nil {
		t.Fatal(err)
	}
	if b != (LayerBlocks{Mamba: 2, Attention: 1, MLP: 2, MoE: 2}) || b.Total() != 7 {
		t.Errorf("M-M*E-E: %+v", b)
	}
	for _, bad := range []string{"", "MX", "M M", strings.Repeat("M", MaxLayerPattern+1), "m"} {
		if _, err := ParseLayerPattern(bad); err == nil {
			t.Errorf("%.20q: no error", bad)
		}
	}
	if _, err := ParseLayerPattern("M-*x"); err == nil || !strings.Contains(err.Error(), "position 4") {
		t.Errorf("M-*x: %v, want the position named", err)
	}
}

// The registry's hybrids: the pattern's counts add up to the layers and
// are the papers' (Nemotron-H 8B: 24 Mamba-2, 4 attention, 24 MLP layers;
// Nemotron 3 Nano: 23 Mamba-2, 23 MoE, 6 attention layers).
func TestHybridEntries(t *testing.T) {
	r := Default()
	for _, c := range []struct {
		key string
		b   LayerBlocks
	}{
		{"Nemotron_H_8B", LayerBlocks{Mamba: 24, Attention: 4, MLP: 24}},
		{"Nemotron_3_Nano_30B_A3B", LayerBlocks{Mamba: 23, Attention: 6, MoE: 23}},
	} {
		m, err := r.Model(c.key)
		if err != nil {
			t.Fatal(err)
		}
		if m.Blocks != c.b || m.Blocks.Total() != m.Layers || !m.IsHybrid() {
			t.Errorf("%s: blocks %+v of %d layers, want %+v", c.key, m.Blocks, m.Layers, c.b)
		}
		if m.MambaInner() != m.MambaHeads*m.MambaHeadDim || m.ChunkSize != 128 || m.ConvKernel != 4 {
			t.Errorf("%s: inner %d chunk %d conv %d", c.key, m.MambaInner(), m.ChunkSize, m.ConvKernel)
		}
		if c.b.MoE > 0 && m.MoELayers() != c.b.MoE {
			t.Errorf("%s: MoELayers %d, want the pattern's %d", c.key, m.MoELayers(), c.b.MoE)
		}
	}
	if m, _ := r.Model("Llama3_8B"); m.IsHybrid() {
		t.Error("Llama3_8B reads as a hybrid")
	}
}

func TestHybridValidation(t *testing.T) {
	base := "models:\n  - key: H1\n    family: Language\n    type: transformer\n    parameters: 1e9\n    heads: 4\n    source: t\n"
	for _, c := range []struct{ extra, want string }{
		{"    layers: 3\n    hybrid_override_pattern: \"M*\"\n    mamba_num_heads: 4\n    mamba_head_dim: 8\n    state_size: 16\n    n_groups: 1\n", "has 2 layers, layers is 3"},
		{"    layers: 2\n    hybrid_override_pattern: \"M?\"\n", "position 2"},
		{"    layers: 2\n    hybrid_override_pattern: \"M*\"\n", "need mamba_num_heads"},
		{"    layers: 2\n    hybrid_override_pattern: \"E*\"\n", "need type moe"},
		{"    layers: 2\n    mamba_num_heads: 4\n", "for a hybrid model"},
		{"    layers: 2\n    hybrid_override_pattern: \"M*\"\n    mamba_num_heads: 6\n    mamba_head_dim: 8\n    state_size: 16\n    n_groups: 4\n", "multiple of n_groups"},
	} {
		r, err := New()
		if err != nil {
			t.Fatal(err)
		}
		err = r.AddBytes("h.yaml", []byte(base+c.extra))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.extra, err, c.want)
		}
	}
	r, _ := New()
	ok := base + "    layers: 3\n    hybrid_override_pattern: \"M*-\"\n    mamba_num_heads: 4\n    mamba_head_dim: 8\n    state_size: 16\n    n_groups: 2\n"
	if err := r.AddBytes("h.yaml", []byte(ok)); err != nil {
		t.Fatal(err)
	}
	if m, _ := r.Model("H1"); m.ChunkSize != MambaChunkDefault || m.ConvKernel != MambaConvDefault {
		t.Errorf("defaults: chunk %d conv %d", m.ChunkSize, m.ConvKernel)
	}
}

// FuzzParseLayerPattern: any string is counted or refused, never a panic;
// counted, the blocks add up to its length.
func FuzzParseLayerPattern(f *testing.F) {
	f.Add("MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME")
	f.Add("M-M-M-M*-")
	f.Add("")
	f.Add("M\x00*")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseLayerPattern(s)
		if err == nil && b.Total() != len(s) {
			t.Errorf("%q: %d blocks", s, b.Total())
		}
		if err != nil && b != (LayerBlocks{}) {
			t.Errorf("%q: blocks %+v with an error", s, b)
		}
	})
}
