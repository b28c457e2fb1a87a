// Package duckdbtest runs SQL in a real DuckDB (DuckDB's Node API, installed
// in tests/duckdb by `make duckdb` or CI) so tests can check that our files
// are read correctly by an external reader. Without Node or the package the
// tests skip, unless MLSYSIM_REQUIRE_DUCKDB=1 (as in CI), where they fail.
//
// A test puts its DuckDB checks in a subtest of their own (Check), so that
// where DuckDB is missing only those checks skip, and the test's other
// assertions still count as passed.
package duckdbtest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the tests/duckdb folder of the repository.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "tests", "duckdb")
}

// Available reports whether DuckDB can run here, and why not.
func Available() (bool, string) {
	if _, err := exec.LookPath("node"); err != nil {
		return false, "node is not installed"
	}
	if _, err := os.Stat(filepath.Join(Dir(), "node_modules", "@duckdb", "node-api")); err != nil {
		return false, "tests/duckdb has no node_modules (run make duckdb)"
	}
	return true, ""
}

// Check runs fn as the subtest "duckdb" of t and reports whether it
// passed (or skipped). Query skips only that subtest when DuckDB is missing.
func Check(t *testing.T, fn func(t *testing.T)) bool {
	t.Helper()
	return t.Run("duckdb", fn)
}

// Query runs sql and returns the rows as JSON objects (numbers as float64,
// big integers possibly as strings, as DuckDB's JSON rendering gives them).
func Query(t testing.TB, sql string) []map[string]any {
	t.Helper()
	if ok, why := Available(); !ok {
		if os.Getenv("MLSYSIM_REQUIRE_DUCKDB") == "1" {
			t.Fatalf("DuckDB is required here but %s", why)
		}
		t.Skipf("DuckDB check skipped: %s", why)
	}
	cmd := exec.Command("node", filepath.Join(Dir(), "query.mjs"), sql)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("duckdb: %v: %s\nSQL: %s", err, errb.String(), sql)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("duckdb output: %v: %s", err, out.String())
	}
	return rows
}
