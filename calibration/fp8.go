package calibration

import "github.com/mlsysim/mlsysim-go/registry"

// FP8 training as Transformer Engine runs it (NVIDIA Transformer Engine
// docs, "Using FP8 with Transformer Engine"; Micikevicius et al., FP8
// Formats for Deep Learning, arXiv:2209.05433; DeepSeek-V3 §3.3): the
// linear layers' products run in FP8 with FP8 operands, while activations
// between them, attention (TE's fused attention in BF16 by default), the
// LM head, the loss and the weights the optimizer updates stay in higher
// precision. Each product's input is quantized (per-tensor scaling or
// 1×32 / 128×128 blocks) row-wise for the forward and column-wise
// (transposed) for the weight gradient, fused into its producer where TE
// has such a kernel (fp8Casts). The backward's element-wise traffic being
// twice the forward's (trainStep) covers the output gradients'
// quantization.

// trainActDevice returns the device that times the non-product work of a
// training pass on d: d itself, or for FP8 d at BF16 (2 bytes an element,
// the BF16 rate).
func trainActDevice(d *Device) Device {
	if d.Precision != registry.FP8 {
		return *d
	}
	a := *d
	a.Precision, a.Bytes = registry.BF16, registry.BF16.Bytes()
	if d.BF16PeakFLOPS > 0 {
		a.PeakFLOPS = d.BF16PeakFLOPS
	}
	return a
}

// trainAttnDevice returns the device that times a training pass's
// attention: da (BF16 under FP8 training: TE's fused attention) on the
// stacks with a fused attention kernel; d on the Megatron stack, whose
// unfused attention (Megatron-LM 2021, batched products of materialised
// scores) predates FP8 training and has no FP8 recipe to follow: its
// products are timed at the step's precision.
func trainAttnDevice(d, da *Device, sw Software) Device {
	if sw == Megatron {
		return *d
	}
	return *da
}

// fp8Casts adds the quantization of one layer's product inputs over T
// tokens that no producer kernel fuses to b: 4 bytes an element (read 2,
// write 1 row-wise and 1 column-wise) on da, the BF16 device, one kernel
// each. Transformer Engine fuses the quantization of the inputs that
// follow a norm or the MLP activation into that kernel (LayerNormLinear,
// LayerNormMLP: the producer writes FP8 instead of BF16), so what remains
// is the attention output before the output projection (H·d, MLA H·d_v)
// and, in a MoE layer, the routed tokens after the permutation (k·h per
// token, the layer mean with the dense layers).
func (p *Profile) fp8Casts(b *Breakdown, da *Device, m *Transformer, T float64) {
	elems, kernels := float64(m.Heads*m.HeadDim), 1.0
	if m.KVLatent > 0 {
		elems = float64(m.Heads * m.VDim)
	}
	if m.Experts > 1 && m.ActiveExperts > 0 {
		elems += m.moeFraction() * float64(m.ActiveExperts) * float64(m.Hidden)
		kernels++
	}
	p.elementwise(b, da, 4*T*elems)
	b.Fixed += kernels * p.KernelS
}
