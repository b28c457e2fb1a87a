// Package figures builds the figures of a run from its results: given a run
// directory (or any folder holding results/*.parquet) and a figure request,
// it reads the columns the figure needs, in bounded memory, builds the
// figure with package plots and saves it. `sweep plot` and the figures a
// sweep file's plots section asks for both go through Draw; library users
// call it, or one kind's Build, the same way:
//
//	src, err := figures.Open("out/serving", reg)
//	paths, err := figures.Draw(src, figures.Request{
//		Kinds:      []string{"pareto"},
//		Objectives: []dse.Objective{{Name: "itl_s"}, {Name: "tokens_per_s", Maximize: true}},
//		Formats:    []string{"svg"},
//	})
//	// paths: out/serving/plots/pareto-tokens_per_s-vs-itl_s.svg
//
// Each kind of figure is one type behind the Kind interface (Roofline,
// Pareto, Lines, Heatmap, Breakdown, Scaling, CDF, Bars); a new kind is one more such type, listed in
// Kinds. Labels, units and the direction in which an output improves come
// from the engine's vocabulary; the package never evaluates configurations.
package figures

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
	"github.com/mlsysim/mlsysim-go/registry"
)

// A Kind builds one kind of figure from the results of a run.
type Kind interface {
	// Name is the kind's name in sweep files and `sweep plot --kind`.
	Name() string
	// Build reads what the figure needs from src and returns it with the
	// base name of its files ("pareto-tokens_per_s-vs-latency_s"). It
	// returns a nil figure when no row can be drawn, and a *RequestError
	// when the request does not fit the results (a missing column, a text
	// column where numbers are needed).
	Build(src *Source, req *Request) (*plots.Figure, string, error)
}

// Kinds are the figure kinds, in the order a request for every kind draws
// them. Their names are dse.PlotKinds.
var Kinds = []Kind{Roofline{}, Pareto{}, Lines{}, Heatmap{}, Breakdown{}, Scaling{}, CDF{}, Bars{}}

// KindNamed returns the kind called name; the *RequestError of an unknown
// name suggests a close one.
func KindNamed(name string) (Kind, error) {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		if k.Name() == name {
			return k, nil
		}
		names[i] = k.Name()
	}
	msg := fmt.Sprintf("--kind: %q is not one of %s, all", name, strings.Join(names, ", "))
	if sug := registry.Suggest(name, names); len(sug) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", sug[0])
	}
	return nil, &RequestError{errors.New(msg)}
}

// Request says which figures to draw and how. The zero Request draws every
// kind the results' columns allow, with each kind's defaults, as PNG, SVG
// and PDF into the run's plots folder. Errors about a request name its
// fields as `sweep plot` spells its flags (--x, --objectives ...).
type Request struct {
	// Kinds are the figure kinds by name. Empty, or holding "all": every
	// kind, skipping (and reporting to Skipped) those whose columns the
	// results lack; a kind named explicitly must have its columns.
	Kinds []string
	// X, Y and Z are columns; "" takes the kind's default (pareto: the
	// first two objectives; lines: batch_size and latency_s; heatmap: tp,
	// pp and step_time_s or latency_s; breakdown: the ten fastest rows and
	// step_time_s; scaling: gpus_used and tokens_per_s; cdf: latency_s;
	// bars: hardware and tokens_per_s). Roofline ignores them.
	X, Y, Z string
	// Color is the parameter that colours points: "" for the kind's default
	// (hardware, when the results have it), "none" for none.
	Color string
	// Group draws one line, curve or bar per value of this parameter
	// (lines, cdf: hardware; scaling: model; bars: precision, when the
	// results have it); "" for the kind's default.
	Group string
	// Objectives of a Pareto figure, 2 to 4; nil for latency_s minimised
	// and tokens_per_s (or throughput_per_s) maximised.
	Objectives []dse.Objective
	// GroupBy draws a Pareto front per combination of these columns' values
	// (the sweep's group_by), each in its group's colour and labelled; nil
	// for one front over every row.
	GroupBy []string
	// Agg reduces the values that share a line point or a heatmap cell:
	// "min", "max" or "mean"; "" for the best value by the output's
	// direction in the vocabulary (max when higher is better, else min).
	Agg string
	// AllRows draws infeasible rows too; by default only feasible rows.
	AllRows bool
	// Bands draws, in a lines figure, the error band of y (columns y_lo
	// and y_hi) at each point as an error bar.
	Bands bool
	// Where keeps the rows for which this expression is true, in the
	// language of a sweep's constraints (`hardware == "H100" && tp <= 8`);
	// "" keeps every row.
	Where string
	// OnePer draws one figure per value of each of these columns (over the
	// rows kept), the value in its file name: heatmap-...-model=Llama3_70B.
	// A heatmap whose rows mix values of a registry column (model,
	// hardware, system ...) it does not show is drawn one per value of
	// those columns when OnePer is empty, rather than reduce across them.
	OnePer []string
	// Facet draws small multiples: one panel per value of this column (in
	// rank order, at most 16), in a grid, with shared axes (heatmaps: one
	// colour scale) and one legend; "" for a single plot.
	Facet string
	// Style sets the size, text and axes of every figure; the zero Style
	// keeps each kind's.
	Style Style
	// Formats are the file formats, png, svg and pdf; empty for all three.
	Formats []string
	// Dir is where the files go; "" for the run's plots folder.
	Dir string
	// Skipped, if set, is told of each figure not drawn: a kind that a
	// request for every kind skips (why is its *RequestError), or a figure
	// with no rows to draw (why is ErrNoRows).
	Skipped func(kind string, why error)

	filter *dse.Filter // Where and the OnePer values, compiled; set by Draw
}

