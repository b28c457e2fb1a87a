package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/figures"
	"github.com/mlsysim/mlsysim-go/units"
)

func newCheckCmd() *cobra.Command {
	var asJSON, noEstimate bool
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a sweep file and print its number of configurations, estimated time and output size",
		Long: "Validate a sweep file without running it: every problem is reported at once with its\n" +
			"file:line:col (exit 2). Derived values and constraints are evaluated on a sample of the\n" +
			"grid (its first and last configurations and 62 others), so one that divides by zero or\n" +
			"fails there is an error too. A valid file prints its axes and size, and an estimate of the run's\n" +
			"time and output size (of each format it writes: Parquet, Arrow, CSV) measured on a sample of its\n" +
			"first configurations, from which its plots are drawn too, so that a figure the results cannot feed\n" +
			"(a column the sweep does not write) is an error before the run.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(fmt.Errorf("check takes one sweep file"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := loadSpec(cmd, args)
			if err != nil {
				return err
			}
			if err := dse.CheckSample(spec); err != nil {
				return err
			}
			var est *estimate
			if !noEstimate {
				est, err = estimateRun(cmd.Context(), spec)
				if err != nil {
					return err
				}
			}
			if asJSON {
				return writeCheckJSON(cmd.OutOrStdout(), spec, est)
			}
			writeCheckText(cmd.OutOrStdout(), spec, est)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&noEstimate, "no-estimate", false, "skip the timed sample")
	return cmd
}

// estimate extrapolates a run from a sample of its first configurations.
type estimate struct {
	Sample        int64   `json:"sample"`
	Workers       int     `json:"workers"`
	SecondsPerCfg float64 `json:"seconds_per_configuration"` // one worker, evaluation and writing
	Seconds       float64 `json:"seconds"`                   // the whole run on Workers workers
	KeptFraction  float64 `json:"kept_fraction"`             // rows that pass the constraints
	BytesPerRow   float64 `json:"bytes_per_row"`             // compressed Parquet; 0 without Parquet
	Bytes         float64 `json:"bytes"`                     // Parquet
	// Formats estimates every format the sweep writes, in its order.
	Formats []formatEstimate `json:"formats"`
}

// formatEstimate is the estimated size of one output format of a run.
type formatEstimate struct {
	Format      string  `json:"format"` // parquet, arrow, csv
	BytesPerRow float64 `json:"bytes_per_row"`
	Bytes       float64 `json:"bytes"`
}

// partPath is where a part of format f goes, given the Parquet path that
// names the part.
func partPath(parquetPath, f string) string {
	switch f {
	case "arrow":
		return dse.ArrowPath(parquetPath)
	case "csv":
		return dse.CSVPath(parquetPath)
	}
	return parquetPath
}

func estimateRun(ctx context.Context, spec *dse.Spec) (*estimate, error) {
	removeStaleCheckDirs()
	dir, err := os.MkdirTemp("", fmt.Sprintf("sweep-check-%d-", os.Getpid()))
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	n := min(int64(spec.Size()), 50_000)
	start := time.Now()
	rep, err := dse.Run(ctx, spec, dse.Options{OutDir: dir, Workers: 1, Hi: n, Version: version})
	if err != nil {
		return nil, fmt.Errorf("sample run: %w", err)
	}
	el := time.Since(start).Seconds()
	e := &estimate{Sample: n, Workers: runtime.GOMAXPROCS(0), SecondsPerCfg: el / float64(n), Formats: []formatEstimate{}}
	e.Seconds = e.SecondsPerCfg * float64(spec.Size()) / float64(e.Workers)
	e.KeptFraction = float64(rep.Written) / float64(n)
	for _, f := range spec.Outputs.Formats {
		var bytes int64
		for _, p := range rep.Parts {
			if fi, err := os.Stat(partPath(filepath.Join(dir, p.File), f)); err == nil {
				bytes += fi.Size()
			}
		}
		fe := formatEstimate{Format: f}
		if rep.Written > 0 {
			fe.BytesPerRow = float64(bytes) / float64(rep.Written)
		}
		fe.Bytes = fe.BytesPerRow * e.KeptFraction * float64(spec.Size())
		if f == "parquet" {
			e.BytesPerRow, e.Bytes = fe.BytesPerRow, fe.Bytes
		}
		e.Formats = append(e.Formats, fe)
	}
	if err := checkPlots(spec, dir, rep.Written); err != nil {
		return nil, err
	}
	return e, nil
}

