package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// mixtralLab is the reproduction of Mixtral 8x7B training on Lab_64_H100
// (batch 256, seq 4096, full recomputation, ZeRO-3, bf16) at expert
// parallelism ep under fidelity fid.
func mixtralLab(t testing.TB, fid Fidelity, ep int) Result {
	c := distCfg(t, "Mixtral_8x7B", "Lab_64_H100", func(c *Config) {
		c.Fidelity = fid
		c.BatchSize, c.SeqLen, c.Recompute, c.ZeroStage = 256, 4096, RecomputeFull, 3
		c.Dist.EP = ep
	})
	return Evaluate(&c)
}

// With ep folded into data parallelism, ep=8 keeps the 64 attention DP
// ranks (4 sequences each), so neither the replica nor the activations
// grow with ep; the expert gradients' all-reduce shrinks to edp = 8 ranks
// and the all-to-alls run over NVLink inside a node. The step is no
// slower than ep=1 (it was 28.2 s against 4.8 s, with 34 GB of
// activations against 4.3). Fidelity mlsysim keeps mlsysim's layout, ep a
// factor of its own (8 DP ranks).
func TestMixtralEPNotSlower(t *testing.T) {
	r1 := mixtralLab(t, FidelityCalibrated, 1)
	r8 := mixtralLab(t, FidelityCalibrated, 8)
	for _, r := range []Result{r1, r8} {
		if r.Dist.Reason != DistOK || !(r.LatencyS > 0) || r.Dist.DP != 64 {
			t.Fatalf("reason %q step %v dp %d", r.Dist.Reason, r.LatencyS, r.Dist.DP)
		}
	}
	if r8.LatencyS > r1.LatencyS {
		t.Errorf("ep=8 step %.3f s slower than ep=1 %.3f s", r8.LatencyS, r1.LatencyS)
	}
	if math.Abs(r8.Dist.ReplicaS/r1.Dist.ReplicaS-1) > 0.05 {
		t.Errorf("replica ep=8 %.3f s vs ep=1 %.3f s: the rank's expert work is the same", r8.Dist.ReplicaS, r1.Dist.ReplicaS)
	}
	if r8.Dist.ActivationsBytes != r1.Dist.ActivationsBytes {
		t.Errorf("activations ep=8 %.3g B vs ep=1 %.3g B", r8.Dist.ActivationsBytes, r1.Dist.ActivationsBytes)
	}
	if !(r8.Dist.CommEPS > 0) || !(r8.Dist.CommDPS < r1.Dist.CommDPS) {
		t.Errorf("ep=8: EP %v s, DP %v s (ep=1 DP %v s)", r8.Dist.CommEPS, r8.Dist.CommDPS, r1.Dist.CommDPS)
	}
	m8 := mixtralLab(t, FidelityMLSysim, 8)
	if m8.Dist.DP != 8 || m8.Dist.Reason != DistOK {
		t.Errorf("fidelity mlsysim ep=8: dp %d reason %q, want mlsysim's 8", m8.Dist.DP, m8.Dist.Reason)
	}
}

// qwenEP is Qwen3-30B-A3B (128 fine-grained experts, top-8) on 64 H100s of
// Lab_64_H100, batch 256 of 1024 tokens in microbatches of one sequence
// (1,024 tokens: 64 rows per expert at ep=1), no ZeRO, at ep.
func qwenEP(t testing.TB, ep int) Result {
	c := distCfg(t, "Qwen3_30B_A3B", "Lab_64_H100", func(c *Config) {
		c.Fidelity = FidelityCalibrated
		c.BatchSize, c.SeqLen = 256, 1024
		c.Dist.EP, c.Dist.Microbatches = ep, 4
	})
	return Evaluate(&c)
}