// RequestError is an error of the request: a kind, column, format,
// objective or reduction that makes no sense for the results. Callers tell
// it apart from I/O failures with errors.As.
type RequestError struct{ Err error }

func (e *RequestError) Error() string { return e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// ErrNoRows is why a figure is not drawn when the results hold no row it
// can show (no feasible row, no positive intensity ...).
var ErrNoRows = errors.New("no rows to draw")

// check validates what can be checked without the results and returns the
// kinds to draw and whether they were named explicitly.
func (r *Request) check() (kinds []Kind, explicit bool, err error) {
	if len(r.Kinds) == 0 || slices.Contains(r.Kinds, "all") {
		kinds = Kinds
	} else {
		for _, name := range r.Kinds {
			k, err := KindNamed(name)
			if err != nil {
				return nil, false, err
			}
			kinds = append(kinds, k)
		}
		explicit = true
	}
	for _, f := range r.Formats {
		if !slices.Contains(plots.Formats, f) {
			return nil, false, &RequestError{fmt.Errorf("--format: %q is not png, svg or pdf", f)}
		}
	}
	if err := r.Style.Check(); err != nil {
		return nil, false, err
	}
	if r.Agg != "" {
		if _, err := plots.ParseAgg(r.Agg); err != nil {
			return nil, false, &RequestError{fmt.Errorf("--agg: %w", err)}
		}
	}
	return kinds, explicit, nil
}

// Check reports whether the request makes sense before any results are
// read: known kinds, formats and reduction. Draw checks it too.
func (r *Request) Check() error {
	_, _, err := r.check()
	return err
}

// Draw builds the figures req asks for from src and saves each as
// DIR/BASE.FORMAT, returning the paths written (also those written before
// an error).
func Draw(src *Source, req Request) ([]string, error) {
	kinds, explicit, err := req.check()
	if err != nil {
		return nil, err
	}
	formats := req.Formats
	if len(formats) == 0 {
		formats = plots.Formats
	}
	dir := req.Dir
	if dir == "" {
		dir = filepath.Join(src.Dir, "plots")
	}
	skipped := req.Skipped
	if skipped == nil {
		skipped = func(string, error) {}
	}
	var written []string
	// A figure a request names among others that cannot be drawn from these
	// results (a column missing, an objective that makes no sense) does not
	// stop the others: each such kind's error is kept, named, and returned
	// once every kind that can be drawn is saved. One named kind returns its
	// error as it is; I/O errors stop at once.
	var failed []error
	reqErr := func(k Kind, err error) bool {
		var re *RequestError
		if !errors.As(err, &re) {
			return false
		}
		if !explicit {
			skipped(k.Name(), err)
			return true
		}
		if len(kinds) > 1 {
			failed = append(failed, fmt.Errorf("--kind %s: %w", k.Name(), err))
			return true
		}
		return false
	}
	for _, k := range kinds {
		splits, err := req.splits(src, k)
		if err != nil && reqErr(k, err) {
			continue
		}
		if err != nil {
			return written, err
		}
		for _, sp := range splits {
			fig, base, err := req.build(src, k, sp.where)
			if err != nil && reqErr(k, err) {
				break
			}
			if err != nil {
				return written, err
			}
			if fig == nil {
				skipped(k.Name()+sp.suffix, ErrNoRows)
				continue
			}
			if err := req.Style.apply(fig); err != nil {
				return written, err
			}
			paths, err := fig.SaveAll(dir, base+sp.suffix, formats)
			written = append(written, paths...)
			if err != nil {
				return written, err
			}
		}
	}
	if len(failed) > 0 {
		return written, &RequestError{errors.Join(failed...)}
	}
	return written, nil
}

// build builds the figure of kind k over the rows where is true: one
// figure, or small multiples of the Facet column's values.
func (r *Request) build(src *Source, k Kind, where string) (*plots.Figure, string, error) {
	compile := func(w string) (*dse.Filter, error) {
		if w == "" {
			return nil, nil
		}
		return src.compileFilter(w)
	}
	sub := *r
	var err error
	if sub.filter, err = compile(where); err != nil {
		return nil, "", err
	}
	if r.Facet == "" {
		return k.Build(src, &sub)
	}
	if err := src.column("--facet", r.Facet); err != nil {
		return nil, "", err
	}
	vals, err := src.values(&Request{AllRows: r.AllRows, Where: where}, r.Facet)
	if err != nil {
		return nil, "", err
	}
	if len(vals) > maxFacets {
		return nil, "", &RequestError{fmt.Errorf("--facet: %s has %d values; small multiples take at most %d (filter with --where, or split with --one-per)", r.Facet, len(vals), maxFacets)}
	}
	var panels []*plots.Figure
	var titles []string
	var base string
	for _, v := range vals {
		w := r.Facet + " == " + literal(src, r.Facet, v)
		if where != "" {
			w = "(" + where + ") && " + w
		}
		if sub.filter, err = compile(w); err != nil {
			return nil, "", err
		}
		fig, b, err := k.Build(src, &sub)
		if err != nil {
			return nil, "", err
		}
		if fig == nil {
			continue
		}
		panels = append(panels, fig)
		titles = append(titles, v)
		base = b
	}
	if len(panels) == 0 {
		return nil, "", nil
	}
	note := fmt.Sprintf("one panel per %s (%d)", r.Facet, len(panels))
	return plots.Facets(panels, titles, note), base + "-facet-" + r.Facet, nil
}

// maxFacets bounds the panels of small multiples.
const maxFacets = 16

// literal returns value v of column as an expression literal.
func literal(src *Source, column, v string) string {
	if src.info.Lookup(column).Kind == outputs.KindString {
		return strconv.Quote(v)
	}
	return v
}

// A split is one figure of a request: its filter (the request's Where and
// one value of each OnePer column) and its file-name suffix.
type split struct{ where, suffix string }

// splits returns the figures of kind k: one, or one per combination of the
// OnePer columns' values (in rank order) among the rows the request keeps.
func (r *Request) splits(src *Source, k Kind) ([]split, error) {
	base := split{where: r.Where}
	if r.Where != "" {
		if _, err := src.compileFilter(r.Where); err != nil {
			return nil, err
		}
	}
	per := r.OnePer
	// A heatmap is split by the registry columns whose values vary among
	// its rows, unless OnePer says how; only when its axes exist (else
	// Build refuses it, and the values need not be read).
	if x, y := orDefault(r.X, "tp"), orDefault(r.Y, "pp"); len(per) == 0 && k.Name() == "heatmap" && src.has(x) && src.has(y) {
		for _, c := range registryColumns() {
			if c != x && c != y && c != r.Facet && src.has(c) {
				per = append(per, c)
			}
		}
		auto, err := src.varying(r, per)
		if err != nil {
			return nil, err
		}
		per = auto
	}
	out := []split{base}
	for _, col := range per {
		if err := src.column("--one-per", col); err != nil {
			return nil, err
		}
		vals, err := src.values(r, col)
		if err != nil {
			return nil, err
		}
		var next []split
		for _, sp := range out {
			for _, v := range vals {
				w := col + " == " + literal(src, col, v)
				if sp.where != "" {
					w = "(" + sp.where + ") && " + w
				}
				next = append(next, split{where: w, suffix: sp.suffix + "-" + col + "=" + fileSafe(v)})
			}
		}
		out = next
	}
	return out, nil
}

// fileSafe replaces the characters of v that do not belong in a file name.
func fileSafe(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' || r == ':' || r < 0x20 {
			return '_'
		}
		return r
	}, v)
}

