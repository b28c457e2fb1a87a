package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/sweeps"
)

type runOptions struct {
	out      string
	workers  int
	quiet    bool
	progress string // auto, bar, none
	resume   bool   // continue the run in out
	shard    string // "K/N" or "auto"; "" for the whole grid
	merge    bool   // merge the shards of out instead of running
}

func newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [FILE]",
		Short: "Run a sweep: evaluate every configuration of its grid and write Parquet (and Arrow) results",
		Long: "Run a sweep file (YAML): expand its grid lazily, evaluate each configuration on a worker pool,\n" +
			"and write OUT/results/part-NNNNN.parquet, OUT/pareto.parquet and OUT/manifest.json.\n" +
			"Without FILE, runs the embedded default sweep (sweeps/default.yaml) into out/default.\n\n" +
			"The manifest is rewritten after every part file, so an interrupted run (Ctrl-C, SIGTERM: exit 130;\n" +
			"or a crash) continues with --resume, which refuses a changed sweep file, registry, calibration\n" +
			"or tool version. --shard K/N runs one of N slices of the grid into OUT/results/shard=K with\n" +
			"OUT/manifests/shard-K.json (--shard auto reads a Slurm job array or a Kubernetes Indexed Job);\n" +
			"--merge then joins the shards' Pareto fronts into OUT/pareto.parquet and OUT/manifest.json.",
		Example: "  sweep run\n  sweep run sweeps/serving-gpus.yaml --out out/serving --workers 4\n" +
			"  sweep run big.yaml --out out/big --resume\n" +
			"  sweep run big.yaml --out out/big --shard auto    # in each task of a job array\n" +
			"  sweep run big.yaml --out out/big --merge",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return badInput(fmt.Errorf("run takes one sweep file, got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := loadSpec(cmd, args)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runSweep(ctx, spec, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "run folder (default out/<sweep name>)")
	cmd.Flags().IntVar(&o.workers, "workers", 0, "evaluating workers (default: one per core)")
	cmd.Flags().BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	cmd.Flags().StringVar(&o.progress, "progress", "auto", "progress display: auto (a bar when stderr is a terminal), bar, none")
	cmd.Flags().BoolVar(&o.resume, "resume", false, "continue the interrupted run in --out, writing only what it lacks")
	cmd.Flags().StringVar(&o.shard, "shard", "", "run shard `K/N` of the grid (0 ≤ K < N), or auto: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX with "+dse.EnvShardCount)
	cmd.Flags().BoolVar(&o.merge, "merge", false, "merge the complete shards in --out: global Pareto set and manifest")
	return cmd
}

// loadSpec parses the sweep file named in args, or the embedded default,
// priced with the command line's calibration profiles.
func loadSpec(cmd *cobra.Command, args []string) (*dse.Spec, error) {
	var (
		name string
		data []byte
		err  error
	)
	if len(args) == 0 {
		name = "sweeps/" + sweeps.DefaultName
		data, err = sweeps.FS.ReadFile(sweeps.DefaultName)
	} else {
		name = args[0]
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, badInput(fmt.Errorf("sweep file: %w", err))
	}
	spec, err := dse.ParseSpec(name, data)
	if err != nil {
		return nil, badInput(err)
	}
	spec.Base.Calib.Profiles = profilesOf(cmd)
	return spec, nil
}

// runLayout is where one run (or one shard) keeps its files.
type runLayout struct {
	out      string
	results  string // relative to out: "results" or "results/shard=K"
	manifest string // path of the manifest
	shard    *outputs.ManifestShard
	lo, hi   int64
}

func newLayout(spec *dse.Spec, o runOptions) (runLayout, error) {
	l := runLayout{out: o.out, results: "results", manifest: filepath.Join(o.out, outputs.ManifestFile), hi: int64(spec.Size())}
	if o.shard == "" {
		return l, nil
	}
	k, n, err := dse.ParseShard(o.shard, os.Getenv)
	if err != nil {
		return l, badInput(fmt.Errorf("--shard: %w", err))
	}
	l.shard = &outputs.ManifestShard{K: k, N: n}
	l.results = filepath.ToSlash(filepath.Join("results", fmt.Sprintf("shard=%d", k)))
	l.manifest = filepath.Join(o.out, outputs.ShardManifestFile(k))
	l.lo, l.hi = dse.ShardRange(spec, k, n)
	return l, nil
}

// baseManifest is the manifest of a run of spec that has written nothing.
func baseManifest(spec *dse.Spec, l runLayout, workers int, started time.Time) *outputs.Manifest {
	return &outputs.Manifest{
		Tool:    "mlsysim-go",
		Version: version,
		Sweep: outputs.ManifestSweep{Name: spec.Name, File: spec.File, SHA256: spec.Hash,
			Description: spec.Description, Text: string(spec.Source)},
		RegistrySHA256:    spec.Registry.Hash(),
		CalibrationSHA256: dse.CalibrationHash(spec),
		InputsSHA256:      dse.InputsHash(spec, version),
		Shard:             l.shard,
		Configurations:    spec.Size(),
		Lo:                l.lo,
		Hi:                l.hi,
		Parts:             []outputs.Part{},
		Workers:           workers,
		Started:           started.UTC().Truncate(time.Second),
	}
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

func runSweep(ctx context.Context, spec *dse.Spec, o runOptions, stdout, stderr io.Writer) error {
	if o.workers < 0 {
		return badInput(fmt.Errorf("--workers must be ≥ 0, got %d", o.workers))
	}
	if o.out == "" {
		o.out = filepath.Join("out", spec.Name)
	}
	if o.merge {
		if o.resume || o.shard != "" {
			return badInput(errors.New("--merge takes neither --resume nor --shard"))
		}
		return mergeShards(spec, o, stdout)
	}
	l, err := newLayout(spec, o)
	if err != nil {
		return err
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	started := time.Now()
	m := baseManifest(spec, l, workers, started)
	all := dse.PartsOf(spec, l.lo, l.hi, l.results)
	keep, todo := []outputs.Part{}, all
	var seed *dse.GroupedFront
	if o.resume {
		keep, todo, seed, err = prepareResume(spec, l, m, all)
	} else {
		err = prepareOut(spec, l)
	}
	if err != nil {
		return err
	}
	if todo == nil {
		todo = []outputs.Part{} // nothing left: Run writes nothing
	}
	if err := os.MkdirAll(filepath.Join(l.out, l.results), 0o755); err != nil {
		return fmt.Errorf("results folder: %w", err)
	}
	if l.shard != nil {
		if err := os.MkdirAll(filepath.Dir(l.manifest), 0o755); err != nil {
			return fmt.Errorf("manifests folder: %w", err)
		}
	}
	// The manifest exists before the first part and is rewritten after
	// each, so that a crash leaves it describing the visible files.
	written := slices.Clone(keep)
	setParts(m, written)
	m.FrontIndexes = dse.FrontIndexes(seed)
	if err := outputs.WriteManifestFile(l.manifest, m); err != nil {
		return err
	}
	onPart := func(p outputs.Part, front *dse.GroupedFront) error {
		// Serialised by Run. A part rewritten whole replaces its short entry.
		written = slices.DeleteFunc(written, func(q outputs.Part) bool { return q.File == p.File })
		written = append(written, p)
		setParts(m, written)
		m.FrontIndexes = dse.FrontIndexes(front)
		m.ElapsedS = time.Since(started).Seconds()
		return outputs.WriteManifestFile(l.manifest, m)
	}
	bar := newProgress(stderr, o.progress, o.quiet, l.hi-l.lo)
	rep, runErr := dse.Run(ctx, spec, dse.Options{
		OutDir:     l.out,
		ResultsDir: filepath.Join(l.out, l.results),
		Lo:         l.lo,
		Hi:         l.hi,
		Workers:    workers,
		Version:    version,
		OnProgress: bar.update,
		Parts:      todo,
		Front:      seed,
		OnPart:     onPart,
	})
	bar.finish()
	if rep == nil {
		return runErr
	}
	setParts(m, append(keep, rep.Parts...))
	if runErr == nil && !m.Complete {
		runErr = fmt.Errorf("internal: the run's parts do not cover [%d, %d)", l.lo, l.hi)
	}
	m.FrontIndexes = dse.FrontIndexes(rep.Front)
	m.Columns = outputs.Columns(rep.Schema)
	m.ElapsedS = rep.Elapsed.Seconds()
	m.ConfigsPerS = float64(rep.Enumerated) / rep.Elapsed.Seconds()
	if len(spec.Objectives) > 0 && runErr == nil && l.shard == nil {
		pm, err := writeFront(spec, rep.Front, l.out)
		if err != nil {
			return err
		}
		m.Pareto = pm
	}
	if err := outputs.WriteManifestFile(l.manifest, m); err != nil {
		return err
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			fmt.Fprintf(stderr, "interrupted: %d of %d configurations written to %s (manifest records them; continue with --resume)\n", m.Counts.Enumerated, l.hi-l.lo, l.out)
		}
		return runErr
	}
	if l.shard != nil {
		if !o.quiet {
			fmt.Fprintf(stdout, "%s: shard %d/%d: configurations [%d, %d), %d feasible, %d rows written to %s in %s\n",
				spec.Name, l.shard.K, l.shard.N, l.lo, l.hi, m.Counts.Feasible, m.Counts.Written,
				filepath.Join(l.out, l.results), rep.Elapsed.Round(time.Millisecond))
		}
		return nil
	}
	if err := drawPlots(spec, o.out, stderr); err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(stdout, "%s: %d configurations, %d feasible, %d rows written to %s in %s (%.0f configurations/s)\n",
			spec.Name, m.Counts.Enumerated, m.Counts.Feasible, m.Counts.Written, o.out, rep.Elapsed.Round(time.Millisecond), m.ConfigsPerS)
	}
	return nil
}

// writeFront writes the Pareto set of front to out/pareto.parquet.
func writeFront(spec *dse.Spec, front *dse.GroupedFront, out string) (*outputs.ManifestFront, error) {
	n, err := dse.WritePareto(spec, front, filepath.Join(out, "pareto.parquet"), version)
	if err != nil {
		return nil, fmt.Errorf("pareto: %w", err)
	}
	var objs []string
	for _, ob := range spec.Objectives {
		dir := "minimize"
		if ob.Maximize {
			dir = "maximize"
		}
		objs = append(objs, dir+":"+ob.Name)
	}
	return &outputs.ManifestFront{File: "pareto.parquet", Rows: n, Objectives: objs, GroupBy: spec.GroupBy}, nil
}

// sameInputs explains how the run recorded in prev differs from m in what
// determines its rows; nil when it does not.
func sameInputs(prev, m *outputs.Manifest, what string) error {
	short := func(h string) string { return h[:min(len(h), 12)] }
	switch {
	case prev.Sweep.SHA256 != m.Sweep.SHA256:
		return fmt.Errorf("%s was made from sweep file %s (sha256 %s…) but %s has sha256 %s…: the sweep file changed",
			what, prev.Sweep.File, short(prev.Sweep.SHA256), m.Sweep.File, short(m.Sweep.SHA256))
	case prev.Version != m.Version:
		return fmt.Errorf("%s was made by version %s of the tool, this is %s: the engine may give other numbers", what, prev.Version, m.Version)
	case prev.RegistrySHA256 != m.RegistrySHA256:
		return fmt.Errorf("%s was made with other registry data (sha256 %s…, now %s…): check the --registry files", what, short(prev.RegistrySHA256), short(m.RegistrySHA256))
	case prev.CalibrationSHA256 != m.CalibrationSHA256:
		return fmt.Errorf("%s was made with other calibration data (sha256 %s…, now %s…)", what, short(prev.CalibrationSHA256), short(m.CalibrationSHA256))
	}
	return nil
}

// prepareResume checks that the run recorded in l's manifest is a run of
// the same inputs and slice, removes what a crash may have left (temporary
// files, parts finished after the manifest's last rewrite) and returns the
// parts to keep, those to write and the front of the kept ones.
func prepareResume(spec *dse.Spec, l runLayout, m *outputs.Manifest, all []outputs.Part) (keep, todo []outputs.Part, front *dse.GroupedFront, err error) {
	prev, err := outputs.ReadManifestFile(l.manifest)
	if errors.Is(err, os.ErrNotExist) {
		// Nothing was recorded: start afresh (a job requeued before its first part).
		return []outputs.Part{}, all, nil, prepareOut(spec, l)
	}
	if err != nil {
		return nil, nil, nil, badInput(fmt.Errorf("--resume: unreadable manifest: %w", err))
	}
	if err := sameInputs(prev, m, l.out); err != nil {
		return nil, nil, nil, badInput(fmt.Errorf("--resume refused: %w; run without --resume to start over", err))
	}
	if !reflect.DeepEqual(prev.Shard, m.Shard) || prev.Lo != m.Lo || prev.Hi != m.Hi {
		return nil, nil, nil, badInput(fmt.Errorf("--resume refused: %s covers configurations [%d, %d) (shard %s), not [%d, %d) (shard %s)",
			l.manifest, prev.Lo, prev.Hi, shardName(prev.Shard), m.Lo, m.Hi, shardName(m.Shard)))
	}
	listed := map[string]bool{}
	for _, p := range prev.Parts {
		listed[p.File] = true
	}
	if err := cleanResults(filepath.Dir(dse.ArrowPath(filepath.Join(l.out, l.results, "x.parquet"))), l.results, listed); err != nil {
		return nil, nil, nil, err
	}
	if err := cleanResults(filepath.Join(l.out, l.results), l.results, listed); err != nil {
		return nil, nil, nil, err
	}
	os.Remove(filepath.Join(l.out, "pareto.parquet"))
	keep, todo = dse.Remaining(all, prev.Parts)
	front, err = dse.FrontOf(spec, prev.FrontIndexes)
	if err != nil {
		return nil, nil, nil, err
	}
	if keep == nil {
		keep = []outputs.Part{}
	}
	return keep, todo, front, nil
}

func shardName(s *outputs.ManifestShard) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// cleanResults removes from the results folder dir (rel to the run folder)
// the temporary files of writes a crash cut short and the part files that
// keep does not name.
func cleanResults(dir, rel string, keep map[string]bool) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("results folder: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		tmp := strings.HasPrefix(name, ".part-") && strings.Contains(name, ".tmp-")
		part := strings.HasPrefix(name, "part-") && (strings.HasSuffix(name, ".parquet") || strings.HasSuffix(name, ".arrow"))
		if part {
			pq := strings.TrimSuffix(name, ".arrow")
			if pq != name {
				pq += ".parquet"
			}
			if keep[filepath.ToSlash(filepath.Join(rel, pq))] {
				continue
			}
		}
		if tmp || part {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("clean %s: %w", rel, err)
			}
		}
	}
	return nil
}

