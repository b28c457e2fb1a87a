package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Invariants of the mlsysim fidelity over the whole registry (mlsysim's
// test_solver_invariants, reference §B.5): throughput rises and latency
// never falls with the batch (at equal feasibility), MFU and HFU lie in
// [0, 1], latency is positive
// and finite, and feasibility flips exactly where the footprint crosses the
// memory capacity.
func TestRooflineInvariants(t *testing.T) {
	reg := registry.Default()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range reg.ModelList {
		for k := 0; k < 4; k++ {
			h := reg.HardwareList[rng.IntN(len(reg.HardwareList))]
			for _, mode := range []Mode{Inference, Training, Serving} {
				c := DefaultConfig()
				c.Model, c.Hardware, c.Mode, c.Fidelity = m, h, mode, FidelityMLSysim
				c.Precision = registry.Precision(rng.IntN(int(registry.NumPrecisions)))
				prevLat, prevTput, prevFeas := 0.0, 0.0, true
				for _, b := range []int{1, 2, 4, 16, 64, 256} {
					c.BatchSize = b
					r := Evaluate(&c)
					if r.Reason == ReasonNoHeads || r.Reason == ReasonNoWorkload || r.Reason.PrecisionGap() || r.Reason == ReasonNoTokens || r.Reason == ReasonHybrid {
						continue
					}
					if !(r.LatencyS > 0) || math.IsInf(r.LatencyS, 0) {
						t.Fatalf("%s/%s %s b=%d: latency %v", m.Key, h.Key, mode, b, r.LatencyS)
					}
					if r.MFU < 0 || r.MFU > 1 || r.HFU < 0 || r.HFU > 1 || r.HFU < r.MFU-1e-12 {
						t.Errorf("%s/%s %s b=%d: mfu %v hfu %v", m.Key, h.Key, mode, b, r.MFU, r.HFU)
					}
					// Monotone while the footprint fits: a batch whose activations
					// overflow memory takes the much slower offload path.
					same := r.Feasible == prevFeas
					if mode != Serving && same && r.LatencyS < prevLat*(1-1e-12) {
						t.Errorf("%s/%s %s: latency falls from %v to %v at batch %d", m.Key, h.Key, mode, prevLat, r.LatencyS, b)
					}
					if mode != Serving && same && r.ThroughputPerS < prevTput*(1-1e-12) {
						t.Errorf("%s/%s %s: throughput falls from %v to %v at batch %d", m.Key, h.Key, mode, prevTput, r.ThroughputPerS, b)
					}
					if r.Feasible != (r.MemoryBytes <= h.MemCapacityBytes) && r.Reason != ReasonParallelism {
						t.Errorf("%s/%s %s b=%d: feasible %v with %v of %v bytes", m.Key, h.Key, mode, b, r.Feasible, r.MemoryBytes, h.MemCapacityBytes)
					}
					prevLat, prevTput, prevFeas = r.LatencyS, r.ThroughputPerS, r.Feasible
				}
			}
		}
	}
}

// Feasibility flips at capacity: the same model on a device whose memory is
// just below or just above its weights.
func TestFeasibilityFlipsAtCapacity(t *testing.T) {
	reg := registry.Default()
	m, _ := reg.Model("Llama3_8B")
	base, _ := reg.Hardware("H100")
	w := m.Parameters * 2
	for _, tc := range []struct {
		capacity float64
		want     bool
	}{{w * (1 - 1e-9), false}, {w, true}, {w * (1 + 1e-9), true}} {
		h := *base
		h.MemCapacityBytes = tc.capacity
		c := DefaultConfig()
		c.Model, c.Hardware, c.Fidelity = m, &h, FidelityMLSysim
		r := Evaluate(&c)
		if r.Feasible != tc.want {
			t.Errorf("capacity %v: feasible %v, want %v", tc.capacity, r.Feasible, tc.want)
		}
		if !r.Feasible && (r.Reason != ReasonMemory || r.OffloadSpillBytes <= 0 || r.EffectiveBandwidth != math.Min(h.MemBandwidthBps, h.HostLink.BandwidthBps)) {
			t.Errorf("infeasible without the offload path: %+v", r)
		}
	}
}

// Higher η never raises latency; lower precision never raises weight bytes.
func TestEfficiencyAndPrecisionMonotone(t *testing.T) {
	reg := registry.Default()
	m, _ := reg.Model("Llama3_70B")
	h, _ := reg.Hardware("B200")
	prev := math.Inf(1)
	for _, eta := range []float64{0.1, 0.3, 0.5, 0.9} {
		c := DefaultConfig()
		c.Model, c.Hardware, c.Fidelity, c.Efficiency, c.BatchSize = m, h, FidelityMLSysim, eta, 256
		r := Evaluate(&c)
		if r.LatencyS > prev {
			t.Errorf("η %v: latency %v above %v", eta, r.LatencyS, prev)
		}
		prev = r.LatencyS
	}
	last := math.Inf(1)
	for _, p := range []registry.Precision{registry.FP32, registry.FP16, registry.FP8, registry.INT4} {
		w := Lower(m, p.Bytes()).WeightBytes
		if !(w < last) {
			t.Errorf("%s: weights %v not below %v", p, w, last)
		}
		last = w
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	for _, f := range []Fidelity{FidelityMLSysim, FidelityCalibrated} {
		for _, mode := range []Mode{Inference, Training, Serving} {
			c := cfg(t, "Llama3_70B", "H100", func(c *Config) { c.Mode, c.BatchSize = mode, 32 })
			c.Fidelity = f
			if n := testing.AllocsPerRun(100, func() { Evaluate(&c) }); n != 0 {
				t.Errorf("%s %s: %v allocations per evaluation", f, mode, n)
			}
		}
	}
}

// BenchmarkEvaluate is one evaluation of the core models, per fidelity and mode.
func BenchmarkEvaluate(b *testing.B) {
	for _, f := range []Fidelity{FidelityMLSysim, FidelityCalibrated} {
		for _, mode := range []Mode{Inference, Training, Serving} {
			b.Run(f.String()+"/"+mode.String(), func(b *testing.B) {
				c := cfg(b, "Llama3_70B", "H100", func(c *Config) { c.Mode, c.BatchSize = mode, 32 })
				c.Fidelity = f
				b.ReportAllocs()
				var sink float64
				for i := 0; i < b.N; i++ {
					r := Evaluate(&c)
					sink += r.LatencyS
				}
				if sink == 0 {
					b.Fatal("no work")
				}
			})
		}
	}
}
