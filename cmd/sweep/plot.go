package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/figures"
)

func newPlotCmd() *cobra.Command {
	var req figures.Request
	var kind, formats, objectives, onePer, width, groupBy, xLimits, yLimits string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plot OUT",
		Short: "Draw roofline, Pareto, line, heatmap, breakdown, scaling, CDF and bar figures from a run's results",
		Long: "plot reads OUT/results/*.parquet (any number of rows, in bounded memory) and writes\n" +
			"paper-ready figures (3.5 in wide, 300 dpi PNG, SVG, PDF) into OUT/plots.",
		Example: "  sweep plot out/serving\n" +
			"  sweep plot out/serving --kind pareto --objectives latency_s:min,tokens_per_s:max --color hardware\n" +
			"  sweep plot out/serving --kind lines --x batch_size --y itl_s --group hardware --format pdf\n" +
			"  sweep plot out/training --kind heatmap --x tp --y pp --z step_time_s --one-per model,cluster\n" +
			"  sweep plot out/serving --kind lines --x seq_len --y itl_s --where 'precision == \"fp8\"' --width double --title 'ITL'",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput(fmt.Errorf("plot takes one run output directory"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Kinds = splitList(kind)
			req.Formats = splitList(formats)
			if objectives != "" {
				objs, err := dse.ParseObjectives(objectives)
				if err != nil {
					return badInput(fmt.Errorf("--objectives: %w", err))
				}
				req.Objectives = objs
			}
			req.OnePer = splitColumns(onePer)
			req.GroupBy = splitColumns(groupBy)
			for _, l := range []struct {
				s    string
				dst  *[2]float64
				flag string
			}{{xLimits, &req.Style.XLimits, "--x-limits"}, {yLimits, &req.Style.YLimits, "--y-limits"}} {
				if l.s == "" {
					continue
				}
				v, err := figures.ParseLimits(l.s)
				if err != nil {
					return figureError(fmt.Errorf("%s: %w", l.flag, err))
				}
				*l.dst = v
			}
			if width != "" {
				w, err := figures.ParseWidth(width)
				if err != nil {
					return figureError(err)
				}
				req.Style.Width = w
			}
			sum := plotSummary{Dir: req.Dir, Files: []string{}, Skipped: []plotSkip{}}
			if sum.Dir == "" {
				sum.Dir = filepath.Join(args[0], "plots")
			}
			skipped := printSkipped(cmd.ErrOrStderr())
			req.Skipped = func(kind string, why error) {
				sum.Skipped = append(sum.Skipped, plotSkip{Kind: kind, Why: why.Error()})
				skipped(kind, why)
			}
			if err := req.Check(); err != nil {
				return figureError(err)
			}
			reg, err := loadRegistry(cmd)
			if err != nil {
				return err
			}
			src, err := figures.Open(args[0], reg)
			if err != nil {
				return figureError(err)
			}
			paths, err := figures.Draw(src, req)
			if asJSON {
				sum.Files = append(sum.Files, paths...)
				sum.Count = len(paths)
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(sum); jerr != nil && err == nil {
					err = jerr
				}
				return figureError(err)
			}
			for _, p := range paths {
				fmt.Fprintln(cmd.OutOrStdout(), p)
			}
			return figureError(err)
		},
	}
	f := cmd.Flags()
	f.StringVar(&kind, "kind", "all", "figures to draw: roofline, pareto, lines, heatmap, breakdown, scaling, cdf, bars or all (comma-separated)")
	f.StringVar(&req.X, "x", "", "x column (pareto: first objective; lines: batch_size; heatmap: tp)")
	f.StringVar(&req.Y, "y", "", "y column (pareto: second objective; lines: latency_s; heatmap: pp)")
	f.StringVar(&req.Z, "z", "", "heatmap: the output in the cells (default step_time_s or latency_s)")
	f.StringVar(&req.Where, "where", "", "keep the rows where this expression is true (the language of constraints)")
	f.StringVar(&onePer, "one-per", "", "one figure per value of these columns (comma-separated)")
	f.StringVar(&req.Facet, "facet", "", "small multiples: one panel per value of this column, shared axes")
	f.StringVar(&groupBy, "group-by", "", "pareto: one front per combination of these columns' values (comma-separated)")
	f.StringVar(&req.Style.Title, "title", "", "title above the axes (default none)")
	f.StringVar(&req.Style.XLabel, "x-label", "", "x axis label (default the column's quantity and unit)")
	f.StringVar(&req.Style.YLabel, "y-label", "", "y axis label (default the column's quantity and unit)")
	f.StringVar(&width, "width", "", "figure width: single (3.5 in), double (7 in) or inches (default single)")
	f.Float64Var(&req.Style.Height, "height", 0, "figure height in inches (default 2.6)")
	f.Float64Var(&req.Style.FontSize, "font-size", 0, "label size in points; ticks and legend 1 pt smaller (default 8)")
	f.StringVar(&req.Style.XScale, "x-scale", "", "x axis: log or linear (default from the data)")
	f.StringVar(&req.Style.YScale, "y-scale", "", "y axis: log or linear (default from the data)")
	f.StringVar(&xLimits, "x-limits", "", "x axis range lo,hi in the column's SI unit (seconds, bytes)")
	f.StringVar(&yLimits, "y-limits", "", "y axis range lo,hi in the column's SI unit (seconds, bytes)")
	f.StringVar(&req.Style.Legend, "legend", "", "legend: right, top, bottom, top-left, top-right, bottom-left, bottom-right (inside the axes) or none (default right)")
	f.IntVar(&req.Style.LegendColumns, "legend-columns", 0, "columns of the legend (default: as the position needs)")
	f.StringVar(&req.Style.Font, "font", "", "font family: sans, serif, dejavu-sans or dejavu-serif (default sans)")
	f.StringVar(&req.Color, "color", "", "parameter that colours points (default hardware; none for none)")
	f.StringVar(&req.Group, "group", "", "lines, cdf, scaling, bars: one line, curve or bar per value of this parameter")
	f.StringVar(&objectives, "objectives", "", "pareto objectives, 2 to 4, as column:min|max or maximize:column (default latency_s:min,tokens_per_s:max)")
	f.StringVar(&req.Agg, "agg", "", "lines and heatmap: min, max or mean over the other parameters (default by the output's direction)")
	f.StringVar(&formats, "format", "png,svg,pdf", "output formats: png, svg, pdf (comma-separated)")
	f.StringVar(&req.Dir, "dir", "", "directory for the figures (default OUT/plots)")
	f.BoolVar(&req.AllRows, "all-rows", false, "include infeasible rows (default: feasible rows only)")
	f.BoolVar(&req.Bands, "bands", false, "lines: draw the error band of y (y_lo..y_hi: latency_s, ttft_s, itl_s under fidelity calibrated) as error bars")
	f.BoolVar(&asJSON, "json", false, "print one JSON object at the end: dir, files (the paths written), count, skipped (kind and why); warnings stay on stderr")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.ToLower(p))
		}
	}
	return out
}

// splitColumns splits a comma-separated list of column names, keeping
// their case.
func splitColumns(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// figureError marks an error of the figure request as bad input (exit 2).
// plotSummary is the --json object of sweep plot.
type plotSummary struct {
	Dir     string     `json:"dir"`     // the folder of the figures
	Files   []string   `json:"files"`   // every file written, in order
	Count   int        `json:"count"`   // len(files)
	Skipped []plotSkip `json:"skipped"` // figures not drawn, and why
}

type plotSkip struct {
	Kind string `json:"kind"`
	Why  string `json:"why"`
}

func figureError(err error) error {
	var re *figures.RequestError
	if errors.As(err, &re) {
		return badInput(err)
	}
	return err
}

// printSkipped notes on stderr each figure that is not drawn.
func printSkipped(stderr io.Writer) func(kind string, why error) {
	return func(kind string, why error) {
		fmt.Fprintf(stderr, "sweep plot: skipping %s: %v\n", kind, why)
	}
}
