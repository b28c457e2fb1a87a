package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The run's summary says what each count means, and --json gives the same
// counts as one object on stdout.
func TestRunSummary(t *testing.T) {
	dir := t.TempDir()
	src := tinyRunSweep + "constraints: [\"batch_size <= 24\", \"itl_s < 1 s\"]\n"
	file := writeSweep(t, dir, "s.yaml", src)
	out := filepath.Join(dir, "out")
	so := cliRun(t, "run", file, "--out", out, "--progress", "none")
	for _, want := range []string{
		"run-test: 64 configurations in ",
		"  enumerated           64  configurations of the grid",
		"  evaluated            48  priced by the engine (the rest failed a constraint on parameters)",
		"  written              48  rows that passed every constraint, in " + filepath.Join(out, "results"),
		"of the written rows, feasible by the engine",
		"rows on the Pareto set",
	} {
		if !strings.Contains(so, want) {
			t.Errorf("summary lacks %q:\n%s", want, so)
		}
	}
	var sum runSummary
	if err := json.Unmarshal([]byte(cliRun(t, "run", file, "--out", out, "--json", "--force", "--progress", "none")), &sum); err != nil {
		t.Fatal(err)
	}
	c := sum.Counts
	if sum.Name != "run-test" || sum.Out != out || c.Enumerated != 64 || c.Evaluated != 48 || c.Written != 48 ||
		c.Feasible > c.Written || sum.ParetoRows == 0 || sum.Shard != nil {
		t.Errorf("run --json: %+v", sum)
	}
	if err := json.Unmarshal([]byte(cliRun(t, "run", file, "--out", filepath.Join(dir, "sh"), "--json", "--shard", "1/2", "--progress", "none")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Shard == nil || sum.Shard.K != 1 || sum.Shard.N != 2 || sum.Shard.Lo != 32 || sum.Shard.Hi != 64 {
		t.Errorf("shard --json: %+v", sum.Shard)
	}
	// --quiet prints nothing, unless --json asks for the object.
	if so := cliRun(t, "run", file, "--out", out, "--quiet", "--force"); so != "" {
		t.Errorf("--quiet prints %q", so)
	}
}

// plot --json lists what it wrote.
func TestPlotJSON(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cliRun(t, "run", writeSweep(t, dir, "s.yaml", tinyRunSweep), "--out", out, "--progress", "none", "--quiet")
	var sum plotSummary
	if err := json.Unmarshal([]byte(cliRun(t, "plot", out, "--json", "--kind", "pareto", "--format", "svg")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Dir != filepath.Join(out, "plots") || sum.Count != 1 || len(sum.Files) != 1 || !strings.HasSuffix(sum.Files[0], ".svg") {
		t.Errorf("plot --json: %+v", sum)
	}
}

// sweep check estimates the size of every format the sweep writes.
func TestCheckEstimatesEveryFormat(t *testing.T) {
	src := strings.Replace(tinyRunSweep, "outputs: {", "outputs: {formats: [parquet, arrow, csv], ", 1)
	var got struct {
		Estimate estimate `json:"estimate"`
	}
	if err := json.Unmarshal([]byte(cliRun(t, "check", writeSweep(t, t.TempDir(), "s.yaml", src), "--json")), &got); err != nil {
		t.Fatal(err)
	}
	e := got.Estimate
	if len(e.Formats) != 3 || e.Formats[0].Format != "parquet" || e.Formats[1].Format != "arrow" || e.Formats[2].Format != "csv" {
		t.Fatalf("formats %+v", e.Formats)
	}
	for _, f := range e.Formats {
		if !(f.BytesPerRow > 0) || !(f.Bytes > 0) {
			t.Errorf("%s: %+v", f.Format, f)
		}
	}
	if e.Bytes != e.Formats[0].Bytes {
		t.Errorf("bytes %v, Parquet's %v", e.Bytes, e.Formats[0].Bytes)
	}
}
