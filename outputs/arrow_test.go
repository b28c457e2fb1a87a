package outputs

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readArrowRows reads an Arrow IPC file back as rows of text, nulls as
// "NULL", dictionary columns by value.
func readArrowRows(t *testing.T, path string) (*arrow.Schema, []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.NewGoAllocator()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows []string
	for k := 0; k < r.NumRecords(); k++ {
		rec, err := r.RecordBatch(k)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			var row []string
			for _, c := range rec.Columns() {
				if c.IsNull(i) {
					row = append(row, "NULL")
					continue
				}
				if d, ok := c.(*array.Dictionary); ok {
					row = append(row, d.Dictionary().(*array.String).Value(d.GetValueIndex(i)))
					continue
				}
				row = append(row, c.ValueStr(i))
			}
			rows = append(rows, strings.Join(row, "|"))
		}
	}
	return r.Schema(), rows
}

// Every compression writes the same rows; coded columns are dictionary
// arrays, plain ones strings.
func TestArrowCompressions(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, s *Schema, c ArrowCompression) string {
		path := filepath.Join(dir, name)
		w, err := NewArrowWriter(path, s, Metadata{"mlsysim.version": "test"}, c)
		if err != nil {
			t.Fatal(err)
		}
		b := NewBatch(s, 1000)
		for g := 0; g < 3; g++ {
			fill(b, g*1000, 1000)
			if err := w.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	_, want := readArrowRows(t, write("plain.arrow", testSchema(), ArrowNone))
	if len(want) != 3000 {
		t.Fatalf("%d rows, want 3000", len(want))
	}
	sizes := map[ArrowCompression]int64{}
	for _, c := range []ArrowCompression{ArrowNone, ArrowLZ4, ArrowZstd} {
		path := write(c.String()+".arrow", codedSchema(), c)
		as, got := readArrowRows(t, path)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: rows differ from the plain strings' rows", c)
		}
		for _, name := range []string{"hardware", "bottleneck"} {
			fs, _ := as.FieldsByName(name)
			if len(fs) != 1 || fs[0].Type.ID() != arrow.DICTIONARY {
				t.Errorf("%v: %s is %v, want a dictionary", c, name, fs)
			}
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sizes[c] = fi.Size()
	}
	if !(sizes[ArrowZstd] < sizes[ArrowNone] && sizes[ArrowLZ4] < sizes[ArrowNone]) {
		t.Errorf("sizes %v: compressed files are not smaller", sizes)
	}
}

func TestParseArrowCompression(t *testing.T) {
	for _, name := range ArrowCompressions() {
		c, err := ParseArrowCompression(name)
		if err != nil || c.String() != name {
			t.Errorf("ParseArrowCompression(%q) = %v, %v", name, c, err)
		}
	}
	if _, err := ParseArrowCompression("snappy"); err == nil {
		t.Error("snappy accepted")
	}
}

// bitmap packs eight values at a time: the same bits and count of falses
// as one value at a time, for every length up to 70 and random values.
func TestBitmapPacks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for n := range 71 {
		for range 20 {
			v := make([]bool, n)
			for i := range v {
				v[i] = rng.IntN(3) > 0
			}
			want := make([]byte, (n+7)/8)
			falses := 0
			for i, ok := range v {
				if ok {
					want[i/8] |= 1 << (i % 8)
				} else {
					falses++
				}
			}
			got, f := bitmap(&buf, v)
			if !bytes.Equal(got, want) || f != falses {
				t.Fatalf("n %d: bits %08b falses %d, want %08b %d", n, got, f, want, falses)
			}
		}
	}
}

func BenchmarkBitmap(b *testing.B) {
	v := make([]bool, 16384)
	for i := range v {
		v[i] = i%7 != 3
	}
	var buf []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	for range b.N {
		bitmap(&buf, v)
	}
}
