package dse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
	"github.com/mlsysim/mlsysim-go/internal/runtest"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// interruptSweep has 262144 configurations in 64 parts of 4096 (4 row groups
// each), so that interruptions land at many different points.
const interruptSweep = `name: interrupt-test
fixed: {mode: serving}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, A100, B200, H200]
  precision: [fp16, int8]
  batch_size: {from: 1, to: 1024, step: 1}
  seq_len: {from: 512, to: 8192, step: 512}
objectives:
  - {maximize: tokens_per_s}
  - {minimize: itl_s}
group_by: [model]
outputs: {row_group_rows: 1024, part_rows: 4096}
`

const interruptSize = 2 * 4 * 2 * 1024 * 16

// Environment of a child process that runs one Execute (see TestMain).
const (
	envChild  = "MLSYSIM_DSE_TEST_CHILD" // the sweep file
	envOut    = "MLSYSIM_DSE_TEST_OUT"
	envResume = "MLSYSIM_DSE_TEST_RESUME"
)

// Exit codes of the child, as the command line gives them.
const (
	childInterrupted = 130
	childBadInput    = 2
	childFailure     = 1
)

// TestMain lets the test binary run itself as a child that executes one
// sweep until done or signalled, so that runs can be interrupted by real
// signals, SIGKILL included, without building the command line.
func TestMain(m *testing.M) {
	if file := os.Getenv(envChild); file != "" {
		os.Exit(runChild(file))
	}
	os.Exit(m.Run())
}

func runChild(file string) int {
	s, err := LoadSpec(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return childBadInput
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err = Execute(ctx, s, RunOptions{Out: os.Getenv(envOut), Workers: 2, Version: testVersion, Resume: os.Getenv(envResume) == "1"})
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		return childInterrupted
	case errors.As(err, new(*InputError)):
		fmt.Fprintln(os.Stderr, err)
		return childBadInput
	}
	fmt.Fprintln(os.Stderr, err)
	return childFailure
}

// child returns the command that runs file into out in a child process.
func child(t testing.TB, file, out string, resume bool) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	r := "0"
	if resume {
		r = "1"
	}
	cmd.Env = append(os.Environ(), envChild+"="+file, envOut+"="+out, envResume+"="+r)
	return cmd
}

// runChildTo runs the child to completion and returns its exit code and output.
func runChildTo(t testing.TB, file, out string, resume bool) (int, string) {
	t.Helper()
	b, err := child(t, file, out, resume).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(b)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(b)
}

// interruptAfter starts a child run, waits until its manifest records at
// least minParts parts (a random point of the run), sends sig and waits.
// It returns the exit status (-1 when killed by the signal) and the output.
func interruptAfter(t *testing.T, sig syscall.Signal, minParts int, manifest, file, out string, resume bool) (int, string) {
	t.Helper()
	cmd := child(t, file, out, resume)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited: // finished before the point was reached
			if err != nil {
				t.Fatalf("exited early: %v: %s", err, buf.String())
			}
			return 0, buf.String()
		case <-tick.C:
		}
		if m, err := outputs.ReadManifestFile(manifest); err == nil && len(m.Parts) >= minParts {
			break
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), buf.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, buf.String()
}

// checkVisible checks that every visible results file is a valid Parquet
// file and that the manifest describes exactly them (after a SIGKILL, a part
// renamed after the manifest's last rewrite may also be visible: allowSpare
// counts how many such files may exist; they must be valid too).
func checkVisible(t *testing.T, out, results, manifest string, allowSpare int) *outputs.Manifest {
	t.Helper()
	m, err := outputs.ReadManifestFile(manifest)
	if err != nil {
		t.Fatalf("manifest after interruption: %v", err)
	}
	listed := map[string]outputs.Part{}
	for _, p := range m.Parts {
		listed[p.File] = p
	}
	ents, err := os.ReadDir(filepath.Join(out, results))
	if err != nil {
		t.Fatal(err)
	}
	spare := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue // temporary files are invisible to readers (and removed on resume)
		}
		rel := filepath.ToSlash(filepath.Join(results, e.Name()))
		fi, err := outputs.Inspect(filepath.Join(out, rel))
		if err != nil {
			t.Errorf("visible file %s is not valid Parquet: %v", rel, err)
			continue
		}
		p, ok := listed[rel]
		if !ok {
			spare++
			continue
		}
		if fi.Rows != p.Rows {
			t.Errorf("%s holds %d rows, the manifest says %d", rel, fi.Rows, p.Rows)
		}
		delete(listed, rel)
	}
	for f := range listed {
		t.Errorf("the manifest lists %s, which is not there", f)
	}
	if spare > allowSpare {
		t.Errorf("%d visible parts the manifest does not list (at most %d allowed)", spare, allowSpare)
	}
	if m.Complete {
		t.Errorf("an interrupted run's manifest says complete")
	}
	var at int64
	for _, p := range m.Parts {
		if p.Lo < at {
			t.Errorf("parts overlap at %d", p.Lo)
		}
		at = p.Hi
	}
	return m
}

var (
	refOnce sync.Once
	refDir  string
	refFile string
)

