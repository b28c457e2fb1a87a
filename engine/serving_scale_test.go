package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

func serve(t testing.TB, model, hw string, f func(*Config)) Result {
	t.Helper()
	c := cfg(t, model, hw, func(c *Config) {
		c.Mode = Serving
		if f != nil {
			f(c)
		}
	})
	return Evaluate(&c)
}

// G17 (test_solver_suite, values.json): ContinuousBatchingModel, newest
// semantics (max_seq_len and mean_request_tokens; the reference's inferred
// capped-exponential formulas reproduce every pinned value).
func TestContinuousBatchingG17(t *testing.T) {
	r := serve(t, "Llama3_8B", "H100", func(c *Config) {
		c.BatchSize, c.Serve.MaxSeqLen, c.Serve.MeanTokens = 4096, 8192, 2048
	})
	s := r.Serve
	if s.StaticCapacity != 65 || s.PagedCapacity != 259 {
		t.Errorf("static %d paged %d, want 65 and 259 (G17)", s.StaticCapacity, s.PagedCapacity)
	}
	for _, tc := range []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"fragmentation", s.Fragmentation, 0.0038190447591995857, 1e-6},
		{"static fragmentation", s.StaticFragmentation, 0.75, 1e-12},
		{"paged tokens/s", s.PagedTokensPerS, 10137.900, 1e-6},
		{"static tokens/s", s.StaticTokensPerS, 6498.389, 1e-6},
		{"speedup", s.BatchingSpeedup, 1.560063615732676, 1e-6},
	} {
		if !withinRel(tc.got, tc.want, tc.tol) {
			t.Errorf("%s = %.12g, want %.12g (G17)", tc.name, tc.got, tc.want)
		}
	}
	// Page 2048 → 165 users, fragmentation 0.3626, 9,158.79 tok/s, speedup 1.4094 (values.json, printed).
	r = serve(t, "Llama3_8B", "H100", func(c *Config) {
		c.BatchSize, c.Serve.MaxSeqLen, c.Serve.MeanTokens, c.Serve.PageSize = 4096, 8192, 2048, 2048
	})
	if s := r.Serve; s.PagedCapacity != 165 || !withinRel(s.Fragmentation, 0.3626, 1e-3) ||
		!withinRel(s.PagedTokensPerS, 9158.79, 1e-6) || !withinRel(s.BatchingSpeedup, 1.4094, 1e-4) {
		t.Errorf("page 2048: paged %d frag %v tok/s %v speedup %v (G17)", s.PagedCapacity, s.Fragmentation, s.PagedTokensPerS, s.BatchingSpeedup)
	}
}

// G18 (test_solver_suite): continuous batching edge cases and B.5 bounds.
func TestContinuousBatchingG18(t *testing.T) {
	r := serve(t, "Llama3_8B", "H100", func(c *Config) { c.BatchSize, c.Serve.MaxSeqLen, c.Serve.MeanTokens = 16, 8192, 2048 })
	if r.Serve.PagedCapacity != 16 || r.Serve.StaticCapacity != 16 || r.Serve.BatchingSpeedup != 1 {
		t.Errorf("max batch 16: %d %d %v", r.Serve.PagedCapacity, r.Serve.StaticCapacity, r.Serve.BatchingSpeedup)
	}
	for _, p := range []int{16, 64, 2048} {
		r := serve(t, "Llama3_8B", "H100", func(c *Config) { c.BatchSize, c.Serve.MaxSeqLen, c.Serve.PageSize = 4096, 4096, p })
		if s := r.Serve; s.PagedCapacity != s.StaticCapacity || s.Fragmentation != 0 || s.BatchingSpeedup != 1 {
			t.Errorf("no mean, page %d: paged %d static %d frag %v speedup %v", p, s.PagedCapacity, s.StaticCapacity, s.Fragmentation, s.BatchingSpeedup)
		}
	}
	var frag [3]float64
	var capa [3]int
	for i, p := range []int{16, 64, 2048} {
		r := serve(t, "Llama3_8B", "H100", func(c *Config) {
			c.BatchSize, c.Serve.MaxSeqLen, c.Serve.MeanTokens, c.Serve.PageSize = 4096, 4096, 1024, p
		})
		frag[i], capa[i] = r.Serve.Fragmentation, r.Serve.PagedCapacity
		if f := r.Serve.Fragmentation; f < 0 || f >= 1 {
			t.Errorf("fragmentation %v outside [0, 1)", f)
		}
		if r.Serve.PagedCapacity < r.Serve.StaticCapacity || r.Serve.BatchingSpeedup < 1 {
			t.Error("paged must hold at least static and speed up decode when memory binds")
		}
	}
	if !(frag[0] < frag[1] && frag[1] < frag[2]) || !(capa[0] >= capa[1] && capa[1] > capa[2]) {
		t.Errorf("smaller pages: frag %v, capacity %v", frag, capa)
	}
	r = serve(t, "GPT3", "T4", func(c *Config) { c.BatchSize, c.Serve.MaxSeqLen = 32, 2048 })
	if r.Feasible || r.Serve.PagedTokensPerS != 0 || r.Serve.StaticCapacity != 0 {
		t.Error("GPT-3 on T4 must be infeasible with no capacity (G18)")
	}
}

