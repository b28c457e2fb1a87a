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
	if len(forms) != 7 {
		t.Fatalf("%d forms, want 7", len(forms))
	}
	moe := 0
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if RunClass(&r.Run) == RunMoE {
			moe++
		}
		// The GPU-scaled forms' ratios: 1 on the reference GPU, below 1
		// on every faster one (B200, B300, GB200, GB300).
		if ref := r.Hardware == MoEReferenceGPU; ref != (r.BandwidthRatio == 1 && r.MatrixRatio == 1) || !(r.BandwidthRatio > 0 && r.BandwidthRatio <= 1 && r.MatrixRatio > 0 && r.MatrixRatio <= 1) {
			t.Errorf("%s on %s: bandwidth ratio %g, matrix ratio %g", r.Source, r.Hardware, r.BandwidthRatio, r.MatrixRatio)
		}
	}
	var b strings.Builder
	for _, f := range forms {
		if f.Fit.N != rep.MoEMicrobatch.N || f.All.HeldOut.N != moe || len(f.Fit.WithoutS) != len(rep.MoEMicrobatch.WithoutS) {
			t.Errorf("%s: %d runs fitted (%d counted, %d releases), want %d of %d (%d releases)", f.Name, f.Fit.N, f.All.HeldOut.N, len(f.Fit.WithoutS), rep.MoEMicrobatch.N, moe, len(rep.MoEMicrobatch.WithoutS))
		}
		if (f.Scaled || f.Joint) && (f.HybridEP.N != rep.MoEMicrobatchHybridEP.N || len(f.HybridEP.WithoutS) != len(rep.MoEMicrobatchHybridEP.WithoutS)) {
			t.Errorf("%s: HybridEP %d runs fitted (%d releases), want %d (%d releases)", f.Name, f.HybridEP.N, len(f.HybridEP.WithoutS), rep.MoEMicrobatchHybridEP.N, len(rep.MoEMicrobatchHybridEP.WithoutS))
		}
		fmt.Fprintf(&b, "\n%s (%s): %.4g s", f.Name, f.Unit, f.Fit.S)
		if f.Scaled {
			fmt.Fprintf(&b, " (scaled share %.2f; without each release %v s, shares %v), HybridEP %.4g s (share %.2f; without each release %v s)",
				f.Share, f.Fit.WithoutS, f.ShareWithout, f.HybridEP.S, f.HybridEPShare, f.HybridEP.WithoutS)
		}
		if f.Joint {
			// Both terms ≥ 0, each fitted without each release.
			if !(f.Fit.S >= 0 && f.Copy.S >= 0 && f.HybridEP.S >= 0 && f.HybridEPCopy.S >= 0) || len(f.Copy.WithoutS) != len(f.Fit.WithoutS) || len(f.HybridEPCopy.WithoutS) != len(f.HybridEP.WithoutS) {
				t.Errorf("%s: %g s + %g s, HybridEP %g s + %g s; %d and %d releases", f.Name, f.Fit.S, f.Copy.S, f.HybridEP.S, f.HybridEPCopy.S, len(f.Copy.WithoutS), len(f.HybridEPCopy.WithoutS))
			}
			fmt.Fprintf(&b, " + %.4g s per routed token copy per MoE layer (without each release %v s and %v s), HybridEP %.4g s + %.4g s (%d runs; without each release %v s and %v s)",
				f.Copy.S, f.Fit.WithoutS, f.Copy.WithoutS, f.HybridEP.S, f.HybridEPCopy.S, f.HybridEP.N, f.HybridEP.WithoutS, f.HybridEPCopy.WithoutS)
		}
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