// The shape of the curve: as ep grows each rank holds fewer experts, each
// with more of the routed tokens, so the grouped expert GEMMs (small M
// when 128 experts share a rank's tokens) take less time; the expert
// weights per rank shrink; the all-to-all is cheap while the group fits a
// node (ep ≤ 8, NVLink) and jumps when it spans nodes (the fabric), so
// the step is shortest at the largest ep inside a node.
func TestEPCurveShape(t *testing.T) {
	eps := []int{1, 2, 4, 8, 16, 32, 64}
	rs := make([]Result, len(eps))
	for i, ep := range eps {
		rs[i] = qwenEP(t, ep)
		if rs[i].Dist.Reason != DistOK || !(rs[i].LatencyS > 0) {
			t.Fatalf("ep=%d: reason %q step %v", ep, rs[i].Dist.Reason, rs[i].LatencyS)
		}
	}
	for i := 1; i < len(eps); i++ {
		a, b := rs[i-1], rs[i]
		if b.Calib.MatmulS > a.Calib.MatmulS*(1+1e-9) {
			t.Errorf("matmul time rises from ep=%d (%.4g s) to ep=%d (%.4g s)", eps[i-1], a.Calib.MatmulS, eps[i], b.Calib.MatmulS)
		}
		if b.Dist.WeightsBytes >= a.Dist.WeightsBytes {
			t.Errorf("weights per GPU do not shrink from ep=%d to ep=%d", eps[i-1], eps[i])
		}
		if b.Dist.CommEPS <= a.Dist.CommEPS {
			t.Errorf("all-to-all does not grow from ep=%d (%.4g s) to ep=%d (%.4g s)", eps[i-1], a.Dist.CommEPS, eps[i], b.Dist.CommEPS)
		}
	}
	if rs[0].Calib.MatmulS <= rs[3].Calib.MatmulS*1.5 {
		t.Errorf("ep=8 matmul %.4g s not clearly below ep=1 %.4g s", rs[3].Calib.MatmulS, rs[0].Calib.MatmulS)
	}
	for i, r := range rs {
		if i != 3 && r.LatencyS <= rs[3].LatencyS {
			t.Errorf("ep=%d step %.4g s not above ep=8's %.4g s", eps[i], r.LatencyS, rs[3].LatencyS)
		}
	}
	// Crossing the node: ep 8 → 16 costs more than 4 → 8 (NVLink → fabric).
	if d1, d2 := rs[3].Dist.CommEPS-rs[2].Dist.CommEPS, rs[4].Dist.CommEPS-rs[3].Dist.CommEPS; d2 <= 2*d1 {
		t.Errorf("all-to-all step at the node boundary %.4g s not above twice the step inside it %.4g s", d2, d1)
	}
}

// DeepSeek-V3's own layout: 2,048 GPUs, PP 16, attention DP 128, experts
// spread 64-way over the DP ranks, is a valid configuration under
// fidelity calibrated; layouts whose ep divides neither the experts nor
// dp·cp / tp·dp·cp are infeasible with their reason.
func TestEPFoldedLayouts(t *testing.T) {
	c := distCfg(t, "DeepSeek_V3", "Production_2K", func(c *Config) {
		c.Fidelity = FidelityCalibrated
		c.BatchSize, c.SeqLen, c.ZeroStage = 4096, 4096, 1
		c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 16, 64, 32
	})
	r := Evaluate(&c)
	if r.Dist.Reason != DistOK || r.Dist.DP != 128 || !(r.LatencyS > 0) || !(r.Dist.CommEPS > 0) {
		t.Fatalf("DeepSeek-V3 pp=16 ep=64 on 2048 GPUs: reason %q dp %d step %v EP %v", r.Dist.Reason, r.Dist.DP, r.LatencyS, r.Dist.CommEPS)
	}
	for _, tc := range []struct {
		model, system string
		tp, pp, ep    int
		want          DistReason
	}{
		{"Mixtral_8x7B", "Lab_64_H100", 1, 1, 16, DistEPFold},  // 16 does not divide 8 experts
		{"Mixtral_8x7B", "Lab_64_H100", 8, 1, 8, DistOK},       // dp 8: ep over the DP ranks, experts split 8 ways
		{"Mixtral_8x7B", "Lab_64_H100", 8, 8, 8, DistOK},       // dp 1: ep over the tp ranks, whole experts
		{"Qwen3_30B_A3B", "Lab_64_H100", 8, 4, 64, DistEPFold}, // dp 2: 64 divides neither 2 nor 16
		{"Llama3_8B", "Lab_64_H100", 1, 1, 8, DistEPFold},      // no experts
	} {
		c := distCfg(t, tc.model, tc.system, func(c *Config) {
			c.Fidelity = FidelityCalibrated
			c.BatchSize, c.SeqLen = 256, 2048
			c.Dist.TP, c.Dist.PP, c.Dist.EP = tc.tp, tc.pp, tc.ep
		})
		r := Evaluate(&c)
		if r.Dist.Reason != tc.want {
			t.Errorf("%s tp=%d pp=%d ep=%d: %q, want %q", tc.model, tc.tp, tc.pp, tc.ep, r.Dist.Reason, tc.want)
		}
		if tc.want != DistOK && (r.Feasible || r.LatencyS != 0) {
			t.Errorf("%s ep=%d priced: %+v", tc.model, tc.ep, r)
		}
	}
}

// Without ZeRO each rank holds the dense parameters and E/ep experts: the
// weights per GPU fall with ep towards the dense share.
func TestEPShardsExpertWeights(t *testing.T) {
	w := func(ep int) float64 {
		c := distCfg(t, "Mixtral_8x7B", "Lab_64_H100", func(c *Config) {
			c.Fidelity = FidelityCalibrated
			c.BatchSize, c.SeqLen = 256, 2048
			c.Dist.EP = ep
		})
		return Evaluate(&c).Dist.WeightsBytes
	}
	pe := routedExpertParams(mixtralModel(t))
	w1, w8 := w(1), w(8)
	if got, want := w1-w8, pe*7/8*2; math.Abs(got/want-1) > 1e-9 {
		t.Errorf("ep=8 saves %.4g B of weights, want 7/8 of the experts' %.4g", got, want)
	}
}

