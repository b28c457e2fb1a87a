package calibration

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

func llama8B() Transformer {
	return Transformer{Name: "llama", Layers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128,
		FFN: 14336, Vocab: 128256, GatedMLP: true}
}

// ServeSteps with the prompt's own context and the precision's KV bytes is
// ServingStepsTo, bit for bit; a KV element of the precision's bytes given
// explicitly changes nothing.
func TestServeStepsMatchesServingSteps(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.BF16)
	m := llama8B()
	for _, sw := range []Software{PyTorch, Compiled, Megatron} {
		var pre, a, b Breakdown
		p.ServingStepsTo(&pre, &a, &b, &d, &m, 8, 2048, 2048, 2112, sw)
		for _, kvb := range []float64{0, 2} {
			var pre2, a2, b2 Breakdown
			q := ServeQuery{Batch: 8, Prefill: 2048, PromptCtx: 2048, CtxA: 2048, CtxB: 2112, KVBytes: kvb, Software: sw}
			p.ServeSteps(&pre2, &a2, &b2, &d, &m, &q)
			if pre != pre2 || a != a2 || b != b2 {
				t.Errorf("%v kv bytes %v: ServeSteps differs from ServingStepsTo", sw, kvb)
			}
		}
	}
}

// A quantized KV cache reads fewer bytes; a prefix-cached prefill computes
// fewer tokens but attends the whole prompt.
func TestServeStepsKVAndPrefix(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.BF16)
	m := llama8B()
	var pre, a, b, pre8, a8, b8 Breakdown
	q := ServeQuery{Batch: 32, Prefill: 4096, PromptCtx: 4096, CtxA: 8192, CtxB: 8192, Software: PyTorch}
	p.ServeSteps(&pre, &a, &b, &d, &m, &q)
	q.KVBytes = 1
	p.ServeSteps(&pre8, &a8, &b8, &d, &m, &q)
	if !(a8.Bytes < a.Bytes && a8.Total < a.Total && a8.FLOPs == a.FLOPs) {
		t.Errorf("fp8 KV decode: bytes %v vs %v, time %v vs %v", a8.Bytes, a.Bytes, a8.Total, a.Total)
	}
	q.KVBytes, q.Prefill = 0, 1024
	var half Breakdown
	p.ServeSteps(&half, &a, &b, &d, &m, &q)
	if !(half.Total < pre.Total && half.FLOPs > pre.FLOPs/4) {
		t.Errorf("prefix-cached prefill: %v s %v FLOPs (whole prompt %v s %v FLOPs)", half.Total, half.FLOPs, pre.Total, pre.FLOPs)
	}
}

// Split-KV decode attention (compiled stacks) fills the GPU at batch 1 and
// long context: the step approaches the weights and KV read at the
// achievable bandwidth. The merge kernel runs at every batch, so that the
// step never gets faster when the batch grows past the GPU's blocks.
func TestSplitKV(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.BF16)
	m := llama8B()
	long := p.DecodeStep(&d, &m, 1, 131072, Compiled)
	floor := long.Bytes / p.StreamBps(&d)
	if !(long.Total >= floor && long.Total < 1.25*floor) {
		t.Errorf("compiled 128K decode %.2f ms, floor %.2f ms", long.Total*1e3, floor*1e3)
	}
	if eager := p.DecodeStep(&d, &m, 1, 131072, PyTorch); !(eager.Total > 2*long.Total) {
		t.Errorf("pytorch 128K decode %.2f ms, compiled %.2f ms: no split without split-KV", eager.Total*1e3, long.Total*1e3)
	}
	if !SplitKV(Compiled) || SplitKV(PyTorch) || SplitKV(Megatron) {
		t.Error("split-KV stacks: compiled only")
	}
	prev := 0.0
	for B := 1; B <= 64; B++ {
		s := p.DecodeStep(&d, &m, B, 512, Compiled).Total
		if s < prev {
			t.Errorf("batch %d decode %v faster than batch %d's %v", B, s, B-1, prev)
		}
		prev = s
	}
	// A one-token prefill is a prefill: the prefill kernel, not the decode one.
	one := p.Prefill(&d, &m, 1, 1, PyTorch)
	two := p.Prefill(&d, &m, 1, 2, PyTorch)
	if !(one.Total <= two.Total) || one.Host == 0 {
		t.Errorf("prefill of 1 token %v (host %v), of 2 %v", one.Total, one.Host, two.Total)
	}
}