// The serving options at their defaults leave the core ServingModel numbers
// (G4) as they are; the extended path with neutral options gives the same.
func TestServingOptionsNeutral(t *testing.T) {
	base := serve(t, "Llama3_8B", "H100", nil)
	neutral := serve(t, "Llama3_8B", "H100", func(c *Config) { c.Serve.KVPrecSet, c.Serve.KVPrecision = true, registry.FP16 })
	for name, p := range map[string][2]float64{"ttft": {base.TTFTS, neutral.TTFTS}, "itl": {base.ITLS, neutral.ITLS},
		"memory": {base.MemoryBytes, neutral.MemoryBytes}, "latency": {base.LatencyS, neutral.LatencyS}, "energy": {base.EnergyJ, neutral.EnergyJ}} {
		if !withinRel(p[1], p[0], 1e-12) {
			t.Errorf("%s: extended %v ≠ core %v", name, p[1], p[0])
		}
	}
	if !withinRel(base.TTFTS, 70.97037058756726e-3, 1e-9) || base.Serve.PrefillChunks != 1 || base.Serve.DecodeStallS != 0 {
		t.Errorf("G4/G20 defaults: ttft %v chunks %d stall %v", base.TTFTS, base.Serve.PrefillChunks, base.Serve.DecodeStallS)
	}
	if !withinRel(base.Serve.MemoryUtilization, 0.1900880068540573, 1e-9) {
		t.Errorf("memory utilisation %v, want 0.1900880068540573 (G4)", base.Serve.MemoryUtilization)
	}
}

// G20 (test_solver_suite): chunked prefill.
func TestChunkedPrefillG20(t *testing.T) {
	whole := serve(t, "Llama3_8B", "H100", func(c *Config) { c.SeqLen = 4096 })
	r := serve(t, "Llama3_8B", "H100", func(c *Config) { c.SeqLen, c.Serve.ChunkSize = 4096, 512 })
	if r.Serve.PrefillChunks != 8 || !(r.Serve.DecodeStallS < whole.TTFTS) || r.TTFTS < whole.TTFTS {
		t.Errorf("seq 4096 chunk 512: chunks %d stall %v ttft %v (unchunked %v)", r.Serve.PrefillChunks, r.Serve.DecodeStallS, r.TTFTS, whole.TTFTS)
	}
	r = serve(t, "Llama3_8B", "H100", func(c *Config) { c.SeqLen, c.Serve.ChunkSize = 4097, 512 })
	if r.Serve.PrefillChunks != 9 || !(r.Serve.DecodeStallS > r.TTFTS/9) {
		t.Errorf("seq 4097: chunks %d, slowest chunk %v vs average %v", r.Serve.PrefillChunks, r.Serve.DecodeStallS, r.TTFTS/9)
	}
}

// G32 (values.json): speculative decoding, Llama3_70B on B200, draft
// Llama3_8B at acceptance 0.75: ITL 18.53388608 ms → 8.751235051021768 ms.
func TestSpeculativeG32(t *testing.T) {
	reg := registry.Default()
	draft, _ := reg.Model("Llama3_8B")
	plain := serve(t, "Llama3_70B", "B200", nil)
	spec := serve(t, "Llama3_70B", "B200", func(c *Config) { c.Serve.Draft, c.Serve.Acceptance = draft, 0.75 })
	if !withinRel(plain.ITLS, 18.53388608e-3, 1e-9) || !withinRel(spec.ITLS, 8.751235051021768e-3, 1e-9) {
		t.Errorf("ITL %v → %v, want 18.53388608 ms → 8.751235051021768 ms (G32)", plain.ITLS, spec.ITLS)
	}
	if !withinRel(spec.Serve.SpeculativeSpeedup, plain.ITLS/spec.ITLS, 1e-12) {
		t.Error("speculative_speedup ≠ ITL ratio")
	}
}

