package outputs

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// ParquetSchema builds the Parquet schema of s, with the columns in s's
// order: DOUBLE, INT64, BOOLEAN or UTF-8 BYTE_ARRAY (dictionary-encoded),
// optional where the column is nullable, zstd-compressed.
//
// parquet-go orders the fields of a Group by name, but keeps the order of a
// struct's fields; the schema is therefore derived from a struct type built
// at run time, so columns keep the vocabulary's order in every reader.
func ParquetSchema(s *Schema) *parquet.Schema {
	fields := make([]reflect.StructField, len(s.Cols))
	for i, c := range s.Cols {
		var t reflect.Type
		tag := c.Name
		switch c.Type {
		case Float64:
			t = reflect.TypeFor[float64]()
		case Int64:
			t = reflect.TypeFor[int64]()
		case Bool:
			t = reflect.TypeFor[bool]()
		case String:
			t = reflect.TypeFor[string]()
			tag += ",dict"
		}
		if c.Nullable {
			tag += ",optional"
		}
		fields[i] = reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: t,
			Tag:  reflect.StructTag(`parquet:"` + tag + `"`),
		}
	}
	return parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Interface())
}

// Metadata is the file-level key-value metadata of a run's files.
type Metadata map[string]string

// UnitKey is the metadata key holding the unit of a column.
func UnitKey(column string) string { return "unit:" + column }

// ParquetWriter writes batches as row groups of one Parquet file, which
// becomes visible under its final name on Close.
type ParquetWriter struct {
	schema  *Schema
	file    *AtomicFile
	w       *parquet.GenericWriter[any]
	vals    []parquet.Value
	rows    int64
	written bool
}

// NewParquetWriter starts the Parquet file path for schema, with meta as
// key-value metadata (the units of s's columns are added to it).
func NewParquetWriter(path string, s *Schema, meta Metadata) (*ParquetWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	opts := []parquet.WriterOption{
		ParquetSchema(s),
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.CreatedBy("mlsysim-go", meta["mlsysim.version"], ""),
		parquet.PageBufferSize(256 << 10),
	}
	keys := make([]string, 0, len(meta)+len(s.Cols))
	all := Metadata{}
	for k, v := range meta {
		all[k] = v
	}
	for _, c := range s.Cols {
		if c.Unit != "" {
			all[UnitKey(c.Name)] = c.Unit
		}
	}
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic files
	for _, k := range keys {
		opts = append(opts, parquet.KeyValueMetadata(k, all[k]))
	}
	pw := &ParquetWriter{schema: s, file: f}
	pw.w = parquet.NewGenericWriter[any](f, opts...)
	return pw, nil
}

// Write appends b as one row group. An empty batch writes nothing.
func (p *ParquetWriter) Write(b *Batch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if b.Len == 0 {
		return nil
	}
	cws := p.w.ColumnWriters()
	if len(cws) != len(p.schema.Cols) {
		return fmt.Errorf("outputs: parquet schema has %d columns, want %d", len(cws), len(p.schema.Cols))
	}
	for i, spec := range p.schema.Cols {
		col := &b.Cols[i]
		v := p.vals[:0]
		ci := i
		def := 0
		if spec.Nullable {
			def = 1
		}
		for r := 0; r < b.Len; r++ {
			if spec.Nullable && !col.Valid[r] {
				v = append(v, parquet.NullValue().Level(0, 0, ci))
				continue
			}
			var x parquet.Value
			switch spec.Type {
			case Float64:
				x = parquet.DoubleValue(col.F[r])
			case Int64:
				x = parquet.Int64Value(col.I[r])
			case Bool:
				x = parquet.BooleanValue(col.B[r])
			case String:
				// The value is copied into the column buffer: no need to copy the string.
				x = parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(col.S[r]), len(col.S[r])))
			}
			v = append(v, x.Level(0, def, ci))
		}
		p.vals = v
		if _, err := cws[i].WriteRowValues(v); err != nil {
			return fmt.Errorf("write column %s: %w", spec.Name, err)
		}
	}
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("write row group: %w", err)
	}
	p.rows += int64(b.Len)
	p.written = true
	return nil
}

// Rows returns the number of rows written so far.
func (p *ParquetWriter) Rows() int64 { return p.rows }

// Close finishes the file and makes it visible.
func (p *ParquetWriter) Close() error {
	if err := p.w.Close(); err != nil {
		p.file.Abort()
		return fmt.Errorf("close parquet: %w", err)
	}
	return p.file.Commit()
}

// Abort discards the file.
func (p *ParquetWriter) Abort() { p.file.Abort() }
