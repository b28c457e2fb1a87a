package dse

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
)

// gridEntry is one parameter of the grid section before its values are
// produced.
type gridEntry struct {
	kv    *ast.MappingValueNode
	pr    *engine.Param
	key   string
	rng   *Range // a range; nil for a list or one value
	bound int    // at most this many values
}

// grid reads the grid section. The number of configurations is checked
// against 2^53 from each axis's length, computed arithmetically for
// ranges, before any axis is expanded, so a grid too large is refused at
// once and at the axis that makes it so.
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
	var entries []gridEntry
	total := uint64(1)
	for _, e := range pairs {
		pr := p.param(e, "grid")
		if pr == nil {
			continue
		}
		g := gridEntry{kv: e, pr: pr, key: "grid." + pr.Name, bound: 1}
		if items, ok := p.r.items(e.Value); ok {
			g.bound = len(items) // a pattern counts once: a lower bound
		} else if rpairs, ok := p.r.pairs(e.Value); ok {
			r, ok := p.decodeRange(pr, e.Value, rpairs, g.key)
			if !ok {
				continue
			}
			if g.bound = p.rangeLen(pr, e.Value, r, g.key); g.bound == 0 {
				continue
			}
			g.rng = &r
		}
		if g.bound > 0 && total > maxSize/uint64(g.bound) {
			p.errorf(e.Key, g.key, ErrTooLarge, "the grid has more than 2^53 configurations (found before expanding it: this axis has %d values)", g.bound)
			return
		}
		total *= uint64(max(g.bound, 1))
		entries = append(entries, g)
	}
	for _, g := range entries {
		var vals []engine.Value
		if g.rng != nil {
			vals = p.rangeValues(g.pr, g.kv.Value, *g.rng, g.key)
		} else {
			vals = p.axisValues(g.pr, g.kv.Value, g.key)
		}
		if len(vals) == 0 {
			continue
		}
		l, c := pos(g.kv.Key)
		ax := Axis{Params: []*engine.Param{g.pr}, Line: l, Col: c}
		ax.Values = make([][]engine.Value, len(vals))
		for j, v := range vals {
			ax.Values[j] = []engine.Value{v}
		}
		p.spec.Axes = append(p.spec.Axes, ax)
	}
}

// axisValues reads a list or a single value.
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
	if _, ok := p.r.scalarOf(n); ok {
		return p.scalarValues(pr, n, key)
	}
	p.errorf(n, key, ErrEmptyAxis, "no values: want a list, a range {from, to, ...} or one value")
	return nil
}

// size computes the number of configurations, refusing grids beyond 2^53
// at the axis that takes the count past it.
func (p *specParser) size() {
	n := uint64(1)
	for _, ax := range p.spec.Axes {
		l := uint64(ax.Len())
		if l == 0 {
			return
		}
		if n > maxSize/l {
			p.errs = append(p.errs, &SpecError{File: p.file, Line: ax.Line, Col: ax.Col, Key: "grid",
				Err: fmt.Errorf("%w: the grid has more than 2^53 configurations", ErrTooLarge)})
			return
		}
		n *= l
	}
	p.spec.size = n
}
