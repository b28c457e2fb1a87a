package calibration

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// The stacks file holds every stack the constants name, in order, each
// with known kernel choices and its sources; a file that does not is an
// error naming the stack and the field.
func TestStacksFile(t *testing.T) {
	st, err := readStacks(stacksJSON)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range st {
		if Software(i).String() != s.Name || s.Doc == "" || len(s.Sources) == 0 {
			t.Errorf("stack %d: %+v", i, s)
		}
	}
	good := string(stacksJSON)
	for _, tc := range []struct{ from, to, want string }{
		{`"name": "vllm"`, `"name": "vllm2"`, "vllm2"},
		{`"elementwise": "unfused"`, `"elementwise": "half"`, "elementwise"},
		{`"attention": "materialised"`, `"attention": "sparse"`, "attention"},
		{`"fp8_recipe": "te"`, `"fp8_recipe": "mx"`, "fp8_recipe"},
		{`"keeps_scores": true,`, `"keeps_scores": true, "graphs": 1,`, "graphs"},
		{`"moe_layer_microbatch_s": 0.`, `"moe_layer_microbatch_s": -0.`, "moe_layer_microbatch_s"},
		{`"moe_layer_microbatch_s": 0.`, `"moe_layer_microbatch_s": 1.`, "moe_layer_microbatch_s"},
		{`"moe_layer_microbatch_s"`, `"moe_routed_token_s"`, "moe_routed_token_s"},
		{`"moe_layer_microbatch_hybridep_s": 0.`, `"moe_layer_microbatch_hybridep_s": -0.`, "moe_layer_microbatch_hybridep_s"},
		{`"moe_layer_microbatch_hybridep_s": 0.`, `"moe_layer_microbatch_hybridep_s": 1.`, "moe_layer_microbatch_hybridep_s"},
	} {
		in := strings.Replace(good, tc.from, tc.to, 1)
		if in == good {
			t.Fatalf("%q not in the stacks file", tc.from)
		}
		if _, err := readStacks([]byte(in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s: error %v, want one naming %q", tc.from, tc.to, err, tc.want)
		}
	}
}

// The stacks that share kernel choices price a training step alike, and
// Transformer Engine's fp8 recipe sits between bf16 and fp8 throughout:
// its linear products run at the fp8 rate, its attention, element-wise
// kernels, output layer and loss at bf16, plus the casts.
func TestMegatronCoreFP8(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	m := Transformer{Name: "llama3-8b", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 128256, GatedMLP: true}
	step := func(sw Software, prec registry.Precision) float64 {
		d := DeviceFor(hw, prec)
		st := Step{Batch: 1, Seq: 8192, Software: sw, Optimizer: true, Params: 8e9}
		return p.TrainStep(&d, &m, &st).Total
	}
	if a, b := step(MegatronCore, registry.BF16), step(Compiled, registry.BF16); a != b {
		t.Errorf("bf16: megatron-core %g s, compiled %g s: the same kernel choices must price alike", a, b)
	}
	if a, b := step(TorchCompile, registry.FP8), step(Compiled, registry.FP8); a != b {
		t.Errorf("fp8 training: torch-compile %g s, compiled %g s: differ only in decode", a, b)
	}
	te, all, bf := step(MegatronCore, registry.FP8), step(Compiled, registry.FP8), step(MegatronCore, registry.BF16)
	if !(all < te && te < bf) {
		t.Errorf("fp8 step: all-fp8 %g s, Transformer Engine recipe %g s, bf16 %g s: want all < te < bf16", all, te, bf)
	}
}

// A stack's step overhead is added once per engine step: once to a
// prefill, once per output token to a static batch (the step counts the
// accuracy report's fit assumes). At fp16, where the two stacks' kernels
// of a prefill agree (at fp8 tensorrt-llm's attention and element-wise
// kernels run 16-bit: TestActivations16Kernels).
func TestStepOverheadPerStep(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	d := DeviceFor(hw, registry.FP16)
	m := Transformer{Name: "llama-7b", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 32, HeadDim: 128, FFN: 11008, Vocab: 32000, GatedMLP: true}
	s := StepOverhead(TensorRTLLM)
	if !(s > 0) || StepOverhead(Compiled) != 0 {
		t.Fatalf("step overheads: tensorrt-llm %g s, compiled %g s", s, StepOverhead(Compiled))
	}
	pre := p.Prefill(&d, &m, 1, 128, TensorRTLLM).Total - p.Prefill(&d, &m, 1, 128, Compiled).Total
	if math.Abs(pre-s) > 1e-12 {
		t.Errorf("prefill: +%g s, want one step overhead %g s", pre, s)
	}
	srv := p.Serve(&d, &m, 64, 128, 128, TensorRTLLM) - p.Serve(&d, &m, 64, 128, 128, Compiled)
	if math.Abs(srv-128*s) > 1e-9 {
		t.Errorf("static batch of 128 tokens: +%g s, want 128 step overheads %g s", srv, 128*s)
	}
}

// Under Transformer Engine's fp8 recipe a mixture of experts runs its
// experts' products in fp8 and its router and token permutation in bf16:
// one MoE layer's products and dispatch on the recipe's devices differ
// from the all-fp8 layer by exactly the router GEMM and the permutation
// priced at bf16 instead of fp8. The casts count each token's k routed
// copies and the shared experts' MLP; the all-to-alls move bf16 tokens.
func TestMegatronCoreFP8MoE(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	m := Transformer{Name: "moe", Layers: 48, Hidden: 2048, Heads: 32, KVHeads: 4, HeadDim: 128, FFN: 768, Vocab: 151936,
		GatedMLP: true, Experts: 128, ActiveExperts: 8, EP: 8}
	d := DeviceFor(hw, registry.FP8)
	dr, te := restDevice(&d, MegatronCore)
	if !te || dr.Precision != registry.BF16 {
		t.Fatalf("megatron-core at fp8: rest device %v (%v)", dr.Precision, te)
	}
	ps := Pass{Batch: 1, Tokens: 4096, Ctx: 4096, AllLogit: true, Software: MegatronCore, Prefill: true}
	var a, b Breakdown
	p.layerMatmuls(&a, &d, &dr, &m, &ps, 1)
	p.layerMatmuls(&b, &d, &d, &m, &ps, 1)
	T, h, k := 4096.0, 2048.0, 8.0
	var ra, rb Breakdown
	p.gemm(&ra, &dr, 1, T, 128, h, 1)
	p.gemm(&rb, &d, 1, T, 128, h, 1)
	p.elementwise(&ra, &dr, 4*T*k*h*dr.Bytes)
	p.elementwise(&rb, &d, 4*T*k*h*d.Bytes)
	want := (ra.Matmul + ra.Elementwise) - (rb.Matmul + rb.Elementwise)
	if got := (a.Matmul + a.Elementwise) - (b.Matmul + b.Elementwise); !(want > 0) || math.Abs(got-want) > 1e-12 {
		t.Errorf("router and permutation in bf16: +%g s, want +%g s", got, want)
	}
	f0, b0 := fp8Casts(&m, &ps)
	if want := 4 * (T*(h+32*128) + T*k*(h+768)); math.Abs(f0-want) > 1e-6*want {
		t.Errorf("forward casts %g B, want %g B (k routed copies through the experts)", f0, want)
	}
	sh := m
	sh.SharedExperts = 1
	f1, b1 := fp8Casts(&sh, &ps)
	if math.Abs(f1-f0-4*T*(h+768)) > 1e-6*f0 || math.Abs(b1-b0-4*T*(2*768+h)) > 1e-6*b0 {
		t.Errorf("a shared expert adds %g / %g B of casts, want %g / %g", f1-f0, b1-b0, 4*T*(h+768), 4*T*(2*768+h))
	}
	half := m
	half.TokenShare = 0.5 // whole experts beside tp = 2: the rank's half of the routed copies
	if fh, bh := fp8Casts(&half, &ps); math.Abs(f0-fh-2*T*k*(h+768)) > 1e-6*f0 || math.Abs(b0-bh-2*T*k*(2*768+h)) > 1e-6*b0 {
		t.Errorf("a half token share casts %g / %g B fewer, want %g / %g", f0-fh, b0-bh, 2*T*k*(h+768), 2*T*k*(2*768+h))
	}
	if ActivationBytes(MegatronCore, registry.FP8) != 2 || ActivationBytes(Compiled, registry.FP8) != 1 || ActivationBytes(MegatronCore, registry.BF16) != 2 {
		t.Errorf("activation bytes: megatron-core fp8 %g, compiled fp8 %g, megatron-core bf16 %g; want 2, 1, 2",
			ActivationBytes(MegatronCore, registry.FP8), ActivationBytes(Compiled, registry.FP8), ActivationBytes(MegatronCore, registry.BF16))
	}
}

// CommBytes: under Transformer Engine's fp8 recipe every kind of traffic
// moves bf16 at fp8; every stack moves the precision's bytes otherwise,
// and stacks of the "all" recipe move fp8 at fp8.
func TestCommBytes(t *testing.T) {
	for sw := Software(0); sw < NumSoftware; sw++ {
		for tr := Traffic(0); tr < NumTraffic; tr++ {
			for _, p := range []registry.Precision{registry.FP32, registry.BF16, registry.FP16, registry.FP8} {
				want := p.Bytes()
				if stack(sw).FP8Recipe == "te" && p == registry.FP8 {
					want = 2
				}
				if got := CommBytes(sw, p, tr); got != want {
					t.Errorf("%s traffic %d at %s: %g bytes, want %g", stackNames[sw], tr, p, got, want)
				}
			}
		}
	}
	if CommBytes(MegatronCore, registry.FP8, TrafficGradients) != 2 || CommBytes(Megatron, registry.FP8, TrafficGradients) != 1 {
		t.Errorf("gradients at fp8: megatron-core %g, megatron %g bytes; want 2, 1",
			CommBytes(MegatronCore, registry.FP8, TrafficGradients), CommBytes(Megatron, registry.FP8, TrafficGradients))
	}
}

// Serving's activations cross GPUs at 16 bits on a stack that keeps them
// so (tensorrt-llm, tensorrt-llm-0.5) whenever the precision is narrower, at the precision's
// bytes otherwise and on every other stack.
func TestServeActivationBytes(t *testing.T) {
	for sw := Software(0); sw < NumSoftware; sw++ {
		for _, p := range []registry.Precision{registry.FP32, registry.BF16, registry.FP16, registry.FP8, registry.INT8, registry.INT4} {
			want := p.Bytes()
			if (sw == TensorRTLLM || sw == TensorRTLLM05) && p.Bytes() < 2 {
				want = 2
			}
			if got := ServeActivationBytes(sw, p); got != want {
				t.Errorf("%s at %s: %g bytes, want %g", stackNames[sw], p, got, want)
			}
		}
	}
}

// A stack naming its own attention kernel (megatron-core-fa2) prices a
// training step's attention at that kernel's rates and nothing else
// differently: the forward at attn_fwd_frac instead of the profile's
// attn_frac, the backward as AttnBwdFLOPs × the forward's work at
// attn_bwd_frac; products and element-wise kernels as megatron-core. A
// file giving one of the two fractions without the other is an error.
func TestStackAttentionKernel(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	m := Transformer{Name: "llama2-7b", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 32, HeadDim: 128, FFN: 11008, Vocab: 32000, GatedMLP: true}
	d := DeviceFor(hw, registry.FP8)
	step := func(sw Software) Breakdown {
		st := Step{Batch: 1, Seq: 32768, Software: sw, CP: 2}
		return p.TrainStep(&d, &m, &st)
	}
	a, b := step(MegatronCore), step(MegatronCoreFA2)
	fa := stack(MegatronCoreFA2)
	if !(fa.AttnFwdFrac > 0 && fa.AttnBwdFrac > 0) || stack(MegatronCore).AttnFwdFrac != 0 {
		t.Fatalf("kernel fractions: megatron-core-fa2 %g / %g, megatron-core %g", fa.AttnFwdFrac, fa.AttnBwdFrac, stack(MegatronCore).AttnFwdFrac)
	}
	// FlashAttention-3 paper: FA2 at 35 % of an H100's peak forward; FA2's
	// backward at 63/73 of its forward utilisation, about 0.30.
	if fa.AttnFwdFrac != 0.35 || fa.AttnBwdFrac != 0.3 {
		t.Errorf("megatron-core-fa2 fractions %g / %g, want the published 0.35 / 0.3", fa.AttnFwdFrac, fa.AttnBwdFrac)
	}
	if a.Matmul != b.Matmul || a.Elementwise != b.Elementwise || a.FLOPs != b.FLOPs {
		t.Errorf("products %g / %g s, element-wise %g / %g s, FLOPs %g / %g: want equal", a.Matmul, b.Matmul, a.Elementwise, b.Elementwise, a.FLOPs, b.FLOPs)
	}
	// 32K tokens attending 32K keys: compute-bound, the forward's time
	// scales with the inverse of the kernel's fraction.
	if got, want := b.AttnFwd/a.AttnFwd, p.AttnFrac/fa.AttnFwdFrac; math.Abs(got/want-1) > 0.01 {
		t.Errorf("forward attention %g s against %g s: ratio %g, want %g", b.AttnFwd, a.AttnFwd, got, want)
	}
	if got, want := b.AttnBwd/b.AttnFwd, AttnBwdFLOPs*fa.AttnFwdFrac/fa.AttnBwdFrac/p.BwdMatmulFrac; math.Abs(got/want-1) > 0.01 {
		t.Errorf("backward over forward attention %g, want %g", got, want)
	}
	good := string(stacksJSON)
	in := strings.Replace(good, `"attn_bwd_frac": 0.3`, `"attn_bwd_frac": 0`, 1)
	if in == good {
		t.Fatal("attn_bwd_frac 0.3 not in the stacks file")
	}
	if _, err := readStacks([]byte(in)); err == nil || !strings.Contains(err.Error(), "attn_bwd_frac") {
		t.Errorf("one fraction without the other: error %v", err)
	}
}

// The megatron-core stack's time per MoE layer per micro-batch is added
// once per MoE layer of a training step's micro-batch, whatever its
// tokens: a bf16 MoE step on megatron-core (the kernel choices of
// compiled at bf16) exceeds the compiled one by MoELayerMicrobatchS ×
// layers × (MoE share), alike for one and two sequences and for a half
// token share; Breakdown counts the layers, their routed token copies
// (layers × MoE share × s·T × k, s the rank's token share) and their local
// experts (× ⌈E/EP⌉); a dense model's steps are alike.
func TestMoELayerMicrobatchShape(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	d := DeviceFor(hw, registry.BF16)
	v := MoELayerMicrobatchS(MegatronCore)
	if !(v > 0) || MoELayerMicrobatchS(Compiled) != 0 {
		t.Fatalf("time per MoE layer per micro-batch: megatron-core %g s, compiled %g s", v, MoELayerMicrobatchS(Compiled))
	}
	base := Transformer{Name: "moe", Layers: 48, Hidden: 2048, Heads: 32, KVHeads: 4, HeadDim: 128, FFN: 768, Vocab: 151936,
		GatedMLP: true, Experts: 128, ActiveExperts: 8, EP: 8}
	for _, tc := range []struct {
		name        string
		moeLayers   int
		share       float64
		batch, seq  int
		ep          int
		layersMoE   float64 // MoE share of the layers
		tokenFactor float64
	}{
		{"all MoE layers", 0, 0, 1, 4096, 8, 1, 1},
		{"two micro-batch sequences", 0, 0, 2, 4096, 8, 1, 1},
		{"36 of 48 MoE layers", 36, 0, 1, 4096, 8, 0.75, 1},
		{"a half token share", 0, 0.5, 1, 4096, 8, 1, 0.5},
		{"ep 48: ⌈128/48⌉ = 3 local experts", 0, 0, 1, 4096, 48, 1, 1},
	} {
		m := base
		m.MoELayers, m.TokenShare, m.EP = tc.moeLayers, tc.share, tc.ep
		st := Step{Batch: tc.batch, Seq: tc.seq}
		st.Software = MegatronCore
		bm := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 12, TP: 1})
		st.Software = Compiled
		co := p.StageMicrobatch(&d, &m, &st, Stage{Layers: 12, TP: 1}).Total
		layers := 12 * tc.layersMoE
		if got := bm.Total - co; math.Abs(got-v*layers) > 1e-9*v*layers+1e-12 {
			t.Errorf("%s: megatron-core − compiled = %g s, want %g s", tc.name, got, v*layers)
		}
		copies := layers * float64(tc.batch*tc.seq) * tc.tokenFactor * 8
		local := float64((128 + tc.ep - 1) / tc.ep)
		rc, le := m.StageMoECounts(&st, 12)
		if math.Abs(bm.MoELayers-layers) > 1e-12*layers || math.Abs(rc-copies) > 1e-9*copies ||
			math.Abs(le-layers*local) > 1e-12*layers*local {
			t.Errorf("%s: Breakdown MoE layers %g, routed copies %g, layer·experts %g; want %g, %g, %g",
				tc.name, bm.MoELayers, rc, le, layers, copies, layers*local)
		}
		st.MoETokenDrop = true
		if rc, le := m.StageMoECounts(&st, 12); rc != 0 || le != 0 {
			t.Errorf("%s, token drop: routed copies %g, layer·experts %g; want 0, 0", tc.name, rc, le)
		}
	}
	dense := Transformer{Name: "dense", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 128256, GatedMLP: true}
	st := Step{Batch: 1, Seq: 4096, Software: MegatronCore}
	if rc, le := dense.StageMoECounts(&st, 8); rc != 0 || le != 0 {
		t.Errorf("dense: routed copies %g, layer·experts %g; want 0, 0", rc, le)
	}
	mc := p.StageMicrobatch(&d, &dense, &st, Stage{Layers: 8, TP: 1}).Total
	st.Software = Compiled
	if co := p.StageMicrobatch(&d, &dense, &st, Stage{Layers: 8, TP: 1}).Total; mc != co {
		t.Errorf("dense: megatron-core %g s, compiled %g s: no MoE layer, alike", mc, co)
	}
}

