package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlsysim/mlsysim-go/dse"
)

// The soft limit covers the workers that run, within the budget, and the
// row groups in flight take at most half the budget.
func TestRunMemory(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name                string
		budget, rowGroup    int64
		workers             int
		wantLimit, wantBufs int64
	}{
		{"one worker", 1024 * mib, 8 * mib, 1, baseMemory + 8*mib, 512 * mib},
		{"sixteen workers", 1024 * mib, 8 * mib, 16, baseMemory + 128*mib, 512 * mib},
		{"more workers than the budget holds", 1024 * mib, 8 * mib, 128, baseMemory + 512*mib, 512 * mib},
		{"a row group larger than the buffers", 256 * mib, 200 * mib, 4, 256 * mib, 128 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit, bufs := runMemory(tc.budget, tc.rowGroup, tc.workers)
			if limit != tc.wantLimit || bufs != tc.wantBufs {
				t.Errorf("runMemory = %d MiB, %d MiB; want %d MiB, %d MiB", limit/mib, bufs/mib, tc.wantLimit/mib, tc.wantBufs/mib)
			}
		})
	}
}

// The sample-run folders of killed checks are removed by the next check;
// those of live processes are not.
func TestRemoveStaleCheckDirs(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead, live := filepath.Join(tmp, "sweep-check-999999999-1"), filepath.Join(tmp, fmt.Sprintf("sweep-check-%d-2", os.Getppid()))
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(filepath.Join(d, "results"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleCheckDirs()
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s survived: %v", dead, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("%s removed: %v", live, err)
	}
}

// A run folder another run holds is exit 1: the command is right and
// succeeds once the folder is free (dse's TestRunFolderLock runs the two).
func TestBusyFolderExitCode(t *testing.T) {
	if got := exitCode(fmt.Errorf("run: %w", dse.ErrBusy)); got != exitFailure {
		t.Errorf("exit %d for a busy folder, want %d", got, exitFailure)
	}
}
