package dse

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// InputError marks an error caused by the input the caller was given: a
// run folder that holds another run, a resume of changed inputs, shards of
// another split. The command line maps it to exit code 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(err error) error { return &InputError{Err: err} }

// RunOptions say where and how Execute runs a sweep.
type RunOptions struct {
	Out     string // the run folder; "" means out/<sweep name>
	Workers int    // evaluating goroutines; 0 = GOMAXPROCS
	Version string // the tool version, recorded in the manifest and files
	// Resume continues the run recorded in Out, writing only the parts its
	// manifest lacks; it refuses a run of other inputs or another slice.
	Resume bool
	// Shard, when set, runs slice K of N of the grid (ShardRange) into
	// Out/results/shard=K with the manifest Out/manifests/shard-K.json.
	Shard *outputs.ManifestShard
	// OnProgress is passed to Run (see Options.OnProgress).
	OnProgress func(Progress)
	// OnNotice is told what the user should know but is no error: a part
	// that failed verification on resume and is written again, a lock or
	// temporary files a killed run left. Nil drops notices.
	OnNotice func(msg string)
	// MaxBufferBytes is passed to Run (see Options.MaxBufferBytes).
	MaxBufferBytes int64
	// Force runs into a folder that holds files this tool did not write
	// (checkOut), beside them; the run's own names are still replaced.
	// Symbolic links in place of the run's folders are refused even so.
	Force bool
}

// RunReport is the outcome of Execute.
type RunReport struct {
	Dir      string            // the run folder
	Results  string            // the results folder, relative to Dir
	Manifest *outputs.Manifest // as last written
	Lo, Hi   int64             // the configurations of the run (a shard's slice)
	Elapsed  time.Duration     // the time of the evaluation
}

// runLayout is where one run (or one shard) keeps its files.
type runLayout struct {
	out      string
	results  string // relative to out: "results" or "results/shard=K"
	manifest string // path of the manifest
	shard    *outputs.ManifestShard
	lo, hi   int64
}

func newLayout(spec *Spec, out string, shard *outputs.ManifestShard) runLayout {
	l := runLayout{out: out, results: "results", manifest: filepath.Join(out, outputs.ManifestFile), hi: int64(spec.Size())}
	if shard == nil {
		return l
	}
	l.shard = shard
	l.results = filepath.ToSlash(filepath.Join("results", fmt.Sprintf("shard=%d", shard.K)))
	l.manifest = filepath.Join(out, outputs.ShardManifestFile(shard.K))
	l.lo, l.hi = ShardRange(spec, shard.K, shard.N)
	return l
}

// baseManifest is the manifest of a run of spec that has written nothing.
func baseManifest(spec *Spec, l runLayout, version string, workers int, started time.Time) *outputs.Manifest {
	return &outputs.Manifest{
		Tool:    "mlsysim-go",
		Version: version,
		Sweep: outputs.ManifestSweep{Name: spec.Name, File: spec.File, SHA256: spec.Hash,
			Description: spec.Description, Text: string(spec.Source)},
		RegistrySHA256:    spec.Registry.Hash(),
		CalibrationSHA256: CalibrationHash(spec),
		InputsSHA256:      InputsHash(spec, version),
		Overrides:         manifestOverrides(spec),
		Shard:             l.shard,
		Configurations:    spec.Size(),
		Lo:                l.lo,
		Hi:                l.hi,
		Parts:             []outputs.Part{},
		Workers:           workers,
		Started:           started.UTC().Truncate(time.Second),
	}
}

// manifestOverrides lists the registry entries spec's registry took from
// data files with `override: true`; nil when there are none.
func manifestOverrides(spec *Spec) []outputs.ManifestOverride {
	var out []outputs.ManifestOverride
	for _, o := range spec.Registry.Overrides() {
		out = append(out, outputs.ManifestOverride{Kind: o.Kind, Key: o.Key, File: filepath.ToSlash(o.File)})
	}
	return out
}

// setParts records parts (sorted by Lo) and the totals they imply, and
// whether they cover [Lo, Hi).
func setParts(m *outputs.Manifest, parts []outputs.Part) {
	parts = slices.Clone(parts)
	slices.SortFunc(parts, func(a, b outputs.Part) int { return cmp.Compare(a.Lo, b.Lo) })
	m.Parts = parts
	m.Counts = outputs.ManifestCounts{}
	at := m.Lo
	for _, p := range parts {
		m.Counts.Enumerated += p.Hi - p.Lo
		m.Counts.Evaluated += p.Evaluated
		m.Counts.Feasible += p.Feasible
		m.Counts.Written += p.Rows
		if p.Lo == at {
			at = p.Hi
		}
	}
	m.Complete = at == m.Hi && m.Counts.Enumerated == m.Hi-m.Lo
}