// Under the flex dispatcher's HybridEP backend (Step.MoEHybridEP) the
// megatron-core step of a MoE exceeds the compiled one by
// MoELayerMicrobatchHybridEPS (not MoELayerMicrobatchS) per MoE layer of
// the micro-batch, with the same MoE layers counted; token drop charges
// neither; a dense model's step does not change.
func TestMoELayerMicrobatchHybridEP(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	d := DeviceFor(hw, registry.BF16)
	h, a := MoELayerMicrobatchHybridEPS(MegatronCore), MoELayerMicrobatchS(MegatronCore)
	if !(h > 0) || MoELayerMicrobatchHybridEPS(Compiled) != 0 {
		t.Fatalf("HybridEP time per MoE layer per micro-batch: megatron-core %g s, compiled %g s", h, MoELayerMicrobatchHybridEPS(Compiled))
	}
	m := Transformer{Name: "moe", Layers: 48, Hidden: 2048, Heads: 32, KVHeads: 4, HeadDim: 128, FFN: 768, Vocab: 151936,
		GatedMLP: true, Experts: 128, ActiveExperts: 8, EP: 8, MoELayers: 36}
	stage := Stage{Layers: 12, TP: 1}
	st := Step{Batch: 2, Seq: 4096, Software: Compiled}
	co := p.StageMicrobatch(&d, &m, &st, stage).Total
	st.Software = MegatronCore
	sync := p.StageMicrobatch(&d, &m, &st, stage)
	st.MoEHybridEP = true
	hyb := p.StageMicrobatch(&d, &m, &st, stage)
	layers := 12 * 0.75
	if got := hyb.Total - co; math.Abs(got-h*layers) > 1e-9*h*layers+1e-12 {
		t.Errorf("HybridEP: megatron-core − compiled = %g s, want %g s", got, h*layers)
	}
	if got := sync.Total - hyb.Total; math.Abs(got-(a-h)*layers) > 1e-9*a*layers+1e-12 {
		t.Errorf("alltoall − HybridEP = %g s, want %g s", got, (a-h)*layers)
	}
	if hyb.MoELayers != sync.MoELayers || math.Abs(hyb.MoELayers-layers) > 1e-12 {
		t.Errorf("MoE layers: HybridEP %g, alltoall %g, want %g", hyb.MoELayers, sync.MoELayers, layers)
	}
	st.MoETokenDrop = true
	if got := p.StageMicrobatch(&d, &m, &st, stage).Total; got != co {
		t.Errorf("HybridEP with token drop: %g s, want the compiled %g s", got, co)
	}
	dense := Transformer{Name: "dense", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 14336, Vocab: 128256, GatedMLP: true}
	st = Step{Batch: 1, Seq: 4096, Software: MegatronCore}
	a0 := p.StageMicrobatch(&d, &dense, &st, Stage{Layers: 8, TP: 1}).Total
	st.MoEHybridEP = true
	if a1 := p.StageMicrobatch(&d, &dense, &st, Stage{Layers: 8, TP: 1}).Total; a1 != a0 {
		t.Errorf("dense: HybridEP %g s, alltoall %g s", a1, a0)
	}
}

