package outputs

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"sort"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// ParquetOptions tune the Parquet encoder. The zero value gives the
// defaults, chosen by measuring the writer on the rows of a 10-million-row
// inference sweep (benchmarks/README.md, "Parquet codec settings").
type ParquetOptions struct {
	ZstdLevel int // zstd level; 0 = DefaultZstdLevel
	PageSize  int // data page size in bytes before compression; 0 = DefaultPageSize
}

// The defaults of ParquetOptions.
const (
	DefaultZstdLevel = 1
	DefaultPageSize  = 1 << 20
)

// Metadata is the file-level key-value metadata of a run's files.
type Metadata map[string]string

// UnitKey is the file metadata key holding the unit of a column. (The unit
// is also in each field's metadata, in the Arrow schema that Parquet readers
// such as pyarrow restore.)
func UnitKey(column string) string { return "unit:" + column }

// arrowSchemaKey is the footer key under which Parquet readers of the Arrow
// family (pyarrow, arrow-go, arrow-rs, polars) look for the Arrow schema of
// the file: base64 of an Arrow IPC stream holding only the schema.
const arrowSchemaKey = "ARROW:schema"

// ParquetWriter writes batches as row groups of one Parquet file, which
// becomes visible under its final name on Close.
//
// It writes through Apache Arrow's column chunk writers (parquet/file):
// each batch's numeric columns and codes are handed to the encoder as the
// batch's own slices, without a copy, and encoded column by column. The
// file stores the Arrow schema (footer key ARROW:schema), so pyarrow and
// pandas see each column's unit in its field metadata and the coded string
// columns as categoricals. Coded string columns (ColumnSpec.Dict) are
// written as a dictionary page of the column's values plus codes; the
// other columns are plain-encoded. String columns carry no statistics
// (readers prune row groups on numbers; computing them scanned every code
// or string), the others do, and every page is zstd-compressed. A nullable
// column is an optional Parquet column: a row whose Valid is false has
// definition level 0 (a null to every reader) and no value.
type ParquetWriter struct {
	s     *Schema
	file  *AtomicFile
	w     *file.Writer
	dicts []arrow.Array // per column: the dictionary of a coded column
	rows  int64

	// Buffers reused from batch to batch: the columns are encoded one after
	// the other, and the encoders copy what they are given.
	def     []int16 // definition levels of a nullable column
	valid   []byte  // validity bitmap of a nullable column
	bits    []byte  // values of a Bool column
	offsets []int32 // value offsets of a plain String column
	data    []byte  // value bytes of a plain String column
}

// NewParquetWriter starts the Parquet file path for schema s, with meta as
// key-value metadata (the units of s's columns are added to it).
func NewParquetWriter(path string, s *Schema, meta Metadata) (*ParquetWriter, error) {
	return NewParquetWriterOptions(path, s, meta, ParquetOptions{})
}

// parquetSchema returns the Parquet schema of s: DOUBLE, INT64 (signed
// 64-bit integer logical type), BOOLEAN and BYTE_ARRAY (string logical
// type) columns, optional where the column is nullable, required
// otherwise; the mapping Apache Arrow's Parquet writer gives the Arrow
// schema of s (ArrowSchema).
func parquetSchema(s *Schema, props *parquet.WriterProperties) (*schema.GroupNode, error) {
	nodes := make(schema.FieldList, len(s.Cols))
	for i := range s.Cols {
		c := &s.Cols[i]
		rep := parquet.Repetitions.Required
		if c.Nullable {
			rep = parquet.Repetitions.Optional
		}
		var (
			lt schema.LogicalType = schema.NoLogicalType{}
			pt parquet.Type
		)
		switch c.Type {
		case Float64:
			pt = parquet.Types.Double
		case Int64:
			lt, pt = schema.NewIntLogicalType(64, true), parquet.Types.Int64
		case Bool:
			pt = parquet.Types.Boolean
		case String:
			lt, pt = schema.StringLogicalType{}, parquet.Types.ByteArray
		default:
			return nil, fmt.Errorf("column %d (%s): unknown type %d", i, c.Name, c.Type)
		}
		n, err := schema.NewPrimitiveNodeLogical(c.Name, rep, lt, pt, -1, -1)
		if err != nil {
			return nil, fmt.Errorf("column %d (%s): %w", i, c.Name, err)
		}
		nodes[i] = n
	}
	return schema.NewGroupNode(props.RootName(), props.RootRepetition(), nodes, -1)
}

// serializeSchema returns as stores it under ARROW:schema: an Arrow IPC
// stream of the schema message alone (no record batch), as Arrow Flight's
// SerializeSchema writes it, base64-encoded.
func serializeSchema(as *arrow.Schema, mem memory.Allocator) (string, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(as), ipc.WithAllocator(mem))
	if err := w.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// NewParquetWriterOptions is NewParquetWriter with encoder options.
