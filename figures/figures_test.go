package figures

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
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
	if err := writeResults(out, n); err != nil {
		t.Fatal(err)
	}
}

// writeResults is writePlotRun, returning its error.
func writeResults(out string, n int) error {
	path := filepath.Join(out, "results", "part-00000.parquet")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	w, err := outputs.NewParquetWriter(path, plotSchema, outputs.Metadata{"mlsysim.version": "test"})
	if err != nil {
		return err
	}
	const per = 1 << 16
	b := outputs.NewBatch(plotSchema, per)
	for lo := 0; lo < n; lo += per {
		b.Reset()
		for i := lo; i < min(lo+per, n); i++ {
			plotRow(b, i)
		}
		if err := w.Write(b); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// testRegistry is the embedded registry, loaded once.
func testRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	reg, err := registry.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// newPart makes OUT/results and opens the writer of its one part,
// OUT/results/part-00000.parquet, under schema.
func newPart(t *testing.T, out string, schema *outputs.Schema) *outputs.ParquetWriter {
	t.Helper()
	path := filepath.Join(out, "results", "part-00000.parquet")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := outputs.NewParquetWriter(path, schema, outputs.Metadata{"mlsysim.version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// drawOne draws req from src, which must make one file, and returns its
// path and contents.
func drawOne(t *testing.T, src *Source, req Request) (string, []byte) {
	t.Helper()
	paths, err := Draw(src, req)
	if err != nil || len(paths) != 1 {
		t.Fatalf("%q: %q, %v", req.Kinds, paths, err)
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	return paths[0], b
}

// writeAndOpen writes b as the one row group of the part w, closes it and
// opens the run in out.
func writeAndOpen(t *testing.T, w *outputs.ParquetWriter, b *outputs.Batch, out string) *Source {
	t.Helper()
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := Open(out, testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// openRun writes a synthetic run of n rows into a temporary directory and
// opens it.
func openRun(t *testing.T, n int) *Source {
	t.Helper()
	out := t.TempDir()
	writePlotRun(t, out, n)
	src, err := Open(out, testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// Every kind, drawn with its defaults from a run of every shape: the files,
// the labels with units from the vocabulary, and the feasible filter.
func TestDraw(t *testing.T) {
	out := t.TempDir()
	if d := os.Getenv("PLOTS_OUT"); d != "" { // to look at the figures
		out = d
	}
	writePlotRun(t, out, 5000)
	src, err := Open(out, testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if cols := src.Columns(); len(cols) != len(plotSchema.Cols) || cols[0] != "hardware" {
		t.Errorf("Columns() = %q", cols)
	}
	var skipped []string
	paths, err := Draw(src, Request{Formats: []string{"png", "svg"}, Skipped: func(k string, why error) { skipped = append(skipped, k+": "+why.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	// A serving run has no training breakdown and no GPU count.
	// (These synthetic results have no output of serving alone, so which
	// mode they are of cannot be told; the reasons go on to say what writes
	// the columns.)
	if want := []string{`breakdown: --y: column "step_time_s" is not in the results`, `scaling: --x: column "gpus_used" is not in the results`}; len(skipped) != len(want) ||
		!strings.HasPrefix(skipped[0], want[0]) || !strings.HasPrefix(skipped[1], want[1]) {
		t.Errorf("skipped %q, want %q", skipped, want)
	}
	want := map[string][]string{
		"roofline":                                  {"Arithmetic intensity (FLOP/B)", "Performance (", "H100", "B200", "MI300X", "fp16", "ridge"},
		"pareto-tokens_per_s-vs-latency_s":          {"Latency (ms)", "Throughput (tokens/s)", "Pareto front", "MI300X"},
		"lines-latency_s-vs-batch_size-by-hardware": {"Batch size", "Latency (ms)", "B200"},
		// The rows mix three hardware: one heatmap per hardware.
		"heatmap-latency_s-tp-pp-hardware=H100":       {"Tensor parallel (TP)", "Pipeline parallel (PP)", "Latency (ms)"},
		"heatmap-latency_s-tp-pp-hardware=B200":       {"Tensor parallel (TP)", "Pipeline parallel (PP)", "Latency (ms)"},
		"heatmap-latency_s-tp-pp-hardware=MI300X":     {"Tensor parallel (TP)", "Pipeline parallel (PP)", "Latency (ms)"},
		"cdf-latency_s-by-hardware":                   {"Latency (ms)", "Fraction of configurations", "B200"},
		"bars-tokens_per_s-by-hardware-and-precision": {"Throughput (tokens/s)", "H100", "fp16"},
	}
	if len(paths) != 2*len(want) {
		t.Errorf("Draw wrote %d files, want %d: %q", len(paths), 2*len(want), paths)
	}
	for base, texts := range want {
		for _, ext := range []string{"png", "svg"} {
			p := filepath.Join(out, "plots", base+"."+ext)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%v (written: %q)", err, paths)
			}
			if fi.Size() < 5000 {
				t.Errorf("%s: %d bytes", p, fi.Size())
			}
			if !slices.Contains(paths, p) {
				t.Errorf("Draw does not return %s", p)
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

// Explicit columns, three objectives, a numeric colour and another folder.
func TestDrawOptions(t *testing.T) {
	src := openRun(t, 2000)
	dir := filepath.Join(t.TempDir(), "figs")
	req := Request{
		Kinds:      []string{"pareto", "lines"},
		Objectives: []dse.Objective{{Name: "latency_s"}, {Name: "tokens_per_s", Maximize: true}, {Name: "mfu", Maximize: true}},
		Color:      "batch_size", X: "tp", Y: "tokens_per_s", Group: "pp",
		Formats: []string{"pdf"}, Dir: dir,
	}
	paths, err := Draw(src, req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "pareto-tokens_per_s-vs-tp.pdf"), filepath.Join(dir, "lines-tokens_per_s-vs-tp-by-pp.pdf")}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
	for _, p := range want {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}

// A heatmap over two categorical parameters: one cell per hardware and
// precision, in order of first sight.
func TestHeatmapCategorical(t *testing.T) {
	src := openRun(t, 500)
	if _, err := Draw(src, Request{Kinds: []string{"heatmap"}, X: "precision", Y: "hardware", Z: "latency_s", Formats: []string{"svg"}}); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(src.Dir, "plots", "heatmap-latency_s-precision-hardware.svg"))
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

// The Pareto figure draws the run's own front when its objectives match,
// and computes the front when they do not, when it is grouped, or when the
// figure shows infeasible rows too.
func TestParetoStoredFront(t *testing.T) {
	for _, c := range []struct {
		name    string
		objs    []string
		groupBy []string
		all     bool
		stored  bool
	}{
		{"match", []string{"maximize:tokens_per_s", "minimize:latency_s"}, nil, false, true},
		{"other objectives", []string{"minimize:latency_s", "maximize:mfu"}, nil, false, false},
		{"other direction", []string{"minimize:tokens_per_s", "minimize:latency_s"}, nil, false, false},
		{"grouped", []string{"maximize:tokens_per_s", "minimize:latency_s"}, []string{"hardware"}, false, false},
		{"all rows", []string{"maximize:tokens_per_s", "minimize:latency_s"}, nil, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := openRun(t, 2000)
			// Two rows that are not the computed front: the figure must
			// show the file's front as it is.
			writeStoredFront(t, src.Dir, []int{4, 5}, c.objs, c.groupBy)
			objs, err := dse.ParseObjectives("latency_s:min,tokens_per_s:max")
			if err != nil {
				t.Fatal(err)
			}
			fig, base, err := Pareto{}.Build(src, &Request{Objectives: objs, AllRows: c.all})
			if err != nil {
				t.Fatal(err)
			}
			if base != "pareto-tokens_per_s-vs-latency_s" {
				t.Errorf("base %q", base)
			}
			legend := fig.LegendNames()
			if got := slices.Contains(legend, "Pareto front (2)"); got != c.stored {
				t.Errorf("front read from pareto.parquet: %v, want %v (legend %q)", got, c.stored, legend)
			}
		})
	}
}

// Requests that do not fit the results are *RequestError, with messages
// that name the field and suggest close names.
func TestBadRequest(t *testing.T) {
	src := openRun(t, 100)
	objs := func(s string) []dse.Objective {
		o, err := dse.ParseObjectives(s)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, c := range []struct {
		name string
		req  Request
		want string
	}{
		{"objective typo", Request{Kinds: []string{"pareto"}, Objectives: objs("latncy_s:min,tokens_per_s:max")}, `--objectives: column "latncy_s" is not in the results; did you mean latency_s`},
		{"text objective", Request{Kinds: []string{"pareto"}, Objectives: objs("latency_s:min,hardware:max")}, `--objectives: column "hardware" is not numeric`},
		{"one objective", Request{Kinds: []string{"pareto"}, Objectives: objs("latency_s")}, `want 2 to 4 objectives, got 1`},
		{"five objectives", Request{Kinds: []string{"pareto"}, Objectives: objs("latency_s,tokens_per_s,mfu,tp,pp")}, `want 2 to 4 objectives, got 5`},
		{"x typo", Request{Kinds: []string{"lines"}, X: "batchsize"}, `did you mean batch_size`},
		{"group typo", Request{Kinds: []string{"lines"}, Group: "hardwar"}, `--group: column "hardwar" is not in the results`},
		{"color typo", Request{Kinds: []string{"roofline"}, Color: "precison"}, `--color: column "precison"`},
		{"text y", Request{Kinds: []string{"lines"}, Y: "bottleneck"}, `--y: column "bottleneck" is not numeric`},
		{"kind typo", Request{Kinds: []string{"paretto"}}, `did you mean "pareto"`},
		{"format", Request{Formats: []string{"gif"}}, `"gif" is not png, svg or pdf`},
		{"text z", Request{Kinds: []string{"heatmap"}, Z: "hardware"}, `"hardware" is not numeric`},
		{"agg", Request{Kinds: []string{"lines"}, Agg: "median"}, `median`},
		{"output of a group the sweep did not ask for", Request{Kinds: []string{"lines"}, Y: "decode_matmul_s"}, `column "decode_matmul_s" is not in the results; a run writes it when the sweep sets a parameter of its group "serving_scale" (`},
		{"bands without band columns", Request{Kinds: []string{"lines"}, Y: "mfu", Bands: true}, `--bands: column "mfu_lo" is not in the results`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Draw(src, c.req)
			var re *RequestError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v (%T), want a *RequestError with %q", err, err, c.want)
			}
		})
	}
	if _, err := Open(t.TempDir(), testRegistry(t)); err == nil {
		t.Error("Open of a folder without results succeeds")
	} else if re := (*RequestError)(nil); !errors.As(err, &re) {
		t.Errorf("Open of a folder without results: %v is not a *RequestError", err)
	}
}

// A request for every kind skips, and reports, the kinds whose columns the
// results lack and the figures with no rows; a kind named explicitly fails
// instead.
func TestDrawSkips(t *testing.T) {
	src := openRun(t, 200)
	var got []string
	skip := func(k string, why error) { got = append(got, k+": "+why.Error()) }
	// The heatmap asks for a column the results lack: skipped; every other
	// kind draws.
	paths, err := Draw(src, Request{Kinds: []string{"all"}, Z: "no_such", Formats: []string{"svg"}, Skipped: skip})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 5 || len(got) != 3 || !strings.HasPrefix(got[0], `heatmap: --z: column "no_such"`) {
		t.Errorf("paths %q, skipped %q; want 5 figures, the heatmap skipped (and the training kinds)", paths, got)
	}
	if _, err := Draw(src, Request{Kinds: []string{"heatmap"}, Z: "no_such", Formats: []string{"svg"}}); err == nil {
		t.Error("an explicit heatmap without its column draws")
	}
	// A one-row run whose row is infeasible: no figure has a row to draw.
	empty := openRun(t, 1) // row 0 is infeasible
	got = nil
	paths, err = Draw(empty, Request{Kinds: []string{"roofline", "pareto"}, Formats: []string{"svg"}, Skipped: skip})
	if err != nil || len(paths) != 0 {
		t.Fatalf("paths %q, err %v", paths, err)
	}
	want := []string{"roofline: " + ErrNoRows.Error(), "pareto: " + ErrNoRows.Error()}
	if !slices.Equal(got, want) {
		t.Errorf("skipped %q, want %q", got, want)
	}
}

// DrawSpec draws a sweep's plots section: a Pareto figure over the sweep's
// objectives, a heatmap whose colour is its value.
func TestDrawSpec(t *testing.T) {
	src := openRun(t, 1000)
	spec := &dse.Spec{
		Registry:   testRegistry(t),
		Objectives: []dse.Objective{{Name: "mfu", Maximize: true}, {Name: "latency_s"}},
		Plots: []dse.PlotSpec{
			{Kind: "pareto", Formats: []string{"svg"}},
			{Kind: "heatmap", X: "tp", Y: "pp", Color: "tokens_per_s", Where: `hardware == "B200"`, Formats: []string{"svg"}},
		},
	}
	paths, err := DrawSpec(spec, src.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(src.Dir, "plots", "pareto-latency_s-vs-mfu.svg"), filepath.Join(src.Dir, "plots", "heatmap-tokens_per_s-tp-pp.svg")}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
	spec.Plots = []dse.PlotSpec{{Kind: "lines", X: "batchsize"}}
	_, err = DrawSpec(spec, src.Dir, nil)
	var re *RequestError
	if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "plot lines: --x:") {
		t.Errorf("DrawSpec with a bad column: %v", err)
	}
}

// The kinds are the ones sweep files accept, each found by its name.
func TestKinds(t *testing.T) {
	var names []string
	for _, k := range Kinds {
		names = append(names, k.Name())
		if got, err := KindNamed(k.Name()); err != nil || got != k {
			t.Errorf("KindNamed(%q) = %v, %v", k.Name(), got, err)
		}
	}
	if !slices.Equal(names, dse.PlotKinds) {
		t.Errorf("kinds %q, sweep files accept %q", names, dse.PlotKinds)
	}
}

// Without a reduction asked for, lines and heatmaps keep the best value by
// the output's direction in the vocabulary.
func TestAggByDirection(t *testing.T) {
	for _, c := range []struct {
		agg, output string
		want        plots.Agg
	}{
		{"", "tokens_per_s", plots.AggMax},
		{"", "mfu", plots.AggMax},
		{"", "paged_capacity", plots.AggMax},
		{"", "latency_s", plots.AggMin},
		{"", "arithmetic_intensity", plots.AggMin}, // neither: the smallest, as before
		{"", "not_in_vocabulary", plots.AggMin},
		{"mean", "tokens_per_s", plots.AggMean},
		{"max", "latency_s", plots.AggMax},
	} {
		if got := aggFor(&Request{Agg: c.agg}, c.output); got != c.want {
			t.Errorf("aggFor(%q, %s) = %s, want %s", c.agg, c.output, got, c.want)
		}
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
// two passes for roofline, Pareto and CDF) from a 10-million-row run, as
// PNG; the heatmap is one per hardware, and "lines-where" filters its rows
// with an expression.
func BenchmarkPlot10M(b *testing.B) {
	out := bench10M(b)
	src, err := Open(out, testRegistry(b))
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"roofline", "pareto", "lines", "heatmap", "cdf", "bars", "lines-where"} {
		kind, where, _ := strings.Cut(name, "-")
		if where != "" {
			where = `hardware != "H100" && tp * pp <= 8`
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			for range b.N {
				paths, err := Draw(src, Request{Dir: dir, Kinds: []string{kind}, Where: where, Formats: []string{"png"}})
				if err != nil || len(paths) == 0 {
					b.Fatalf("%v %v", paths, err)
				}
			}
			b.ReportMetric(10e6*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