// DrawSpec draws the figures a sweep's plots section asks for, from the
// results of its run in dir, into dir/plots. A Pareto figure takes the
// sweep's objectives; a heatmap's value is z (color is accepted for it).
func DrawSpec(spec *dse.Spec, dir string, skipped func(kind string, why error)) ([]string, error) {
	var src *Source
	var written []string
	for _, p := range spec.Plots {
		req := Request{
			Kinds:      []string{p.Kind},
			X:          p.X,
			Y:          p.Y,
			Color:      p.Color,
			Group:      p.Group,
			Objectives: spec.Objectives,
			GroupBy:    spec.GroupBy,
			Formats:    p.Formats,
			Skipped:    skipped,
			Where:      p.Where,
			OnePer:     p.OnePer,
			Facet:      p.Facet,
			Z:          p.Z,
			Bands:      p.Bands,
			Style: Style{Title: p.Style.Title, XLabel: p.Style.XLabel, YLabel: p.Style.YLabel,
				Width: p.Style.Width, Height: p.Style.Height, FontSize: p.Style.FontSize,
				XScale: p.Style.XScale, YScale: p.Style.YScale, Legend: p.Style.Legend,
				LegendColumns: p.Style.LegendColumns, Font: p.Style.Font,
				XLimits: p.Style.XLimits, YLimits: p.Style.YLimits},
		}
		if p.Kind == "heatmap" && req.Z == "" { // color is the older name of a heatmap's value
			req.Z, req.Color = p.Color, ""
		}
		if src == nil {
			var err error
			if src, err = Open(dir, spec.Registry); err != nil {
				return written, fmt.Errorf("plot %s: %w", p.Kind, err)
			}
		}
		paths, err := Draw(src, req)
		written = append(written, paths...)
		if err != nil {
			return written, fmt.Errorf("plot %s: %w", p.Kind, err)
		}
	}
	return written, nil
}

