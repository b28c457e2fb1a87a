package outputs

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
)

func testSchema() *Schema {
	return &Schema{Cols: []ColumnSpec{
		{Name: "index", Type: Int64},
		{Name: "hardware", Type: String},
		{Name: "latency_s", Type: Float64, Unit: "s"},
		{Name: "feasible", Type: Bool},
		{Name: "ttft_s", Type: Float64, Unit: "s", Nullable: true},
	}}
}

func fill(b *Batch, lo, n int) {
	b.Reset()
	b.Lo, b.Hi = int64(lo), int64(lo+n)
	for i := lo; i < lo+n; i++ {
		b.Cols[0].I = append(b.Cols[0].I, int64(i))
		b.Cols[1].S = append(b.Cols[1].S, []string{"H100", "A100"}[i%2])
		b.Cols[2].F = append(b.Cols[2].F, float64(i)*1e-3)
		b.Cols[3].B = append(b.Cols[3].B, i%3 != 0)
		b.Cols[4].F = append(b.Cols[4].F, float64(i))
		b.Cols[4].Valid = append(b.Cols[4].Valid, i%2 == 0)
		b.Len++
	}
}

func TestParquetReadByDuckDB(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "part-00000.parquet")
	s := testSchema()
	w, err := NewParquetWriter(path, s, Metadata{"mlsysim.version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(s, 100)
	for g := 0; g < 3; g++ {
		fill(b, g*100, 100)
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	duckdbtest.Check(t, func(t *testing.T) {
		rows := duckdbtest.Query(t, fmt.Sprintf(`SELECT count(*)::INT AS n, sum(latency_s) AS s, count(ttft_s)::INT AS nt,
			sum(CASE WHEN hardware='A100' THEN 1 ELSE 0 END)::INT AS a100, sum(CASE WHEN feasible THEN 1 ELSE 0 END)::INT AS f
			FROM read_parquet('%s')`, path))
		r := rows[0]
		if r["n"].(float64) != 300 || r["nt"].(float64) != 150 || r["a100"].(float64) != 150 || r["f"].(float64) != 200 {
			t.Errorf("counts %v", r)
		}
		cols := duckdbtest.Query(t, fmt.Sprintf(`SELECT column_name AS c, column_type AS ty FROM (DESCRIBE SELECT * FROM read_parquet('%s'))`, path))
		want := []string{"index BIGINT", "hardware VARCHAR", "latency_s DOUBLE", "feasible BOOLEAN", "ttft_s DOUBLE"}
		for i, c := range cols {
			if got := fmt.Sprint(c["c"], " ", c["ty"]); got != want[i] {
				t.Errorf("column %d: %s, want %s", i, got, want[i])
			}
		}
		meta := duckdbtest.Query(t, fmt.Sprintf(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('%s') WHERE decode(key) = 'unit:latency_s'`, path))
		if len(meta) != 1 || meta[0]["v"] != "s" {
			t.Errorf("unit metadata %v", meta)
		}
	})
}
