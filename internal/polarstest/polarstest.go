// Package polarstest reads files with a real polars (its Node API,
// nodejs-polars, installed in tests/polars by `npm ci` there, as CI does)
// so tests can check what a polars user sees: dtypes, null counts, rows.
// Without Node or the package the checks skip, unless
// MLSYSIM_REQUIRE_POLARS=1 (as in CI), where they fail.
package polarstest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the tests/polars folder of the repository.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "tests", "polars")
}

// Available reports whether polars can run here, and why not.
func Available() (bool, string) {
	if _, err := exec.LookPath("node"); err != nil {
		return false, "node is not installed"
	}
	if _, err := os.Stat(filepath.Join(Dir(), "node_modules", "nodejs-polars")); err != nil {
		return false, "tests/polars has no node_modules (run npm ci there)"
	}
	return true, ""
}

// Frame is what polars reads from one file.
type Frame struct {
	Rows   int               `json:"rows"`
	Dtypes map[string]string `json:"dtypes"` // column → polars dtype ("Float64", "Categorical" ...)
	Nulls  map[string]int    `json:"nulls"`  // column → null count
}

// Read reads one Parquet (.parquet) or Arrow IPC (.arrow) file with polars.
// It skips t when polars is missing (fails it under MLSYSIM_REQUIRE_POLARS=1).
func Read(t testing.TB, file string) Frame {
	t.Helper()
	if ok, why := Available(); !ok {
		if os.Getenv("MLSYSIM_REQUIRE_POLARS") == "1" {
			t.Fatalf("polars is required here but %s", why)
		}
		t.Skipf("polars check skipped: %s", why)
	}
	cmd := exec.Command("node", filepath.Join(Dir(), "read.mjs"), file)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("polars: %v: %s (file %s)", err, errb.String(), file)
	}
	var f Frame
	if err := json.Unmarshal(out.Bytes(), &f); err != nil {
		t.Fatalf("polars output: %v: %s", err, out.String())
	}
	return f
}
