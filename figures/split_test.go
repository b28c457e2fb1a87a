package figures

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/plots"
)

// where keeps the rows of its expression, one_per draws a figure per value
// (in rank order), and a bad expression is a request error naming it.
func TestWhereAndOnePer(t *testing.T) {
	src := openRun(t, 2000)
	dir := t.TempDir()
	paths, err := Draw(src, Request{Kinds: []string{"lines"}, Where: `hardware != "H100" && tp <= 4`,
		OnePer: []string{"tp"}, Formats: []string{"svg"}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var bases []string
	for _, p := range paths {
		bases = append(bases, strings.TrimSuffix(filepath.Base(p), ".svg"))
	}
	want := []string{"lines-latency_s-vs-batch_size-by-hardware-tp=1", "lines-latency_s-vs-batch_size-by-hardware-tp=2", "lines-latency_s-vs-batch_size-by-hardware-tp=4"}
	if !slices.Equal(bases, want) {
		t.Fatalf("files %q, want %q", bases, want)
	}
	svg, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(svg), ">H100<") || !strings.Contains(string(svg), ">B200<") {
		t.Errorf("where kept H100 or dropped B200 in %s", paths[0])
	}
	_, err = Draw(src, Request{Kinds: []string{"lines"}, Where: "hardwre == 1", Dir: dir})
	var re *RequestError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "--where") {
		t.Errorf("a bad where: %v, want a *RequestError about --where", err)
	}
}

