package dse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// Options control a run. The zero value runs the whole grid on one worker
// per core into no directory (set OutDir).
type Options struct {
	OutDir  string // the run's folder; results go to OutDir/results
	Workers int    // evaluating goroutines; 0 = GOMAXPROCS
	// Lo and Hi bound the configuration indexes to run (a shard); Hi = 0
	// means the end of the grid.
	Lo, Hi int64
	// ResultsDir overrides OutDir/results (sharded runs write to
	// OutDir/results/shard=K).
	ResultsDir string
	Version    string // tool version for the files' metadata
	// OnProgress is called after each row group with the totals so far;
	// it must be cheap and safe for concurrent use. Nil means no reports.
	OnProgress func(Progress)
	// Parts, when set, are the part files to write instead of every part of
	// [Lo, Hi) (PartsOf): a resumed run writes only what its manifest lacks.
	Parts []outputs.Part
	// Front seeds the run's Pareto front, e.g. with the front of the parts
	// a resumed run keeps. Run merges into a copy.
	Front *GroupedFront
	// MaxBufferBytes bounds the memory of the row groups in flight, all
	// workers together: each worker holds one row group (its columns and
	// the writer's encoded pages, RowGroupBytes), so at most
	// MaxBufferBytes / RowGroupBytes workers run, and never fewer than
	// one. Files do not depend on it. 0 means no bound.
	MaxBufferBytes int64
	// OnPart is called after each part file is closed, whole or cut short
	// by cancellation, with the part and the front of every part closed so
	// far (Front included). Calls are serialised; the front must not be kept
	// past the call. An error stops the run. Nil means no calls.
	OnPart func(p outputs.Part, front *GroupedFront) error
	// OnPartFront, when set, is called before OnPart for each part file
	// closed, serialised like it, with the part and the indexes of the
	// part's own Pareto front (every group; sorted; none without
	// objectives): what a later run needs of the part to rebuild the front
	// (FrontOf), in proportion to the part rather than to the run. An error
	// stops the run.
	OnPartFront func(p outputs.Part, front []int64) error
}

// withDefaults fills the zero fields.
func (o Options) withDefaults(s *Spec) Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0) // the work is CPU-bound
	}
	if o.Hi == 0 || o.Hi > int64(s.Size()) {
		o.Hi = int64(s.Size())
	}
	if o.ResultsDir == "" {
		o.ResultsDir = filepath.Join(o.OutDir, "results")
	}
	if o.OnProgress == nil {
		o.OnProgress = func(Progress) {}
	}
	return o
}

// Progress is a run's totals so far.
type Progress struct {
	Done     int64 // configurations enumerated
	Feasible int64
	Written  int64 // rows that passed the constraints
	Total    int64 // configurations in the run's range
}

// Report is the outcome of a run.
type Report struct {
	Enumerated int64
	Evaluated  int64
	Feasible   int64
	Written    int64
	Parts      []outputs.Part
	Front      *GroupedFront // nil without objectives
	Schema     *outputs.Schema
	Elapsed    time.Duration
}

