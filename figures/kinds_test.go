package figures

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// openTrainingRun writes a synthetic training run over model × tp × pp
// (GPUs = 8·tp·pp): the step is the replica's compute (falling with the
// GPUs, with diminishing returns) plus TP and DP communication and a
// bubble that grows with pp, and its parts add up to step_time_s.
func openTrainingRun(t *testing.T) *Source {
	t.Helper()
	out := t.TempDir()
	schema := &outputs.Schema{Cols: []outputs.ColumnSpec{
		{Name: "model", Type: outputs.String},
		{Name: "tp", Type: outputs.Int64},
		{Name: "pp", Type: outputs.Int64},
		{Name: "gpus_used", Type: outputs.Float64},
		{Name: "step_time_s", Type: outputs.Float64, Unit: "s"},
		{Name: "replica_s", Type: outputs.Float64, Unit: "s"},
		{Name: "comm_dp_s", Type: outputs.Float64, Unit: "s"},
		{Name: "comm_tp_s", Type: outputs.Float64, Unit: "s"},
		{Name: "comm_pp_s", Type: outputs.Float64, Unit: "s"},
		{Name: "bubble_s", Type: outputs.Float64, Unit: "s"},
		{Name: "tokens_per_s", Type: outputs.Float64, Unit: "1/s"},
		{Name: "feasible", Type: outputs.Bool},
	}}
	w := newPart(t, out, schema)
	b := outputs.NewBatch(schema, 64)
	for m, model := range []string{"Llama3_8B", "Llama3_70B"} {
		for _, tp := range []int64{1, 2, 4, 8} {
			for _, pp := range []int64{1, 2, 4} {
				g := float64(8 * tp * pp)
				replica := float64(10*(m*8+1)) / math.Pow(g, 0.9)
				dp, tpc, bub := 0.02*replica, 0.01*float64(tp-1), replica*float64(pp-1)/16
				step := replica + dp + tpc + bub
				c := b.Cols
				c[0].S = append(c[0].S, model)
				c[1].I = append(c[1].I, tp)
				c[2].I = append(c[2].I, pp)
				for j, v := range []float64{g, step, replica, dp, tpc, 0, bub, 1e6 / step} {
					c[3+j].F = append(c[3+j].F, v)
				}
				c[11].B = append(c[11].B, true)
				b.Len++
			}
		}
	}
	return writeAndOpen(t, w, b, out)
}

// The stacked breakdown shows the ten fastest configurations (or the
// fastest per value of x), each bar's parts, and labels naming what
// differs between the bars; parts that are zero everywhere (PP comm.)
// are left out.
func TestBreakdown(t *testing.T) {
	src := openTrainingRun(t)
	fig, base, err := Breakdown{}.Build(src, &Request{Where: ""})
	if err != nil || fig == nil {
		t.Fatalf("%v, %v", fig, err)
	}
	if base != "breakdown-step_time_s" {
		t.Errorf("base %q", base)
	}
	if want := []string{"compute", "DP comm.", "TP comm.", "bubble", "total"}; !slices.Equal(fig.LegendNames(), want) {
		t.Errorf("legend %q, want %q", fig.LegendNames(), want)
	}
	ticks := fig.Plot.Y.Tick.Marker.Ticks(fig.Plot.Y.Min, fig.Plot.Y.Max)
	if len(ticks) != 10 || !strings.Contains(ticks[0].Label, "tp=") {
		t.Errorf("%d bars, first %q; want 10 labelled by their parameters", len(ticks), ticks[0].Label)
	}
	fig, base, err = Breakdown{}.Build(src, &Request{X: "model"})
	if err != nil || fig == nil {
		t.Fatalf("%v, %v", fig, err)
	}
	ticks = fig.Plot.Y.Tick.Marker.Ticks(fig.Plot.Y.Min, fig.Plot.Y.Max)
	if base != "breakdown-step_time_s-by-model" || len(ticks) != 2 {
		t.Errorf("base %q, %d bars; want one per model", base, len(ticks))
	}
	_, _, err = Breakdown{}.Build(openRun(t, 100), &Request{})
	var re *RequestError
	if !errors.As(err, &re) {
		t.Errorf("a serving run: %v, want a request error", err)
	}
}

// Scaling draws throughput against GPUs per model with the ideal line;
// CDF and grouped bars draw from the same run.
func TestScalingCDFBars(t *testing.T) {
	src := openTrainingRun(t)
	fig, base, err := Scaling{}.Build(src, &Request{})
	if err != nil || fig == nil {
		t.Fatalf("%v, %v", fig, err)
	}
	if base != "scaling-tokens_per_s-vs-gpus_used-by-model" || !strings.Contains(fig.Footnote, "ideal") {
		t.Errorf("base %q, footnote %q", base, fig.Footnote)
	}
	if want := []string{"Llama3_8B", "Llama3_70B"}; !slices.ContainsFunc(fig.LegendNames(), func(s string) bool { return s == want[0] }) {
		t.Errorf("legend %q", fig.LegendNames())
	}
	fig, base, err = CDF{}.Build(src, &Request{X: "step_time_s", Group: "model"})
	if err != nil || fig == nil || base != "cdf-step_time_s-by-model" {
		t.Fatalf("%v, %q, %v", fig, base, err)
	}
	fig, base, err = Bars{}.Build(src, &Request{X: "model", Y: "tokens_per_s", Group: "tp"})
	if err != nil || fig == nil || base != "bars-tokens_per_s-by-model-and-tp" {
		t.Fatalf("%v, %q, %v", fig, base, err)
	}
	if want := []string{"1", "2", "4", "8"}; !slices.Equal(fig.LegendNames(), want) {
		t.Errorf("legend %q, want %q", fig.LegendNames(), want)
	}
}

// The CDF of n values reaches each value's rank over n, to a bin (a
// 2048th of three decades: 0.34 % of the value, three values near 900).
func TestCDFFractions(t *testing.T) {
	var ext plots.Extent
	for i := 1; i <= 1000; i++ {
		ext.Observe(float64(i))
	}
	c := plots.NewCDF(plots.Axis{Name: "latency_s", Unit: "s"}, ext, "")
	for i := 1; i <= 1000; i++ {
		c.Add(float64(i), "")
	}
	for _, v := range []float64{100, 500, 900} {
		if got := c.Fraction("", v); math.Abs(got-v/1000) > 0.005 {
			t.Errorf("Fraction(%v) = %v, want %v", v, got, v/1000)
		}
	}
}
