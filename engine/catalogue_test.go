package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// G16 (test_solver_suite, values.json): ScalingModel.
func TestChinchillaG16(t *testing.T) {
	for _, tc := range []struct{ C, P float64 }{{1.2e20, 1e9}, {5.88e23, 70.0e9}, {1e24, 91.287e9}, {4e24, 182.574e9}} {
		P, D := Chinchilla(tc.C, 0)
		if !withinRel(P, tc.P, 1e-5) || !withinRel(D/P, 20, 1e-12) || !withinRel(6*P*D, tc.C, 1e-12) {
			t.Errorf("C %g: P %g D %g, want P %g, D/P 20, 6PD = C", tc.C, P, D, tc.P)
		}
	}
	if _, D := Chinchilla(1.2e20, 1e9); !withinRel(D, 2e10, 1e-12) {
		t.Errorf("pinned P 1e9: D %g, want 2e10", D)
	}
	// B.5: a bigger budget gives a bigger P*.
	if a, _ := Chinchilla(1e22, 0); a <= 1e9 {
		t.Error("monotone in C")
	}
}

// G14 (values.json): Sensitivity of Llama3_8B on A100 and Llama3_70B on B200.
func TestSensitivityG14(t *testing.T) {
	for _, tc := range []struct {
		model, hw string
		bw        float64
	}{{"Llama3_8B", "A100", -0.08752489568269575}, {"Llama3_70B", "B200", -0.08727686297779758}} {
		s := SensitivityOf(cfg(t, tc.model, tc.hw, nil), 10)
		if !withinRel(s.MemoryBandwidth, tc.bw, 1e-9) || s.PeakFLOPS != 0 || s.Binding != "memory_bandwidth" {
			t.Errorf("%s/%s: bw %.17g peak %v binding %s (G14)", tc.model, tc.hw, s.MemoryBandwidth, s.PeakFLOPS, s.Binding)
		}
	}
	// B.5: Llama-3 70B fp16 on one H100 is infeasible and binds on capacity.
	if s := SensitivityOf(cfg(t, "Llama3_70B", "H100", nil), 10); s.Feasible || s.Binding != "memory_capacity" {
		t.Errorf("70B/H100: feasible %v binding %s", s.Feasible, s.Binding)
	}
}

// G15 (values.json): SynthesisSolver.
func TestSynthesisG15(t *testing.T) {
	reg := registry.Default()
	m70, _ := reg.Model("Llama3_70B")
	m8, _ := reg.Model("Llama3_8B")
	s := Synthesize(m70, registry.FP16, 0.050, 0.5)
	if !withinRel(s.BandwidthBps, 2824e9, 1e-12) || !withinRel(s.MemoryBytes, 141.2e9, 1e-12) {
		t.Errorf("70B @ 50 ms: %v B/s, %v B (G15)", s.BandwidthBps, s.MemoryBytes)
	}
	s = Synthesize(m8, registry.FP16, 0.030, 0.5)
	if !withinRel(s.BandwidthBps, 535.33e9, 1e-5) || !withinRel(s.FLOPS, 1.0707e12, 1e-4) {
		t.Errorf("8B @ 30 ms: %v B/s, %v FLOP/s (G15)", s.BandwidthBps, s.FLOPS)
	}
	// B.5: a tighter target needs more bandwidth.
	if Synthesize(m8, registry.FP16, 0.010, 0.5).BandwidthBps <= s.BandwidthBps {
		t.Error("tighter SLA must need more bandwidth")
	}
}

// G34 (values.json, test_solver_suite): DataModel and TransformationModel.
func TestDataAndTransformationG34(t *testing.T) {
	reg := registry.Default()
	hw := func(k string) *registry.Hardware { h, _ := reg.Hardware(k); return h }
	if u, _, stalled, _ := DataSupply(40000*150e3, hw("A100")); stalled || u >= 1 {
		t.Errorf("40,000 img/s × 150 KB on A100: util %v stalled %v", u, stalled)
	}
	if u, _, stalled, _ := DataSupply(100e9, hw("H100")); !stalled || u <= 1 {
		t.Error("100 GB/s on H100 must stall")
	}
	if _, _, _, b := DataSupply(1e9, hw("A100")); b != "Interconnect" {
		t.Errorf("A100 bottleneck %q, want Interconnect", b)
	}
	if _, s, stalled, b := DataSupply(1e9, hw("JetsonOrinNX")); b != "Unknown" || s != 0 || !stalled {
		t.Errorf("JetsonOrinNX: %q supply %v stalled %v", b, s, stalled)
	}
	u, _, bottleneck := Transformation(2048, 150e3, 16*850*150e3, 0.048)
	if !bottleneck || !withinRel(u, 0.31875, 1e-12) {
		t.Errorf("transformation util %v bottleneck %v, want 0.31875 true", u, bottleneck)
	}
}

