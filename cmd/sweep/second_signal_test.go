package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim-go/internal/runtest"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// envCLI makes the test binary run the sweep command itself (TestMain), so
// that tests can send real signals to the real main without building it.
const envCLI = "SWEEP_TEST_RUN_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(envCLI) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// signalSweep is large enough (65,536 rows in parts of 4,096) that a run is
// still busy when the signals arrive.
const signalSweep = `name: signal-test
fixed: {mode: serving}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100, B200, H200]
  precision: [fp16, int8]
  batch_size: {from: 1, to: 256, step: 1}
  seq_len: {from: 512, to: 8192, step: 512}
objectives:
  - {maximize: tokens_per_s}
  - {minimize: itl_s}
group_by: [model]
outputs: {row_group_rows: 1024, part_rows: 4096}
`

// cli runs the sweep command in a child process.
func cli(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envCLI+"=1")
	return cmd
}

// A second SIGINT while the run is stopping after the first exits at once,
// with 130, leaving only valid visible files; a resume then gives the files
// of an uninterrupted run.
func TestSecondSignalExits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the sweep command three times")
	}
	dir := t.TempDir()
	file := writeSweep(t, dir, "s.yaml", signalSweep)
	ref := filepath.Join(dir, "ref")
	if out, err := cli("run", file, "--out", ref, "--progress", "none").CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v: %s", err, out)
	}
	out := filepath.Join(dir, "out")
	args := []string{"run", file, "--out", out, "--progress", "none", "--workers", "2"}
	code, text := interruptTwice(t, filepath.Join(out, outputs.ManifestFile), args...)
	if code == 0 {
		t.Skip("the run ended before the signals")
	}
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d: %s", code, exitInterrupted, text)
	}
	visibleValid(t, filepath.Join(out, "results"))
	if b, err := cli(append(slices.Clone(args), "--resume")...).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v: %s", err, b)
	}
	runtest.SameFiles(t, ref, out)
}

// interruptTwice starts the sweep, waits for its first part, then sends
// SIGINT twice in a row and waits. It returns the exit status and output.
func interruptTwice(t *testing.T, manifest string, args ...string) (int, string) {
	t.Helper()
	cmd := cli(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("exited early: %v: %s", err, out.String())
			}
			return 0, out.String()
		case <-tick.C:
		}
		if m, err := outputs.ReadManifestFile(manifest); err == nil && len(m.Parts) >= 1 {
			break wait
		}
	}
	for range 2 {
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			break // already gone after the first
		}
	}
	err := <-exited
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// visibleValid checks that every visible Parquet file in dir is readable.
func visibleValid(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue // temporary files are invisible to readers
		}
		if _, err := outputs.Inspect(filepath.Join(dir, e.Name())); err != nil {
			t.Errorf("visible file %s is not valid Parquet: %v", e.Name(), err)
		}
	}
}
