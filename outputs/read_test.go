package outputs

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/mlsysim/mlsysim-go/internal/cputime"
)

// resultRow has the schema conventions of run results: optional DOUBLE and
// INT64 numbers, optional BOOLEAN, optional dictionary-encoded UTF-8 strings.
type resultRow struct {
	Hardware  *string  `parquet:"hardware,optional,dict"`
	BatchSize *int64   `parquet:"batch_size,optional"`
	LatencyS  *float64 `parquet:"latency_s,optional"`
	TokensPS  *float64 `parquet:"tokens_per_s,optional"`
	Feasible  *bool    `parquet:"feasible,optional"`
	Reason    *string  `parquet:"infeasible_reason,optional,dict"`
}

func ptr[T any](v T) *T { return &v }

// makeRow returns row i: every 7th row has no tokens_per_s, every 11th no
// feasible flag, every 13th no reason, and rows 100..199 have no latency.
func makeRow(i int) resultRow {
	r := resultRow{
		Hardware:  ptr([]string{"H100", "B200", "MI300X"}[i%3]),
		BatchSize: ptr(int64(1 << (i % 8))),
		LatencyS:  ptr(0.001 * float64(i+1)),
		TokensPS:  ptr(float64(i) * 10),
		Feasible:  ptr(i%5 != 0),
		Reason:    ptr([]string{"", "oom"}[boolInt(i%5 == 0)]),
	}
	if i%7 == 0 {
		r.TokensPS = nil
	}
	if i%11 == 0 {
		r.Feasible = nil
	}
	if i%13 == 0 {
		r.Reason = nil
	}
	if i >= 100 && i < 200 {
		r.LatencyS = nil
	}
	return r
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeRows writes rows [lo, hi) to path, rowsPerGroup rows per row group.
func writeRows(t testing.TB, path string, lo, hi, rowsPerGroup int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[resultRow](f,
		parquet.KeyValueMetadata("unit:latency_s", "s"),
		parquet.KeyValueMetadata("unit:tokens_per_s", "1/s"),
		parquet.KeyValueMetadata("mlsysim.version", "test"),
		parquet.PageBufferSize(512), // several pages per chunk
	)
	var rows []resultRow
	for i := lo; i < hi; i++ {
		rows = append(rows, makeRow(i))
		if len(rows) == rowsPerGroup || i == hi-1 {
			if _, err := w.Write(rows); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestResultFilesLayouts(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results")
	for _, p := range []string{
		"part-00010.parquet", "part-00002.parquet", "part-00002.parquet.tmp123",
		"shard=10/part-00000.parquet", "shard=2/part-00001.parquet", "shard=2/part-00000.parquet",
		"notes.txt",
	} {
		full := filepath.Join(res, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"part-00002.parquet", "part-00010.parquet",
		"shard=2/part-00000.parquet", "shard=2/part-00001.parquet", "shard=10/part-00000.parquet",
	}
	for _, d := range []string{dir, res} {
		got, err := ResultFiles(d)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			got[i], _ = filepath.Rel(res, got[i])
			got[i] = filepath.ToSlash(got[i])
		}
		if !slices.Equal(got, want) {
			t.Errorf("ResultFiles(%s) = %v, want %v", d, got, want)
		}
	}
	if _, err := ResultFiles(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty dir: err = %v, want ErrNotExist", err)
	}
}

func TestReadColumnsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "results")
	// 1000 rows over a flat part and two shards, in uneven row groups.
	writeRows(t, filepath.Join(res, "part-00000.parquet"), 0, 300, 128)
	writeRows(t, filepath.Join(res, "shard=1", "part-00000.parquet"), 300, 650, 1000)
	writeRows(t, filepath.Join(res, "shard=1", "part-00001.parquet"), 650, 1000, 97)
	files, err := ResultFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"tokens_per_s", "hardware", "feasible", "latency_s", "batch_size", "infeasible_reason"}
	next := int64(0)
	err = ReadColumns(files, cols, func(b *ColumnBatch) error {
		if b.Offset != next {
			t.Fatalf("batch offset %d, want %d", b.Offset, next)
		}
		for j := range b.Len {
			i := int(b.Offset) + j
			want := makeRow(i)
			checkFloat(t, i, "tokens_per_s", b.Col("tokens_per_s").Float[j], want.TokensPS)
			checkFloat(t, i, "latency_s", b.Col("latency_s").Float[j], want.LatencyS)
			bs := float64(*want.BatchSize)
			checkFloat(t, i, "batch_size", b.Col("batch_size").Float[j], &bs)
			if got := b.Col("hardware").String[j]; got != *want.Hardware {
				t.Fatalf("row %d hardware %q, want %q", i, got, *want.Hardware)
			}
			fc := b.Col("feasible")
			if fc.IsNull(j) != (want.Feasible == nil) || (want.Feasible != nil && fc.Bool[j] != *want.Feasible) {
				t.Fatalf("row %d feasible %v (null %v), want %v", i, fc.Bool[j], fc.IsNull(j), want.Feasible)
			}
			rc := b.Col("infeasible_reason")
			if rc.IsNull(j) != (want.Reason == nil) || (want.Reason != nil && rc.String[j] != *want.Reason) {
				t.Fatalf("row %d reason %q (null %v), want %v", i, rc.String[j], rc.IsNull(j), want.Reason)
			}
		}
		next += int64(b.Len)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next != 1000 {
		t.Fatalf("read %d rows, want 1000", next)
	}

	fi, err := Inspect(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Rows != 300 || fi.Unit("latency_s") != "s" || fi.Metadata["mlsysim.version"] != "test" {
		t.Errorf("Inspect: rows %d, unit %q, meta %v", fi.Rows, fi.Unit("latency_s"), fi.Metadata)
	}
	if c := fi.Lookup("hardware"); c == nil || c.Kind != KindString {
		t.Errorf("Inspect: hardware column %+v", c)
	}
	if c := fi.Lookup("batch_size"); c == nil || c.Kind != KindFloat {
		t.Errorf("Inspect: batch_size column %+v", c)
	}
}

func checkFloat(t *testing.T, row int, col string, got float64, want *float64) {
	t.Helper()
	if want == nil {
		if !math.IsNaN(got) {
			t.Fatalf("row %d %s = %v, want null (NaN)", row, col, got)
		}
		return
	}
	if got != *want {
		t.Fatalf("row %d %s = %v, want %v", row, col, got, *want)
	}
}

func TestReadColumnsErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results", "part-00000.parquet")
	writeRows(t, path, 0, 10, 10)
	err := ReadColumns([]string{path}, []string{"latency_s", "latncy_s"}, func(*ColumnBatch) error { return nil })
	if !errors.Is(err, ErrNoColumn) {
		t.Fatalf("err = %v, want ErrNoColumn", err)
	}
	stop := errors.New("stop")
	if err := ReadColumns([]string{path}, []string{"latency_s"}, func(*ColumnBatch) error { return stop }); err != stop {
		t.Fatalf("err = %v, want the callback's error", err)
	}
	if err := ReadColumns([]string{filepath.Join(dir, "missing.parquet")}, []string{"latency_s"}, func(*ColumnBatch) error { return nil }); err == nil {
		t.Fatal("no error for a missing file")
	}
}

// TestReadColumnsWriterRoundTrip reads back what ParquetWriter writes.
func TestReadColumnsWriterRoundTrip(t *testing.T) {
	schema := &Schema{Cols: []ColumnSpec{
		{Name: "hardware", Type: String},
		{Name: "batch_size", Type: Int64},
		{Name: "latency_s", Type: Float64, Unit: "s", Nullable: true},
		{Name: "feasible", Type: Bool},
		{Name: "bottleneck", Type: String, Nullable: true},
	}}
	path := filepath.Join(t.TempDir(), "results", "part-00000.parquet")
	os.MkdirAll(filepath.Dir(path), 0o755)
	w, err := NewParquetWriter(path, schema, Metadata{"mlsysim.version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(schema, 100)
	const groups, per = 3, 100
	for g := range groups {
		b.Reset()
		for r := range per {
			i := g*per + r
			b.Cols[0].S = append(b.Cols[0].S, fmt.Sprintf("hw%d", i%4))
			b.Cols[1].I = append(b.Cols[1].I, int64(i))
			b.Cols[2].F = append(b.Cols[2].F, float64(i)/8)
			b.Cols[2].Valid = append(b.Cols[2].Valid, i%3 != 0)
			b.Cols[3].B = append(b.Cols[3].B, i%2 == 0)
			b.Cols[4].S = append(b.Cols[4].S, []string{"Compute", "Memory"}[i%2])
			b.Cols[4].Valid = append(b.Cols[4].Valid, i%5 != 0)
		}
		b.Len = per
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Unit("latency_s") != "s" {
		t.Errorf("unit of latency_s = %q", fi.Unit("latency_s"))
	}
	n := 0
	err = ReadColumns([]string{path}, []string{"bottleneck", "latency_s", "batch_size", "feasible", "hardware"}, func(cb *ColumnBatch) error {
		for j := range cb.Len {
			i := int(cb.Offset) + j
			if got := cb.Cols[2].Float[j]; got != float64(i) {
				t.Fatalf("row %d batch_size %v", i, got)
			}
			lat := cb.Cols[1].Float[j]
			if (i%3 == 0) != math.IsNaN(lat) || (i%3 != 0 && lat != float64(i)/8) {
				t.Fatalf("row %d latency_s %v", i, lat)
			}
			if cb.Cols[3].Bool[j] != (i%2 == 0) || cb.Cols[4].String[j] != fmt.Sprintf("hw%d", i%4) {
				t.Fatalf("row %d feasible %v hardware %q", i, cb.Cols[3].Bool[j], cb.Cols[4].String[j])
			}
			bn := &cb.Cols[0]
			if bn.IsNull(j) != (i%5 == 0) || (i%5 != 0 && bn.String[j] != []string{"Compute", "Memory"}[i%2]) {
				t.Fatalf("row %d bottleneck %q null %v", i, bn.String[j], bn.IsNull(j))
			}
		}
		n += cb.Len
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != groups*per {
		t.Fatalf("read %d rows", n)
	}
}

// BenchmarkReadColumns reads 3 columns (two numbers and a dictionary
// string) of a 1M-row part written by ParquetWriter; rows/s is reported.
func BenchmarkReadColumns(b *testing.B) { benchmarkReadColumns(b, nil) }

// BenchmarkReadColumnsCoded reads the string column dictionary-encoded, as
// a run writes the columns whose values the plan knows.
func BenchmarkReadColumnsCoded(b *testing.B) {
	benchmarkReadColumns(b, []string{"H100", "B200", "MI300X"})
}

func benchmarkReadColumns(b *testing.B, dict []string) {
	schema := &Schema{Cols: []ColumnSpec{
		{Name: "hardware", Type: String, Dict: dict},
		{Name: "batch_size", Type: Int64},
		{Name: "latency_s", Type: Float64, Nullable: true},
		{Name: "tokens_per_s", Type: Float64, Nullable: true},
	}}
	path := filepath.Join(b.TempDir(), "part-00000.parquet")
	w, err := NewParquetWriter(path, schema, nil)
	if err != nil {
		b.Fatal(err)
	}
	const rows, per = 1 << 20, 1 << 16
	bt := NewBatch(schema, per)
	for g := 0; g < rows/per; g++ {
		bt.Reset()
		for r := range per {
			i := g*per + r
			if dict != nil {
				bt.Cols[0].Codes = append(bt.Cols[0].Codes, int32(i%3))
			} else {
				bt.Cols[0].S = append(bt.Cols[0].S, []string{"H100", "B200", "MI300X"}[i%3])
			}
			bt.Cols[1].I = append(bt.Cols[1].I, int64(1<<(i%10)))
			bt.Cols[2].F = append(bt.Cols[2].F, float64(i)*1e-6)
			bt.Cols[2].Valid = append(bt.Cols[2].Valid, true)
			bt.Cols[3].F = append(bt.Cols[3].F, float64(i%1000))
			bt.Cols[3].Valid = append(bt.Cols[3].Valid, i%9 != 0)
		}
		bt.Len = per
		if err := w.Write(bt); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for range b.N {
		sum := 0.0
		err := ReadColumns([]string{path}, []string{"latency_s", "tokens_per_s", "hardware"}, func(cb *ColumnBatch) error {
			for _, v := range cb.Cols[0].Float {
				sum += v
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		// CPU time (user and system, all threads: the garbage collector's
		// too) per read, steadier than ns/op on a loaded machine.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// A damaged part is an error, never a panic: random bytes of a valid file
// overwritten, read by Inspect and ReadColumns.
func TestReadDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeTestFile(t, good, codedSchema())
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	bad := filepath.Join(dir, "part-00000.parquet")
	for round := range 300 {
		b := slices.Clone(orig)
		for range 1 + rng.IntN(8) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		if round%10 == 0 {
			b = b[:rng.IntN(len(b))]
		}
		if err := os.WriteFile(bad, b, 0o644); err != nil {
			t.Fatal(err)
		}
		Inspect(bad)
		ReadColumns([]string{bad}, []string{"index", "hardware", "latency_s", "feasible", "ttft_s", "bottleneck"}, func(*ColumnBatch) error { return nil })
	}
}

// FuzzReadParquet: whatever the bytes of a part, Inspect and ReadColumns
// return (an error for a damaged file), never panic.
func FuzzReadParquet(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.parquet")
	w, err := NewParquetWriter(good, codedSchema(), Metadata{"mlsysim.version": "test"})
	if err != nil {
		f.Fatal(err)
	}
	b := NewBatch(codedSchema(), 50)
	fill(b, 0, 50)
	if err := w.Write(b); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "part-00000.parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		Inspect(path)
		ReadColumns([]string{path}, []string{"index", "hardware", "latency_s", "feasible", "ttft_s", "bottleneck"}, func(*ColumnBatch) error { return nil })
	})
}
