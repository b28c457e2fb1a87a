package dse

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Sentinel causes of SpecErrors, for errors.Is.
var (
	ErrUnknownKey  = errors.New("unknown key")
	ErrEmptyAxis   = errors.New("empty axis")
	ErrBadValue    = errors.New("bad value")
	ErrBadType     = errors.New("wrong type")
	ErrDuplicate   = errors.New("declared twice")
	ErrMissing     = errors.New("missing")
	ErrBadExpr     = errors.New("bad expression")
	ErrTooLarge    = errors.New("grid too large")
	ErrYAMLSyntax  = errors.New("YAML syntax")
	ErrNoSuchParam = errors.New("unknown parameter")
)

// SpecError is one problem in a sweep file, at a position.
type SpecError struct {
	File      string
	Line, Col int
	Key       string // the dotted key it concerns, e.g. "grid.batch_size"
	Err       error
}

func (e *SpecError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %v", loc, e.Key, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *SpecError) Unwrap() error { return e.Err }

// SpecErrors is every problem found in a sweep file, in file order.
type SpecErrors []*SpecError

func (es SpecErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As access to each error.
func (es SpecErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Binding is a parameter with one value.
type Binding struct {
	Param *engine.Param
	Value engine.Value
}

// Axis is one dimension of the grid: one parameter's values, or several
// parameters that advance together (a zip).
type Axis struct {
	Params []*engine.Param
	Values [][]engine.Value // Values[j][k]: the value of Params[k] at position j
	Line   int
	Col    int
}

// Len returns the number of positions of the axis.
func (a *Axis) Len() int { return len(a.Values) }

// Derived is a named expression over parameters, computed per row before
// evaluation. When Name is a parameter of the vocabulary, the value sets it.
type Derived struct {
	Name  string
	Param *engine.Param // nil: an extra column only
	expr  *compiled
}

// Constraint is a boolean expression; rows for which it is false are not
// written.
type Constraint struct {
	Src  string
	expr *compiled
}

// PlotSpec asks the run for a figure (see package plots).
type PlotSpec struct {
	Kind    string   // roofline, pareto, lines, heatmap
	X, Y    string   // columns
	Color   string   // column to colour by
	Group   string   // column to draw one line per value of
	Formats []string // png, svg, pdf
}

// OutputOptions say what the run writes.
type OutputOptions struct {
	Formats      []string // "parquet" (default), "arrow"
	Columns      []string // outputs to write; empty = every output of the sweep's modes
	RowGroupRows int      // configurations per row group (default 65536)
	PartRows     int64    // configurations per part file (default 1<<19)
}

// Spec is a parsed, validated, resolved sweep file.
type Spec struct {
	File        string
	Hash        string // SHA-256 of the file's bytes, hex
	Source      []byte
	Name        string
	Description string
	Registry    *registry.Registry
	Base        engine.Config // defaults with the fixed parameters applied
	Fixed       []Binding
	Axes        []Axis // grid axes in file order, then the zips; the last varies fastest
	Derived     []*Derived
	Constraints []*Constraint
	Objectives  []Objective
	GroupBy     []string
	Outputs     OutputOptions
	Plots       []PlotSpec
	Modes       engine.ModeMask // the modes the sweep can produce
	size        uint64
	syms        symbols
	nNum, nStr  int
}

// Size returns the number of configurations of the grid.
func (s *Spec) Size() uint64 { return s.size }

// maxSize bounds the grid so indexes fit an int64 everywhere.
const maxSize = 1 << 62

var topKeys = []string{"name", "description", "registry", "fixed", "grid", "zip", "derived", "constraints", "objectives", "group_by", "outputs", "plots"}

// LoadSpec reads and parses the sweep file at path. Registry files it
// names are read relative to it.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSpec(path, data)
}

// ParseSpec parses a sweep file's bytes; name is used in messages and to
// resolve relative registry files. Every problem is reported at once, as a
// SpecErrors.
func ParseSpec(name string, data []byte) (*Spec, error) {
	sum := sha256.Sum256(data)
	s := &Spec{File: name, Source: data, Hash: hex.EncodeToString(sum[:])}
	p := &specParser{file: name, spec: s, declared: map[string]ast.Node{}}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, SpecErrors{yamlError(name, err)}
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, SpecErrors{{File: name, Line: 1, Col: 1, Err: fmt.Errorf("%w: the file is empty; a sweep needs at least a grid", ErrMissing)}}
	}
	if len(f.Docs) > 1 {
		return nil, SpecErrors{{File: name, Line: 1, Col: 1, Err: fmt.Errorf("%w: one YAML document per sweep file", ErrBadType)}}
	}
	root := f.Docs[0].Body
	p.r = newResolver(root)
	pairs, ok := p.r.pairs(root)
	if !ok {
		p.errorf(root, "", ErrBadType, "a sweep file is a mapping of %s, got %s", strings.Join(topKeys, ", "), p.r.kindOf(root))
		return nil, p.errs
	}
	byKey := map[string]*ast.MappingValueNode{}
	for _, kv := range pairs {
		k := keyString(kv)
		if !contains(topKeys, k) {
			p.unknownKey(kv, "", k, topKeys)
			continue
		}
		if _, dup := byKey[k]; dup {
			p.errorf(kv.Key, k, ErrDuplicate, "key %q appears twice", k)
			continue
		}
		byKey[k] = kv
	}
	p.registry(byKey["registry"])
	s.Base = engine.DefaultConfig()
	s.Name = p.str(byKey["name"], "name")
	s.Description = p.str(byKey["description"], "description")
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	if !validName.MatchString(s.Name) {
		p.errorf(nodeOf(byKey["name"]), "name", ErrBadValue, "%q: use letters, digits, '-', '_' and '.' (it names the output folder)", s.Name)
	}
	p.fixed(byKey["fixed"])
	p.grid(byKey["grid"])
	p.zips(byKey["zip"])
	if len(s.Axes) == 0 && byKey["grid"] == nil && byKey["zip"] == nil && len(p.errs) == 0 {
		p.errorf(root, "grid", ErrMissing, "a sweep needs a grid (or a zip) of at least one parameter")
	}
	p.checkRequired(root)
	p.modes()
	p.buildSymbols()
	p.derived(byKey["derived"])
	p.constraints(byKey["constraints"])
	p.objectives(byKey["objectives"])
	p.groupBy(byKey["group_by"])
	p.outputs(byKey["outputs"])
	p.plots(byKey["plots"])
	p.size()
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool {
			a, b := p.errs[i], p.errs[j]
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return nil, p.errs
	}
	return s, nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func nodeOf(kv *ast.MappingValueNode) ast.Node {
	if kv == nil {
		return nil
	}
	return kv.Value
}

func yamlError(file string, err error) *SpecError {
	var line, col int
	msg := err.Error()
	type positioned interface{ GetToken() any }
	// goccy's syntax errors print "[line:col] message" on their first line.
	if _, e := fmt.Sscanf(msg, "[%d:%d]", &line, &col); e == nil {
		if i := strings.Index(msg, "] "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return &SpecError{File: file, Line: line, Col: col, Err: fmt.Errorf("%w: %s", ErrYAMLSyntax, msg)}
}

type specParser struct {
	file     string
	r        *resolver
	spec     *Spec
	errs     SpecErrors
	declared map[string]ast.Node // parameter → where it was first given
}

func (p *specParser) errorf(n ast.Node, key string, kind error, format string, args ...any) {
	l, c := pos(n)
	p.errs = append(p.errs, &SpecError{File: p.file, Line: l, Col: c, Key: key, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))})
}

func (p *specParser) unknownKey(kv *ast.MappingValueNode, prefix, k string, known []string) {
	msg := fmt.Sprintf("%q is not a key here (known: %s)", k, strings.Join(known, ", "))
	if sug := registry.Suggest(k, known); len(sug) > 0 {
		msg = fmt.Sprintf("%q is not a key here; did you mean %q?", k, sug[0])
	}
	p.errorf(kv.Key, strings.TrimPrefix(prefix+"."+k, "."), ErrUnknownKey, "%s", msg)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *specParser) str(kv *ast.MappingValueNode, key string) string {
	if kv == nil {
		return ""
	}
	sc, ok := p.r.scalarOf(kv.Value)
	if !ok || !sc.isStr {
		p.errorf(kv.Value, key, ErrBadType, "want a string, got %s", p.r.kindOf(kv.Value))
		return ""
	}
	return sc.str
}

// registry loads the user registry files the sweep names, relative to it.
func (p *specParser) registry(kv *ast.MappingValueNode) {
	p.spec.Registry = nil
	if kv == nil {
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
		p.errorf(kv.Value, "registry", ErrBadValue, "%v", err)
		return
	}
	p.spec.Registry = reg
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
	return pr
}

func quote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
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
		v, err = pr.Number(sc.num)
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

// glob expands a registry pattern such as "Cloud.*" or "H*" to the matching
// entries, in registry order.
func (p *specParser) glob(pr *engine.Param, pattern string) []engine.Value {
	reg := p.spec.Registry
	var names []string
	switch pr.RefKind {
	case registry.KindHardware:
		for _, h := range reg.HardwareList {
			names = append(names, h.Tier+"."+h.Key)
		}
	case registry.KindModel:
		for _, m := range reg.ModelList {
			names = append(names, m.Family+"."+m.Key)
		}
	default:
		names = reg.Keys(pr.RefKind)
	}
	var out []engine.Value
	for _, full := range names {
		short := full[strings.LastIndexByte(full, '.')+1:]
		m1, _ := filepath.Match(strings.ToLower(pattern), strings.ToLower(full))
		m2, _ := filepath.Match(strings.ToLower(pattern), strings.ToLower(short))
		if m1 || m2 {
			v, err := pr.Parse(reg, short)
			if err == nil {
				out = append(out, v)
			}
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

var rangeKeys = []string{"from", "to", "step", "num", "scale"}

// rangeValues expands {from, to, step | num, scale: linear|log2|log10}.
func (p *specParser) rangeValues(pr *engine.Param, n ast.Node, pairs []*ast.MappingValueNode, key string) []engine.Value {
	if pr.Type != engine.TypeInt && pr.Type != engine.TypeFloat {
		p.errorf(n, key, ErrBadType, "a range needs a numeric parameter; %s takes %s values: list them", pr.Name, pr.Type)
		return nil
	}
	var from, to, step, num float64
	var has = map[string]bool{}
	scale := "linear"
	for _, e := range pairs {
		k := keyString(e)
		if !contains(rangeKeys, k) {
			p.unknownKey(e, key, k, rangeKeys)
			continue
		}
		has[k] = true
		sc, ok := p.r.scalarOf(e.Value)
		if k == "scale" {
			if !ok || !sc.isStr || !contains([]string{"linear", "log2", "log10", "log"}, sc.str) {
				p.errorf(e.Value, key+".scale", ErrBadValue, "want linear, log2, log10 or log")
				return nil
			}
			scale = sc.str
			continue
		}
		var v float64
		if ok && sc.isNum {
			v = sc.num
		} else if ok && sc.isStr {
			pv, err := pr.Parse(p.spec.Registry, sc.str) // "50 ms"
			if err != nil {
				p.errorf(e.Value, key+"."+k, ErrBadValue, "%v", err)
				return nil
			}
			v = pv.F
		} else {
			p.errorf(e.Value, key+"."+k, ErrBadType, "want a number, got %s", p.r.kindOf(e.Value))
			return nil
		}
		switch k {
		case "from":
			from = v
		case "to":
			to = v
		case "step":
			step = v
		case "num":
			num = v
		}
	}
	if !has["from"] || !has["to"] {
		p.errorf(n, key, ErrMissing, "a range needs from and to")
		return nil
	}
	if has["step"] && has["num"] {
		p.errorf(n, key, ErrBadValue, "give step or num, not both")
		return nil
	}
	var xs []float64
	const maxAxis = 1 << 20 // values per axis; longer axes belong in several sweeps or a zip
	switch {
	case has["num"]:
		if num < 1 || num != math.Trunc(num) || num > maxAxis {
			p.errorf(n, key+".num", ErrBadValue, "num must be a whole number in [1, %d]", maxAxis)
			return nil
		}
		for i := 0; i < int(num); i++ {
			t := 0.0
			if num > 1 {
				t = float64(i) / (num - 1)
			}
			if scale == "linear" {
				xs = append(xs, from+t*(to-from))
			} else {
				if from <= 0 || to <= 0 {
					p.errorf(n, key, ErrBadValue, "a %s range needs from and to > 0", scale)
					return nil
				}
				xs = append(xs, from*math.Pow(to/from, t))
			}
		}
	case scale == "linear":
		if !has["step"] {
			if pr.Type != engine.TypeInt {
				p.errorf(n, key, ErrMissing, "a linear range of a real parameter needs step or num")
				return nil
			}
			step = 1
		}
		if step <= 0 {
			p.errorf(n, key+".step", ErrBadValue, "step must be > 0")
			return nil
		}
		if (to-from)/step > maxAxis {
			p.errorf(n, key, ErrTooLarge, "the range has more than %d values", maxAxis)
			return nil
		}
		for i := 0; ; i++ {
			x := from + float64(i)*step
			if x > to*(1+1e-12)+1e-12 {
				break
			}
			xs = append(xs, x)
		}
	default: // log2, log10, log: from, from·b, from·b², ... ≤ to
		base := map[string]float64{"log2": 2, "log10": 10, "log": 2}[scale]
		if has["step"] {
			base = step
		}
		if from <= 0 || base <= 1 {
			p.errorf(n, key, ErrBadValue, "a %s range needs from > 0 (and step, the factor, > 1)", scale)
			return nil
		}
		for x := from; x <= to*(1+1e-12); x *= base {
			xs = append(xs, x)
			if len(xs) > maxAxis {
				break
			}
		}
	}
	if len(xs) == 0 {
		p.errorf(n, key, ErrEmptyAxis, "the range from %v to %v is empty", from, to)
		return nil
	}
	var out []engine.Value
	seen := map[float64]bool{}
	for _, x := range xs {
		if pr.Type == engine.TypeInt {
			x = math.Round(x)
		}
		if seen[x] {
			continue
		}
		seen[x] = true
		v, err := pr.Number(x)
		if err != nil {
			p.errorf(n, key, ErrBadValue, "%v", err)
			return nil
		}
		out = append(out, v)
	}
	return out
}

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
		d := &Derived{Name: name, expr: c, Param: engine.LookupParam(name)}
		if d.Param != nil && d.Param.Type != engine.TypeInt && d.Param.Type != engine.TypeFloat && d.Param.Type != engine.TypeBool {
			p.errorf(e.Key, key, ErrBadType, "parameter %s takes names; a derived value is a number", name)
			continue
		}
		if d.Param != nil {
			p.declared[name] = e.Key
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
		p.spec.Constraints = append(p.spec.Constraints, &Constraint{Src: src, expr: c})
	}
}

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

var outputKeys = []string{"formats", "columns", "row_group_rows", "part_rows"}

func (p *specParser) outputs(kv *ast.MappingValueNode) {
	o := &p.spec.Outputs
	o.Formats = []string{"parquet"}
	o.RowGroupRows = 1 << 16
	o.PartRows = 1 << 19
	if kv == nil {
		return
	}
	pairs, ok := p.r.pairs(kv.Value)
	if !ok {
		p.errorf(kv.Value, "outputs", ErrBadType, "want a mapping of %s", strings.Join(outputKeys, ", "))
		return
	}
	for _, e := range pairs {
		k := keyString(e)
		key := "outputs." + k
		switch k {
		case "formats", "columns":
			items, ok := p.r.items(e.Value)
			if !ok {
				items = []ast.Node{e.Value}
			}
			var vals []string
			for _, it := range items {
				sc, ok := p.r.scalarOf(it)
				if !ok || !sc.isStr {
					p.errorf(it, key, ErrBadType, "want a name")
					continue
				}
				if k == "formats" && !contains([]string{"parquet", "arrow"}, sc.str) {
					p.errorf(it, key, ErrBadValue, "%q: formats are parquet and arrow", sc.str)
					continue
				}
				if k == "columns" && engine.LookupOutput(sc.str) == nil {
					msg := fmt.Sprintf("%q is not an output", sc.str)
					if sug := registry.Suggest(sc.str, engine.OutputNames()); len(sug) > 0 {
						msg += fmt.Sprintf("; did you mean %q?", sug[0])
					}
					p.errorf(it, key, ErrBadValue, "%s", msg)
					continue
				}
				vals = append(vals, sc.str)
			}
			if k == "formats" {
				o.Formats = vals
			} else {
				o.Columns = vals
			}
		case "row_group_rows", "part_rows":
			sc, ok := p.r.scalarOf(e.Value)
			if !ok || !sc.isNum || sc.num < 1 || sc.num != math.Trunc(sc.num) || sc.num > 1<<40 {
				p.errorf(e.Value, key, ErrBadValue, "want a whole number ≥ 1")
				continue
			}
			if k == "row_group_rows" {
				o.RowGroupRows = int(sc.num)
			} else {
				o.PartRows = int64(sc.num)
			}
		default:
			p.unknownKey(e, "outputs", k, outputKeys)
		}
	}
	if o.RowGroupRows > 1<<22 {
		p.errorf(kv.Value, "outputs.row_group_rows", ErrBadValue, "at most %d rows per row group", 1<<22)
	}
	if o.PartRows < int64(o.RowGroupRows) {
		o.PartRows = int64(o.RowGroupRows)
	}
	o.PartRows -= o.PartRows % int64(o.RowGroupRows) // parts hold whole row groups
}

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

// buildSymbols gives every parameter and output a row slot, so that
// expressions can name them.
func (p *specParser) buildSymbols() {
	s := p.spec
	s.syms = symbols{}
	reg := s.Registry
	for _, pr := range engine.Params() {
		if pr.Type == engine.TypeEnum || pr.Type == engine.TypeRef {
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
			s.syms[pr.Name] = &symbol{kind: symNum, slot: s.nNum, boolean: pr.Type == engine.TypeBool}
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
			s.syms[o.Name] = &symbol{kind: symNum, slot: s.nNum, isOutput: true, boolean: o.Type == engine.OutBool}
			s.nNum++
		}
	}
}
