package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// distCfg builds a distributed training configuration on a registry cluster.
func distCfg(t testing.TB, model, system string, mutate func(*Config)) Config {
	t.Helper()
	reg := registry.Default()
	cl, err := reg.Cluster(system)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg(t, model, cl.Node.Accelerator.Key, func(c *Config) {
		c.Mode = Training
		c.Dist.System = cl
		if mutate != nil {
			mutate(c)
		}
	})
	return c
}

// g5 is the configuration of golden G5: DistributedModel(Llama3_8B,
// Research_256, B 1024, S 2048, fp16, η 0.45, tp 8, pp 4, m 16, ZeRO 1).
func g5(c *Config) {
	c.BatchSize, c.SeqLen, c.Efficiency, c.ZeroStage = 1024, 2048, 0.45, 1
	c.Dist.TP, c.Dist.PP, c.Dist.Microbatches = 8, 4, 16
}

// TestDistributedG5 pins golden G5 (mlsysim-validation-and-tests.md §B.4,
// tests/test_golden_regressions.py @0e4b2e5f). Which semantics: the "dev"
// numbers of that file, which are the intermediate version of mlsysim's
// DistributedModel — unsharded replica on the Engine's 64 GB/s offload path
// (node latency 3463.9075 ms from 221.628 GB of traffic), 450 GB/s
// per-direction NVLink, 4 TP all-reduces per layer over all 32 layers, DP ring
// over NVLink because dp = 8 ≤ 8 GPUs per node, bubble = node × 3/19. The
// newest suite changes TP to ⌈L/pp⌉ layers and the bubble to b/(1−b) without
// published numbers, so G5 is reachable only through DistGolden, which is
// what fidelity=mlsysim selects under dist_semantics=auto (the fidelity that
// promises mlsysim's published numbers).
func TestDistributedG5(t *testing.T) {
	ms := 1e-3
	for _, sem := range []DistSemantics{DistAuto, DistGolden} {
		c := distCfg(t, "Llama3_8B", "Research_256", func(c *Config) { g5(c); c.Dist.Semantics = sem })
		r := Evaluate(&c)
		want := map[string]float64{
			"step_time_s":        5088.519845717895 * ms,
			"comm_s":             1077.67958256 * ms,
			"comm_dp_s":          7.813944444444444 * ms,
			"comm_tp_s":          1069.8656381155556 * ms,
			"bubble_s":           546.9327631578948 * ms,
			"throughput_per_s":   6439.59363302376,
			"scaling_efficiency": 0.6807298792231218,
			"bubble_fraction":    0.15789473684210525,
			"dp_ranks":           8,
			"replica_s":          3463.9075 * ms,
		}
		for name, w := range want {
			if got := LookupOutput(name).Float(&r); !withinRel(got, w, 1e-9) {
				t.Errorf("%s: %s = %.15g, want %.15g (G5, golden_regressions @0e4b2e5f)", sem, name, got, w)
			}
		}
		if !r.Feasible {
			t.Errorf("%s: G5 layout is feasible once sharded (%.4g B per GPU)", sem, r.MemoryBytes)
		}
	}
}

// TestDistributedG5Older pins the 0.1.x numbers of G5 (900 GB/s NVLink, 2
// all-reduces per layer) as a check of the golden formula's structure: with a
// node link of 900 GB/s and the TP term halved in its latency part the
// golden path must land on step 4282.2171449090065 ms. It is computed from the
// parts rather than through a switch, since 0.1.x is not a supported mode.
func TestDistributedG5Older(t *testing.T) {
	// 0.1.x: TP = L · ring(2·act, tp, 900 GB/s, 0.5 µs); DP = ring(W/tp, 8, 900 GB/s).
	act := 128.0 * 2048 * 4096 * 2
	tp := 32 * RingAllReduceS(2*act, 8, 900e9, 0.5e-6)
	dp := RingAllReduceS(16.06e9/8, 8, 900e9, 0.5e-6)
	node := 3463.9075e-3
	step := node + tp + dp + node*3/19
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"tp", tp, 267.4664095288889e-3},
		{"dp", dp, 3.9104722222222223e-3},
		{"step", step, 4282.2171449090065e-3},
	} {
		if !withinRel(tc.got, tc.want, 1e-9) {
			t.Errorf("%s = %.15g, want %.15g (G5 0.1.x)", tc.name, tc.got, tc.want)
		}
	}
}

