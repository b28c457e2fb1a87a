package accuracy

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
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
		if !(p.Measured > 0) || !(p.MLSysim > 0) || !(p.Calibrated > 0) || math.IsInf(p.Calibrated, 0) {
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
// distributed optimizer) within −6.6 to +8.3 % on the framework pages' H100
// runs and −5.3 to −17.4 % on the B200 (derived profile); a change that
// takes an H100 run past 10 % or a B200 run past 20 % breaks the claim.
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
