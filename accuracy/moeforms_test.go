package accuracy

import (
	"fmt"
	"strings"
	"testing"
)

// CompareMoEForms fits each form on the same runs: every Megatron-Core
// MoE run counted in every form and class, each class's held-out figures
// from the values fitted without each release; the form the stack prices
// reproduces the report's own fit and held-out figures. The table it logs
// (go test ./accuracy -run TestMoEFormsCompared -v) is the one
// docs/accuracy.md quotes.
func TestMoEFormsCompared(t *testing.T) {
	rep := reference(t)
	forms := CompareMoEForms(rep)
	if len(forms) != 3 {
		t.Fatalf("%d forms, want 3", len(forms))
	}
	moe := 0
	for i := range rep.Runs {
		if RunClass(&rep.Runs[i].Run) == RunMoE {
			moe++
		}
	}
	var b strings.Builder
	for _, f := range forms {
		if f.Fit.N != rep.MoEMicrobatch.N || f.All.HeldOut.N != moe || len(f.Fit.WithoutS) != len(rep.MoEMicrobatch.WithoutS) {
			t.Errorf("%s: %d runs fitted (%d counted, %d releases), want %d of %d (%d releases)", f.Name, f.Fit.N, f.All.HeldOut.N, len(f.Fit.WithoutS), rep.MoEMicrobatch.N, moe, len(rep.MoEMicrobatch.WithoutS))
		}
		fmt.Fprintf(&b, "\n%s (%s): %.4g s", f.Name, f.Unit, f.Fit.S)
		var mean float64
		for _, c := range f.Classes {
			fmt.Fprintf(&b, "\n  %-10s %-4s n=%2d  calibrated median %5.1f%% max %5.1f%%  held-out median %5.1f%% max %5.1f%%",
				c.Hardware, c.Precision, c.HeldOut.N, c.Calibrated.Median, c.Calibrated.Max, c.HeldOut.Median, c.HeldOut.Max)
			mean += c.HeldOut.Median / float64(len(f.Classes))
		}
		fmt.Fprintf(&b, "\n  all             n=%2d  calibrated median %5.1f%% max %5.1f%%  held-out median %5.1f%% max %5.1f%%; mean of the class held-out medians %.1f%%",
			f.All.HeldOut.N, f.All.Calibrated.Median, f.All.Calibrated.Max, f.All.HeldOut.Median, f.All.HeldOut.Max, mean)
	}
	t.Log(b.String())
	priced := forms[1]
	if priced.Fit.S != rep.MoEMicrobatch.S {
		t.Errorf("%s: fitted %g s, the report's fit %g s", priced.Name, priced.Fit.S, rep.MoEMicrobatch.S)
	}
	for _, row := range rep.RunRows {
		if row.Mode != RunMoE {
			continue
		}
		for _, c := range priced.Classes {
			if c.Hardware == row.Hardware && c.Precision == row.Precision && (c.HeldOut.N != row.HeldOut.N || c.HeldOut.Median != row.HeldOut.Median) {
				t.Errorf("%s %s: held-out n=%d median %.3f%%, the report's row n=%d median %.3f%%", c.Hardware, c.Precision, c.HeldOut.N, c.HeldOut.Median, row.HeldOut.N, row.HeldOut.Median)
			}
		}
	}
}