// reference runs interruptSweep once, uninterrupted.
func reference(t *testing.T) (dir, file string) {
	t.Helper()
	refOnce.Do(func() {
		d, err := os.MkdirTemp("", "dse-ref-")
		if err != nil {
			t.Fatal(err)
		}
		refFile = writeSweep(t, d, "big.yaml", interruptSweep)
		refDir = filepath.Join(d, "out")
		execute(t, load(t, refFile), refDir, RunOptions{})
	})
	if refDir == "" {
		t.Fatal("no reference run")
	}
	return refDir, refFile
}

// Interrupt real runs at random points with SIGINT, SIGTERM and SIGKILL
// (twice in a row for one of them), resume them, and compare with an
// uninterrupted run: same files byte for byte, so no row lost, none twice;
// every visible file valid at every stop.
func TestInterruptResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sweeps in child processes several times")
	}
	ref, file := reference(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	cases := []struct {
		name  string
		sigs  []syscall.Signal
		spare int
	}{
		{"SIGINT", []syscall.Signal{syscall.SIGINT}, 0},
		{"SIGTERM", []syscall.Signal{syscall.SIGTERM}, 0},
		{"SIGKILL", []syscall.Signal{syscall.SIGKILL}, 2},
		{"SIGTERM then SIGKILL", []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}, 2},
	}
	base := t.TempDir() // outlives the subtests, for the DuckDB check
	var last string     // a resumed run folder
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(base, fmt.Sprintf("out%d", ci))
			manifest := filepath.Join(out, outputs.ManifestFile)
			for i, sig := range c.sigs {
				at := 1 + rng.IntN(50)
				code, text := interruptAfter(t, sig, at, manifest, file, out, i > 0)
				want := childInterrupted
				if sig == syscall.SIGKILL {
					want = -1
				}
				if code == 0 {
					t.Logf("the run ended before part %d; nothing to interrupt", at)
					break
				}
				if code != want {
					t.Fatalf("%v after %d parts: exit %d, want %d: %s", sig, at, code, want, text)
				}
				m := checkVisible(t, out, "results", manifest, c.spare)
				t.Logf("%v after ≥%d parts: manifest has %d parts, %d configurations", sig, at, len(m.Parts), m.Counts.Enumerated)
			}
			if code, text := runChildTo(t, file, out, true); code != 0 {
				t.Fatalf("resume: exit %d: %s", code, text)
			}
			tmps, _ := filepath.Glob(filepath.Join(out, "results", ".part-*.tmp-*"))
			if len(tmps) > 0 {
				t.Errorf("temporary files left after resume: %v", tmps)
			}
			m, err := outputs.ReadManifest(out)
			if err != nil {
				t.Fatal(err)
			}
			rm, _ := outputs.ReadManifest(ref)
			if !m.Complete || m.Counts != rm.Counts || len(m.Parts) != 64 || m.Pareto == nil || m.Pareto.Rows != rm.Pareto.Rows {
				t.Errorf("resumed manifest: complete %v, counts %+v (want %+v), %d parts", m.Complete, m.Counts, rm.Counts, len(m.Parts))
			}
			runtest.SameFiles(t, ref, out)
			last = out
		})
	}
	// The files are the reference's byte for byte; DuckDB reads them as
	// every configuration once.
	duckdbtest.Check(t, func(t *testing.T) {
		if last == "" {
			t.Skip("no resumed run")
		}
		want := duckSummary(t, filepath.Join(ref, "results", "*.parquet"), false)
		got := duckSummary(t, filepath.Join(last, "results", "*.parquet"), false)
		if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(got["n"]) != fmt.Sprint(interruptSize) || fmt.Sprint(got["d"]) != fmt.Sprint(interruptSize) {
			t.Errorf("DuckDB reads %v from the resumed run, %v from the reference", got, want)
		}
	})
}

// An in-process cancellation at any part leaves a manifest that describes
// the visible files and a report of what was written; a resume completes
// the run with the files of an uninterrupted one.
func TestExecuteCancelledResumes(t *testing.T) {
	ref, file := reference(t)
	s := load(t, file)
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parts := 0
	rep, err := Execute(ctx, s, RunOptions{Out: out, Version: testVersion, Workers: 2, OnProgress: func(p Progress) {
		if parts++; parts == 7 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || rep == nil || rep.Manifest.Complete || rep.Hi-rep.Lo != interruptSize {
		t.Fatalf("cancelled run: %v, report %+v", err, rep)
	}
	checkVisible(t, out, "results", filepath.Join(out, outputs.ManifestFile), 0)
	execute(t, s, out, RunOptions{Resume: true})
	runtest.SameFiles(t, ref, out)
	// A resume with no manifest starts afresh.
	fresh := filepath.Join(t.TempDir(), "fresh")
	execute(t, s, fresh, RunOptions{Resume: true})
	runtest.SameFiles(t, ref, fresh)
	if names := slices.Collect(func(yield func(string) bool) {
		ents, _ := os.ReadDir(filepath.Join(fresh, "results"))
		for _, e := range ents {
			if !yield(e.Name()) {
				return
			}
		}
	}); len(names) != 64 {
		t.Errorf("%d files in results, want 64", len(names))
	}
}