func NewParquetWriterOptions(path string, s *Schema, meta Metadata, o ParquetOptions) (*ParquetWriter, error) {
	if o.ZstdLevel == 0 {
		o.ZstdLevel = DefaultZstdLevel
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	mem := memory.NewGoAllocator()
	as := ArrowSchema(s, meta)
	opts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(o.ZstdLevel),
		parquet.WithDataPageSize(int64(o.PageSize)),
		parquet.WithDictionaryDefault(false),
		parquet.WithCreatedBy("mlsysim-go " + meta["mlsysim.version"]),
		parquet.WithAllocator(mem),
		parquet.WithMaxRowGroupLength(1 << 24),
	}
	for i := range s.Cols {
		c := &s.Cols[i]
		if c.Coded() {
			opts = append(opts, parquet.WithDictionaryFor(c.Name, true))
		}
		if c.Type == String {
			opts = append(opts, parquet.WithStatsFor(c.Name, false))
		}
	}
	props := parquet.NewWriterProperties(opts...)
	root, err := parquetSchema(s, props)
	if err != nil {
		return nil, fmt.Errorf("parquet schema: %w", err)
	}
	// The footer: the run's keys (the Arrow schema's metadata, sorted), the
	// Arrow schema, then the units, every key once.
	kv := make(metadata.KeyValueMetadata, 0, len(meta)+1)
	md := as.Metadata()
	for i, k := range md.Keys() {
		if err := kv.Append(k, md.Values()[i]); err != nil {
			return nil, err
		}
	}
	stored, err := serializeSchema(as, mem)
	if err != nil {
		return nil, fmt.Errorf("arrow schema: %w", err)
	}
	if err := kv.Append(arrowSchemaKey, stored); err != nil {
		return nil, err
	}

	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	// The writer must not close the file: the atomic file syncs, closes and renames it.
	w, err := file.NewParquetWriterWithError(struct{ io.Writer }{f}, root, file.WithWriterProps(props), file.WithWriteMetadata(kv))
	if err != nil {
		f.Abort()
		return nil, fmt.Errorf("parquet writer: %w", err)
	}
	units := Metadata{}
	for _, c := range s.Cols {
		if c.Unit != "" {
			units[UnitKey(c.Name)] = c.Unit
		}
	}
	keys := make([]string, 0, len(units))
	for k := range units {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic files
	for _, k := range keys {
		if err := w.AppendKeyValueMetadata(k, units[k]); err != nil {
			f.Abort()
			return nil, err
		}
	}
	p := &ParquetWriter{s: s, file: f, w: w, dicts: make([]arrow.Array, len(s.Cols))}
	for i := range s.Cols {
		if c := &s.Cols[i]; c.Coded() {
			bld := array.NewStringBuilder(mem)
			bld.AppendValues(c.Dict, nil)
			p.dicts[i] = bld.NewArray()
			bld.Release()
		}
	}
	return p, nil
}

// Write appends b as one row group. An empty batch writes nothing.
func (p *ParquetWriter) Write(b *Batch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if b.Len == 0 {
		return nil
	}
	rg, err := p.w.AppendRowGroupChecked()
	if err != nil {
		return fmt.Errorf("write row group: %w", err)
	}
	for i := range p.s.Cols {
		cw, err := rg.NextColumn()
		if err == nil {
			err = p.writeColumn(cw, i, b)
		}
		if err != nil {
			return fmt.Errorf("write row group: column %s: %w", p.s.Cols[i].Name, err)
		}
	}
	if err := rg.Close(); err != nil {
		return fmt.Errorf("write row group: %w", err)
	}
	p.rows += int64(b.Len)
	return nil
}

// levels returns the definition levels of column i of b (nil for a
// required column: it has none), the validity bitmap and the number of
// nulls.
func (p *ParquetWriter) levels(i int, b *Batch) (def []int16, valid []byte, nulls int) {
	if !p.s.Cols[i].Nullable {
		return nil, nil, 0
	}
	n := b.Len
	v := b.Cols[i].Valid[:n]
	if cap(p.def) < n {
		p.def = make([]int16, n)
	}
	def = p.def[:n]
	for r, ok := range v {
		var d int16 // without a branch per row
		if ok {
			d = 1
		}
		def[r] = d
	}
	valid, nulls = bitmap(&p.valid, v)
	return def, valid, nulls
}

// writeColumn writes column i of b as the column chunk cw, as Apache
// Arrow's Parquet writer writes the same column as an Arrow array: values
// of a column without nulls in one batch, the others spaced by the validity
// bitmap; codes as dictionary indices after the column's dictionary.
func (p *ParquetWriter) writeColumn(cw file.ColumnChunkWriter, i int, b *Batch) error {
	c := &p.s.Cols[i]
	col := &b.Cols[i]
	n := b.Len
	def, valid, nulls := p.levels(i, b)
	var err error
	switch w := cw.(type) {
	case *file.Float64ColumnChunkWriter:
		if nulls == 0 {
			_, err = w.WriteBatch(col.F[:n], def, nil)
		} else {
			_, err = w.WriteBatchSpacedWithError(col.F[:n], def, nil, valid, 0)
		}
	case *file.Int64ColumnChunkWriter:
		if nulls == 0 {
			_, err = w.WriteBatch(col.I[:n], def, nil)
		} else {
			_, err = w.WriteBatchSpacedWithError(col.I[:n], def, nil, valid, 0)
		}
	case *file.BooleanColumnChunkWriter:
		if nulls == 0 {
			bits, _ := bitmap(&p.bits, col.B[:n])
			_, err = w.WriteBitmapBatch(bits, 0, n, def, nil)
		} else {
			_, err = w.WriteBatchSpacedWithError(col.B[:n], def, nil, valid, 0)
		}
	case *file.ByteArrayColumnChunkWriter:
		if c.Coded() {
			return p.writeCodes(w, i, col.Codes[:n], def, valid, nulls)
		}
		return p.writeStrings(w, col.S[:n], def, valid, nulls)
	default:
		return fmt.Errorf("unexpected column writer %T", cw)
	}
	return err
}

// dictEncoder is the part of a dictionary-encoding column writer's encoder
// that takes a dictionary given in advance.
type dictEncoder interface {
	PutDictionary(arrow.Array) error
	NumEntries() int
}

// writeCodes writes codes as indices into the column's dictionary: the
// dictionary is put into the chunk's (fresh, empty) dictionary encoder
// first, so that code k is the encoder's entry k. A dictionary that lists a
// value twice cannot be put so; the column chunk then falls back to plain
// strings, as Apache Arrow's writer does.
func (p *ParquetWriter) writeCodes(w *file.ByteArrayColumnChunkWriter, i int, codes []int32, def []int16, valid []byte, nulls int) error {
	dict := p.dicts[i]
	enc, ok := any(w.CurrentEncoder()).(dictEncoder)
	if !ok || w.CurrentEncoder().Encoding() != parquet.Encodings.PlainDict {
		return p.writeDense(w, i, codes, def, valid, nulls)
	}
	if err := enc.PutDictionary(dict); err != nil {
		return err
	}
	if enc.NumEntries() != dict.Len() {
		w.FallbackToPlain()
		return p.writeDense(w, i, codes, def, valid, nulls)
	}
	n := len(codes)
	var vb *memory.Buffer
	if valid != nil {
		vb = memory.NewBufferBytes(valid)
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, n,
		[]*memory.Buffer{vb, memory.NewBufferBytes(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(codes))), n*4))}, nil, nulls, 0)
	idx := array.NewInt32Data(data)
	data.Release()
	defer idx.Release()
	return w.WriteDictIndices(idx, def, nil)
}

