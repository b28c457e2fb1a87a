package dse

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestArrowCompressionOption(t *testing.T) {
	const grid = "name: a\nfixed: {mode: inference, model: Llama3_8B, hardware: H100}\ngrid:\n  batch_size: [1, 2, 3]\n"
	for _, tc := range []struct{ value, want, err string }{
		{"", "", ""},
		{"none", "none", ""},
		{"lz4", "lz4", ""},
		{"zstd", "zstd", ""},
		{"snappy", "", "test.yaml:5:48: outputs.arrow_compression"},
		{"[lz4]", "", "outputs.arrow_compression"},
	} {
		src := grid
		if tc.value != "" {
			src += "outputs: {formats: [arrow], arrow_compression: " + tc.value + "}\n"
		}
		s, err := ParseSpec("test.yaml", []byte(src))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "none, lz4, zstd") {
				t.Errorf("%s: error %v, want %q naming the choices", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.value, err)
		}
		if s.Outputs.ArrowCompression != tc.want {
			t.Errorf("%s: ArrowCompression %q", tc.value, s.Outputs.ArrowCompression)
		}
		dir := t.TempDir()
		if _, err := Run(context.Background(), s, Options{OutDir: dir, Version: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "arrow", "part-00000.arrow")); tc.value != "" && err != nil {
			t.Errorf("%s: %v", tc.value, err)
		}
	}
}

// formats: [csv] writes a CSV twin of every part, and is refused for a grid
// of more than outputs.MaxCSVRows configurations, at the csv entry.
func TestCSVFormat(t *testing.T) {
	src := strings.Replace(smallSweep, "outputs: {row_group_rows: 40, part_rows: 100}",
		"outputs: {formats: [parquet, csv], row_group_rows: 40, part_rows: 100}", 1)
	s := mustParse(t, src)
	dir := t.TempDir()
	rep := runTo(t, s, dir, 2)
	var lines int64
	for _, p := range rep.Parts {
		data, err := os.ReadFile(CSVPath(filepath.Join(dir, p.File)))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 || recs[0][0] != "index" || len(recs[0]) < 5 {
			t.Fatalf("%s: header %v", p.File, recs[0])
		}
		lines += int64(len(recs) - 1)
	}
	if lines != rep.Written {
		t.Errorf("%d CSV rows, %d written", lines, rep.Written)
	}
	big := "name: big\nfixed: {mode: inference, model: Llama3_8B, hardware: H100}\ngrid:\n" +
		"  batch_size: {from: 1, to: 1001, step: 1}\n  seq_len: {from: 1, to: 1000, step: 1}\noutputs: {formats: [parquet, csv]}\n"
	_, err := ParseSpec("big.yaml", []byte(big))
	if err == nil || !strings.Contains(err.Error(), "big.yaml:6:30: outputs.formats") || !strings.Contains(err.Error(), "at most 1000000 rows") {
		t.Errorf("a grid of 1001000 configurations as CSV: %v", err)
	}
	if _, err := ParseSpec("ok.yaml", []byte(strings.Replace(big, "to: 1001,", "to: 1000,", 1))); err != nil {
		t.Errorf("a grid of 1000000 configurations as CSV: %v", err)
	}
}
