package dse

import (
	"slices"
	"strings"
	"testing"
)

// A plot entry's filter, splits, value key and style reach PlotSpec.
func TestPlotEntryKeys(t *testing.T) {
	s := mustParse(t, "fixed: {mode: training}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100, B200]\n  tp: [1, 2]\n  pp: [1, 2]\n"+
		"plots:\n  - {kind: heatmap, x: tp, y: pp, z: latency_s, where: 'hardware == \"H100\" && tp <= 2', one_per: model, facet: tp,\n"+
		"     title: Step time, x_label: TP, y_label: PP, width: double, height: 3, font_size: 9, x_scale: linear, y_scale: log, legend: none,\n"+
		"     x_limits: [1, 8], y_limits: [0.001, 0.1]}\n")
	p := s.Plots[0]
	want := PlotStyle{Title: "Step time", XLabel: "TP", YLabel: "PP", Width: 7, Height: 3, FontSize: 9, XScale: "linear", YScale: "log", Legend: "none",
		XLimits: [2]float64{1, 8}, YLimits: [2]float64{0.001, 0.1}}
	if p.Z != "latency_s" || p.Where != `hardware == "H100" && tp <= 2` || !slices.Equal(p.OnePer, []string{"model"}) || p.Facet != "tp" || p.Style != want {
		t.Errorf("plot %+v", p)
	}
}

// Legend position and columns and the font family reach PlotSpec; bad
// values are errors that name the key.
func TestPlotEntryLegendFont(t *testing.T) {
	grid := "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [1, 2]\nplots:\n"
	s := mustParse(t, grid+"  - {kind: lines, x: batch_size, y: latency_s, legend: bottom-left, legend_columns: 2, font: serif}\n")
	if st := s.Plots[0].Style; st.Legend != "bottom-left" || st.LegendColumns != 2 || st.Font != "serif" {
		t.Errorf("style %+v", st)
	}
	for _, bad := range []string{"legend: middle", "legend_columns: 0", "legend_columns: 1.5", "font: comic"} {
		_, err := ParseSpec("t.yaml", []byte(grid+"  - {kind: lines, "+bad+"}\n"))
		key, _, _ := strings.Cut(bad, ":")
		if err == nil || !strings.Contains(err.Error(), "plots[0]."+key) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// A Filter evaluates the constraint language over columns.
func TestCompileFilter(t *testing.T) {
	f, err := CompileFilter(`hardware == "H100" && tp * pp <= 8 && feasible`, []string{"tp", "pp"}, []string{"hardware"}, []string{"feasible"})
	if err != nil {
		t.Fatal(err)
	}
	set := func(hw string, tp, pp float64, feas bool) {
		for _, u := range f.Uses {
			switch u.Name {
			case "hardware":
				f.Str[u.Slot] = hw
			case "tp":
				f.Num[u.Slot] = tp
			case "pp":
				f.Num[u.Slot] = pp
			case "feasible":
				f.Num[u.Slot] = b2f(feas)
			}
		}
	}
	for _, c := range []struct {
		hw     string
		tp, pp float64
		feas   bool
		want   bool
	}{{"H100", 2, 4, true, true}, {"H100", 4, 4, true, false}, {"B200", 1, 1, true, false}, {"H100", 1, 1, false, false}} {
		set(c.hw, c.tp, c.pp, c.feas)
		if got, err := f.Match(); err != nil || got != c.want {
			t.Errorf("%+v: Match() = %v, %v", c, got, err)
		}
	}
	if _, err := CompileFilter("tpp > 1", []string{"tp"}, nil, nil); err == nil {
		t.Error("an unknown column compiled")
	}
}

func FuzzCompileFilter(f *testing.F) {
	f.Add(`hardware == "H100" && tp <= 8`)
	f.Add("tp * pp > 4 || !feasible")
	f.Fuzz(func(t *testing.T, src string) {
		flt, err := CompileFilter(src, []string{"tp", "pp"}, []string{"hardware"}, []string{"feasible"})
		if err != nil {
			return
		}
		_, _ = flt.Match()
	})
}

// Match does not allocate: it runs once per row of a figure.
func TestFilterMatchAllocs(t *testing.T) {
	f, err := CompileFilter(`hardware != "H100" && tp * pp <= 8`, []string{"tp", "pp"}, []string{"hardware"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Str[0], f.Num[0], f.Num[1] = "B200", 2, 2
	if n := testing.AllocsPerRun(100, func() { _, _ = f.Match() }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}
