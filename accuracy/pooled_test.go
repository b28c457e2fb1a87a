package accuracy

import (
	"math"
	"sort"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// The pooled MoE training row is the median and max over the MoE runs
// themselves (computed here from Report.Runs), not over the rows'
// medians; the serving row counts every serve/moe row's points.
func TestMoEPooled(t *testing.T) {
	rep := reference(t)
	pooled := rep.MoEPooled()
	if len(pooled) != 2 {
		t.Fatalf("%d pooled rows, want training and serving", len(pooled))
	}
	train, serve := &pooled[0], &pooled[1]
	if train.Name() != "train-dist/moe" || serve.Name() != "serve/moe" || train.Hardware != PooledHardware {
		t.Fatalf("pooled rows %q on %q, %q", train.Name(), train.Hardware, serve.Name())
	}
	var errs []float64
	for i := range rep.Runs {
		p := &rep.Runs[i]
		if RunClass(&p.Run) == RunMoE {
			errs = append(errs, math.Abs(p.Calibrated/p.Measured-1)*100)
		}
	}
	sort.Float64s(errs)
	n := len(errs)
	med := (errs[(n-1)/2] + errs[n/2]) / 2
	if train.Calibrated.N != n || math.Abs(train.Calibrated.Median-med) > 1e-9 || train.Calibrated.Max != errs[n-1] {
		t.Errorf("pooled training: n %d median %g max %g, want %d, %g, %g", train.Calibrated.N, train.Calibrated.Median, train.Calibrated.Max, n, med, errs[n-1])
	}
	want := 0
	for i := range rep.Rows {
		if r := &rep.Rows[i]; r.Class == calibration.ClassServe && r.Mode == RunMoE {
			want += r.Calibrated.N
		}
	}
	if serve.Calibrated.N != want || serve.HeldOut.N != want || want == 0 {
		t.Errorf("pooled serving: %d points (%d held out), want %d", serve.Calibrated.N, serve.HeldOut.N, want)
	}
}
