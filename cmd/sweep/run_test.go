package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
)

// tinyRunSweep has 64 configurations in 4 parts of 16.
const tinyRunSweep = `name: run-test
fixed: {mode: serving, model: Llama3_8B}
grid:
  hardware: [H100, B200]
  batch_size: {from: 1, to: 32, step: 1}
objectives:
  - {maximize: tokens_per_s}
  - {minimize: itl_s}
outputs: {row_group_rows: 16, part_rows: 16}
`

// writeSweep writes src to dir/name and returns its path.
func writeSweep(t testing.TB, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func cliRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("sweep %s: exit %d: %s %s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// cliFails runs the command line, which must exit with code and say want
// on stderr.
func cliFails(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	got, stdout, stderr := runCLI(t, args...)
	if got != code || !strings.Contains(stderr, want) {
		t.Errorf("sweep %s: exit %d (want %d): %s %s; want %q", strings.Join(args, " "), got, code, stdout, stderr, want)
	}
}

// The run, status and merge commands map the lifecycle of package dse
// (tested there) to flags, printed lines and exit codes.
func TestRunStatusMergeCommands(t *testing.T) {
	dir := t.TempDir()
	file := writeSweep(t, dir, "s.yaml", tinyRunSweep)
	out := filepath.Join(dir, "out")
	if so := cliRun(t, "run", file, "--out", out, "--progress", "none"); !strings.Contains(so, "run-test: 64 configurations") {
		t.Errorf("run prints %q", so)
	}
	cliRun(t, "run", file, "--out", out, "--resume", "--progress", "none")
	if so := cliRun(t, "status", out); !strings.Contains(so, "run of run-test, complete: 64 of 64 configurations (100.0%)") {
		t.Errorf("status prints %q", so)
	}
	if so := cliRun(t, "run", file, "--out", out, "--quiet", "--progress", "none"); so != "" {
		t.Errorf("--quiet prints %q", so)
	}
	changed := writeSweep(t, dir, "c.yaml", strings.Replace(tinyRunSweep, "to: 32", "to: 16", 1))
	cliFails(t, exitBadInput, "the sweep file changed", "run", changed, "--out", out, "--resume")
	cliFails(t, exitBadInput, "--workers must be", "run", file, "--out", out, "--workers", "-1")
	cliFails(t, exitBadInput, "--merge takes neither", "run", file, "--out", out, "--merge", "--resume")
	cliFails(t, exitBadInput, "--shard", "run", file, "--out", out, "--shard", "2/2")
	cliFails(t, exitBadInput, "nothing to merge", "run", file, "--out", out, "--merge")
	cliFails(t, exitBadInput, "holds no run", "status", dir)
	cliFails(t, exitBadInput, "one run folder", "status")
	cliFails(t, exitBadInput, "one sweep file", "run", file, file)

	sharded := filepath.Join(dir, "sharded")
	if so := cliRun(t, "run", file, "--out", sharded, "--shard", "0/2", "--progress", "none"); !strings.Contains(so, "shard 0/2: configurations [0, 32)") {
		t.Errorf("shard run prints %q", so)
	}
	if so := cliRun(t, "status", sharded); !strings.Contains(so, "incomplete: 1 of 2 shards complete") || !strings.Contains(so, "shard 1: not started") ||
		!strings.Contains(so, "shard 0: complete, configurations [0, 32)") {
		t.Errorf("status before the last shard:\n%s", so)
	}
	cliFails(t, exitFailure, "1 (not started)", "run", file, "--out", sharded, "--merge")
	cliRun(t, "run", file, "--out", sharded, "--shard", "1/2", "--progress", "none")
	if so := cliRun(t, "status", sharded); !strings.Contains(so, "not merged yet") {
		t.Errorf("status before the merge:\n%s", so)
	}
	if so := cliRun(t, "run", file, "--out", sharded, "--merge"); !strings.Contains(so, "merged 2 shards: 64 configurations, 64 rows") {
		t.Errorf("merge prints %q", so)
	}
	var st dse.Status
	if err := json.Unmarshal([]byte(cliRun(t, "status", sharded, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if !st.Complete || !st.Merged || len(st.Shards) != 2 || st.Enumerated != 64 {
		t.Errorf("status --json after the merge: %+v", st)
	}
}

// An interrupted run says how far it got and how to continue, and exits 130.
func TestRunInterruptedMessage(t *testing.T) {
	spec, err := loadSpec(&cobra.Command{}, []string{writeSweep(t, t.TempDir(), "s.yaml", tinyRunSweep)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr strings.Builder
	err = runSweep(ctx, spec, runOptions{out: filepath.Join(t.TempDir(), "out"), progress: "none"}, &stdout, &stderr)
	if exitCode(err) != exitInterrupted || !strings.Contains(stderr.String(), "continue with --resume") {
		t.Errorf("cancelled run: %v (exit %d): %s", err, exitCode(err), stderr.String())
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
