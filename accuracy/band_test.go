package accuracy

import (
	"bytes"
	"flag"
	"math"
	"os"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
)

var updateBands = flag.Bool("update", false, "rewrite calibration/data/bands.json from the reference report")

// The committed error bands (calibration/data/bands.json) are what the
// held-out residuals of the reference report give, byte for byte:
// `go test ./accuracy -run TestBandsReproduce -update` rewrites them after
// a model change.
func TestBandsReproduce(t *testing.T) {
	rep := reference(t)
	b, checks := rep.Bands(calibration.BandCoverage)
	for _, ck := range checks {
		t.Logf("%-15s n=%3d sources=%2d band [%.3f, %.3f] coverage %.0f%% cross-source %.0f%%", ck.Class, ck.Band.N, ck.Band.Sources,
			ck.Band.Lo, ck.Band.Hi, ck.Coverage*100, ck.CrossCoverage*100)
	}
	const path = "../calibration/data/" + calibration.BandsFile
	got := b.Marshal()
	if *updateBands {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("bands recomputed from the held-out residuals differ from %s (rerun with -update after a model change):\n%s", path, got)
	}
	// What the file holds is what the engine reads.
	rb, err := calibration.ReadBands(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	for c := calibration.BandClass(0); c < calibration.NumBandClasses; c++ {
		g, ok1 := b.Get(c)
		w, ok2 := rb.Get(c)
		if ok1 != ok2 || g != w {
			t.Errorf("%s: recomputed %+v, file %+v", c, g, w)
		}
	}
}

// The stated coverage holds on the points the bands come from (within 10
// points for every class of at least 10 points: a class of n points moves
// in steps of 1/n) and every band contains its prediction.
func TestBandCoverage(t *testing.T) {
	rep := reference(t)
	_, checks := rep.Bands(calibration.BandCoverage)
	if len(checks) == 0 {
		t.Fatal("no band classes")
	}
	for _, ck := range checks {
		if !(ck.Band.Lo <= 1 && ck.Band.Hi >= 1) {
			t.Errorf("%s: band [%g, %g] does not contain the prediction", ck.Class, ck.Band.Lo, ck.Band.Hi)
		}
		if ck.Band.N >= 10 && !(math.Abs(ck.Coverage-calibration.BandCoverage) <= 0.10) {
			t.Errorf("%s: coverage %.0f%% of %d points, stated %.0f%%", ck.Class, ck.Coverage*100, ck.Band.N, calibration.BandCoverage*100)
		}
	}
}
