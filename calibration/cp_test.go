package calibration

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Under context parallelism a rank's S/cp queries attend, on average, half
// of the S keys (load-balanced ring attention): its attention is about
// 1/cp of the whole sequence's, not the 1/cp² of a causal pass over its
// own S/cp tokens alone.
func TestContextParallelAttention(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.BF16)
	m := llama8B()
	const S, cp = 32768, 4
	stage := Stage{Layers: 1, TP: 1}
	whole := p.StageMicrobatch(&d, &m, &Step{Batch: 1, Seq: S, Software: Compiled}, stage)
	rank := p.StageMicrobatch(&d, &m, &Step{Batch: 1, Seq: S / cp, CP: cp, Software: Compiled}, stage)
	alone := p.StageMicrobatch(&d, &m, &Step{Batch: 1, Seq: S / cp, Software: Compiled}, stage)
	if r := cp * rank.Attention / whole.Attention; r < 0.9 || r > 1.2 {
		t.Errorf("cp × a rank's attention / the sequence's: %v, want ≈ 1", r)
	}
	if !(rank.Attention > 2*alone.Attention) {
		t.Errorf("a rank's attention %v, its tokens alone %v", rank.Attention, alone.Attention)
	}
}