func mixtralModel(t testing.TB) *registry.Model {
	c := cfg(t, "Mixtral_8x7B", "H100", nil)
	return c.Model
}

// Mixtral's KV cache under fidelity calibrated uses its 8 KV heads
// (268 MB at 2,048 tokens in bf16), under fidelity mlsysim mlsysim's
// missing kv_heads (32, 1.07 GB).
func TestMixtralKVCacheByFidelity(t *testing.T) {
	m := mixtralModel(t)
	if got := calibKVCacheBytes(m, 2048, 1, 2); math.Abs(got-268.435456e6) > 1 {
		t.Errorf("calibrated KV %.6g B, want 2·32·8·128·2048·2 = 268,435,456", got)
	}
	if got := KVCacheBytes(m, 2048, 1, 2); math.Abs(got-1073.741824e6) > 1 {
		t.Errorf("mlsysim KV %.6g B, want 1,073,741,824", got)
	}
	for _, fid := range []Fidelity{FidelityCalibrated, FidelityMLSysim} {
		c := cfg(t, "Mixtral_8x7B", "H100", func(c *Config) {
			c.Fidelity, c.Mode, c.SeqLen, c.BatchSize, c.OutputTokens = fid, Serving, 2048, 1, 1
		})
		r := Evaluate(&c)
		want := calibKVCacheBytes(m, 2049, 1, 2) // the peak context, prompt + output
		if fid == FidelityMLSysim {
			want = KVCacheBytes(m, 2048, 1, 2)
		}
		if math.Abs(r.KVCacheBytes/want-1) > 1e-9 {
			t.Errorf("%v: kv_cache_bytes %.6g, want %.6g", fid, r.KVCacheBytes, want)
		}
	}
}

// The expected distinct experts of T tokens routed top-k over E rise from
// k at one token to E.
func TestExpectedActiveExperts(t *testing.T) {
	if got := calibration.ExpectedActiveExperts(256, 8, 1); math.Abs(got-8) > 1e-9 {
		t.Errorf("one token: %v experts, want 8", got)
	}
	prev := 0.0
	for _, T := range []float64{1, 2, 8, 32, 128, 1024} {
		got := calibration.ExpectedActiveExperts(256, 8, T)
		if got <= prev || got > 256 {
			t.Errorf("T=%v: %v experts (previous %v)", T, got, prev)
		}
		prev = got
	}
	if got := calibration.ExpectedActiveExperts(256, 8, 4096); got < 255.99 {
		t.Errorf("4096 tokens reach %v of 256 experts", got)
	}
}

// Serving DeepSeek-V3 with wide expert parallelism and attention data
// parallelism: more EP GPUs hold fewer experts each (memory per GPU falls)
// and serve the batch's attention in more groups (the decode step falls),
// while the all-to-alls cross the fabric past a node.
func TestServingWideEP(t *testing.T) {
	eval := func(ep int) Result {
		c := cfg(t, "DeepSeek_V3", "H100", func(c *Config) {
			c.Fidelity, c.Mode, c.Precision = FidelityCalibrated, Serving, registry.FP8
			c.BatchSize, c.SeqLen, c.OutputTokens = 256, 2048, 256
			c.Dist.EP = ep
		})
		return Evaluate(&c)
	}
	prev := eval(8)
	if prev.Reason != ReasonNone && prev.Reason != ReasonMemory {
		t.Fatalf("ep=8: %q", prev.Reason)
	}
	for _, ep := range []int{16, 32, 64} {
		r := eval(ep)
		if !r.Feasible {
			t.Fatalf("ep=%d infeasible: %q", ep, r.Reason)
		}
		if r.MemoryBytes >= prev.MemoryBytes || r.ITLS >= prev.ITLS || r.Serve.GPUs != ep {
			t.Errorf("ep=%d: memory %.4g B, ITL %.4g s, GPUs %d (previous %.4g B, %.4g s)", ep, r.MemoryBytes, r.ITLS, r.Serve.GPUs, prev.MemoryBytes, prev.ITLS)
		}
		prev = r
	}
}

// Decode reads the experts a batch activates: a Mixtral step at batch 1
// reads 2 of 8 experts per layer, at batch 64 nearly all, so the step
// rises with the batch well past one expert's worth of weights, then
// flattens once every expert is read.
func TestDecodeReadsActiveExperts(t *testing.T) {
	for _, tp := range []int{1, 2} { // the tensor-parallel path reads the same experts' shards
		itl := func(b int) float64 {
			c := cfg(t, "Mixtral_8x7B", "H100", func(c *Config) {
				c.Fidelity, c.Mode, c.BatchSize, c.SeqLen, c.OutputTokens = FidelityCalibrated, Serving, b, 128, 2
				c.Dist.TP = tp
			})
			return Evaluate(&c).ITLS
		}
		i1, i4, i64, i128 := itl(1), itl(4), itl(64), itl(128)
		if !(i4 > 1.5*i1) {
			t.Errorf("tp=%d: batch 4 step %.4g s not well above batch 1's %.4g s (2 → ~5.3 of 8 experts)", tp, i4, i1)
		}
		if !(i128 < 1.3*i64) {
			t.Errorf("tp=%d: batch 128 step %.4g s not near batch 64's %.4g s (all experts read)", tp, i128, i64)
		}
	}
}