// orDefault returns v, or def when v is "".
func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// colorColumn returns the colour parameter: the request's, else def if the
// results have it; "" for none.
func colorColumn(src *Source, color, def string) (string, error) {
	switch color {
	case "none":
		return "", nil
	case "":
		if src.has(def) {
			return def, nil
		}
		return "", nil
	}
	return color, src.column("--color", color)
}

// aggFor returns the request's reduction, else the best value of output by
// its direction in the vocabulary.
func aggFor(req *Request, output string) plots.Agg {
	if req.Agg != "" {
		a, _ := plots.ParseAgg(req.Agg)
		return a
	}
	if c, _ := engine.Lookup(output); c.Better == engine.HigherIsBetter {
		return plots.AggMax
	}
	return plots.AggMin
}

// Style is how a request's figures look where they differ from the kinds'
// defaults (one paper column, 8 pt text, axes chosen from the data). Its
// zero value changes nothing.
type Style struct {
	Title          string  // above the axes; "" for none (captions belong to the paper)
	XLabel, YLabel string  // axis labels; "" for the quantity and unit of the column
	Width, Height  float64 // inches; 0 for 3.5 × 2.6 (plots.Single)
	FontSize       float64 // points of the labels (ticks and legend 1 pt smaller); 0 for 8
	XScale, YScale string  // "log" or "linear"; "" for the kind's choice from the data
	// XLimits and YLimits are an axis's range [lo, hi] in its column's SI
	// unit (seconds, bytes); the zero value keeps the range of the data.
	XLimits, YLimits [2]float64
	Legend           string // plots.LegendPositions: "right" (default), "top", "bottom", "top-left" ... or "none"
	LegendColumns    int    // columns of the legend; 0 for the position's default
	Font             string // plots.FontFamilies: "sans" (default), "serif", "dejavu-sans", "dejavu-serif"
}

// plotStyle returns the style figures are built in: one paper column in
// the requested font family.
func (s *Style) plotStyle() plots.Style {
	st := plots.ColumnStyle
	if f, ok := plots.FontFamily(s.Font); ok {
		st.Font = f
	}
	return st
}

