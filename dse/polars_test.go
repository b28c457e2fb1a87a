package dse

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/polarstest"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// polars reads a run's Parquet and Arrow files with the string columns as
// Categorical (from the stored Arrow schema's dictionary types), numbers as
// Float64 or Int64, flags as Bool, and a null where the row has none.
// (nodejs-polars does not expose a file's key-value or field metadata; the
// units are checked in the same file with the Go reader.)
func TestPolarsReadsRun(t *testing.T) {
	s := mustParse(t, strings.Replace(nullSweep, "[parquet, arrow, csv]", "[parquet, arrow]", 1))
	dir := t.TempDir()
	rep := runTo(t, s, dir, 1)
	part := filepath.Join(dir, rep.Parts[0].File)
	fi, err := outputs.Inspect(part)
	if err != nil {
		t.Fatal(err)
	}
	for col, want := range map[string]string{"latency_s": "s", "memory_bytes": "B", "cost_per_mtok_usd": "USD", "energy_j": "J"} {
		if got := fi.Unit(col); got != want {
			t.Errorf("unit of %s in the file's metadata: %q, want %q", col, got, want)
		}
	}
	feasible, unreachable := expectedNulls(t, s)
	wantNulls := 0
	for i := range feasible {
		if !feasible[i] || unreachable[i] {
			wantNulls++
		}
	}
	for _, file := range []string{part, ArrowPath(part)} {
		t.Run(filepath.Ext(file)[1:], func(t *testing.T) {
			f := polarstest.Read(t, file)
			if int64(f.Rows) != rep.Written {
				t.Errorf("polars reads %d rows, the run wrote %d", f.Rows, rep.Written)
			}
			strs := 0
			for _, c := range rep.Schema.Cols {
				want := map[outputs.ColumnType]string{outputs.Float64: "Float64", outputs.Int64: "Int64", outputs.Bool: "Bool", outputs.String: "Categorical"}[c.Type]
				if c.Type == outputs.String && !c.Coded() {
					want = "String" // free text: no dictionary
				}
				if c.Type == outputs.String {
					strs++
				}
				if got := f.Dtypes[c.Name]; got != want {
					t.Errorf("column %s (%v): polars dtype %q, want %q", c.Name, c.Type, got, want)
				}
			}
			if strs < 5 {
				t.Errorf("%d string columns; the check wants some", strs)
			}
			if got := f.Nulls["cost_per_mtok_usd"]; got != wantNulls {
				t.Errorf("cost_per_mtok_usd: %d nulls in polars, want %d", got, wantNulls)
			}
			if got := f.Nulls["memory_bytes"]; got != 0 {
				t.Errorf("memory_bytes: %d nulls in polars, want none", got)
			}
		})
	}
}
