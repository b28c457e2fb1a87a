package figures

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// writeCapacityRun writes a serving-capacity run over hardware × qps:
// at qps 50 the B200 rows miss the SLA and hold the stand-in replicas =
// 1024 (max_replicas).
func writeCapacityRun(t *testing.T, mode string) *Source {
	t.Helper()
	out := t.TempDir()
	schema := &outputs.Schema{Cols: []outputs.ColumnSpec{
		{Name: "hardware", Type: outputs.String},
		{Name: "mode", Type: outputs.String},
		{Name: "precision", Type: outputs.String},
		{Name: "qps", Type: outputs.Float64},
		{Name: "replicas", Type: outputs.Float64},
		{Name: "sla_met", Type: outputs.Bool},
		{Name: "arithmetic_intensity", Type: outputs.Float64, Unit: "FLOP/B"},
		{Name: "mfu", Type: outputs.Float64},
		{Name: "feasible", Type: outputs.Bool},
	}}
	path := filepath.Join(out, "results", "part-00000.parquet")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := outputs.NewParquetWriter(path, schema, outputs.Metadata{"mlsysim.version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	b := outputs.NewBatch(schema, 16)
	for _, hw := range []string{"H100", "B200"} {
		for _, q := range []float64{1, 10, 50} {
			met := !(hw == "B200" && q == 50)
			r := q / 5
			if !met {
				r = 1024
			}
			c := b.Cols
			c[0].S = append(c[0].S, hw)
			c[1].S = append(c[1].S, mode)
			c[2].S = append(c[2].S, "fp16")
			c[3].F = append(c[3].F, q)
			c[4].F = append(c[4].F, r)
			c[5].B = append(c[5].B, met)
			c[6].F = append(c[6].F, 10*q)
			c[7].F = append(c[7].F, 0.01)
			c[8].B = append(c[8].B, true)
			b.Len++
		}
	}
	return writeAndOpen(t, w, b, out)
}

// replicas = max_replicas where the SLA is not met is never drawn, even
// with every row asked for.
func TestSentinelsNotPlotted(t *testing.T) {
	src := writeCapacityRun(t, "serving")
	for _, all := range []bool{false, true} {
		fig, _, err := Lines{}.Build(src, &Request{X: "qps", Y: "replicas", AllRows: all})
		if err != nil {
			t.Fatal(err)
		}
		if max := fig.Plot.Y.Max; max >= 1024 {
			t.Errorf("all rows %v: the y axis reaches %v: the stand-in 1024 is drawn", all, max)
		}
		if !strings.Contains(fig.Footnote, "of 5 rows") {
			t.Errorf("all rows %v: footnote %q, want 5 rows (6 less the B200 row that misses the SLA)", all, fig.Footnote)
		}
	}
}

// Roofline points sit at mfu·P where mfu and the intensity describe the
// same work, and on the roof for serving rows; the footnote says which.
func TestRooflineAchieved(t *testing.T) {
	for mode, want := range map[string]string{"inference": "at mfu·P", "serving": "at min(I·B, P)"} {
		src := writeCapacityRun(t, mode)
		fig, _, err := Roofline{}.Build(src, &Request{})
		if err != nil || fig == nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if !strings.Contains(fig.Footnote, want) {
			t.Errorf("%s: footnote %q lacks %q", mode, fig.Footnote, want)
		}
	}
}
