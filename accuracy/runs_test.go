package accuracy

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Every published run is either priced under both fidelities or listed as
// skipped with a reason; nothing is dropped silently, and the priced ones
// form the train-dist/nemo and train-dist/moe rows.
func TestPublishedRunsAccounted(t *testing.T) {
	rep := report(t, true)
	ds, err := calibration.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, p := range rep.Runs {
		seen[p.Run.ID] = "priced"
		if !(p.Measured > 0) || !(p.MLSysim > 0 || p.MLSysimNA != "") || !(p.Calibrated > 0) || math.IsInf(p.Calibrated, 0) {
			t.Errorf("%s: measured %v, mlsysim %v, calibrated %v", p.Run.ID, p.Measured, p.MLSysim, p.Calibrated)
		}
		if _, ok := calibration.RunModelKey(p.Run.Model); !ok {
			t.Errorf("%s: priced without a registry model", p.Run.ID)
		}
	}
	for _, s := range rep.Skipped {
		if s.Reason == "" {
			t.Errorf("%s: skipped without a reason", s.ID)
		}
		if seen[s.ID] != "" {
			t.Errorf("%s: both priced and skipped", s.ID)
		}
		seen[s.ID] = s.Reason
	}
	for _, r := range ds.Runs {
		if seen[r.ID] == "" {
			t.Errorf("%s: neither priced nor skipped", r.ID)
		}
		if _, ok := calibration.RunModelKey(r.Model); !ok && !strings.Contains(seen[r.ID], "registry entry") {
			t.Errorf("%s: model %q unmapped but skipped for %q", r.ID, r.Model, seen[r.ID])
		}
	}
	if len(seen) != len(ds.Runs) {
		t.Errorf("%d runs accounted for, %d published", len(seen), len(ds.Runs))
	}
	n, names := 0, map[string]bool{}
	for _, r := range rep.RunRows {
		n += r.Calibrated.N
		names[r.Name()] = true
	}
	if n != len(rep.Runs) || !names["train-dist/"+RunDense] || !names["train-dist/"+RunMoE] {
		t.Errorf("rows %v hold %d of %d priced runs", names, n, len(rep.Runs))
	}
}