// TensorRT-LLM's decode kernel (one thread block per query head) reads a
// grouped-query cache once per query head: the step of an 8-KV-head model
// moves 2·L·B·ctx·(H − Hkv)·hd·kvb bytes more than a GQA-aware kernel's
// and takes longer; a model with a KV head per query head is unchanged,
// and so is a prefill. At fp16, where the two stacks' other kernels agree
// (at fp8 tensorrt-llm's attention and element-wise kernels run 16-bit:
// TestActivations16Kernels).
func TestDecodeKVPerQueryHead(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.FP16)
	if !stack(TensorRTLLM).DecodeKVPerQueryHead || stack(Compiled).DecodeKVPerQueryHead || stack(VLLM).DecodeKVPerQueryHead {
		t.Fatal("decode_kv_per_query_head: want tensorrt-llm only")
	}
	gqa := llama8B()
	mha := gqa
	mha.KVHeads = mha.Heads
	const B, ctx = 64, 2048
	for _, c := range []struct {
		m    Transformer
		more float64
	}{
		{gqa, 2 * float64(gqa.Layers) * B * ctx * float64(gqa.Heads-gqa.KVHeads) * float64(gqa.HeadDim) * d.Bytes},
		{mha, 0},
	} {
		trt := p.DecodeStep(&d, &c.m, B, ctx, TensorRTLLM)
		cmp := p.DecodeStep(&d, &c.m, B, ctx, Compiled)
		if got := trt.Bytes - cmp.Bytes; math.Abs(got-c.more) > 1e-9*trt.Bytes {
			t.Errorf("%d KV heads: tensorrt-llm moves %g bytes more than compiled, want %g", c.m.KVHeads, got, c.more)
		}
		if c.more > 0 && !(trt.Attention > 2*cmp.Attention) {
			t.Errorf("GQA decode attention %v s on tensorrt-llm, %v s on compiled: want the cache read 4 times", trt.Attention, cmp.Attention)
		}
		if c.more == 0 && trt.Attention != cmp.Attention {
			t.Errorf("MHA decode attention %v s on tensorrt-llm, %v s on compiled: want equal", trt.Attention, cmp.Attention)
		}
		if a, b := p.Prefill(&d, &c.m, 1, ctx, TensorRTLLM), p.Prefill(&d, &c.m, 1, ctx, Compiled); a.Attention != b.Attention || a.Bytes != b.Bytes {
			t.Errorf("%d KV heads: prefill attention %v / %v s, bytes %v / %v: want equal", c.m.KVHeads, a.Attention, b.Attention, a.Bytes, b.Bytes)
		}
	}
}

// ForwardFrom over the context-free part of a pass is Forward bit for bit
// at every context, and ServeSteps without decode targets times the same
// prefill as with them: for every stack, at bf16 and fp8, for a dense
// model, a sliding-window one and a mixture of experts.
func TestForwardFromMatchesForward(t *testing.T) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	win := llama8B()
	win.Window, win.WindowLayers = 1024, 16
	moe := llama8B()
	moe.Experts, moe.ActiveExperts, moe.FFN = 8, 2, 4096
	for _, prec := range []registry.Precision{registry.BF16, registry.FP8} {
		d := DeviceFor(h100, prec)
		for _, m := range []Transformer{llama8B(), win, moe} {
			for sw := range NumSoftware {
				passes := []Pass{
					{Batch: 4, Tokens: 512, Ctx: 768, Software: sw, Prefill: true},
					{Batch: 8, Tokens: 5, Ctx: 2053, AllLogit: true, Software: sw, KVBytes: 1, Graphed: true},
					{Batch: 16, Tokens: 1, Ctx: 4096, Software: sw},
				}
				for _, ps := range passes {
					var cf ContextFree
					p.ContextFreeOf(&cf, &d, &m, &ps)
					for _, ctx := range []int{ps.Ctx, ps.Ctx + 1000, ps.Ctx + 3000} {
						ps.Ctx = ctx
						var got Breakdown
						p.ForwardFrom(&got, &cf, &d, &m, &ps)
						if want := p.Forward(&d, &m, &ps); got != want {
							t.Errorf("%v %s %v %+v: ForwardFrom differs from Forward", prec, m.Name, sw, ps)
						}
					}
				}
				q := ServeQuery{Batch: 8, Prefill: 1536, PromptCtx: 2048, CtxA: 2048, CtxB: 2112, Software: sw}
				var pre, a, b, alone Breakdown
				p.ServeSteps(&pre, &a, &b, &d, &m, &q)
				p.ServeSteps(&alone, nil, nil, &d, &m, &q)
				if alone != pre {
					t.Errorf("%v %v: ServeSteps without decode steps times another prefill", prec, sw)
				}
			}
		}
	}
}

// BenchmarkServeSteps is the operator model's part of one calibrated
// serving evaluation: the prefill and two decode steps of a batch of 32
// 4,096-token prompts of a Llama-3-70B-shaped model on one H100, and the
// prefill of one of them alone.
func BenchmarkServeSteps(b *testing.B) {
	h100, _ := registry.Default().Hardware("H100")
	p := Embedded().Profile(h100)
	d := DeviceFor(h100, registry.BF16)
	m := Transformer{Layers: 80, Hidden: 8192, Heads: 64, KVHeads: 8, HeadDim: 128, FFN: 28672, Vocab: 128256, GatedMLP: true}
	q := ServeQuery{Batch: 32, Prefill: 4096, PromptCtx: 4096, CtxA: 4096, CtxB: 4160}
	one := q
	one.Batch = 1
	var pre, a, c, pre1 Breakdown
	for b.Loop() {
		p.ServeSteps(&pre, &a, &c, &d, &m, &q)
		p.ServeSteps(&pre1, nil, nil, &d, &m, &one)
	}
	if !(pre.Total > 0 && a.Total > 0 && c.Total > 0 && pre1.Total > 0) {
		b.Fatal("no time")
	}
}
