package outputs

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/parquet"
	pqfile "github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// This file reads run results back: the Parquet parts under OUT/results,
// column by column and row group by row group, for the Pareto reduction,
// the figures and `sweep plot`. Memory is bounded by one row group of the
// columns asked for, whatever the size of the run. It reads through Apache
// Arrow's Parquet package (parquet/file), the library that writes the
// files, so that the binary links one Parquet implementation: the pages of
// the encodings result parts use are decoded directly (readpages.go), other
// chunks by arrow-go's column chunk readers.

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
func Inspect(file string) (fi *FileInfo, err error) {
	defer recoverRead(file, &err)
	r, err := openParquetFile(file)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	md := r.MetaData()
	fi = &FileInfo{Rows: md.NumRows, Metadata: map[string]string{}}
	kv := md.KeyValueMetadata()
	for i, k := range kv.Keys() {
		fi.Metadata[k] = kv.Values()[i]
	}
	root := md.Schema.Root()
	for i := range root.NumFields() {
		n := root.Field(i)
		if n.Type() != schema.Primitive {
			continue
		}
		k, ok := kindOf(n.(*schema.PrimitiveNode).PhysicalType())
		if !ok {
			continue
		}
		fi.Columns = append(fi.Columns, ColumnInfo{Name: n.Name(), Kind: k, Unit: fi.Metadata["unit:"+n.Name()]})
	}
	return fi, nil
}

func kindOf(t parquet.Type) (ColumnKind, bool) {
	switch t {
	case parquet.Types.Double, parquet.Types.Float, parquet.Types.Int64, parquet.Types.Int32:
		return KindFloat, true
	case parquet.Types.ByteArray:
		return KindString, true
	case parquet.Types.Boolean:
		return KindBool, true
	}
	return 0, false
}

// openParquetFile opens file's Parquet footer; a footer the decoder panics
// on is an error.
func openParquetFile(file string, opts ...pqfile.ReadOption) (r *pqfile.Reader, err error) {
	defer recoverRead(file, &err)
	r, err = pqfile.OpenParquetFile(file, false, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return r, nil
}

// recoverRead turns a panic of the Parquet decoder on a damaged file into
// an error naming the file.
func recoverRead(file string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: unreadable Parquet: %v", file, r)
	}
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
	r := &columnReader{
		batch:  ColumnBatch{Cols: make([]ColumnValues, len(cols))},
		phys:   make([]parquet.Type, len(cols)),
		states: make([]chunkState, len(cols)),
		mem:    recyclers.Get().(*recycler),
	}
	defer recyclers.Put(r.mem)
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
	batch ColumnBatch
	// Scratch of one column chunk, reused.
	def   []int16
	f64   []float64
	f32   []float32
	i64   []int64
	i32   []int32
	bools []bool
	bytes []parquet.ByteArray
	// few and dict intern the strings of a dictionary-encoded chunk read
	// by the column chunk reader, so that each distinct value is allocated
	// once per chunk: the first values in few (searched in order), the
	// others in dict. plainStrings interns a plain chunk's values in few.
	few  []string
	dict map[string]string
	// Scratch of readChunkPages, reused: a page's definition levels,
	// booleans and dictionary indices; and per column asked for, its
	// physical type and the state kept between its chunks.
	lev    []uint16
	lev2   []uint16
	idx    []uint32
	phys   []parquet.Type
	states []chunkState
	// mem recycles the page readers' buffers from chunk to chunk, and
	// from one ReadColumns call to the next through recyclers.
	mem *recycler
}

// recyclers keeps the page buffers of finished ReadColumns calls for the
// next ones (until the garbage collector drops them).
var recyclers = sync.Pool{New: func() any { return new(recycler) }}

// fewValues is how many distinct values intern searches in order before it
// uses a map: a sweep's axes have a few values each.
const fewValues = 16

// intern returns b as a string of the chunk's interned values.
func (r *columnReader) intern(b []byte) string {
	for _, s := range r.few {
		if string(b) == s {
			return s
		}
	}
	if len(r.few) < fewValues {
		s := string(b)
		r.few = append(r.few, s)
		return s
	}
	if s, ok := r.dict[string(b)]; ok {
		return s
	}
	if r.dict == nil {
		r.dict = map[string]string{}
	}
	s := string(b)
	r.dict[s] = s
	return s
}

