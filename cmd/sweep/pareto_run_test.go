package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// The Pareto set a real run writes (the default sweep: maximize tokens_per_s,
// minimize itl_s, per model) equals the brute-force O(n²) front of its
// feasible result rows, compared by configuration index.
func TestParetoOfRealRunMatchesBruteForce(t *testing.T) {
	out := t.TempDir()
	if code, so, se := runCLI(t, "run", "--out", out, "--progress", "none"); code != 0 {
		t.Fatalf("exit %d: %s %s", code, so, se)
	}
	type pt struct {
		idx      int64
		model    string
		tps, itl float64
		feasible bool
	}
	read := func(files []string) []pt {
		var pts []pt
		err := outputs.ReadColumns(files, []string{"index", "model", "tokens_per_s", "itl_s", "feasible"}, func(b *outputs.ColumnBatch) error {
			for i := 0; i < b.Len; i++ {
				pts = append(pts, pt{int64(b.Cols[0].Float[i]), b.Cols[1].String[i], b.Cols[2].Float[i], b.Cols[3].Float[i], b.Cols[4].Bool[i]})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return pts
	}
	files, err := outputs.ResultFiles(out)
	if err != nil {
		t.Fatal(err)
	}
	all := read(files)
	var want []int64
	for _, a := range all {
		if !a.feasible {
			continue
		}
		dominated := false
		for _, b := range all {
			if !b.feasible || b.model != a.model {
				continue
			}
			noWorse := b.tps >= a.tps && b.itl <= a.itl
			better := b.tps > a.tps || b.itl < a.itl
			// Identical points: the lowest index stays.
			if noWorse && (better || b.idx < a.idx) {
				dominated = true
				break
			}
		}
		if !dominated {
			want = append(want, a.idx)
		}
	}
	var got []int64
	for _, p := range read([]string{filepath.Join(out, "pareto.parquet")}) {
		got = append(got, p.idx)
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("pareto.parquet holds %v, brute force gives %v", got, want)
	}
}
