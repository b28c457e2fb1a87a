package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// layout405B is Llama3_405B on 16,384 H100s of Reference_25K_H100 with
// tp 8 and pp 16: 128 DP ranks, and a global batch of 2,048 sequences gives
// each replica 16.
func layout405B(t testing.TB, mutate func(*Config)) Config {
	return distCfg(t, "Llama3_405B", "Reference_25K_H100", func(c *Config) {
		c.Dist.GPUs, c.Dist.TP, c.Dist.PP = 16384, 8, 16
		c.BatchSize, c.SeqLen, c.Recompute = 2048, 8192, RecomputeFull
		if mutate != nil {
			mutate(c)
		}
	})
}

// Microbatches must split the local batch: 64 microbatches of a 16-sequence
// replica were priced as 64 sequences (a replica 4× slower than 16
// microbatches, MFU 0.096 beside HFU 0.44); they are infeasible, unpriced.
func TestMicrobatchesSplitLocalBatch(t *testing.T) {
	for _, fid := range []Fidelity{FidelityCalibrated, FidelityMLSysim} {
		for _, sem := range []DistSemantics{DistNewest, DistGolden} {
			for _, tc := range []struct {
				m    int
				want DistReason
			}{{1, DistOK}, {4, DistOK}, {16, DistOK}, {3, DistMicrobatches}, {32, DistMicrobatches}, {64, DistMicrobatches}} {
				c := layout405B(t, func(c *Config) {
					c.Fidelity, c.Dist.Semantics, c.Dist.Microbatches = fid, sem, tc.m
				})
				r := Evaluate(&c)
				if fid == FidelityCalibrated && sem == DistGolden && tc.want == DistOK {
					tc.want = DistGoldenRefused // golden is mlsysim's arithmetic: refused
				}
				if r.Dist.Reason != tc.want {
					t.Errorf("%v %v m=%d: dist reason %q, want %q", fid, sem, tc.m, r.Dist.Reason, tc.want)
					continue
				}
				if tc.want == DistOK {
					if !(r.LatencyS > 0) || r.Dist.DP != 128 {
						t.Errorf("%v %v m=%d: step %v dp %d", fid, sem, tc.m, r.LatencyS, r.Dist.DP)
					}
					continue
				}
				if r.Feasible || r.Reason != ReasonParallelism || r.LatencyS != 0 || r.MFU != 0 || r.HFU != 0 || r.Dist.Reason.String() == "" {
					t.Errorf("%v %v m=%d priced: %+v", fid, sem, tc.m, r)
				}
			}
		}
	}
	// Below one sequence per replica, a replica still runs one: one
	// microbatch of one sequence is a layout, two are not.
	for m, want := range map[int]DistReason{1: DistOK, 2: DistMicrobatches} {
		c := layout405B(t, func(c *Config) { c.BatchSize, c.Dist.Microbatches = 64, m })
		if r := Evaluate(&c); r.Dist.Reason != want {
			t.Errorf("batch 64 over 128 replicas, m=%d: %q, want %q", m, r.Dist.Reason, want)
		}
	}
}

// HFU counts recomputation and every hardware FLOP, MFU the model's: with
// context parallelism HFU came out below MFU (the cp ranks' work was left
// out of the hardware count).
func TestHFUNotBelowMFU(t *testing.T) {
	for _, fid := range []Fidelity{FidelityCalibrated, FidelityMLSysim} {
		for _, rc := range []Recompute{RecomputeNone, RecomputeSelective, RecomputeFull} {
			for _, cp := range []int{1, 2, 4, 8} {
				c := layout405B(t, func(c *Config) {
					c.Fidelity, c.Recompute, c.Dist.CP, c.Dist.Microbatches = fid, rc, cp, 4
					c.Dist.Semantics = DistNewest
				})
				r := Evaluate(&c)
				if !(r.LatencyS > 0) || !(r.MFU > 0) || r.MFU > 1 || r.HFU > 1 || r.HFU < r.MFU {
					t.Errorf("%v recompute=%v cp=%d: MFU %v HFU %v", fid, rc, cp, r.MFU, r.HFU)
				}
				if rc == RecomputeFull && !(r.HFU > r.MFU) {
					t.Errorf("%v cp=%d: full recomputation must show in HFU %v > MFU %v", fid, cp, r.HFU, r.MFU)
				}
			}
		}
	}
}

