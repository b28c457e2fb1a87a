package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// smallRunSweep has 6144 configurations in 6 parts of 1024.
const smallRunSweep = `name: run-test
fixed: {mode: serving}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100, B200]
  precision: [fp16, int8]
  batch_size: {from: 1, to: 64, step: 1}
  seq_len: [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]
objectives:
  - {maximize: tokens_per_s}
  - {minimize: itl_s}
group_by: [model]
outputs: {row_group_rows: 256, part_rows: 1024}
`

func cliRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("sweep %s: exit %d: %s %s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// The same inputs give byte-identical files whatever the worker count, and
// the manifest records what determines them.
func TestRunReproducibleAcrossWorkers(t *testing.T) {
	file := writeSweep(t, t.TempDir(), "s.yaml", smallRunSweep)
	d1, d4 := filepath.Join(t.TempDir(), "o"), filepath.Join(t.TempDir(), "o")
	cliRun(t, "run", file, "--out", d1, "--workers", "1", "--progress", "none")
	cliRun(t, "run", file, "--out", d4, "--workers", "4", "--progress", "none")
	sameFiles(t, d1, d4)
	m, err := outputs.ReadManifest(d1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != version || len(m.Sweep.SHA256) != 64 || len(m.RegistrySHA256) != 64 || len(m.CalibrationSHA256) != 64 || len(m.InputsSHA256) != 64 {
		t.Errorf("manifest provenance: version %q sweep %q registry %q calibration %q inputs %q",
			m.Version, m.Sweep.SHA256, m.RegistrySHA256, m.CalibrationSHA256, m.InputsSHA256)
	}
	if !m.Complete || m.Counts.Enumerated != 6144 || len(m.Parts) != 6 || len(m.FrontIndexes) == 0 {
		t.Errorf("manifest: complete %v, %d configurations, %d parts, %d front indexes", m.Complete, m.Counts.Enumerated, len(m.Parts), len(m.FrontIndexes))
	}
	// Running again over the same folder replaces the run with the same files.
	cliRun(t, "run", file, "--out", d4, "--workers", "2", "--progress", "none")
	sameFiles(t, d1, d4)
	// Resuming a complete run writes nothing new and changes nothing.
	cliRun(t, "run", file, "--out", d4, "--resume", "--progress", "none")
	sameFiles(t, d1, d4)
}

// --resume refuses inputs that would give other numbers, with exit 2.
func TestResumeRefusesChangedInputs(t *testing.T) {
	dir := t.TempDir()
	file := writeSweep(t, dir, "s.yaml", smallRunSweep)
	out := filepath.Join(dir, "out")
	cliRun(t, "run", file, "--out", out, "--progress", "none")

	changed := writeSweep(t, dir, "s.yaml", strings.Replace(smallRunSweep, "to: 64", "to: 32", 1))
	code, _, stderr := runCLI(t, "run", changed, "--out", out, "--resume")
	if code != exitBadInput || !strings.Contains(stderr, "the sweep file changed") {
		t.Errorf("changed sweep: exit %d: %s", code, stderr)
	}
	writeSweep(t, dir, "s.yaml", smallRunSweep)

	old := version
	version = "0.0.0-other"
	code, _, stderr = runCLI(t, "run", file, "--out", out, "--resume")
	version = old
	if code != exitBadInput || !strings.Contains(stderr, "by version "+old) {
		t.Errorf("changed version: exit %d: %s", code, stderr)
	}

	// Registry data named by the sweep file changes while the file does not.
	chip := "hardware:\n  - key: TestChip\n    tier: Cloud\n    name: Test chip\n    peak_flops: %d TFLOP/s\n    memory: {capacity: 80 GB, bandwidth: 3 TB/s}\n    tdp: 700 W\n    source: test\n"
	writeSweep(t, dir, "chips.yaml", fmt.Sprintf(chip, 1000))
	withReg := writeSweep(t, dir, "r.yaml", "registry: [chips.yaml]\n"+smallRunSweep)
	rout := filepath.Join(dir, "rout")
	cliRun(t, "run", withReg, "--out", rout, "--progress", "none")
	writeSweep(t, dir, "chips.yaml", fmt.Sprintf(chip, 2000))
	code, _, stderr = runCLI(t, "run", withReg, "--out", rout, "--resume")
	if code != exitBadInput || !strings.Contains(stderr, "registry data") {
		t.Errorf("changed registry: exit %d: %s", code, stderr)
	}

	code, _, stderr = runCLI(t, "run", file, "--out", out, "--resume", "--shard", "0/2")
	if code != exitBadInput || !strings.Contains(stderr, "single (unsharded) run") {
		t.Errorf("resume as a shard: exit %d: %s", code, stderr)
	}
}

// Shards cover the grid without overlap, write Hive-style folders that
// DuckDB reads as one table equal to the single run, report their state,
// and merge into the single run's Pareto set.
func TestShardsMergeToSingleRun(t *testing.T) {
	dir := t.TempDir()
	file := writeSweep(t, dir, "s.yaml", smallRunSweep)
	single, sharded := filepath.Join(dir, "single"), filepath.Join(dir, "sharded")
	cliRun(t, "run", file, "--out", single, "--progress", "none")
	const n = 5 // 6 parts over 5 shards: 1 or 2 parts each
	for k := range n - 1 {
		cliRun(t, "run", file, "--out", sharded, "--shard", fmt.Sprintf("%d/%d", k, n), "--progress", "none")
	}
	status := cliRun(t, "status", sharded)
	if !strings.Contains(status, "incomplete: 4 of 5 shards complete") || !strings.Contains(status, "shard 4: not started") {
		t.Errorf("status before the last shard:\n%s", status)
	}
	code, _, stderr := runCLI(t, "run", file, "--out", sharded, "--merge")
	if code != exitFailure || !strings.Contains(stderr, "4 (not started)") {
		t.Errorf("merge of incomplete shards: exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "run", file, "--out", sharded, "--shard", "0/3")
	if code != exitBadInput || !strings.Contains(stderr, "5-way") {
		t.Errorf("a shard of another split: exit %d: %s", code, stderr)
	}
	// The scheduler's environment picks the last shard.
	t.Setenv("SLURM_ARRAY_TASK_ID", "5")
	t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
	t.Setenv("SLURM_ARRAY_TASK_MAX", "5")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "5")
	cliRun(t, "run", file, "--out", sharded, "--shard", "auto", "--progress", "none")
	cliRun(t, "run", file, "--out", sharded, "--merge")

	var st runStatus
	code, stdout, _ := runCLI(t, "status", sharded, "--json")
	if err := json.Unmarshal([]byte(stdout), &st); code != 0 || err != nil {
		t.Fatalf("status --json: %d %v", code, err)
	}
	if !st.Complete || !st.Merged || len(st.Shards) != n || st.Enumerated != 6144 || st.Rows != 6144 {
		t.Errorf("status after merge: %+v", st)
	}
	var lastHi int64
	for _, s := range st.Shards {
		if s.Lo != lastHi || s.Lo%1024 != 0 {
			t.Errorf("shard %d starts at %d, want %d on a part boundary", s.K, s.Lo, lastHi)
		}
		lastHi = s.Hi
	}
	a, _ := os.ReadFile(filepath.Join(single, "pareto.parquet"))
	b, _ := os.ReadFile(filepath.Join(sharded, "pareto.parquet"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("the merged Pareto set differs from the single run's")
	}
	// Part files are the single run's, moved into shard folders.
	for k := range n {
		m, err := outputs.ReadManifestFile(filepath.Join(sharded, outputs.ShardManifestFile(k)))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Parts {
			x, _ := os.ReadFile(filepath.Join(sharded, p.File))
			y, _ := os.ReadFile(filepath.Join(single, "results", filepath.Base(p.File)))
			if !bytes.Equal(x, y) {
				t.Errorf("%s differs from the single run's part", p.File)
			}
		}
	}
	got := duckSummary(t, filepath.Join(sharded, "results", "*", "*.parquet"), true)
	want := duckSummary(t, filepath.Join(single, "results", "*.parquet"), false)
	if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(got["n"]) != "6144" {
		t.Errorf("DuckDB reads %v from the shards, %v from the single run", got, want)
	}
	// A single run refuses a folder of shards.
	code, _, stderr = runCLI(t, "run", file, "--out", sharded)
	if code != exitBadInput || !strings.Contains(stderr, "sharded run") {
		t.Errorf("single run over shards: exit %d: %s", code, stderr)
	}
}

// sweep check reports a grid of 10^12 configurations with its estimated
// time and output size (from a sample; nothing of that size is run).
func TestCheckTrillionGrid(t *testing.T) {
	src := `name: trillion
fixed: {mode: serving, model: Llama3_8B, hardware: H100}
grid:
  batch_size: {from: 1, to: 10000, step: 1}
  seq_len: {from: 1, to: 10000, step: 1}
  output_tokens: {from: 1, to: 10000, step: 1}
`
	file := writeSweep(t, t.TempDir(), "t.yaml", src)
	code, stdout, stderr := runCLI(t, "check", file, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	var out struct {
		Configurations uint64 `json:"configurations"`
		Estimate       struct {
			Seconds float64 `json:"seconds"`
			Bytes   float64 `json:"bytes"`
			Sample  int64   `json:"sample"`
		} `json:"estimate"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Configurations != 1e12 {
		t.Errorf("configurations %d, want 10^12", out.Configurations)
	}
	if out.Estimate.Sample <= 0 || out.Estimate.Seconds <= 0 || out.Estimate.Bytes < 1e12 {
		t.Errorf("estimate %+v: want a positive time and at least a byte per configuration", out.Estimate)
	}
	code, stdout, _ = runCLI(t, "check", file)
	if code != 0 || !strings.Contains(stdout, "configurations: 1000000000000") || !strings.Contains(stdout, "estimated time") || !strings.Contains(stdout, "estimated output") {
		t.Errorf("check text: exit %d:\n%s", code, stdout)
	}
}