// G38 (test_formulas @1c1141d): collective known answers.
func TestCollectivesG38(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"ring 1 GB N8 50 GB/s 500 ns", RingAllReduceS(1e9, 8, 50e9, 500e-9), 0.035007},
		{"tree", TreeAllReduceS(1e9, 8, 50e9, 500e-9), 0.120003},
		{"all-to-all", AllToAllS(1e9, 8, 50e9, 500e-9), 0.0175035},
		{"bubble P4 M8 V1", PipelineBubbleFraction(4, 8, 1), 3.0 / 11},
		{"bubble P4 M8 V4", PipelineBubbleFraction(4, 8, 4), 3.0 / 35},
		{"bubble P1", PipelineBubbleFraction(1, 8, 1), 0},
		{"ring N1", RingAllReduceS(1e9, 1, 50e9, 500e-9), 0},
		{"hierarchical = 2 RS + inter ring", HierarchicalAllReduceS(8e9, 4, 8, 450e9, 50e9, 0.5e-6, 5e-6),
			2*(7.0/8*8e9/450e9+7*0.5e-6) + RingAllReduceS(1e9, 4, 50e9, 5e-6)},
	} {
		if !withinRel(tc.got, tc.want, 1e-9) {
			t.Errorf("%s = %.12g, want %.12g", tc.name, tc.got, tc.want)
		}
	}
	if TreeAllReduceS(1e9, 8, 50e9, 500e-9) <= RingAllReduceS(1e9, 8, 50e9, 500e-9) {
		t.Error("tree all-reduce must be slower than ring at 1 GB (G38)")
	}
}

// G23 (test_solver_suite, values.json): TopologyModel on IB NDR 400 Gb/s.
func TestTopologyG23(t *testing.T) {
	link := 400e9 / 8
	for _, tc := range []struct {
		topo Topology
		n    int
		beta float64
	}{
		{TopologyFatTree, 64, 1}, {TopologyDragonfly, 64, 0.85},
		{TopologyRing, 8, 0.25}, {TopologyRing, 64, 2.0 / 64}, {TopologyRing, 256, 2.0 / 256},
		{TopologyTorus3D, 27, 2.0 / 3}, {TopologyTorus3D, 64, 0.5},
	} {
		if got := TopologyBeta(tc.topo, tc.n); !withinRel(got, tc.beta, 1e-12) {
			t.Errorf("%s N=%d: β %v, want %v", tc.topo, tc.n, got, tc.beta)
		}
	}
	if got := EffectiveFabricBps(link, TopologyTorus3D, 27, 1) * 8; !withinRel(got, 266.6666666e9, 1e-6) {
		t.Errorf("torus N=27 effective %v bit/s, want 266.67 Gb/s (G23)", got)
	}
	if got := EffectiveFabricBps(link, TopologyTorus3D, 64, 1) * 8; !withinRel(got, 200e9, 1e-12) {
		t.Errorf("torus N=64 effective %v bit/s, want 200 Gb/s (G23)", got)
	}
	// B.5: ring β strictly decreasing for N = 4…256; oversubscription lowers bandwidth.
	for n := 4; n < 256; n *= 2 {
		if TopologyBeta(TopologyRing, 2*n) >= TopologyBeta(TopologyRing, n) {
			t.Errorf("ring β not decreasing at N=%d", n)
		}
	}
	if EffectiveFabricBps(link, TopologyFatTree, 8, 2) >= EffectiveFabricBps(link, TopologyFatTree, 8, 1) {
		t.Error("oversubscription must lower effective bandwidth")
	}
}