// Under fused (flash) attention no score matrix is stored: software=compiled
// keeps selective recomputation's activations without recomputing, so a
// FlashAttention-era layout fits; megatron and pytorch keep the scores.
func TestActivationMemoryPerSoftware(t *testing.T) {
	dist := func(sw calibration.Software, rc Recompute) Result {
		c := distCfg(t, "Llama3_8B", "Lab_64_H100", func(c *Config) {
			c.Dist.TP, c.BatchSize, c.SeqLen, c.ZeroStage = 2, 32, 8192, 1
			c.Calib.Software, c.Recompute, c.Fidelity = sw, rc, FidelityCalibrated
		})
		return Evaluate(&c)
	}
	py, comp, meg := dist(calibration.PyTorch, RecomputeNone), dist(calibration.Compiled, RecomputeNone), dist(calibration.Megatron, RecomputeNone)
	sel := dist(calibration.PyTorch, RecomputeSelective)
	if py.Feasible || !comp.Feasible || meg.Feasible {
		t.Errorf("feasible: pytorch %v compiled %v megatron %v, want false true false", py.Feasible, comp.Feasible, meg.Feasible)
	}
	if comp.Dist.ActivationsBytes != sel.Dist.ActivationsBytes || !(comp.Dist.ActivationsBytes < py.Dist.ActivationsBytes) || meg.Dist.ActivationsBytes != py.Dist.ActivationsBytes {
		t.Errorf("activations: compiled %v selective %v pytorch %v megatron %v", comp.Dist.ActivationsBytes, sel.Dist.ActivationsBytes, py.Dist.ActivationsBytes, meg.Dist.ActivationsBytes)
	}
	single := func(sw calibration.Software, fid Fidelity) Config {
		return cfg(t, "Llama3_8B", "H100", func(c *Config) {
			c.Mode, c.BatchSize, c.SeqLen, c.Recompute = Training, 1, 8192, RecomputeNone
			c.Calib.Software, c.Fidelity = sw, fid
		})
	}
	mem := func(sw calibration.Software, fid Fidelity) float64 {
		c := single(sw, fid)
		return Evaluate(&c).MemoryBytes
	}
	c := single(calibration.Compiled, FidelityCalibrated)
	want, ok := TrainingMemoryBytes(c.Model, c.Precision, 1, 8192, RecomputeSelective, 0, 1, false)
	if got := mem(calibration.Compiled, FidelityCalibrated); !ok || got != want {
		t.Errorf("single GPU compiled: %v, want %v", got, want)
	}
	if p, m := mem(calibration.PyTorch, FidelityCalibrated), mem(calibration.Compiled, FidelityMLSysim); !(p > want) || m != p {
		t.Errorf("single GPU pytorch %v, mlsysim fidelity %v: want both above %v", p, m, want)
	}
}

// Under calibrated, a model without transformer layers trains on a system
// by data parallelism, its replica the calibrated single-GPU step (the
// calibration column set); tp, pp, ep or cp on it is refused, never priced
// by the roofline.
func TestCalibratedDistributedNonTransformer(t *testing.T) {
	eval := func(tp int) Result {
		c := distCfg(t, "ResNet50", "Research_256", func(c *Config) {
			c.Fidelity, c.BatchSize, c.Dist.TP = FidelityCalibrated, 2048, tp
		})
		return Evaluate(&c)
	}
	dp := eval(1)
	single := cfg(t, "ResNet50", "H100", func(c *Config) {
		c.Fidelity, c.Mode, c.BatchSize, c.DPSize = FidelityCalibrated, Training, 8, 256
	})
	one := Evaluate(&single)
	if dp.Calib.Kind == calibration.KindNone || dp.Dist.ReplicaS != one.LatencyS || !(dp.LatencyS > dp.Dist.ReplicaS) {
		t.Errorf("data parallel: kind %v replica %v, single GPU %v, step %v", dp.Calib.Kind, dp.Dist.ReplicaS, one.LatencyS, dp.LatencyS)
	}
	if r := eval(2); r.Dist.Reason != DistCalibratedSplit || r.Feasible || r.Reason != ReasonParallelism || r.LatencyS != 0 || r.Calib.Kind == calibration.KindNone {
		t.Errorf("tp 2: %q %v %q %v", r.Dist.Reason, r.Feasible, r.Reason, r.LatencyS)
	}
}