// prepareOut makes the run folder for a fresh run. A folder holding a run
// of another sweep is refused; one holding this sweep's run (or this shard
// of it) is replaced (the same inputs give the same files). Shards of one
// sweep share the folder; a single run and shards do not.
func prepareOut(spec *dse.Spec, l runLayout) error {
	dir := l.out
	if l.shard != nil {
		if m, err := outputs.ReadManifest(dir); err == nil {
			if m.Shards == 0 {
				return badInput(fmt.Errorf("%s already holds a single (unsharded) run; choose another --out or remove it", dir))
			}
			// A merge of an earlier sharded run: it is redone by --merge.
			os.Remove(filepath.Join(dir, outputs.ManifestFile))
			os.Remove(filepath.Join(dir, "pareto.parquet"))
		}
		others, _ := filepath.Glob(filepath.Join(dir, "manifests", "shard-*.json"))
		for _, f := range others {
			m, err := outputs.ReadManifestFile(f)
			if err != nil || f == l.manifest {
				continue
			}
			if m.Sweep.SHA256 != spec.Hash {
				return badInput(fmt.Errorf("%s already holds shards of another sweep (%s, %s); choose another --out or remove it", dir, m.Sweep.Name, m.Sweep.File))
			}
			if m.Shard != nil && m.Shard.N != l.shard.N {
				return badInput(fmt.Errorf("%s already holds shards of a %d-way split (%s), not %d-way; use the same shard count or another --out", dir, m.Shard.N, f, l.shard.N))
			}
		}
	} else if ms, _ := filepath.Glob(filepath.Join(dir, "manifests", "shard-*.json")); len(ms) > 0 {
		return badInput(fmt.Errorf("%s already holds a sharded run (%s); choose another --out or remove it", dir, ms[0]))
	}
	res := filepath.Join(dir, l.results)
	if m, err := outputs.ReadManifestFile(l.manifest); err == nil {
		if m.Sweep.SHA256 != spec.Hash {
			return badInput(fmt.Errorf("%s already holds a run of another sweep (%s, %s); choose another --out or remove it", dir, m.Sweep.Name, m.Sweep.File))
		}
		if err := cleanResults(res, l.results, nil); err != nil {
			return err
		}
		if err := cleanResults(filepath.Dir(dse.ArrowPath(filepath.Join(res, "x.parquet"))), l.results, nil); err != nil {
			return err
		}
		if l.shard == nil {
			os.Remove(filepath.Join(dir, "pareto.parquet"))
		}
		os.Remove(l.manifest)
	} else if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return badInput(fmt.Errorf("%s: unreadable manifest: %w", dir, err))
	} else if entries, err := os.ReadDir(res); err == nil && len(entries) > 0 {
		return badInput(fmt.Errorf("%s already holds files but no manifest; choose another --out or remove it", res))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	return nil
}
