package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// A second SIGINT while the run is stopping after the first exits at once,
// with 130, leaving only valid visible files; a resume then gives the files
// of an uninterrupted run.
func TestSecondSignalExits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the sweep binary")
	}
	ref, file := reference(t)
	out := filepath.Join(t.TempDir(), "out")
	manifest := filepath.Join(out, outputs.ManifestFile)
	args := []string{"run", file, "--out", out, "--progress", "none", "--workers", "2"}
	code, text := interruptTwice(t, manifest, args...)
	if code == 0 {
		t.Skip("the run ended before the signals")
	}
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d: %s", code, exitInterrupted, text)
	}
	checkVisible(t, out, "results", manifest, 2)
	if code, text := runBinary(t, append(slices.Clone(args), "--resume")...); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, text)
	}
	sameFiles(t, ref, out)
}

// interruptTwice starts the sweep, waits for its first part, then sends
// SIGINT twice in a row and waits. It returns the exit status and output.
func interruptTwice(t *testing.T, manifest string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(sweepBinary(t), args...)
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
