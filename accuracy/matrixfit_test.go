package accuracy

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
)

// TestMatrixFactorsReproduce refits the derived profiles' matrix factors
// committed in calibration/data/matrix_fits.json to the published dense
// Megatron-Core runs and checks the committed values (the factor, its rows
// and releases, the factor fitted without each release); with -update it
// rewrites the file's fitted fields where they differ.
func TestMatrixFactorsReproduce(t *testing.T) {
	rep := reference(t)
	fitted := map[string]MatrixFactorFit{}
	for _, f := range rep.MatrixFactors {
		fitted[f.Hardware] = f
		t.Logf("%s: n=%d factor %.6f (committed %.6f, max %.4f); without each release %v", f.Hardware, f.N, f.Factor, f.Committed, f.Max, f.WithoutS)
	}
	same := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(b), 1e-3) }
	stale := false
	var doc calibration.MatrixFitsDoc
	const path = "../calibration/data/" + calibration.MatrixFitsFile
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for i := range doc.Fits {
		c := &doc.Fits[i]
		f, ok := fitted[c.Hardware]
		if !ok || f.N == 0 {
			t.Errorf("%s: a committed matrix factor with no published dense run to fit it to", c.Hardware)
			continue
		}
		ok = same(f.Factor, c.Factor) && f.N == c.Rows && len(f.Releases) == len(c.Releases) && len(f.WithoutS) == len(c.WithoutRelease)
		for j, r := range f.Releases {
			ok = ok && j < len(c.Releases) && c.Releases[j] == r && same(f.WithoutS[r], c.WithoutRelease[r])
		}
		if ok {
			continue
		}
		if !*updateBands {
			t.Errorf("%s: fitted matrix factor %.6f over %d runs of %v (without each release %v), %s holds %.6f over %d of %v (%v) (rerun with -update)",
				c.Hardware, f.Factor, f.N, f.Releases, f.WithoutS, calibration.MatrixFitsFile, c.Factor, c.Rows, c.Releases, c.WithoutRelease)
			continue
		}
		c.Factor, c.Rows, c.Releases, c.WithoutRelease = f.Factor, f.N, f.Releases, f.WithoutS
		stale = true
	}
	if stale {
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&doc); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
	}
}
