package figures

import (
	"bytes"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// nullSchema has the columns every kind draws from, each output nullable.
var nullSchema = func() *outputs.Schema {
	s := &outputs.Schema{Cols: []outputs.ColumnSpec{
		{Name: "hardware", Type: outputs.String},
		{Name: "precision", Type: outputs.String},
		{Name: "mode", Type: outputs.String},
		{Name: "batch_size", Type: outputs.Int64},
		{Name: "tp", Type: outputs.Int64},
		{Name: "pp", Type: outputs.Int64},
	}}
	for _, c := range [][2]string{{"gpus_used", ""}, {"latency_s", "s"}, {"tokens_per_s", "1/s"}, {"arithmetic_intensity", "FLOP/B"},
		{"mfu", ""}, {"step_time_s", "s"}, {"replica_s", "s"}, {"comm_dp_s", "s"}, {"bubble_s", "s"}} {
		s.Cols = append(s.Cols, outputs.ColumnSpec{Name: c[0], Type: outputs.Float64, Unit: c[1], Nullable: true})
	}
	s.Cols = append(s.Cols, outputs.ColumnSpec{Name: "feasible", Type: outputs.Bool})
	return s
}()

// writeNullRun writes a feasible run over hardware × batch × tp × pp; with
// nulls, each configuration a second time with every output but gpus_used
// null (the outputs that mean "unreachable").
func writeNullRun(t *testing.T, nulls bool) *Source {
	t.Helper()
	out := t.TempDir()
	w := newPart(t, out, nullSchema)
	b := outputs.NewBatch(nullSchema, 256)
	row := func(hw string, bs, tp, pp int64, valid func(col int) bool) {
		g := float64(tp * pp * 8)
		lat := 1e-3*float64(bs)/float64(tp) + 1e-4*float64(pp)
		rep := 0.9 * lat
		vals := []float64{g, lat, float64(bs) / lat, 2 * float64(bs), 0.1 + 0.01*float64(bs%7), lat, rep, 0.05 * lat, 0.05 * lat}
		c := b.Cols
		c[0].S = append(c[0].S, hw)
		c[1].S = append(c[1].S, "fp16")
		c[2].S = append(c[2].S, "inference")
		c[3].I = append(c[3].I, bs)
		c[4].I = append(c[4].I, tp)
		c[5].I = append(c[5].I, pp)
		for j, v := range vals {
			ok := valid(j)
			if !ok {
				v = 0
			}
			c[6+j].F, c[6+j].Valid = append(c[6+j].F, v), append(c[6+j].Valid, ok)
		}
		c[15].B = append(c[15].B, true)
		b.Len++
	}
	for _, hw := range []string{"H100", "B200"} {
		for _, bs := range []int64{1, 4, 16} {
			for _, tp := range []int64{1, 2} {
				for _, pp := range []int64{1, 2} {
					row(hw, bs, tp, pp, func(int) bool { return true })
					if nulls { // the same configuration, unreachable: every output null
						row(hw, bs, tp, pp, func(j int) bool { return j == 0 }) // gpus_used stays
					}
				}
			}
		}
	}
	return writeAndOpen(t, w, b, out)
}

// A row whose outputs are null is never drawn: every kind draws the same
// figure, byte for byte, from a run with such rows as from the run
// without them, all rows asked for or not; and no kind draws NaN.
func TestNullsNotPlotted(t *testing.T) {
	with, without := writeNullRun(t, true), writeNullRun(t, false)
	requests := map[string]Request{
		"roofline":  {},
		"pareto":    {},
		"lines":     {X: "batch_size", Y: "latency_s"},
		"heatmap":   {X: "tp", Y: "pp", Z: "latency_s", Where: `hardware == "H100"`},
		"breakdown": {},
		"scaling":   {X: "gpus_used", Y: "tokens_per_s"},
		"cdf":       {X: "latency_s"},
		"bars":      {X: "hardware", Y: "tokens_per_s", Group: "tp"},
	}
	for _, k := range Kinds {
		for _, all := range []bool{false, true} {
			req, ok := requests[k.Name()]
			if !ok {
				t.Fatalf("no request for kind %s", k.Name())
			}
			req.Kinds, req.Formats, req.AllRows = []string{k.Name()}, []string{"svg"}, all
			var svgs [][]byte
			for _, src := range []*Source{with, without} {
				r := req
				r.Dir = t.TempDir()
				_, b := drawOne(t, src, r)
				svgs = append(svgs, b)
			}
			if !bytes.Equal(svgs[0], svgs[1]) {
				t.Errorf("%s (all rows %v): the rows with null outputs change the figure", k.Name(), all)
			}
			if bytes.Contains(svgs[0], []byte("NaN")) {
				t.Errorf("%s: NaN in the figure", k.Name())
			}
		}
	}
}

// A null category (a text output not computed for a row) is no bar, line
// or group: its rows are skipped, not drawn under "" or "NaN".
func TestNullCategorySkipped(t *testing.T) {
	out := t.TempDir()
	schema := &outputs.Schema{Cols: []outputs.ColumnSpec{
		{Name: "hardware", Type: outputs.String},
		{Name: "bottleneck", Type: outputs.String, Nullable: true},
		{Name: "mfu", Type: outputs.Float64, Nullable: true},
		{Name: "tokens_per_s", Type: outputs.Float64, Unit: "1/s", Nullable: true},
		{Name: "feasible", Type: outputs.Bool},
	}}
	w := newPart(t, out, schema)
	b := outputs.NewBatch(schema, 8)
	for i, r := range []struct {
		bn  string
		mfu float64
	}{{"Memory", 0.2}, {"Compute", 0.5}, {"", -1}, {"Memory", -1}} {
		c := b.Cols
		c[0].S = append(c[0].S, "H100")
		c[1].S, c[1].Valid = append(c[1].S, r.bn), append(c[1].Valid, r.bn != "")
		c[2].F, c[2].Valid = append(c[2].F, max(r.mfu, 0)), append(c[2].Valid, r.mfu >= 0)
		c[3].F, c[3].Valid = append(c[3].F, float64(1000*(i+1))), append(c[3].Valid, true)
		c[4].B = append(c[4].B, true)
		b.Len++
	}
	src := writeAndOpen(t, w, b, out)
	for _, x := range []string{"bottleneck", "mfu"} {
		fig, _, err := Bars{}.Build(src, &Request{X: x, Y: "tokens_per_s"})
		if err != nil || fig == nil {
			t.Fatalf("x %s: %v, %v", x, fig, err)
		}
		var cats []string
		for _, tk := range fig.Plot.X.Tick.Marker.Ticks(fig.Plot.X.Min, fig.Plot.X.Max) {
			if tk.Label != "" {
				cats = append(cats, tk.Label)
			}
		}
		want := map[string]int{"bottleneck": 2, "mfu": 2}[x]
		if len(cats) != want {
			t.Errorf("x %s: bars %q, want %d (no bar for null)", x, cats, want)
		}
		for _, c := range cats {
			if c == "" || c == "NaN" {
				t.Errorf("x %s: a bar %q for null", x, c)
			}
		}
	}
	for _, k := range []struct {
		kind Kind
		req  Request
	}{
		{Lines{}, Request{X: "mfu", Y: "tokens_per_s", Group: "bottleneck"}},
		{CDF{}, Request{X: "tokens_per_s", Group: "bottleneck"}},
		{Scaling{}, Request{X: "mfu", Y: "tokens_per_s", Group: "bottleneck"}},
	} {
		fig, _, err := k.kind.Build(src, &k.req)
		if err != nil || fig == nil {
			t.Fatalf("%s: %v, %v", k.kind.Name(), fig, err)
		}
		for _, l := range fig.LegendNames() {
			if l == "" || l == "NaN" {
				t.Errorf("%s: legend %q: a group for null", k.kind.Name(), fig.LegendNames())
			}
		}
	}
}