// Prefix caching, disaggregation, KV precision and tensor parallelism move
// the numbers the right way.
func TestServingOptions(t *testing.T) {
	base := serve(t, "Llama3_8B", "H100", nil)
	cached := serve(t, "Llama3_8B", "H100", func(c *Config) { c.Serve.CachedLen = 1024 })
	if cached.TTFTS >= base.TTFTS || cached.Serve.PromptCacheHitRatio != 0.5 || cached.KVCacheBytes != base.KVCacheBytes {
		t.Error("a prefix cache must cut TTFT and keep the full KV cache")
	}
	reg := registry.Default()
	h200, _ := reg.Hardware("H200")
	dis := serve(t, "Llama3_8B", "H100", func(c *Config) { c.Serve.DecodeHW = h200 })
	if !withinRel(dis.TTFTS, base.TTFTS+base.KVCacheBytes/DefaultNetworkBps, 1e-12) || dis.ITLS >= base.ITLS {
		t.Error("disaggregation: TTFT + KV/network, ITL on the decode hardware")
	}
	fp8 := serve(t, "Llama3_8B", "H100", func(c *Config) { c.Serve.KVPrecSet, c.Serve.KVPrecision = true, registry.FP8 })
	if !withinRel(fp8.KVCacheBytes, base.KVCacheBytes/2, 1e-12) || fp8.ITLS >= base.ITLS {
		t.Error("fp8 KV must halve the cache")
	}
	one70 := serve(t, "Llama3_70B", "H100", nil)
	tp2 := serve(t, "Llama3_70B", "H100", func(c *Config) { c.Dist.TP = 2 })
	if one70.Feasible || !tp2.Feasible || tp2.ITLS >= one70.ITLS || tp2.Serve.GPUs != 2 {
		t.Errorf("Llama3_70B: 1 GPU feasible %v, tp 2 feasible %v", one70.Feasible, tp2.Feasible)
	}
}

// G25 (test_solver_suite): TailLatencyModel ρ = λ/(c·1000/svc_ms).
func TestTailLatencyG25(t *testing.T) {
	prev := math.Inf(1)
	for i, c := range []int{1, 2, 4, 8, 16} {
		ρ, p50, p99, stable := TailLatency(50, 0.010, c, 1)
		if want := []float64{0.5, 0.25, 0.125, 0.0625, 0.03125}[i]; !withinRel(ρ, want, 1e-12) || !stable {
			t.Errorf("c=%d: ρ %v, want %v", c, ρ, want)
		}
		if p99 < p50 || p99 > prev {
			t.Errorf("c=%d: p50 %v p99 %v (previous p99 %v)", c, p50, p99, prev)
		}
		prev = p99
	}
	if ρ, _, p99, stable := TailLatency(150, 0.010, 1, 1); stable || ρ < 1 || !math.IsInf(p99, 1) {
		t.Error("λ 150, c 1 must be unstable")
	}
	// Erlang C against the textbook closed form for c = 2: P_wait = 2ρ²/(1+ρ).
	_, _, p99 := MMcWait(100, 100, 2)
	ρ := 0.5
	pw := 2 * ρ * ρ / (1 + ρ)
	if want := -math.Log(0.01/pw) / (2 * 100 * (1 - ρ)); !withinRel(p99, want, 1e-12) {
		t.Errorf("M/M/2 p99 wait %v, want %v", p99, want)
	}
	// Kingman: cv 0 halves the waits.
	_, _, a, _ := TailLatency(50, 0.010, 1, 1)
	_, _, b, _ := TailLatency(50, 0.010, 1, math.SmallestNonzeroFloat64)
	if !withinRel(b-0.010, (a-0.010)/2, 1e-12) {
		t.Error("cv → 0 must halve the queue wait")
	}
}

