package outputs

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// otherRow has types and encodings result parts do not use: FLOAT and
// INT32 numbers, DELTA-encoded integers and strings, plain strings.
type otherRow struct {
	F32   *float32 `parquet:"f32,optional"`
	I32   *int32   `parquet:"i32,optional"`
	Delta int64    `parquet:"delta,delta"`
	DStr  string   `parquet:"dstr,delta"`
	Plain *string  `parquet:"plain,optional"`
	Dict  string   `parquet:"dict,dict"`
	Flag  bool     `parquet:"flag"`
}

func writeOtherRows(t *testing.T, path string, version int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[otherRow](f, parquet.PageBufferSize(256), parquet.DataPageVersion(version))
	var rows []otherRow
	for i := range 700 {
		r := otherRow{Delta: int64(i * i), Dict: []string{"a", "bb", "ccc", "dddd"}[i%4], Flag: i%3 == 0}
		if i%5 != 0 {
			r.F32, r.I32 = ptr(float32(i)/4), ptr(int32(-i))
			r.DStr, r.Plain = []string{"x", "yy"}[i%2], ptr([]string{"p", "", "qqq"}[i%3])
		}
		rows = append(rows, r)
		if len(rows) == 250 || i == 699 {
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

// writeManyStrings writes a plain string column of more distinct values
// than the reader interns, with nulls, and one of a few values, in two row
// groups.
func writeManyStrings(t *testing.T, path string) {
	t.Helper()
	s := &Schema{Cols: []ColumnSpec{
		{Name: "many", Type: String, Nullable: true},
		{Name: "few", Type: String},
	}}
	w, err := NewParquetWriter(path, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(s, 300)
	for g := range 2 {
		b.Reset()
		for i := range 300 {
			b.Cols[0].S = append(b.Cols[0].S, fmt.Sprint("v", g*300+i/2))
			b.Cols[0].Valid = append(b.Cols[0].Valid, i%7 != 3)
			b.Cols[1].S = append(b.Cols[1].S, []string{"", "a", "bc"}[i%3])
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

// readAll reads every column of file into copies, row group by row group,
// through the direct page decoder (pages) or the column chunk reader.
func readAll(t *testing.T, file string, pages bool) []ColumnBatch {
	t.Helper()
	defer func(v bool) { decodePages = v }(decodePages)
	decodePages = pages
	fi, err := Inspect(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []ColumnBatch
	err = ReadColumns([]string{file}, fi.Names(), func(b *ColumnBatch) error {
		c := *b
		c.Cols = slices.Clone(b.Cols)
		for i := range c.Cols {
			v := &c.Cols[i]
			v.Float, v.String, v.Bool, v.Null = slices.Clone(v.Float), slices.Clone(v.String), slices.Clone(v.Bool), slices.Clone(v.Null)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The direct page decoder reads every file the column chunk reader reads
// to the same values and nulls: parts of ParquetWriter (coded, plain and
// nullable columns), and files of another writer with data pages of both
// versions, small pages, and types and encodings it leaves to the column
// chunk reader.
func TestReadPagesMatchColumnReader(t *testing.T) {
	dir := t.TempDir()
	files := map[string]bool{} // file: whether every chunk is decoded directly
	add := func(name string, direct bool) string {
		p := filepath.Join(dir, name)
		files[p] = direct
		return p
	}
	writeTestFile(t, add("plain.parquet", true), testSchema())
	writeTestFile(t, add("coded.parquet", true), codedSchema())
	writeNulls(t, add("nulls.parquet", true))
	writeRows(t, add("rows.parquet", true), 0, 1000, 300)
	writeManyStrings(t, add("many.parquet", true))
	writeOtherRows(t, add("other-v1.parquet", false), 1)
	writeOtherRows(t, add("other-v2.parquet", false), 2)
	for file, direct := range files {
		before := genericChunks.Load()
		got := readAll(t, file, true)
		if n := genericChunks.Load() - before; direct && n != 0 {
			t.Errorf("%s: %d chunks read by the column chunk reader, want 0", filepath.Base(file), n)
		} else if !direct && n == 0 {
			t.Errorf("%s: no chunk read by the column chunk reader", filepath.Base(file))
		}
		want := readAll(t, file, false)
		if len(got) != len(want) {
			t.Fatalf("%s: %d row groups, want %d", file, len(got), len(want))
		}
		for g := range want {
			if got[g].Len != want[g].Len || got[g].Offset != want[g].Offset {
				t.Fatalf("%s: row group %d: %d rows at %d, want %d at %d", file, g, got[g].Len, got[g].Offset, want[g].Len, want[g].Offset)
			}
			for c := range want[g].Cols {
				a, b := &got[g].Cols[c], &want[g].Cols[c]
				if a.Kind != b.Kind || !slices.Equal(a.String, b.String) || !slices.Equal(a.Bool, b.Bool) ||
					!slices.Equal(a.Null, b.Null) || !slices.EqualFunc(a.Float, b.Float, sameFloat) {
					t.Errorf("%s: row group %d: column %q differs:\n got  %v %q %v null %v\n want %v %q %v null %v",
						filepath.Base(file), g, b.Name, a.Float, a.String, a.Bool, a.Null, b.Float, b.String, b.Bool, b.Null)
				}
			}
		}
	}
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// decodeHybrid reads RLE runs, bit-packed runs (a last group cut short
// included) and width 0, and refuses data that ends early.
func TestDecodeHybrid(t *testing.T) {
	// width 3: RLE run of 5 sevens, then a bit-packed group of 0..7.
	src := []byte{5 << 1, 7, 1<<1 | 1, 0b10001000, 0b11000110, 0b11111010}
	out := make([]uint32, 13)
	if err := decodeHybrid(src, 3, out); err != nil {
		t.Fatal(err)
	}
	if want := []uint32{7, 7, 7, 7, 7, 0, 1, 2, 3, 4, 5, 6, 7}; !slices.Equal(out, want) {
		t.Errorf("got %v, want %v", out, want)
	}
	short := make([]uint32, 4)
	if err := decodeHybrid(src[:4], 3, short[:1]); err != nil || short[0] != 7 {
		t.Errorf("prefix: %v %v", short[0], err)
	}
	// A group cut short after one byte: 8 bits hold 2 values of 3 bits.
	if err := decodeHybrid(src[2:4], 3, short[:2]); err != nil || !slices.Equal(short[:2], []uint32{0, 1}) {
		t.Errorf("group cut short: %v %v", short[:2], err)
	}
	if err := decodeHybrid(src[2:4], 3, short); err == nil {
		t.Error("group cut short, more values asked for: no error")
	}
	if err := decodeHybrid(src[:2], 3, make([]uint32, 6)); err == nil {
		t.Error("data ending early: no error")
	}
	if err := decodeHybrid(nil, 0, short); err != nil || !slices.Equal(short, []uint32{0, 0, 0, 0}) {
		t.Errorf("width 0: %v %v", short, err)
	}
	// width 1: a bit-packed group, then an RLE run of 3 ones.
	lev := make([]uint16, 11)
	if err := decodeHybrid([]byte{1<<1 | 1, 0b10110010, 3 << 1, 1}, 1, lev); err != nil ||
		!slices.Equal(lev, []uint16{0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1}) {
		t.Errorf("width 1: %v %v", lev, err)
	}
	if err := decodeHybrid([]byte{2<<1 | 1, 0b10110010}, 1, lev[:8]); err != nil || lev[7] != 1 {
		t.Errorf("width 1, run of 2 groups cut short: %v %v", lev[:8], err)
	}
	if err := decodeHybrid([]byte{2<<1 | 1, 0b10110010}, 1, lev[:9]); err == nil {
		t.Error("width 1, more values than the data holds: no error")
	}
	if err := decodeHybrid(src, 33, short); err == nil {
		t.Error("width 33: no error")
	}
}
