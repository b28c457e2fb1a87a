package dse

import (
	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
)

func (p *specParser) grid(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	pairs, ok := p.r.pairs(kv.Value)
	if !ok {
		p.errorf(kv.Value, "grid", ErrBadType, "want a mapping of parameter: values, got %s", p.r.kindOf(kv.Value))
		return
	}
	if len(pairs) == 0 {
		p.errorf(kv.Value, "grid", ErrEmptyAxis, "the grid has no parameters")
	}
	for _, e := range pairs {
		pr := p.param(e, "grid")
		if pr == nil {
			continue
		}
		vals := p.axisValues(pr, e.Value, "grid."+pr.Name)
		if len(vals) == 0 {
			continue
		}
		l, c := pos(e.Key)
		ax := Axis{Params: []*engine.Param{pr}, Line: l, Col: c}
		for _, v := range vals {
			ax.Values = append(ax.Values, []engine.Value{v})
		}
		p.spec.Axes = append(p.spec.Axes, ax)
	}
}

// axisValues reads a list, a range or a single value.
func (p *specParser) axisValues(pr *engine.Param, n ast.Node, key string) []engine.Value {
	if items, ok := p.r.items(n); ok {
		if len(items) == 0 {
			p.errorf(n, key, ErrEmptyAxis, "the list is empty")
			return nil
		}
		var out []engine.Value
		for _, it := range items {
			out = append(out, p.scalarValues(pr, it, key)...)
		}
		return out
	}
	if pairs, ok := p.r.pairs(n); ok {
		return p.rangeValues(pr, n, pairs, key)
	}
	if _, ok := p.r.scalarOf(n); ok {
		return p.scalarValues(pr, n, key)
	}
	p.errorf(n, key, ErrEmptyAxis, "no values: want a list, a range {from, to, ...} or one value")
	return nil
}

// size computes the number of configurations, refusing grids beyond 2^62.
func (p *specParser) size() {
	n := uint64(1)
	for _, ax := range p.spec.Axes {
		l := uint64(ax.Len())
		if l == 0 {
			return
		}
		if n > maxSize/l {
			p.errorf(nil, "grid", ErrTooLarge, "the grid has more than 2^62 configurations")
			return
		}
		n *= l
	}
	p.spec.size = n
}