// BenchmarkEvaluateMoE: DeepSeek-V3 training on 2,048 H100s with EP
// folded into data parallelism (pp 16, ep 64), and serving with wide EP
// (ep 32) and attention data parallelism.
func BenchmarkEvaluateMoE(b *testing.B) {
	train := distCfg(b, "DeepSeek_V3", "Production_2K", func(c *Config) {
		c.Fidelity = FidelityCalibrated
		c.BatchSize, c.SeqLen, c.ZeroStage = 4096, 4096, 1
		c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 16, 64, 32
	})
	serve := cfg(b, "DeepSeek_V3", "H100", func(c *Config) {
		c.Fidelity, c.Mode, c.Precision = FidelityCalibrated, Serving, registry.FP8
		c.BatchSize, c.SeqLen, c.OutputTokens = 256, 2048, 256
		c.Dist.EP = 32
	})
	for _, bc := range []struct {
		name string
		c    *Config
	}{{"training", &train}, {"serving", &serve}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(bc.c)
			}
		})
	}
}

// gpt-oss's banded layers hold and read a 128-token window: at 8,192
// tokens half its layers keep 128 of them, and the decode step at a long
// context is faster than the same model without the window.
func TestSlidingWindowLayers(t *testing.T) {
	c := cfg(t, "GPT_OSS_120B", "H100", nil)
	m := c.Model
	want := 2.0 * 8 * 64 * (18*8192 + 18*128) * 2
	if got := calibKVCacheBytes(m, 8192, 1, 2); math.Abs(got/want-1) > 1e-12 {
		t.Errorf("KV %.6g B, want %.6g", got, want)
	}
	if got, full := calibKVCacheBytes(m, 100, 1, 2), 2.0*8*64*36*100*2; got != full {
		t.Errorf("inside the window: KV %.6g B, want %.6g", got, full)
	}
	noWin := *m
	noWin.SlidingWindow, noWin.WindowLayers = 0, 0
	itl := func(mm *registry.Model) float64 {
		c := cfg(t, "GPT_OSS_120B", "H100", func(c *Config) {
			c.Fidelity, c.Mode, c.Precision = FidelityCalibrated, Serving, registry.FP8
			c.BatchSize, c.SeqLen, c.OutputTokens = 32, 32768, 2
		})
		c.Model = mm
		return Evaluate(&c).ITLS
	}
	if w, f := itl(m), itl(&noWin); !(w < f) {
		t.Errorf("windowed decode %.4g s not below full-context %.4g s", w, f)
	}
}

// A MoE layer keeps its routed copies' activations: under selective
// recomputation Mixtral's layer keeps 34·h − 19·h + (2·k·h + 6·k·F_e +
// 8·E) = 15·4096 + 188,480 bytes-at-16-bits per token where the dense
// formula counts 34·h; under full recomputation only the layer's input.
func TestMoEActivations(t *testing.T) {
	eval := func(rc Recompute) Result {
		c := distCfg(t, "Mixtral_8x7B", "Lab_64_H100", func(c *Config) {
			c.Fidelity = FidelityCalibrated
			c.BatchSize, c.SeqLen, c.Recompute, c.ZeroStage = 64, 4096, rc, 1
			c.Dist.EP = 8
		})
		return Evaluate(&c)
	}
	sel := eval(RecomputeSelective)
	// One sequence per replica (64 ranks), 32 layers, bf16 (2 bytes: the
	// 16-bit coefficients as they are).
	perTok := 15*4096.0 + 2*2*4096 + 6*2*14336 + 8*8
	if want := 32 * perTok * 4096; math.Abs(sel.Dist.ActivationsBytes/want-1) > 1e-12 {
		t.Errorf("selective: activations %.6g B, want %.6g", sel.Dist.ActivationsBytes, want)
	}
	full := eval(RecomputeFull)
	if want := 32 * 2 * 4096.0 * 4096; math.Abs(full.Dist.ActivationsBytes/want-1) > 1e-12 {
		t.Errorf("full: activations %.6g B, want %.6g", full.Dist.ActivationsBytes, want)
	}
}

