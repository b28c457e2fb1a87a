package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/sweeps"
	"github.com/mlsysim/mlsysim-go/units"
)

type runOptions struct {
	out      string
	workers  int
	quiet    bool
	progress string // auto, bar, none
	resume   bool   // continue the run in out
	shard    string // "K/N" or "auto"; "" for the whole grid
	merge    bool   // merge the shards of out instead of running
	force    bool   // run into a folder holding files the tool did not write
	maxMem   string // the memory budget, e.g. 1GiB
	cpuProf  string // write a CPU profile of the run here
	memProf  string // write a heap profile (allocations) at the end of the run here
	asJSON   bool   // print the summary as one JSON object
}

// runSummary is what a run, a shard or a merge did: the --json object of
// sweep run, and the source of its text summary.
type runSummary struct {
	Name string `json:"name"`
	Out  string `json:"out"`
	// Results is the folder of the part files (OUT/results, or a shard's).
	Results string `json:"results,omitempty"`
	// Enumerated configurations of the grid (or the shard); Evaluated by
	// the engine (the others failed a constraint on parameters and derived
	// values); Written rows (passed every constraint); Feasible rows among
	// them that the engine found feasible (fit in memory, met the SLOs).
	Counts      outputs.ManifestCounts `json:"counts"`
	ParetoRows  int                    `json:"pareto_rows"`
	Plots       []string               `json:"plots,omitempty"`
	Shard       *runShard              `json:"shard,omitempty"`
	Merged      int                    `json:"merged_shards,omitempty"`
	ElapsedS    float64                `json:"elapsed_s"`
	ConfigsPerS float64                `json:"configurations_per_s"`
}

type runShard struct {
	K  int   `json:"k"`
	N  int   `json:"n"`
	Lo int64 `json:"lo"` // configurations [lo, hi)
	Hi int64 `json:"hi"`
}

// print writes the summary: JSON, or lines that say what each count means.
func (r *runSummary) print(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	c := r.Counts
	switch {
	case r.Merged > 0:
		fmt.Fprintf(w, "%s: merged %d shards: %d configurations, %d rows, %d on the Pareto set\n",
			r.Out, r.Merged, c.Enumerated, c.Written, r.ParetoRows)
		return nil
	case r.Shard != nil:
		fmt.Fprintf(w, "%s: shard %d/%d: configurations [%d, %d) in %s\n", r.Name, r.Shard.K, r.Shard.N, r.Shard.Lo, r.Shard.Hi,
			time.Duration(r.ElapsedS*float64(time.Second)).Round(time.Millisecond))
	default:
		fmt.Fprintf(w, "%s: %d configurations in %s (%.0f configurations/s)\n", r.Name, c.Enumerated,
			time.Duration(r.ElapsedS*float64(time.Second)).Round(time.Millisecond), r.ConfigsPerS)
	}
	fmt.Fprintf(w, "  enumerated %12d  configurations of the grid\n", c.Enumerated)
	fmt.Fprintf(w, "  evaluated  %12d  priced by the engine (the rest failed a constraint on parameters)\n", c.Evaluated)
	fmt.Fprintf(w, "  written    %12d  rows that passed every constraint, in %s\n", c.Written, r.Results)
	fmt.Fprintf(w, "  feasible   %12d  of the written rows, feasible by the engine (fit in memory, met the targets)\n", c.Feasible)
	if r.Shard == nil {
		fmt.Fprintf(w, "  pareto     %12d  rows on the Pareto set\n", r.ParetoRows)
	}
	return nil
}

func newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [FILE]",
		Short: "Run a sweep: evaluate every configuration of its grid and write its results (Parquet, Arrow IPC, CSV)",
		Long: "Run a sweep file (YAML): expand its grid lazily, evaluate each configuration on a worker pool,\n" +
			"and write OUT/results/part-NNNNN.parquet, OUT/pareto.parquet and OUT/manifest.json.\n" +
			"Without FILE, runs the embedded default sweep (sweeps/default.yaml) into out/default.\n\n" +
			"The manifest is rewritten after every part file, so an interrupted run (Ctrl-C, SIGTERM: exit 130;\n" +
			"or a crash) continues with --resume, which refuses a changed sweep file, registry, calibration\n" +
			"or tool version, and verifies every part already written (size and SHA-256 as the manifest\n" +
			"records them, footer, rows), writing a damaged one again. --shard K/N runs one of N slices of the grid into OUT/results/shard=K with\n" +
			"OUT/manifests/shard-K.json (--shard auto reads a Slurm job array or a Kubernetes Indexed Job);\n" +
			"--merge then joins the shards' Pareto fronts into OUT/pareto.parquet and OUT/manifest.json.\n\n" +
			"OUT is the tool's own: a run refuses an OUT holding files it did not write (a pareto.parquet\n" +
			"or plots of your own, any other name) unless --force, and always refuses a results, arrow,\n" +
			"fronts, manifests or plots folder that is a symbolic link (exit 2). One run at a time holds OUT (a\n" +
			"shard holds its own slice): a second run is refused with exit 1 while the first lives, since\n" +
			"the command is right and will succeed once the folder is free; a lock a killed run left is\n" +
			"taken over. Temporary files a killed run left are removed first (or by sweep status --clean).",
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
			return profiled(o.cpuProf, o.memProf, func() error {
				return runSweep(ctx, spec, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
			})
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "run folder (default out/<sweep name>)")
	cmd.Flags().IntVar(&o.workers, "workers", 0, "evaluating workers (default: one per core)")
	cmd.Flags().BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print one JSON object at the end: name, out, results, counts (enumerated, evaluated, written, feasible), pareto_rows, plots, shard, merged_shards, elapsed_s, configurations_per_s; progress stays on stderr")
	cmd.Flags().StringVar(&o.progress, "progress", "auto", "progress display: auto (a bar on a terminal, else log), bar, log (a line every 30 s for batch logs), log=DURATION, none")
	cmd.Flags().BoolVar(&o.resume, "resume", false, "continue the interrupted run in --out, writing only what it lacks")
	cmd.Flags().StringVar(&o.shard, "shard", "", "run shard `K/N` of the grid (0 ≤ K < N), or auto: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX with "+dse.EnvShardCount)
	cmd.Flags().BoolVar(&o.merge, "merge", false, "merge the complete shards in --out: global Pareto set and manifest")
	cmd.Flags().StringVar(&o.maxMem, "max-memory", "1GiB", "memory budget: half of it for the row groups in flight (fewer workers run at once when they need more), the Go heap's soft limit within it; GOMEMLIMIT overrides the soft limit")
	cmd.Flags().BoolVar(&o.force, "force", false, "run into an --out that holds files this tool did not write (its own names are replaced)")
	cmd.Flags().StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile of the run to `FILE` (read it with go tool pprof)")
	cmd.Flags().StringVar(&o.memProf, "memprofile", "", "write a heap profile of the run's allocations to `FILE` when it ends")
	return cmd
}

// profiled runs fn with a CPU profile written to cpuFile and a heap
// profile (every allocation since the start, sampled) written to memFile
// after it; an empty name writes no profile. A profile that cannot be
// written is an error, after fn's own.
func profiled(cpuFile, memFile string, fn func() error) (err error) {
	if cpuFile != "" {
		f, ferr := os.Create(cpuFile)
		if ferr != nil {
			return fmt.Errorf("--cpuprofile: %w", ferr)
		}
		if perr := pprof.StartCPUProfile(f); perr != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", perr)
		}
		defer func() {
			pprof.StopCPUProfile()
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("--cpuprofile: %w", cerr)
			}
		}()
	}
	err = fn()
	if memFile != "" {
		f, merr := os.Create(memFile)
		if merr == nil {
			runtime.GC() // up-to-date statistics of what is live
			merr = pprof.Lookup("allocs").WriteTo(f, 0)
			if cerr := f.Close(); merr == nil {
				merr = cerr
			}
		}
		if merr != nil && err == nil {
			err = fmt.Errorf("--memprofile: %w", merr)
		}
	}
	return err
}

