package dse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/runtest"
	"github.com/mlsysim/mlsysim-go/outputs"
)

const outSweep = "name: small\nfixed: {mode: inference, model: Llama3_8B}\ngrid:\n  hardware: [H100, A100]\n  batch_size: [1, 2, 4, 8]\n" +
	"objectives:\n  - {maximize: throughput_per_s}\n  - {minimize: latency_s}\n"

// A run never overwrites a file it did not write nor writes through a
// symbolic link it did not create; --force runs beside foreign files.
func TestForeignFilesAndLinks(t *testing.T) {
	s := load(t, writeSweep(t, t.TempDir(), "s.yaml", outSweep))
	mine := []byte("the user's own file")
	for _, tc := range []struct {
		name  string
		setup func(out string)
		want  string // "" = the run goes ahead
		force bool
	}{
		{"user pareto", func(out string) { os.WriteFile(filepath.Join(out, "pareto.parquet"), mine, 0o644) }, "pareto.parquet", false},
		{"user plot", func(out string) {
			os.Mkdir(filepath.Join(out, "plots"), 0o755)
			os.WriteFile(filepath.Join(out, "plots", "keep.png"), mine, 0o644)
		}, "plots/keep.png", false},
		{"other name", func(out string) { os.WriteFile(filepath.Join(out, "notes.txt"), mine, 0o644) }, "notes.txt", false},
		{"other name forced", func(out string) { os.WriteFile(filepath.Join(out, "notes.txt"), mine, 0o644) }, "", true},
		{"symlinked plots", func(out string) { os.Symlink(t.TempDir(), filepath.Join(out, "plots")) }, "symbolic link", false},
		{"symlinked results, forced", func(out string) { os.Symlink(t.TempDir(), filepath.Join(out, "results")) }, "symbolic link", true},
		{"stale temporary files only", func(out string) {
			os.WriteFile(filepath.Join(out, ".manifest.json.tmp-123"), nil, 0o644)
			os.WriteFile(filepath.Join(out, ".pareto.parquet.tmp-9"), nil, 0o644)
		}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			os.Mkdir(out, 0o755)
			tc.setup(out)
			if tc.want != "" {
				refused(t, s, out, RunOptions{Force: tc.force}, tc.want)
				if b, err := os.ReadFile(filepath.Join(out, "pareto.parquet")); err == nil && string(b) != string(mine) {
					t.Error("the user's pareto.parquet was overwritten")
				}
				return
			}
			execute(t, s, out, RunOptions{Force: tc.force})
			ents, _ := os.ReadDir(out)
			for _, e := range ents {
				if isToolTemp(e.Name()) || isLock(e.Name()) {
					t.Errorf("%s left in the run folder", e.Name())
				}
			}
		})
	}
	// A folder of an earlier run of this tool is its own to replace.
	out := filepath.Join(t.TempDir(), "out")
	execute(t, s, out, RunOptions{})
	execute(t, s, out, RunOptions{})
}

// Two runs into one folder: the second is refused while the first holds
// it, names the holder, and succeeds once the first is done; a lock its
// holder left behind (killed) is taken over.
func TestRunFolderLock(t *testing.T) {
	s := load(t, writeSweep(t, t.TempDir(), "s.yaml", outSweep))
	out := filepath.Join(t.TempDir(), "out")
	started, finish := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		once := false
		_, err := Execute(context.Background(), s, RunOptions{Out: out, Version: testVersion, Workers: 1,
			OnProgress: func(Progress) {
				if !once {
					once = true
					close(started)
					<-finish
				}
			}})
		done <- err
	}()
	<-started
	_, err := Execute(context.Background(), s, RunOptions{Out: out, Version: testVersion})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "pid ") || !strings.Contains(err.Error(), "host ") {
		t.Errorf("second run: %v; want ErrBusy naming the holder", err)
	}
	var in *InputError
	if errors.As(err, &in) {
		t.Errorf("a busy folder is not bad input: %v", err)
	}
	close(finish)
	if err := <-done; err != nil {
		t.Fatalf("first run: %v", err)
	}
	execute(t, s, out, RunOptions{})

	// A lock file left by a killed run (no flock held) is taken over.
	host, _ := os.Hostname()
	os.WriteFile(lockPath(out, nil), []byte("pid 999999999\nhost "+host+"\n"), 0o644)
	var notices []string
	execute(t, s, out, RunOptions{OnNotice: func(m string) { notices = append(notices, m) }})
	if len(notices) == 0 || !strings.Contains(notices[0], "taking over") {
		t.Errorf("notices %q; want the stale lock taken over", notices)
	}
	if _, err := os.Stat(lockPath(out, nil)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left after the run: %v", err)
	}
}

// Temporary files of killed runs are removed by the next run and by
// CleanStale; other files are not touched.
func TestStaleTemporaryFiles(t *testing.T) {
	s := load(t, writeSweep(t, t.TempDir(), "s.yaml", outSweep))
	out := filepath.Join(t.TempDir(), "out")
	execute(t, s, out, RunOptions{})
	stale := []string{".manifest.json.tmp-1", ".pareto.parquet.tmp-2", "plots/.pareto.png.tmp345", "results/.part-00000.parquet.tmp-6"}
	put := func() {
		os.MkdirAll(filepath.Join(out, "plots"), 0o755)
		for _, f := range stale {
			if err := os.WriteFile(filepath.Join(out, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	put()
	removed, err := CleanStale(out)
	if err != nil || len(removed) != len(stale) {
		t.Fatalf("CleanStale removed %q, %v; want %q", removed, err, stale)
	}
	put()
	var notices []string
	execute(t, s, out, RunOptions{Resume: true, OnNotice: func(m string) { notices = append(notices, m) }})
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(out, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived the next run", f)
		}
	}
	if len(notices) == 0 || !strings.Contains(notices[0], "temporary files") {
		t.Errorf("notices %q", notices)
	}
	if _, err := outputs.ReadManifest(out); err != nil {
		t.Fatal(err)
	}
	// A folder a live run holds is not cleaned.
	lk, err := acquireLock(lockPath(out, nil), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer lk.release()
	if _, err := CleanStale(out); !errors.Is(err, ErrBusy) {
		t.Errorf("CleanStale of a held folder: %v", err)
	}
}

// A memory bound that the row groups of all workers would pass runs fewer
// workers at once, with the same files.
func TestMaxBufferBytes(t *testing.T) {
	s := load(t, writeSweep(t, t.TempDir(), "s.yaml", lifeSweep))
	rg := RowGroupBytes(s)
	if rg <= 0 {
		t.Fatalf("RowGroupBytes = %d", rg)
	}
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	execute(t, s, a, RunOptions{Workers: 4})
	execute(t, s, b, RunOptions{Workers: 4, MaxBufferBytes: rg + rg/2}) // room for one
	runtest.SameFiles(t, a, b)
}
