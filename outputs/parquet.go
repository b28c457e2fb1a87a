package outputs

import (
	"fmt"
	"io"
	"sort"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
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

// ParquetWriter writes batches as row groups of one Parquet file, which
// becomes visible under its final name on Close.
//
// It writes through Apache Arrow's Parquet writer (pqarrow): each batch's
// numeric columns and codes become Arrow arrays over the batch's own
// slices, without a copy, and are encoded column by column. This measured
// about four times faster per row than building parquet-go Values for a
// dynamic schema, and it stores the Arrow schema, so pyarrow and pandas see
// each column's unit in its field metadata and the coded string columns as
// categoricals. Coded string columns (ColumnSpec.Dict) are written as
// dictionary pages of the column's values plus codes; the other columns
// are plain-encoded. String columns carry no statistics (readers prune row
// groups on numbers; computing them scanned every code or string), the
// others do, and every page is zstd-compressed.
type ParquetWriter struct {
	rb   *recordBuilder
	file *AtomicFile
	w    *pqarrow.FileWriter
	rows int64
}

// NewParquetWriter starts the Parquet file path for schema s, with meta as
// key-value metadata (the units of s's columns are added to it).
func NewParquetWriter(path string, s *Schema, meta Metadata) (*ParquetWriter, error) {
	return NewParquetWriterOptions(path, s, meta, ParquetOptions{})
}

// NewParquetWriterOptions is NewParquetWriter with encoder options.
func NewParquetWriterOptions(path string, s *Schema, meta Metadata, o ParquetOptions) (*ParquetWriter, error) {
	if o.ZstdLevel == 0 {
		o.ZstdLevel = DefaultZstdLevel
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
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
	// The writer must not close the file: the atomic file syncs, closes and renames it.
	w, err := pqarrow.NewFileWriter(as, struct{ io.Writer }{f}, parquet.NewWriterProperties(opts...),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		f.Abort()
		return nil, fmt.Errorf("parquet writer: %w", err)
	}
	// The schema's metadata (meta) reaches the footer with the stored Arrow
	// schema; the units are added beside it, so that every key is there once.
	all := Metadata{}
	for _, c := range s.Cols {
		if c.Unit != "" {
			all[UnitKey(c.Name)] = c.Unit
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic files
	for _, k := range keys {
		if err := w.AppendKeyValueMetadata(k, all[k]); err != nil {
			f.Abort()
			return nil, err
		}
	}
	return &ParquetWriter{rb: newRecordBuilder(as, s, mem), file: f, w: w}, nil
}

// Write appends b as one row group. An empty batch writes nothing.
func (p *ParquetWriter) Write(b *Batch) error {
	if err := b.Check(); err != nil {
		return err
	}
	if b.Len == 0 {
		return nil
	}
	rec := p.rb.record(b)
	defer rec.Release()
	if err := p.w.Write(rec); err != nil {
		return fmt.Errorf("write row group: %w", err)
	}
	p.rows += int64(b.Len)
	return nil
}

// Rows returns the number of rows written so far.
func (p *ParquetWriter) Rows() int64 { return p.rows }

// Close finishes the file and makes it visible.
func (p *ParquetWriter) Close() error {
	defer p.rb.release()
	if err := p.w.Close(); err != nil {
		p.file.Abort()
		return fmt.Errorf("close parquet: %w", err)
	}
	return p.file.Commit()
}

// Abort discards the file.
func (p *ParquetWriter) Abort() {
	p.rb.release()
	p.file.Abort()
}
