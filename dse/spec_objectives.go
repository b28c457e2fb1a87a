package dse

import (
	"fmt"
	"sort"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

func (p *specParser) objectives(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	items, ok := p.r.items(kv.Value)
	if !ok {
		p.errorf(kv.Value, "objectives", ErrBadType, "want a list such as [{maximize: tokens_per_s}, {minimize: itl_s}]")
		return
	}
	for i, it := range items {
		key := fmt.Sprintf("objectives[%d]", i)
		pairs, ok := p.r.pairs(it)
		if !ok || len(pairs) != 1 {
			p.errorf(it, key, ErrBadType, "want {maximize: column} or {minimize: column}")
			continue
		}
		dir := keyString(pairs[0])
		if dir != "maximize" && dir != "minimize" {
			p.unknownKey(pairs[0], key, dir, []string{"maximize", "minimize"})
			continue
		}
		sc, ok := p.r.scalarOf(pairs[0].Value)
		if !ok || !sc.isStr {
			p.errorf(pairs[0].Value, key, ErrBadType, "want a column name")
			continue
		}
		s, ok := p.spec.syms[sc.str]
		if !ok || s.kind != symNum {
			msg := fmt.Sprintf("%q is not a numeric output, parameter or derived value of this sweep", sc.str)
			if sug := registry.Suggest(sc.str, p.numericNames()); len(sug) > 0 {
				msg += fmt.Sprintf("; did you mean %q?", sug[0])
			}
			p.errorf(pairs[0].Value, key, ErrBadValue, "%s", msg)
			continue
		}
		p.spec.Objectives = append(p.spec.Objectives, Objective{Name: sc.str, Maximize: dir == "maximize"})
	}
	if n := len(p.spec.Objectives); n == len(items) && (n == 1 || n > 4) {
		p.errorf(kv.Value, "objectives", ErrBadValue, "a Pareto front takes 2 to 4 objectives, got %d", n)
	}
}

func (p *specParser) numericNames() []string {
	var out []string
	for n, s := range p.spec.syms {
		if s.kind == symNum {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func (p *specParser) groupBy(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	items, ok := p.r.items(kv.Value)
	if !ok {
		items = []ast.Node{kv.Value}
	}
	for _, it := range items {
		sc, ok := p.r.scalarOf(it)
		if !ok || !sc.isStr {
			p.errorf(it, "group_by", ErrBadType, "want a parameter name")
			continue
		}
		if engine.LookupParam(sc.str) == nil {
			p.errorf(it, "group_by", ErrNoSuchParam, "%q is not a parameter", sc.str)
			continue
		}
		p.spec.GroupBy = append(p.spec.GroupBy, sc.str)
	}
	if len(p.spec.Objectives) == 0 && len(p.spec.GroupBy) > 0 {
		p.errorf(kv.Value, "group_by", ErrMissing, "group_by needs objectives")
	}
}
