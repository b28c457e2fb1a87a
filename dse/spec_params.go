package dse

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// registry loads the user registry files the sweep names, relative to it.
func (p *specParser) registry(kv *ast.MappingValueNode) {
	p.spec.Registry = nil
	if kv == nil && len(p.regFiles) == 0 {
		reg, err := registry.Embedded()
		if err != nil {
			p.errorf(nil, "registry", ErrBadValue, "%v", err)
			return
		}
		p.spec.Registry = reg
		return
	}
	reg, err := registry.New()
	if err != nil {
		p.errorf(nodeOf(kv), "registry", ErrBadValue, "%v", err)
		return
	}
	p.spec.Registry = reg
	for _, f := range p.regFiles {
		if err := reg.AddFile(f); err != nil {
			p.errs = append(p.errs, &SpecError{File: p.file, Key: "registry", Err: fmt.Errorf("%w: --registry: %v", ErrBadValue, err)})
		}
	}
	if kv == nil {
		return
	}
	var files []ast.Node
	if items, ok := p.r.items(kv.Value); ok {
		files = items
	} else {
		files = []ast.Node{kv.Value}
	}
	for _, n := range files {
		sc, ok := p.r.scalarOf(n)
		if !ok || !sc.isStr {
			p.errorf(n, "registry", ErrBadType, "want a file name, got %s", p.r.kindOf(n))
			continue
		}
		path := sc.str
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(p.file), path)
		}
		if err := reg.AddFile(path); err != nil {
			p.errorf(n, "registry", ErrBadValue, "%v", err)
		}
	}
}

// param looks up a parameter name from a key, reporting unknown names.
func (p *specParser) param(kv *ast.MappingValueNode, section string) *engine.Param {
	k := keyString(kv)
	pr := engine.LookupParam(k)
	if pr == nil {
		msg := fmt.Sprintf("%q is not a parameter (sweep eval --help lists them)", k)
		if sug := registry.Suggest(k, engine.ParamNames()); len(sug) > 0 {
			msg = fmt.Sprintf("%q is not a parameter; did you mean %s?", k, strings.Join(quote(sug), ", "))
		}
		p.errorf(kv.Key, section+"."+k, ErrNoSuchParam, "%s", msg)
		return nil
	}
	if prev, dup := p.declared[k]; dup {
		l, c := pos(prev)
		p.errorf(kv.Key, section+"."+k, ErrDuplicate, "parameter %q is already given at line %d, column %d", k, l, c)
		return nil
	}
	p.declared[k] = kv.Key
	p.keys[k] = section + "." + k
	return pr
}

// scalarValues reads one scalar for param pr; a name with '*' expands to
// every matching registry entry.
func (p *specParser) scalarValues(pr *engine.Param, n ast.Node, key string) []engine.Value {
	sc, ok := p.r.scalarOf(n)
	if !ok {
		p.errorf(n, key, ErrBadType, "want a value, got %s", p.r.kindOf(n))
		return nil
	}
	reg := p.spec.Registry
	if reg == nil {
		return nil
	}
	if sc.isStr && pr.Type == engine.TypeRef && strings.Contains(sc.str, "*") {
		vals := p.glob(pr, sc.str)
		if len(vals) == 0 {
			p.errorf(n, key, ErrEmptyAxis, "%q matches no %s", sc.str, pr.RefKind)
		}
		return vals
	}
	var v engine.Value
	var err error
	switch {
	case sc.isNum && (pr.Type == engine.TypeInt || pr.Type == engine.TypeFloat):
		v, err = p.number(pr, sc.num)
	case sc.isBool && pr.Type == engine.TypeBool:
		v, err = pr.Number(b2f(sc.b))
	case sc.isBool:
		err = fmt.Errorf("%s: want a %s, got a boolean", pr.Name, pr.Type)
	default:
		v, err = pr.Parse(reg, sc.str)
	}
	if err != nil {
		p.errorf(n, key, ErrBadValue, "%v", err)
		return nil
	}
	return []engine.Value{v}
}

