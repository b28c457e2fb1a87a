package figures

import (
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/dse"
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
	w := newPart(t, out, schema)
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

// writeNullReplicasRun writes the capacity run as the engine writes it now: where
// the SLA is not met, replicas is null (no stand-in), and no sla_met column
// guards it.
func writeNullReplicasRun(t *testing.T) *Source {
	t.Helper()
	out := t.TempDir()
	schema := &outputs.Schema{Cols: []outputs.ColumnSpec{
		{Name: "hardware", Type: outputs.String},
		{Name: "qps", Type: outputs.Float64},
		{Name: "replicas", Type: outputs.Float64, Nullable: true},
		{Name: "cost_per_mtok_usd", Type: outputs.Float64, Unit: "USD", Nullable: true},
		{Name: "feasible", Type: outputs.Bool},
	}}
	w := newPart(t, out, schema)
	b := outputs.NewBatch(schema, 16)
	for _, hw := range []string{"H100", "B200"} {
		for _, q := range []float64{1, 10, 50} {
			met := !(hw == "B200" && q == 50)
			c := b.Cols
			c[0].S = append(c[0].S, hw)
			c[1].F = append(c[1].F, q)
			c[2].F = append(c[2].F, q/5)
			c[2].Valid = append(c[2].Valid, met)
			c[3].F = append(c[3].F, 2)
			c[3].Valid = append(c[3].Valid, met)
			c[4].B = append(c[4].B, true)
			b.Len++
		}
	}
	return writeAndOpen(t, w, b, out)
}

// A null replicas or price is never drawn: no point at 0, no point at all,
// in every kind that reads it; a where that reads it does not keep the row.
func TestNullReplicasNotPlotted(t *testing.T) {
	src := writeNullReplicasRun(t)
	for _, all := range []bool{false, true} {
		fig, _, err := Lines{}.Build(src, &Request{X: "qps", Y: "replicas", Group: "hardware", AllRows: all})
		if err != nil {
			t.Fatal(err)
		}
		if fig.Plot.Y.Min < -1 || fig.Plot.Y.Max > 11 {
			t.Errorf("all rows %v: y axis [%v, %v]; a null is drawn", all, fig.Plot.Y.Min, fig.Plot.Y.Max)
		}
		if !strings.Contains(fig.Footnote, "of 5 rows") {
			t.Errorf("all rows %v: footnote %q, want 5 rows (6 less the null)", all, fig.Footnote)
		}
	}
	// A where that reads a null does not match the row, whatever its form.
	for _, where := range []string{"not (replicas > 100)", "cost_per_mtok_usd != 0"} {
		req := &Request{X: "qps", Y: "qps", Where: where}
		var err error
		if req.filter, err = src.compileFilter(where); err != nil {
			t.Fatal(err)
		}
		fig, _, err := Lines{}.Build(src, req)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(fig.Footnote, "of 5 rows") {
			t.Errorf("where %q: footnote %q, want 5 rows (6 less the null)", where, fig.Footnote)
		}
	}
	fig, _, err := Pareto{}.Build(src, &Request{Objectives: []dse.Objective{{Name: "replicas"}, {Name: "cost_per_mtok_usd"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fig.Footnote, "5 configs") {
		t.Errorf("pareto: footnote %q, want the 5 rows whose objectives are not null", fig.Footnote)
	}
	fig, _, err = CDF{}.Build(src, &Request{X: "cost_per_mtok_usd"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fig.Footnote, "5") {
		t.Errorf("cdf: footnote %q, want the 5 values that are not null", fig.Footnote)
	}
}

// A training run on a registry system (system set, hardware empty, as the
// engine writes it) is drawn under its accelerator's roof, not skipped as
// having no rows; a null mfu (an unpriced row) is no point.
func TestRooflineSystemRows(t *testing.T) {
	out := t.TempDir()
	schema := &outputs.Schema{Cols: []outputs.ColumnSpec{
		{Name: "hardware", Type: outputs.String},
		{Name: "system", Type: outputs.String},
		{Name: "mode", Type: outputs.String},
		{Name: "precision", Type: outputs.String},
		{Name: "arithmetic_intensity", Type: outputs.Float64, Unit: "FLOP/B", Nullable: true},
		{Name: "mfu", Type: outputs.Float64, Nullable: true},
		{Name: "feasible", Type: outputs.Bool},
	}}
	w := newPart(t, out, schema)
	b := outputs.NewBatch(schema, 4)
	for i, priced := range []bool{true, true, false} {
		c := b.Cols
		c[0].S = append(c[0].S, "")
		c[1].S = append(c[1].S, "Training_1K")
		c[2].S = append(c[2].S, "training")
		c[3].S = append(c[3].S, "bf16")
		c[4].F = append(c[4].F, 1000*float64(i+1))
		c[4].Valid = append(c[4].Valid, priced)
		c[5].F = append(c[5].F, 0.4)
		c[5].Valid = append(c[5].Valid, priced)
		c[6].B = append(c[6].B, priced)
		b.Len++
	}
	src := writeAndOpen(t, w, b, out)
	fig, _, err := Roofline{}.Build(src, &Request{AllRows: true})
	if err != nil || fig == nil {
		t.Fatalf("figure %v, err %v: a system's rows are not drawn", fig, err)
	}
	if !strings.Contains(fig.Footnote, "2 configs") {
		t.Errorf("footnote %q, want the 2 priced rows", fig.Footnote)
	}
}

// Lines and heatmaps whose rows are all null (unpriced or infeasible) draw
// nothing, as the other kinds: no empty axes, no colour scale of zeros.
func TestAllNullNotDrawn(t *testing.T) {
	src := writeNullReplicasRun(t)
	filter := func(r *Request) *Request {
		var err error
		// the one row whose replicas are null
		if r.filter, err = src.compileFilter(`hardware == "B200" && qps == 50`); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if f, _, err := (Lines{}).Build(src, filter(&Request{X: "qps", Y: "replicas", Group: "hardware", AllRows: true})); err != nil || f != nil {
		t.Errorf("lines: figure %v, err %v; want none", f != nil, err)
	}
	if f, _, err := (Heatmap{}).Build(src, filter(&Request{X: "hardware", Y: "qps", Z: "replicas", AllRows: true})); err != nil || f != nil {
		t.Errorf("heatmap: figure %v, err %v; want none", f != nil, err)
	}
	// The rows with a value still draw.
	if f, _, err := (Heatmap{}).Build(src, &Request{X: "hardware", Y: "qps", Z: "replicas", AllRows: true}); err != nil || f == nil {
		t.Errorf("heatmap of the priced rows: figure %v, err %v", f != nil, err)
	}
}
