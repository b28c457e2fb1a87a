package dse

import (
	"context"
	"fmt"
	"iter"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// Row is one configuration of a sweep with its outcome: the row a run
// would write to its results, for programs that want results without
// files (Rows).
type Row struct {
	Index  int64         // the configuration's position in the grid
	Config engine.Config // the configuration, typed: registry entries by pointer, enums
	Result engine.Result // every output

	cols *rowColumns
	vals []any
}

// rowColumns is the column layout every Row of one iteration shares.
type rowColumns struct {
	names []string
	pos   map[string]int
}

// Columns returns the names of the row's columns in the order a run writes
// them (index, parameters, derived values, outputs). The slice is shared by
// every row of the iteration: do not modify it.
func (r Row) Columns() []string { return r.cols.names }

// Value returns the value of column name, typed as the files type it:
// float64, int64 (counts, indexes), bool (flags, feasible) or string
// (names, enums); nil where the file holds null (an output the row's mode
// does not compute, or one that would mislead on this row:
// engine.Output.Null). ok is false for a name that is not a column.
func (r Row) Value(name string) (v any, ok bool) {
	i, ok := r.cols.pos[name]
	if !ok {
		return nil, false
	}
	return r.vals[i], true
}

// Values returns every column of the row by name, typed as Value types it.
func (r Row) Values() map[string]any {
	m := make(map[string]any, len(r.vals))
	for i, n := range r.cols.names {
		m[n] = r.vals[i]
	}
	return m
}

// Rows evaluates the configurations [lo, hi) of s in index order, on the
// calling goroutine, and yields the rows a run would write: those that pass
// the constraints, with the same values as the result files (hi = 0 means
// the end of the grid). It writes nothing. It stops at the first error (an
// out-of-range bound, a cancelled ctx), which it yields with a zero Row.
//
//	for row, err := range dse.Rows(ctx, spec, 0, 0) {
//		if err != nil { return err }
//		fmt.Println(row.Index, row.Config.Hardware.Key, row.Result.LatencyS)
//	}
//
// For millions of rows, Run (files, every core) is the faster way.
func Rows(ctx context.Context, s *Spec, lo, hi int64) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		size := int64(s.Size())
		if hi == 0 {
			hi = size
		}
		if lo < 0 || hi > size || lo > hi {
			yield(Row{}, fmt.Errorf("rows [%d, %d): out of the grid [0, %d)", lo, hi, size))
			return
		}
		pl, err := newPlan(s)
		if err != nil {
			yield(Row{}, err)
			return
		}
		ev := newEvaluator(pl)
		ev.front = nil // no Pareto front: the caller sees every row
		cols := &rowColumns{pos: map[string]int{}}
		for i, c := range pl.schema.Cols {
			cols.names = append(cols.names, c.Name)
			cols.pos[c.Name] = i
		}
		b := newBatchFor(pl, 1)
		for i := lo; i < hi; i++ {
			if i%4096 == 0 {
				if err := ctx.Err(); err != nil {
					yield(Row{}, err)
					return
				}
			}
			b.Reset()
			ev.evalRow(i, b)
			ev.flush()
			if b.Len == 0 { // dropped by a constraint
				continue
			}
			if !yield(Row{Index: i, Config: ev.cfg, Result: *ev.res, cols: cols, vals: rowValues(b)}, nil) {
				return
			}
		}
	}
}

// rowValues returns the typed values of the one row of b.
func rowValues(b *outputs.Batch) []any {
	vals := make([]any, len(b.Cols))
	for c := range b.Cols {
		col, spec := &b.Cols[c], &b.Schema.Cols[c]
		if spec.Nullable && len(col.Valid) > 0 && !col.Valid[0] {
			continue // null
		}
		switch spec.Type {
		case outputs.Float64:
			vals[c] = col.F[0]
		case outputs.Int64:
			vals[c] = col.I[0]
		case outputs.Bool:
			vals[c] = col.B[0]
		case outputs.String:
			if spec.Coded() {
				vals[c] = spec.Dict[col.Codes[0]]
			} else {
				vals[c] = col.S[0]
			}
		}
	}
	return vals
}

// ConfigurationValues returns the parameters and derived values of the
// configuration at index i of the grid, by name, typed: string (names,
// enums), bool (flags), int64 (whole-number parameters) or float64. It is
// Configuration without the text: a flag is true or false, not "1" or "0".
func ConfigurationValues(s *Spec, i int64) (map[string]any, error) {
	if i < 0 || uint64(i) >= s.Size() {
		return nil, fmt.Errorf("configuration %d: out of the grid [0, %d)", i, s.Size())
	}
	pl, err := newPlan(s)
	if err != nil {
		return nil, err
	}
	ev := newEvaluator(pl)
	ev.configure(i)
	out := map[string]any{}
	for name, sym := range s.syms {
		switch {
		case sym.isOutput:
		case sym.kind == symStr:
			out[name] = ev.row.str[sym.slot]
		case sym.boolean:
			out[name] = ev.row.num[sym.slot] != 0
		default:
			x := ev.row.num[sym.slot]
			if p := engine.LookupParam(name); p != nil && p.Type == engine.TypeInt {
				out[name] = int64(x)
			} else {
				out[name] = x
			}
		}
	}
	return out, nil
}