// writeDense writes the values of codes into column i's dictionary as
// plain strings.
func (p *ParquetWriter) writeDense(w *file.ByteArrayColumnChunkWriter, i int, codes []int32, def []int16, valid []byte, nulls int) error {
	dict := p.s.Cols[i].Dict
	s := make([]string, len(codes))
	for r, c := range codes {
		s[r] = dict[c]
	}
	return p.writeStrings(w, s, def, valid, nulls)
}

// writeStrings writes plain strings from one value buffer and its offsets.
func (p *ParquetWriter) writeStrings(w *file.ByteArrayColumnChunkWriter, s []string, def []int16, valid []byte, nulls int) error {
	p.offsets = append(p.offsets[:0], 0)
	p.data = p.data[:0]
	for _, v := range s {
		p.data = append(p.data, v...)
		p.offsets = append(p.offsets, int32(len(p.data)))
	}
	var err error
	switch {
	case w.SupportsArrowOffsets() && nulls == 0:
		_, err = w.WriteBatchArrow(p.data, p.offsets, def, nil)
	case w.SupportsArrowOffsets():
		_, err = w.WriteBatchSpacedArrow(p.data, p.offsets, def, nil, valid, 0)
	default:
		vals := make([]parquet.ByteArray, len(s))
		for r := range vals {
			vals[r] = p.data[p.offsets[r]:p.offsets[r+1]]
		}
		if nulls == 0 {
			_, err = w.WriteBatch(vals, def, nil)
		} else {
			_, err = w.WriteBatchSpacedWithError(vals, def, nil, valid, 0)
		}
	}
	return err
}

// Rows returns the number of rows written so far.
func (p *ParquetWriter) Rows() int64 { return p.rows }

// release frees the dictionaries.
func (p *ParquetWriter) release() {
	for i, d := range p.dicts {
		if d != nil {
			d.Release()
			p.dicts[i] = nil
		}
	}
}

// Close finishes the file and makes it visible.
func (p *ParquetWriter) Close() error {
	defer p.release()
	if err := p.w.Close(); err != nil {
		p.file.Abort()
		return fmt.Errorf("close parquet: %w", err)
	}
	return p.file.Commit()
}

// Abort discards the file.
func (p *ParquetWriter) Abort() {
	p.release()
	p.file.Abort()
}