// G24 (test_solver_suite, values.json): OrchestrationModel.
func TestOrchestrationG24(t *testing.T) {
	if ρ, _, _, ok := Orchestration(0.3, 2); !withinRel(ρ, 0.6, 1e-12) || !ok {
		t.Error("ρ = 0.3 × 2 = 0.6")
	}
	if _, w, _, ok := Orchestration(1, 2); ok || !math.IsInf(w, 1) {
		t.Error("λ 1, dur 2 must be unstable")
	}
	_, w9, q9, _ := Orchestration(0.9, 1)
	_, w5, q5, _ := Orchestration(0.5, 1)
	if !withinRel(w9/w5, 9, 1e-12) || !withinRel(q9/q5, 16.2, 1e-12) {
		t.Errorf("wait ratio %v (9), queue ratio %v (16.2)", w9/w5, q9/q5)
	}
}

// G33 (values.json): WeightStreamingModel, a custom 180B model on CS-3.
func TestWeightStreamingG33(t *testing.T) {
	reg := registry.Default()
	cs3, _ := reg.Hardware("Cerebras_CS3")
	m := &registry.Model{Key: "Custom_180B", Class: registry.ClassTransformer, Parameters: 180e9, Layers: 80, HiddenDim: 14848, Heads: 232, KVHeads: 8}
	w := StreamWeights(m, cs3, registry.FP16, 2048, 1, 0.4, false)
	if !withinRel(w.TokensPerS, 3.3333333, 1e-6) || w.Bottleneck != "Interconnect-Bandwidth-Bound" || w.OptimalBatch != 41666 {
		t.Errorf("bs 1: %v tok/s %s optimal %d (G33)", w.TokensPerS, w.Bottleneck, w.OptimalBatch)
	}
	if w := StreamWeights(m, cs3, registry.FP16, 2048, 41666, 0.4, false); w.Feasible || !withinRel(w.WaferUtilization, 325.5, 1e-3) {
		t.Errorf("bs 41666: feasible %v util %v (G33: infeasible, 325.5)", w.Feasible, w.WaferUtilization)
	}
	if w := StreamWeights(m, cs3, registry.FP16, 2048, 127, 0.4, false); !w.Feasible || !withinRel(w.TokensPerS, 423.33, 1e-4) {
		t.Errorf("bs 127: feasible %v %v tok/s (G33: 423.33)", w.Feasible, w.TokensPerS)
	}
	// bs 128 sits exactly on the boundary (1.1·KV = 44 GiB to the byte); mlsysim's
	// unit arithmetic rounds it out, so it is not pinned here.
}

// G31 (values.json): InferenceScalingModel, Llama3_70B on B200, context 2048.
func TestInferenceScalingG31(t *testing.T) {
	c := cfg(t, "Llama3_70B", "B200", nil)
	total8, e8, tok, ok := InferenceScaling(c, 8, 2048)
	total1, _, _, _ := InferenceScaling(c, 1, 2048)
	if !withinRel(total8, 7.680382624246898, 1e-9) || !withinRel(total1, 1.1935224962468978, 1e-9) || tok != 400 || !ok {
		t.Errorf("K 8: %v s, K 1: %v s, tokens %d (G31)", total8, total1, tok)
	}
	if !withinRel(total8/total1, 6.435, 1e-3) || !withinRel(e8, c.Hardware.TDPW*total8, 1e-12) {
		t.Error("latency ratio 6.435 and energy = TDP × total (G31)")
	}
}