// Expert-parallel serving splits its all-to-alls into prefill_comm_ep_s
// and decode_comm_ep_s: positive at ep > 1, 0 at ep = 1, the parts
// summing to prefill_s and itl_s; a chunked prefill pays one exchange a
// chunk, so its all-to-alls are no fewer than the whole prompt's.
func TestServingEPTimeParts(t *testing.T) {
	eval := func(ep, chunk int) Result {
		c := cfg(t, "DeepSeek_V3", "H100", func(c *Config) {
			c.Fidelity, c.Mode, c.Precision = FidelityCalibrated, Serving, registry.FP8
			c.BatchSize, c.SeqLen, c.OutputTokens = 64, 2048, 256
			c.Dist.EP, c.Serve.ChunkSize = ep, chunk
		})
		return Evaluate(&c)
	}
	one := eval(1, 0)
	if one.Calib.Prefill.CommEPS != 0 || one.Calib.Decode.CommEPS != 0 {
		t.Errorf("ep=1: EP parts %v, %v, want 0", one.Calib.Prefill.CommEPS, one.Calib.Decode.CommEPS)
	}
	whole, chunked := eval(32, 0), eval(32, 512)
	for _, r := range []Result{whole, chunked} {
		if r.LatencyS <= 0 {
			t.Fatalf("ep=32 not priced: %q", r.Reason)
		}
		if r.Calib.Prefill.CommEPS <= 0 || r.Calib.Decode.CommEPS <= 0 {
			t.Errorf("ep=32: EP parts %v, %v, want > 0", r.Calib.Prefill.CommEPS, r.Calib.Decode.CommEPS)
		}
		if s := r.Calib.Prefill.Sum(); math.Abs(s-r.Serve.PrefillS) > 1e-9*r.Serve.PrefillS {
			t.Errorf("prefill parts sum to %v, prefill_s %v", s, r.Serve.PrefillS)
		}
		if s := r.Calib.Decode.Sum(); math.Abs(s-r.ITLS) > 1e-9*r.ITLS {
			t.Errorf("decode parts sum to %v, itl_s %v", s, r.ITLS)
		}
	}
	if chunked.Calib.Prefill.CommEPS < whole.Calib.Prefill.CommEPS*(1-1e-9) {
		t.Errorf("chunked prefill's all-to-alls %v below the whole prompt's %v", chunked.Calib.Prefill.CommEPS, whole.Calib.Prefill.CommEPS)
	}
}

// Under Transformer Engine's fp8 recipe (software=megatron-core) the
// expert-parallel all-to-alls move the bf16 tokens Megatron-Core
// dispatches before the experts cast them: the same volume at fp8 as at
// bf16; under a stack that runs every operator at fp8 they move half.
func TestEPAllToAllMegatronCoreFP8(t *testing.T) {
	ep := func(sw calibration.Software, p registry.Precision) float64 {
		c := distCfg(t, "Qwen3_30B_A3B", "Lab_64_H100", func(c *Config) {
			c.Fidelity, c.Calib.Software, c.Precision = FidelityCalibrated, sw, p
			c.BatchSize, c.SeqLen = 256, 1024
			c.Dist.EP, c.Dist.Microbatches = 16, 4
		})
		r := Evaluate(&c)
		if !(r.Dist.CommEPS > 0) {
			t.Fatalf("%s %s: all-to-all %v s", sw, p, r.Dist.CommEPS)
		}
		return r.Dist.CommEPS
	}
	if a, b := ep(calibration.MegatronCore, registry.FP8), ep(calibration.MegatronCore, registry.BF16); a != b {
		t.Errorf("megatron-core: all-to-all %g s at fp8, %g s at bf16: want the same bf16 tokens", a, b)
	}
	if a, b := ep(calibration.Compiled, registry.FP8), ep(calibration.Compiled, registry.BF16); !(a < b) {
		t.Errorf("compiled: all-to-all %g s at fp8, %g s at bf16: want fewer bytes at fp8", a, b)
	}
}

// qwen235 is Qwen3-235B-A22B on the 256 H100s of Training_512_H100
// (gpus 256), batch 2048 of 4096 tokens, ZeRO-1, fp8 on the megatron-core
// stack, with mutate applied.
func qwen235(t testing.TB, mutate func(c *Config)) Result {
	c := distCfg(t, "Qwen3_235B_A22B", "Training_512_H100", func(c *Config) {
		c.Fidelity, c.Precision = FidelityCalibrated, registry.FP8
		c.Calib.Software = calibration.MegatronCore
		c.BatchSize, c.SeqLen, c.ZeroStage = 2048, 4096, 1
		c.Dist.GPUs = 256
		mutate(c)
	})
	return Evaluate(&c)
}

// Whole experts beside tensor-parallel attention (etp = 1: ep = 32 does
// not divide dp = 16): under sequence parallelism each of the tp = 2 ranks
// dispatches its half of the tokens, so its all-to-alls move what a rank
// of the tp = 1 layout (dp = 32, half the sequences per replica) moves
// over the same 32-rank expert-parallel groups.
func TestEPWholeExpertsTokenShare(t *testing.T) {
	tp2 := qwen235(t, func(c *Config) { c.Dist.TP, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 2, 8, 32, 32 })
	tp1 := qwen235(t, func(c *Config) { c.Dist.TP, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 1, 8, 32, 16 })
	if tp2.Dist.Reason != DistOK || tp1.Dist.Reason != DistOK || tp2.Dist.DP != 16 || tp1.Dist.DP != 32 {
		t.Fatalf("layouts: %q dp %d, %q dp %d", tp2.Dist.Reason, tp2.Dist.DP, tp1.Dist.Reason, tp1.Dist.DP)
	}
	if a, b := tp2.Dist.CommEPS, tp1.Dist.CommEPS; !(a > 0) || math.Abs(a-b) > 1e-9*b {
		t.Errorf("EP all-to-alls: tp=2 (etp=1) %.6g s, tp=1 %.6g s: want equal (each rank dispatches its 1/tp)", a, b)
	}
	if moeEPTokenShare(2, 1) != 0.5 || moeEPTokenShare(2, 2) != 1 || moeEPTokenShare(1, 1) != 1 {
		t.Errorf("token shares: %v %v %v", moeEPTokenShare(2, 1), moeEPTokenShare(2, 2), moeEPTokenShare(1, 1))
	}
}

