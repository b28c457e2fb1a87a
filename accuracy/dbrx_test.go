package accuracy

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// DBRX's benchmark_latency.py runs of vLLM pull request 3692 (H100s, tp 4
// and 8, batch 8-64, 32 in / 128 out; published.csv vllm3692_*), split
// into the calibrated prediction's parts per decode step: the table of
// docs/accuracy.md ("vLLM static batches on three GPUs"), printed with
// -v. The test pins what that table is read for:
//
//   - the shape: the row's transformer is the DBRX of the model card
//     (databricks/dbrx-instruct: 132B parameters, 36B active on any input,
//     16 experts, 4 chosen per token), counted as modelOf counts it;
//   - the MoE decode is priced as tensor parallelism shards it: each GPU
//     holds 1/tp of every expert's FFN and of the attention projections,
//     so the step's matrix-product time at tp 8 is half that at tp 4
//     (within 5 %), at every batch;
//   - with 8 tokens the step reads the expected distinct experts of 8
//     top-4 choices among 16, 16·(1 − (3/4)^8) = 14.4
//     (calibration.ExpectedActiveExperts), from 16 it reads nearly all:
//     the modelled step grows little with the batch;
//   - priced on the vllm stack (the later engine, whose decode step carries
//     no host time per sequence or per worker), the measured step exceeds
//     the prediction by a part that grows with the batch by the same time
//     at tp 4 and tp 8 (batch 8 to 64: within 1 ms of each other, both
//     over 4 ms), work the GPUs do not share out (the prediction's sharded
//     parts halve), and by a further part at tp 8 at every batch: what
//     the rows' own stack, vllm-0.4, adds as host time per decode step;
//   - on vllm-0.4 (the report's prediction) the decode step is vllm's
//     plus that host time, in its overhead part: the stacks' step
//     overheads' difference plus calibration.DecodeHostS of the batch and
//     the tp.
func TestDBRXDecodeParts(t *testing.T) {
	ds, err := calibration.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.Default()
	ev := &evaluator{reg: reg, profiles: calibration.Embedded()}
	rep := reference(t)
	calibrated := map[string]float64{}
	for _, p := range rep.Points {
		calibrated[p.Source] = p.Calibrated
	}
	type parts struct {
		b, tp                  int
		measured, predicted    float64 // seconds, end to end
		itl, matmul, rest, all float64 // seconds per decode step
	}
	byKey := map[[2]int]parts{}
	for _, p := range ds.Published {
		if !strings.HasPrefix(p.ID, "vllm3692_") {
			continue
		}
		pt, ok := p.Point()
		if !ok {
			t.Fatalf("%s: no point", p.ID)
		}
		m := modelOf(&pt.Model)
		if m.Experts != 16 || m.ActiveExperts != 4 || math.Abs(m.Parameters/132e9-1) > 0.01 || math.Abs(m.ActiveParameters/36e9-1) > 0.02 {
			t.Errorf("%s: %d experts top %d, %.1fB parameters (%.1fB active): want DBRX's 16, top 4, 132B (36B)", p.ID, m.Experts, m.ActiveExperts, m.Parameters/1e9, m.ActiveParameters/1e9)
		}
		hw, err := reg.Hardware(calibration.HardwareKey(reg, pt.GPU))
		if err != nil {
			t.Fatal(err)
		}
		c := ev.config(engine.FidelityCalibrated, hw, m, registry.BF16)
		c.Calib.Software = pt.Software()
		c.BatchSize, c.Dist.TP = pt.Batch, pt.TP
		c.Mode, c.SeqLen, c.OutputTokens = engine.Serving, pt.Seq, pt.Out
		r04 := engine.Evaluate(&c)
		pred04 := r04.Serve.PrefillS + r04.Serve.DecodeS
		if want := calibrated[pt.Source]; pt.Software() != calibration.VLLM04 || math.Abs(pred04-want) > 1e-9*want {
			t.Fatalf("%s: %.6f s on %s here, %.6f s in the report: not the report's configuration", p.ID, pred04, pt.Software(), want)
		}
		c.Calib.Software = calibration.VLLM
		r := engine.Evaluate(&c)
		pred := r.Serve.PrefillS + r.Serve.DecodeS
		host := calibration.StepOverhead(calibration.VLLM04) - calibration.StepOverhead(calibration.VLLM) + calibration.DecodeHostS(calibration.VLLM04, pt.Batch, pt.TP)
		if g := r04.ITLS - r.ITLS; math.Abs(g-host) > 1e-9 || math.Abs(r04.Calib.Decode.OverheadS-r.Calib.Decode.OverheadS-host) > 1e-9 {
			t.Errorf("%s: vllm-0.4's decode step is %.4f ms over vllm's (overhead part %.4f ms): want the host time %.4f ms", p.ID,
				1e3*g, 1e3*(r04.Calib.Decode.OverheadS-r.Calib.Decode.OverheadS), 1e3*host)
		}
		t.Logf("%-34s on vllm-0.4: %+.2f ms a step over vllm, ITL %5.2f ms, predicted %.3f s (%+5.1f %%)", p.ID, 1e3*host, 1e3*r04.ITLS, pred04, 100*(pred04/pt.S-1))
		d := r.Calib.Decode
		byKey[[2]int{pt.TP, pt.Batch}] = parts{pt.Batch, pt.TP, pt.S, pred, r.ITLS, d.MatmulS, d.AttentionS + d.ElementwiseS, d.MatmulS + d.AttentionS + d.ElementwiseS + d.OverheadS + d.CommS}
		t.Logf("%-34s matmul %5.2f  attn+elt %4.2f  overhead %4.2f  tp comm %4.2f  = ITL %5.2f ms; measured %.3f s, predicted %.3f s (%+5.1f %%), missing %.2f ms a step",
			p.ID, 1e3*d.MatmulS, 1e3*(d.AttentionS+d.ElementwiseS), 1e3*d.OverheadS, 1e3*d.CommS, 1e3*r.ITLS, pt.S, pred, 100*(pred/pt.S-1), 1e3*(pt.S-pred)/float64(pt.Out-1))
	}
	if len(byKey) != 8 {
		t.Fatalf("%d DBRX rows, want 8", len(byKey))
	}
	if a := calibration.ExpectedActiveExperts(16, 4, 8); math.Abs(a-14.4) > 0.01 {
		t.Errorf("expected distinct experts of 8 tokens: %.3f, want 14.4", a)
	}
	missing := func(p parts) float64 { return (p.measured - p.predicted) / 127 } // 127 decode steps after the prefill
	for _, b := range []int{8, 16, 32, 64} {
		p4, p8 := byKey[[2]int{4, b}], byKey[[2]int{8, b}]
		if ratio := p8.matmul / p4.matmul; math.Abs(ratio-0.5) > 0.025 {
			t.Errorf("batch %d: matmul per step %.2f ms at tp 8, %.2f ms at tp 4 (ratio %.3f): want half", b, 1e3*p8.matmul, 1e3*p4.matmul, ratio)
		}
		if math.Abs(p4.all-p4.itl) > 1e-9 || math.Abs(p8.all-p8.itl) > 1e-9 {
			t.Errorf("batch %d: the parts %.6f / %.6f s do not sum to the ITL %.6f / %.6f s", b, p4.all, p8.all, p4.itl, p8.itl)
		}
		if !(missing(p8) > missing(p4)) {
			t.Errorf("batch %d: missing %.2f ms a step at tp 8, %.2f at tp 4: want more at tp 8", b, 1e3*missing(p8), 1e3*missing(p4))
		}
	}
	for _, tp := range []int{4, 8} {
		lo, hi := byKey[[2]int{tp, 8}], byKey[[2]int{tp, 64}]
		if g := hi.itl/lo.itl - 1; !(g > 0) || g > 0.15 {
			t.Errorf("tp %d: the modelled step grows %.1f %% from batch 8 to 64: want more than 0 and at most 15 %%", tp, 100*g)
		}
	}
	g4 := missing(byKey[[2]int{4, 64}]) - missing(byKey[[2]int{4, 8}])
	g8 := missing(byKey[[2]int{8, 64}]) - missing(byKey[[2]int{8, 8}])
	t.Logf("missing time per step, batch 8 to 64: +%.2f ms at tp 4, +%.2f ms at tp 8", 1e3*g4, 1e3*g8)
	if !(g4 > 4e-3 && g8 > 4e-3) || math.Abs(g4-g8) > 1e-3 {
		t.Errorf("missing time per step grows %.2f ms at tp 4 and %.2f ms at tp 8 from batch 8 to 64: want both over 4 ms, within 1 ms of each other", 1e3*g4, 1e3*g8)
	}
}
