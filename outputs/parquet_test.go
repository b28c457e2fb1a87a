package outputs

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go/format"

	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
)

func testSchema() *Schema {
	return &Schema{Cols: []ColumnSpec{
		{Name: "index", Type: Int64},
		{Name: "hardware", Type: String},
		{Name: "latency_s", Type: Float64, Unit: "s"},
		{Name: "feasible", Type: Bool},
		{Name: "ttft_s", Type: Float64, Unit: "s", Nullable: true},
		{Name: "bottleneck", Type: String, Nullable: true},
	}}
}

// codedSchema is testSchema with its string columns coded.
func codedSchema() *Schema {
	s := testSchema()
	s.Cols[1].Dict = []string{"H100", "A100"}
	s.Cols[5].Dict = []string{"", "Compute", "Memory"}
	return s
}

func fill(b *Batch, lo, n int) {
	b.Reset()
	b.Lo, b.Hi = int64(lo), int64(lo+n)
	for i := lo; i < lo+n; i++ {
		b.Cols[0].I = append(b.Cols[0].I, int64(i))
		b.Cols[2].F = append(b.Cols[2].F, float64(i)*1e-3)
		b.Cols[3].B = append(b.Cols[3].B, i%3 != 0)
		b.Cols[4].F = append(b.Cols[4].F, float64(i))
		b.Cols[4].Valid = append(b.Cols[4].Valid, i%2 == 0)
		if b.Schema.Cols[1].Coded() {
			b.Cols[1].Codes = append(b.Cols[1].Codes, int32(i%2))
			b.Cols[5].Codes = append(b.Cols[5].Codes, int32(1+i%5/3))
		} else {
			b.Cols[1].S = append(b.Cols[1].S, []string{"H100", "A100"}[i%2])
			b.Cols[5].S = append(b.Cols[5].S, []string{"Compute", "Memory"}[i%5/3])
		}
		b.Cols[5].Valid = append(b.Cols[5].Valid, i%7 != 0)
		b.Len++
	}
}

func TestParquetReadByDuckDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "part-00000.parquet")
	writeTestFile(t, path, codedSchema())
	duckdbtest.Check(t, func(t *testing.T) {
		rows := duckdbtest.Query(t, fmt.Sprintf(`SELECT count(*)::INT AS n, sum(latency_s) AS s, count(ttft_s)::INT AS nt,
			sum(CASE WHEN hardware='A100' THEN 1 ELSE 0 END)::INT AS a100, sum(CASE WHEN feasible THEN 1 ELSE 0 END)::INT AS f
			FROM read_parquet('%s')`, path))
		mem := duckdbtest.Query(t, fmt.Sprintf(`SELECT count(bottleneck)::INT AS n, sum(CASE WHEN bottleneck='Memory' THEN 1 ELSE 0 END)::INT AS m
			FROM read_parquet('%s')`, path))
		if mem[0]["n"].(float64) != 257 || mem[0]["m"].(float64) != 103 {
			t.Errorf("bottleneck counts %v", mem[0])
		}
		r := rows[0]
		if r["n"].(float64) != 300 || r["nt"].(float64) != 150 || r["a100"].(float64) != 150 || r["f"].(float64) != 200 {
			t.Errorf("counts %v", r)
		}
		cols := duckdbtest.Query(t, fmt.Sprintf(`SELECT column_name AS c, column_type AS ty FROM (DESCRIBE SELECT * FROM read_parquet('%s'))`, path))
		want := []string{"index BIGINT", "hardware VARCHAR", "latency_s DOUBLE", "feasible BOOLEAN", "ttft_s DOUBLE", "bottleneck VARCHAR"}
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

// writeTestFile writes three row groups of fill's rows with schema s.
func writeTestFile(t *testing.T, path string, s *Schema) {
	t.Helper()
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
}

// TestParquetDictionaryColumns checks that coded string columns are
// dictionary-encoded without statistics, that the other columns keep their
// plain encoding and statistics, and that every value reads back as the
// same rows written as plain strings do.
func TestParquetDictionaryColumns(t *testing.T) {
	dir := t.TempDir()
	coded, plain := filepath.Join(dir, "coded.parquet"), filepath.Join(dir, "plain.parquet")
	writeTestFile(t, coded, codedSchema())
	writeTestFile(t, plain, testSchema())

	md := footer(t, coded)
	if len(md.RowGroups) != 3 {
		t.Fatalf("%d row groups, want 3", len(md.RowGroups))
	}
	for _, rg := range md.RowGroups {
		for c, ch := range rg.Columns {
			cm := ch.MetaData
			name := cm.PathInSchema[0]
			dict := slices.ContainsFunc(cm.Encoding, func(e format.Encoding) bool {
				return e == format.RLEDictionary || e == format.PlainDictionary
			})
			hasStats := cm.Statistics.MinValue != nil || cm.Statistics.MaxValue != nil
			switch coded := codedSchema().Cols[c].Coded(); {
			case !coded && codedSchema().Cols[c].Type == String:
				t.Errorf("%s: a string column that is not coded", name)
			case coded && (!dict || cm.DictionaryPageOffset == 0):
				t.Errorf("%s: encodings %v, dictionary page at %d: want a dictionary", name, cm.Encoding, cm.DictionaryPageOffset)
			case coded && hasStats:
				t.Errorf("%s: has statistics %+v, want none", name, cm.Statistics)
			case !coded && dict:
				t.Errorf("%s: encodings %v, want plain", name, cm.Encoding)
			case !coded && name != "feasible" && !hasStats:
				t.Errorf("%s: no statistics", name)
			}
		}
	}

	read := func(file string) []string {
		var rows []string
		var names []string
		for _, c := range testSchema().Cols {
			names = append(names, c.Name)
		}
		err := ReadColumns([]string{file}, names, func(b *ColumnBatch) error {
			for i := range b.Len {
				var row []string
				for _, c := range b.Cols {
					switch {
					case c.IsNull(i):
						row = append(row, "NULL")
					case c.Kind == KindFloat:
						row = append(row, fmt.Sprint(c.Float[i]))
					case c.Kind == KindString:
						row = append(row, c.String[i])
					default:
						row = append(row, fmt.Sprint(c.Bool[i]))
					}
				}
				rows = append(rows, strings.Join(row, "|"))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	got, want := read(coded), read(plain)
	if len(got) != 300 || !slices.Equal(got, want) {
		t.Errorf("coded file reads back %d rows, plain %d; first %q vs %q", len(got), len(want), got[:1], want[:1])
	}
}

func TestBatchCheckCodes(t *testing.T) {
	s := codedSchema()
	b := NewBatch(s, 10)
	fill(b, 0, 10)
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	b.Cols[1].Codes[3] = 2 // the dictionary has 2 values
	if err := b.Check(); err == nil || !strings.Contains(err.Error(), "hardware row 3: code 2") {
		t.Errorf("Check = %v, want a code out of the dictionary", err)
	}
	b.Cols[1].Codes[3] = -1
	if err := b.Check(); err == nil {
		t.Error("Check accepts a negative code")
	}
}

// Plain string columns carry no statistics either.
func TestParquetPlainStringsWithoutStatistics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.parquet")
	writeTestFile(t, path, testSchema())
	md := footer(t, path)
	for _, ch := range md.RowGroups[0].Columns {
		cm := ch.MetaData
		hasStats := cm.Statistics.MinValue != nil || cm.Statistics.MaxValue != nil
		if name := cm.PathInSchema[0]; (name == "hardware" || name == "bottleneck") == hasStats {
			t.Errorf("%s: statistics %v", name, hasStats)
		}
	}
}

// Every footer key is written once: the run's keys come with the stored
// Arrow schema, the units beside them.
func TestParquetFooterKeysOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "part-00000.parquet")
	s := codedSchema()
	w, err := NewParquetWriter(path, s, Metadata{"mlsysim.version": "test", "mlsysim.sweep": "s", "mlsysim.sweep_sha256": "h"})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(s, 10)
	fill(b, 0, 10)
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	md := footer(t, path)
	seen := map[string]int{}
	for _, kv := range md.KeyValueMetadata {
		seen[kv.Key]++
	}
	for _, k := range []string{"mlsysim.version", "mlsysim.sweep", "mlsysim.sweep_sha256", "unit:latency_s"} {
		if seen[k] != 1 {
			t.Errorf("footer key %s written %d times", k, seen[k])
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("footer key %s written %d times", k, n)
		}
	}
}

// nullsSchema has a nullable column of every type.
func nullsSchema() *Schema {
	return &Schema{Cols: []ColumnSpec{
		{Name: "i", Type: Int64, Nullable: true, Unit: "B"},
		{Name: "f", Type: Float64, Nullable: true, Unit: "s"},
		{Name: "b", Type: Bool, Nullable: true},
		{Name: "s", Type: String, Nullable: true},
		{Name: "c", Type: String, Nullable: true, Dict: []string{"x", "y", "z"}},
	}}
}

// writeNulls writes three row groups of 50 rows of nullsSchema: every row
// valid, every row null, and every third row null.
func writeNulls(t *testing.T, path string) {
	t.Helper()
	s := nullsSchema()
	w, err := NewParquetWriter(path, s, Metadata{"mlsysim.version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(s, 50)
	for g := range 3 {
		b.Reset()
		for r := range 50 {
			v := g == 0 || (g == 2 && r%3 != 1)
			b.Cols[0].I = append(b.Cols[0].I, int64(r))
			b.Cols[1].F = append(b.Cols[1].F, float64(r)/8)
			b.Cols[2].B = append(b.Cols[2].B, r%2 == 0)
			b.Cols[3].S = append(b.Cols[3].S, []string{"p", "q"}[r%2])
			b.Cols[4].Codes = append(b.Cols[4].Codes, int32(r%3))
			for c := range b.Cols {
				b.Cols[c].Valid = append(b.Cols[c].Valid, v)
			}
			b.Len++
		}
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// Nullable columns of every type: a row whose Valid is false reads as NULL
// in DuckDB and in ReadColumns, the others as written.
func TestParquetNullableColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nulls.parquet")
	writeNulls(t, path)
	// Expected, computed from writeNulls' rule: rows of group 0 and rows
	// r%3 != 1 of group 2 are valid.
	valid, sumI, sumF, trues, ys := 0, 0, 0.0, 0, 0
	for g := range 3 {
		for r := range 50 {
			if g == 0 || (g == 2 && r%3 != 1) {
				valid++
				sumI += r
				sumF += float64(r) / 8
				if r%2 == 0 {
					trues++
				}
				if r%3 == 1 {
					ys++
				}
			}
		}
	}
	var names []string
	for _, c := range nullsSchema().Cols {
		names = append(names, c.Name)
	}
	nulls := make([]int, len(names))
	err := ReadColumns([]string{path}, names, func(b *ColumnBatch) error {
		for i := range b.Len {
			for c := range b.Cols {
				if b.Cols[c].IsNull(i) {
					nulls[c]++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for c, n := range nulls {
		if n != 150-valid {
			t.Errorf("ReadColumns: column %s has %d nulls, want %d", names[c], n, 150-valid)
		}
	}
	duckdbtest.Check(t, func(t *testing.T) {
		r := duckdbtest.Query(t, fmt.Sprintf(`SELECT count(*)::INT AS n, count(i)::INT AS ni, count(f)::INT AS nf,
			count(b)::INT AS nb, count(s)::INT AS ns, count(c)::INT AS nc,
			sum(i)::INT AS si, sum(f) AS sf, sum(CASE WHEN b THEN 1 ELSE 0 END)::INT AS tb,
			sum(CASE WHEN c = 'y' THEN 1 ELSE 0 END)::INT AS yc,
			sum(CASE WHEN i IS NULL AND f IS NULL AND b IS NULL AND s IS NULL AND c IS NULL THEN 1 ELSE 0 END)::INT AS allnull
			FROM read_parquet('%s')`, path))[0]
		want := map[string]float64{"n": 150, "ni": float64(valid), "nf": float64(valid), "nb": float64(valid), "ns": float64(valid),
			"nc": float64(valid), "si": float64(sumI), "sf": sumF, "tb": float64(trues), "yc": float64(ys), "allnull": float64(150 - valid)}
		for k, v := range want {
			if r[k].(float64) != v {
				t.Errorf("%s = %v, want %v", k, r[k], v)
			}
		}
	})
}

// The footer's ARROW:schema is the Arrow schema of the run (ArrowSchema):
// the field metadata (units) and the dictionary types readers restore.
func TestParquetStoredArrowSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "part.parquet")
	s := codedSchema()
	meta := Metadata{"mlsysim.version": "test", "mlsysim.sweep": "x"}
	w, err := NewParquetWriter(path, s, meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	md := footer(t, path)
	var stored string
	for _, kv := range md.KeyValueMetadata {
		if kv.Key == "ARROW:schema" {
			stored = kv.Value
		}
	}
	raw, err := base64.StdEncoding.DecodeString(stored)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ipc.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	got, want := r.Schema(), ArrowSchema(s, meta)
	if !got.Equal(want) || !got.Metadata().Equal(want.Metadata()) {
		t.Fatalf("stored schema\n%v\nwant\n%v", got, want)
	}
	for i, fld := range got.Fields() {
		if !fld.Metadata.Equal(want.Field(i).Metadata) {
			t.Errorf("field %s: metadata %v, want %v", fld.Name, fld.Metadata, want.Field(i).Metadata)
		}
	}
	if u, _ := got.Field(2).Metadata.GetValue("unit"); u != "s" {
		t.Errorf("latency_s unit %q", u)
	}
	if got.Field(1).Type.ID() != arrow.DICTIONARY {
		t.Errorf("hardware type %v, want a dictionary", got.Field(1).Type)
	}
}

// A dictionary that lists a value twice cannot be the encoder's: the
// column falls back to plain strings and reads back the same.
func TestParquetDuplicateDictionary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dup.parquet")
	s := &Schema{Cols: []ColumnSpec{{Name: "c", Type: String, Dict: []string{"a", "b", "a"}}}}
	w, err := NewParquetWriter(path, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(s, 3)
	b.Cols[0].Codes = append(b.Cols[0].Codes, 0, 1, 2)
	b.Len = 3
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = ReadColumns([]string{path}, []string{"c"}, func(b *ColumnBatch) error {
		got = append(got, b.Cols[0].String[:b.Len]...)
		return nil
	})
	if err != nil || !slices.Equal(got, []string{"a", "b", "a"}) {
		t.Errorf("read %q, %v", got, err)
	}
}