// TestActivations16Kernels: on tensorrt-llm (activations_16bit) at fp8 a
// prefill's and a decode step's attention and element-wise kernels are
// those of the same pass on the fp16 device over an fp8 KV cache (the
// attention plugin in float16, 16-bit tensors between operators), while
// its products stay the fp8 ones; at fp16 nothing changes.
func TestActivations16Kernels(t *testing.T) {
	reg := registry.Default()
	hw, _ := reg.Hardware("H100")
	p := Embedded().Profile(hw)
	m := Transformer{Name: "l", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128, FFN: 11008, Vocab: 32000, GatedMLP: true}
	d8, d16 := DeviceFor(hw, registry.FP8), DeviceFor(hw, registry.FP16)
	if r, ok := activations16Device(&d8, TensorRTLLM); !ok || r.Precision != registry.FP16 || r.Bytes != 2 || r.PeakFLOPS != d8.BF16FLOPS {
		t.Fatalf("tensorrt-llm at fp8: rest device %v, %v B, %g flop/s (%v)", r.Precision, r.Bytes, r.PeakFLOPS, ok)
	}
	if _, ok := activations16Device(&d16, TensorRTLLM); ok {
		t.Error("tensorrt-llm at fp16: a rest device other than its own")
	}
	if _, ok := activations16Device(&d8, Compiled); ok {
		t.Error("compiled at fp8: a 16-bit rest device")
	}
	for _, ps := range []Pass{{Batch: 1, Tokens: 2048, Ctx: 2048, Prefill: true}, {Batch: 8, Tokens: 1, Ctx: 4096}} {
		ps.Software = TensorRTLLM
		got := p.Forward(&d8, &m, &ps)
		fp8 := ps
		fp8.Software = Compiled
		mm := p.Forward(&d8, &m, &fp8)
		ref := ps
		ref.KVBytes = 1
		rest := p.Forward(&d16, &m, &ref)
		if got.Matmul != mm.Matmul {
			t.Errorf("tokens %d: products %g s, want the fp8 ones %g s", ps.Tokens, got.Matmul, mm.Matmul)
		}
		if got.Attention != rest.Attention || got.Elementwise != rest.Elementwise {
			t.Errorf("tokens %d: attention %g s and element-wise %g s, want fp16's over an fp8 cache %g s, %g s",
				ps.Tokens, got.Attention, got.Elementwise, rest.Attention, rest.Elementwise)
		}
		if !(got.Elementwise > mm.Elementwise) {
			t.Errorf("tokens %d: element-wise %g s not above fp8's %g s", ps.Tokens, got.Elementwise, mm.Elementwise)
		}
	}
}