// checkPlots draws the sweep's plots (as SVG, the cheapest) from the sample
// run in dir, so that a figure the results cannot feed (a column the sweep
// does not write, such as step_time_s in a serving sweep) is refused before
// the run, which would write its results and then stop at the figure
// (exit 2). A figure with no rows in the sample is skipped, as in a run.
func checkPlots(spec *dse.Spec, dir string, written int64) error {
	if len(spec.Plots) == 0 || written == 0 || !slices.Contains(spec.Outputs.Formats, "parquet") {
		return nil
	}
	sp := *spec
	sp.Plots = make([]dse.PlotSpec, len(spec.Plots))
	for i, p := range spec.Plots {
		p.Formats = []string{"svg"}
		sp.Plots[i] = p
	}
	if _, err := figures.DrawSpec(&sp, dir, func(string, error) {}); err != nil {
		return badInput(fmt.Errorf("plots: %w (the run would write its results, then stop at this figure)", err))
	}
	return nil
}

func axisName(ax dse.Axis) string {
	var names []string
	for _, p := range ax.Params {
		names = append(names, p.Name)
	}
	return strings.Join(names, "+")
}

func writeCheckText(w io.Writer, spec *dse.Spec, e *estimate) {
	fmt.Fprintf(w, "%s: valid\n", spec.File)
	var dims []string
	for _, ax := range spec.Axes {
		dims = append(dims, fmt.Sprintf("%s %d", axisName(ax), ax.Len()))
	}
	fmt.Fprintf(w, "  configurations: %d (%s)\n", spec.Size(), strings.Join(dims, " × "))
	if len(spec.Constraints) > 0 {
		fmt.Fprintf(w, "  constraints: %d\n", len(spec.Constraints))
	}
	if len(spec.Objectives) > 0 {
		fmt.Fprintf(w, "  objectives: %s\n", strings.Join(dse.FormatObjectives(spec.Objectives), ", "))
	}
	for _, n := range spec.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if e != nil {
		fmt.Fprintf(w, "  estimated time: %s on %d workers (%.3g µs per configuration per worker, from %d sampled)\n",
			units.Seconds(e.Seconds), e.Workers, e.SecondsPerCfg*1e6, e.Sample)
		for _, f := range e.Formats {
			fmt.Fprintf(w, "  estimated output: %s of %s (%.0f%% of rows kept, %.1f bytes per row)\n",
				units.Bytes(f.Bytes), formatName[f.Format], 100*e.KeptFraction, f.BytesPerRow)
		}
	}
}

// formatName is how the check's text names an output format.
var formatName = map[string]string{"parquet": "Parquet", "arrow": "Arrow", "csv": "CSV"}

func writeCheckJSON(w io.Writer, spec *dse.Spec, e *estimate) error {
	type axis struct {
		Params []string `json:"params"`
		Len    int      `json:"len"`
	}
	out := struct {
		File           string    `json:"file"`
		Name           string    `json:"name"`
		Configurations uint64    `json:"configurations"`
		Axes           []axis    `json:"axes"`
		Notes          []string  `json:"notes,omitempty"`
		Estimate       *estimate `json:"estimate,omitempty"`
	}{File: spec.File, Name: spec.Name, Configurations: spec.Size(), Notes: spec.Notes, Estimate: e}
	for _, ax := range spec.Axes {
		a := axis{Len: ax.Len()}
		for _, p := range ax.Params {
			a.Params = append(a.Params, p.Name)
		}
		out.Axes = append(out.Axes, a)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// removeStaleCheckDirs removes the sample-run folders that killed checks
// left in the system temp folder: sweep-check-PID-RANDOM, of this user,
// whose process PID no longer runs. A folder of a live check (or of a
// process that took a dead one's PID) is left alone.
func removeStaleCheckDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "sweep-check-*-*"))
	for _, m := range matches {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(m), "sweep-check-"), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // alive
		}
		st, err := os.Lstat(m)
		if err != nil || !st.IsDir() {
			continue
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != os.Getuid() {
			continue
		}
		os.RemoveAll(m)
	}
}