// Experts split tp ways (etp = tp = 2: ep = 4 divides dp = 16): under
// sequence parallelism each rank all-to-alls only its own half of the
// tokens, then all-gathers the received tokens over the expert
// tensor-parallel pair (and reduce-scatters them in the combine). At the
// same tokens per GPU as tp = 1 (dp = 32) the all-to-all is tp = 1's, so
// the EP time is tp = 1's × (a2a + ag)/a2a with, inside one node,
// a2a = (ep−1)/ep·M/β and ag = (etp−1)·M/β: 7/3 for ep 4, etp 2 (the
// latencies aside); charging the group's tokens, as a rank of the tp
// group did before, gives 2.
func TestEPExpertTPTokenShare(t *testing.T) {
	tp2 := qwen235(t, func(c *Config) { c.Dist.TP, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 2, 8, 4, 32 })
	tp1 := qwen235(t, func(c *Config) { c.Dist.TP, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 1, 8, 4, 16 })
	if tp2.Dist.Reason != DistOK || tp1.Dist.Reason != DistOK || tp2.Dist.DP != 16 || tp1.Dist.DP != 32 {
		t.Fatalf("layouts: %q dp %d, %q dp %d", tp2.Dist.Reason, tp2.Dist.DP, tp1.Dist.Reason, tp1.Dist.DP)
	}
	ep, etp := 4.0, 1.0+1
	want := ((ep-1)/ep + (etp - 1)) / ((ep - 1) / ep)
	if got := tp2.Dist.CommEPS / tp1.Dist.CommEPS; math.Abs(got-want) > 0.01*want {
		t.Errorf("EP time tp=2 (etp=2) / tp=1: %.4f, want %.4f (own tokens all-to-alled, then gathered over etp)", got, want)
	}
	if moeA2ATokenShare(2) != 0.5 || moeA2ATokenShare(1) != 1 {
		t.Errorf("all-to-all shares: %v %v", moeA2ATokenShare(2), moeA2ATokenShare(1))
	}
	topo := distTopology{perNode: 8, intraBps: 450e9, intraLatS: 2e-6, interBps: 50e9, fabric: &registry.Fabric{LatencyS: 5e-6}}
	const M = 1e8
	if g := moeExpertTPGatherS(M, 1, &topo); g != 0 {
		t.Errorf("whole experts: all-gather %g s, want 0", g)
	}
	if g, w := moeExpertTPGatherS(M, 4, &topo), 3*(M/450e9+2e-6); math.Abs(g-w) > 1e-12*w {
		t.Errorf("etp 4 all-gather: %g s, want %g s over the node's link", g, w)
	}
}

// Combined 1F1B hides the all-to-alls behind the adjacent microbatch's
// computation: the exposed EP time never exceeds the unhidden one, falls
// as the microbatches grow (the unpaired warm-up and cool-down a smaller
// share), and is the unhidden one with pp > 1 and no virtual stages.
func TestEPOverlapShape(t *testing.T) {
	layout := func(mb, v int, overlap bool) func(c *Config) {
		return func(c *Config) {
			c.Dist.TP, c.Dist.PP, c.Dist.EP, c.Dist.Interleave, c.Dist.Microbatches, c.Dist.EPOverlap = 2, 8, 32, v, mb, overlap
		}
	}
	prev := math.Inf(1)
	for _, mb := range []int{16, 32, 64} {
		off, on := qwen235(t, layout(mb, 4, false)), qwen235(t, layout(mb, 4, true))
		if on.Dist.Reason != DistOK || !(on.Dist.CommEPS < off.Dist.CommEPS) || !(on.LatencyS < off.LatencyS) {
			t.Fatalf("mb=%d: EP %.4g s with overlap, %.4g s without; step %.4g / %.4g s", mb, on.Dist.CommEPS, off.Dist.CommEPS, on.LatencyS, off.LatencyS)
		}
		share := on.Dist.CommEPS / off.Dist.CommEPS
		if !(share < prev) {
			t.Errorf("mb=%d: exposed share %.4g not below %.4g at fewer microbatches", mb, share, prev)
		}
		prev = share
	}
	if a, b := qwen235(t, layout(32, 1, true)), qwen235(t, layout(32, 1, false)); a.Dist.CommEPS != b.Dist.CommEPS {
		t.Errorf("pp=8 without virtual stages: EP %.4g s with overlap, %.4g s without: want unchanged", a.Dist.CommEPS, b.Dist.CommEPS)
	}
	for _, tc := range []struct {
		comm, compute float64
		mb, v, pp     int
		want          float64
	}{
		{10, 100, 1000, 1, 1, 0.01},  // hidden but the first forward and last backward: u = 1/1000
		{10, 4, 10, 1, 1, 1 + 0.9*6}, // compute covers 4 of the paired 9
		{10, 100, 4, 1, 8, 10},       // no virtual stages with pp > 1
		{10, 100, 2, 2, 4, 10},       // warm-up W = 10 ≥ mb·v: nothing paired
		{10, 0, 64, 4, 8, 10},        // nothing to hide behind
	} {
		if got, _ := moeEPOverlapExposedS(tc.comm, tc.compute, tc.mb, tc.v, tc.pp); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("moeEPOverlapExposedS(%v, %v, mb=%d, v=%d, pp=%d) = %v, want %v", tc.comm, tc.compute, tc.mb, tc.v, tc.pp, got, tc.want)
		}
	}
}

