package calibration

import (
	"math"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Device is the datasheet side of a prediction: the numbers the profile's
// fractions apply to.
type Device struct {
	PeakFLOPS float64 // dense matrix rate at the precision, flop/s
	BF16FLOPS float64 // dense bf16 matrix rate (the rate of what a mixed-precision recipe keeps in bf16); 0 = PeakFLOPS
	MemBps    float64 // memory bandwidth, B/s
	SMs       int     // streaming multiprocessors (or cores); 0 = unknown
	Precision registry.Precision
	Bytes     float64 // bytes per element at the precision
	// WeightBytes is the bytes of one weight element when the weights are
	// stored in another format than the arithmetic's (W4A16: 0.5 beside
	// Bytes 2); 0 = Bytes. It prices the weight operand of the layers'
	// products and the LM head.
	WeightBytes float64
}

// weightBytes returns the bytes of one weight element on d.
func (d *Device) weightBytes() float64 {
	if d.WeightBytes > 0 {
		return d.WeightBytes
	}
	return d.Bytes
}

// DeviceFor returns the datasheet numbers of hw at precision p.
func DeviceFor(hw *registry.Hardware, p registry.Precision) Device {
	peak := hw.PeakFor(p)
	bf16 := peak // at bf16 the same look-up
	if p != registry.BF16 {
		bf16 = hw.PeakFor(registry.BF16)
	}
	return Device{PeakFLOPS: peak, BF16FLOPS: bf16, MemBps: hw.MemBandwidthBps, SMs: hw.SMCount, Precision: p, Bytes: p.Bytes()}
}

// restDevice returns the device the operators other than the linear
// layers' products of a training step run on, and whether it differs
// from d: under a stack with Transformer Engine's fp8 recipe
// (Stack.FP8Recipe "te") at fp8, attention, element-wise kernels, the
// output layer, the loss and the optimizer run in bf16 (2-byte elements,
// the bf16 matrix rate); otherwise everything runs on d.
func restDevice(d *Device, sw Software) (Device, bool) {
	r := *d
	if !stack(sw).teFP8() || d.Precision != registry.FP8 || !(d.BF16FLOPS > 0) {
		return r, false
	}
	r.PeakFLOPS, r.Precision, r.Bytes = d.BF16FLOPS, registry.BF16, registry.BF16.Bytes()
	return r, true
}

// activations16Device returns the device a pass on stack sw runs its
// attention and element-wise kernels on, and whether it differs from d:
// on a stack that quantises only its GEMMs' inputs (Stack.Activations16)
// at a precision narrower than 16 bits, the tensors between operators are
// 16-bit (the engine's dtype, float16) and so are the attention kernel's
// queries, keys and values: those kernels run at the dense 16-bit matrix
// rate (the bf16 peak, which fp16 shares on these GPUs) over 2-byte
// elements, while the linear layers' products stay on d. TensorRT-LLM
// v0.5 / v0.6.1 engines are built with --dtype float16
// --use_gpt_attention_plugin float16 --enable_fp8 --fp8_kv_cache
// (docs/source/performance.md at github.com/NVIDIA/TensorRT-LLM@138f96d45f90,
// Benchmarking per Model): fp8 GEMMs, the attention plugin in float16 over
// an fp8 KV cache (an fp8 context FMHA came later as the opt-in
// --use_fp8_context_fmha of trtllm-build). The KV cache keeps its own
// bytes (layerRest pins them to d's when the pass leaves them implicit).
func activations16Device(d *Device, sw Software) (Device, bool) {
	r := *d
	if !activations16(d, sw) {
		return r, false
	}
	r.PeakFLOPS, r.Precision, r.Bytes = d.BF16FLOPS, registry.FP16, registry.FP16.Bytes()
	return r, true
}

// activations16 reports whether activations16Device(d, sw) differs from
// d: the test alone, without building the device (the hot paths check it
// before they copy one).
func activations16(d *Device, sw Software) bool {
	return stack(sw).Activations16 && d.Bytes < 2 && d.BF16FLOPS > 0
}

// Software is the software stack a prediction assumes: an index into the
// stacks of data/stacks.json (Stack, stacks.go).
type Software uint8

// SoftwareNames returns the stacks' names, in order.
func SoftwareNames() []string { return softwareNames[:] }

// String returns the stack's name.
func (s Software) String() string {
	if s < NumSoftware {
		return softwareNames[s]
	}
	return "unknown"
}

// Element-wise traffic of one transformer layer, in elements read plus
// written per token, per unit of hidden size h, query width H·d, KV width
// Hkv·d and MLP width F. PyTorch counts the ops of a Llama layer written in
// plain PyTorch (gpu_groundtruth.py): two RMSNorms (read+write h each), two
// residual adds (3h each), rotary embedding of q and k (mul, neg, cat, mul,
// add: 10 per element), GQA repeat of K and V (read Hkv·d, write H·d each),
// the attention output made contiguous (2·H·d), SiLU and the gate product
// (5F; 2F for a plain GELU MLP). Compiled fuses rotary embedding into the
// QKV epilogue and the residual into the norm: norms 4h + residual 2h,
// activation 3F.
type eltCoef struct{ h, q, kv, f, fPlain, kernels float64 }

var (
	eltUnfused = eltCoef{h: 10, q: 10 + 2 + 2, kv: 10 + 2, f: 5, fPlain: 2, kernels: 19}
	eltFused   = eltCoef{h: 6, q: 0, kv: 0, f: 3, fPlain: 2, kernels: 5}
)

// Breakdown is the time of one pass by operator kind, seconds. Total is
// what the pass takes: the GPU sum, or the host dispatch when that is
// longer (eager).
type Breakdown struct {
	Matmul      float64 // GEMMs, including LM head and MoE experts
	Attention   float64 // attention kernels
	Elementwise float64 // norms, rotary, activations, residuals, embedding, loss
	Optimizer   float64 // optimizer update
	Fixed       float64 // per-kernel fixed times of all kernels
	Host        float64 // host dispatch (eager), overlapping the GPU work
	FLOPs       float64 // hardware FLOPs executed
	ModelFLOPs  float64 // FLOPs without recomputation (for MFU)
	Bytes       float64 // bytes moved (model of DRAM traffic)
	Total       float64
	// AttnFwd and AttnBwd split Attention of a training pass: the
	// layers' attention forward (once) and backward; a recomputed
	// forward's attention is in Attention only. A context-parallel ring
	// overlaps its forward and backward K/V exchanges with these.
	AttnFwd, AttnBwd float64
	// HeadMatmul is the part of Matmul the LM head's products take (the
	// products that no tensor-parallel collective of Transformer Engine's
	// linear layers overlaps).
	HeadMatmul float64
	// MatmulFixed is the part of Fixed the products' kernels take (a
	// split-K product's two), HeadMatmulFixed the LM head's share of it:
	// with Matmul, the time the products occupy the GPU.
	MatmulFixed, HeadMatmulFixed float64
	// MoELayers is the pass's MoE layers (a training step's: the layers
	// × their MoE share; 0 for a dense model and outside training steps):
	// the count the stack's MoELayerMicrobatchS multiplies into Fixed.
	// The counts of the same layers that nothing prices (routed copies,
	// local experts: the forms of the MoE layer's cost the accuracy report
	// compares with it) are Transformer.StageMoECounts, outside the
	// breakdown every pass adds and scales.
	MoELayers float64
	// MTPFLOPs is the part of FLOPs the multi-token prediction blocks
	// execute (Profile.mtpBlocks); ModelFLOPs does not count them.
	MTPFLOPs float64

	attnFLOPs float64
}

// OverheadS returns the time of b that no operator class holds: the
// kernels' fixed times and the host dispatch the GPU work does not hide,
//
//	Total − (Matmul + Attention + Elementwise + Optimizer)
//	  = Fixed + (Total − GPU sum)
//
// so that Matmul + Attention + Elementwise + Optimizer + OverheadS is
// Total. Total ≥ the GPU sum (finish blends host and GPU as a p-norm, at
// least their max), so it is ≥ Fixed up to rounding.
func (b *Breakdown) OverheadS() float64 {
	return b.Total - (b.Matmul + b.Attention + b.Elementwise + b.Optimizer)
}

func (b *Breakdown) gpu() float64 {
	return b.Matmul + b.Attention + b.Elementwise + b.Optimizer + b.Fixed
}

// Add adds o's times and counts to b's (Total excepted: finish or the
// caller sets it).
func (b *Breakdown) Add(o *Breakdown) {
	b.Matmul += o.Matmul
	b.Attention += o.Attention
	b.Elementwise += o.Elementwise
	b.Optimizer += o.Optimizer
	b.Fixed += o.Fixed
	b.Host += o.Host
	b.FLOPs += o.FLOPs
	b.ModelFLOPs += o.ModelFLOPs
	b.Bytes += o.Bytes
	b.AttnFwd += o.AttnFwd
	b.AttnBwd += o.AttnBwd
	b.HeadMatmul += o.HeadMatmul
	b.MatmulFixed += o.MatmulFixed
	b.HeadMatmulFixed += o.HeadMatmulFixed
	b.MoELayers += o.MoELayers
	b.MTPFLOPs += o.MTPFLOPs
}

// Scale multiplies b's times and counts by k (Total excepted: finish or
// the caller sets it).
func (b *Breakdown) Scale(k float64) {
	b.Matmul *= k
	b.Attention *= k
	b.Elementwise *= k
	b.Optimizer *= k
	b.Fixed *= k
	b.Host *= k
	b.FLOPs *= k
	b.ModelFLOPs *= k
	b.Bytes *= k
	b.AttnFwd *= k
	b.AttnBwd *= k
	b.HeadMatmul *= k
	b.MatmulFixed *= k
	b.HeadMatmulFixed *= k
	b.MoELayers *= k
	b.MTPFLOPs *= k
}

// finish sets Total. Host dispatch and GPU work overlap (the host runs
// ahead); near the crossover both show, so they blend as a p-norm with
// p = 4 rather than a hard max.
func (b *Breakdown) finish() {
	if b.ModelFLOPs == 0 {
		b.ModelFLOPs = b.FLOPs
	}
	b.Total = pnorm4(b.gpu(), b.Host)
}

// MatmulFLOPS returns the achievable large-product rate on d, flop/s:
//
//	peak · MatmulFrac(precision)
func (p *Profile) MatmulFLOPS(d *Device) float64 { return p.matmulRate(d) }

// StreamBps returns the achievable bandwidth of streaming reads on d, B/s:
//
//	BW · MemBWFrac
func (p *Profile) StreamBps(d *Device) float64 { return p.streamBps(d) }

// matmulRate returns the achievable large-product rate, flop/s.
func (p *Profile) matmulRate(d *Device) float64 {
	return d.PeakFLOPS * p.MatmulFrac.Get(d.Precision)
}

func (p *Profile) streamBps(d *Device) float64 { return d.MemBps * p.MemBWFrac }

func (p *Profile) eltBps(d *Device) float64 { return d.MemBps * p.ElementwiseBWFrac }

// gemmWork returns the compute and memory time of count products of
// [m,k]×[k,n] with the operands in DRAM, without the kernel's fixed time;
// rate scales the matrix rate (backward products).
func (p *Profile) gemmWork(d *Device, count, m, n, k, rate float64) (tc, tm, flops, bytes float64) {
	if m <= 0 || n <= 0 || k <= 0 || count <= 0 {
		return 0, 0, 0, 0
	}
	mr := math.Ceil(m/p.TileM) * p.TileM
	flops = 2 * count * m * n * k
	bytes = count * ((m*k+m*n)*d.Bytes + k*n*d.weightBytes())
	tc = 2 * count * mr * n * k / (p.matmulRate(d) * rate)
	tm = bytes / p.streamBps(d)
	return
}

// GEMMTime returns the GPU time of one [m,k]×[k,n] product at d's
// precision, operands in DRAM:
//
//	t = t_gemm + (tc^p + tm^p)^(1/p)  [+ t_kernel + t_reduce when split along K]
//	t_gemm = GEMMKernelS at the precision, else KernelS (t_kernel)
//	tc = 2·ceil(m/TileM)·TileM·n·k / (peak·MatmulFrac)
//	tm = (m·k + k·n + m·n)·bytes / (BW·MemBWFrac)
func (p *Profile) GEMMTime(d *Device, m, n, k float64) float64 {
	g := p.gemmTimed(d, 1, m, n, k, 1)
	return g.fixed + g.t
}

// SplitK reports whether the matrix library runs a single [m,k]×[k,n]
// product as a split-K kernel followed by a reduction: when its rows fit
// one 128-row tile (m ≤ 128) and k ≥ 2n, so that the output has too few
// tiles to fill the GPU. This is cuBLAS's choice on the H100 (CUDA 13) for
// 132 of 150 products surveyed by calibration/scripts/gpu_splitk.py
// (calibration/measurements/h100-splitk-2026-11-26.json, M = 1-256, K/N =
// 1-6; it also splits some m ≤ 64 products with k = 1.5n and some m = 256
// ones with k ≥ 4n, and not some m = 128 ones with k ≤ 3n).
func SplitK(m, n, k float64) bool { return m <= splitKRows && k >= 2*n }

// reduceS is the reduction kernel's time after a split-K product, without
// its fixed time: two slices of fp32 partial sums read and the output
// written once (measured reductions take 1.5-7.5 µs).
func (p *Profile) reduceS(d *Device, m, n float64) float64 {
	return m * n * (2*4 + d.Bytes) / p.streamBps(d)
}

// StandaloneGEMMTime is GEMMTime for a product dispatched alone from the
// host and timed by itself: max(OpFloorS, GEMMTime).
func (p *Profile) StandaloneGEMMTime(d *Device, m, n, k float64) float64 {
	return math.Max(p.OpFloorS, p.GEMMTime(d, m, n, k))
}

func (p *Profile) gemm(b *Breakdown, d *Device, count, m, n, k, rate float64) {
	p.addGEMM(b, p.gemmTimed(d, count, m, n, k, rate))
}

// timedGEMM is a product's blended time (with the reduction of a split-K
// product), FLOPs, bytes and its kernels' fixed time.
type timedGEMM struct{ t, flops, bytes, fixed float64 }

// gemmKernelS returns the fixed time of one product kernel on d:
// GEMMKernelS at d's precision, else KernelS.
func (p *Profile) gemmKernelS(d *Device) float64 {
	if t := p.GEMMKernelS.at(d.Precision); t != nil && *t > 0 {
		return *t
	}
	return p.KernelS
}

func (p *Profile) gemmTimed(d *Device, count, m, n, k, rate float64) timedGEMM {
	tc, tm, fl, by := p.gemmWork(d, count, m, n, k, rate)
	if fl == 0 {
		return timedGEMM{}
	}
	g := timedGEMM{p.blend(tc, tm), fl, by, p.gemmKernelS(d)}
	if count == 1 && SplitK(m, n, k) {
		g.t += p.reduceS(d, m, n)
		g.fixed += p.KernelS // the reduction
	} else if count == 1 && m > splitKRows && SplitK(splitKRows, n, k) {
		// A product is never faster than one it contains: past the
		// split-K rows it takes at least the split product of splitKRows
		// rows (whose reduction it no longer runs).
		s := p.gemmTimed(d, 1, splitKRows, n, k, rate)
		g.t = math.Max(g.t, s.t+p.KernelS)
	}
	return g
}

// splitKRows is the most rows SplitK splits.
const splitKRows = 128

// groupedGEMM adds count products of [m,k]×[k,n] run as one grouped kernel
// (the experts of a mixture) to b: never split along K, whatever count.
func (p *Profile) groupedGEMM(b *Breakdown, d *Device, count, m, n, k, rate float64) {
	tc, tm, fl, by := p.gemmWork(d, count, m, n, k, rate)
	if fl == 0 {
		return
	}
	p.addGEMM(b, timedGEMM{p.blend(tc, tm), fl, by, p.gemmKernelS(d)})
}

func (p *Profile) addGEMM(b *Breakdown, g timedGEMM) {
	if g.flops == 0 {
		return
	}
	b.Matmul += g.t
	b.Fixed += g.fixed
	b.MatmulFixed += g.fixed
	b.FLOPs += g.flops
	b.Bytes += g.bytes
}

func (p *Profile) elementwise(b *Breakdown, d *Device, bytes float64) {
	b.Elementwise += bytes / p.eltBps(d)
	b.Bytes += bytes
}

// Pass is one transformer pass to time.
type Pass struct {
	Batch    int  // sequences
	Tokens   int  // new tokens per sequence (1 for a decode step)
	Ctx      int  // tokens each new token attends to at most (the KV context for decode; Tokens for a causal prefill)
	AllLogit bool // LM head over every token (training) rather than the last one
	Software Software
	// KVBytes is the bytes of one element of the KV cache (a quantized
	// cache); 0 is the precision's own.
	KVBytes float64
	// Graphed marks a pass of several tokens launched from a graph (the
	// verify step of speculative decoding): no eager host dispatch.
	Graphed bool
	// Prefill marks a pass of prompt tokens: its attention is the prefill
	// kernel's even for one token (a chunk or the uncached tail of a
	// prompt), and an eager stack dispatches it from the host.
	Prefill bool
	// Full marks attention without a causal mask: every token attends all
	// Ctx keys (the self- and cross-attention of a diffusion U-Net).
	Full bool
}

// decode reports whether ps's attention is a decode kernel's: one new
// token of each sequence, not part of a prompt.
func (ps *Pass) decode() bool { return ps.Tokens == 1 && !ps.Prefill }

// kvBytes returns the bytes of one KV cache element of ps on d.
func (ps *Pass) kvBytes(d *Device) float64 {
	if ps.KVBytes > 0 {
		return ps.KVBytes
	}
	return d.Bytes
}

// layerMatmuls adds one layer's matrix products (and, for MoE, the expert
// dispatch) to b. They depend on the tokens of the pass, not on the
// context they attend to: the decode steps of a static batch share them.
// The linear layers run on d; a mixture's router and token permutation,
// which are no linear layers of Transformer Engine's fp8 recipe, on dr
// (restDevice; d itself outside that recipe).
func (p *Profile) layerMatmuls(b *Breakdown, d, dr *Device, m *Transformer, ps *Pass, rate float64) {
	B := float64(ps.Batch)
	T := B * float64(ps.Tokens)
	h, H, Hkv, hd := float64(m.Hidden), float64(m.Heads), float64(m.KVHeads), float64(m.HeadDim)
	F := float64(m.FFN)
	q, kv := H*hd, Hkv*hd
	if m.Hybrid() {
		p.hybridMatmuls(b, d, dr, m, T, rate) // hybrid.go
		return
	}
	if m.KVLatent > 0 {
		p.mlaProjections(b, d, m, T, rate)
	} else {
		p.gemm(b, d, 1, T, q+2*kv, h, rate)
		p.gemm(b, d, 1, T, h, q, rate)
	}
	if m.Experts > 1 && m.ActiveExperts > 0 {
		p.moeMLPs(b, d, dr, m, T, rate)
		return
	}
	up := m.upWidth(F)
	p.gemm(b, d, 1, T, up, h, rate)
	p.gemm(b, d, 1, T, h, F, rate)
}

// layerRest adds one layer's attention and element-wise kernels to b.
func (p *Profile) layerRest(b *Breakdown, d *Device, m *Transformer, ps *Pass, rate float64) {
	if activations16(d, ps.Software) {
		p.layerRest16(b, d, m, ps, rate)
		return
	}
	p.layerRestOn(b, d, m, ps, rate)
}

// layerRest16 is layerRest on a stack whose attention and element-wise
// kernels run in 16 bits (activations16Device): those kernels on the
// 16-bit device, over the KV cache at its own bytes.
func (p *Profile) layerRest16(b *Breakdown, d *Device, m *Transformer, ps *Pass, rate float64) {
	d16, _ := activations16Device(d, ps.Software)
	q := *ps
	if q.KVBytes == 0 {
		q.KVBytes = d.Bytes
	}
	p.layerRestOn(b, &d16, m, &q, rate)
}

// layerRestOn is layerRest with its kernels on d.
func (p *Profile) layerRestOn(b *Breakdown, d *Device, m *Transformer, ps *Pass, rate float64) {
	B := float64(ps.Batch)
	T := B * float64(ps.Tokens)
	h, H, Hkv, hd := float64(m.Hidden), float64(m.Heads), float64(m.KVHeads), float64(m.HeadDim)
	F := float64(m.FFN)
	q, kv := H*hd, Hkv*hd
	// Attention.
	flops, bytes := p.attention(b, d, m, ps, rate)
	b.FLOPs += flops
	b.attnFLOPs = flops
	b.Bytes += bytes
	// Element-wise.
	stk := stack(ps.Software)
	c := &eltFused
	if stk.unfused() {
		c = &eltUnfused
	}
	if m.Hybrid() {
		p.hybridRest(b, d, m, ps, c) // hybrid.go
		if stk.EagerDispatch && !ps.decode() && !ps.Graphed {
			b.Host += p.HostLayerS
		}
		return
	}
	fc := c.f
	if !m.GatedMLP {
		fc = c.fPlain
	}
	p.elementwise(b, d, T*d.Bytes*(c.h*h+c.q*q+c.kv*kv+fc*F))
	b.Fixed += c.kernels * p.KernelS
	if stk.EagerDispatch && !ps.decode() && !ps.Graphed {
		b.Host += p.HostLayerS
	}
}

// attention adds one layer's attention time and kernels to b and returns
// its FLOPs and bytes. The KV cache is read (and, in a prefill, written) at
// ps.KVBytes an element. A decode kernel runs one thread block per
// (sequence, KV head), which reaches the full bandwidth only with
// DecodeAttnSatFrac × SM-count blocks; fewer get a proportional share. A
// stack with split-KV decode attention (SplitKV) splits the context into
// as many pieces as fill the GPU and merges their partial outputs (fp32,
// with their log-sum-exps) in a second kernel, written and read as if the
// blocks of a full GPU held them, so that neither a longer context nor a
// larger batch makes the step faster. A stack whose decode kernel runs
// one block per query head (Stack.DecodeKVPerQueryHead) reads a token's
// cache once per query head, H·hd elements of K and of V, not Hkv·hd: the
// bytes of a grouped-query model's step, heads/kv_heads times the cache.
func (p *Profile) attention(b *Breakdown, d *Device, m *Transformer, ps *Pass, rate float64) (flops, bytes float64) {
	if m.Hybrid() {
		return p.hybridAttention(b, d, m, ps, rate) // hybrid.go
	}
	fw := m.windowShare(ps)
	if fw == 0 {
		return p.attentionSpan(b, d, m, ps, rate, 0)
	}
	// The layer mean of full-context and sliding-window layers (window.go).
	var full, win Breakdown
	f1, b1 := p.attentionSpan(&full, d, m, ps, rate, 0)
	f2, b2 := p.attentionSpan(&win, d, m, ps, rate, float64(m.Window))
	full.Scale(1 - fw)
	win.Scale(fw)
	b.Add(&full)
	b.Add(&win)
	return (1-fw)*f1 + fw*f2, (1-fw)*b1 + fw*b2
}

// attentionSpan is attention with each token attending at most w keys
// (its own and the w−1 before it; w = 0: the whole context).
func (p *Profile) attentionSpan(b *Breakdown, d *Device, m *Transformer, ps *Pass, rate, w float64) (flops, bytes float64) {
	B := float64(ps.Batch)
	H, Hkv, hd := float64(m.Heads), float64(m.KVHeads), float64(m.HeadDim)
	q, kv := H*hd, Hkv*hd
	S := float64(ps.Tokens)
	kvb := ps.kvBytes(d)
	var bps, merge float64
	if ps.decode() {
		ctx := float64(ps.Ctx)
		if w > 0 {
			ctx = math.Min(ctx, w)
		}
		flops = 4 * B * H * hd * ctx
		reads := kv // the cache elements of a token read by the step
		if stack(ps.Software).DecodeKVPerQueryHead {
			reads = q // once per query head (Stack.DecodeKVPerQueryHead)
		}
		bytes = 2*B*reads*ctx*kvb + 2*B*q*d.Bytes
		if m.KVLatent > 0 {
			// MLA decode with the up-projections absorbed (FlashMLA):
			// every head attends the shared latent, keys r+d_rope wide,
			// values r wide, read once per sequence.
			r := float64(m.KVLatent)
			lat := r + float64(m.RopeDim)
			flops = 2 * B * H * (lat + r) * ctx
			bytes = B*lat*ctx*kvb + 2*B*H*lat*d.Bytes
		}
		bps = p.streamBps(d)
		if d.SMs > 0 {
			sat := p.DecodeAttnSatFrac * float64(d.SMs)
			if SplitKV(ps.Software) {
				part := 2 * math.Max(B, sat/Hkv) * H * (hd + 1) * 4
				bytes += part
				merge = part / p.streamBps(d)
				b.Fixed += p.KernelS
			} else {
				bps *= math.Min(1, B*Hkv/sat)
			}
		}
	} else {
		ctx := float64(ps.Ctx)
		pairs := S * (S + 1) / 2 // causal: token i attends to i+1 keys
		if ctx > S {
			pairs = S*(ctx-S) + pairs
		}
		switch {
		case ps.Full && w > 0:
			// No causal mask, each query within its window.
			pairs = S * math.Min(ctx, w)
		case ps.Full:
			pairs = S * ctx
		case w > 0:
			c := math.Max(S, ctx)
			pairs = windowPairs(c, w) - windowPairs(c-S, w)
			ctx = math.Min(c, S+w) // the keys the window touches
		}
		flops = 4 * B * H * hd * pairs
		if kvb == d.Bytes {
			bytes = B * (2*q + 2*kv) * math.Max(S, ctx) * d.Bytes
		} else {
			bytes = B * (2*q*d.Bytes + 2*kv*kvb) * math.Max(S, ctx)
		}
		if m.KVLatent > 0 && !ps.Prefill {
			// MLA over a KV cache (speculative verification): the
			// absorbed form of a decode step, S query tokens.
			r := float64(m.KVLatent)
			lat := r + float64(m.RopeDim)
			flops = 2 * B * H * (lat + r) * pairs
			bytes = B*lat*math.Max(S, ctx)*kvb + 2*B*S*H*lat*d.Bytes
		}
		bps = p.streamBps(d)
	}
	if stack(ps.Software).materialised() && !ps.decode() {
		bytes = p.unfusedAttention(b, d, B, H, hd, S, math.Max(S, float64(ps.Ctx)), rate)
	} else {
		// The stack's own kernel where it names one (Stack.AttnFwdFrac).
		frac := p.AttnFrac
		if s := stack(ps.Software); s.AttnFwdFrac > 0 {
			frac = s.AttnFwdFrac
		}
		ta := flops / (d.PeakFLOPS * p.MatmulFrac.Get(d.Precision) / p.MatmulFrac.BF16 * frac * rate)
		b.Attention += p.blend(ta, (bytes-merge)/bps) + merge
		b.Fixed += p.KernelS
	}
	return flops, bytes
}

// SplitKV reports whether stack sw splits decode attention along the
// context (flash-decoding; Stack.SplitKVDecode): the serving engines do;
// eager PyTorch attention (as measured) and Megatron-LM do not.
func SplitKV(sw Software) bool { return stack(sw).SplitKVDecode }

// unfusedAttention adds the time of attention with materialised scores
// (Megatron stack) to b and returns its bytes: two batched products over
// all S×ctx pairs of B·H heads (QKᵀ writes the scores, PV reads the
// probabilities), timed as GEMMs, and between them the fused
// scale-mask-softmax (read and write the scores) and dropout (read, write,
// one byte of mask per score) at the element-wise bandwidth. The caller
// counts the FLOPs (causal pairs only).
func (p *Profile) unfusedAttention(b *Breakdown, d *Device, B, H, hd, S, ctx, rate float64) float64 {
	g := B * H // independent products
	act := *d  // both operands are activations, at the arithmetic's bytes
	act.WeightBytes = 0
	qk := p.gemmTimed(&act, g, S, ctx, hd, rate)
	pv := p.gemmTimed(&act, g, S, hd, ctx, rate)
	scores := g * S * ctx
	elt := scores * (4*d.Bytes + 1)
	b.Attention += qk.t + pv.t + elt/p.eltBps(d)
	b.Fixed += 4 * p.KernelS
	return qk.bytes + pv.bytes + elt
}

// headForward returns the embedding lookup, final norm and LM head.
func (p *Profile) headForward(d *Device, m *Transformer, ps *Pass, rate float64) Breakdown {
	return p.headWith(d, m, ps, p.gemmTimed(d, 1, headRows(ps), float64(m.Vocab), float64(m.Hidden), rate))
}

// headRows returns the rows of the LM head: every token (training) or the
// last of each sequence.
func headRows(ps *Pass) float64 {
	if ps.AllLogit {
		return float64(ps.Batch) * float64(ps.Tokens)
	}
	return float64(ps.Batch)
}

// headWith is headForward with the LM head product already timed.
func (p *Profile) headWith(d *Device, m *Transformer, ps *Pass, lm timedGEMM) Breakdown {
	var b Breakdown
	p.headInto(&b, d, m, ps, &lm)
	return b
}

// headInto sets *b to headWith(d, m, ps, *lm) in place: the same
// operations in the same order, without the breakdown returned by copy.
func (p *Profile) headInto(b *Breakdown, d *Device, m *Transformer, ps *Pass, lm *timedGEMM) {
	*b = Breakdown{}
	T := float64(ps.Batch) * float64(ps.Tokens)
	h := float64(m.Hidden)
	if activations16(d, ps.Software) {
		// 16-bit tensors on a stack that quantises only its GEMMs' inputs.
		de, _ := activations16Device(d, ps.Software)
		p.elementwise(b, &de, 2*T*h*de.Bytes+2*headRows(ps)*h*de.Bytes) // gather, final norm
	} else {
		p.elementwise(b, d, 2*T*h*d.Bytes+2*headRows(ps)*h*d.Bytes)
	}
	b.Fixed += 2 * p.KernelS
	p.addGEMM(b, *lm)
}

// Forward returns the time of one forward pass of m over ps. All layers
// are identical: one is timed and multiplied.
func (p *Profile) Forward(d *Device, m *Transformer, ps *Pass) Breakdown {
	var b Breakdown
	p.ForwardTo(&b, d, m, ps)
	return b
}

// ForwardTo sets *b to Forward(d, m, ps), building it in place (forwardFrom
// with the layer's products added to b itself): the same operations in
// the same order, without a breakdown copied for the products or the
// result.
func (p *Profile) ForwardTo(b *Breakdown, d *Device, m *Transformer, ps *Pass) {
	*b = Breakdown{}
	p.layerMatmuls(b, d, d, m, ps, 1)
	head := p.headForward(d, m, ps, 1)
	p.layerRest(b, d, m, ps, 1)
	b.Scale(float64(m.Layers))
	b.Add(&head)
	b.Fixed += stack(ps.Software).StepOverheadS // the runtime's time per engine step
	b.finish()
}

// forwardFrom sets b to a forward pass from one layer's matrix products mm
// and the head.
func (p *Profile) forwardFrom(b, mm, head *Breakdown, d *Device, m *Transformer, ps *Pass) {
	*b = *mm
	p.layerRest(b, d, m, ps, 1)
	b.Scale(float64(m.Layers))
	b.Add(head)
	b.Fixed += stack(ps.Software).StepOverheadS // the runtime's time per engine step
	b.finish()
}

// ContextFree is the part of a forward pass that does not depend on the
// context its tokens attend (Pass.Ctx): one layer's matrix products and
// the embedding lookup, final norm and LM head. Passes that differ in
// their context alone share it (ForwardFrom), as the decode steps of
// ServeSteps share theirs.
type ContextFree struct{ mm, head Breakdown }

// ContextFreeOf sets *cf to the context-free part of pass ps of m on d.
func (p *Profile) ContextFreeOf(cf *ContextFree, d *Device, m *Transformer, ps *Pass) {
	cf.mm = Breakdown{}
	p.layerMatmuls(&cf.mm, d, d, m, ps, 1)
	cf.head = p.headForward(d, m, ps, 1)
}

// ForwardFrom sets *b to Forward(d, m, ps) from cf, the context-free part
// (ContextFreeOf) of a pass of m on d that differs from ps in Ctx at most:
// the same operations in the same order as ForwardTo, so bit for bit
// Forward's, without the products and the head timed again.
func (p *Profile) ForwardFrom(b *Breakdown, cf *ContextFree, d *Device, m *Transformer, ps *Pass) {
	p.forwardFrom(b, &cf.mm, &cf.head, d, m, ps)
}

// Recompute is the activation recomputation of a training step.
type Recompute uint8

// The strategies.
const (
	RecomputeNone      Recompute = iota
	RecomputeSelective           // attention core recomputed in the backward
	RecomputeFull                // the whole layer forward recomputed
)

// Step is a training step to time.
type Step struct {
	Batch, Seq int
	Recompute  Recompute
	Optimizer  bool    // include the Adam update of the weights
	Params     float64 // parameters the optimizer updates (0 = no update)
	Software   Software
	// CP is the context-parallel degree the Seq tokens are one rank's share
	// of (≤ 1: none). Under load-balanced ring attention (Megatron-LM's
	// context parallelism: each rank holds chunks i and 2·cp − 1 − i of
	// the causal sequence; Liu et al. 2023, "Ring Attention") the rank's
	// Seq queries attend, on average, half of the cp·Seq keys: its
	// attention is a full one of Seq queries over cp·Seq/2 keys, cp/2
	// times the work of a causal pass over its own Seq tokens alone.
	CP int
	// MoETokenDrop marks a mixture of experts whose dispatcher drops and
	// pads each expert's tokens to a fixed capacity (Megatron-Core's
	// moe_expert_capacity_factor with moe_pad_expert_input_to_capacity,
	// as NeMo's MegatronTokenDropCallback sets them: capacity factor 1,
	// padded). The tokens per expert are then known on the host without a
	// device-to-host copy (MoEAlltoAllTokenDispatcher.preprocess returns
	// before it, core/transformer/moe/token_dispatcher.py, no
	// synchronisation point), so the dropless dispatcher's time per MoE
	// layer per micro-batch (Stack.MoELayerMicrobatchS) is not charged
	// and the pass counts no MoE layers, routed copies or local experts
	// for it (Breakdown.MoELayers and StageMoECounts: 0).
	MoETokenDrop bool
	// MoEHybridEP marks a dropless mixture of experts dispatched by
	// Megatron-Core's flex token dispatcher on its HybridEP backend, with
	// Transformer Engine's CUDA graphs over the router and the dispatch
	// preprocessing: the stack's time per MoE layer per micro-batch is
	// then Stack.MoELayerMicrobatchHybridEPS instead of
	// MoELayerMicrobatchS (the layers counted alike in Breakdown.MoELayers).
	// No effect with MoETokenDrop.
	MoEHybridEP bool
	// MTP is the depth of the model's multi-token prediction (DeepSeek-V3
	// §2.2: one block per depth): the stage with the Head (TrainStep:
	// the whole model) runs MTP blocks besides its layers
	// (Profile.mtpBlocks); 0 = none.
	MTP int
}

// TrainStep returns the time of a forward and backward pass over
// Batch·Seq tokens (and the optimizer update when asked): per layer the
// forward; the backward's data- and weight-gradient products at
// BwdMatmulFrac of the forward rate; the attention backward at
// AttnBwdFactor/2 × its forward (on a stack naming its own attention
// kernel, AttnBwdFLOPs · AttnFwdFrac/AttnBwdFrac ×); element-wise backward at twice the forward
// traffic; the loss over all logits; recomputation as the strategy says;
// Adam as a fused multi-tensor update (weights, gradients, fp32 master,
// two moments: 3·bytes + 24 B per parameter read or written).
func (p *Profile) TrainStep(d *Device, m *Transformer, st *Step) Breakdown {
	return p.trainStep(d, m, st, Stage{Layers: m.Layers, Head: true})
}

// trainStep times sg.Layers layers of m, with the embedding, LM head and
// loss when sg.Head is set (and st.MTP multi-token prediction blocks),
// the embedding alone when sg.Embedding, the final norm, LM head and loss
// alone when sg.Loss, and sg.MTP multi-token prediction blocks
// (mtpBlocks).
func (p *Profile) trainStep(d *Device, m *Transformer, st *Step, sg Stage) Breakdown {
	layers, head := sg.Layers, sg.Head
	// Prefill: the attention of a training pass is the prefill kernel's
	// (never a decode kernel's, also for one-token sequences).
	ps := Pass{Batch: st.Batch, Tokens: st.Seq, Ctx: st.Seq, AllLogit: true, Software: st.Software, Prefill: true}
	if st.CP > 1 {
		ps.Full, ps.Ctx = true, max(st.Seq*st.CP/2, 1)
	}
	// dr runs what is not a linear layer's product (restDevice).
	dr, te := restDevice(d, st.Software)
	var fwd Breakdown
	p.layerMatmuls(&fwd, d, &dr, m, &ps, 1)
	p.layerRest(&fwd, &dr, m, &ps, 1)
	// The backward's products and attention run at BwdMatmulFrac of the
	// forward rate; everything else in it is the forward's.
	bwd := fwd
	if p.BwdMatmulFrac != 1 {
		var mm, at Breakdown
		p.layerMatmuls(&mm, d, &dr, m, &ps, p.BwdMatmulFrac)
		p.attention(&at, &dr, m, &ps, p.BwdMatmulFrac)
		bwd.Matmul, bwd.Attention = mm.Matmul, at.Attention
	}
	bwd.Matmul *= 2
	bwd.FLOPs *= 2
	if s := stack(st.Software); s.AttnBwdFrac > 0 {
		// The stack's kernel: AttnBwdFLOPs × the forward's work at its
		// backward rate (Stack.AttnBwdFrac).
		bwd.Attention *= AttnBwdFLOPs * s.AttnFwdFrac / s.AttnBwdFrac
	} else {
		bwd.Attention *= p.AttnBwdFactor / 2
	}
	bwd.Elementwise *= 2
	bwd.Fixed *= 2
	var layer Breakdown
	layer.Add(&fwd)
	layer.Add(&bwd)
	layer.AttnFwd, layer.AttnBwd = fwd.Attention, bwd.Attention
	castF, castB := 0.0, 0.0
	if te {
		castF, castB = fp8Casts(m, &ps)
		p.elementwise(&layer, &dr, castF+castB)
		layer.Fixed += 2 * m.linearLayers() * p.KernelS
	}
	if m.Experts > 1 && m.ActiveExperts > 0 && !st.MoETokenDrop {
		// Stack.MoELayerMicrobatchS once per MoE layer of the pass (none
		// when the dispatcher drops and pads to capacity: Step.MoETokenDrop).
		// Stack.MoELayerMicrobatchHybridEPS under HybridEP (Step.MoEHybridEP).
		layer.MoELayers = m.moeFraction()
		v := stack(st.Software).MoELayerMicrobatchS
		if st.MoEHybridEP {
			v = stack(st.Software).MoELayerMicrobatchHybridEPS
		}
		layer.Fixed += v * layer.MoELayers
	}
	layer.ModelFLOPs = layer.FLOPs
	switch st.Recompute {
	case RecomputeFull:
		mf := layer.ModelFLOPs
		layer.Add(&fwd)
		if te {
			p.elementwise(&layer, &dr, castF)
			layer.Fixed += m.linearLayers() * p.KernelS
		}
		layer.ModelFLOPs = mf
	case RecomputeSelective:
		layer.Attention += fwd.Attention
		layer.Fixed += p.KernelS * m.attnShare() // one attention kernel a layer that attends
		layer.FLOPs += fwd.attnFLOPs
	}
	layer.Scale(float64(layers))
	if head {
		hf := p.headForward(&dr, m, &ps, 1)
		hf.ModelFLOPs = hf.FLOPs
		layer.Add(&hf)
		hb := hf
		if p.BwdMatmulFrac != 1 {
			hb.Matmul = p.gemmTimed(&dr, 1, headRows(&ps), float64(m.Vocab), float64(m.Hidden), p.BwdMatmulFrac).t
		}
		hb.Matmul *= 2
		hb.FLOPs *= 2
		hb.ModelFLOPs = hb.FLOPs
		layer.Add(&hb)
		layer.HeadMatmul = hf.Matmul + hb.Matmul
		layer.HeadMatmulFixed = hf.MatmulFixed + hb.MatmulFixed
		// Loss over the logits: the logits read, an fp32 copy written and
		// read back, and the gradient written, forward and backward.
		T := float64(st.Batch * st.Seq)
		p.elementwise(&layer, &dr, T*float64(m.Vocab)*(3*dr.Bytes+8))
		layer.Fixed += 6 * p.KernelS
	}
	if sg.Embedding || sg.Loss {
		p.headParts(&layer, &dr, m, &ps, sg.Embedding, sg.Loss)
	}
	mtp := sg.MTP
	if head {
		mtp += st.MTP
	}
	if mtp > 0 {
		p.mtpBlocks(&layer, d, &dr, m, &ps, st, mtp, sg.TP)
	}
	if st.Optimizer && st.Params > 0 {
		var by float64
		layer.Optimizer, by = p.adam(&dr, st.Params)
		layer.Bytes += by
	}
	layer.finish()
	return layer
}

// fp8Casts returns the bytes Transformer Engine's fp8 recipe casts in one
// layer of a training pass, forward and backward: the input of each of
// the four linear products forward (h, H·d, h and F per token) and each
// one's output gradient backward (H·d + 2·Hkv·d, h, the MLP's up width
// and h), each element read in bf16 and written in fp8 twice, as it is
// and transposed for the weight-gradient product (2 + 1 + 1 = 4 bytes;
// Transformer Engine's fused cast-transpose). In a mixture of experts the
// MoE layers' MLP products run over each token's k routed copies (× the
// imbalance f on the busiest rank) and the S shared experts' MLP (S·F
// wide) over every token, the dense layers' over the token at their own width, weighted by the layers'
// shares (moeFraction); the router is no te.Linear and casts nothing
// (moeMLPs). The weights are cast once per step (cached over the
// microbatches) and not counted.
func fp8Casts(m *Transformer, ps *Pass) (fwd, bwd float64) {
	T := float64(ps.Batch) * float64(ps.Tokens)
	h, q, kv, F := float64(m.Hidden), float64(m.Heads)*float64(m.HeadDim), float64(m.KVHeads)*float64(m.HeadDim), float64(m.FFN)
	up := m.upWidth(F)
	mlpF, mlpB := T*(h+F), T*(up+h) // the MLP's inputs and output gradients
	if m.Experts > 1 && m.ActiveExperts > 0 {
		f := m.Imbalance
		if !(f >= 1) {
			f = 1
		}
		k := f * float64(m.ActiveExperts)
		if m.TokenShare > 0 && m.TokenShare < 1 {
			k *= m.TokenShare // the rank's own share of the routed copies (moeMLPs)
		}
		fm := m.moeFraction()
		mlpF, mlpB = fm*k*T*(h+F), fm*k*T*(up+h)
		if S := float64(m.SharedExperts); S > 0 {
			// One MLP of S experts' width over every token.
			mlpF += fm * T * (h + S*F)
			mlpB += fm * T * (S*up + h)
		}
		if dn := m.denseShare(fm); dn > 0 {
			Fd, upD := m.denseFFN()
			mlpF += dn * T * (h + Fd)
			mlpB += dn * T * (upD + h)
		}
	} else if m.Hybrid() {
		dn := m.share(m.Blocks.MLP)
		mlpF, mlpB = dn*T*(h+F), dn*T*(up+h)
	}
	if m.Hybrid() {
		return hybridCasts(m, T, mlpF, mlpB)
	}
	const b = 4 // bytes per element cast
	fwd = b * (T*(h+q) + mlpF)
	bwd = b * (T*(q+2*kv+h) + mlpB)
	return fwd, bwd
}

// Shard returns the shapes one of tp tensor-parallel ranks computes
// (Megatron-LM's layout): attention heads, KV heads, MLP width and
// vocabulary split tp ways (rounded up: the busiest rank), the hidden size
// whole, so that norms, residuals and the embedding gather are replicated
// on every rank.
func (m *Transformer) Shard(tp int) Transformer {
	s := *m
	if tp <= 1 {
		return s
	}
	div := func(n int) int { return max((n+tp-1)/tp, 1) }
	s.Heads, s.KVHeads, s.FFN, s.Vocab = div(m.Heads), div(m.KVHeads), div(m.FFN), div(m.Vocab)
	if m.DenseFFN > 0 {
		s.DenseFFN = div(m.DenseFFN)
	}
	if m.SSM.Heads > 0 {
		// Megatron-Core's Mamba mixer splits the heads and the B, C groups.
		s.SSM.Heads, s.SSM.Groups = div(m.SSM.Heads), div(m.SSM.Groups)
	}
	return s
}

// Stage is what one GPU of a tensor- and pipeline-parallel job runs.
type Stage struct {
	Layers int  // transformer layers on the stage
	TP     int  // tensor-parallel degree
	ETP    int  // tensor-parallel degree of the routed experts; 0 = TP
	Head   bool // the stage holds the embedding, the LM head and the loss, and Step.MTP prediction blocks (the last stage of an even split)
	// Embedding, Loss and MTP place the parts of an explicit pipeline
	// layout (Megatron-Core's pipeline_model_parallel_layout): the
	// stage holds the embedding, the final norm with the LM head and the
	// loss, and MTP multi-token prediction blocks (Profile.mtpBlocks).
	// Embedding and Loss together price what Head does.
	Embedding, Loss bool
	MTP             int
}

// StageMicrobatch returns the time of one microbatch's forward and
// backward (with st's recomputation) on one rank of stage sg: TrainStep
// over sg.Layers layers of m.Shard(sg.TP) (the routed experts' width split
// sg.ETP ways when it differs), with the LM head and loss when sg.Head. st.Batch is the microbatch; the optimizer is not included.
func (p *Profile) StageMicrobatch(d *Device, m *Transformer, st *Step, sg Stage) Breakdown {
	sh := m.Shard(sg.TP)
	if sg.ETP > 0 && sg.ETP != sg.TP && m.Experts > 1 {
		sh.FFN = max((m.FFN+sg.ETP-1)/sg.ETP, 1) // the routed experts split ETP ways
	}
	s := *st
	s.Optimizer, s.Params = false, 0
	return p.trainStep(d, &sh, &s, sg)
}

// headParts adds to b the parts of the first and last pipeline stages of
// an explicit layout (Stage.Embedding, Stage.Loss), forward and backward,
// the operations of the Head stage split between them: the embedding
// gather (2·T·h elements read and written, one kernel, forward and
// backward); the final norm (2·rows·h elements, one kernel, forward and
// backward), the LM head product (forward, and its data- and
// weight-gradient products at twice the forward) and the loss over the
// logits (as the Head stage prices them). Embedding and Loss together
// price what Head does.
func (p *Profile) headParts(b *Breakdown, dr *Device, m *Transformer, ps *Pass, embed, loss bool) {
	T := float64(ps.Batch) * float64(ps.Tokens)
	h := float64(m.Hidden)
	var hf Breakdown
	if embed {
		p.elementwise(&hf, dr, 2*T*h*dr.Bytes)
		hf.Fixed += p.KernelS
	}
	if loss {
		p.elementwise(&hf, dr, 2*headRows(ps)*h*dr.Bytes)
		hf.Fixed += p.KernelS
		p.addGEMM(&hf, p.gemmTimed(dr, 1, headRows(ps), float64(m.Vocab), float64(m.Hidden), 1))
	}
	hf.ModelFLOPs = hf.FLOPs
	b.Add(&hf)
	hb := hf
	if loss && p.BwdMatmulFrac != 1 {
		hb.Matmul = p.gemmTimed(dr, 1, headRows(ps), float64(m.Vocab), float64(m.Hidden), p.BwdMatmulFrac).t
	}
	hb.Matmul *= 2
	hb.FLOPs *= 2
	hb.ModelFLOPs = hb.FLOPs
	b.Add(&hb)
	if loss {
		b.HeadMatmul += hf.Matmul + hb.Matmul
		b.HeadMatmulFixed += hf.MatmulFixed + hb.MatmulFixed
		p.elementwise(b, dr, T*float64(m.Vocab)*(3*dr.Bytes+8))
		b.Fixed += 6 * p.KernelS
	}
}

// mtpBlocks adds to b n multi-token prediction blocks, forward and
// backward, over the pass's T tokens (DeepSeek-V3 technical report,
// arXiv:2412.19437 §2.2: per depth k, the RMSNorm of the previous depth's
// hidden state and of the shared embedding of token i+k, their
// concatenation projected by M_k ∈ R^{h×2h}, one transformer block, and
// the shared output head with its cross-entropy loss; Megatron-Core's
// MultiTokenPredictionLayer builds the block with the decoder's last
// layer, a MoE layer in a mixture of experts). Per block:
//
//	layer       one layer of m, forward, backward and st's recomputation,
//	            with routed experts when m has them (every MoE layer's
//	            cost, its time per MoE layer per micro-batch included)
//	projection  T×2h × 2h×⌈h/tp⌉ forward, twice that backward
//	element-wise gather 2·T·h, two norms 2·2·T·h, the concatenation
//	            4·T·h, the final norm 2·T·h elements: 12·T·h, five
//	            kernels, forward and backward alike
//	head        the LM head product and the loss, as the Head stage's
//
// The blocks' hardware FLOPs are in b.FLOPs and b.MTPFLOPs, not in
// b.ModelFLOPs: the model's FLOPs (MFU) are those of the model without
// its training-only prediction modules.
func (p *Profile) mtpBlocks(b *Breakdown, d, dr *Device, m *Transformer, ps *Pass, st *Step, n, tp int) {
	mt := *m
	mt.MoELayers = 0 // moeFraction 1: the block's layer has the routed experts
	s := *st
	s.Optimizer, s.Params, s.MTP = false, 0, 0
	blk := p.trainStep(d, &mt, &s, Stage{Layers: 1})
	T := float64(ps.Batch) * float64(ps.Tokens)
	h := float64(m.Hidden)
	hp := float64(max((m.Hidden+max(tp, 1)-1)/max(tp, 1), 1)) // the projection's output columns on the rank
	var fw Breakdown
	p.elementwise(&fw, dr, 12*T*h*dr.Bytes)
	fw.Fixed += 5 * p.KernelS
	p.addGEMM(&fw, p.gemmTimed(d, 1, T, hp, 2*h, 1))
	lm := p.gemmTimed(dr, 1, T, float64(m.Vocab), h, 1)
	p.addGEMM(&fw, lm)
	bw := fw
	lmB := lm.t
	if p.BwdMatmulFrac != 1 {
		lmB = p.gemmTimed(dr, 1, T, float64(m.Vocab), h, p.BwdMatmulFrac).t
		bw.Matmul = p.gemmTimed(d, 1, T, hp, 2*h, p.BwdMatmulFrac).t + lmB
	}
	bw.Matmul *= 2
	bw.FLOPs *= 2
	blk.Add(&fw)
	blk.Add(&bw)
	blk.HeadMatmul += lm.t + 2*lmB
	blk.HeadMatmulFixed += 2 * lm.fixed
	// The loss over the logits, as the Head stage's.
	p.elementwise(&blk, dr, T*float64(m.Vocab)*(3*dr.Bytes+8))
	blk.Fixed += 6 * p.KernelS
	blk.Scale(float64(n))
	blk.MTPFLOPs = blk.FLOPs
	blk.ModelFLOPs = 0
	blk.Total = 0
	b.Add(&blk)
}

// StageMoECounts returns the counts of the MoE layers of a training pass
// over layers layers of m with step st (TrainStep, StageMicrobatch) that
// nothing prices, the forms of the MoE layer's cost the accuracy report
// compares with Stack.MoELayerMicrobatchS:
//
//	routedCopies = routedCopies(Batch·Seq) · layers   (the routed token copies, moe.go)
//	layerExperts = moeFraction · ⌈E/EP⌉ · layers       (the MoE layers × the rank's local experts)
//
// both 0 for a dense model or when the dispatcher drops and pads to
// capacity (Step.MoETokenDrop), as Breakdown.MoELayers is. A tensor-
// parallel shard (Transformer.Shard) has the same counts.
func (m *Transformer) StageMoECounts(st *Step, layers int) (routedCopies, layerExperts float64) {
	if m.Experts <= 1 || m.ActiveExperts <= 0 || st.MoETokenDrop {
		return 0, 0
	}
	n := float64(layers)
	ep := max(m.EP, 1)
	return m.routedCopies(float64(st.Batch)*float64(st.Seq)) * n, m.moeFraction() * float64((m.Experts+ep-1)/ep) * n
}

// OptimizerS returns the time of the fused Adam update of params
// parameters (TrainStep's rule, see adam).
func (p *Profile) OptimizerS(d *Device, params float64) float64 {
	s, _ := p.adam(d, params)
	return s
}

// adam returns the time and DRAM traffic of a fused multi-tensor Adam
// update of params parameters: per parameter the weight, its gradient (at
// the precision's bytes each, the weight written back: 3·bytes) and the
// fp32 master weight and two moments (read and written: 24 B), at the
// element-wise bandwidth:
//
//	bytes = params · (3·bytes + 24)
//	t     = bytes / (BW · ElementwiseBWFrac)
//
// The one Adam formula of the calibrated model.
func (p *Profile) adam(d *Device, params float64) (s, bytes float64) {
	bytes = params * (3*d.Bytes + 24)
	return bytes / p.eltBps(d), bytes
}

// DecodeStep returns the time of one decode step: Batch sequences each
// adding one token over a KV cache of ctx tokens, launched from a graph.
func (p *Profile) DecodeStep(d *Device, m *Transformer, batch, ctx int, sw Software) Breakdown {
	ps := Pass{Batch: batch, Tokens: 1, Ctx: ctx, Software: sw}
	return p.Forward(d, m, &ps)
}

// DecodeStepTo sets *b to DecodeStep(d, m, batch, ctx, sw) in place
// (ForwardTo).
func (p *Profile) DecodeStepTo(b *Breakdown, d *Device, m *Transformer, batch, ctx int, sw Software) {
	ps := Pass{Batch: batch, Tokens: 1, Ctx: ctx, Software: sw}
	p.ForwardTo(b, d, m, &ps)
}

// DecodeSteps returns DecodeStep at two contexts, sharing the matrix
// products, which do not depend on the context.
func (p *Profile) DecodeSteps(d *Device, m *Transformer, batch, ctxA, ctxB int, sw Software) (a, b Breakdown) {
	p.ServingStepsTo(&Breakdown{}, &a, &b, d, m, batch, 0, ctxA, ctxB, sw)
	return a, b
}

// ServingSteps returns Prefill(batch, seq) and DecodeStep at contexts ctxA
// and ctxB: the decode steps share their matrix products, and all three
// the LM head product (batch rows: the last token of each sequence).
func (p *Profile) ServingSteps(d *Device, m *Transformer, batch, seq, ctxA, ctxB int, sw Software) (pre, a, b Breakdown) {
	p.ServingStepsTo(&pre, &a, &b, d, m, batch, seq, ctxA, ctxB, sw)
	return pre, a, b
}

// ServingStepsTo is ServingSteps writing to pre, a and b; seq = 0 leaves
// pre alone.
func (p *Profile) ServingStepsTo(pre, a, b *Breakdown, d *Device, m *Transformer, batch, seq, ctxA, ctxB int, sw Software) {
	q := ServeQuery{Batch: batch, Prefill: seq, PromptCtx: seq, CtxA: ctxA, CtxB: ctxB, Software: sw}
	p.ServeSteps(pre, a, b, d, m, &q)
}

// ServeQuery is the serving work ServeSteps times: a prefill of Batch
// prompts and decode steps of Batch sequences at two KV contexts.
type ServeQuery struct {
	Batch int // sequences
	// Prefill is the prompt tokens computed per sequence; 0 times no
	// prefill.
	Prefill int
	// PromptCtx is the tokens the prompt's last token attends: Prefill,
	// plus the tokens a prefix cache supplied (their KV is read, not
	// computed).
	PromptCtx  int
	CtxA, CtxB int     // KV contexts of the two decode steps
	KVBytes    float64 // bytes of one KV cache element; 0 = the precision's
	Software   Software
}

// ServeSteps sets pre to the prefill of q (Prefill new tokens of each of
// Batch prompts, attending PromptCtx tokens: a causal prefill when they are
// equal, the cached prefix besides otherwise) and a, b to decode steps at
// contexts CtxA and CtxB. The decode steps share their matrix products, and
// all three the LM head product (Batch rows: the last token of each
// sequence). The KV cache is read and written at q.KVBytes an element.
// With a nil the decode steps are not timed and b is not used: pre alone,
// bit for bit the same.
func (p *Profile) ServeSteps(pre, a, b *Breakdown, d *Device, m *Transformer, q *ServeQuery) {
	ps := Pass{Batch: q.Batch, Tokens: 1, Ctx: q.CtxA, Software: q.Software, KVBytes: q.KVBytes}
	lm := p.gemmTimed(d, 1, headRows(&ps), float64(m.Vocab), float64(m.Hidden), 1)
	var mm, head Breakdown
	if q.Prefill > 0 {
		pp := Pass{Batch: q.Batch, Tokens: q.Prefill, Ctx: max(q.PromptCtx, q.Prefill), Software: q.Software, KVBytes: q.KVBytes, Prefill: true}
		p.layerMatmuls(&mm, d, d, m, &pp, 1)
		p.headInto(&head, d, m, &pp, &lm)
		p.forwardFrom(pre, &mm, &head, d, m, &pp)
		mm = Breakdown{}
	}
	if a == nil {
		return
	}
	p.layerMatmuls(&mm, d, d, m, &ps, 1)
	p.headInto(&head, d, m, &ps, &lm)
	p.forwardFrom(a, &mm, &head, d, m, &ps)
	ps.Ctx = q.CtxB
	p.forwardFrom(b, &mm, &head, d, m, &ps)
}

// Prefill returns the time to first token of batch prompts of seq tokens.
// The PyTorch stack dispatches it eagerly.
func (p *Profile) Prefill(d *Device, m *Transformer, batch, seq int, sw Software) Breakdown {
	ps := Pass{Batch: batch, Tokens: seq, Ctx: seq, Software: sw, Prefill: true}
	return p.Forward(d, m, &ps)
}

// Serve returns the time of a static batch: the prefill of batch prompts
// of in tokens, then out−1 decode steps, timed at the mean context
// in + out/2 (the step time is linear in the context).
func (p *Profile) Serve(d *Device, m *Transformer, batch, in, out int, sw Software) float64 {
	pre, _, dec := p.ServingSteps(d, m, batch, in, in+out/2, in+out/2, sw)
	t := pre.Total
	if out > 1 {
		t += float64(out-1) * dec.Total
	}
	return t
}