// G19 (test_solver_suite): ServingCapacityModel, Llama3_8B on H100, qps 1,
// P99 target 600 s, max_seq 8192, output 256, max batch 4096, max replicas 8.
func TestServingCapacityG19(t *testing.T) {
	plan := func(model string, mean int) Result {
		return serve(t, model, "H100", func(c *Config) {
			c.BatchSize, c.OutputTokens = 4096, 256
			c.Serve.MaxSeqLen, c.Serve.MeanTokens, c.Serve.QPS, c.Serve.P99TargetS, c.Serve.MaxReplicas = 8192, mean, 1, 600, 8
		})
	}
	fixed, mean := plan("Llama3_8B", 0), plan("Llama3_8B", 2048)
	if fixed.Serve.PagedCapacity != 65 || mean.Serve.PagedCapacity != 259 {
		t.Errorf("active batch %d / %d, want 65 / 259 (G19)", fixed.Serve.PagedCapacity, mean.Serve.PagedCapacity)
	}
	if mean.Serve.PerReplicaQPS <= fixed.Serve.PerReplicaQPS || mean.Serve.CapacityBound == "Memory" || !mean.Serve.SLAMet {
		t.Errorf("per-replica qps %v vs %v, bound %q", mean.Serve.PerReplicaQPS, fixed.Serve.PerReplicaQPS, mean.Serve.CapacityBound)
	}
	if g := plan("GPT3", 0); g.Serve.CapacityBound != "Memory" || g.Serve.SLAMet {
		t.Errorf("GPT-3 on H100: bound %q, want Memory (G19)", g.Serve.CapacityBound)
	}
	// B.5: required replicas non-decreasing in QPS; p99 > p50.
	prev := 0
	for _, q := range []float64{0.1, 1, 5, 20, 60} {
		r := serve(t, "Llama3_8B", "H100", func(c *Config) {
			c.BatchSize, c.OutputTokens, c.Serve.QPS, c.Serve.P99TargetS = 256, 128, q, 30
		})
		if r.Serve.Replicas < prev || r.Serve.P99S < r.Serve.P50S {
			t.Errorf("qps %v: replicas %d (previous %d), p50 %v p99 %v", q, r.Serve.Replicas, prev, r.Serve.P50S, r.Serve.P99S)
		}
		prev = r.Serve.Replicas
	}
}

func BenchmarkEvaluateServingScale(b *testing.B) {
	c := cfg(b, "Llama3_8B", "H100", func(c *Config) {
		c.Mode, c.BatchSize, c.OutputTokens = Serving, 256, 128
		c.Serve.MaxSeqLen, c.Serve.MeanTokens, c.Serve.QPS, c.Serve.P99TargetS = 8192, 2048, 20, 30
	})
	b.ReportAllocs()
	for b.Loop() {
		_ = Evaluate(&c)
	}
}

// serveCal is serve under the calibrated fidelity.
func serveCal(t testing.TB, model, hw string, f func(*Config)) Result {
	t.Helper()
	return serve(t, model, hw, func(c *Config) {
		c.Fidelity = FidelityCalibrated
		c.ResolveProfile()
		if f != nil {
			f(c)
		}
	})
}

// A request's time to first token under continuous batching is its own
// prefill plus the prefills admitted ahead of it, not the batch's prefill
// in one step: Llama3_8B on an H100, a batch of 256 prompts of 2,048 tokens,
// took 14.7 s to its first token.
func TestRequestTTFT(t *testing.T) {
	at := func(batch, out, chunk int) Result {
		return serveCal(t, "Llama3_8B", "H100", func(c *Config) {
			c.BatchSize, c.SeqLen, c.OutputTokens, c.Serve.ChunkSize = batch, 2048, out, chunk
		})
	}
	alone := at(1, 256, 0)
	if alone.TTFTS != alone.Serve.PrefillS {
		t.Errorf("a request alone: TTFT %v, its prefill %v", alone.TTFTS, alone.Serve.PrefillS)
	}
	for _, tc := range []struct {
		out   int
		ahead float64 // (k − 1)/2, k = 256/out
	}{{256, 0}, {128, 0.5}, {1, 127.5}} {
		r := at(256, tc.out, 0)
		if r.Serve.PrefillS < 14 || r.Serve.PrefillS > 15.5 {
			t.Errorf("out %d: the batch's prefill %v s, want about 14.7 s", tc.out, r.Serve.PrefillS)
		}
		want := math.Min((1+tc.ahead)*alone.TTFTS, r.Serve.PrefillS)
		if !withinRel(r.TTFTS, want, 1e-12) {
			t.Errorf("out %d: TTFT %v, want (1 + %v)·%v = %v", tc.out, r.TTFTS, tc.ahead, alone.TTFTS, want)
		}
		if !withinRel(r.LatencyS, r.TTFTS+float64(tc.out-1)*(r.Serve.DecodeS/math.Max(float64(tc.out-1), 1)), 1e-9) {
			t.Errorf("out %d: latency %v is not TTFT + decode %v", tc.out, r.LatencyS, r.Serve.DecodeS)
		}
		if !withinRel(r.ThroughputPerS, 256/(r.Serve.PrefillS+r.Serve.DecodeS), 1e-12) {
			t.Errorf("out %d: throughput %v is not the batch over its cycle", tc.out, r.ThroughputPerS)
		}
	}
	// Chunked: each of its chunks rides a mixed step beside the batch's decode.
	ch := at(256, 256, 512)
	one := at(1, 256, 512)
	if want := one.TTFTS + 4*ch.ITLS; !withinRel(ch.TTFTS, want, 1e-12) {
		t.Errorf("chunked: TTFT %v, want its 4 chunks %v + 4 decode steps %v = %v", ch.TTFTS, one.TTFTS, ch.ITLS, want)
	}
}

