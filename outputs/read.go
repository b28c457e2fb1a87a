package outputs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// This file reads run results back: the Parquet parts under OUT/results,
// column by column and row group by row group, for the Pareto reduction,
// the figures and `sweep plot`. Memory is bounded by one row group of the
// columns asked for, whatever the size of the run.

// resultsSubdir is the directory, under a run's output directory, that holds
// the result parts.
const resultsSubdir = "results"

var partName = regexp.MustCompile(`^part-\d+\.parquet$`)
var shardName = regexp.MustCompile(`^shard=(\d+)$`)

// ResultFiles returns the result parts of a run, in row order: dir may be
// the run's output directory or its results directory. Parts are
// results/part-NNNNN.parquet, or, for sharded runs,
// results/shard=K/part-NNNNN.parquet; shards come in the numeric order of K,
// parts in the numeric order of NNNNN. Temporary files (not named part-*)
// are skipped. It is an error if there is no part.
func ResultFiles(dir string) ([]string, error) {
	res := dir
	if fi, err := os.Stat(filepath.Join(dir, resultsSubdir)); err == nil && fi.IsDir() {
		res = filepath.Join(dir, resultsSubdir)
	}
	ents, err := os.ReadDir(res)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var files []string
	var shards []string
	for _, e := range ents {
		switch {
		case e.IsDir() && shardName.MatchString(e.Name()):
			shards = append(shards, e.Name())
		case !e.IsDir() && partName.MatchString(e.Name()):
			files = append(files, filepath.Join(res, e.Name()))
		}
	}
	sortNumeric(files)
	slices.SortFunc(shards, func(a, b string) int { return cmpNum(a, b) })
	for _, s := range shards {
		sub, err := os.ReadDir(filepath.Join(res, s))
		if err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		var part []string
		for _, e := range sub {
			if !e.IsDir() && partName.MatchString(e.Name()) {
				part = append(part, filepath.Join(res, s, e.Name()))
			}
		}
		sortNumeric(part)
		files = append(files, part...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("results: no part-*.parquet files in %s: %w", res, fs.ErrNotExist)
	}
	return files, nil
}

// sortNumeric sorts paths by the number in their base name.
func sortNumeric(paths []string) {
	slices.SortFunc(paths, func(a, b string) int { return cmpNum(filepath.Base(a), filepath.Base(b)) })
}

// cmpNum compares two names by the first run of digits in each, then as
// text.
func cmpNum(a, b string) int {
	na, nb := firstNumber(a), firstNumber(b)
	switch {
	case na < nb:
		return -1
	case na > nb:
		return 1
	}
	return strings.Compare(a, b)
}

func firstNumber(s string) int64 {
	i := strings.IndexAny(s, "0123456789")
	if i < 0 {
		return -1
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, _ := strconv.ParseInt(s[i:j], 10, 64)
	return n
}

// ColumnKind is the type of a column as the reader gives it.
type ColumnKind uint8

// The column kinds.
const (
	KindFloat  ColumnKind = iota // DOUBLE, FLOAT, INT64, INT32: read as float64, NaN for null
	KindString                   // BYTE_ARRAY: "" for null
	KindBool                     // BOOLEAN: false for null
)

func (k ColumnKind) String() string {
	switch k {
	case KindFloat:
		return "float"
	case KindString:
		return "string"
	case KindBool:
		return "bool"
	}
	return "ColumnKind(" + strconv.Itoa(int(k)) + ")"
}

// ColumnValues is one column of a ColumnBatch. Exactly one of Float, String and
// Bool holds the values, by Kind. Null marks null rows of string and bool
// columns (nil when the batch has none); float columns hold NaN for null.
type ColumnValues struct {
	Name   string
	Kind   ColumnKind
	Float  []float64
	String []string
	Bool   []bool
	Null   []bool
}

// IsNull reports whether row i of the column is null.
func (c *ColumnValues) IsNull(i int) bool {
	if c.Kind == KindFloat {
		return math.IsNaN(c.Float[i])
	}
	return c.Null != nil && c.Null[i]
}

// ColumnBatch is the rows of one row group, restricted to the columns asked
// for, in the order asked for. Its slices are reused by the next batch: a
// callback that keeps values must copy them.
type ColumnBatch struct {
	File     string // the part the rows come from
	RowGroup int    // the row group within File
	Offset   int64  // the number of rows read before this batch, over all files
	Len      int    // rows in the batch
	Cols     []ColumnValues
}

// Col returns the column named name, or nil.
func (b *ColumnBatch) Col(name string) *ColumnValues {
	for i := range b.Cols {
		if b.Cols[i].Name == name {
			return &b.Cols[i]
		}
	}
	return nil
}

// ColumnInfo describes one column of a result file.
type ColumnInfo struct {
	Name string
	Kind ColumnKind
	Unit string // from the key-value metadata "unit:<name>"; "" if none
}

// FileInfo is the schema and metadata of a result part.
type FileInfo struct {
	Columns  []ColumnInfo
	Rows     int64
	Metadata map[string]string // the file's key-value metadata
}

// Unit returns the unit of column name, "" if none is recorded.
func (fi *FileInfo) Unit(name string) string { return fi.Metadata["unit:"+name] }

// Lookup returns the column named name, or nil.
func (fi *FileInfo) Lookup(name string) *ColumnInfo {
	for i := range fi.Columns {
		if fi.Columns[i].Name == name {
			return &fi.Columns[i]
		}
	}
	return nil
}

// Names returns the column names, in file order.
func (fi *FileInfo) Names() []string {
	out := make([]string, len(fi.Columns))
	for i, c := range fi.Columns {
		out[i] = c.Name
	}
	return out
}

// Inspect returns the columns, row count and metadata of the result part
// file, reading only its footer.
func Inspect(file string) (*FileInfo, error) {
	f, pf, err := openParquet(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi := &FileInfo{Rows: pf.NumRows(), Metadata: map[string]string{}}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		fi.Metadata[kv.Key] = kv.Value
	}
	for _, leaf := range pf.Root().Columns() {
		if !leaf.Leaf() {
			continue
		}
		k, ok := kindOf(leaf.Type())
		if !ok {
			continue
		}
		fi.Columns = append(fi.Columns, ColumnInfo{Name: leaf.Name(), Kind: k, Unit: fi.Metadata["unit:"+leaf.Name()]})
	}
	return fi, nil
}

func kindOf(t parquet.Type) (ColumnKind, bool) {
	switch t.Kind() {
	case parquet.Double, parquet.Float, parquet.Int64, parquet.Int32:
		return KindFloat, true
	case parquet.ByteArray:
		return KindString, true
	case parquet.Boolean:
		return KindBool, true
	}
	return 0, false
}

func openParquet(file string) (*os.File, *parquet.File, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(1<<20))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return f, pf, nil
}

// ErrNoColumn is wrapped by the error ReadColumns returns when a file lacks
// a column asked for.
var ErrNoColumn = errors.New("no such column")

// ReadColumns reads the columns cols of files, in order, row group by row
// group, and calls fn with each row group's batch. Only the named columns
// are read. Numeric columns (DOUBLE, FLOAT, INT64, INT32) come as float64
// with NaN for null, BYTE_ARRAY as strings ("" for null), BOOLEAN as bools.
// The batch and its slices are reused: fn must copy what it keeps. A file
// without one of the columns is an error wrapping ErrNoColumn that names the
// column and the file; fn's error stops the read and is returned as is.
func ReadColumns(files []string, cols []string, fn func(batch *ColumnBatch) error) error {
	r := &columnReader{batch: ColumnBatch{Cols: make([]ColumnValues, len(cols))}}
	for i, c := range cols {
		r.batch.Cols[i].Name = c
	}
	for _, file := range files {
		if err := r.readFile(file, cols, fn); err != nil {
			return err
		}
	}
	return nil
}

type columnReader struct {
	batch  ColumnBatch
	maxDef []byte   // per column asked for: the definition level of a present value
	dict   []string // decoded dictionary of the current chunk
}

func (r *columnReader) readFile(file string, cols []string, fn func(*ColumnBatch) error) error {
	f, pf, err := openParquet(file)
	if err != nil {
		return err
	}
	defer f.Close()
	idx := make([]int, len(cols))
	r.maxDef = resize(r.maxDef, len(cols))
	for i, name := range cols {
		c := pf.Root().Column(name)
		if c == nil || !c.Leaf() {
			return fmt.Errorf("%s: column %q: %w", file, name, ErrNoColumn)
		}
		k, ok := kindOf(c.Type())
		if !ok {
			return fmt.Errorf("%s: column %q has unsupported type %s", file, name, c.Type())
		}
		idx[i] = c.Index()
		r.maxDef[i] = byte(c.MaxDefinitionLevel())
		r.batch.Cols[i].Kind = k
	}
	r.batch.File = file
	for g, rg := range pf.RowGroups() {
		n := int(rg.NumRows())
		chunks := rg.ColumnChunks()
		for i := range cols {
			if err := r.readChunk(&r.batch.Cols[i], chunks[idx[i]], n, r.maxDef[i]); err != nil {
				return fmt.Errorf("%s: row group %d: column %q: %w", file, g, cols[i], err)
			}
		}
		r.batch.RowGroup = g
		r.batch.Len = n
		if err := fn(&r.batch); err != nil {
			return err
		}
		r.batch.Offset += int64(n)
	}
	return nil
}

// readChunk decodes a column chunk of n rows into c, reusing c's slices.
func (r *columnReader) readChunk(c *ColumnValues, chunk parquet.ColumnChunk, n int, maxDef byte) error {
	switch c.Kind {
	case KindFloat:
		c.Float = resize(c.Float, n)
	case KindString:
		c.String = resize(c.String, n)
	case KindBool:
		c.Bool = resize(c.Bool, n)
	}
	c.Null = c.Null[:0]
	pages := chunk.Pages()
	defer pages.Close()
	var dictSource parquet.Dictionary
	row := 0
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		m := int(p.NumValues())
		if row+m > n {
			parquet.Release(p)
			return fmt.Errorf("%d values in a row group of %d rows (repeated column?)", row+m, n)
		}
		def := p.DefinitionLevels()
		if d := p.Dictionary(); d != nil && d != dictSource {
			dictSource = d
			r.decodeDict(d)
		}
		if err := r.decodePage(c, p, def, maxDef, row, m); err != nil {
			parquet.Release(p)
			return err
		}
		parquet.Release(p)
		row += m
	}
	if row != n {
		return fmt.Errorf("%d values in a row group of %d rows", row, n)
	}
	return nil
}