// G21 (test_solver_suite, values.json): CompressionModel, newest semantics
// with baseline_precision.
func TestCompressionG21(t *testing.T) {
	reg := registry.Default()
	m8, _ := reg.Model("Llama3_8B")
	m70, _ := reg.Model("Llama3_70B")
	r50, _ := reg.Model("ResNet50")
	h100, _ := reg.Hardware("H100")
	a100, _ := reg.Hardware("A100")
	c := CompressModel(m8, h100, Quantize, 4, 0, registry.FP16)
	if c.Ratio != 4 || c.SavingsPct != 75 || !withinRel(c.OriginalBytes, 16.06e9, 1e-12) || c.Speedup != 4 {
		t.Errorf("INT4 vs fp16: %+v", c)
	}
	if c := CompressModel(m8, h100, Quantize, 4, 0, registry.FP32); c.Ratio != 8 {
		t.Errorf("INT4 vs fp32 ratio %v, want 8", c.Ratio)
	}
	if c := CompressModel(r50, a100, Quantize, 8, 0, registry.FP16); c.Ratio != 2 {
		t.Errorf("ResNet50 INT8 vs fp16 ratio %v", c.Ratio)
	}
	for bits, want := range map[int]float64{16: 2, 8: 4, 4: 8} {
		if c := CompressModel(m8, h100, Quantize, bits, 0, registry.FP32); c.Ratio != want {
			t.Errorf("%d bits vs fp32: %v, want %v", bits, c.Ratio, want)
		}
	}
	if c := CompressModel(m8, h100, Quantize, 8, 0, registry.FP32); c.SavingsPct != 75 {
		t.Errorf("INT8 vs fp32 savings %v", c.SavingsPct)
	}
	if c := CompressModel(m8, h100, Quantize, 8, 0, registry.FP16); c.SavingsPct != 50 {
		t.Errorf("INT8 vs fp16 savings %v", c.SavingsPct)
	}
	if c := CompressModel(m8, h100, PruneUnstructured, 0, 1, registry.FP32); c.Ratio != 100 {
		t.Errorf("sparsity 1 ratio %v, want 100", c.Ratio)
	}
	if c := CompressModel(r50, h100, PruneUnstructured, 0, 0.5, registry.FP32); c.Speedup != 1 {
		t.Error("unstructured pruning gives no speedup")
	}
	if c := CompressModel(r50, h100, PruneStructured, 0, 0.5, registry.FP32); c.Speedup <= 1 {
		t.Error("structured pruning must speed up")
	}
	if c := CompressModel(m70, h100, Quantize, 4, 0, registry.FP32); c.Ratio != 8 || c.Speedup != 8 || c.SavingsPct != 87.5 {
		t.Errorf("70B INT4 vs fp32: %+v", c)
	}
}

// RankParallelism orders GPT-3 layouts on Production_2K as
// ParallelismOptimizer does: every candidate passes the screen, the ranking
// is by scaling efficiency × η, and each candidate's numbers are what a
// sweep point with the same tp, pp and overlap 0.85 evaluates to.
func TestRankParallelism(t *testing.T) {
	c := distCfg(t, "GPT3", "Production_2K", func(c *Config) {
		c.BatchSize, c.Efficiency, c.Recompute, c.Dist.Microbatches, c.Dist.Semantics = 2048, 0.45, RecomputeFull, 8, DistNewest
	})
	ranked := RankParallelism(c, 0, 0)
	if len(ranked) == 0 {
		t.Fatal("no candidates")
	}
	for i, k := range ranked {
		if i > 0 && k.MFU > ranked[i-1].MFU {
			t.Errorf("rank %d out of order", i)
		}
		if 4*175e9/float64(k.TP*k.PP) > 0.9*c.Hardware.MemCapacityBytes || k.TP > 8 || k.TP*k.PP*k.DP != 2048 {
			t.Errorf("candidate tp %d pp %d violates the screen", k.TP, k.PP)
		}
		cc := c
		cc.Dist.TP, cc.Dist.PP, cc.Dist.Overlap = k.TP, k.PP, 0.85
		r := Evaluate(&cc)
		if !withinRel(r.Dist.ScalingEfficiency*0.45, k.MFU, 1e-15) || r.LatencyS != k.StepS {
			t.Errorf("tp %d pp %d: sweep point differs from the ranking", k.TP, k.PP)
		}
	}
	if b := ranked[0]; b.TP*b.PP < 4 {
		t.Errorf("best GPT-3 layout tp %d pp %d: 175B cannot fit below tp·pp = 4", b.TP, b.PP)
	}
}
