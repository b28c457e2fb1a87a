// Package outputs writes sweep results as columnar files that pandas,
// polars, DuckDB and Arrow read directly: Parquet parts (zstd, row groups
// written as they complete, units in the metadata), Arrow IPC files, and the
// run manifest. Files become visible only when complete (write to a
// temporary name, fsync, rename).
//
// A Batch is a block of rows in columnar form (a struct of slices). Writers
// consume batches; they never call the engine.
package outputs

import "fmt"

// ColumnType is the storage type of a column.
type ColumnType uint8

// The column types.
const (
	Float64 ColumnType = iota
	Int64
	Bool
	String // UTF-8; with a dictionary (ColumnSpec.Dict), codes into it
)

var columnTypeNames = [...]string{"DOUBLE", "BIGINT", "BOOLEAN", "VARCHAR"}

// String returns the SQL name of the type ("DOUBLE", "BIGINT" ...).
func (t ColumnType) String() string { return columnTypeNames[t] }

// ColumnSpec describes one column.
type ColumnSpec struct {
	Name     string
	Type     ColumnType
	Unit     string // SI unit of the values; "" if dimensionless or not a quantity
	Doc      string // meaning, for the schema metadata
	Nullable bool   // rows may lack a value (an output a row's mode does not compute, or one that would mislead: engine.Output.NullWhen)
	// Dict, for a String column, lists every value the column can hold. The
	// column then holds codes (Column.Codes: Dict[code] is the value) and is
	// written as an Arrow dictionary array (pandas: a categorical; DuckDB: a
	// string) and a dictionary-encoded Parquet column without statistics.
	// Nil means plain strings (Column.S).
	Dict []string
}

// Coded reports whether the column holds dictionary codes.
func (c *ColumnSpec) Coded() bool { return c.Type == String && c.Dict != nil }

// Schema is the ordered list of columns of a run's results.
type Schema struct {
	Cols []ColumnSpec
}

// Column holds the values of one column for the rows of a Batch. Only the
// slice of its type is used; Valid is used when the column is nullable.
type Column struct {
	F     []float64
	I     []int64
	B     []bool
	S     []string
	Codes []int32 // a String column with a Dict: indexes into it
	Valid []bool
}

// Batch is a block of consecutive configurations in columnar form. Lo and Hi
// are the configuration indexes it covers (Hi exclusive); Len rows survived
// the sweep's constraints.
type Batch struct {
	Schema *Schema
	Cols   []Column
	Len    int
	Lo, Hi int64
}

// NewBatch returns an empty batch for schema with room for capacity rows.
func NewBatch(schema *Schema, capacity int) *Batch {
	b := &Batch{Schema: schema, Cols: make([]Column, len(schema.Cols))}
	for i, c := range schema.Cols {
		col := &b.Cols[i]
		switch c.Type {
		case Float64:
			col.F = make([]float64, 0, capacity)
		case Int64:
			col.I = make([]int64, 0, capacity)
		case Bool:
			col.B = make([]bool, 0, capacity)
		case String:
			if c.Coded() {
				col.Codes = make([]int32, 0, capacity)
			} else {
				col.S = make([]string, 0, capacity)
			}
		}
		if c.Nullable {
			col.Valid = make([]bool, 0, capacity)
		}
	}
	return b
}

// Reset empties the batch, keeping its buffers.
func (b *Batch) Reset() {
	for i := range b.Cols {
		c := &b.Cols[i]
		c.F, c.I, c.B, c.S, c.Codes, c.Valid = c.F[:0], c.I[:0], c.B[:0], c.S[:0], c.Codes[:0], c.Valid[:0]
	}
	b.Len, b.Lo, b.Hi = 0, 0, 0
}

// Check verifies that every column holds Len values and every code is in
// its dictionary; writers call it so a malformed batch is an error, not a
// corrupt file.
func (b *Batch) Check() error {
	for i := range b.Schema.Cols {
		c := &b.Schema.Cols[i]
		col := &b.Cols[i]
		n := 0
		switch c.Type {
		case Float64:
			n = len(col.F)
		case Int64:
			n = len(col.I)
		case Bool:
			n = len(col.B)
		case String:
			n = len(col.S)
			if c.Coded() {
				n = len(col.Codes)
			}
		}
		if n != b.Len || (c.Nullable && len(col.Valid) != b.Len) {
			return fmt.Errorf("outputs: column %s holds %d values, batch has %d rows", c.Name, n, b.Len)
		}
		if c.Coded() {
			d := uint32(len(c.Dict))
			for r, code := range col.Codes {
				if uint32(code) >= d {
					return fmt.Errorf("outputs: column %s row %d: code %d is not in its dictionary of %d values", c.Name, r, code, d)
				}
			}
		}
	}
	return nil
}

// Writer consumes batches in order. Close flushes and makes the output
// visible; Abort discards it. Writers are not safe for concurrent use.
type Writer interface {
	Write(b *Batch) error
	Close() error
	Abort()
}