// CalibResult.MoELayerMicrobatches is the slope of the step in the
// stack's time per MoE layer per micro-batch: at bf16 the megatron-core
// and compiled stacks price a MoE step alike but for that time (tp = 1: no
// tensor-parallel collectives to overlap), so their steps differ by
// exactly MoELayerMicrobatchS × MoELayerMicrobatches, through the pipeline
// bubble and, under combined 1F1B, the all-to-alls the extra computation
// hides. Without combined 1F1B the slope is the last stage's MoE layers ×
// the microbatches ÷ (1 − bubble fraction); the routed-copy and
// local-expert slopes are it × the copies per layer and micro-batch
// (s·T·k: 8 sequences of 4096 tokens per micro-batch at mb 8 of a
// per-rank batch of 64, k = 8) and × ⌈E/ep⌉ (128/8).
func TestMoELayerMicrobatchSlope(t *testing.T) {
	v := calibration.MoELayerMicrobatchS(calibration.MegatronCore)
	for _, tc := range []struct {
		name, system string
		pp, ep, mb   int
		overlap      bool
	}{
		{"pp 4, ep 8 in a node", "Lab_64_H100", 4, 8, 8, false},
		{"ep 16 over 100 Gb/s Ethernet, combined 1F1B", "Research_256", 1, 16, 8, true},
	} {
		step := func(sw calibration.Software) Result {
			c := distCfg(t, "Qwen3_30B_A3B", tc.system, func(c *Config) {
				c.Fidelity, c.Precision, c.Calib.Software = FidelityCalibrated, registry.BF16, sw
				c.BatchSize, c.SeqLen, c.ZeroStage = 512, 4096, 1
				c.Dist.GPUs, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches, c.Dist.EPOverlap = 64, tc.pp, tc.ep, tc.mb, tc.overlap
			})
			return Evaluate(&c)
		}
		mc, co := step(calibration.MegatronCore), step(calibration.Compiled)
		if mc.Dist.Reason != DistOK || !(mc.Calib.MoELayerMicrobatches > 0) {
			t.Fatalf("%s: %q, MoE layer·micro-batches %v", tc.name, mc.Dist.Reason, mc.Calib.MoELayerMicrobatches)
		}
		want := v * mc.Calib.MoELayerMicrobatches
		if got := mc.LatencyS - co.LatencyS; math.Abs(got-want) > 1e-9*mc.LatencyS {
			t.Errorf("%s: megatron-core − compiled = %.9g s, want %.9g s (%.6g layer·micro-batches)", tc.name, got, want, mc.Calib.MoELayerMicrobatches)
		}
		if !tc.overlap {
			layers := 48.0 / float64(tc.pp) // Qwen3-30B-A3B: 48 layers, all MoE
			n := layers * float64(tc.mb) / (1 - mc.Dist.BubbleFraction)
			if got := mc.Calib.MoELayerMicrobatches; math.Abs(got-n) > 1e-9*n {
				t.Errorf("%s: MoE layer·micro-batches %.9g, want %.9g", tc.name, got, n)
			}
		}
		perMB := mc.Calib.RoutedCopies / mc.Calib.MoELayerMicrobatches
		perExpert := mc.Calib.MoEExpertMicrobatches / mc.Calib.MoELayerMicrobatches
		if tokens := 512.0 / float64(mc.Dist.DP) / float64(tc.mb) * 4096; math.Abs(perMB-tokens*8) > 1e-9*perMB || perExpert != float64(128/tc.ep) {
			t.Errorf("%s: routed copies per layer·micro-batch %.6g (want %.6g), local experts %.6g (want %d)", tc.name, perMB, tokens*8, perExpert, 128/tc.ep)
		}
		t.Logf("%s: step %.4g s, MoE layer·micro-batch time %.4g s, EP %.4g s", tc.name, mc.LatencyS, want, mc.Dist.CommEPS)
	}
}

