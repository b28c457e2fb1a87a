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
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/nodetest"
)

var duckdb = nodetest.Tool{
	Name:    "DuckDB",
	Prefix:  "duckdb",
	Folder:  "duckdb",
	Module:  "@duckdb/node-api",
	Install: "run make duckdb",
	Require: "MLSYSIM_REQUIRE_DUCKDB",
	Arg:     "\nSQL: %s",
}

// Dir returns the tests/duckdb folder of the repository.
func Dir() string { return duckdb.Dir() }

// Available reports whether DuckDB can run here, and why not.
func Available() (bool, string) { return duckdb.Available() }

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
	var rows []map[string]any
	duckdb.Run(t, &rows, "query.mjs", sql)
	return rows
}
