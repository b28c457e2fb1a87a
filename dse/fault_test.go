package dse

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// mountTmpfs mounts a tmpfs of the given options on a new folder, or skips
// the test where mounting is not allowed (not root, no CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// checkNoPartialFiles checks that out holds no temporary file and that every
// visible result file is valid Parquet listed in a valid manifest.
func checkNoPartialFiles(t *testing.T, out string) {
	t.Helper()
	m, merr := outputs.ReadManifest(out)
	listed := map[string]bool{}
	if merr == nil {
		for _, p := range m.Parts {
			listed[p.File] = true
		}
	} else if !os.IsNotExist(merr) {
		t.Errorf("manifest: %v", merr)
	}
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(out, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.Contains(d.Name(), ".tmp-"):
			t.Errorf("temporary file left: %s", rel)
		case strings.HasSuffix(rel, ".parquet"):
			if _, err := outputs.Inspect(p); err != nil {
				t.Errorf("%s is not valid Parquet: %v", rel, err)
			}
			if strings.HasPrefix(rel, "results/") && !listed[rel] {
				t.Errorf("%s is visible but not in the manifest", rel)
			}
		}
		return nil
	})
}

// failure runs s into out, which must fail with an error that is not the
// input's fault and says why.
func failure(t *testing.T, s *Spec, out, why string) {
	t.Helper()
	_, err := Execute(context.Background(), s, RunOptions{Out: out, Version: testVersion})
	if err == nil || errors.As(err, new(*InputError)) || !strings.Contains(err.Error(), why) {
		t.Fatalf("Execute: %v; want a failure saying %q", err, why)
	}
}

// A full disk stops the run with an error that says so, and leaves no
// partial file visible.
func TestFaultDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "size=1m")
	s := load(t, writeSweep(t, t.TempDir(), "big.yaml", interruptSweep))
	out := filepath.Join(dir, "out")
	failure(t, s, out, "no space left on device")
	checkNoPartialFiles(t, out)
}

// An output folder that cannot be written gives a clear error.
func TestFaultUnwritable(t *testing.T) {
	s := load(t, writeSweep(t, t.TempDir(), "big.yaml", interruptSweep))
	t.Run("read-only filesystem", func(t *testing.T) {
		dir := mountTmpfs(t, "size=1m,ro")
		failure(t, s, filepath.Join(dir, "out"), "read-only file system")
	})
	t.Run("permission denied", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes through permissions")
		}
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		failure(t, s, filepath.Join(dir, "out"), "permission denied")
	})
	t.Run("a file in the way", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		failure(t, s, filepath.Join(f, "out"), "not a directory")
	})
}

// Configurations whose arithmetic overflows are rows with feasible=false
// and a reason, not errors, and the run completes.
func TestNonFiniteRowsAreInfeasible(t *testing.T) {
	src := `name: overflow
fixed: {mode: training, model: Llama3_8B, hardware: H100, dp: 8, gpus: 8}
grid:
  straggler: [1, 1e308]
`
	s := load(t, writeSweep(t, t.TempDir(), "overflow.yaml", src))
	out := filepath.Join(t.TempDir(), "out")
	execute(t, s, out, RunOptions{})
	files, err := outputs.ResultFiles(out)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	var feasible []bool
	err = outputs.ReadColumns(files, []string{"straggler", "feasible", "infeasible_reason"}, func(b *outputs.ColumnBatch) error {
		for i := range b.Len {
			feasible = append(feasible, b.Col("feasible").Bool[i])
			reasons = append(reasons, b.Col("infeasible_reason").String[i])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(reasons) != 2 {
		t.Fatalf("%d rows, want 2", len(reasons))
	}
	if feasible[1] || !strings.HasPrefix(reasons[1], "numerical") {
		t.Errorf("straggler=1e308: feasible %v, reason %q; want infeasible for a non-finite result", feasible[1], reasons[1])
	}
}
