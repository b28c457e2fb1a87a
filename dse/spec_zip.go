package dse

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
)

func (p *specParser) zips(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	groups, ok := p.r.items(kv.Value)
	if !ok {
		p.errorf(kv.Value, "zip", ErrBadType, "want a list of mappings {param: [values], ...}, got %s", p.r.kindOf(kv.Value))
		return
	}
	for gi, g := range groups {
		pairs, ok := p.r.pairs(g)
		if !ok || len(pairs) == 0 {
			p.errorf(g, fmt.Sprintf("zip[%d]", gi), ErrBadType, "want a mapping {param: [values], ...}, got %s", p.r.kindOf(g))
			continue
		}
		l, c := pos(g)
		ax := Axis{Line: l, Col: c}
		var cols [][]engine.Value
		var first ast.Node
		okAll := true
		for _, e := range pairs {
			pr := p.param(e, fmt.Sprintf("zip[%d]", gi))
			if pr == nil {
				okAll = false
				continue
			}
			key := fmt.Sprintf("zip[%d].%s", gi, pr.Name)
			items, isList := p.r.items(e.Value)
			if !isList {
				p.errorf(e.Value, key, ErrBadType, "a zipped parameter takes a list, got %s", p.r.kindOf(e.Value))
				okAll = false
				continue
			}
			if len(items) == 0 {
				p.errorf(e.Value, key, ErrEmptyAxis, "the list is empty")
				okAll = false
				continue
			}
			var vals []engine.Value
			for _, it := range items {
				vs := p.scalarValues(pr, it, key)
				if len(vs) != 1 {
					okAll = false
				}
				vals = append(vals, vs...)
			}
			if len(cols) > 0 && len(vals) != len(cols[0]) && okAll {
				l0, c0 := pos(first)
				p.errorf(e.Value, key, ErrBadValue, "has %d values but the first list of this zip (line %d, column %d) has %d: zipped lists advance together", len(vals), l0, c0, len(cols[0]))
				okAll = false
				continue
			}
			if first == nil {
				first = e.Value
			}
			ax.Params = append(ax.Params, pr)
			cols = append(cols, vals)
		}
		if !okAll || len(cols) == 0 {
			continue
		}
		for j := range cols[0] {
			pos := make([]engine.Value, len(cols))
			for k := range cols {
				pos[k] = cols[k][j]
			}
			ax.Values = append(ax.Values, pos)
		}
		p.spec.Axes = append(p.spec.Axes, ax)
	}
}
