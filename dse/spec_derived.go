package dse

import (
	"fmt"
	"regexp"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
)

func (p *specParser) derived(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	pairs, ok := p.r.pairs(kv.Value)
	if !ok {
		p.errorf(kv.Value, "derived", ErrBadType, "want a mapping of name: expression, got %s", p.r.kindOf(kv.Value))
		return
	}
	for _, e := range pairs {
		name := keyString(e)
		key := "derived." + name
		if !identRE.MatchString(name) {
			p.errorf(e.Key, key, ErrBadValue, "%q is not a valid name (letters, digits, _)", name)
			continue
		}
		if _, taken := p.spec.syms[name]; taken {
			p.errorf(e.Key, key, ErrDuplicate, "%q is already a parameter or output of this sweep", name)
			continue
		}
		src := exprSource(p.r, e.Value)
		if src == "" {
			p.errorf(e.Value, key, ErrBadType, "want an expression string")
			continue
		}
		c, err := compileExpr(src, p.spec.syms, false)
		if err != nil {
			p.errorf(e.Value, key, ErrBadExpr, "%v", err)
			continue
		}
		if c.usesOutputs {
			p.errorf(e.Value, key, ErrBadExpr, "derived values are computed before evaluation and cannot use outputs; use a constraint")
			continue
		}
		p.place(c, e.Value, key)
		d := &Derived{Name: name, expr: c, Param: engine.LookupParam(name)}
		if d.Param != nil && d.Param.Type != engine.TypeInt && d.Param.Type != engine.TypeFloat && d.Param.Type != engine.TypeBool {
			p.errorf(e.Key, key, ErrBadType, "parameter %s takes names; a derived value is a number", name)
			continue
		}
		if d.Param != nil {
			p.declared[name] = e.Key
			p.keys[name] = key
		}
		p.spec.syms[name] = &symbol{kind: symNum, slot: p.spec.nNum}
		p.spec.nNum++
		p.spec.Derived = append(p.spec.Derived, d)
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// exprSource returns the text of an expression node: a string, or a number
// or boolean written bare.
func exprSource(r *resolver, n ast.Node) string {
	sc, ok := r.scalarOf(n)
	if !ok {
		return ""
	}
	return sc.str
}

func (p *specParser) constraints(kv *ast.MappingValueNode) {
	if kv == nil {
		return
	}
	items, ok := p.r.items(kv.Value)
	if !ok {
		items = []ast.Node{kv.Value}
	}
	for i, it := range items {
		key := fmt.Sprintf("constraints[%d]", i)
		src := exprSource(p.r, it)
		if src == "" {
			p.errorf(it, key, ErrBadType, "want an expression string such as \"itl_s < 0.05\"")
			continue
		}
		c, err := compileExpr(src, p.spec.syms, true)
		if err != nil {
			p.errorf(it, key, ErrBadExpr, "%v", err)
			continue
		}
		p.place(c, it, key)
		p.spec.Constraints = append(p.spec.Constraints, &Constraint{Src: src, expr: c})
	}
}

// place records where an expression is written, for the errors it may
// raise when it runs.
func (p *specParser) place(c *compiled, n ast.Node, key string) {
	c.file, c.key = p.file, key
	c.line, c.col = pos(n)
}

// runError is the error of expression c on configuration i: a SpecError
// at the expression, marked bad input.
func (c *compiled) runError(i int64, format string, args ...any) error {
	return &InputError{Err: &SpecError{File: c.file, Line: c.line, Col: c.col, Key: c.key,
		Err: fmt.Errorf("%w: configuration %d: %s", ErrBadExpr, i, fmt.Sprintf(format, args...))}}
}
