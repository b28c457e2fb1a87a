package outputs

import (
	"fmt"
	"sort"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ArrowSchema returns the Arrow schema of s: the units and meanings of the
// columns in each field's metadata ("unit", "doc"), meta as the schema's.
func ArrowSchema(s *Schema, meta Metadata) *arrow.Schema {
	fields := make([]arrow.Field, len(s.Cols))
	for i, c := range s.Cols {
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

// ArrowWriter writes batches as record batches of an Arrow IPC file (the
// Feather v2 format pandas, polars and DuckDB read), which becomes visible
// on Close.
type ArrowWriter struct {
	schema *Schema
	as     *arrow.Schema
	file   *AtomicFile
	w      *ipc.FileWriter
	mem    memory.Allocator
}

// NewArrowWriter starts the Arrow IPC file path for schema s.
func NewArrowWriter(path string, s *Schema, meta Metadata) (*ArrowWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	mem := memory.NewGoAllocator()
	as := ArrowSchema(s, meta)
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(as), ipc.WithAllocator(mem), ipc.WithZstd())
	if err != nil {
		f.Abort()
		return nil, fmt.Errorf("arrow writer: %w", err)
	}
	return &ArrowWriter{schema: s, as: as, file: f, w: w, mem: mem}, nil
}

// Write appends b as one record batch.
func (a *ArrowWriter) Write(b *Batch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if b.Len == 0 {
		return nil
	}
	rec := recordOf(a.as, a.schema, b, a.mem)
	defer rec.Release()
	if err := a.w.Write(rec); err != nil {
		return fmt.Errorf("arrow write: %w", err)
	}
	return nil
}

// Close finishes the file and makes it visible.
func (a *ArrowWriter) Close() error {
	if err := a.w.Close(); err != nil {
		a.file.Abort()
		return fmt.Errorf("arrow close: %w", err)
	}
	return a.file.Commit()
}

// Abort discards the file.
func (a *ArrowWriter) Abort() { a.file.Abort() }

// recordOf makes an Arrow record of b. Numeric columns are views of the
// batch's slices (no copy): the record must be written before b changes.
func recordOf(as *arrow.Schema, s *Schema, b *Batch, mem memory.Allocator) arrow.RecordBatch {
	cols := make([]arrow.Array, len(s.Cols))
	n := b.Len
	for i, c := range s.Cols {
		col := &b.Cols[i]
		var valid *memory.Buffer
		nulls := 0
		if c.Nullable {
			bits := make([]byte, bitutil.BytesForBits(int64(n)))
			for r, ok := range col.Valid[:n] {
				if ok {
					bitutil.SetBit(bits, r)
				} else {
					nulls++
				}
			}
			valid = memory.NewBufferBytes(bits)
		}
		switch c.Type {
		case Float64:
			data := memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(col.F))), n*8))
			cols[i] = array.NewFloat64Data(array.NewData(arrow.PrimitiveTypes.Float64, n, []*memory.Buffer{valid, data}, nil, nulls, 0))
		case Int64:
			data := memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(col.I))), n*8))
			cols[i] = array.NewInt64Data(array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{valid, data}, nil, nulls, 0))
		case Bool:
			bld := array.NewBooleanBuilder(mem)
			bld.AppendValues(col.B[:n], validSlice(c, col, n))
			cols[i] = bld.NewArray()
			bld.Release()
		case String:
			bld := array.NewStringBuilder(mem)
			bld.AppendValues(col.S[:n], validSlice(c, col, n))
			cols[i] = bld.NewArray()
			bld.Release()
		}
	}
	rec := array.NewRecordBatch(as, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func validSlice(c ColumnSpec, col *Column, n int) []bool {
	if !c.Nullable {
		return nil
	}
	return col.Valid[:n]
}
