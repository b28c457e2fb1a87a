package dse

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
)

// nullSweep has rows of each kind: Llama3_70B in fp16 on a T4 does not fit
// (infeasible); a P99 target of 0.1 ms is met by no replica count
// (unreachable, the row feasible); a target of 100 s is met.
const nullSweep = `name: nulls
description: rows whose misleading outputs are null
fixed: {mode: serving, qps: 10, duration_days: 1}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [T4, H100]
  p99_target_s: [1e-4, 100]
objectives:
  - {minimize: replicas}
  - {minimize: cost_per_mtok_usd}
outputs: {formats: [parquet, arrow, csv]}
`

// expectedNulls evaluates the sweep's rows in the engine and returns, per
// index, whether the row is feasible and whether its target is unreachable.
func expectedNulls(t *testing.T, s *Spec) (feasible, unreachable []bool) {
	t.Helper()
	for row, err := range Rows(context.Background(), s, 0, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if row.Index != int64(len(feasible)) {
			t.Fatalf("row %d dropped", len(feasible))
		}
		feasible, unreachable = append(feasible, row.Result.Feasible), append(unreachable, row.Result.Unreachable())
		if v, _ := row.Value("cost_per_mtok_usd"); (v == nil) != (!row.Result.Feasible || row.Result.Unreachable()) {
			t.Errorf("Rows: row %d cost_per_mtok_usd = %v (feasible %v, unreachable %v)", row.Index, v, row.Result.Feasible, row.Result.Unreachable())
		}
	}
	return
}

// An infeasible row's price, rate and replicas are null in every format
// (DuckDB reads NULL from Parquet, the Arrow file has its validity bit
// cleared, CSV an empty field), its memory and latency are not; the
// unreachable row's replicas and prices are null; neither is on the front.
func TestNullOutputs(t *testing.T) {
	s := mustParse(t, nullSweep)
	feasible, unreachable := expectedNulls(t, s)
	var nInf, nUnr int
	for i := range feasible {
		if !feasible[i] {
			nInf++
		} else if unreachable[i] {
			nUnr++
		}
	}
	if nInf == 0 || nUnr == 0 {
		t.Fatalf("the sweep has %d infeasible and %d unreachable rows; want some of each", nInf, nUnr)
	}
	dir := t.TempDir()
	rep := runTo(t, s, dir, 1)
	if rep.Written != int64(s.Size()) {
		t.Fatalf("%d rows written, want %d", rep.Written, s.Size())
	}
	for _, c := range rep.Schema.Cols {
		if o := engine.LookupOutput(c.Name); o != nil && o.Nullable() && !c.Nullable {
			t.Errorf("column %s is not nullable", c.Name)
		}
	}
	// The expected null pattern of each checked column, per row.
	nullAt := func(col string, i int) bool {
		o := engine.LookupOutput(col)
		return o.NullWhen&engine.NullIfInfeasible != 0 && !feasible[i] ||
			o.NullWhen&engine.NullIfUnreachable != 0 && unreachable[i]
	}
	checked := []string{"cost_per_mtok_usd", "energy_per_token_j", "tokens_per_s", "replicas", "p99_s", "tco_usd", "memory_bytes", "latency_s"}

	// CSV: an empty field.
	part := filepath.Join(dir, rep.Parts[0].File)
	data, err := os.ReadFile(CSVPath(part))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range checked {
		k := slices.Index(recs[0], col)
		if k < 0 {
			t.Fatalf("CSV has no column %s: %v", col, recs[0])
		}
		for i, rec := range recs[1:] {
			if got, want := rec[k] == "", nullAt(col, i); got != want {
				t.Errorf("CSV row %d %s = %q; null %v, want %v", i, col, rec[k], got, want)
			}
		}
	}

	// Arrow IPC: the validity bitmap.
	f, err := os.Open(ArrowPath(part))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ar, err := ipc.NewFileReader(f, ipc.WithAllocator(memory.NewGoAllocator()))
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	row := 0
	for r := range ar.NumRecords() {
		rec, err := ar.RecordBatch(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range checked {
			idx := rec.Schema().FieldIndices(col)
			a := rec.Column(idx[0])
			for i := range int(rec.NumRows()) {
				if got, want := a.IsNull(i), nullAt(col, row+i); got != want {
					t.Errorf("Arrow row %d %s: null %v, want %v", row+i, col, got, want)
				}
			}
		}
		row += int(rec.NumRows())
	}

	// The Pareto front holds no row whose objective is null.
	for _, g := range rep.Front.Groups() {
		for _, p := range rep.Front.Front(g).Points() {
			if !feasible[p.Index] || unreachable[p.Index] {
				t.Errorf("front: row %d (feasible %v, unreachable %v) has a null objective", p.Index, feasible[p.Index], unreachable[p.Index])
			}
		}
	}

	// Parquet, through DuckDB: NULL where null, a number elsewhere.
	duckdbtest.Check(t, func(t *testing.T) {
		sel := make([]string, len(checked))
		for k, c := range checked {
			sel[k] = fmt.Sprintf("%s IS NULL AS %s", c, c)
		}
		rows := duckdbtest.Query(t, fmt.Sprintf("SELECT %s FROM read_parquet('%s') ORDER BY index",
			strings.Join(sel, ", "), filepath.Join(dir, "results", "*.parquet")))
		if len(rows) != len(feasible) {
			t.Fatalf("DuckDB reads %d rows, want %d", len(rows), len(feasible))
		}
		for i, r := range rows {
			for _, col := range checked {
				if got, want := r[col] == true, nullAt(col, i); got != want {
					t.Errorf("DuckDB row %d %s IS NULL = %v, want %v", i, col, r[col], want)
				}
			}
		}
	})
}

// A constraint that reads a null output fails, whatever its form: the row
// is not written. A derived value cannot read an output at all.
func TestConstraintOnNull(t *testing.T) {
	base := strings.Replace(nullSweep, "outputs: {formats: [parquet, arrow, csv]}\n", "", 1)
	feasible, unreachable := expectedNulls(t, mustParse(t, base))
	var reachable int64
	for i := range feasible {
		if feasible[i] && !unreachable[i] {
			reachable++
		}
	}
	for _, c := range []string{"cost_per_mtok_usd < 1e12", "not (cost_per_mtok_usd > 1e12)", "cost_per_mtok_usd != -1", "replicas >= 0 or replicas < 0"} {
		s := mustParse(t, base+"constraints: [\""+c+"\"]\n")
		rep := runTo(t, s, t.TempDir(), 1)
		if rep.Written != reachable {
			t.Errorf("constraint %q: %d rows written, want the %d whose cost and replicas are not null", c, rep.Written, reachable)
		}
	}
	_, err := ParseSpec("d.yaml", []byte(base+"derived:\n  c2: cost_per_mtok_usd * 2\n"))
	if err == nil {
		t.Error("a derived value over an output is accepted")
	}
}
