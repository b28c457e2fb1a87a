package outputs

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The CSV file has a header, quotes what needs quoting, writes nulls as
// empty fields and decodes coded strings; encoding/csv reads it back.
func TestCSVWriter(t *testing.T) {
	for _, s := range []*Schema{testSchema(), codedSchema()} {
		path := filepath.Join(t.TempDir(), "part-00000.csv")
		w, err := NewCSVWriter(path, s)
		if err != nil {
			t.Fatal(err)
		}
		b := NewBatch(s, 4)
		b.Len = 3
		b.Cols[0].I = []int64{0, 1, 2}
		b.Cols[2].F = []float64{0.05, 8e10, 1e-9}
		b.Cols[3].B = []bool{true, false, true}
		b.Cols[4].F = []float64{1, 0, 2}
		b.Cols[4].Valid = []bool{true, false, true}
		b.Cols[5].Valid = []bool{true, true, false}
		if s.Cols[1].Coded() {
			b.Cols[1].Codes = []int32{0, 1, 0}
			b.Cols[5].Codes = []int32{1, 2, 0}
		} else {
			b.Cols[1].S = []string{"H100", `a "quoted", name`, "line\nbreak"}
			b.Cols[5].S = []string{"Compute", "Memory", ""}
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Fatal("the file is visible before Close")
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"index", "hardware", "latency_s", "feasible", "ttft_s", "bottleneck"},
			{"0", "H100", "0.05", "true", "1", "Compute"},
			{"1", `a "quoted", name`, "8e+10", "false", "", "Memory"},
			{"2", "line\nbreak", "1e-09", "true", "2", ""},
		}
		if s.Cols[1].Coded() {
			want[2][1], want[3][1] = "A100", "H100"
		}
		if len(recs) != len(want) {
			t.Fatalf("%d records, want %d:\n%s", len(recs), len(want), data)
		}
		for i := range want {
			if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
				t.Errorf("record %d: %q, want %q", i, recs[i], want[i])
			}
		}
		if !s.Cols[1].Coded() && !strings.Contains(string(data), `"a ""quoted"", name"`) {
			t.Errorf("quotes not doubled:\n%s", data)
		}
	}
}

// An aborted CSV file leaves nothing behind.
func TestCSVWriterAbort(t *testing.T) {
	dir := t.TempDir()
	w, err := NewCSVWriter(filepath.Join(dir, "part-00000.csv"), testSchema())
	if err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
}