// Replica sizing counts the prefill of each request beside its decode steps.
func TestCapacityCountsPrefill(t *testing.T) {
	r := serveCal(t, "Llama3_8B", "H100", func(c *Config) {
		c.BatchSize, c.SeqLen, c.OutputTokens = 256, 2048, 256
		c.Serve.MaxSeqLen, c.Serve.MeanTokens, c.Serve.QPS, c.Serve.P99TargetS = 8192, 2048, 50, 30
	})
	n := r.Serve.PagedCapacity
	sub := serveCal(t, "Llama3_8B", "H100", func(c *Config) {
		c.BatchSize, c.SeqLen, c.OutputTokens = n, 2048, 256
	})
	decodeOnly := r.Serve.PagedTokensPerS / 256
	want := float64(n) / (sub.Serve.PrefillS + 256*float64(n)/r.Serve.PagedTokensPerS)
	if !withinRel(r.Serve.PerReplicaQPS, want, 1e-12) || !(r.Serve.PerReplicaQPS < decodeOnly) {
		t.Errorf("per-replica qps %v, want %v (decode alone %v)", r.Serve.PerReplicaQPS, want, decodeOnly)
	}
	if need := int(math.Ceil(50 / r.Serve.PerReplicaQPS)); r.Serve.Replicas < need {
		t.Errorf("%d replicas for 50 qps at %v each", r.Serve.Replicas, r.Serve.PerReplicaQPS)
	}
}

// cost_per_mtok_usd prices the whole request cycle, and input and output
// tokens apart: the two shares add up to the total.
func TestServingCostPerToken(t *testing.T) {
	r := serveCal(t, "Llama3_8B", "H100", func(c *Config) {
		c.BatchSize, c.SeqLen, c.OutputTokens, c.Fleet.DurationDays = 64, 2048, 256, 1
	})
	f := r.Fleet
	if !(f.CostPerMTokInputUSD > 0 && f.CostPerMTokOutputUSD > 0) {
		t.Fatalf("input %v output %v", f.CostPerMTokInputUSD, f.CostPerMTokOutputUSD)
	}
	if sum := f.CostPerMTokInputUSD*2048 + f.CostPerMTokOutputUSD*256; !withinRel(f.CostPerMTokUSD*256, sum, 1e-12) {
		t.Errorf("cost per output Mtok %v × 256 ≠ input %v × 2048 + output %v × 256", f.CostPerMTokUSD, f.CostPerMTokInputUSD, f.CostPerMTokOutputUSD)
	}
	decodeOnly := f.TCOUSD / (r.TokensPerS * 86400) * 1e6
	if !(f.CostPerMTokUSD > decodeOnly) {
		t.Errorf("cost %v is not above the decode-only %v", f.CostPerMTokUSD, decodeOnly)
	}
	bad := serveCal(t, "Llama3_70B", "T4", func(c *Config) { c.Fleet.DurationDays = 1 })
	if bad.Feasible || bad.Fleet.CostPerMTokUSD != 0 || bad.Fleet.CostPerMTokInputUSD != 0 || bad.Fleet.CostPerMTokOutputUSD != 0 {
		t.Errorf("infeasible row: feasible %v costs %v / %v / %v", bad.Feasible, bad.Fleet.CostPerMTokUSD, bad.Fleet.CostPerMTokInputUSD, bad.Fleet.CostPerMTokOutputUSD)
	}
}
