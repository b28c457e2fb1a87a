// Package nodetest runs a Node script kept in a tests/<folder> of the
// repository, with the packages npm installed beside it, and decodes the
// JSON it prints. Where Node or the package is missing the test skips,
// unless the tool's REQUIRE variable is "1" (as in CI), where it fails.
package nodetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Tool is a reader run through Node from tests/Folder.
type Tool struct {
	Name    string // in messages: "DuckDB", "polars"
	Prefix  string // of run and output errors: "duckdb", "polars"
	Folder  string // tests/Folder holds the scripts and node_modules
	Module  string // the package whose node_modules/Module folder must exist
	Install string // how to install it, as told when it is missing
	Require string // the environment variable that, set to "1", fails instead of skipping
	Arg     string // format that names the script's argument in a run error
}

// Dir returns the tests/Folder folder of the repository.
func (tl Tool) Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "tests", tl.Folder)
}

// Available reports whether the tool can run here, and why not.
func (tl Tool) Available() (bool, string) {
	if _, err := exec.LookPath("node"); err != nil {
		return false, "node is not installed"
	}
	if _, err := os.Stat(filepath.Join(tl.Dir(), "node_modules", tl.Module)); err != nil {
		return false, fmt.Sprintf("tests/%s has no node_modules (%s)", tl.Folder, tl.Install)
	}
	return true, ""
}

// Run runs `node tests/Folder/script arg` and decodes what it prints into
// v. It skips t when the tool is missing (fails it when Require is "1"),
// and fails t when the script fails or prints other than JSON.
func (tl Tool) Run(t testing.TB, v any, script, arg string) {
	t.Helper()
	if ok, why := tl.Available(); !ok {
		if os.Getenv(tl.Require) == "1" {
			t.Fatalf("%s is required here but %s", tl.Name, why)
		}
		t.Skipf("%s check skipped: %s", tl.Name, why)
	}
	cmd := exec.Command("node", filepath.Join(tl.Dir(), script), arg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v: %s%s", tl.Prefix, err, errb.String(), fmt.Sprintf(tl.Arg, arg))
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("%s output: %v: %s", tl.Prefix, err, out.String())
	}
}