// Run evaluates the configurations [o.Lo, o.Hi) of s and writes them as
// Parquet (and Arrow) parts under o.ResultsDir. Part k covers the indexes
// [k·PartRows, (k+1)·PartRows), one row group per RowGroupRows of them, so
// the files are the same whatever the number of workers. Each worker writes
// whole parts; a part becomes visible when complete. On cancellation the
// workers finish the row group in hand, close their parts validly (covering
// what they completed) and Run returns the context's error with the report
// of what was written.
func Run(ctx context.Context, s *Spec, o Options) (*Report, error) {
	start := time.Now()
	o = o.withDefaults(s)
	pl, err := newPlan(s)
	if err != nil {
		return nil, err
	}
	if o.MaxBufferBytes > 0 {
		o.Workers = int(max(1, min(int64(o.Workers), o.MaxBufferBytes/rowGroupBytes(pl.schema, s.Outputs.RowGroupRows))))
	}
	if err := os.MkdirAll(o.ResultsDir, 0o755); err != nil {
		return nil, fmt.Errorf("results folder: %w", err)
	}
	meta := s.metadata(o.Version)
	parts := o.Parts
	if parts == nil {
		rel, _ := filepath.Rel(o.OutDir, o.ResultsDir)
		parts = PartsOf(s, o.Lo, o.Hi, rel)
	} else {
		parts = slices.Clone(parts)
	}
	var total int64
	for _, p := range parts {
		total += p.Hi - p.Lo
	}

	var done, feasible, written atomic.Int64
	report := func() {
		o.OnProgress(Progress{Done: done.Load(), Feasible: feasible.Load(), Written: written.Load(), Total: total})
	}

	var front *GroupedFront // every closed part's front; guarded by mu
	if len(s.Objectives) > 0 {
		front = NewGroupedFront(s.Objectives)
		front.Merge(o.Front)
	}
	evals := make([]*evaluator, o.Workers)
	work := make(chan int)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { // producer: hands out parts in order
		defer close(work)
		for k := range parts {
			select {
			case work <- k:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	var mu sync.Mutex                  // guards parts[k] updates, closed, front and OnPart calls
	closed := make([]bool, len(parts)) // part k's file was written (whole or cut short)
	for w := 0; w < o.Workers; w++ {
		ev := newEvaluator(pl)
		evals[w] = ev
		g.Go(func() error {
			batch := outputs.NewBatch(pl.schema, s.Outputs.RowGroupRows)
			for k := range work {
				p := parts[k]
				if front != nil {
					ev.front = NewGroupedFront(s.Objectives) // this part's front
				}
				e0, f0 := ev.evaluated, ev.feasible
				hi, rows, err := writePart(gctx, ev, batch, pl, filepath.Join(o.OutDir, p.File), p.Lo, p.Hi, s.Outputs.Formats, meta,
					func(n, f, wr int64) {
						done.Add(n)
						feasible.Add(f)
						written.Add(wr)
						report()
					})
				mu.Lock()
				parts[k].Hi, parts[k].Rows = hi, rows
				parts[k].Evaluated, parts[k].Feasible = ev.evaluated-e0, ev.feasible-f0
				closed[k] = hi > p.Lo
				var cbErr error
				if closed[k] {
					if o.OnPartFront != nil {
						cbErr = o.OnPartFront(parts[k], FrontIndexes(ev.front))
					}
					if front != nil {
						front.Absorb(ev.front) // this part's front is made afresh for the next
					}
					if o.OnPart != nil && cbErr == nil {
						cbErr = o.OnPart(parts[k], front)
					}
				}
				mu.Unlock()
				if err != nil {
					return err
				}
				if cbErr != nil {
					return cbErr
				}
			}
			return nil
		})
	}
	err = g.Wait()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	rep := &Report{Schema: pl.schema, Elapsed: time.Since(start), Front: front}
	for k, p := range parts {
		if closed[k] { // parts never started or failed are not reported
			rep.Parts = append(rep.Parts, p)
			rep.Enumerated += p.Hi - p.Lo
			rep.Written += p.Rows
		}
	}
	for _, ev := range evals {
		rep.Evaluated += ev.evaluated
		rep.Feasible += ev.feasible
	}
	report()
	return rep, err
}

// RowGroupBytes estimates the memory one worker's row group takes in
// flight: for each of the RowGroupRows rows, the batch's columns (8 bytes
// a number, 1 a boolean, 24 a string's header and text, 1 more for a
// nullable column's validity) and as much again for the writer's encoded
// pages and compressed output:
//
//	bytes = 2 · RowGroupRows · Σ width(column)
//
// Measured on the 28 columns of a serving sweep: about 370 bytes a row
// (peak RSS over workers, benchmarks/README.md); the estimate is 448.
func RowGroupBytes(s *Spec) int64 {
	pl, err := newPlan(s)
	if err != nil {
		return 0
	}
	return rowGroupBytes(pl.schema, s.Outputs.RowGroupRows)
}

func rowGroupBytes(sc *outputs.Schema, rows int) int64 {
	var w int64
	for _, c := range sc.Cols {
		switch c.Type {
		case outputs.Float64, outputs.Int64:
			w += 8
		case outputs.Bool:
			w++
		case outputs.String:
			w += 24
		}
		if c.Nullable {
			w++
		}
	}
	return max(1, 2*int64(rows)*w)
}

// PartsOf returns the part files of the configurations [lo, hi): part k
// covers [k·PartRows, (k+1)·PartRows) ∩ [lo, hi) and is named
// dir/part-NNNNN.parquet, NNNNN being k (so part names are unique across
// the shards of a grid).
func PartsOf(s *Spec, lo, hi int64, dir string) []outputs.Part {
	partRows := s.Outputs.PartRows
	var parts []outputs.Part
	for lo < hi {
		k := lo / partRows
		end := min((k+1)*partRows, hi)
		name := fmt.Sprintf("part-%05d.parquet", k)
		parts = append(parts, outputs.Part{File: filepath.ToSlash(filepath.Join(dir, name)), Lo: lo, Hi: end})
		lo = end
	}
	return parts
}

// ArrowPath returns where the Arrow IPC twin of a Parquet part goes: the
// same name under OUT/arrow instead of OUT/results, so that readers of the
// results folder (pandas, pyarrow datasets, DuckDB globs) see Parquet only.
func ArrowPath(parquetPath string) string { return twinPath(parquetPath, "arrow", ".arrow") }

// FrontPath returns where the front file of a Parquet part goes: the same
// name with the extension .json, in the folder "fronts" that mirrors
// "results" (OUT/results/part-00003.parquet → OUT/fronts/part-00003.json).
// It holds a JSON array of the indexes of the part's own Pareto front.
func FrontPath(parquetPath string) string { return twinPath(parquetPath, "fronts", ".json") }

// twinPath maps a part in OUT/results (or a shard's folder in it) to the
// file of the same name with extension ext in the folder that mirrors
// results.
func twinPath(parquetPath, folder, ext string) string {
	dir, name := filepath.Split(parquetPath)
	sep := string(filepath.Separator)
	d := filepath.Clean(dir)
	if i := strings.LastIndex(d+sep, sep+"results"+sep); i >= 0 {
		d = d[:i] + sep + folder + (d + sep)[i+len(sep+"results"):]
	}
	return filepath.Join(d, strings.TrimSuffix(name, ".parquet")+ext)
}

// CSVPath returns where the CSV twin of a Parquet part goes: beside it in
// OUT/results, with the extension .csv.
func CSVPath(parquetPath string) string {
	return strings.TrimSuffix(parquetPath, ".parquet") + ".csv"
}

// cancelCheckRows is how often writePart looks for a cancellation inside a
// row group: a check costs a few nanoseconds, 4096 rows a few milliseconds.
const cancelCheckRows = 4096

// writePart evaluates [lo, hi) into the part file at path, one row group at
// a time. It returns how far it got (hi unless cancelled) and the rows
// written; a cancellation inside a row group ends the part after the rows
// evaluated so far.
func writePart(ctx context.Context, ev *evaluator, b *outputs.Batch, pl *plan, path string, lo, hi int64, formats []string,
	meta outputs.Metadata, progress func(n, feasible, written int64)) (int64, int64, error) {
	var ws []outputs.Writer
	for _, f := range formats {
		var w outputs.Writer
		var err error
		switch f {
		case "parquet":
			w, err = outputs.NewParquetWriter(path, pl.schema, meta)
		case "arrow":
			ap := ArrowPath(path)
			var c outputs.ArrowCompression
			if c, err = arrowCompression(pl.spec); err == nil {
				err = os.MkdirAll(filepath.Dir(ap), 0o755)
			}
			if err == nil {
				w, err = outputs.NewArrowWriter(ap, pl.schema, meta, c)
			}
		case "csv":
			w, err = outputs.NewCSVWriter(CSVPath(path), pl.schema)
		}
		if err != nil {
			for _, w := range ws {
				w.Abort()
			}
			return lo, 0, err
		}
		ws = append(ws, w)
	}
	abort := func() {
		for _, w := range ws {
			w.Abort()
		}
	}
	step := int64(pl.spec.Outputs.RowGroupRows)
	var rows int64
	at := lo
	for at < hi {
		if ctx.Err() != nil {
			break // finish with what is complete
		}
		end := min((at/step+1)*step, hi)
		b.Reset()
		b.Lo, b.Hi = at, end
		f0, w0 := ev.feasible, ev.written
		for i := at; i < end; i++ {
			// A row group may take seconds: every cancelCheckRows rows a
			// cancelled run cuts it short, and the part ends after the
			// rows evaluated so far (a valid file; a resume starts there).
			if (i-at)%cancelCheckRows == cancelCheckRows-1 && ctx.Err() != nil {
				end = i
				b.Hi = end
				break
			}
			ev.evalRow(i, b)
			if ev.err != nil {
				abort()
				return lo, 0, ev.err
			}
		}
		ev.flush()
		if ev.err != nil {
			abort()
			return lo, 0, fmt.Errorf("%s: %w", path, ev.err)
		}
		for _, w := range ws {
			if err := w.Write(b); err != nil {
				abort()
				return lo, 0, err
			}
		}
		rows += int64(b.Len)
		progress(end-at, ev.feasible-f0, ev.written-w0)
		at = end
	}
	if at == lo {
		abort()
		return lo, 0, ctx.Err()
	}
	for i, w := range ws {
		if err := w.Close(); err != nil {
			for _, w := range ws[i+1:] {
				w.Abort()
			}
			return lo, 0, err
		}
	}
	return at, rows, ctx.Err()
}

// arrowCompression is the Arrow files' compression the spec asks for;
// none by default.
func arrowCompression(s *Spec) (outputs.ArrowCompression, error) {
	if s.Outputs.ArrowCompression == "" {
		return outputs.ArrowNone, nil
	}
	return outputs.ParseArrowCompression(s.Outputs.ArrowCompression)
}

// RowGroups evaluates the configurations [lo, hi) of s through the row program
// (decode, evaluate, derived values, constraints, columns) without writing
// anything, and calls fn with each row group's batch, as the writers of a
// run get them. The batch is reused once fn returns. RowGroups is the row
// program alone, for benchmarks that time the writers on the same rows.
func RowGroups(s *Spec, lo, hi int64, fn func(*outputs.Batch) error) (*outputs.Schema, error) {
	pl, err := newPlan(s)
	if err != nil {
		return nil, err
	}
	ev := newEvaluator(pl)
	ev.front = nil
	b := outputs.NewBatch(pl.schema, s.Outputs.RowGroupRows)
	step := int64(s.Outputs.RowGroupRows)
	for at := lo; at < hi; {
		end := min((at/step+1)*step, hi)
		b.Reset()
		b.Lo, b.Hi = at, end
		for i := at; i < end; i++ {
			ev.evalRow(i, b)
		}
		ev.flush()
		if ev.err != nil {
			return nil, ev.err
		}
		if err := fn(b); err != nil {
			return nil, err
		}
		at = end
	}
	return pl.schema, nil
}

// metadata is the key-value metadata of every file of the run.
func (s *Spec) metadata(version string) outputs.Metadata {
	return outputs.Metadata{
		"mlsysim.version":      version,
		"mlsysim.sweep":        s.Name,
		"mlsysim.sweep_sha256": s.Hash,
	}
}

// WritePareto evaluates the front's configurations again (they are
// functions of their index) and writes them, with the results' columns, to
// path, ordered by group and index.
func WritePareto(s *Spec, front *GroupedFront, path, version string) (int, error) {
	pl, err := newPlan(s)
	if err != nil {
		return 0, err
	}
	var idx []int64
	if front != nil {
		for _, g := range front.Groups() {
			for _, p := range front.Front(g).Points() {
				idx = append(idx, p.Index)
			}
		}
	}
	ev := newEvaluator(pl)
	ev.front = nil // re-evaluation must not feed a front
	b := outputs.NewBatch(pl.schema, len(idx))
	for _, i := range idx {
		ev.evalRow(i, b)
	}
	ev.flush()
	if ev.err != nil {
		return 0, fmt.Errorf("%s: %w", path, ev.err)
	}
	w, err := outputs.NewParquetWriter(path, pl.schema, s.metadata(version))
	if err != nil {
		return 0, err
	}
	if err := w.Write(b); err != nil {
		w.Abort()
		return 0, err
	}
	return b.Len, w.Close()
}

// Configuration returns the configuration at index i of the grid with its
// parameter values by name (for `sweep eval`-style inspection and tests).
func Configuration(s *Spec, i int64) (map[string]string, error) {
	if i < 0 || uint64(i) >= s.Size() {
		return nil, errors.New("index out of range")
	}
	pl, err := newPlan(s)
	if err != nil {
		return nil, err
	}
	ev := newEvaluator(pl)
	ev.configure(i)
	out := map[string]string{}
	for name, sym := range s.syms {
		if sym.isOutput {
			continue
		}
		if sym.kind == symStr {
			out[name] = ev.row.str[sym.slot]
		} else {
			out[name] = fmt.Sprint(ev.row.num[sym.slot])
		}
	}
	return out, nil
}
