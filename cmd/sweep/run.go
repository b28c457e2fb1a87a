package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
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
}

func newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [FILE]",
		Short: "Run a sweep: evaluate every configuration of its grid and write Parquet (and Arrow) results",
		Long: "Run a sweep file (YAML): expand its grid lazily, evaluate each configuration on a worker pool,\n" +
			"and write OUT/results/part-NNNNN.parquet, OUT/pareto.parquet and OUT/manifest.json.\n" +
			"Without FILE, runs the embedded default sweep (sweeps/default.yaml) into out/default.",
		Example: "  sweep run\n  sweep run sweeps/serving-gpus.yaml --out out/serving --workers 4",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return badInput(fmt.Errorf("run takes one sweep file, got %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := loadSpec(args)
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
	return cmd
}

// loadSpec parses the sweep file named in args, or the embedded default.
func loadSpec(args []string) (*dse.Spec, error) {
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
	return spec, nil
}

func runSweep(ctx context.Context, spec *dse.Spec, o runOptions, stdout, stderr io.Writer) error {
	if o.workers < 0 {
		return badInput(fmt.Errorf("--workers must be ≥ 0, got %d", o.workers))
	}
	if o.out == "" {
		o.out = filepath.Join("out", spec.Name)
	}
	if err := prepareOut(o.out, spec); err != nil {
		return err
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	bar := newProgress(stderr, o.progress, o.quiet, int64(spec.Size()))
	started := time.Now()
	rep, runErr := dse.Run(ctx, spec, dse.Options{
		OutDir:     o.out,
		Workers:    workers,
		Version:    version,
		OnProgress: bar.update,
	})
	bar.finish()
	if rep == nil {
		return runErr
	}
	m := &outputs.Manifest{
		Tool:    "mlsysim-go",
		Version: version,
		Sweep: outputs.ManifestSweep{Name: spec.Name, File: spec.File, SHA256: spec.Hash,
			Description: spec.Description, Text: string(spec.Source)},
		RegistrySHA256: spec.Registry.Hash(),
		Configurations: spec.Size(),
		Lo:             0,
		Hi:             int64(spec.Size()),
		Counts: outputs.ManifestCounts{Enumerated: rep.Enumerated, Evaluated: rep.Evaluated,
			Feasible: rep.Feasible, Written: rep.Written},
		Complete:    runErr == nil && rep.Enumerated == int64(spec.Size()),
		Parts:       rep.Parts,
		Columns:     outputs.Columns(rep.Schema),
		Workers:     workers,
		Started:     started.UTC().Truncate(time.Second),
		ElapsedS:    rep.Elapsed.Seconds(),
		ConfigsPerS: float64(rep.Enumerated) / rep.Elapsed.Seconds(),
	}
	if len(spec.Objectives) > 0 && runErr == nil {
		n, err := dse.WritePareto(spec, rep.Front, filepath.Join(o.out, "pareto.parquet"), version)
		if err != nil {
			return fmt.Errorf("pareto: %w", err)
		}
		var objs []string
		for _, ob := range spec.Objectives {
			dir := "minimize"
			if ob.Maximize {
				dir = "maximize"
			}
			objs = append(objs, dir+":"+ob.Name)
		}
		m.Pareto = &outputs.ManifestFront{File: "pareto.parquet", Rows: n, Objectives: objs, GroupBy: spec.GroupBy}
	}
	if err := outputs.WriteManifest(o.out, m); err != nil {
		return err
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			fmt.Fprintf(stderr, "interrupted: %d of %d configurations written to %s (manifest records them)\n", rep.Enumerated, spec.Size(), o.out)
		}
		return runErr
	}
	if err := drawPlots(spec, o.out, stderr); err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(stdout, "%s: %d configurations, %d feasible, %d rows written to %s in %s (%.0f configurations/s)\n",
			spec.Name, rep.Enumerated, rep.Feasible, rep.Written, o.out, rep.Elapsed.Round(time.Millisecond), m.ConfigsPerS)
	}
	return nil
}

// prepareOut makes the run folder. A folder holding a run of another sweep
// is refused; one holding this sweep's run is replaced (the same inputs give
// the same files).
func prepareOut(dir string, spec *dse.Spec) error {
	if m, err := outputs.ReadManifest(dir); err == nil {
		if m.Sweep.SHA256 != spec.Hash {
			return badInput(fmt.Errorf("%s already holds a run of another sweep (%s, %s); choose another --out or remove it", dir, m.Sweep.Name, m.Sweep.File))
		}
		for _, p := range m.Parts {
			os.Remove(filepath.Join(dir, p.File))
			os.Remove(filepath.Join(dir, strings.TrimSuffix(p.File, ".parquet")+".arrow"))
		}
		os.Remove(filepath.Join(dir, "pareto.parquet"))
		os.Remove(filepath.Join(dir, outputs.ManifestFile))
	} else if !errors.Is(err, os.ErrNotExist) {
		return badInput(fmt.Errorf("%s: unreadable manifest: %w", dir, err))
	} else if entries, err := os.ReadDir(filepath.Join(dir, "results")); err == nil && len(entries) > 0 {
		return badInput(fmt.Errorf("%s/results already holds files but no manifest; choose another --out or remove it", dir))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	return nil
}