// Invariants of mlsysim-validation-and-tests.md §B.5 under the newest
// semantics: bounds, the step identity and the bubble identity.
func TestDistributedInvariants(t *testing.T) {
	for _, sys := range []string{"Research_256", "Training_1K", "Production_2K"} {
		for _, tp := range []int{1, 2, 4, 8, 16} {
			for _, pp := range []int{1, 2, 4, 8} {
				for _, m := range []int{1, 4, 16} {
					c := distCfg(t, "Llama3_70B", sys, func(c *Config) {
						c.BatchSize, c.Efficiency = 1024, 0.45
						c.Dist.TP, c.Dist.PP, c.Dist.Microbatches, c.Dist.Semantics = tp, pp, m, DistNewest
						c.Recompute = RecomputeFull
					})
					r := Evaluate(&c)
					d := r.Dist
					if d.Reason != DistOK {
						if r.Feasible || r.Reason != ReasonParallelism || r.LatencyS != 0 {
							t.Errorf("%s tp%d pp%d m%d: %v priced: feasible %v, reason %v, step %v", sys, tp, pp, m, d.Reason, r.Feasible, r.Reason, r.LatencyS)
						}
						continue
					}
					for name, x := range map[string]float64{"dp": d.CommDPS, "tp": d.CommTPS, "pp": d.CommPPS, "ep": d.CommEPS, "bubble": d.BubbleS} {
						if x < 0 || !finite(x) {
							t.Errorf("%s tp%d pp%d m%d: %s = %v", sys, tp, pp, m, name, x)
						}
					}
					if !(d.ScalingEfficiency > 0 && d.ScalingEfficiency <= 1) || d.BubbleFraction < 0 || d.BubbleFraction > 1 {
						t.Errorf("%s tp%d pp%d: bounds eff %v bubble %v", sys, tp, pp, d.ScalingEfficiency, d.BubbleFraction)
					}
					if r.MFU < 0 || r.MFU > 1 || r.HFU < r.MFU {
						t.Errorf("mfu %v hfu %v", r.MFU, r.HFU)
					}
					if !withinRel(r.LatencyS, d.ReplicaS+d.CommS+d.BubbleS, 1e-12) {
						t.Errorf("step %v ≠ replica + comm + bubble %v", r.LatencyS, d.ReplicaS+d.CommS+d.BubbleS)
					}
					b := PipelineBubbleFraction(pp, m, 1)
					if !withinRel(d.BubbleS, d.ReplicaS*b/(1-b), 1e-12) {
						t.Errorf("bubble %v ≠ replica·b/(1−b)", d.BubbleS)
					}
					if sum := d.WeightsBytes + d.GradientsBytes + d.OptimizerBytes + d.ActivationsBytes; !withinRel(r.MemoryBytes, sum, 1e-12) {
						t.Errorf("memory %v ≠ sum of parts %v", r.MemoryBytes, sum)
					}
				}
			}
		}
	}
}

// B.5 identities of the newest suite: sharded replica compute = 4·F·S·local
// /(peak·η·tp·pp) with full recompute; TP = 4·ring(local·S·h·2 B)·⌈L/pp⌉ on
// NVLink; with one DP rank per node the DP ring runs over the fabric on the
// shard W/(tp·pp).
func TestDistributedNewestIdentities(t *testing.T) {
	c := distCfg(t, "Llama3_8B", "Research_256", func(c *Config) {
		g5(c)
		c.Dist.TP, c.Dist.PP, c.Recompute, c.Dist.Semantics = 8, 2, RecomputeFull, DistNewest
	})
	r := Evaluate(&c)
	dp, local := 16, 64.0
	wantCompute := 4 * 16.06e9 * 2048 * local / (989e12 * 0.45 * 16)
	if !withinRel(r.ComputeS, wantCompute, 1e-12) {
		t.Errorf("compute %v, want %v", r.ComputeS, wantCompute)
	}
	wantTP := 4 * RingAllReduceS(local*2048*4096*2, 8, 450e9, 0.5e-6) * 16
	if !withinRel(r.Dist.CommTPS, wantTP, 1e-12) {
		t.Errorf("tp %v, want %v", r.Dist.CommTPS, wantTP)
	}
	wantDP := RingAllReduceS(16.06e9/16, dp, 100e9/8, 50e-6)
	if !withinRel(r.Dist.CommDPS, wantDP, 1e-12) {
		t.Errorf("dp %v, want %v", r.Dist.CommDPS, wantDP)
	}
}