// FitStepHostTerms recovers the terms it is given back from points built
// with them; a term the data would want below 0 is held at 0 and the
// others refitted; a term the points cannot tell from the step term (one
// tp only) is left at 0, the step term taking it.
func TestFitStepHostTerms(t *testing.T) {
	var base, steps, decode, batch, tp, meas []float64
	add := func(b, p, a, s, w float64) {
		base, steps, decode, batch, tp = append(base, 1), append(steps, 128), append(decode, 127), append(batch, b), append(tp, p)
		meas = append(meas, 1+a*128+(s*b+w*(p-1))*127)
	}
	for _, p := range []float64{4, 8} {
		for _, b := range []float64{8, 16, 32, 64} {
			add(b, p, 1e-3, 1e-4, 5e-4)
		}
	}
	a, s, w := FitStepHostTerms(base, steps, decode, batch, tp, meas)
	if math.Abs(a-1e-3) > 1e-12 || math.Abs(s-1e-4) > 1e-12 || math.Abs(w-5e-4) > 1e-12 {
		t.Errorf("fitted %g, %g, %g: want 1e-3, 1e-4, 5e-4", a, s, w)
	}
	// A negative per-worker term in the data: held at 0.
	for i := range meas {
		meas[i] = 1 + 2e-3*128 + (1e-4*batch[i]-2e-4*(tp[i]-1))*127
	}
	if a, s, w = FitStepHostTerms(base, steps, decode, batch, tp, meas); !(a >= 0 && s > 0 && w == 0) {
		t.Errorf("fitted %g, %g, %g: want the per-worker term at 0, the others ≥ 0", a, s, w)
	}
	// One tp: the per-worker term is the step term's twin.
	var b1, s1, d1, bt1, tp1, m1 []float64
	for i := range base {
		if tp[i] == 8 {
			b1, s1, d1, bt1, tp1 = append(b1, base[i]), append(s1, steps[i]), append(d1, decode[i]), append(bt1, batch[i]), append(tp1, tp[i])
			m1 = append(m1, 1+1e-3*128+(1e-4*batch[i]+5e-4*7)*127)
		}
	}
	if a, s, w = FitStepHostTerms(b1, s1, d1, bt1, tp1, m1); w != 0 || math.Abs(s-1e-4) > 1e-9 || !(a > 1e-3) {
		t.Errorf("one tp: fitted %g, %g, %g: want the worker term 0, the sequence term 1e-4, the step term above 1e-3", a, s, w)
	}
	if a, s, w = FitStepHostTerms(nil, nil, nil, nil, nil, nil); a != 0 || s != 0 || w != 0 {
		t.Errorf("no points: %g, %g, %g", a, s, w)
	}
}