func (r *columnReader) readFile(file string, cols []string, fn func(*ColumnBatch) error) error {
	// Column chunks are read through a buffer of parquet.DefaultBufSize
	// bytes (a page header's room), the pages' bodies straight into the
	// recycled page buffers, rather than each chunk into a fresh buffer of
	// its size.
	props := parquet.NewReaderProperties(r.mem)
	props.BufferedStreamEnabled = true
	pf, err := openParquetFile(file, pqfile.WithReadProps(props))
	if err != nil {
		return err
	}
	defer pf.Close()
	idx, maxDef, err := r.lookup(pf, file, cols)
	if err != nil {
		return err
	}
	r.batch.File = file
	for g := range pf.NumRowGroups() {
		n, err := r.readRowGroup(pf, file, g, cols, idx, maxDef)
		if err != nil {
			return err
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

// lookup returns the leaf indexes and maximum definition levels of cols in
// pf and sets the kinds of the batch's columns.
func (r *columnReader) lookup(pf *pqfile.Reader, file string, cols []string) (idx []int, maxDef []int16, err error) {
	defer recoverRead(file, &err)
	sc := pf.MetaData().Schema
	idx = make([]int, len(cols))
	maxDef = make([]int16, len(cols))
	for i, name := range cols {
		j := sc.ColumnIndexByName(name)
		if j < 0 || sc.ColumnRoot(j).Name() != name {
			return nil, nil, fmt.Errorf("%s: column %q: %w", file, name, ErrNoColumn)
		}
		c := sc.Column(j)
		k, ok := kindOf(c.PhysicalType())
		if !ok {
			return nil, nil, fmt.Errorf("%s: column %q has unsupported type %s", file, name, c.PhysicalType())
		}
		if c.MaxRepetitionLevel() > 0 {
			return nil, nil, fmt.Errorf("%s: column %q is repeated", file, name)
		}
		idx[i], maxDef[i] = j, c.MaxDefinitionLevel()
		r.batch.Cols[i].Kind = k
		r.phys[i] = c.PhysicalType()
	}
	return idx, maxDef, nil
}

// maxReadRowGroupRows bounds the rows of a row group the reader accepts, and
// so the memory a damaged footer can make it allocate: the writer's largest
// row group (1<<24 rows, NewParquetWriterOptions).
const maxReadRowGroupRows = 1 << 24

// readRowGroup decodes the columns of row group g into the batch and
// returns its rows; a panic of the decoder on a damaged file is an error.
func (r *columnReader) readRowGroup(pf *pqfile.Reader, file string, g int, cols []string, idx []int, maxDef []int16) (n int, err error) {
	defer recoverRead(file, &err)
	rg := pf.RowGroup(g)
	n = int(rg.NumRows())
	if n < 0 || n > maxReadRowGroupRows {
		return 0, fmt.Errorf("%s: row group %d: %d rows, want 0 to %d (a damaged footer?)", file, g, n, maxReadRowGroupRows)
	}
	for i := range cols {
		err := errOtherEncoding
		if decodePages {
			err = r.readChunkPages(&r.batch.Cols[i], &r.states[i], rg, idx[i], n, maxDef[i], r.phys[i])
		}
		if err == errOtherEncoding {
			genericChunks.Add(1)
			r.mem.zero = true
			err = r.readChunk(&r.batch.Cols[i], rg, idx[i], n, maxDef[i])
			r.mem.zero = false
		}
		if err != nil {
			return 0, fmt.Errorf("%s: row group %d: column %q: %w", file, g, cols[i], err)
		}
	}
	return n, nil
}

// readChunk decodes column j of row group rg, n rows, into c, reusing c's
// slices, through arrow-go's column chunk reader: the chunks readChunkPages
// does not decode.
func (r *columnReader) readChunk(c *ColumnValues, rg *pqfile.RowGroupReader, j, n int, maxDef int16) error {
	cr, err := rg.Column(j)
	if err != nil {
		return err
	}
	defer cr.Close()
	var def []int16
	if maxDef > 0 {
		r.def = resize(r.def, n)
		def = r.def
	}
	// read calls the typed ReadBatch until the n rows are read and returns
	// the number of values (non-null rows) read.
	read := func(batch func(rows int, at int, def []int16) (int64, int, error)) (int, error) {
		rows, vals := 0, 0
		for rows < n {
			var d []int16
			if def != nil {
				d = def[rows:]
			}
			total, nv, err := batch(n-rows, vals, d)
			if err != nil {
				return 0, err
			}
			if total == 0 {
				return 0, fmt.Errorf("%d values in a row group of %d rows", rows, n)
			}
			rows += int(total)
			vals += nv
		}
		if cr.HasNext() {
			return 0, fmt.Errorf("more than %d values in a row group of %d rows", n, n)
		}
		return vals, nil
	}
	present := func(i int) bool { return def == nil || def[i] == maxDef }
	c.Null = c.Null[:0]
	switch c.Kind {
	case KindFloat:
		c.Float = resize(c.Float, n)
		var vals int
		switch cr := cr.(type) {
		case *pqfile.Float64ColumnChunkReader:
			r.f64 = resize(r.f64, n)
			vals, err = read(func(rows, at int, d []int16) (int64, int, error) {
				return cr.ReadBatch(int64(rows), r.f64[at:], d, nil)
			})
			if err == nil {
				spread(c.Float, r.f64[:vals], def, maxDef)
			}
		case *pqfile.Float32ColumnChunkReader:
			r.f32 = resize(r.f32, n)
			vals, err = read(func(rows, at int, d []int16) (int64, int, error) {
				return cr.ReadBatch(int64(rows), r.f32[at:], d, nil)
			})
			if err == nil {
				spread(c.Float, r.f32[:vals], def, maxDef)
			}
		case *pqfile.Int64ColumnChunkReader:
			r.i64 = resize(r.i64, n)
			vals, err = read(func(rows, at int, d []int16) (int64, int, error) {
				return cr.ReadBatch(int64(rows), r.i64[at:], d, nil)
			})
			if err == nil {
				spread(c.Float, r.i64[:vals], def, maxDef)
			}
		case *pqfile.Int32ColumnChunkReader:
			r.i32 = resize(r.i32, n)
			vals, err = read(func(rows, at int, d []int16) (int64, int, error) {
				return cr.ReadBatch(int64(rows), r.i32[at:], d, nil)
			})
			if err == nil {
				spread(c.Float, r.i32[:vals], def, maxDef)
			}
		default:
			return fmt.Errorf("unexpected column reader %T", cr)
		}
		return err
	case KindString:
		cr, ok := cr.(*pqfile.ByteArrayColumnChunkReader)
		if !ok {
			return fmt.Errorf("unexpected column reader %T", cr)
		}
		r.bytes = resize(r.bytes, n)
		vals, err := read(func(rows, at int, d []int16) (int64, int, error) {
			return cr.ReadBatch(int64(rows), r.bytes[at:], d, nil)
		})
		if err != nil {
			return err
		}
		// The decoder gives each batch's values as views of one fresh
		// buffer of their bytes, which nothing writes again: a plain
		// chunk's strings are views of it too. A dictionary chunk's values
		// are interned instead (each distinct value allocated once per
		// chunk), so that a caller keeping a value keeps a few bytes, not
		// the chunk's.
		interned := false
		if md, err := rg.MetaData().ColumnChunk(j); err == nil && md.HasDictionaryPage() {
			interned = true
			r.few = r.few[:0]
			clear(r.dict)
		}
		c.String = resize(c.String, n)
		prev, v := "", 0
		for i := range n {
			if !present(i) {
				r.setNull(c, i, n)
				continue
			}
			b := r.bytes[v]
			v++
			switch {
			case !interned:
				c.String[i] = unsafe.String(unsafe.SliceData(b), len(b))
			case len(b) == len(prev) && string(b) == prev: // runs of one value: no lookup
				c.String[i] = prev
			default:
				s := r.intern(b)
				c.String[i], prev = s, s
			}
		}
		clear(r.bytes[:vals]) // drop the views
	case KindBool:
		cr, ok := cr.(*pqfile.BooleanColumnChunkReader)
		if !ok {
			return fmt.Errorf("unexpected column reader %T", cr)
		}
		r.bools = resize(r.bools, n)
		if _, err := read(func(rows, at int, d []int16) (int64, int, error) {
			return cr.ReadBatch(int64(rows), r.bools[at:], d, nil)
		}); err != nil {
			return err
		}
		c.Bool = resize(c.Bool, n)
		v := 0
		for i := range n {
			if !present(i) {
				r.setNull(c, i, n)
				continue
			}
			c.Bool[i] = r.bools[v]
			v++
		}
	}
	return nil
}

// setNull marks row i of c (a string or bool column of n rows) null.
func (r *columnReader) setNull(c *ColumnValues, i, n int) {
	switch c.Kind {
	case KindString:
		c.String[i] = ""
	case KindBool:
		c.Bool[i] = false
	}
	if len(c.Null) == 0 { // the chunk's first null
		c.Null = resize(c.Null, n)
		clear(c.Null)
	}
	c.Null[i] = true
}

// spread spreads the packed non-null values vals over out, NaN where the
// definition level says null.
func spread[T float64 | float32 | int64 | int32](out []float64, vals []T, def []int16, maxDef int16) {
	if def == nil {
		for i := range out {
			out[i] = float64(vals[i])
		}
		return
	}
	j := 0
	nan := math.NaN()
	for i, d := range def[:len(out)] {
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
