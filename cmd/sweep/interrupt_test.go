package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// bigSweep has 262144 configurations in 64 parts of 4096 (4 row groups
// each), so that interruptions land at many different points.
const bigSweep = `name: interrupt-test
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

const bigSize = 2 * 4 * 2 * 1024 * 16

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// sweepBinary builds the sweep command once per test process.
func sweepBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sweep-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "sweep")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// writeSweep writes src to dir/name and returns its path.
func writeSweep(t testing.TB, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runBinary runs the built sweep to completion and returns its exit code
// and output.
func runBinary(t testing.TB, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(sweepBinary(t), args...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// interruptAfter starts the sweep, waits until its manifest records at
// least minParts parts (a random point of the run), sends sig and waits.
// It returns the exit status (-1 when killed by the signal) and the output.
func interruptAfter(t *testing.T, sig syscall.Signal, minParts int, manifest string, args ...string) (int, string) {
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
	for {
		select {
		case err := <-exited: // finished before the point was reached
			if err != nil {
				t.Fatalf("exited early: %v: %s", err, out.String())
			}
			return 0, out.String()
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
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
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

// sameFiles checks that the run folder b holds byte for byte the results
// and Pareto set of a.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	list := func(dir string) []string {
		var out []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".parquet") || strings.HasSuffix(p, ".arrow")) {
				r, _ := filepath.Rel(dir, p)
				out = append(out, r)
			}
			return nil
		})
		slices.Sort(out)
		return out
	}
	fa, fb := list(a), list(b)
	if !slices.Equal(fa, fb) {
		t.Fatalf("files differ:\n%v\n%v", fa, fb)
	}
	for _, f := range fa {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs", f)
		}
	}
}

// duckSummary is what DuckDB reads from a set of result files: rows,
// distinct indexes, and a checksum of every row (the index included, so a
// row moved to another index changes it).
func duckSummary(t *testing.T, glob string, hive bool) map[string]any {
	t.Helper()
	from := fmt.Sprintf("SELECT * FROM read_parquet('%s')", glob)
	if hive {
		from = fmt.Sprintf("SELECT * EXCLUDE (shard) FROM read_parquet('%s', hive_partitioning=true)", glob)
	}
	rows := duckdbtest.Query(t, "SELECT count(*) AS n, count(DISTINCT index) AS d, "+
		"sum(hash(r)) AS h FROM ("+from+") r")
	return rows[0]
}

var (
	refOnce sync.Once
	refDir  string
	refFile string
)

// reference runs bigSweep once, uninterrupted.
func reference(t *testing.T) (dir, file string) {
	t.Helper()
	refOnce.Do(func() {
		d, err := os.MkdirTemp("", "sweep-ref-")
		if err != nil {
			t.Fatal(err)
		}
		refFile = writeSweep(t, d, "big.yaml", bigSweep)
		refDir = filepath.Join(d, "out")
		if code, out := runBinary(t, "run", refFile, "--out", refDir, "--progress", "none"); code != 0 {
			t.Fatalf("reference run: exit %d: %s", code, out)
		}
	})
	if refDir == "" {
		t.Fatal("no reference run")
	}
	return refDir, refFile
}

// Interrupt real runs of the built binary at random points with SIGINT,
// SIGTERM and SIGKILL (twice in a row for one of them), resume them, and
// compare with an uninterrupted run: same files byte for byte, so no row
// lost, none twice; every visible file valid at every stop.
func TestInterruptResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the sweep binary several times")
	}
	ref, file := reference(t)
	want := duckSummary(t, filepath.Join(ref, "results", "*.parquet"), false)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	cases := []struct {
		name  string
		sigs  []syscall.Signal
		code  int // exit code after the signal
		spare int
	}{
		{"SIGINT", []syscall.Signal{syscall.SIGINT}, exitInterrupted, 0},
		{"SIGTERM", []syscall.Signal{syscall.SIGTERM}, exitInterrupted, 0},
		{"SIGKILL", []syscall.Signal{syscall.SIGKILL}, -1, 2},
		{"SIGTERM then SIGKILL", []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}, 0, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			manifest := filepath.Join(out, outputs.ManifestFile)
			args := []string{"run", file, "--out", out, "--progress", "none", "--workers", "2"}
			for i, sig := range c.sigs {
				a := args
				if i > 0 {
					a = append(slices.Clone(args), "--resume")
				}
				at := 1 + rng.IntN(50)
				code, text := interruptAfter(t, sig, at, manifest, a...)
				want := exitInterrupted
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
			if code, text := runBinary(t, append(args, "--resume")...); code != 0 {
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
			sameFiles(t, ref, out)
			got := duckSummary(t, filepath.Join(out, "results", "*.parquet"), false)
			if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(got["n"]) != fmt.Sprint(bigSize) || fmt.Sprint(got["d"]) != fmt.Sprint(bigSize) {
				t.Errorf("DuckDB reads %v from the resumed run, %v from the reference", got, want)
			}
		})
	}
}
