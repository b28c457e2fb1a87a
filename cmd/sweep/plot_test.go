package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// The figures themselves are tested in package figures; these tests check
// what the command adds: flags, printing and exit codes.

// writeSmallRun writes a 60-row run over hardware × batch_size (no tp or
// pp, so there is no default heatmap), every 7th row infeasible.
func writeSmallRun(t *testing.T, out string) {
	t.Helper()
	schema := &outputs.Schema{Cols: []outputs.ColumnSpec{
		{Name: "hardware", Type: outputs.String},
		{Name: "batch_size", Type: outputs.Int64},
		{Name: "latency_s", Type: outputs.Float64, Unit: "s"},
		{Name: "tokens_per_s", Type: outputs.Float64, Unit: "1/s"},
		{Name: "arithmetic_intensity", Type: outputs.Float64, Unit: "FLOP/B"},
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
	b := outputs.NewBatch(schema, 60)
	for i := range 60 {
		bs := int64(1) << (i / 3 % 8)
		lat := 1e-3 * float64(bs) * float64(1+i%3)
		c := b.Cols
		c[0].S = append(c[0].S, []string{"H100", "B200", "MI300X"}[i%3])
		c[1].I = append(c[1].I, bs)
		c[2].F = append(c[2].F, lat)
		c[3].F = append(c[3].F, float64(bs)/lat)
		c[4].F = append(c[4].F, 2*float64(bs))
		c[5].B = append(c[5].B, i%7 != 0)
		b.Len++
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPlotCommand(t *testing.T) {
	out := t.TempDir()
	writeSmallRun(t, out)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"plot", out, "--format", "svg"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, base := range []string{"roofline", "pareto-tokens_per_s-vs-latency_s", "lines-latency_s-vs-batch_size-by-hardware"} {
		p := filepath.Join(out, "plots", base+".svg")
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
		if !strings.Contains(stdout.String(), p+"\n") {
			t.Errorf("stdout %q does not list %s", stdout.String(), p)
		}
	}
	// The default heatmap needs tp and pp: skipped, with a note.
	if want := `sweep plot: skipping heatmap: --x: column "tp" is not in the results`; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", stderr.String(), want)
	}
}

// The flags reach the request: kinds, columns, objectives in either form,
// formats, folder and rows.
func TestPlotCommandFlags(t *testing.T) {
	out := t.TempDir()
	writeSmallRun(t, out)
	dir := filepath.Join(t.TempDir(), "figs")
	var stdout, stderr bytes.Buffer
	code := run([]string{"plot", out, "--kind", "pareto,lines", "--objectives", "minimize:latency_s,tokens_per_s:max",
		"--x", "batch_size", "--y", "tokens_per_s", "--color", "none", "--group", "hardware", "--agg", "mean",
		"--all-rows", "--format", "pdf,png", "--dir", dir}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var want []string
	for _, base := range []string{"pareto-tokens_per_s-vs-batch_size", "lines-tokens_per_s-vs-batch_size-by-hardware"} {
		for _, ext := range []string{"pdf", "png"} {
			want = append(want, filepath.Join(dir, base+"."+ext))
		}
	}
	if got := strings.Fields(stdout.String()); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stdout %q, want %q", got, want)
	}
}

// Several kinds named at once: one that these results cannot feed does not
// stop the others; its error is named and the exit code says bad input.
func TestPlotCommandKindsKeepGoing(t *testing.T) {
	out := t.TempDir()
	writeSmallRun(t, out)
	dir := filepath.Join(t.TempDir(), "figs")
	var stdout, stderr bytes.Buffer
	code := run([]string{"plot", out, "--kind", "heatmap,pareto", "--z", "hardware",
		"--objectives", "latency_s:min,tokens_per_s:max", "--format", "png", "--dir", dir}, &stdout, &stderr)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d: %s", code, exitBadInput, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--kind heatmap") || !strings.Contains(stderr.String(), "not in the results") {
		t.Errorf("stderr %q does not name the kind and its error", stderr.String())
	}
	got := strings.Fields(stdout.String())
	if len(got) == 0 {
		t.Fatalf("no figure written; stderr %q", stderr.String())
	}
	for _, p := range got {
		if strings.Contains(filepath.Base(p), "heatmap") {
			t.Errorf("the failing kind wrote %s", p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("listed %s: %v", p, err)
		}
	}
	if !strings.Contains(stdout.String(), "pareto-") {
		t.Errorf("pareto not drawn after the failing kind: %q", got)
	}
}

func TestPlotCommandBadInput(t *testing.T) {
	out := t.TempDir()
	writeSmallRun(t, out)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "pareto", "--objectives", "latncy_s:min,tokens_per_s:max"}, `column "latncy_s" is not in the results; did you mean latency_s`},
		{[]string{"--kind", "pareto", "--objectives", "latency_s:fast,tokens_per_s:max"}, `--objectives: "latency_s": direction "fast" is not min or max`},
		{[]string{"--kind", "pareto", "--objectives", "latency_s"}, `want 2 to 4 objectives`},
		{[]string{"--kind", "lines", "--x", "batchsize"}, `did you mean batch_size`},
		{[]string{"--kind", "paretto"}, `did you mean "pareto"`},
		{[]string{"--format", "gif"}, `"gif" is not png, svg or pdf`},
		{[]string{"--kind", "heatmap", "--x", "hardware", "--y", "batch_size", "--z", "hardware"}, `"hardware" is not numeric`},
		{[]string{"--kind", "lines", "--agg", "median"}, `median`},
		{[]string{"--kind", "lines", "--where", "hardwre == 1"}, `--where`},
		{[]string{"--kind", "lines", "--width", "triple"}, `--width: "triple" is not single, double`},
		{[]string{"--kind", "lines", "--y-scale", "ln"}, `--y-scale: "ln" is not log or linear`},
		{[]string{"--kind", "lines", "--one-per", "hardwre"}, `did you mean hardware`},
		{[]string{"--kind", "lines", "--y-limits", "1,0.5"}, `--y-limits: limits "1,0.5"`},
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
	if code := run([]string{"plot"}, &stdout, &stderr); code != exitBadInput {
		t.Errorf("no argument: exit %d, %s", code, stderr.String())
	}
}

// The filter, split and style flags reach the figures.
func TestPlotCommandStyleFlags(t *testing.T) {
	out := t.TempDir()
	writeSmallRun(t, out)
	dir := filepath.Join(t.TempDir(), "figs")
	var stdout, stderr bytes.Buffer
	code := run([]string{"plot", out, "--kind", "lines", "--where", `hardware != "H100"`, "--one-per", "hardware",
		"--width", "double", "--height", "3", "--title", "Latency by GPU", "--font-size", "9", "--y-scale", "log",
		"--format", "svg", "--dir", dir}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := []string{filepath.Join(dir, "lines-latency_s-vs-batch_size-by-hardware-hardware=B200.svg"),
		filepath.Join(dir, "lines-latency_s-vs-batch_size-by-hardware-hardware=MI300X.svg")}
	if got := strings.Fields(stdout.String()); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("stdout %q, want %q", got, want)
	}
	svg, err := os.ReadFile(want[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`width="504pt"`, `height="216pt"`, ">Latency by GPU<"} {
		if !strings.Contains(string(svg), s) {
			t.Errorf("%s lacks %s", want[0], s)
		}
	}
}