// Check reports a style that cannot be drawn.
func (s *Style) Check() error {
	for _, fv := range []struct {
		flag string
		v    float64
	}{{"--width", s.Width}, {"--height", s.Height}, {"--font-size", s.FontSize}} {
		flag, v := fv.flag, fv.v
		if v < 0 || v > 100 || v != v {
			return &RequestError{fmt.Errorf("%s: %v is not a size (inches for width and height, points for font size)", flag, v)}
		}
	}
	for _, fv := range [][2]string{{"--x-scale", s.XScale}, {"--y-scale", s.YScale}} {
		flag, v := fv[0], fv[1]
		if v != "" && v != "log" && v != "linear" {
			return &RequestError{fmt.Errorf("%s: %q is not log or linear", flag, v)}
		}
	}
	for _, fl := range []struct {
		flag string
		l    [2]float64
	}{{"--x-limits", s.XLimits}, {"--y-limits", s.YLimits}} {
		flag, l := fl.flag, fl.l
		if l != [2]float64{} && !(l[0] < l[1]) {
			return &RequestError{fmt.Errorf("%s: [%v, %v]: the first must be below the second", flag, l[0], l[1])}
		}
	}
	if s.Legend != "" && !slices.Contains(plots.LegendPositions, s.Legend) {
		return &RequestError{fmt.Errorf("--legend: %q is not one of %s", s.Legend, strings.Join(plots.LegendPositions, ", "))}
	}
	if s.LegendColumns < 0 || s.LegendColumns > 50 {
		return &RequestError{fmt.Errorf("--legend-columns: %d is not 1 to 50", s.LegendColumns)}
	}
	if _, ok := plots.FontFamily(s.Font); s.Font != "" && !ok {
		return &RequestError{fmt.Errorf("--font: %q is not one of %s", s.Font, strings.Join(plots.FontFamilies, ", "))}
	}
	return nil
}

// ParseWidth reads a width: "single" (3.5 in), "double" (7 in) or a number
// of inches.
func ParseWidth(s string) (float64, error) {
	switch s {
	case "single":
		return float64(plots.Single / vg.Inch), nil
	case "double":
		return float64(plots.Double / vg.Inch), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || v > 100 {
		return 0, &RequestError{fmt.Errorf("--width: %q is not single, double or a number of inches", s)}
	}
	return v, nil
}

// apply restyles fig.
func (s *Style) apply(fig *plots.Figure) error {
	if s.Width > 0 {
		fig.Style.Width = vg.Length(s.Width) * vg.Inch
	}
	if s.Height > 0 {
		fig.Style.Height = vg.Length(s.Height) * vg.Inch
	}
	if s.FontSize > 0 {
		fig.SetTextSize(vg.Length(s.FontSize), vg.Length(max(s.FontSize-1, 1)))
	}
	if s.Title != "" {
		fig.SetTitle(s.Title)
	}
	fig.SetAxisLabels(s.XLabel, s.YLabel)
	for _, ax := range []struct {
		x     bool
		scale string
	}{{true, s.XScale}, {false, s.YScale}} {
		if ax.scale == "" {
			continue
		}
		if err := fig.SetLog(ax.x, ax.scale == "log"); err != nil {
			name := "--y-scale"
			if ax.x {
				name = "--x-scale"
			}
			return &RequestError{fmt.Errorf("%s: %w", name, err)}
		}
	}
	for _, ax := range []struct {
		x    bool
		lims [2]float64
		flag string
	}{{true, s.XLimits, "--x-limits"}, {false, s.YLimits, "--y-limits"}} {
		if ax.lims == [2]float64{} {
			continue
		}
		if err := fig.SetLimits(ax.x, ax.lims[0], ax.lims[1]); err != nil {
			return &RequestError{fmt.Errorf("%s: %w", ax.flag, err)}
		}
	}
	if err := fig.SetLegend(s.Legend, s.LegendColumns); err != nil {
		return &RequestError{fmt.Errorf("--legend: %w", err)}
	}
	return nil
}

// ParseLimits reads an axis range "lo,hi" in the column's SI unit.
func ParseLimits(s string) ([2]float64, error) {
	a, b, ok := strings.Cut(s, ",")
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if !ok || err1 != nil || err2 != nil || !(lo < hi) {
		return [2]float64{}, &RequestError{fmt.Errorf("limits %q: want lo,hi with lo < hi, in the column's SI unit", s)}
	}
	return [2]float64{lo, hi}, nil
}
