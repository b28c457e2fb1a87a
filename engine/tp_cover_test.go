package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// The tensor-parallel collectives that megatron-core overlaps with the
// layers' products hide under the time the products occupy the GPU, their
// kernels' fixed times included. Counting only the Matmul bucket made a
// larger batch faster where the products grow past the split-K rows (a
// split product's reduction kernel leaves Fixed and its fixed time joins
// Matmul): BERT-Large, tp 8 on 16 H100s, 50 tokens, one sequence per
// replica (split-K) against three (150 rows, not split).
func TestTPCoverMonotoneAcrossSplitK(t *testing.T) {
	reg := registry.Default()
	cl, err := reg.Cluster("Lab_64_H100")
	if err != nil {
		t.Fatal(err)
	}
	step := func(batch int) Result {
		c := cfg(t, "BERT_Large", "H100", func(c *Config) {
			c.Fidelity, c.Mode, c.Precision = FidelityCalibrated, Training, registry.FP8
			c.ResolveProfile()
			c.Calib.Software, c.Calib.NoOptimizer = calibration.MegatronCore, true
			c.BatchSize, c.SeqLen, c.Dist.TP, c.Recompute = batch, 50, 8, RecomputeFull
			c.Dist.System, c.Dist.GPUs, c.Dist.Semantics = cl, 16, DistNewest
		})
		return Evaluate(&c)
	}
	a, b := step(2), step(6)
	if a.Dist.Reason != DistOK || b.Dist.Reason != DistOK || b.LatencyS < a.LatencyS {
		t.Errorf("batch 6 step %v (TP exposed %v) against batch 2 %v (%v): a larger batch must not be faster",
			b.LatencyS, b.Dist.CommTPS, a.LatencyS, a.Dist.CommTPS)
	}
}
