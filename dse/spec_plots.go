package dse

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr/vm"
	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/registry"
)

var plotKeys = []string{"kind", "x", "y", "z", "color", "group", "formats", "where", "one_per", "facet",
	"title", "x_label", "y_label", "width", "height", "font_size", "x_scale", "y_scale", "x_limits", "y_limits", "legend", "legend_columns", "font", "bands"}

// PlotLegends are the legend positions a plot entry accepts (plots'
// LegendPositions), and PlotFonts its font families (plots'
// FontFamilies).
var (
	PlotLegends = []string{"right", "top", "bottom", "top-left", "top-right", "bottom-left", "bottom-right", "none"}
	PlotFonts   = []string{"sans", "serif", "dejavu-sans", "dejavu-serif"}
)

// PlotKinds are the figure kinds a plot entry and `sweep plot --kind` accept.
var PlotKinds = []string{"roofline", "pareto", "lines", "heatmap", "breakdown", "scaling", "cdf", "bars"}

func (p *specParser) plots(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	items, ok := p.r.items(kv.Value)
	if !ok {
		p.errorf(kv.Value, "plots", ErrBadType, "want a list of {kind, x, y, z, color, group, where, one_per, formats, title ...}")
		return
	}
	if len(items) > 0 && !contains(p.spec.Outputs.Formats, "parquet") {
		p.errorf(kv.Value, "plots", ErrBadValue, "figures are drawn from the Parquet results, and outputs.formats has no parquet: add it, or remove plots")
	}
	for i, it := range items {
		key := fmt.Sprintf("plots[%d]", i)
		pairs, ok := p.r.pairs(it)
		if !ok {
			p.errorf(it, key, ErrBadType, "want a mapping {kind, x, y, ...}")
			continue
		}
		var ps PlotSpec
		for _, e := range pairs {
			k := keyString(e)
			if !contains(plotKeys, k) {
				p.unknownKey(e, key, k, plotKeys)
				continue
			}
			if k == "formats" {
				items, ok := p.r.items(e.Value)
				if !ok {
					items = []ast.Node{e.Value}
				}
				for _, f := range items {
					sc, _ := p.r.scalarOf(f)
					if !contains([]string{"png", "svg", "pdf"}, sc.str) {
						p.errorf(f, key+".formats", ErrBadValue, "%q: formats are png, svg and pdf", sc.str)
						continue
					}
					ps.Formats = append(ps.Formats, sc.str)
				}
				continue
			}
			if k == "x_limits" || k == "y_limits" {
				items, _ := p.r.items(e.Value)
				var lims [2]float64
				ok := len(items) == 2
				for i, it := range items {
					sc, isScalar := p.r.scalarOf(it)
					if !isScalar || !sc.isNum || i > 1 {
						ok = false
						break
					}
					lims[i] = sc.num
				}
				if !ok || !(lims[0] < lims[1]) {
					p.errorf(e.Value, key+"."+k, ErrBadValue, "want [lo, hi] with lo < hi, in the column's SI unit")
					continue
				}
				if k == "x_limits" {
					ps.Style.XLimits = lims
				} else {
					ps.Style.YLimits = lims
				}
				continue
			}
			if k == "bands" {
				sc, _ := p.r.scalarOf(e.Value)
				if !sc.isBool {
					p.errorf(e.Value, key+".bands", ErrBadType, "want true or false")
					continue
				}
				ps.Bands = sc.b
				continue
			}
			if k == "one_per" {
				items, ok := p.r.items(e.Value)
				if !ok {
					items = []ast.Node{e.Value}
				}
				for _, c := range items {
					sc, _ := p.r.scalarOf(c)
					p.plotColumn(c, key+".one_per", sc.str)
					ps.OnePer = append(ps.OnePer, sc.str)
				}
				continue
			}
			sc, ok := p.r.scalarOf(e.Value)
			if k == "legend_columns" {
				if !ok || !sc.isNum || sc.num != float64(int(sc.num)) || sc.num < 1 || sc.num > 50 {
					p.errorf(e.Value, key+".legend_columns", ErrBadValue, "want a whole number of columns, 1 to 50")
					continue
				}
				ps.Style.LegendColumns = int(sc.num)
				continue
			}
			switch k {
			case "width", "height", "font_size":
				v := sc.num
				if k == "width" && sc.isStr && (sc.str == "single" || sc.str == "double") {
					v = map[string]float64{"single": 3.5, "double": 7}[sc.str]
				} else if !ok || !sc.isNum || !(v > 0) || v > 100 {
					p.errorf(e.Value, key+"."+k, ErrBadValue, "want a positive number (%s)", map[string]string{
						"width": "inches, or single (3.5) or double (7)", "height": "inches", "font_size": "points"}[k])
					continue
				}
				switch k {
				case "width":
					ps.Style.Width = v
				case "height":
					ps.Style.Height = v
				default:
					ps.Style.FontSize = v
				}
				continue
			}
			if !ok || !sc.isStr {
				p.errorf(e.Value, key+"."+k, ErrBadType, "want a name")
				continue
			}
			switch k {
			case "kind":
				if !contains(PlotKinds, sc.str) {
					p.errorf(e.Value, key+".kind", ErrBadValue, "%q: kinds are %s", sc.str, strings.Join(PlotKinds, ", "))
				}
				ps.Kind = sc.str
			case "x", "y", "z", "color", "group", "facet":
				p.plotColumn(e.Value, key+"."+k, sc.str)
				switch k {
				case "x":
					ps.X = sc.str
				case "y":
					ps.Y = sc.str
				case "z":
					ps.Z = sc.str
				case "color":
					ps.Color = sc.str
				case "group":
					ps.Group = sc.str
				case "facet":
					ps.Facet = sc.str
				}
			case "where":
				if _, err := compileExpr(sc.str, p.spec.syms, true); err != nil {
					p.errorf(e.Value, key+".where", ErrBadValue, "%v", err)
				}
				ps.Where = sc.str
			case "x_scale", "y_scale":
				if sc.str != "log" && sc.str != "linear" {
					p.errorf(e.Value, key+"."+k, ErrBadValue, "%q: scales are log and linear", sc.str)
				}
				if k == "x_scale" {
					ps.Style.XScale = sc.str
				} else {
					ps.Style.YScale = sc.str
				}
			case "legend":
				if !contains(PlotLegends, sc.str) {
					p.errorf(e.Value, key+".legend", ErrBadValue, "%q: legend is one of %s", sc.str, strings.Join(PlotLegends, ", "))
				}
				ps.Style.Legend = sc.str
			case "font":
				if !contains(PlotFonts, sc.str) {
					p.errorf(e.Value, key+".font", ErrBadValue, "%q: fonts are %s", sc.str, strings.Join(PlotFonts, ", "))
				}
				ps.Style.Font = sc.str
			case "title":
				ps.Style.Title = sc.str
			case "x_label":
				ps.Style.XLabel = sc.str
			case "y_label":
				ps.Style.YLabel = sc.str
			}
		}
		if ps.Kind == "" {
			p.errorf(it, key, ErrMissing, "a plot needs a kind (%s)", strings.Join(PlotKinds, ", "))
		}
		p.numericPlotColumns(it, key, ps)
		p.spec.Plots = append(p.spec.Plots, ps)
	}
}

