package calibration

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// A stage's parts: Embedding and Loss together price what Head does; a
// multi-token prediction block adds time and hardware FLOPs (MTPFLOPs),
// not model FLOPs, and costs more than one of the model's layers (it
// holds a layer, a projection and an LM head with its loss).
func TestStageParts(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.BF16)
	m := llama8B()
	st := Step{Batch: 2, Seq: 4096, Software: MegatronCore, Recompute: RecomputeSelective}
	head := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 8, TP: 2, Head: true})
	parts := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 8, TP: 2, Embedding: true, Loss: true})
	for _, c := range [][2]float64{{head.Total, parts.Total}, {head.FLOPs, parts.FLOPs}, {head.ModelFLOPs, parts.ModelFLOPs}, {head.HeadMatmul, parts.HeadMatmul}} {
		if math.Abs(c[0]-c[1]) > 1e-12*math.Abs(c[0]) {
			t.Errorf("Head %v, Embedding+Loss %v", c[0], c[1])
		}
	}
	emb := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 8, TP: 2, Embedding: true})
	loss := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 8, TP: 2, Loss: true})
	bare := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 8, TP: 2})
	if !(bare.Total < emb.Total && emb.Total < loss.Total && loss.Total < head.Total) {
		t.Errorf("bare %v, embedding %v, loss %v, head %v", bare.Total, emb.Total, loss.Total, head.Total)
	}
	one := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 1, TP: 2})
	mst := st
	mst.MTP = 1
	withMTP := p.StageMicrobatch(&d, &m, &mst, Stage{Layers: 8, TP: 2, Head: true})
	placed := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 8, TP: 2, Head: true, MTP: 1})
	if withMTP.Total != placed.Total || withMTP.MTPFLOPs != placed.MTPFLOPs {
		t.Errorf("Step.MTP on the Head stage %v, Stage.MTP %v", withMTP.Total, placed.Total)
	}
	dt := withMTP.Total - head.Total
	if !(dt > one.Total) || !(withMTP.MTPFLOPs > 0) || withMTP.ModelFLOPs != head.ModelFLOPs ||
		math.Abs(withMTP.FLOPs-head.FLOPs-withMTP.MTPFLOPs) > 1e-9*withMTP.FLOPs {
		t.Errorf("MTP block: +%v s (a layer %v s), FLOPs %v → %v (MTP %v), model FLOPs %v → %v",
			dt, one.Total, head.FLOPs, withMTP.FLOPs, withMTP.MTPFLOPs, head.ModelFLOPs, withMTP.ModelFLOPs)
	}
	// Not on a stage without the head.
	if b := p.StageMicrobatch(&d, &m, &mst, Stage{Layers: 8, TP: 2}); b.Total != bare.Total {
		t.Errorf("Step.MTP priced on a stage without the head: %v, %v", b.Total, bare.Total)
	}
}
