package plots

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The golden figures are testdata/NAME.golden.svg. When a figure no longer
// matches its golden file, the test writes what it drew to
// testdata/failed/NAME.svg (ignored by git) and names both files in the
// failure: compare them (in a browser, or with diff: the SVG is text), and
// if the change is wanted, rewrite the golden files with
//
//	go test ./plots -run Golden -update
//
// and commit them. A passing figure removes its stale testdata/failed file.
var update = flag.Bool("update", false, "rewrite testdata/*.golden.svg from the figures drawn")

// failedDir holds the figures that did not match their golden file.
var failedDir = filepath.Join("testdata", "failed")

// goldenRows are 600 synthetic configurations from a fixed seed.
func goldenRows() []synthRow {
	r := rand.New(rand.NewPCG(1, 1))
	rows := make([]synthRow, 600)
	for i := range rows {
		rows[i] = synth(i, r)
	}
	return rows
}

// svgOf draws fig as SVG without embedded fonts, so that the golden files
// stay small and their diffs readable.
func svgOf(t *testing.T, fig *Figure) []byte {
	t.Helper()
	c := vgsvg.NewWith(vgsvg.UseWH(fig.Style.Width, fig.Style.Height))
	fig.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// checkGolden compares the SVG of fig with testdata/name.golden.svg, or
// rewrites it with -update. A mismatch leaves the figure drawn in
// testdata/failed/name.svg.
func checkGolden(t *testing.T, fig *Figure, name string) {
	t.Helper()
	got := svgOf(t, fig)
	path := filepath.Join("testdata", name+".golden.svg")
	failed := filepath.Join(failedDir, name+".svg")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plots -run Golden -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		if err := os.Remove(failed); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Error(err)
		}
		return
	}
	if err := os.MkdirAll(failedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(failed, got, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(failed)
	t.Errorf("%s differs from %s; the figure drawn is in %s: look at both, then rerun with -update if the change is wanted", name, path, abs)
}

// checkStructure checks the axis labels (with their units) and the legend
// entries of fig.
func checkStructure(t *testing.T, fig *Figure, xLabel, yLabel string, legend ...string) {
	t.Helper()
	if got := fig.Plot.X.Label.Text; got != xLabel {
		t.Errorf("x label %q, want %q", got, xLabel)
	}
	if got := fig.Plot.Y.Label.Text; got != yLabel {
		t.Errorf("y label %q, want %q", got, yLabel)
	}
	if got := fig.LegendNames(); !slices.Equal(got, legend) {
		t.Errorf("legend %q, want %q", got, legend)
	}
}

func TestGoldenRoofline(t *testing.T) {
	roofs := []Roof{
		{Name: "H100 fp16", Hardware: "H100", Precision: "fp16", Peak: 989e12, MemBW: 3.35e12},
		{Name: "H100 fp8", Hardware: "H100", Precision: "fp8", Peak: 1979e12, MemBW: 3.35e12},
		{Name: "B200 fp16", Hardware: "B200", Precision: "fp16", Peak: 2250e12, MemBW: 8e12},
		{Name: "B200 fp8", Hardware: "B200", Precision: "fp8", Peak: 4500e12, MemBW: 8e12},
		{Name: "MI300X fp16", Hardware: "MI300X", Precision: "fp16", Peak: 1307e12, MemBW: 5.3e12},
	}
	var ae, pe Extent
	rows := goldenRows()
	for _, row := range rows {
		ae.Observe(row.ai)
		pe.Observe(row.perf)
	}
	rl := NewRoofline(roofs, ae, pe)
	rl.ColorBy = "hardware"
	for _, row := range rows {
		rl.Add(row.ai, row.perf, row.hardware)
	}
	fig := rl.Figure(ColumnStyle)
	// One entry per hardware, then the precisions as line styles.
	checkStructure(t, fig, "Arithmetic intensity (FLOP/B)", "Performance (PFLOP/s)", "B200", "H100", "MI300X", "fp16", "fp8")
	if !strings.Contains(fig.Footnote, "ridge") {
		t.Errorf("footnote %q does not explain the ridge marker", fig.Footnote)
	}
	checkGolden(t, fig, "roofline")
}

// With more roofs than the palette has colours, every hardware still has
// its roofs: one legend entry each.
func TestRooflineEveryHardware(t *testing.T) {
	var roofs []Roof
	var ae, pe Extent
	ae.Observe(1)
	ae.Observe(1000)
	pe.Observe(1e12)
	pe.Observe(1e15)
	hws := []string{"A100", "B200", "H100", "H200", "L40S", "MI300X", "T4", "V100"}
	for i, hw := range hws {
		for j, p := range []string{"fp16", "fp8", "int8", "int4"} {
			roofs = append(roofs, Roof{Hardware: hw, Precision: p, Peak: float64(i+1) * float64(j+1) * 1e14, MemBW: float64(i+1) * 1e12})
		}
	}
	rl := NewRoofline(roofs, ae, pe)
	rl.ColorBy = "hardware"
	for _, hw := range hws {
		rl.Add(10, 1e13, hw)
	}
	want := append(slices.Clone(hws), "fp16", "fp8", "int8", "int4")
	if got := rl.Figure(ColumnStyle).LegendNames(); !slices.Equal(got, want) {
		t.Errorf("legend %q, want %q", got, want)
	}
}

func TestGoldenPareto(t *testing.T) {
	rows := goldenRows()
	var xe, ye Extent
	xe.Log, ye.Log = true, true
	for _, row := range rows {
		xe.Observe(row.latency)
		ye.Observe(row.tokens)
	}
	p := NewPareto(Axis{Name: "latency_s", Unit: "s", Log: true}, Axis{Name: "tokens_per_s", Unit: "1/s", Log: true}, xe, ye)
	p.YMax = true
	p.ColorBy = "hardware"
	var fx, fy []float64
	var fc []string
	for i, a := range rows {
		p.Add(a.latency, a.tokens, a.hardware)
		dominated := slices.ContainsFunc(rows, func(b synthRow) bool {
			return b.latency <= a.latency && b.tokens >= a.tokens && (b.latency < a.latency || b.tokens > a.tokens)
		})
		if !dominated {
			fx, fy, fc = append(fx, a.latency), append(fy, a.tokens), append(fc, rows[i].hardware)
		}
	}
	p.SetFront(fx, fy, fc, true)
	fig := p.Figure(ColumnStyle)
	front := "Pareto front (" + itoa(len(fx)) + ")"
	checkStructure(t, fig, "Latency (ms)", "Throughput (tokens/s)", front, "hardware:", "B200", "H100", "MI300X")
	checkGolden(t, fig, "pareto")
}

func TestGoldenLines(t *testing.T) {
	l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "latency_s", Unit: "s"}, "hardware", AggMin)
	for _, row := range goldenRows() {
		l.Add(row.batch, row.latency, row.hardware)
	}
	fig := l.Figure(ColumnStyle)
	checkStructure(t, fig, "Batch size", "Latency (ms)", "B200", "H100", "MI300X")
	checkGolden(t, fig, "lines")
}