// A heatmap whose rows mix values of a registry column it does not show
// is drawn once per value; a where that fixes the column draws one.
func TestHeatmapNeverMixesRegistryColumns(t *testing.T) {
	src := openRun(t, 2000)
	dir := t.TempDir()
	paths, err := Draw(src, Request{Kinds: []string{"heatmap"}, Formats: []string{"svg"}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 || !strings.HasSuffix(paths[0], "-hardware=H100.svg") {
		t.Errorf("paths %q, want one heatmap per hardware", paths)
	}
	paths, err = Draw(src, Request{Kinds: []string{"heatmap"}, Where: `hardware == "MI300X"`, Formats: []string{"svg"}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 || filepath.Base(paths[0]) != "heatmap-latency_s-tp-pp.svg" {
		t.Errorf("paths %q, want one heatmap", paths)
	}
}

// Styling: a title, a double-column width, a font size and axis scales
// reach the figure; a bad scale is a request error.
func TestStyle(t *testing.T) {
	src := openRun(t, 2000)
	dir := t.TempDir()
	st := Style{Title: "Serving on three GPUs", XLabel: "Batch", Width: 7, Height: 3, FontSize: 10, XScale: "linear", YScale: "log"}
	path, svg := drawOne(t, src, Request{Kinds: []string{"lines"}, Formats: []string{"svg"}, Dir: dir, Style: st})
	for _, s := range []string{`width="504pt"`, `height="216pt"`, ">Serving on three GPUs<", ">Batch<"} {
		if !strings.Contains(string(svg), s) {
			t.Errorf("%s lacks %s", path, s)
		}
	}
	_, err := Draw(src, Request{Kinds: []string{"lines"}, Dir: dir, Style: Style{YScale: "ln"}})
	var re *RequestError
	if !errors.As(err, &re) {
		t.Errorf("a bad scale: %v, want a *RequestError", err)
	}
	if w, err := ParseWidth("double"); err != nil || w != 7 {
		t.Errorf("ParseWidth(double) = %v, %v", w, err)
	}
}

// A font family and a legend position and column count reach the figure
// (a serif font in the SVG, the legend above the axes); the sweep file
// accepts the same names as the figures; bad ones are request errors.
func TestStyleLegendFont(t *testing.T) {
	if !slices.Equal(dse.PlotLegends, plots.LegendPositions) || !slices.Equal(dse.PlotFonts, plots.FontFamilies) {
		t.Errorf("the sweep file's legends %q and fonts %q differ from the figures' %q and %q",
			dse.PlotLegends, dse.PlotFonts, plots.LegendPositions, plots.FontFamilies)
	}
	src := openRun(t, 2000)
	dir := t.TempDir()
	st := Style{Font: "serif", Legend: "top", LegendColumns: 2}
	path, svg := drawOne(t, src, Request{Kinds: []string{"lines"}, Formats: []string{"svg"}, Dir: dir, Style: st})
	if !strings.Contains(string(svg), "Liberation") || !strings.Contains(string(svg), "Serif") {
		t.Errorf("%s: no serif font", path)
	}
	for _, bad := range []Style{{Font: "comic"}, {Legend: "middle"}, {LegendColumns: -1}} {
		_, err := Draw(src, Request{Kinds: []string{"lines"}, Dir: dir, Style: bad})
		var re *RequestError
		if !errors.As(err, &re) {
			t.Errorf("%+v: %v, want a *RequestError", bad, err)
		}
	}
}

// The columns of registry names come from the vocabulary: a training
// sweep's system column is one, as model and hardware are.
func TestRegistryColumns(t *testing.T) {
	cols := registryColumns()
	for _, c := range []string{"model", "hardware", "system"} {
		if !slices.Contains(cols, c) {
			t.Errorf("registryColumns() = %q lacks %s", cols, c)
		}
	}
	if k, ok := registryKind("system"); !ok || k != "system" {
		t.Errorf("registryKind(system) = %q, %v", k, ok)
	}
	if _, ok := registryKind("tp"); ok {
		t.Error("tp is a registry column")
	}
}

// group_by draws a front per group, each labelled with its size, in the
// group's colour; the file name says so.
func TestParetoPerGroup(t *testing.T) {
	src := openRun(t, 3000)
	fig, base, err := Pareto{}.Build(src, &Request{GroupBy: []string{"hardware"}})
	if err != nil || fig == nil {
		t.Fatalf("%v, %v", fig, err)
	}
	if base != "pareto-tokens_per_s-vs-latency_s-per-hardware" {
		t.Errorf("base %q", base)
	}
	names := fig.LegendNames()
	if len(names) != 4 || names[0] != "Pareto front per hardware:" {
		t.Fatalf("legend %q, want a heading and three fronts", names)
	}
	id, err := src.Identity("hardware")
	if err != nil {
		t.Fatal(err)
	}
	for r, hw := range id.Labels() {
		if !strings.HasPrefix(names[1+r], hw+" (") {
			t.Errorf("legend entry %d is %q, want %s's front", 1+r, names[1+r], hw)
		}
	}
}

// facet draws small multiples: one panel per value, titled, sharing their
// axes, in one file; heatmap panels share one colour bar.
func TestFacet(t *testing.T) {
	src := openRun(t, 3000)
	dir := t.TempDir()
	paths, err := Draw(src, Request{Kinds: []string{"lines"}, Facet: "tp", Formats: []string{"svg"}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 || filepath.Base(paths[0]) != "lines-latency_s-vs-batch_size-by-hardware-facet-tp.svg" {
		t.Fatalf("paths %q", paths)
	}
	fig, _, err := (&Request{Facet: "tp"}).build(src, Lines{}, "")
	if err != nil {
		t.Fatal(err)
	}
	panels := fig.Panels()
	if len(panels) != 4 {
		t.Fatalf("%d panels, want one per tp (4)", len(panels))
	}
	for i, p := range panels[1:] {
		if p.Plot.Y.Min != panels[0].Plot.Y.Min || p.Plot.Y.Max != panels[0].Plot.Y.Max {
			t.Errorf("panel %d's y range [%v, %v] differs from panel 0's [%v, %v]", i+1, p.Plot.Y.Min, p.Plot.Y.Max, panels[0].Plot.Y.Min, panels[0].Plot.Y.Max)
		}
	}
	if got := fig.LegendNames(); len(got) != 3 {
		t.Errorf("legend %q, want the three hardware once", got)
	}
	heat, _, err := (&Request{Facet: "hardware"}).build(src, Heatmap{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(heat.Panels()); n != 3 {
		t.Errorf("%d heatmap panels, want 3", n)
	}
	if got := heat.LegendNames(); len(got) != 6 || got[0] != "Latency (ms)" {
		t.Errorf("legend %q, want one colour bar (a title and five swatches)", got)
	}
	paths, err = Draw(src, Request{Kinds: []string{"heatmap"}, Facet: "hardware", Formats: []string{"svg"}, Dir: dir})
	if err != nil || len(paths) != 1 || filepath.Base(paths[0]) != "heatmap-latency_s-tp-pp-facet-hardware.svg" {
		t.Errorf("a faceted heatmap: %q, %v; want one file, not split by hardware again", paths, err)
	}
}

// Limits are given in the column's SI unit and land on the axis in its
// display unit (seconds → ms); an axis of positions has none.
func TestLimits(t *testing.T) {
	src := openRun(t, 2000)
	fig, _, err := Lines{}.Build(src, &Request{})
	if err != nil {
		t.Fatal(err)
	}
	st := Style{YLimits: [2]float64{0.001, 0.01}}
	if err := st.apply(fig); err != nil {
		t.Fatal(err)
	}
	if fig.Plot.Y.Min != 1 || fig.Plot.Y.Max != 10 {
		t.Errorf("y range [%v, %v], want [1, 10] ms", fig.Plot.Y.Min, fig.Plot.Y.Max)
	}
	bars, _, err := Bars{}.Build(src, &Request{})
	if err != nil {
		t.Fatal(err)
	}
	st = Style{XLimits: [2]float64{0, 1}}
	var re *RequestError
	if err := st.apply(bars); !errors.As(err, &re) {
		t.Errorf("limits on the bars' categories: %v, want a request error", err)
	}
	if _, err := ParseLimits("0.1,0.01"); err == nil {
		t.Error("ParseLimits(0.1,0.01) accepted a reversed range")
	}
	if l, err := ParseLimits("1e-3, 0.1"); err != nil || l != [2]float64{1e-3, 0.1} {
		t.Errorf("ParseLimits = %v, %v", l, err)
	}
}