// plotColumn checks that name, at n, is a column of this sweep.
func (p *specParser) plotColumn(n ast.Node, key, name string) {
	if _, ok := p.spec.syms[name]; ok {
		return
	}
	msg := fmt.Sprintf("%q is not a column of this sweep", name)
	if sug := registry.Suggest(name, p.allNames()); len(sug) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", sug[0])
	}
	p.errorf(n, key, ErrBadValue, "%s", msg)
}

func (p *specParser) allNames() []string {
	var out []string
	for n := range p.spec.syms {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// numericPlotColumns reports a plot entry that draws a text column where
// its kind needs numbers: the x and y of lines and pareto figures, the
// z (the value of each cell) of a heatmap. Found here, the mistake
// costs nothing; found by the figure, it costs the whole run.
func (p *specParser) numericPlotColumns(it ast.Node, key string, ps PlotSpec) {
	var need map[string]string
	switch ps.Kind {
	case "lines", "pareto":
		need = map[string]string{"x": ps.X, "y": ps.Y}
	case "heatmap":
		need = map[string]string{"z": ps.Z}
	}
	for _, k := range []string{"x", "y", "z"} {
		name := need[k]
		if name == "" {
			continue
		}
		if s, ok := p.spec.syms[name]; ok && s.kind == symStr {
			n := it
			if pairs, ok := p.r.pairs(it); ok {
				for _, e := range pairs {
					if keyString(e) == k {
						n = e.Value
					}
				}
			}
			p.errorf(n, key+"."+k, ErrBadType, "%q is a text column; a %s figure's %s must be a number", name, ps.Kind, k)
		}
	}
}

// A Filter is a plot's `where:` expression, compiled over the columns of a
// run's results: the language of constraints (comparisons, and, or, not,
// arithmetic, the math functions), true for the rows a figure keeps. Set
// the values of the columns it uses (Uses) in Num and Str, then call
// Match. A Filter holds one row: one goroutine uses it at a time.
type Filter struct {
	Src  string
	Uses []FilterVar // the columns the expression reads, in order of first use
	Num  []float64   // numbers and booleans (0/1), by FilterVar.Slot
	Str  []string    // text, by FilterVar.Slot
	c    *compiled
	r    row // Num and Str, held here so that Match does not allocate
	vm   vm.VM
}

// A FilterVar is a column a Filter reads: its value goes in Filter.Str[Slot]
// when Text, else in Filter.Num[Slot] (booleans as 0 or 1).
type FilterVar struct {
	Name string
	Text bool // a string column
	Bool bool // a boolean column, 0 or 1 in Num
	Slot int
}

// CompileFilter checks and compiles src, a boolean expression over the
// columns text (names, strings), boolean and numeric (any other name is an
// error that names it).
func CompileFilter(src string, numeric, text, boolean []string) (*Filter, error) {
	syms := symbols{}
	var nNum, nStr int
	for _, n := range numeric {
		syms[n] = &symbol{kind: symNum, slot: nNum}
		nNum++
	}
	for _, n := range boolean {
		syms[n] = &symbol{kind: symNum, slot: nNum, boolean: true}
		nNum++
	}
	for _, n := range text {
		syms[n] = &symbol{kind: symStr, slot: nStr}
		nStr++
	}
	c, err := compileExpr(src, syms, true)
	if err != nil {
		return nil, fmt.Errorf("where %q: %w", src, err)
	}
	f := &Filter{Src: src, Num: make([]float64, nNum), Str: make([]string, nStr), c: c}
	f.r = row{num: f.Num, str: f.Str}
	for _, n := range c.names {
		s := syms[n]
		f.Uses = append(f.Uses, FilterVar{Name: n, Text: s.kind == symStr, Bool: s.boolean, Slot: s.slot})
	}
	return f, nil
}

// Match reports whether the row in Num and Str satisfies the expression.
func (f *Filter) Match() (bool, error) {
	if f.c.fn != nil {
		return f.c.fn(&f.r) != 0, nil
	}
	env := map[string]any{}
	for _, u := range f.Uses {
		switch {
		case u.Text:
			env[u.Name] = f.Str[u.Slot]
		case u.Bool:
			env[u.Name] = f.Num[u.Slot] != 0
		default:
			env[u.Name] = f.Num[u.Slot]
		}
	}
	v, err := f.c.eval(&f.r, env, &f.vm)
	if err != nil {
		return false, fmt.Errorf("where %q: %w", f.Src, err)
	}
	return v != 0, nil
}
