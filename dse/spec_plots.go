package dse

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/registry"
)

var plotKeys = []string{"kind", "x", "y", "color", "group", "formats"}

// PlotKinds are the figure kinds a plot entry and `sweep plot --kind` accept.
var PlotKinds = []string{"roofline", "pareto", "lines", "heatmap"}

func (p *specParser) plots(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	items, ok := p.r.items(kv.Value)
	if !ok {
		p.errorf(kv.Value, "plots", ErrBadType, "want a list of {kind, x, y, color, group, formats}")
		return
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
			sc, ok := p.r.scalarOf(e.Value)
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
			case "x", "y", "color", "group":
				if _, ok := p.spec.syms[sc.str]; !ok {
					msg := fmt.Sprintf("%q is not a column of this sweep", sc.str)
					if sug := registry.Suggest(sc.str, p.allNames()); len(sug) > 0 {
						msg += fmt.Sprintf("; did you mean %q?", sug[0])
					}
					p.errorf(e.Value, key+"."+k, ErrBadValue, "%s", msg)
				}
				switch k {
				case "x":
					ps.X = sc.str
				case "y":
					ps.Y = sc.str
				case "color":
					ps.Color = sc.str
				case "group":
					ps.Group = sc.str
				}
			}
		}
		if ps.Kind == "" {
			p.errorf(it, key, ErrMissing, "a plot needs a kind (%s)", strings.Join(PlotKinds, ", "))
		}
		p.numericPlotColumns(it, key, ps)
		p.spec.Plots = append(p.spec.Plots, ps)
	}
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
// colour (the value of each cell) of a heatmap. Found here, the mistake
// costs nothing; found by the figure, it costs the whole run.
func (p *specParser) numericPlotColumns(it ast.Node, key string, ps PlotSpec) {
	var need map[string]string
	switch ps.Kind {
	case "lines", "pareto":
		need = map[string]string{"x": ps.X, "y": ps.Y}
	case "heatmap":
		need = map[string]string{"color": ps.Color}
	}
	for _, k := range []string{"x", "y", "color"} {
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