// glob expands a registry pattern such as "Cloud.*", "Cloud.accelerator.*"
// (single accelerators, no racks or wafers) or "H*" to the matching entries,
// in registry order.
func (p *specParser) glob(pr *engine.Param, pattern string) []engine.Value {
	reg := p.spec.Registry
	var keys []string
	switch pr.RefKind {
	case registry.KindHardware: // by key, tier and form: registry.MatchHardware
		for _, h := range reg.MatchHardware(pattern) {
			keys = append(keys, h.Key)
		}
	case registry.KindModel:
		for _, m := range reg.MatchModels(pattern) {
			keys = append(keys, m.Key)
		}
	default:
		for _, k := range reg.Keys(pr.RefKind) {
			short := k[strings.LastIndexByte(k, '.')+1:]
			m1, _ := filepath.Match(strings.ToLower(pattern), strings.ToLower(k))
			m2, _ := filepath.Match(strings.ToLower(pattern), strings.ToLower(short))
			if m1 || m2 {
				keys = append(keys, short)
			}
		}
	}
	var out []engine.Value
	for _, k := range keys {
		if v, err := pr.Parse(reg, k); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func (p *specParser) fixed(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	pairs, ok := p.r.pairs(kv.Value)
	if !ok {
		p.errorf(kv.Value, "fixed", ErrBadType, "want a mapping of parameter: value, got %s", p.r.kindOf(kv.Value))
		return
	}
	for _, e := range pairs {
		pr := p.param(e, "fixed")
		if pr == nil {
			continue
		}
		key := "fixed." + pr.Name
		if _, isList := p.r.items(e.Value); isList {
			p.errorf(e.Value, key, ErrBadType, "a fixed parameter takes one value; put lists under grid")
			continue
		}
		vals := p.scalarValues(pr, e.Value, key)
		if len(vals) != 1 {
			if len(vals) > 1 {
				p.errorf(e.Value, key, ErrBadType, "a fixed parameter takes one value; this pattern matches %d", len(vals))
			}
			continue
		}
		pr.Apply(&p.spec.Base, vals[0])
		p.spec.Fixed = append(p.spec.Fixed, Binding{pr, vals[0]})
	}
}

// checkRequired reports model and hardware missing from the whole sweep.
func (p *specParser) checkRequired(root ast.Node) {
	if len(p.errs) > 0 {
		return
	}
	for _, name := range []string{"model", "hardware"} {
		if _, ok := p.declared[name]; ok || p.declaredAny("scenario") {
			continue
		}
		if name == "hardware" && p.declaredAny(hardwareAlternatives...) {
			continue
		}
		p.errorf(root, "", ErrMissing, "parameter %q is given nowhere: put it under fixed or grid", name)
	}
}

// hardwareAlternatives are parameters that name the hardware indirectly
// (a cluster); set by the models that define them.
var hardwareAlternatives = []string{"system", "scenario"}

func (p *specParser) declaredAny(names ...string) bool {
	for _, n := range names {
		if _, ok := p.declared[n]; ok {
			return true
		}
	}
	return false
}

// checkUse refuses a parameter that no mode of the sweep uses, at the
// position it is given (engine.UnusedInModes), and notes one that no
// fidelity of the sweep uses (engine.UnusedUnderFidelities), and refuses
// one set without the parameter it needs (engine.UnsetNeeds). With a mode
// or fidelity axis, a parameter is used when one value of the axis uses
// it.
func (p *specParser) checkUse() {
	s := p.spec
	fids := engine.FidelityMask(1) << s.Base.Fidelity
	for _, ax := range s.Axes {
		for k, pr := range ax.Params {
			if pr.Name != "fidelity" {
				continue
			}
			fids = 0
			for _, v := range ax.Values {
				fids |= engine.FidelityMask(1) << engine.Fidelity(v[k].F)
			}
		}
	}
	for _, pr := range engine.Params() {
		n, ok := p.declared[pr.Name]
		if !ok {
			continue
		}
		if err := engine.UnusedInModes(pr, s.Modes); err != nil {
			p.errorf(n, p.keys[pr.Name], ErrUnusedParam, "%v", err)
			continue
		}
		if err := engine.UnsetNeeds(pr, func(name string) bool { _, ok := p.declared[name]; return ok }); err != nil {
			p.errorf(n, p.keys[pr.Name], ErrUnusedParam, "%v", err)
			continue
		}
		if note := engine.UnusedUnderFidelitiesIn(pr, s.Modes, fids); note != "" {
			l, c := pos(n)
			s.Notes = append(s.Notes, (&SpecError{File: p.file, Line: l, Col: c, Key: p.keys[pr.Name], Err: errors.New(note)}).Error())
		}
	}
}

// modes works out which modes the sweep produces.
func (p *specParser) modes() {
	s := p.spec
	s.Modes = engine.ModeMask(1) << s.Base.Mode
	for _, ax := range s.Axes {
		for k, pr := range ax.Params {
			if pr.Name != "mode" {
				continue
			}
			s.Modes = 0
			for _, v := range ax.Values {
				s.Modes |= engine.ModeMask(1) << engine.Mode(v[k].F)
			}
		}
	}
}

// buildSymbols gives every parameter and output a row slot, so that
// expressions can name them.
func (p *specParser) buildSymbols() {
	s := p.spec
	s.syms = symbols{}
	reg := s.Registry
	for _, pr := range engine.Params() {
		if pr.Type == engine.TypeEnum || pr.Type == engine.TypeRef || pr.Type == engine.TypeText {
			pr := pr
			s.syms[pr.Name] = &symbol{kind: symStr, slot: s.nStr, canon: func(lit string) (string, error) {
				if reg == nil {
					return lit, nil
				}
				v, err := pr.Parse(reg, lit)
				return v.S, err
			}}
			s.nStr++
		} else {
			sym := &symbol{kind: symNum, slot: s.nNum, boolean: pr.Type == engine.TypeBool}
			if !sym.boolean {
				sym.dim, sym.hasDim = dimOfUnit(pr.Unit)
			}
			s.syms[pr.Name] = sym
			s.nNum++
		}
	}
	for _, o := range engine.Outputs() {
		if _, clash := s.syms[o.Name]; clash {
			continue
		}
		if o.Type == engine.OutString {
			s.syms[o.Name] = &symbol{kind: symStr, slot: s.nStr, isOutput: true}
			s.nStr++
		} else {
			sym := &symbol{kind: symNum, slot: s.nNum, isOutput: true, boolean: o.Type == engine.OutBool}
			if !sym.boolean {
				sym.dim, sym.hasDim = dimOfUnit(o.Unit)
			}
			s.syms[o.Name] = sym
			s.nNum++
		}
	}
}
