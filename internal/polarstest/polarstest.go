// Package polarstest reads files with a real polars (its Node API,
// nodejs-polars, installed in tests/polars by `npm ci` there, as CI does)
// so tests can check what a polars user sees: dtypes, null counts, rows.
// Without Node or the package the checks skip, unless
// MLSYSIM_REQUIRE_POLARS=1 (as in CI), where they fail.
package polarstest

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/nodetest"
)

var polars = nodetest.Tool{
	Name:    "polars",
	Prefix:  "polars",
	Folder:  "polars",
	Module:  "nodejs-polars",
	Install: "run npm ci there",
	Require: "MLSYSIM_REQUIRE_POLARS",
	Arg:     " (file %s)",
}

// Dir returns the tests/polars folder of the repository.
func Dir() string { return polars.Dir() }

// Available reports whether polars can run here, and why not.
func Available() (bool, string) { return polars.Available() }

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
	var f Frame
	polars.Run(t, &f, "read.mjs", file)
	return f
}