// A dispatcher that drops and pads to capacity (moe_token_drop) never
// synchronises with the host: on megatron-core its step is the compiled
// stack's (the same kernels at bf16 and tp = 1 but for the time per MoE
// layer per micro-batch), it counts no MoE layer·micro-batches, routed
// copies or local experts for that time, and the dropless step exceeds it
// by exactly MoELayerMicrobatchS × the dropless run's layer·micro-batches.
func TestMoETokenDrop(t *testing.T) {
	v := calibration.MoELayerMicrobatchS(calibration.MegatronCore)
	step := func(sw calibration.Software, drop bool) Result {
		c := distCfg(t, "Qwen3_30B_A3B", "Lab_64_H100", func(c *Config) {
			c.Fidelity, c.Precision, c.Calib.Software = FidelityCalibrated, registry.BF16, sw
			c.BatchSize, c.SeqLen, c.ZeroStage = 512, 4096, 1
			c.Dist.GPUs, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches, c.Dist.MoETokenDrop = 64, 4, 8, 8, drop
		})
		return Evaluate(&c)
	}
	drop, dropless, compiled := step(calibration.MegatronCore, true), step(calibration.MegatronCore, false), step(calibration.Compiled, true)
	if drop.Dist.Reason != DistOK || !(dropless.Calib.MoELayerMicrobatches > 0) {
		t.Fatalf("%q, dropless MoE layer·micro-batches %v", drop.Dist.Reason, dropless.Calib.MoELayerMicrobatches)
	}
	if drop.Calib.MoELayerMicrobatches != 0 || drop.Calib.RoutedCopies != 0 || drop.Calib.MoEExpertMicrobatches != 0 {
		t.Errorf("token drop counts %v layer·micro-batches, %v routed copies, %v local experts; want 0",
			drop.Calib.MoELayerMicrobatches, drop.Calib.RoutedCopies, drop.Calib.MoEExpertMicrobatches)
	}
	if drop.LatencyS != compiled.LatencyS {
		t.Errorf("token drop on megatron-core %.9g s, compiled %.9g s: want equal", drop.LatencyS, compiled.LatencyS)
	}
	want := v * dropless.Calib.MoELayerMicrobatches
	if got := dropless.LatencyS - drop.LatencyS; math.Abs(got-want) > 1e-9*dropless.LatencyS {
		t.Errorf("dropless − token drop = %.9g s, want %.9g s", got, want)
	}
}

// Under the HybridEP flex dispatcher (moe_hybridep) the megatron-core step
// exceeds the compiled one by exactly MoELayerMicrobatchHybridEPS × the
// layer·micro-batches, which are the dropless alltoall run's (the same
// layers and micro-batches, the same bubble); the alltoall step exceeds
// it by the difference of the two values × that count; with token drop
// it is the compiled step.
func TestMoEHybridEP(t *testing.T) {
	h, a := calibration.MoELayerMicrobatchHybridEPS(calibration.MegatronCore), calibration.MoELayerMicrobatchS(calibration.MegatronCore)
	step := func(sw calibration.Software, hybridep, drop bool) Result {
		c := distCfg(t, "Qwen3_30B_A3B", "Lab_64_H100", func(c *Config) {
			c.Fidelity, c.Precision, c.Calib.Software = FidelityCalibrated, registry.BF16, sw
			c.BatchSize, c.SeqLen, c.ZeroStage = 512, 4096, 1
			c.Dist.GPUs, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 64, 4, 8, 8
			c.Dist.MoEHybridEP, c.Dist.MoETokenDrop = hybridep, drop
		})
		return Evaluate(&c)
	}
	hyb, sync, co := step(calibration.MegatronCore, true, false), step(calibration.MegatronCore, false, false), step(calibration.Compiled, false, false)
	n := hyb.Calib.MoELayerMicrobatches
	if hyb.Dist.Reason != DistOK || !(n > 0) || n != sync.Calib.MoELayerMicrobatches {
		t.Fatalf("%q: HybridEP layer·micro-batches %v, alltoall %v", hyb.Dist.Reason, n, sync.Calib.MoELayerMicrobatches)
	}
	if got := hyb.LatencyS - co.LatencyS; math.Abs(got-h*n) > 1e-9*hyb.LatencyS {
		t.Errorf("HybridEP − compiled = %.9g s, want %.9g s", got, h*n)
	}
	if got := sync.LatencyS - hyb.LatencyS; math.Abs(got-(a-h)*n) > 1e-9*sync.LatencyS {
		t.Errorf("alltoall − HybridEP = %.9g s, want %.9g s", got, (a-h)*n)
	}
	if d := step(calibration.MegatronCore, true, true); math.Abs(d.LatencyS-co.LatencyS) > 1e-12*co.LatencyS {
		t.Errorf("HybridEP with token drop: %.9g s, want the compiled %.9g s", d.LatencyS, co.LatencyS)
	}
}
