package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

// commRow prices Llama3_70B on 64 H100 (tp 2 × pp 2 × cp 2 × dp 8) under
// fidelity calibrated on stack sw at precision p, and returns its
// tensor-, data-, context- and pipeline-parallel communication times.
// The times are the traffic's, before the calibrated overlaps hide any of
// it (hideComm off).
func commRow(t *testing.T, sw calibration.Software, p registry.Precision) [4]float64 {
	t.Helper()
	hideComm = false
	defer func() { hideComm = true }()
	c := distCfg(t, "Llama3_70B", "Lab_64_H100", func(c *Config) {
		c.Fidelity, c.Calib.Software, c.Precision = FidelityCalibrated, sw, p
		c.BatchSize, c.SeqLen, c.ZeroStage = 64, 8192, 1
		c.Dist.TP, c.Dist.PP, c.Dist.CP, c.Dist.Microbatches = 2, 2, 2, 8
	})
	r := Evaluate(&c)
	if r.Dist.DP != 8 {
		t.Fatalf("%s %s: dp %d, want 8 (%s)", sw, p, r.Dist.DP, r.Dist.Reason)
	}
	got := [4]float64{r.Dist.CommTPS, r.Dist.CommDPS, r.Dist.CommCPS, r.Dist.CommPPS}
	for i, v := range got {
		if !(v > 0) {
			t.Fatalf("%s %s: %s communication %v s", sw, p, commNames[i], v)
		}
	}
	return got
}

var commNames = [4]string{"TP", "DP", "CP", "PP"}

// Under Transformer Engine's fp8 recipe (software=megatron-core) only the
// linear layers' products run in fp8: the activations the tensor-parallel
// all-reduces sum and the pipeline sends, the K/V context parallelism
// exchanges and the gradients data parallelism reduces are bf16, so an
// fp8 row communicates exactly what the bf16 row does.
func TestCommMegatronCoreFP8MovesBF16(t *testing.T) {
	f8, b16 := commRow(t, calibration.MegatronCore, registry.FP8), commRow(t, calibration.MegatronCore, registry.BF16)
	for i := range f8 {
		if d := f8[i] - b16[i]; d > 1e-12*b16[i] || -d > 1e-12*b16[i] {
			t.Errorf("megatron-core %s communication: %g s at fp8, %g s at bf16; want the same bf16 traffic", commNames[i], f8[i], b16[i])
		}
	}
}

// Stacks whose fp8 recipe runs every operator at 8 bits (pytorch,
// compiled, megatron, torch-compile) keep every tensor and gradient at the
// row's precision: at fp8 each collective moves half the bf16 row's bytes
// with the same latency terms, so its time lies strictly between half and
// all of the bf16 row's.
func TestCommAllFP8StacksMoveFP8(t *testing.T) {
	for _, sw := range []calibration.Software{calibration.PyTorch, calibration.Compiled, calibration.Megatron, calibration.TorchCompile} {
		f8, b16 := commRow(t, sw, registry.FP8), commRow(t, sw, registry.BF16)
		for i := range f8 {
			if !(f8[i] < b16[i] && f8[i] > b16[i]/2) {
				t.Errorf("%s %s communication: %g s at fp8, %g s at bf16; want in (bf16/2, bf16): half the bytes, the same latency", sw, commNames[i], f8[i], b16[i])
			}
		}
	}
}
