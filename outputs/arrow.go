package outputs

import (
	"encoding/binary"
	"fmt"
	mbits "math/bits"
	"sort"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// dictType is the Arrow type of a coded string column: int32 codes into a
// UTF-8 dictionary (the index type every Arrow implementation reads, and
// pandas' categorical).
var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// ArrowSchema returns the Arrow schema of s: the units and meanings of the
// columns in each field's metadata ("unit", "doc"), meta as the schema's.
func ArrowSchema(s *Schema, meta Metadata) *arrow.Schema {
	fields := make([]arrow.Field, len(s.Cols))
	for i := range s.Cols {
		c := &s.Cols[i]
		var t arrow.DataType
		switch c.Type {
		case Float64:
			t = arrow.PrimitiveTypes.Float64
		case Int64:
			t = arrow.PrimitiveTypes.Int64
		case Bool:
			t = arrow.FixedWidthTypes.Boolean
		case String:
			t = arrow.BinaryTypes.String
			if c.Coded() {
				t = dictType
			}
		}
		var keys, vals []string
		if c.Unit != "" {
			keys, vals = append(keys, "unit"), append(vals, c.Unit)
		}
		if c.Doc != "" {
			keys, vals = append(keys, "doc"), append(vals, c.Doc)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: t, Nullable: c.Nullable, Metadata: arrow.NewMetadata(keys, vals)}
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = meta[k]
	}
	md := arrow.NewMetadata(keys, vals)
	return arrow.NewSchema(fields, &md)
}

// ArrowCompression is the body compression of an Arrow IPC file.
type ArrowCompression uint8

// The Arrow IPC compressions. ArrowNone, the zero value and the default, is
// the speed-first choice and the one every Arrow implementation reads
// (body compression is an optional feature of the format: arrow-rs needs a
// build feature for it, arrow-js lacks it); lz4 and zstd make smaller files
// for readers that decompress them (pyarrow, polars, arrow-go, Arrow C++).
const (
	ArrowNone ArrowCompression = iota
	ArrowLZ4                   // LZ4 frame: fast, about half the size
	ArrowZstd                  // zstd: smallest, slowest to write
)

var arrowCompressionNames = [...]string{"none", "lz4", "zstd"}

// ArrowCompressions lists the names ParseArrowCompression accepts.
func ArrowCompressions() []string { return arrowCompressionNames[:] }

// String returns "none", "lz4" or "zstd".
func (c ArrowCompression) String() string {
	if int(c) < len(arrowCompressionNames) {
		return arrowCompressionNames[c]
	}
	return fmt.Sprintf("ArrowCompression(%d)", uint8(c))
}

// ParseArrowCompression returns the compression named name: none, lz4 or
// zstd.
func ParseArrowCompression(name string) (ArrowCompression, error) {
	for i, n := range arrowCompressionNames {
		if n == name {
			return ArrowCompression(i), nil
		}
	}
	return 0, fmt.Errorf("arrow compression %q: want none, lz4 or zstd", name)
}

// ArrowWriter writes batches as record batches of an Arrow IPC file (the
// Feather v2 format pandas, polars and DuckDB read), which becomes visible
// on Close. It is the speed-first format: a record batch is the batch's own
// memory, written without encoding (and, by default, without compression).
type ArrowWriter struct {
	rb   *recordBuilder
	file *AtomicFile
	w    *ipc.FileWriter
}

// NewArrowWriter starts the Arrow IPC file path for schema s, with body
// compression c.
func NewArrowWriter(path string, s *Schema, meta Metadata, c ArrowCompression) (*ArrowWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	mem := memory.NewGoAllocator()
	rb := newRecordBuilder(ArrowSchema(s, meta), s, mem)
	opts := []ipc.Option{ipc.WithSchema(rb.as), ipc.WithAllocator(mem)}
	switch c {
	case ArrowNone:
	case ArrowLZ4:
		opts = append(opts, ipc.WithLZ4())
	case ArrowZstd:
		opts = append(opts, ipc.WithZstd())
	default:
		f.Abort()
		return nil, fmt.Errorf("arrow writer: unknown compression %v", c)
	}
	w, err := ipc.NewFileWriter(f, opts...)
	if err != nil {
		f.Abort()
		return nil, fmt.Errorf("arrow writer: %w", err)
	}
	return &ArrowWriter{rb: rb, file: f, w: w}, nil
}

// Write appends b as one record batch.
func (a *ArrowWriter) Write(b *Batch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if b.Len == 0 {
		return nil
	}
	rec := a.rb.record(b)
	defer rec.Release()
	if err := a.w.Write(rec); err != nil {
		return fmt.Errorf("arrow write: %w", err)
	}
	return nil
}

// Close finishes the file and makes it visible.
func (a *ArrowWriter) Close() error {
	a.rb.release()
	if err := a.w.Close(); err != nil {
		a.file.Abort()
		return fmt.Errorf("arrow close: %w", err)
	}
	return a.file.Commit()
}

// Abort discards the file.
func (a *ArrowWriter) Abort() {
	a.rb.release()
	a.file.Abort()
}

// recordBuilder makes Arrow records of batches, reusing its buffers: the
// numeric columns and the codes are views of the batch's slices (no copy),
// the dictionaries are built once, and the validity and boolean bitmaps are
// rewritten in place. A record must be written before the batch changes or
// the next record is built.
type recordBuilder struct {
	as    *arrow.Schema
	s     *Schema
	mem   memory.Allocator
	dicts []arrow.Array // per column: the dictionary of a coded column
	valid [][]byte      // per column: the validity bitmap of a nullable column
	bits  [][]byte      // per column: the values of a Bool column
	cols  []arrow.Array
}

func newRecordBuilder(as *arrow.Schema, s *Schema, mem memory.Allocator) *recordBuilder {
	rb := &recordBuilder{as: as, s: s, mem: mem, dicts: make([]arrow.Array, len(s.Cols)),
		valid: make([][]byte, len(s.Cols)), bits: make([][]byte, len(s.Cols)), cols: make([]arrow.Array, len(s.Cols))}
	for i := range s.Cols {
		if c := &s.Cols[i]; c.Coded() {
			bld := array.NewStringBuilder(mem)
			bld.AppendValues(c.Dict, nil)
			rb.dicts[i] = bld.NewArray()
			bld.Release()
		}
	}
	return rb
}

// release frees the dictionaries; the builder must not be used after.
func (rb *recordBuilder) release() {
	for i, d := range rb.dicts {
		if d != nil {
			d.Release()
			rb.dicts[i] = nil
		}
	}
}

// bitmap packs v into buf (grown as needed) and returns the packed bits and
// the number of false values.
func bitmap(buf *[]byte, v []bool) ([]byte, int) {
	n := int(bitutil.BytesForBits(int64(len(v))))
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	bits := (*buf)[:n]
	ones := 0
	i := 0
	// Eight booleans (bytes of 0 or 1) at a time: the multiplication
	// gathers byte k's bit into bit 56+k (its terms land on distinct bits,
	// so nothing carries), without a branch per value.
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64(unsafe.Slice((*byte)(unsafe.Pointer(&v[i])), 8))
		b := byte((x * 0x0102040810204080) >> 56)
		bits[i>>3] = b
		ones += mbits.OnesCount8(b)
	}
	if i < len(v) {
		var x byte
		for k, ok := range v[i:] {
			if ok {
				x |= 1 << k
				ones++
			}
		}
		bits[i>>3] = x
	}
	return bits, len(v) - ones
}