// B.5 monotonicity under the newest semantics.
func TestDistributedMonotonicity(t *testing.T) {
	eval := func(model, sys string, f func(*Config)) Result {
		c := distCfg(t, model, sys, func(c *Config) {
			c.BatchSize, c.Efficiency, c.Dist.Semantics = 512, 0.45, DistNewest
			f(c)
		})
		return Evaluate(&c)
	}
	reg := registry.Default()
	eth10, _ := reg.Fabric("Ethernet_10G")
	slow := eval("Llama3_8B", "Research_256", func(c *Config) { c.Dist.Fabric = eth10 })
	fast := eval("Llama3_8B", "Research_256", func(c *Config) {})
	if !(slow.Dist.CommS > fast.Dist.CommS && slow.LatencyS > fast.LatencyS) {
		t.Errorf("slower fabric must lengthen comm and step: %v vs %v", slow.Dist.CommS, fast.Dist.CommS)
	}
	tp8 := eval("Llama3_70B", "Training_1K", func(c *Config) { c.Dist.TP = 8 })
	tp16 := eval("Llama3_70B", "Training_1K", func(c *Config) { c.Dist.TP = 16 })
	if tp16.Dist.CommTPS <= tp8.Dist.CommTPS {
		t.Errorf("cross-node TP16 %v must cost more than TP8 %v", tp16.Dist.CommTPS, tp8.Dist.CommTPS)
	}
	m4 := eval("Llama3_70B", "Training_1K", func(c *Config) { c.Dist.TP, c.Dist.PP, c.Dist.Microbatches = 8, 4, 4 })
	m16 := eval("Llama3_70B", "Training_1K", func(c *Config) { c.Dist.TP, c.Dist.PP, c.Dist.Microbatches = 8, 4, 16 })
	if m16.Dist.BubbleFraction >= m4.Dist.BubbleFraction || m16.Dist.BubbleS >= m4.Dist.BubbleS {
		t.Error("more microbatches must shrink the bubble")
	}
	v2 := eval("Llama3_70B", "Training_1K", func(c *Config) {
		c.Dist.TP, c.Dist.PP, c.Dist.Microbatches, c.Dist.Interleave = 8, 4, 4, 2
	})
	if v2.Dist.BubbleFraction >= m4.Dist.BubbleFraction {
		t.Error("interleaving must shrink the bubble")
	}
	prev := math.Inf(1)
	for z := 0; z <= 3; z++ {
		r := eval("Llama3_70B", "Lab_64_H100", func(c *Config) { c.Dist.TP, c.ZeroStage = 8, z })
		if r.MemoryBytes > prev {
			t.Errorf("ZeRO %d memory %v above stage %d", z, r.MemoryBytes, z-1)
		}
		prev = r.MemoryBytes
	}
	// MoE imbalance 1.5 → larger EP comm and step (B.5).
	bal := eval("Mixtral_8x7B", "Training_1K", func(c *Config) { c.Dist.TP, c.Dist.EP = 2, 8 })
	imb := eval("Mixtral_8x7B", "Training_1K", func(c *Config) { c.Dist.TP, c.Dist.EP, c.Dist.MoEImbalance = 2, 8, 1.5 })
	if !(imb.Dist.CommEPS > bal.Dist.CommEPS && imb.LatencyS > bal.LatencyS) || bal.Dist.CommEPS <= 0 {
		t.Errorf("imbalance must raise EP comm (%v → %v) and step", bal.Dist.CommEPS, imb.Dist.CommEPS)
	}
	ov := eval("Llama3_8B", "Research_256", func(c *Config) { c.Dist.Overlap = 0.85 })
	if !withinRel(ov.Dist.CommDPS, fast.Dist.CommDPS*0.15, 1e-12) {
		t.Errorf("overlap 0.85 leaves %v of DP, want 15%% of %v", ov.Dist.CommDPS, fast.Dist.CommDPS)
	}
	torus := eval("Llama3_8B", "Research_256", func(c *Config) { c.Dist.Topology = TopologyTorus3D })
	if torus.Dist.CommDPS <= fast.Dist.CommDPS {
		t.Error("a torus must slow the fabric DP ring relative to a fat tree")
	}
}

