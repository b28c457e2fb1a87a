package dse

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// cancelAfter is a context whose Err reports cancellation from its n-th call
// on: a deterministic stand-in for a signal arriving mid-row-group.
type cancelAfter struct {
	context.Context
	calls, n int64
}

func (c *cancelAfter) Err() error {
	if atomic.AddInt64(&c.calls, 1) >= c.n {
		return context.Canceled
	}
	return nil
}

// A cancellation inside a long row group ends the part after the rows
// evaluated so far, as a valid file holding exactly those rows.
func TestWritePartCancelsInsideRowGroup(t *testing.T) {
	s := mustParse(t, `name: long
grid:
  model: [Llama3_8B]
  hardware: [H100]
  batch_size: {from: 1, to: 20000}
outputs: {row_group_rows: 100000, part_rows: 100000}
`)
	pl, err := newPlan(s)
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvaluator(pl)
	b := outputs.NewBatch(pl.schema, s.Outputs.RowGroupRows)
	path := filepath.Join(t.TempDir(), "part.parquet")
	// Calls: the row group's start (1), row 4095 (2), row 8191 (3): cut there.
	ctx := &cancelAfter{Context: context.Background(), n: 3}
	hi, rows, err := writePart(ctx, ev, b, pl, path, 0, int64(s.Size()), []string{"parquet"}, s.metadata("test"),
		func(n, f, w int64) {})
	if err == nil || hi != 2*cancelCheckRows-1 || rows != hi {
		t.Fatalf("hi %d rows %d err %v, want %d rows and the cancellation", hi, rows, err, 2*cancelCheckRows-1)
	}
	var read int64
	if err := outputs.ReadColumns([]string{path}, []string{"batch_size"}, func(cb *outputs.ColumnBatch) error {
		read += int64(cb.Len)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if read != hi {
		t.Errorf("file holds %d rows, want %d", read, hi)
	}
}
