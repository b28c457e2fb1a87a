package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/registry"
)

// plotSchema has the columns of a serving sweep's results.
var plotSchema = &outputs.Schema{Cols: []outputs.ColumnSpec{
	{Name: "hardware", Type: outputs.String},
	{Name: "precision", Type: outputs.String},
	{Name: "batch_size", Type: outputs.Int64},
	{Name: "tp", Type: outputs.Int64},
	{Name: "pp", Type: outputs.Int64},
	{Name: "latency_s", Type: outputs.Float64, Unit: "s", Nullable: true},
	{Name: "tokens_per_s", Type: outputs.Float64, Unit: "1/s", Nullable: true},
	{Name: "arithmetic_intensity", Type: outputs.Float64, Unit: "FLOP/B", Nullable: true},
	{Name: "mfu", Type: outputs.Float64, Nullable: true},
	{Name: "bottleneck", Type: outputs.String, Nullable: true},
	{Name: "feasible", Type: outputs.Bool},
}}

// plotRow fills row i of a synthetic serving sweep over hardware ×
// batch × tp × pp: the intensity grows with the batch, latency falls with
// parallelism, every 17th row is infeasible (and has no outputs).
func plotRow(b *outputs.Batch, i int) {
	hw := []string{"H100", "B200", "MI300X"}[i%3]
	bs := int64(1) << ((i / 3) % 9)
	tp := int64(1) << ((i / 27) % 4)
	pp := int64(1) << ((i / 108) % 3)
	jit := float64((i*7919)%1000) / 1000
	ai := float64(bs) * (1.6 + 0.4*jit)
	lat := 1e-3*float64(bs)/float64(tp)/math.Pow(float64(pp), 0.8) + 2e-4*float64(pp) + 1e-4*jit
	feasible := i%17 != 0
	c := b.Cols
	c[0].S = append(c[0].S, hw)
	c[1].S = append(c[1].S, "fp16")
	c[2].I = append(c[2].I, bs)
	c[3].I = append(c[3].I, tp)
	c[4].I = append(c[4].I, pp)
	c[5].F, c[5].Valid = append(c[5].F, lat), append(c[5].Valid, feasible)
	c[6].F, c[6].Valid = append(c[6].F, float64(bs)/lat), append(c[6].Valid, feasible)
	c[7].F, c[7].Valid = append(c[7].F, ai), append(c[7].Valid, feasible)
	c[8].F, c[8].Valid = append(c[8].F, 0.2+0.5*jit*math.Min(1, ai/300)), append(c[8].Valid, feasible)
	bn := "Memory"
	if ai > 290 {
		bn = "Compute"
	}
	c[9].S, c[9].Valid = append(c[9].S, bn), append(c[9].Valid, feasible)
	c[10].B = append(c[10].B, feasible)
	b.Len++
}

