package dse

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
	ErrTooDeep     = errors.New("nested too deep")
	ErrTooBig      = errors.New("input too large")
	ErrNoSuchParam = errors.New("unknown parameter")
	ErrUnusedParam = errors.New("unused parameter")
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
	Z       string   // heatmap: the output in the cells (also spelt color)
	Color   string   // column to colour by
	Group   string   // column to draw one line per value of
	Formats []string // png, svg, pdf
	Where   string   // keep the rows where this expression is true
	OnePer  []string // one figure per value of each of these columns
	Facet   string   // small multiples: one panel per value of this column
	Bands   bool     // lines: draw y's error band (y_lo, y_hi) as error bars
	Style   PlotStyle
}

// PlotStyle is how a plot looks where it differs from its kind's defaults.
type PlotStyle struct {
	Title, XLabel, YLabel string
	Width, Height         float64    // inches (width: single = 3.5, double = 7)
	FontSize              float64    // points
	XScale, YScale        string     // log, linear
	XLimits, YLimits      [2]float64 // [lo, hi] in the column's SI unit; zero: the data's range
	Legend                string     // right, top, bottom, top-left, top-right, bottom-left, bottom-right, none
	LegendColumns         int        // columns of the legend; 0 for the position's default
	Font                  string     // font family: sans, serif, dejavu-sans, dejavu-serif
}

// OutputOptions say what the run writes.
type OutputOptions struct {
	Formats      []string // "parquet" (default), "arrow"
	Columns      []string // outputs to write; empty = every output of the sweep's modes
	RowGroupRows int      // configurations per row group (default 65536)
	PartRows     int64    // configurations per part file (default 1<<19)
	// ArrowCompression is the body compression of the Arrow files: none
	// (the default, which every Arrow reader reads), lz4 or zstd.
	ArrowCompression string
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
	// Notes are remarks on a valid file, each at its position
	// ("file:line:col: key: text"): a parameter that changes no row under
	// the sweep's fidelities (engine.UnusedUnderFidelities). `sweep check`
	// prints them, `sweep run` writes them to standard error.
	Notes      []string
	size       uint64
	syms       symbols
	nNum, nStr int
}

// Size returns the number of configurations of the grid.
func (s *Spec) Size() uint64 { return s.size }

// MaxConfigurations bounds the grid, 2^53: the largest count a float64
// holds exactly, so a configuration's index and the run's counts stay exact
// in JSON (whose readers often parse numbers as float64), in progress
// reports and in the columns of a dataframe. A run of 2^53 configurations
// at ten million a second would take 28 years: no real sweep comes near.
const MaxConfigurations = 1 << 53

const maxSize = MaxConfigurations

var topKeys = []string{"name", "description", "registry", "fixed", "grid", "zip", "derived", "constraints", "objectives", "group_by", "outputs", "plots"}

// LoadSpec reads and parses the sweep file at path. Registry files it
// names are read relative to it. The file is read as
// registry.ReadDataFile reads a data file: a regular file of at most
// MaxSpecBytes, so a device, a FIFO or a directory is refused before it is
// read.
func LoadSpec(path string) (*Spec, error) {
	data, err := registry.ReadDataFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSpec(path, data)
}

// Limits on a sweep file, checked before it is decoded so that neither a
// huge file nor a deeply nested one can make the YAML decoder's time or
// memory run away (its cost grows faster than the nesting).
const (
	// MaxSpecBytes is the largest sweep file, 16 MiB (the largest data
	// file registry.ReadDataFile reads); real sweep files are a few KiB.
	MaxSpecBytes = registry.MaxDataFileBytes
	// MaxSpecDepth is the deepest nesting of flow collections ([ and {);
	// a sweep file needs three or four levels.
	MaxSpecDepth = 64
)

// checkInput refuses a sweep file beyond MaxSpecBytes, or nested deeper
// than MaxSpecDepth in flow collections, with the position of the bracket
// that goes too deep. Brackets in quoted strings and comments do not
// count; one in a plain scalar may, which can only make the count larger.
func checkInput(name string, data []byte) *SpecError {
	if len(data) > MaxSpecBytes {
		return &SpecError{File: name, Line: 1, Col: 1, Err: fmt.Errorf("%w: the file has %d bytes, more than the %d MiB a sweep file may hold", ErrTooBig, len(data), MaxSpecBytes>>20)}
	}
	depth, line, col := 0, 1, 0
	var quote byte // the open quote, or 0
	comment := false
	prev := byte('\n')
	for _, c := range data {
		col++
		switch {
		case c == '\n':
			line, col, comment = line+1, 0, false
			if quote == 0 {
				prev = c
				continue
			}
		case comment:
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '#' && (prev == ' ' || prev == '\t' || prev == '\n'):
			comment = true
		case c == '"' || c == '\'':
			if prev == ' ' || prev == '\t' || prev == '\n' || prev == '[' || prev == '{' || prev == ',' || prev == ':' {
				quote = c
			}
		case c == '[' || c == '{':
			if depth++; depth > MaxSpecDepth {
				return &SpecError{File: name, Line: line, Col: col, Err: fmt.Errorf("%w: lists and mappings ([ and {) more than %d levels deep", ErrTooDeep, MaxSpecDepth)}
			}
		case c == ']' || c == '}':
			depth = max(depth-1, 0)
		}
		prev = c
	}
	return nil
}

// ParseSpec parses a sweep file's bytes; name is used in messages and to
// resolve relative registry files. Every problem is reported at once, as a
// SpecErrors.
func ParseSpec(name string, data []byte) (*Spec, error) {
	return ParseSpecOptions(name, data, ParseOptions{})
}

// ParseOptions are the choices outside the sweep file that shape its parse.
type ParseOptions struct {
	// RegistryFiles are user registry files (a command line's --registry)
	// added to the embedded registry before the files the sweep file's
	// registry key names.
	RegistryFiles []string
}

// ParseSpecOptions is ParseSpec with the choices of o.
func ParseSpecOptions(name string, data []byte, o ParseOptions) (*Spec, error) {
	sum := sha256.Sum256(data)
	s := &Spec{File: name, Source: data, Hash: hex.EncodeToString(sum[:])}
	p := &specParser{file: name, spec: s, declared: map[string]ast.Node{}, keys: map[string]string{}, regFiles: o.RegistryFiles}
	if e := checkInput(name, data); e != nil {
		return nil, SpecErrors{e}
	}
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
	p.checkUse()
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
	keys     map[string]string   // parameter → the dotted key it was given under
	regFiles []string            // registry files given outside the sweep file
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

func quote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