// FitStepOverheads2 recovers the two non-negative terms that produced a
// set of steps exactly, and where the best second term would be negative
// keeps it at 0 with the first term FitStepOverhead's alone.
func TestFitStepOverheads2(t *testing.T) {
	base := []float64{1, 2, 1.5, 3, 0.8, 2.2}
	n1 := []float64{10, 40, 20, 80, 5, 30}
	n2 := []float64{2e4, 1e5, 8e4, 1e5, 2e4, 4e5}
	const s1, s2 = 3e-3, 1.5e-7
	meas := make([]float64, len(base))
	for i := range base {
		meas[i] = base[i] + s1*n1[i] + s2*n2[i]
	}
	a, b := FitStepOverheads2(base, n1, n2, meas)
	if math.Abs(a-s1) > 1e-3*s1 || math.Abs(b-s2) > 1e-3*s2 {
		t.Errorf("fitted %g, %g; want %g, %g", a, b, s1, s2)
	}
	// Steps that fall with n2: the second term would be negative.
	for i := range base {
		meas[i] = base[i] + s1*n1[i] - s2*n2[i]/10
	}
	a, b = FitStepOverheads2(base, n1, n2, meas)
	if want := FitStepOverhead(base, n1, meas); b > 1e-12 || math.Abs(a-want) > 1e-9 {
		t.Errorf("fitted %g, %g; want %g, 0", a, b, want)
	}
}