// The runs are held out: adding them leaves every other figure of the
// report as it was.
func TestPublishedRunsHeldOut(t *testing.T) {
	with := report(t, true)
	ds, err := calibration.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	ds.Runs = nil
	without, err := Evaluate(registry.Default(), nil, ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(with.Rows) != len(without.Rows) || len(with.Points) != len(without.Points) {
		t.Fatalf("rows %d/%d, points %d/%d", len(with.Rows), len(without.Rows), len(with.Points), len(without.Points))
	}
	for i := range with.Rows {
		if with.Rows[i].Calibrated.Median != without.Rows[i].Calibrated.Median || with.Rows[i].MLSysim.Max != without.Rows[i].MLSysim.Max {
			t.Errorf("row %s %s changed with the runs", with.Rows[i].Name(), with.Rows[i].Hardware)
		}
	}
}

// The README claims GPT-3 175B and Llama 3.1 405B (megatron-core stack,
// distributed optimizer, collectives moving bf16 under the fp8 recipe, the
// tensor-parallel collectives overlapped with the GEMMs and the ring's K/V
// exchange with the attention) within −8.8 to +4.3 % on the framework
// pages' H100 runs, −14.8 to −1.7 % on the B200, −16.5 to −6.9 % on the
// GB200 and −4.8 to +6.4 % on the GB300 (derived profiles); a change that
// takes an H100 run past 10 % or another run past 20 % breaks the claim.
func TestPublishedRunsLargeDense(t *testing.T) {
	rep := report(t, true)
	n := 0
	for _, p := range rep.Runs {
		if p.ModelKey != "GPT3" && p.ModelKey != "Llama3_405B" {
			continue
		}
		n++
		lim := 0.10
		if p.Hardware != "H100" {
			lim = 0.20
		}
		if e := math.Abs(p.Calibrated/p.Measured - 1); e > lim {
			t.Errorf("%s: calibrated %.2f s, published %.2f s (%.1f %%, limit %.0f %%)", p.Run.ID, p.Calibrated, p.Measured, e*100, lim*100)
		}
	}
	if n < 9 {
		t.Errorf("%d GPT-3 175B / Llama 3.1 405B runs priced, want the 9 of docs/accuracy.md", n)
	}
}

// The H100 Qwen3-235B runs (tp 2, pp 8, ep 32 on 256 GPUs) fold ep into
// the dp = 16 data-parallel ranks with whole experts (ep divides tp·dp),
// and the B200 Mixtral-8x22B run (tp 2, pp 4, cp 8, ep 8 on 256 GPUs) ep
// into dp = 4 and tp: layouts the calibrated fidelity prices and mlsysim's
// (tp·pp·ep·cp = 512 > 256 GPUs) rejects: they are priced under calibrated
// only, their mlsysim prediction NaN with the reason, and the row's
// mlsysim statistics count the other runs.
func TestPublishedRunsMLSysimNotApplicable(t *testing.T) {
	rep := report(t, true)
	wantDP := map[string]int{"nemo2602_h100_qwen3_235b_a22b_256_fp8": 16, "nemo2511_h100_qwen3_235b_a22b_256_fp8_cs": 16,
		"nemo2502_b200_mixtral_8x22b_256_fp8": 4}
	want := map[string]bool{}
	for id := range wantDP {
		want[id] = true
	}
	na := map[string]int{}
	for _, p := range rep.Runs {
		if p.MLSysimNA == "" {
			continue
		}
		if p.ModelKey == "Nemotron_3_Nano_30B_A3B" {
			// A hybrid Mamba-Transformer: mlsysim has no such model.
			if !math.IsNaN(p.MLSysim) || !(p.Calibrated > 0) || !strings.Contains(p.MLSysimNA, "hybrid Mamba-Transformer") {
				t.Errorf("%s: mlsysim %v (%s), calibrated %v; want NaN with the hybrid reason, a time", p.Run.ID, p.MLSysim, p.MLSysimNA, p.Calibrated)
			}
			na[p.Hardware+" "+p.Run.Precision[:3]]++
			continue
		}
		if !want[p.Run.ID] {
			t.Errorf("%s: mlsysim not applicable (%s), not one of the runs whose tp·pp·ep·cp exceeds the GPUs", p.Run.ID, p.MLSysimNA)
			continue
		}
		delete(want, p.Run.ID)
		if !math.IsNaN(p.MLSysim) || !(p.Calibrated > 0) || p.DP != wantDP[p.Run.ID] {
			t.Errorf("%s: mlsysim %v, calibrated %v, dp %d; want NaN, a time, %d", p.Run.ID, p.MLSysim, p.Calibrated, p.DP, wantDP[p.Run.ID])
		}
		if !strings.Contains(p.MLSysimNA, "exceeds the GPUs") {
			t.Errorf("%s: reason %q does not name mlsysim's layout rule", p.Run.ID, p.MLSysimNA)
		}
		na[p.Hardware+" "+p.Run.Precision[:3]]++
	}
	for id := range want {
		t.Errorf("%s: not priced under calibrated with mlsysim not applicable", id)
	}
	for _, s := range rep.Skipped {
		if strings.Contains(s.ID, "h100_qwen3_235b_a22b_256") && !strings.Contains(s.ID, "_na") {
			t.Errorf("%s: skipped (%s)", s.ID, s.Reason)
		}
	}
	for _, r := range rep.RunRows {
		if r.Mode == RunMoE && r.Hardware == "H100" && r.Precision == "fp8" {
			if r.MLSysim.N != r.Calibrated.N-na["H100 FP8"] || math.IsNaN(r.MLSysim.Median) {
				t.Errorf("H100 fp8 MoE row: mlsysim n %d median %v, calibrated n %d, %d not applicable", r.MLSysim.N, r.MLSysim.Median, r.Calibrated.N, na["H100 FP8"])
			}
		}
	}
}

// The NeMo 2.0 MoE runs (performance recipes with MegatronTokenDropCallback)
// are priced with moe_token_drop and count no MoE layer·micro-batches; the
// Megatron-Bridge MoE runs are dropless and count them.
func TestRunTokenDrop(t *testing.T) {
	rep := reference(t)
	drop := 0
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if RunClass(&r.Run) != RunMoE {
			continue
		}
		if runTokenDrop(&r.Run) {
			drop++
			if r.MoELayerMicrobatches != 0 || r.Run.Framework != "NeMo" {
				t.Errorf("%s (%s): token drop with %v MoE layer·micro-batches", r.Run.ID, r.Run.Framework, r.MoELayerMicrobatches)
			}
		} else if !(r.MoELayerMicrobatches > 0) || r.Run.Framework != "Megatron-Bridge" {
			t.Errorf("%s (%s): dropless with %v MoE layer·micro-batches", r.Run.ID, r.Run.Framework, r.MoELayerMicrobatches)
		}
	}
	if drop != 4 {
		t.Errorf("%d token-drop runs priced, want 4 (Mixtral 8x7B 25.02 and 25.04, Mixtral 8x22B 25.02, Llama 4 Scout 25.07)", drop)
	}
}

// A run whose page gives no expert-parallel degree is priced with its
// recipe's (Run.RecipeEP) exactly as if the page had published it: the
// same step, the all-to-alls of that degree, its label.
func TestRunRecipeEP(t *testing.T) {
	rep := reference(t)
	reg := registry.Default()
	n := 0
	for i := range rep.Runs {
		p := &rep.Runs[i]
		if p.Run.RecipeEP == 0 {
			continue
		}
		n++
		run := p.Run
		s, r, _, why := PredictRun(reg, nil, &run, engine.FidelityCalibrated)
		as := run
		as.EP, as.RecipeEP = run.RecipeEP, 0
		s2, _, _, why2 := PredictRun(reg, nil, &as, engine.FidelityCalibrated)
		none := run
		none.RecipeEP = 0
		s0, r0, _, _ := PredictRun(reg, nil, &none, engine.FidelityCalibrated)
		if why != "" || why2 != "" || s != s2 || s != p.Calibrated {
			t.Errorf("%s: step %v (%s) with the recipe's ep %d, %v (%s) with it published, %v reported", run.ID, s, why, run.RecipeEP, s2, why2, p.Calibrated)
		}
		if !(r.Dist.CommEPS > 0) || r0.Dist.CommEPS != 0 || s == s0 {
			t.Errorf("%s: all-to-alls %v s with ep %d, %v s without; steps %v, %v", run.ID, r.Dist.CommEPS, run.RecipeEP, r0.Dist.CommEPS, s, s0)
		}
		if !strings.Contains(p.Label, fmt.Sprintf("ep=%d ", run.RecipeEP)) {
			t.Errorf("%s: label %q names another ep than the recipe's %d", run.ID, p.Label, run.RecipeEP)
		}
	}
	if n == 0 {
		t.Error("no priced run takes its expert parallelism from a recipe")
	}
}