// Execute runs spec into the run folder o.Out: OUT/results/part-NNNNN.parquet
// (or a shard's folder), OUT/pareto.parquet when the sweep has objectives
// and is not sharded, and the manifest. The manifest exists before the
// first part and is rewritten after each, so that an interrupted run (ctx
// cancelled) or a crash leaves it describing the visible files, and a later
// Execute with Resume continues without loss or duplication.
//
// A fresh run refuses a folder that holds a run of another sweep, or files
// without a manifest; it replaces a run of the same sweep (the same inputs
// give the same files). Any run refuses a folder whose results, arrow,
// manifests or plots folder is a symbolic link, and, unless o.Force, one
// holding files this tool did not write (checkOut). Errors of that kind
// are *InputError.
//
// The run holds a lock on the folder (OUT/.sweep.lock, or
// OUT/manifests/.shard-K.lock for shard K) from start to end: a second
// run of the same folder (or shard) is refused with an error wrapping
// ErrBusy while the first lives. Under the lock, the temporary files of
// killed runs are removed first.
//
// The report is nil only when nothing was started; when the run is
// cancelled, Execute returns the report with ctx's error.
func Execute(ctx context.Context, spec *Spec, o RunOptions) (*RunReport, error) {
	if o.Workers < 0 {
		return nil, inputErr(fmt.Errorf("workers must be ≥ 0, got %d", o.Workers))
	}
	if o.Out == "" {
		o.Out = filepath.Join("out", spec.Name)
	}
	if o.Shard != nil && (o.Shard.N < 1 || o.Shard.K < 0 || o.Shard.K >= o.Shard.N) {
		return nil, inputErr(fmt.Errorf("%w: shard %d of %d", ErrBadShard, o.Shard.K, o.Shard.N))
	}
	l := newLayout(spec, o.Out, o.Shard)
	notice := o.OnNotice
	if notice == nil {
		notice = func(string) {}
	}
	if err := checkOut(l.out, o.Force); err != nil {
		return nil, err
	}
	lp := lockPath(l.out, l.shard)
	if err := os.MkdirAll(filepath.Dir(lp), 0o777); err != nil {
		return nil, fmt.Errorf("run folder: %w", err)
	}
	lk, err := acquireLock(lp, notice)
	if err != nil {
		return nil, err
	}
	defer lk.release()
	if removed, err := removeStale(l); err != nil {
		return nil, err
	} else if len(removed) > 0 {
		notice(fmt.Sprintf("removed %d temporary files a killed run left (%s)", len(removed), strings.Join(removed[:min(len(removed), 3)], ", ")))
	}
	workers := o.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	started := time.Now()
	m := baseManifest(spec, l, o.Version, workers, started)
	all := PartsOf(spec, l.lo, l.hi, l.results)
	keep, todo := []outputs.Part{}, all
	var seed *GroupedFront
	if o.Resume {
		keep, todo, seed, err = prepareResume(spec, l, m, all, notice)
	} else {
		err = prepareOut(spec, l)
	}
	if err != nil {
		return nil, err
	}
	if todo == nil {
		todo = []outputs.Part{} // nothing left: Run writes nothing
	}
	if err := os.MkdirAll(filepath.Join(l.out, l.results), 0o755); err != nil {
		return nil, fmt.Errorf("results folder: %w", err)
	}
	if l.shard != nil {
		if err := os.MkdirAll(filepath.Dir(l.manifest), 0o755); err != nil {
			return nil, fmt.Errorf("manifests folder: %w", err)
		}
	}
	written := slices.Clone(keep)
	setParts(m, written)
	m.FrontIndexes = FrontIndexes(seed)
	if err := outputs.WriteManifestFile(l.manifest, m); err != nil {
		return nil, err
	}
	onPart := func(p outputs.Part, front *GroupedFront) error {
		// Serialised by Run. A part rewritten whole replaces its short entry.
		if err := sumPart(l.out, &p); err != nil {
			return err
		}
		written = slices.DeleteFunc(written, func(q outputs.Part) bool { return q.File == p.File })
		written = append(written, p)
		setParts(m, written)
		m.FrontIndexes = FrontIndexes(front)
		m.ElapsedS = time.Since(started).Seconds()
		return outputs.WriteManifestFile(l.manifest, m)
	}
	rep, runErr := Run(ctx, spec, Options{
		OutDir:         l.out,
		ResultsDir:     filepath.Join(l.out, l.results),
		Lo:             l.lo,
		Hi:             l.hi,
		Workers:        workers,
		Version:        o.Version,
		OnProgress:     o.OnProgress,
		Parts:          todo,
		MaxBufferBytes: o.MaxBufferBytes,
		Front:          seed,
		OnPart:         onPart,
	})
	if rep == nil {
		return nil, runErr
	}
	setParts(m, withSums(append(keep, rep.Parts...), written))
	if runErr == nil && !m.Complete {
		runErr = fmt.Errorf("internal: the run's parts do not cover [%d, %d)", l.lo, l.hi)
	}
	m.FrontIndexes = FrontIndexes(rep.Front)
	m.Columns = outputs.Columns(rep.Schema)
	m.ElapsedS = rep.Elapsed.Seconds()
	m.ConfigsPerS = float64(rep.Enumerated) / rep.Elapsed.Seconds()
	if len(spec.Objectives) > 0 && runErr == nil && l.shard == nil {
		pm, err := writeFront(spec, rep.Front, l.out, o.Version)
		if err != nil {
			return nil, err
		}
		m.Pareto = pm
	}
	if err := outputs.WriteManifestFile(l.manifest, m); err != nil {
		return nil, err
	}
	return &RunReport{Dir: l.out, Results: l.results, Manifest: m, Lo: l.lo, Hi: l.hi, Elapsed: rep.Elapsed}, runErr
}

// writeFront writes the Pareto set of front to out/pareto.parquet.
func writeFront(spec *Spec, front *GroupedFront, out, version string) (*outputs.ManifestFront, error) {
	n, err := WritePareto(spec, front, filepath.Join(out, "pareto.parquet"), version)
	if err != nil {
		return nil, fmt.Errorf("pareto: %w", err)
	}
	return &outputs.ManifestFront{File: "pareto.parquet", Rows: n, Objectives: FormatObjectives(spec.Objectives), GroupBy: spec.GroupBy}, nil
}
