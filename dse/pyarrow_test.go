package dse

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pandas and pyarrow read a run's files as tests/pyarrow/check_outputs.py
// checks them: the string columns as CategoricalDtype, the units in each
// field's metadata, the Arrow twin equal to the Parquet part. It runs where
// python3 has pandas and pyarrow and skips elsewhere (fails under
// MLSYSIM_REQUIRE_PYARROW=1).
func TestPandasReadsRun(t *testing.T) {
	if err := exec.Command("python3", "-c", "import pandas, pyarrow").Run(); err != nil {
		if os.Getenv("MLSYSIM_REQUIRE_PYARROW") == "1" {
			t.Fatalf("pandas and pyarrow are required here: %v", err)
		}
		t.Skip("python3 with pandas and pyarrow is not installed")
	}
	script, err := filepath.Abs(filepath.Join("..", "tests", "pyarrow", "check_outputs.py"))
	if err != nil {
		t.Fatal(err)
	}
	s := load(t, filepath.Join("..", "tests", "pyarrow", "check.yaml"))
	out := filepath.Join(t.TempDir(), "out")
	execute(t, s, out, RunOptions{})
	b, err := exec.Command("python3", script, out).CombinedOutput()
	if err != nil || !strings.Contains(string(b), "\nOK") {
		t.Errorf("check_outputs.py: %v\n%s", err, b)
	}
}
