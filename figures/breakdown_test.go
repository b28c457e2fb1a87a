package figures

import (
	"math"
	"slices"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// openClassRun writes a training run whose rows split their replica by
// operation class (calibrated), or do not (mlsysim: the time_*_s columns
// 0), or lack a part (null comm_tp_s), or their total (null step).
func openClassRun(t *testing.T) *Source {
	t.Helper()
	out := t.TempDir()
	cols := []string{"step_time_s", "replica_s", "time_matmul_s", "time_attention_s", "time_elementwise_s",
		"time_optimizer_s", "time_overhead_s", "comm_dp_s", "comm_tp_s", "bubble_s", "straggler_s"}
	schema := &outputs.Schema{Cols: []outputs.ColumnSpec{{Name: "fidelity", Type: outputs.String}, {Name: "tp", Type: outputs.Int64}}}
	for _, c := range cols {
		schema.Cols = append(schema.Cols, outputs.ColumnSpec{Name: c, Type: outputs.Float64, Unit: "s", Nullable: true})
	}
	w := newPart(t, out, schema)
	b := outputs.NewBatch(schema, 8)
	nan := math.NaN()
	for i, r := range []struct {
		fid  string
		vals []float64 // cols; NaN: null
	}{
		//                     step  replica mm   attn elt  opt  ovh  dp   tp   bubble straggler
		{"calibrated", []float64{10, 8, 4, 1, 2, 0.5, 0.5, 1, 0.5, 0.5, 0}},
		{"mlsysim", []float64{11, 9, 0, 0, 0, 0, 0, 1, 0.5, 0.5, 0}},
		{"calibrated", []float64{12, 9, 4, 2, 2, 0.5, 0.5, 1, nan, 1, 1}},
		{"calibrated", []float64{nan, 8, 4, 1, 2, 0.5, 0.5, 1, 0.5, 0.5, 0}},
	} {
		b.Cols[0].S = append(b.Cols[0].S, r.fid)
		b.Cols[1].I = append(b.Cols[1].I, int64(i+1))
		for j, v := range r.vals {
			c := &b.Cols[2+j]
			c.F = append(c.F, v)
			if math.IsNaN(v) {
				c.F[len(c.F)-1] = 0
			}
			c.Valid = append(c.Valid, !math.IsNaN(v))
		}
		b.Len++
	}
	return writeAndOpen(t, w, b, out)
}

// The breakdown stacks the operation classes of a calibrated row, an
// mlsysim row's replica as one compute part, and each bar's parts sum to
// its step; a null part counts 0, a row with a null step is left out.
func TestBreakdownClasses(t *testing.T) {
	src := openClassRun(t)
	bars, _, err := Breakdown{}.bars(src, &Request{})
	if err != nil || bars == nil {
		t.Fatalf("%v, %v", bars, err)
	}
	want := []string{"matmul", "attention", "element-wise", "optimizer", "launch/dispatch", "compute", "DP comm.", "TP comm.", "bubble", "straggler"}
	if !slices.Equal(bars.Series, want) {
		t.Errorf("series %q, want %q", bars.Series, want)
	}
	if len(bars.Totals) != 3 {
		t.Fatalf("%d bars, want 3 (the row with a null step left out)", len(bars.Totals))
	}
	for k, total := range bars.Totals {
		sum := 0.0
		for s := range bars.Series {
			sum += bars.Values[s][k]
		}
		if math.Abs(sum-total) > 1e-12 {
			t.Errorf("bar %d (%q): parts %v, total %v", k, bars.Categories[k], sum, total)
		}
	}
	compute := bars.Values[slices.Index(want, "compute")]
	if !slices.Equal(compute, []float64{0, 9, 0}) {
		t.Errorf("compute %v, want only the mlsysim row's replica (9)", compute)
	}
	if bars.Colors[0] == bars.Colors[len(bars.Colors)-1] || len(bars.Colors) != len(want) {
		t.Errorf("colours %v", bars.Colors)
	}
}

// A serving run has no step: the breakdown splits its decode step (itl_s)
// by default, its null rows (unpriced) left out.
func TestBreakdownServingDefault(t *testing.T) {
	out := t.TempDir()
	cols := []string{"itl_s", "decode_matmul_s", "decode_attention_s"}
	schema := &outputs.Schema{Cols: []outputs.ColumnSpec{{Name: "hardware", Type: outputs.String}}}
	for _, c := range cols {
		schema.Cols = append(schema.Cols, outputs.ColumnSpec{Name: c, Type: outputs.Float64, Unit: "s", Nullable: true})
	}
	w := newPart(t, out, schema)
	b := outputs.NewBatch(schema, 4)
	for i, priced := range []bool{true, false} {
		b.Cols[0].S = append(b.Cols[0].S, []string{"H100", "A100"}[i])
		for j, v := range []float64{3, 2, 1} {
			b.Cols[1+j].F = append(b.Cols[1+j].F, v)
			b.Cols[1+j].Valid = append(b.Cols[1+j].Valid, priced)
		}
		b.Len++
	}
	src := writeAndOpen(t, w, b, out)
	bars, base, err := Breakdown{}.bars(src, &Request{})
	if err != nil || bars == nil {
		t.Fatalf("%v, %v", bars, err)
	}
	if base != "breakdown-itl_s" || len(bars.Totals) != 1 || bars.Totals[0] != 3 {
		t.Errorf("%s: totals %v, want breakdown-itl_s with the one priced row's 3", base, bars.Totals)
	}
}