// decodeDict turns a dictionary's values into strings, once per chunk.
func (r *columnReader) decodeDict(d parquet.Dictionary) {
	r.dict = r.dict[:0]
	data := d.Page().Data()
	if data.Kind() != encoding.ByteArray {
		for i := range d.Len() {
			r.dict = append(r.dict, d.Index(int32(i)).String())
		}
		return
	}
	buf, off := data.ByteArray()
	all := string(buf) // one allocation for the whole dictionary
	for i := 0; i+1 < len(off); i++ {
		r.dict = append(r.dict, all[off[i]:off[i+1]])
	}
}

// decodePage writes the m rows of page p into c at row. Non-null values are
// packed in the page data; def, when present, says which rows have one (the
// definition level equals the column's maximum).
func (r *columnReader) decodePage(c *ColumnValues, p parquet.Page, def []byte, maxDef byte, row, m int) error {
	data := p.Data()
	present := func(i int) bool { return len(def) == 0 || def[i] == maxDef }
	setNull := func(i int) { // row i of the page is null
		switch c.Kind {
		case KindFloat:
			c.Float[row+i] = math.NaN()
			return
		case KindString:
			c.String[row+i] = ""
		case KindBool:
			c.Bool[row+i] = false
		}
		if len(c.Null) == 0 { // the chunk's first null
			c.Null = resize(c.Null, len(c.String)+len(c.Bool))
			clear(c.Null)
		}
		c.Null[row+i] = true
	}
	if p.Dictionary() != nil { // indexed page: Data holds int32 indexes
		ix := data.Int32()
		j := 0
		for i := range m {
			if !present(i) {
				setNull(i)
				continue
			}
			if j >= len(ix) || int(ix[j]) >= len(r.dict) {
				return fmt.Errorf("dictionary index out of range")
			}
			s := r.dict[ix[j]]
			j++
			switch c.Kind {
			case KindString:
				c.String[row+i] = s
			case KindFloat:
				v, _ := strconv.ParseFloat(s, 64)
				c.Float[row+i] = v
			case KindBool:
				c.Bool[row+i] = s == "true"
			}
		}
		return nil
	}
	switch c.Kind {
	case KindFloat:
		out := c.Float[row : row+m]
		switch data.Kind() {
		case encoding.Double:
			fillFloat(out, data.Double(), def, maxDef)
		case encoding.Int64:
			fillFloat(out, data.Int64(), def, maxDef)
		case encoding.Int32:
			fillFloat(out, data.Int32(), def, maxDef)
		case encoding.Float:
			fillFloat(out, data.Float(), def, maxDef)
		default:
			return fmt.Errorf("unexpected page data kind %v", data.Kind())
		}
	case KindString:
		buf, off := data.ByteArray()
		all := string(buf) // one allocation per page
		j := 0
		for i := range m {
			if !present(i) {
				setNull(i)
				continue
			}
			c.String[row+i] = all[off[j]:off[j+1]]
			j++
		}
	case KindBool:
		bits := data.Boolean()
		j := 0
		for i := range m {
			if !present(i) {
				setNull(i)
				continue
			}
			c.Bool[row+i] = bits[j>>3]>>(j&7)&1 != 0
			j++
		}
	}
	return nil
}

// fillFloat spreads the packed non-null values vals over out, NaN where the
// definition level says null.
func fillFloat[T float64 | float32 | int64 | int32](out []float64, vals []T, def []byte, maxDef byte) {
	if len(def) == 0 {
		for i := range out {
			out[i] = float64(vals[i])
		}
		return
	}
	j := 0
	nan := math.NaN()
	for i, d := range def {
		if d == maxDef {
			out[i] = float64(vals[j])
			j++
		} else {
			out[i] = nan
		}
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
