package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// vllm-0.4's host time per decode step (calibration.DecodeHostS): its
// decode step is the vllm stack's (the same kernel choices) plus the
// stacks' step overheads' difference plus step_seq_s per sequence and
// step_worker_s per tensor-parallel worker beyond the first, in the
// step's overhead part; it grows with the batch and with tp; the prefill
// differs by the step overheads' difference alone. No other stack has
// host terms: their decode steps are unchanged by them.
func TestDecodeHostTime(t *testing.T) {
	a04, b, c, ok := calibration.StepHostTerms(calibration.VLLM04)
	if !ok || !(b > 0 && c > 0) {
		t.Fatalf("vllm-0.4: host terms %v, per sequence %v s, per worker %v s: want both fitted above 0", ok, b, c)
	}
	da := a04 - calibration.StepOverhead(calibration.VLLM)
	at := func(sw calibration.Software, batch, tp int) Result {
		return calServeEval(t, "Mixtral_8x7B", "H100", func(cf *Config) {
			cf.Calib.Software = sw
			cf.Dist.TP, cf.BatchSize, cf.SeqLen, cf.OutputTokens = tp, batch, 32, 128
		})
	}
	prev := map[int]float64{}
	for _, tp := range []int{2, 4, 8} {
		last := 0.0
		for _, batch := range []int{1, 8, 64} {
			v, v04 := at(calibration.VLLM, batch, tp), at(calibration.VLLM04, batch, tp)
			host := float64(batch)*b + float64(tp-1)*c
			if g := v04.ITLS - v.ITLS; math.Abs(g-da-host) > 1e-12 {
				t.Errorf("tp %d, batch %d: vllm-0.4's step %.4f ms over vllm's: want %.4f ms", tp, batch, 1e3*g, 1e3*(da+host))
			}
			if g := v04.Calib.Decode.OverheadS - v.Calib.Decode.OverheadS; math.Abs(g-da-host) > 1e-12 {
				t.Errorf("tp %d, batch %d: overhead part %.4f ms over vllm's: want %.4f ms", tp, batch, 1e3*g, 1e3*(da+host))
			}
			if g := v04.Serve.PrefillS - v.Serve.PrefillS; math.Abs(g-da) > 1e-12 {
				t.Errorf("tp %d, batch %d: prefill %.4f ms over vllm's: want the step overheads' difference %.4f ms", tp, batch, 1e3*g, 1e3*da)
			}
			if !(host > last) || !(host > prev[batch]) {
				t.Errorf("tp %d, batch %d: host time %.4f ms: want more than at the smaller batch (%.4f) and the smaller tp (%.4f)", tp, batch, 1e3*host, 1e3*last, 1e3*prev[batch])
			}
			last, prev[batch] = host, host
		}
	}
	for sw := calibration.Software(0); sw < calibration.NumSoftware; sw++ {
		if _, _, _, ok := calibration.StepHostTerms(sw); ok != (sw == calibration.VLLM04) {
			t.Errorf("%s: host terms %v", sw, ok)
		}
		if sw != calibration.VLLM04 && calibration.DecodeHostS(sw, 64, 8) != 0 {
			t.Errorf("%s: host time %v s per decode step: want 0", sw, calibration.DecodeHostS(sw, 64, 8))
		}
	}
}