// writePlotRun writes rows [0, n) as OUT/results/part-00000.parquet, in row
// groups of up to 64 Ki rows.
func writePlotRun(t testing.TB, out string, n int) {
	t.Helper()
	path := filepath.Join(out, "results", "part-00000.parquet")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := outputs.NewParquetWriter(path, plotSchema, outputs.Metadata{"mlsysim.version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	const per = 1 << 16
	b := outputs.NewBatch(plotSchema, per)
	for lo := 0; lo < n; lo += per {
		b.Reset()
		for i := lo; i < min(lo+per, n); i++ {
			plotRow(b, i)
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPlotCommand(t *testing.T) {
	out := t.TempDir()
	if d := os.Getenv("PLOTS_OUT"); d != "" { // to look at the figures
		out = d
	}
	writePlotRun(t, out, 5000)
	var stdout, stderr bytes.Buffer
	code := run([]string{"plot", out, "--format", "png,svg"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := map[string][]string{
		"roofline":                                  {"Arithmetic intensity (FLOP/B)", "Performance (", "H100", "B200", "MI300X", "fp16", "ridge"},
		"pareto-tokens_per_s-vs-latency_s":          {"Latency (ms)", "Throughput (tokens/s)", "Pareto front", "MI300X"},
		"lines-latency_s-vs-batch_size-by-hardware": {"Batch size", "Latency (ms)", "B200"},
		"heatmap-latency_s-tp-pp":                   {"Tensor parallel (TP)", "Pipeline parallel (PP)", "Latency (ms)"},
	}
	for base, texts := range want {
		for _, ext := range []string{"png", "svg"} {
			p := filepath.Join(out, "plots", base+"."+ext)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%v (stdout %q)", err, stdout.String())
			}
			if fi.Size() < 5000 {
				t.Errorf("%s: %d bytes", p, fi.Size())
			}
			if !strings.Contains(stdout.String(), p) {
				t.Errorf("stdout does not list %s", p)
			}
		}
		svg, _ := os.ReadFile(filepath.Join(out, "plots", base+".svg"))
		for _, s := range texts {
			if !strings.Contains(string(svg), s) {
				t.Errorf("%s.svg lacks %q", base, s)
			}
		}
	}
	// The feasible filter: 5000 rows, every 17th infeasible.
	svg, _ := os.ReadFile(filepath.Join(out, "plots", "pareto-tokens_per_s-vs-latency_s.svg"))
	if !strings.Contains(string(svg), "705 configs") {
		t.Errorf("pareto footnote does not count 4 705 feasible configs")
	}
}

func TestPlotCommandOptions(t *testing.T) {
	out := t.TempDir()
	writePlotRun(t, out, 2000)
	dir := filepath.Join(t.TempDir(), "figs")
	var stdout, stderr bytes.Buffer
	code := run([]string{"plot", out, "--kind", "pareto,lines", "--objectives", "latency_s:min,tokens_per_s:max,mfu:max",
		"--color", "batch_size", "--x", "tp", "--y", "tokens_per_s", "--group", "pp", "--format", "pdf", "--dir", dir}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, f := range []string{"pareto-tokens_per_s-vs-tp.pdf", "lines-tokens_per_s-vs-tp-by-pp.pdf"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// A heatmap over two categorical parameters: one cell per hardware and
// precision, in order of first sight.
func TestPlotHeatmapCategorical(t *testing.T) {
	out := t.TempDir()
	writePlotRun(t, out, 500)
	var stdout, stderr bytes.Buffer
	code := run([]string{"plot", out, "--kind", "heatmap", "--x", "precision", "--y", "hardware", "--z", "latency_s", "--format", "svg"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	svg, err := os.ReadFile(filepath.Join(out, "plots", "heatmap-latency_s-precision-hardware.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Precision", "Hardware", "Latency (", "fp16", "H100", "B200", "MI300X"} {
		if !strings.Contains(string(svg), s) {
			t.Errorf("heatmap lacks %q", s)
		}
	}
}

// writeStoredFront writes rows as OUT/pareto.parquet and a manifest that
// lists it over objectives.
func writeStoredFront(t *testing.T, out string, rows []int, objectives []string, groupBy []string) {
	t.Helper()
	w, err := outputs.NewParquetWriter(filepath.Join(out, "pareto.parquet"), plotSchema, outputs.Metadata{"mlsysim.version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	b := outputs.NewBatch(plotSchema, len(rows))
	for _, i := range rows {
		plotRow(b, i)
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m := &outputs.Manifest{Pareto: &outputs.ManifestFront{File: "pareto.parquet", Rows: len(rows), Objectives: objectives, GroupBy: groupBy}}
	if err := outputs.WriteManifest(out, m); err != nil {
		t.Fatal(err)
	}
}

// sweep plot draws the run's own front when its objectives match, and
// computes the front when they do not or when it is grouped.
func TestPlotParetoStoredFront(t *testing.T) {
	for _, c := range []struct {
		name    string
		objs    []string
		groupBy []string
		stored  bool
	}{
		{"match", []string{"maximize:tokens_per_s", "minimize:latency_s"}, nil, true},
		{"other objectives", []string{"minimize:latency_s", "maximize:mfu"}, nil, false},
		{"grouped", []string{"maximize:tokens_per_s", "minimize:latency_s"}, []string{"hardware"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			writePlotRun(t, out, 2000)
			// Two rows that are not the computed front: the figure must
			// show the file's front as it is.
			writeStoredFront(t, out, []int{4, 5}, c.objs, c.groupBy)
			var stdout, stderr bytes.Buffer
			code := run([]string{"plot", out, "--kind", "pareto", "--objectives", "latency_s:min,tokens_per_s:max", "--format", "svg"}, &stdout, &stderr)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			svg, err := os.ReadFile(filepath.Join(out, "plots", "pareto-tokens_per_s-vs-latency_s.svg"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(svg), "Pareto front (2)"); got != c.stored {
				t.Errorf("front read from pareto.parquet: %v, want %v", got, c.stored)
			}
		})
	}
}

func TestPlotCommandBadInput(t *testing.T) {
	out := t.TempDir()
	writePlotRun(t, out, 100)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "pareto", "--objectives", "latncy_s:min,tokens_per_s:max"}, `column "latncy_s" is not in the results; did you mean latency_s`},
		{[]string{"--kind", "lines", "--x", "batchsize"}, `did you mean batch_size`},
		{[]string{"--kind", "paretto"}, `did you mean "pareto"`},
		{[]string{"--kind", "pareto", "--objectives", "latency_s:fast,tokens_per_s:max"}, `direction "fast" is not min or max`},
		{[]string{"--kind", "pareto", "--objectives", "latency_s"}, `want 2 to 4 objectives`},
		{[]string{"--format", "gif"}, `"gif" is not png, svg or pdf`},
		{[]string{"--kind", "heatmap", "--z", "hardware"}, `"hardware" is not numeric`},
		{[]string{"--kind", "lines", "--agg", "median"}, `median`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"plot", out}, c.args...), &stdout, &stderr)
		if code != exitBadInput || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"plot", t.TempDir()}, &stdout, &stderr); code != exitBadInput {
		t.Errorf("no results: exit %d, %s", code, stderr.String())
	}
}

// bench10M returns a run directory holding a 10-million-row result part,
// written once and kept in the temporary directory between runs.
func bench10M(b *testing.B) string {
	if testing.Short() {
		b.Skip("10M-row benchmark in -short mode")
	}
	out := filepath.Join(os.TempDir(), "mlsysim-go-bench", "plot10M-v1")
	if _, err := os.Stat(filepath.Join(out, "results", "part-00000.parquet")); err != nil {
		writePlotRun(b, out, 10_000_000)
	}
	return out
}

// BenchmarkPlot10M draws each kind of figure (reading the columns it needs,
// two passes for roofline and Pareto) from a 10-million-row run, as PNG.
func BenchmarkPlot10M(b *testing.B) {
	out := bench10M(b)
	reg, err := registry.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{"roofline", "pareto", "lines", "heatmap"} {
		b.Run(kind, func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			for range b.N {
				o := &plotOptions{Out: out, Dir: dir, Kinds: []string{kind}, Formats: []string{"png"}}
				paths, err := drawFigures(o, reg, os.Stderr)
				if err != nil || len(paths) != 1 {
					b.Fatalf("%v %v", paths, err)
				}
			}
			b.ReportMetric(10e6*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