// Infeasibility is a result: parallel layouts that do not divide the
// cluster, and memory flips (B.5 feasibility flips).
func TestDistributedFeasibility(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      func(*Config)
		reason DistReason
	}{
		{"tp 3 on 256", func(c *Config) { c.Dist.TP = 3 }, DistIndivisible},
		{"tp·pp 512 on 256", func(c *Config) { c.Dist.TP, c.Dist.PP = 16, 32 }, DistTooManyRanks},
		{"dp 4 with tp 8 on 256", func(c *Config) { c.Dist.TP, c.DPSize = 8, 4 }, DistDPMismatch},
		{"gpus 300 on 256", func(c *Config) { c.Dist.GPUs = 300 }, DistTooManyGPUs},
		{"pp 64 > 32 layers", func(c *Config) { c.Dist.PP = 64 }, DistLayersPerStage},
	} {
		c := distCfg(t, "Llama3_8B", "Research_256", tc.f)
		r := Evaluate(&c)
		if r.Feasible || r.Dist.Reason != tc.reason || LookupOutput("dist_reason").String(&r) == "" {
			t.Errorf("%s: feasible %v reason %q, want %q", tc.name, r.Feasible, r.Dist.Reason, tc.reason)
		}
	}
	// ZeRO-3 turns Llama-3 70B on Lab_64_H100 (TP8, DP8, full recompute) from OOM to feasible.
	for _, z := range []int{0, 3} {
		c := distCfg(t, "Llama3_70B", "Lab_64_H100", func(c *Config) {
			c.BatchSize, c.Recompute, c.ZeroStage, c.Dist.TP = 64, RecomputeFull, z, 8
		})
		r := Evaluate(&c)
		if r.Feasible != (z == 3) {
			t.Errorf("ZeRO %d: feasible %v (%.4g B per GPU)", z, r.Feasible, r.MemoryBytes)
		}
	}
	// Bare hardware × gpus: 16 H100 in two nodes on the default fabric.
	c := cfg(t, "Llama3_8B", "H100", func(c *Config) {
		c.Mode, c.Dist.GPUs, c.Dist.TP, c.BatchSize, c.Recompute = Training, 16, 8, 64, RecomputeFull
	})
	if r := Evaluate(&c); !r.Feasible || r.Dist.DP != 2 || r.Dist.CommDPS <= 0 {
		t.Errorf("hardware × gpus: feasible %v dp %d comm %v", r.Feasible, r.Dist.DP, r.Dist.CommDPS)
	}
	// A single-GPU training run stays on the single-node roofline (G9 unchanged).
	c = cfg(t, "ResNet50", "A100", func(c *Config) { c.Mode, c.BatchSize = Training, 8 })
	if r := Evaluate(&c); r.Dist.Active {
		t.Error("single-node training must not take the distributed path")
	}
}

func BenchmarkEvaluateDistributed(b *testing.B) {
	for _, sem := range []DistSemantics{DistNewest, DistGolden} {
		b.Run(sem.String(), func(b *testing.B) {
			c := distCfg(b, "Llama3_70B", "Production_2K", func(c *Config) {
				c.BatchSize, c.Efficiency, c.ZeroStage = 1024, 0.45, 1
				c.Dist.TP, c.Dist.PP, c.Dist.Microbatches, c.Dist.Semantics = 8, 4, 16, sem
			})
			b.ReportAllocs()
			var sink float64
			for b.Loop() {
				r := Evaluate(&c)
				sink += r.LatencyS
			}
			_ = sink
		})
	}
}