// record makes an Arrow record of b.
func (rb *recordBuilder) record(b *Batch) arrow.RecordBatch {
	n := b.Len
	for i := range rb.s.Cols {
		c := &rb.s.Cols[i]
		col := &b.Cols[i]
		var valid *memory.Buffer
		nulls := 0
		if c.Nullable {
			var bits []byte
			bits, nulls = bitmap(&rb.valid[i], col.Valid[:n])
			valid = memory.NewBufferBytes(bits)
		}
		switch c.Type {
		case Float64:
			data := memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(col.F))), n*8))
			rb.cols[i] = array.NewFloat64Data(array.NewData(arrow.PrimitiveTypes.Float64, n, []*memory.Buffer{valid, data}, nil, nulls, 0))
		case Int64:
			data := memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(col.I))), n*8))
			rb.cols[i] = array.NewInt64Data(array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{valid, data}, nil, nulls, 0))
		case Bool:
			bits, _ := bitmap(&rb.bits[i], col.B[:n])
			data := memory.NewBufferBytes(bits)
			rb.cols[i] = array.NewBooleanData(array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{valid, data}, nil, nulls, 0))
		case String:
			if c.Coded() {
				codes := memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(col.Codes))), n*4))
				data := array.NewData(dictType, n, []*memory.Buffer{valid, codes}, nil, nulls, 0)
				data.SetDictionary(rb.dicts[i].Data())
				rb.cols[i] = array.NewDictionaryData(data)
				data.Release()
				break
			}
			bld := array.NewStringBuilder(rb.mem)
			bld.AppendValues(col.S[:n], validSlice(c, col, n))
			rb.cols[i] = bld.NewArray()
			bld.Release()
		}
	}
	rec := array.NewRecordBatch(rb.as, rb.cols, int64(n))
	for i, c := range rb.cols {
		c.Release()
		rb.cols[i] = nil
	}
	return rec
}

func validSlice(c *ColumnSpec, col *Column, n int) []bool {
	if !c.Nullable {
		return nil
	}
	return col.Valid[:n]
}
