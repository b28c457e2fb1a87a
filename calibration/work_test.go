package calibration

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Collectives between nodes run at the fraction of the fabric's kind,
// told by its key or name whatever the case (docs/accuracy.md, collective
// efficiencies); inside a node, NVLink's where the device has it.
func TestCollectiveFractions(t *testing.T) {
	reg := registry.Default()
	h100, _ := reg.Hardware("H100")
	p := Embedded().Profile(h100)
	for _, c := range []struct {
		fabric string
		want   float64
	}{
		{"Ethernet_100G", p.Collective.Ethernet},
		{"RoCE_100G", p.Collective.Ethernet},
		{"InfiniBand_NDR", p.Collective.InfiniBand},
		{"InfiniBand_XDR", p.Collective.InfiniBand},
	} {
		f, err := reg.Fabric(c.fabric)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.FabricFrac(f); got != c.want {
			t.Errorf("%s: %g, want %g", c.fabric, got, c.want)
		}
	}
	if got := p.FabricFrac(&registry.Fabric{Key: "x", Name: "PCIe Gen5 switch"}); got != p.Collective.PCIe {
		t.Errorf("a PCIe fabric: %g, want %g", got, p.Collective.PCIe)
	}
	if got := p.IntraNodeFrac(h100); got != p.Collective.NVLink {
		t.Errorf("H100 intra-node: %g, want NVLink's %g", got, p.Collective.NVLink)
	}
	if got := p.IntraNodeFrac(&registry.Hardware{Key: "x"}); got != p.Collective.PCIe {
		t.Errorf("no NVLink: %g, want PCIe's %g", got, p.Collective.PCIe)
	}
}

// The Adam update is one formula wherever a step includes it: a training
// step with the update is the step without it plus OptimizerS, and the
// generic pass and the CNN step add the same time.
func TestAdamOnce(t *testing.T) {
	hw, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(hw)
	d := DeviceFor(hw, registry.BF16)
	const params = 8e9
	want := params * (3*d.Bytes + 24) / (d.MemBps * p.ElementwiseBWFrac)
	if got := p.OptimizerS(&d, params); got != want {
		t.Errorf("OptimizerS %g, want %g", got, want)
	}
	m := Transformer{Layers: 2, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 128256, GatedMLP: true}
	st := Step{Batch: 1, Seq: 512, Optimizer: true, Params: params}
	if b := p.TrainStep(&d, &m, &st); b.Optimizer != want {
		t.Errorf("TrainStep's update %g, want %g", b.Optimizer, want)
	}
	if b := p.GenericPass(&d, &Generic{Layers: 4, FLOPs: 1e12, ModelFLOPs: 1e12, Bytes: 1e9, Optimizer: true, Params: params}); b.Optimizer != want {
		t.Errorf("GenericPass's update %g, want %g", b.Optimizer, want)
	}
	n, _ := CNNFor("ResNet50")
	with, without := p.CNNStep(&d, n, 32, true, true, PyTorch), p.CNNStep(&d, n, 32, true, false, PyTorch)
	if u := p.OptimizerS(&d, n.Parameters()); with.Optimizer != u || with.Total != without.Total+u {
		t.Errorf("CNNStep's update %g (total %g, without %g), want %g", with.Optimizer, with.Total, without.Total, u)
	}
}
