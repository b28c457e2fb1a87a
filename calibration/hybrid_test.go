package calibration

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// A hybrid whose pattern alternates attention and MLP blocks ("*-" × L, 2L
// layers) is a transformer of L layers written block by block: its
// training step has the same products, attention, element-wise traffic
// and kernels (one norm and residual a block, two a transformer layer),
// so the same time on a stack without host dispatch.
func TestHybridOfAttentionAndMLPIsATransformer(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.BF16)
	tf := Transformer{Layers: 8, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 16384, Vocab: 32000}
	hy := tf
	hy.Layers = 16
	hy.Blocks = registry.LayerBlocks{Attention: 8, MLP: 8}
	for _, sw := range []Software{Compiled, MegatronCore, AutoModel} {
		st := Step{Batch: 2, Seq: 2048, Software: sw, Recompute: RecomputeSelective}
		a, b := p.TrainStep(&d, &tf, &st), p.TrainStep(&d, &hy, &st)
		for _, c := range []struct {
			name string
			x, y float64
		}{{"matmul", a.Matmul, b.Matmul}, {"attention", a.Attention, b.Attention}, {"elementwise", a.Elementwise, b.Elementwise},
			{"fixed", a.Fixed, b.Fixed}, {"flops", a.FLOPs, b.FLOPs}, {"total", a.Total, b.Total}} {
			if math.Abs(c.x-c.y) > 1e-9*math.Abs(c.x) {
				t.Errorf("%s %s: transformer %v, hybrid %v", sw, c.name, c.x, c.y)
			}
		}
	}
}

// nanoShape is Nemotron 3 Nano 30B-A3B's (registry hybrid.yaml), built as
// the engine builds it.
func nanoShape() Transformer {
	return Transformer{Layers: 52, Hidden: 2688, Heads: 32, KVHeads: 2, HeadDim: 128, FFN: 1856, Vocab: 131072,
		Experts: 128, ActiveExperts: 6, SharedExperts: 2,
		Blocks: registry.LayerBlocks{Mamba: 23, Attention: 6, MoE: 23},
		SSM:    Mamba2{Heads: 64, HeadDim: 64, State: 128, Groups: 8, Conv: 4, Chunk: 128}}
}

// The Mamba-2 blocks' share of a hybrid's step: the SSD scan's FLOPs are
// 2·Q·N·G + 2·Q·E + 4·N·E a token a Mamba block forward, and only the
// attention blocks attend (6 of 52 layers: a twelfth of the layers' mean).
func TestHybridTrainingShape(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.BF16)
	m := nanoShape()
	const B, S = 1, 4096
	st := Step{Batch: B, Seq: S, Software: MegatronCore}
	full := p.TrainStep(&d, &m, &st)
	noScan := m
	noScan.Blocks = registry.LayerBlocks{Attention: 6, MoE: 23, MLP: 0}
	noScan.Layers = 29
	// The scan's FLOPs, forward and backward (2×), over the 23 blocks.
	E, N, G, Q := 4096.0, 128.0, 8.0, 128.0
	scan := 3 * 23 * B * S * (2*Q*N*G + 2*Q*E + 4*N*E)
	// Mamba blocks' products: in_proj and out_proj, 3× (forward, two backward).
	proj := 3 * 23 * 2 * B * S * 2688 * (E + E + 2*G*N + 64 + E)
	rest := p.TrainStep(&d, &noScan, &st)
	if got := full.FLOPs - rest.FLOPs; math.Abs(got-(scan+proj)) > 1e-6*got {
		t.Errorf("Mamba blocks' FLOPs %g, want scan %g + projections %g", got, scan, proj)
	}
	allAttn := m
	allAttn.Blocks = registry.LayerBlocks{Attention: 29, MoE: 23}
	a := p.TrainStep(&d, &allAttn, &st)
	if r := full.Attention / a.Attention; math.Abs(r-6.0/29) > 1e-9 {
		t.Errorf("attention of 6 blocks / of 29: %v, want %v", r, 6.0/29)
	}
	if full.MoELayers != 23 {
		t.Errorf("MoE layers %v, want the pattern's 23", full.MoELayers)
	}
}