func TestGoldenHeatmap(t *testing.T) {
	h := NewHeatmap(Axis{Name: "tp"}, Axis{Name: "pp"}, Axis{Name: "latency_s", Unit: "s"}, AggMin)
	for _, row := range goldenRows() {
		h.Add(row.tp, row.pp, row.latency)
	}
	fig := h.Figure(ColumnStyle)
	checkStructure(t, fig, "Tensor parallel (TP)", "Pipeline parallel (PP)", append([]string{"Latency (ms)"}, fig.LegendNames()[1:]...)...)
	if n := len(fig.LegendNames()); n != 6 {
		t.Errorf("legend: %d entries, want the title and 5 colour steps", n)
	}
	checkGolden(t, fig, "heatmap")
}

// A heatmap over categorical axes: one cell per hardware and precision,
// in order of first sight, the first category at the top.
func TestGoldenHeatmapCategorical(t *testing.T) {
	h := NewHeatmap(Axis{Name: "precision"}, Axis{Name: "hardware"}, Axis{Name: "itl_s", Unit: "s"}, AggMin)
	precs := []string{"fp16", "fp8", "int4"}
	for i, row := range goldenRows() {
		p := precs[i%len(precs)]
		h.AddLabels(p, row.hardware, row.latency/float64(1+i%len(precs)))
	}
	fig := h.Figure(ColumnStyle)
	checkStructure(t, fig, "Precision", "Hardware", append([]string{"ITL (µs)"}, fig.LegendNames()[1:]...)...)
	xt := fig.Plot.X.Tick.Marker.Ticks(0, 0)
	var xs []string
	for _, tk := range xt {
		xs = append(xs, tk.Label)
	}
	if !slices.Equal(xs, precs) {
		t.Errorf("x categories %q, want %q", xs, precs)
	}
	yt := fig.Plot.Y.Tick.Marker.Ticks(0, 0)
	if len(yt) != 3 || yt[2].Label != "H100" {
		t.Errorf("y categories %v, want H100 (first seen) at the top", yt)
	}
	checkGolden(t, fig, "heatmap-categorical")
}

func itoa(n int) string { return strings.TrimSpace(groupDigits(int64(n))) }