// loadSpec parses the sweep file named in args, or the embedded default,
// with the command line's --registry files and priced with its calibration
// profiles. The file is read as a data file (registry.ReadDataFile): a
// regular file of bounded size, so a FIFO or a device cannot hang the
// command.
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
		name, data, err = readInput(cmd, args[0]) // "-": standard input
	}
	if err != nil {
		return nil, badInput(fmt.Errorf("sweep file: %w", err))
	}
	regFiles, _ := cmd.Flags().GetStringSlice("registry")
	spec, err := dse.ParseSpecOptions(name, data, dse.ParseOptions{RegistryFiles: regFiles})
	if err != nil {
		return nil, badInput(err)
	}
	spec.Base.Calib.Profiles = profilesOf(cmd)
	return spec, nil
}

// runSweep runs spec as o asks, through dse.Execute or dse.MergeShards,
// and prints the outcome.
func runSweep(ctx context.Context, spec *dse.Spec, o runOptions, stdout, stderr io.Writer) error {
	if o.workers < 0 {
		return badInput(fmt.Errorf("--workers must be ≥ 0, got %d", o.workers))
	}
	budget := int64(defaultMaxMemory)
	if o.maxMem != "" {
		b, err := units.ParseBytes(o.maxMem)
		if err != nil || !(float64(b) >= 64<<20) || float64(b) > 1<<50 {
			return badInput(fmt.Errorf("--max-memory %q: want a size from 64 MiB, such as 512MiB or 4GiB", o.maxMem))
		}
		budget = int64(b)
	}
	for _, n := range spec.Notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	limit, bufBytes := runMemory(budget, dse.RowGroupBytes(spec), workers)
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
	if o.out == "" {
		o.out = filepath.Join("out", spec.Name)
	}
	if st, err := os.Stat(o.out); err == nil && !st.IsDir() {
		return badInput(fmt.Errorf("--out %s: not a folder; a run writes a folder of files", o.out))
	}
	if o.merge {
		if o.resume || o.shard != "" {
			return badInput(errors.New("--merge takes neither --resume nor --shard"))
		}
		m, err := dse.MergeShards(spec, o.out, version)
		if err != nil {
			return err
		}
		if o.quiet && !o.asJSON {
			return nil
		}
		sum := &runSummary{Name: spec.Name, Out: o.out, Results: filepath.Join(o.out, "results"),
			Counts: m.Counts, Merged: m.Shards}
		if m.Pareto != nil {
			sum.ParetoRows = m.Pareto.Rows
		}
		return sum.print(stdout, o.asJSON)
	}
	ro := dse.RunOptions{Out: o.out, Workers: o.workers, Version: version, Resume: o.resume,
		Force: o.force, MaxBufferBytes: bufBytes, OnNotice: func(msg string) { fmt.Fprintf(stderr, "sweep: %s\n", msg) }}
	lo, hi := int64(0), int64(spec.Size())
	if o.shard != "" {
		k, n, err := dse.ParseShard(o.shard, os.Getenv)
		if err != nil {
			return badInput(fmt.Errorf("--shard: %w", err))
		}
		ro.Shard = &outputs.ManifestShard{K: k, N: n}
		lo, hi = dse.ShardRange(spec, k, n)
	}
	bar := newProgress(stderr, o.progress, o.quiet, hi-lo)
	ro.OnProgress = bar.update
	rep, err := dse.Execute(ctx, spec, ro)
	bar.finish()
	if err != nil {
		if rep != nil && errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "interrupted: %d of %d configurations written to %s (manifest records them; continue with --resume)\n", rep.Manifest.Counts.Enumerated, rep.Hi-rep.Lo, rep.Dir)
		}
		return err
	}
	m := rep.Manifest
	sum := &runSummary{Name: spec.Name, Out: o.out, Results: filepath.Join(rep.Dir, rep.Results), Counts: m.Counts,
		ElapsedS: rep.Elapsed.Seconds(), ConfigsPerS: m.ConfigsPerS}
	if m.Pareto != nil {
		sum.ParetoRows = m.Pareto.Rows
	}
	if ro.Shard != nil {
		sum.Shard = &runShard{K: ro.Shard.K, N: ro.Shard.N, Lo: rep.Lo, Hi: rep.Hi}
	} else {
		plots, err := drawPlots(spec, o.out, stderr)
		if err != nil {
			return err
		}
		sum.Plots = plots
	}
	if o.quiet && !o.asJSON {
		return nil
	}
	return sum.print(stdout, o.asJSON)
}
