package calibration

import "math"

// Mamba is the shape of a Mamba (selective state-space) language model
// (Gu and Dao 2023, arXiv:2312.00752, §3.4; the reference implementation
// mamba_simple.py's defaults): per layer an input projection to 2·E (E =
// 2·Hidden, the expanded width; one half gates the output), a causal
// depthwise convolution of width 4 with SiLU, projections of the input to
// the step size Δ (rank ⌈Hidden/16⌉) and to B and C (State each), the
// selective scan over the State-dimensional hidden state of each of the E
// channels, and an output projection back to Hidden; an RMSNorm and a
// residual add around it.
type Mamba struct {
	Layers, Hidden, State, Vocab int
}

// MambaExpand and MambaConv are Mamba's expansion factor and convolution
// width (mamba_simple.py: expand=2, d_conv=4).
const (
	MambaExpand = 2
	MambaConv   = 4
)

// StateBytesPerSeq returns the recurrent state of one sequence, all
// layers, at elt bytes an element: the scan's E·State values and the
// convolution's last MambaConv − 1 inputs per layer. It does not grow with
// the context: the SSM's counterpart of the KV cache.
func (m *Mamba) StateBytesPerSeq(elt float64) float64 {
	E := float64(MambaExpand * m.Hidden)
	return float64(m.Layers) * E * (float64(m.State) + MambaConv - 1) * elt
}

// MambaPass returns the time of one pass of m over tokens new tokens of
// each of batch sequences: the prefill of a prompt (prefill, tokens = its
// length) or a decode step (tokens = 1). Every product is timed as a GEMM of
// batch·tokens rows. The selective scan is memory bound (its FLOPs, ≈ 9
// per channel and state element and token, run on the vector units, not
// the tensor cores): it reads the input, Δ, z (E each) and B, C (State
// each) of every token and writes E outputs, the state kept on chip along
// the prompt (the hardware-aware scan); a prefill writes the final state
// once, a decode step reads and writes it. The convolution and SiLU,
// softplus of Δ and the gate are element-wise kernels (fused into the scan
// kernel and the convolution under compiled stacks). Eager prefill pays
// HostLayerS a layer, as a transformer layer; decode runs from a graph.
// The LM head runs on the last token of each sequence.
func (p *Profile) MambaPass(d *Device, m *Mamba, batch, tokens int, prefill bool, sw Software) Breakdown {
	var b Breakdown
	T := float64(batch) * float64(tokens)
	h, N := float64(m.Hidden), float64(m.State)
	E := MambaExpand * h
	R := math.Ceil(h / 16)
	var layer Breakdown
	p.gemm(&layer, d, 1, T, 2*E, h, 1) // in_proj: x and z
	p.gemm(&layer, d, 1, T, R+2*N, E, 1)
	p.gemm(&layer, d, 1, T, E, R, 1) // dt_proj
	p.gemm(&layer, d, 1, T, h, E, 1) // out_proj
	elt := T * (5*h + 4*E + 2*E)     // norm + residual, conv + SiLU, softplus(Δ)
	kernels := 6.0
	if sw != PyTorch {
		elt = T * (3*h + 2*E)
		kernels = 3
	}
	p.elementwise(&layer, d, elt*d.Bytes)
	scan := T*(4*E+2*N)*d.Bytes + float64(batch)*E*N*d.Bytes
	if !prefill {
		scan += float64(batch) * E * N * d.Bytes // the state read back
	}
	layer.Elementwise += scan / p.eltBps(d)
	layer.Bytes += scan
	layer.FLOPs += 9 * T * E * N
	layer.Fixed += (kernels + 1) * p.KernelS
	if sw == PyTorch && prefill {
		layer.Host += p.HostLayerS
	}
	layer.Scale(float64(m.Layers))
	b.Add(&layer)
	// Embedding gather, final norm and the LM head on the last tokens.
	p.elementwise(&b, d, 2*T*h*d.Bytes+2*float64(batch)*h*d.Bytes)
	b.Fixed += 2 * p.KernelS
	p.gemm(&b, d, 1, float64(batch), float64(m.Vocab), h, 1)
	b.finish()
	return b
}
