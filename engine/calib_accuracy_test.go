package engine

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

func referenceReport(t testing.TB) *AccuracyReport {
	t.Helper()
	ds, err := calibration.LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Accuracy(registry.Default(), ds)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func findRow(rep *AccuracyReport, c calibration.Class, hw, prec string) *AccuracyRow {
	return findModeRow(rep, c, "", hw, prec)
}

func findModeRow(rep *AccuracyReport, c calibration.Class, mode, hw, prec string) *AccuracyRow {
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if r.Class == c && r.Mode == mode && r.Hardware == hw && r.Precision == prec {
			return r
		}
	}
	return nil
}

// TestAccuracyReference pins the accuracy figures of both fidelities on the
// reference measurements (calibration/testdata, H100 2026-11-26 and
// published.csv). The figures are deterministic; the tolerance only absorbs
// floating-point differences between platforms.
func TestAccuracyReference(t *testing.T) {
	rep := referenceReport(t)
	for _, r := range rep.Rows {
		t.Logf("%-8s %-10s %-5s %-9s n=%3d mlsysim %5.1f/%5.1f/%5.1f  calibrated %5.1f/%5.1f/%5.1f  steady %5.1f (%d noisy) worst %s (spread %.0f%%)", r.Class, r.Hardware, r.Precision, r.Profile, r.Calibrated.N,
			r.MLSysim.Mean, r.MLSysim.Median, r.MLSysim.Max, r.Calibrated.Mean, r.Calibrated.Median, r.Calibrated.Max, r.Calibrated.MaxSteady, r.Calibrated.Noisy, r.Calibrated.WorstSource, r.Calibrated.WorstSpread*100)
	}
	for _, r := range rep.LOO {
		t.Logf("LOO %s held out %s: n=%d %5.1f/%5.1f/%5.1f steady %5.1f (%d noisy) worst %s", r.Hardware, r.HeldOut, r.Stats.N, r.Stats.Mean, r.Stats.Median, r.Stats.Max, r.Stats.MaxSteady, r.Stats.Noisy, r.Stats.WorstSource)
	}
	pin := []struct {
		c                calibration.Class
		mode, hw, prec   string
		mlMedian, median float64
		max              float64
	}{
		{calibration.ClassDecode, "", "H100", "bf16", 27.8, 2.1, 5.6},
		{calibration.ClassPrefill, "", "H100", "bf16", 23.2, 0.8, 22.9},
		{calibration.ClassTrain, "", "H100", "bf16", 9.7, 1.9, 2.3},
		{calibration.ClassGEMM, "", "H100", "bf16", 27.9, 4.2, 23.3},
		{calibration.ClassGEMM, calibration.ModeBurst, "H100", "bf16", 43.3, 4.2, 17.2},
		{calibration.ClassGEMM, calibration.ModeSustained, "H100", "bf16", 41.8, 2.4, 12.2},
		{calibration.ClassCNNForward, "", "H100", "bf16", 78.8, 16.2, 24.6},
		{calibration.ClassCNNTrain, "", "H100", "bf16", 82.2, 14.7, 41.5},
		{calibration.ClassPrefill, "", "A100", "fp16", 31.6, 15.3, 32.7},
		{calibration.ClassServe, "", "A100", "fp16", 26.9, 4.3, 7.2},
	}
	for _, p := range pin {
		r := findModeRow(rep, p.c, p.mode, p.hw, p.prec)
		if r == nil {
			t.Errorf("no row %v %q %s %s", p.c, p.mode, p.hw, p.prec)
			continue
		}
		near := func(what string, got, want float64) {
			if math.Abs(got-want) > 0.15 {
				t.Errorf("%v %q %s %s %s: %.2f%%, pinned %.1f%%", p.c, p.mode, p.hw, p.prec, what, got, want)
			}
		}
		near("mlsysim median", r.MLSysim.Median, p.mlMedian)
		near("calibrated median", r.Calibrated.Median, p.median)
		near("calibrated max", r.Calibrated.Max, p.max)
	}
	// The H100 targets: median at most 5 % and max at most 15 % for decode,
	// training and the GEMM curve under sustained load (prefill: without the
	// point that did not reproduce, docs/accuracy.md).
	for _, k := range []struct {
		c    calibration.Class
		mode string
	}{{calibration.ClassDecode, ""}, {calibration.ClassTrain, ""}, {calibration.ClassGEMM, calibration.ModeSustained}} {
		if r := findModeRow(rep, k.c, k.mode, "H100", "bf16"); r == nil || r.Calibrated.Median > 5 || r.Calibrated.Max > 15 {
			t.Errorf("H100 %v %q: %+v, want median ≤ 5 %% and max ≤ 15 %%", k.c, k.mode, r)
		}
	}
	// Published multi-GPU training (held out: nothing is fitted to them).
	dist := findRow(rep, calibration.ClassTrainDist, "A100_40GB", "fp16")
	if dist == nil || dist.Calibrated.N != 9 {
		t.Fatalf("train-dist row: %+v, want 9 published rows", dist)
	}
	for _, f := range []struct {
		what      string
		got, want float64
	}{{"calibrated median", dist.Calibrated.Median, 3.3}, {"calibrated max", dist.Calibrated.Max, 20.0}, {"mlsysim median", dist.MLSysim.Median, 1516.5}} {
		if math.Abs(f.got-f.want) > 0.15 {
			t.Errorf("train-dist %s: %.2f%%, pinned %.1f%%", f.what, f.got, f.want)
		}
	}
	for _, p := range rep.Dist {
		e := (p.Calibrated/p.Measured - 1) * 100
		t.Logf("train-dist %-40s measured %7.2f s calibrated %7.2f s (%+.1f%%) mlsysim %8.2f s", p.Label, p.Measured, p.Calibrated, e, p.MLSysim)
		// Megatron-LM's own rows (Narayanan et al.) within 10 %; the MT-NLG
		// rows (DeepSpeed's pipeline engine) are a known miss, pinned.
		lim := 10.0
		if strings.HasPrefix(p.Source, "published.csv:mtnlg") {
			lim = 21
		}
		if math.Abs(e) > lim {
			t.Errorf("%s: calibrated %.2f s, measured %.2f s (%+.1f%%, limit %.0f%%)", p.Source, p.Calibrated, p.Measured, e, lim)
		}
	}
	if pr := findRow(rep, calibration.ClassPrefill, "H100", "bf16"); pr == nil || pr.Calibrated.Noisy != 1 || math.Abs(pr.Calibrated.MaxSteady-7.8) > 0.15 ||
		pr.Calibrated.WorstSpread < NoisySpread {
		t.Errorf("prefill H100: want the worst point reported noisy and a steady max of 7.8%%: %+v", pr)
	}
	// GEMM shapes measured in both files whose medians differ by more than
	// NoisySpread are reported noisy; the worst point is not one of them.
	if g := findRow(rep, calibration.ClassGEMM, "H100", "bf16"); g == nil || g.Calibrated.Noisy != 8 || g.Calibrated.WorstSpread > NoisySpread {
		t.Errorf("gemm H100 bf16: want 8 noisy points and a steady worst point: %+v", g)
	}
	loo := map[calibration.Class]float64{calibration.ClassDecode: 14.5, calibration.ClassPrefill: 11.4}
	for _, r := range rep.LOO {
		if want, ok := loo[r.HeldOut]; ok && math.Abs(r.Stats.Median-want) > 0.15 {
			t.Errorf("leave-one-class-out %s: median %.2f%%, pinned %.1f%%", r.HeldOut, r.Stats.Median, want)
		}
	}
	if len(rep.LOO) != 2 {
		t.Errorf("%d leave-one-class-out rows, want 2", len(rep.LOO))
	}
}
