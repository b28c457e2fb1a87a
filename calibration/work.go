package calibration

import "github.com/mlsysim/mlsysim-go/registry"

// The entries below price work the engine describes for models and
// clusters beyond a transformer's layers: size-only models, CNNs as a
// step, collectives. With TrainStep, StageMicrobatch, DecodeStep and
// ServingStepsTo they are what the engine's calibrated fidelity calls, one
// entry per quantity, so that every formula of the calibrated model lives
// in this package.

// Generic is the work of a pass of a model without layer shapes (SSMs,
// diffusion U-Nets, size-only models): Layers equal layers, each one kernel
// with the layer's share of the pass's FLOPs and bytes.
type Generic struct {
	Layers     int
	FLOPs      float64 // hardware FLOPs of the pass (recomputation included)
	ModelFLOPs float64 // FLOPs without recomputation (for MFU)
	Bytes      float64 // DRAM traffic of the pass
	Optimizer  bool    // add the Adam update of Params parameters
	Params     float64
}

// GenericPass returns the time of w: each of the L layers one kernel whose
// compute and memory times are the layer's share, blended as a product's
// (PNorm at GEMMSharpness), plus its fixed time, plus the Adam update when
// asked (adam):
//
//	t = L·((tc/L)^p + (tm/L)^p)^(1/p) + L·t_kernel + t_adam
//	tc = F / (peak·MatmulFrac),  tm = W / (BW·MemBWFrac)
//
// The update's traffic is not added to Bytes.
func (p *Profile) GenericPass(d *Device, w *Generic) Breakdown {
	var b Breakdown
	L := float64(w.Layers)
	tc := w.FLOPs / p.matmulRate(d)
	tm := w.Bytes / p.streamBps(d)
	b.Matmul = PNorm(tc/L, tm/L, p.GEMMSharpness) * L
	b.Fixed = L * p.KernelS
	if w.Optimizer {
		b.Optimizer, _ = p.adam(d, w.Params)
	}
	b.FLOPs, b.ModelFLOPs, b.Bytes = w.FLOPs, w.ModelFLOPs, w.Bytes
	b.Total = b.Matmul + b.Fixed + b.Optimizer
	return b
}

// CNNStep returns the time of one step of n over batch images: a forward
// (CNNForward), or for training a forward and backward (CNNTrainStep) and,
// when optimizer is set, the Adam update of the network's parameters after
// it (adam; its traffic is not added to Bytes).
func (p *Profile) CNNStep(d *Device, n *CNN, batch int, train, optimizer bool, sw Software) Breakdown {
	if !train {
		return p.CNNForward(d, n, batch, sw)
	}
	b := p.CNNTrainStep(d, n, batch, sw)
	if optimizer {
		b.Optimizer = p.OptimizerS(d, n.Parameters())
		b.Total += b.Optimizer
	}
	return b
}

// IntraNodeFrac returns the fraction of the intra-node link's datasheet
// bandwidth collectives achieve on hw: the NVLink efficiency when hw has
// NVLink, else the PCIe one.
func (p *Profile) IntraNodeFrac(hw *registry.Hardware) float64 {
	if hw.NVLink.PerDirectionBps() > 0 {
		return p.Collective.NVLink
	}
	return p.Collective.PCIe
}

// FabricFrac returns the fraction of fabric f's datasheet bandwidth
// collectives achieve between nodes, by the fabric's key or name: Ethernet
// (also RoCE, GbE), PCIe, NVLink, and InfiniBand for any other.
func (p *Profile) FabricFrac(f *registry.Fabric) float64 {
	has := func(sub string) bool { return containsFold(f.Key, sub) || containsFold(f.Name, sub) }
	switch {
	case has("ethernet") || has("roce") || has("gbe"):
		return p.Collective.Ethernet
	case has("pcie"):
		return p.Collective.PCIe
	case has("nvlink"):
		return p.Collective.NVLink
	}
	return p.Collective.InfiniBand
}

// containsFold reports whether s contains the lower-case ASCII sub, ignoring
// case, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}
