package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// A ring step exposes only the excess of its transfer over the attention
// on the block: nothing when the attention is longer, forward and
// backward (which moves twice the block) apart.
func TestRingExposedS(t *testing.T) {
	for _, c := range []struct{ x, aF, aB, want float64 }{
		{1, 2, 3, 0},     // hidden both ways
		{1, 0.5, 3, 0.5}, // forward exposed
		{1, 2, 1.5, 0.5}, // backward 2x − aB
		{3, 1, 2, 2 + 4}, // both
		{0, 1, 1, 0},
	} {
		if got := ringExposedS(c.x, c.aF, c.aB); got != c.want {
			t.Errorf("ringExposedS(%v, %v, %v) = %v, want %v", c.x, c.aF, c.aB, got, c.want)
		}
	}
}

// The calibrated overlaps hide at most the compute they overlap: the TP
// collectives at most the GEMM time (only on a stack with tp_comm_overlap;
// on the others TP is the traffic's time), the ring's K/V exchange at most
// the attention time; the other collectives are untouched, and the parts
// still sum to the step.
func TestOverlapHidesAtMostTheCompute(t *testing.T) {
	for _, sw := range []calibration.Software{calibration.MegatronCore, calibration.PyTorch} {
		for _, cong := range []float64{1, 30} {
			c := distCfg(t, "Llama3_70B", "Lab_64_H100", func(c *Config) {
				c.Fidelity, c.Calib.Software, c.Precision = FidelityCalibrated, sw, registry.BF16
				c.BatchSize, c.SeqLen, c.ZeroStage = 64, 8192, 1
				c.Dist.TP, c.Dist.PP, c.Dist.CP, c.Dist.Microbatches = 2, 2, 2, 8
				c.Dist.Congestion = cong
			})
			hideComm = false
			raw := Evaluate(&c)
			hideComm = true
			got := Evaluate(&c)
			if !(raw.Dist.StepS > 0 && got.Dist.StepS > 0) {
				t.Fatalf("%s congestion %v: unpriced (%s)", sw, cong, got.Dist.Reason)
			}
			tp, cp := raw.Dist.CommTPS-got.Dist.CommTPS, raw.Dist.CommCPS-got.Dist.CommCPS
			if !(tp >= 0 && tp <= got.Calib.MatmulS) {
				t.Errorf("%s congestion %v: TP hidden %g s of %g, GEMMs %g s", sw, cong, tp, raw.Dist.CommTPS, got.Calib.MatmulS)
			}
			if !calibration.TPCommOverlap(sw) && tp != 0 {
				t.Errorf("%s (no tp_comm_overlap): TP %g s, traffic %g s", sw, got.Dist.CommTPS, raw.Dist.CommTPS)
			}
			if !(cp >= 0 && cp <= got.Calib.AttentionS) {
				t.Errorf("%s congestion %v: CP hidden %g s of %g, attention %g s", sw, cong, cp, raw.Dist.CommCPS, got.Calib.AttentionS)
			}
			if cong > 1 && !(got.Dist.CommCPS > 0) {
				t.Errorf("%s congestion %v: CP %g s, want a transfer longer than the attention exposed", sw, cong, got.Dist.CommCPS)
			}
			if got.Dist.CommDPS != raw.Dist.CommDPS || got.Dist.CommPPS != raw.Dist.CommPPS || got.Dist.ReplicaS != raw.Dist.ReplicaS {
				t.Errorf("%s congestion %v: DP, PP or the replica changed with the overlap", sw, cong)
			}
			sum := got.Dist.ReplicaS + got.Dist.CommS + got.Dist.BubbleS + got.Dist.StragglerS
			if d := sum - got.Dist.StepS; d > 1e-9*got.Dist.StepS || -d > 1e-9*got.Dist.StepS {
				t.Errorf("%s congestion %v: parts %g s, step %g s", sw, cong, sum, got.Dist.StepS)
			}
		}
	}
}
