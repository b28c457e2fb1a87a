package outputs

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"strconv"
)

// MaxCSVRows is the most configurations a sweep may write as CSV: text
// files of every output are for small runs, and a larger run is written as
// Parquet or Arrow.
const MaxCSVRows = 1_000_000

// CSVWriter writes batches as one CSV file (RFC 4180): a header of the
// column names, then one line per row. Numbers are in SI base units (the
// manifest gives each column's unit), in Go's shortest round-trip form
// ("0.05", "8e+10"); booleans are true and false; a null is an
// empty field; a field holding a comma, a quote or a line break is quoted,
// its quotes doubled. Lines end with "\n". The file becomes visible under
// its name when Close succeeds.
type CSVWriter struct {
	file *AtomicFile
	buf  *bufio.Writer
	w    *csv.Writer
	s    *Schema
	rec  []string
}

// NewCSVWriter starts a CSV file at path and writes its header.
func NewCSVWriter(path string, s *Schema) (*CSVWriter, error) {
	f, err := CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	buf := bufio.NewWriterSize(f, 1<<16)
	c := &CSVWriter{file: f, buf: buf, w: csv.NewWriter(buf), s: s, rec: make([]string, len(s.Cols))}
	for i, col := range s.Cols {
		c.rec[i] = col.Name
	}
	if err := c.w.Write(c.rec); err != nil {
		f.Abort()
		return nil, fmt.Errorf("csv writer %s: %w", path, err)
	}
	return c, nil
}

// Write appends the rows of b.
func (c *CSVWriter) Write(b *Batch) error {
	if err := b.Check(); err != nil {
		return err
	}
	for r := 0; r < b.Len; r++ {
		for i := range c.s.Cols {
			spec, col := &c.s.Cols[i], &b.Cols[i]
			if spec.Nullable && !col.Valid[r] {
				c.rec[i] = ""
				continue
			}
			switch spec.Type {
			case Float64:
				c.rec[i] = strconv.FormatFloat(col.F[r], 'g', -1, 64)
			case Int64:
				c.rec[i] = strconv.FormatInt(col.I[r], 10)
			case Bool:
				c.rec[i] = strconv.FormatBool(col.B[r])
			case String:
				if spec.Coded() {
					c.rec[i] = spec.Dict[col.Codes[r]]
				} else {
					c.rec[i] = col.S[r]
				}
			}
		}
		if err := c.w.Write(c.rec); err != nil {
			return fmt.Errorf("csv writer %s: %w", c.file.final, err)
		}
	}
	return nil
}

// Close flushes the file and makes it visible.
func (c *CSVWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		c.file.Abort()
		return fmt.Errorf("csv writer %s: %w", c.file.final, err)
	}
	if err := c.buf.Flush(); err != nil {
		c.file.Abort()
		return fmt.Errorf("csv writer %s: %w", c.file.final, err)
	}
	return c.file.Commit()
}

// Abort discards the file.
func (c *CSVWriter) Abort() { c.file.Abort() }
