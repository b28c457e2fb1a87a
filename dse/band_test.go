package dse_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// Every run writes the error bands; a row priced under fidelity mlsysim
// has none (null), a calibrated one brackets its latency.
func TestBandColumns(t *testing.T) {
	src := `grid:
  model: [Llama3_8B]
  hardware: [H100]
  mode: [training, serving]
  fidelity: [mlsysim, calibrated]
`
	spec, err := dse.ParseSpec("bands.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := dse.Run(context.Background(), spec, dse.Options{OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	files, _ := outputs.ResultFiles(filepath.Join(dir, "results"))
	n := 0
	err = outputs.ReadColumns(files, []string{"fidelity", "latency_s", "latency_s_lo", "latency_s_hi"}, func(b *outputs.ColumnBatch) error {
		for i := range b.Len {
			n++
			lat, lo, hi := b.Cols[1].Float[i], b.Cols[2].Float[i], b.Cols[3].Float[i]
			switch b.Cols[0].String[i] {
			case "mlsysim":
				if !math.IsNaN(lo) || !math.IsNaN(hi) {
					t.Errorf("row %d (mlsysim): band [%v, %v], want null", i, lo, hi)
				}
			default:
				if !(lo > 0 && lo <= lat && lat <= hi) {
					t.Errorf("row %d (calibrated): latency %v, band [%v, %v]", i, lat, lo, hi)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("%d rows, want 4", n)
	}
}
