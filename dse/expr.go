package dse

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/mlsysim/mlsysim-go/units"
)

// Expressions (derived values and constraints) are parsed and type-checked
// by expr-lang/expr, then lowered from its syntax tree to closures over a
// row's slots, which evaluate without allocating: expr's own VM boxes every
// float64 it pushes, which would cost an allocation per row. Syntax that the
// lowering does not cover (maps, method calls, closures) still works through
// expr's VM, at that cost.

// symKind says where an identifier's value lives in a row.
type symKind uint8

const (
	symNum symKind = iota // row.num[slot]: numbers, booleans as 0/1
	symStr                // row.str[slot]: names (registry keys, enum values, string outputs)
)

type symbol struct {
	kind     symKind
	slot     int
	isOutput bool
	boolean  bool            // a symNum holding 0/1 for false/true
	dim      units.Dimension // the dimension of its values, where hasDim
	hasDim   bool
	canon    func(string) (string, error) // canonicalises a string literal compared with it
}

// symbols maps the names an expression may use to row slots.
type symbols map[string]*symbol

// row holds one configuration's values for expressions.
type row struct {
	num []float64
	str []string
}

// compiled is a checked expression, ready to evaluate on rows.
type compiled struct {
	src         string
	fn          func(*row) float64 // lowered; nil when the VM is needed
	prog        *vm.Program        // fallback
	names       []string           // identifiers it uses
	usesOutputs bool
	isBool      bool
	// Where the expression is written, for errors found when it runs.
	file      string
	line, col int
	key       string // "derived.x", "constraints[0]"
}

// Cost limits of one expression, checked before it is parsed: the parser
// and the lowered closures recurse once per level of nesting.
const (
	MaxExprBytes = 4096 // characters of an expression's source
	MaxExprDepth = 64   // nesting of parentheses and brackets
)

// checkCost refuses an expression beyond MaxExprBytes or MaxExprDepth.
func checkCost(src string) error {
	if len(src) > MaxExprBytes {
		return fmt.Errorf("expression: %d characters, more than the %d an expression may have", len(src), MaxExprBytes)
	}
	depth := 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '(', '[', '{':
			if depth++; depth > MaxExprDepth {
				return fmt.Errorf("expression: nested more than %d levels deep (at character %d)", MaxExprDepth, i+1)
			}
		case ')', ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return nil
}

// mathFuncs are the functions sweep expressions may call, beyond expr's
// builtins (abs, ceil, floor, round, min, max).
var mathFuncs = map[string]func(float64) float64{
	"log":   math.Log,
	"log2":  math.Log2,
	"log10": math.Log10,
	"sqrt":  math.Sqrt,
	"exp":   math.Exp,
}

// compileExpr checks src against the symbols and lowers it. wantBool asks
// for a boolean result (constraints). Quantities with units in src ("50 ms")
// become their SI values (see rewriteQuantities).
func compileExpr(src string, syms symbols, wantBool bool) (*compiled, error) {
	if err := checkCost(src); err != nil {
		return nil, err
	}
	text, qs, err := rewriteQuantities(src, syms)
	if err != nil {
		return nil, err
	}
	c, err := compileRewritten(src, text, qs, syms, wantBool)
	if err != nil && qs != nil {
		return nil, errors.New(restoreQuantities(err.Error(), qs))
	}
	return c, err
}

// compileRewritten compiles text, the source src with its quantities qs
// replaced by placeholders.
func compileRewritten(src, text string, qs []quantity, syms symbols, wantBool bool) (*compiled, error) {
	env := map[string]any{}
	patch := quantityPatch{}
	byName := map[string]*quantity{}
	for k := range qs {
		env[qs[k].name] = 0.0
		patch[qs[k].name] = qs[k].value
		byName[qs[k].name] = &qs[k]
	}
	for name, s := range syms {
		switch {
		case s.kind == symStr:
			env[name] = ""
		case s.boolean:
			env[name] = false
		default:
			env[name] = 0.0
		}
	}
	opts := []expr.Option{expr.Env(env), expr.Patch(floatArith{})}
	if len(patch) > 0 {
		opts = append(opts, expr.Patch(patch))
	}
	for name, f := range mathFuncs {
		f := f
		opts = append(opts, expr.Function(name, func(a ...any) (any, error) {
			return f(toFloat(a[0])), nil
		}, new(func(float64) float64)))
	}
	opts = append(opts, expr.Function("pow", func(a ...any) (any, error) {
		return math.Pow(toFloat(a[0]), toFloat(a[1])), nil
	}, new(func(float64, float64) float64)))
	opts = append(opts, expr.Function(modFunc, func(a ...any) (any, error) {
		return math.Mod(toFloat(a[0]), toFloat(a[1])), nil
	}, new(func(float64, float64) float64)))
	opts = append(opts, expr.Function(absFunc, func(a ...any) (any, error) {
		return math.Abs(toFloat(a[0])), nil
	}, new(func(float64) float64)))
	operandOpts := opts
	if wantBool {
		opts = append(slices.Clip(opts), expr.AsBool())
	}
	prog, err := expr.Compile(text, opts...)
	if err != nil {
		return nil, cleanExprError(err)
	}
	tree, err := parser.Parse(text)
	if err != nil {
		return nil, cleanExprError(err)
	}
	if err := checkOperands(tree.Node, operandOpts); err != nil {
		return nil, err
	}
	if qs != nil {
		d := dimChecker{syms: syms, qs: byName, all: qs}
		d.dim(tree.Node)
		if d.err != nil {
			return nil, d.err
		}
	}
	if !wantBool {
		if t := prog.Node().Type(); t != nil && !numericKind(t.Kind()) {
			return nil, fmt.Errorf("expression: gives %s, not a number", t)
		}
	}
	c := &compiled{src: src, prog: prog, isBool: wantBool}
	seen := map[string]bool{}
	ast.Find(tree.Node, func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok {
			if s, ok := syms[id.Value]; ok && !seen[id.Value] {
				seen[id.Value] = true
				c.names = append(c.names, id.Value)
				c.usesOutputs = c.usesOutputs || s.isOutput
			}
		}
		return false
	})
	l := lowerer{syms: syms, qs: patch}
	if fn, ok := l.num(tree.Node); ok && l.err == nil {
		c.fn = fn
	} else if l.err != nil {
		return nil, l.err
	}
	return c, nil
}

// modFunc is the function x % y becomes in expr-lang's program, and
// absFunc the function abs(x) becomes (floatArith).
const (
	modFunc = "__mod"
	absFunc = "__abs"
)

// floatArith makes expr-lang's VM compute as the lowering does, in float64
// throughout: integer literals become floats, so that integer arithmetic
// cannot overflow and wrap (9223372036854775807 + 1 was -2^63 in the VM,
// 2^63 in the lowering), and x % y becomes math.Mod(x, y), which the VM
// would otherwise refuse for the float64 parameters and reject at run time
// for a zero divisor; and abs(x) becomes math.Abs(x), since expr-lang's
// abs keeps the sign of -0 (abs(-0) was -0 in the VM, so a / -abs(b)
// differed from the lowering in the sign of an infinity).
type floatArith struct{}

func (floatArith) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.IntegerNode:
		ast.Patch(n, &ast.FloatNode{Value: float64(x.Value)})
	case *ast.BinaryNode:
		if x.Operator == "%" {
			ast.Patch(n, &ast.CallNode{Callee: &ast.IdentifierNode{Value: modFunc}, Arguments: []ast.Node{x.Left, x.Right}})
		}
	case *ast.BuiltinNode:
		if x.Name == "abs" && len(x.Arguments) == 1 {
			ast.Patch(n, &ast.CallNode{Callee: &ast.IdentifierNode{Value: absFunc}, Arguments: x.Arguments})
		}
	}
}

// checkOperands type-checks, each on its own, the arguments of the
// functions sweeps add (log, sqrt, pow ...) and the operands of %, which
// expr-lang's checker lets through: sqrt(flag + a) compiled, the lowering
// computed it with the boolean as 0 or 1, and the VM failed at run time.
// opts are the options of the whole expression, without expr.AsBool.
func checkOperands(root ast.Node, opts []expr.Option) error {
	var err error
	ast.Find(root, func(n ast.Node) bool {
		var operands []ast.Node
		switch n := n.(type) {
		case *ast.CallNode:
			if id, ok := n.Callee.(*ast.IdentifierNode); ok && (mathFuncs[id.Value] != nil || id.Value == "pow") {
				operands = n.Arguments
			}
		case *ast.BinaryNode:
			if n.Operator == "%" {
				operands = []ast.Node{n.Left, n.Right}
			}
		}
		for _, o := range operands {
			if _, e := expr.Compile(o.String(), opts...); e != nil && err == nil {
				msg := e.Error()
				if i := strings.IndexByte(msg, '\n'); i >= 0 {
					msg = msg[:i]
				}
				err = fmt.Errorf("expression: %s, in %s", msg, n.String())
			}
		}
		return err != nil
	})
	return err
}

// cleanExprError keeps expr's message on one line with its column.
func cleanExprError(err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Errorf("expression: %s", msg)
}

// numericKind reports whether a value of kind k reads as a number: a
// number, a boolean (0 or 1), or a type known only when it runs.
func numericKind(k reflect.Kind) bool {
	switch k {
	case reflect.Float64, reflect.Float32, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Bool, reflect.Interface:
		return true
	}
	return false
}

func toFloat(x any) float64 {
	switch v := x.(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case bool:
		if v {
			return 1
		}
	}
	return 0
}

// eval evaluates the expression on r: a number, or 0/1 for a boolean. A
// result of another type (text, a list) is an error, never a 0.
func (c *compiled) eval(r *row, env map[string]any, m *vm.VM) (float64, error) {
	if c.fn != nil {
		return c.fn(r), nil
	}
	out, err := m.Run(c.prog, env)
	if err != nil {
		return 0, cleanExprError(err)
	}
	switch out.(type) {
	case float64, int, bool:
		return toFloat(out), nil
	}
	return 0, fmt.Errorf("expression: gives %T, not a number", out)
}

// lowerer turns an expr syntax tree into closures. It reports ok=false for
// syntax it does not cover; err is set for literals that fail to resolve.
type lowerer struct {
	syms symbols
	qs   quantityPatch // placeholder name → SI value
	err  error
}

type numFn = func(*row) float64
type strFn = func(*row) string

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// str lowers a string-valued node: an identifier of a name, or a literal.
func (l *lowerer) str(n ast.Node) (strFn, *symbol, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		s, ok := l.syms[n.Value]
		if !ok || s.kind != symStr {
			return nil, nil, false
		}
		slot := s.slot
		return func(r *row) string { return r.str[slot] }, s, true
	case *ast.StringNode:
		v := n.Value
		return func(*row) string { return v }, nil, true
	}
	return nil, nil, false
}

// literal returns the canonical text of a string literal compared with sym
// ("h100" → "H100"), so that comparisons follow the registry's names.
func (l *lowerer) literal(lit string, sym *symbol) string {
	if sym == nil || sym.canon == nil {
		return lit
	}
	c, err := sym.canon(lit)
	if err != nil {
		if l.err == nil {
			l.err = fmt.Errorf("expression: %w", err)
		}
		return lit
	}
	return c
}

// isBool reports whether the node has a boolean value.
func (l *lowerer) isBool(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.BoolNode:
		return true
	case *ast.IdentifierNode:
		s, ok := l.syms[n.Value]
		return ok && s.boolean
	case *ast.UnaryNode:
		return n.Operator == "!" || n.Operator == "not"
	case *ast.BinaryNode:
		switch n.Operator {
		case "<", "<=", ">", ">=", "==", "!=", "&&", "||", "and", "or", "in", "not in":
			return true
		}
	case *ast.ConditionalNode:
		return l.isBool(n.Exp1) && l.isBool(n.Exp2)
	}
	return false
}

// isNumber reports whether the node certainly has a numeric value: a
// number, a numeric column, arithmetic or a conditional of numbers. (isBool
// and isNumber may both be false: a call whose type only expr-lang knows.)
func (l *lowerer) isNumber(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		return true
	case *ast.IdentifierNode:
		if _, ok := l.qs[n.Value]; ok {
			return true
		}
		s, ok := l.syms[n.Value]
		return ok && s.kind == symNum && !s.boolean
	case *ast.UnaryNode:
		return (n.Operator == "-" || n.Operator == "+") && l.isNumber(n.Node)
	case *ast.BinaryNode:
		switch n.Operator {
		case "+", "-", "*", "/", "%", "**", "^":
			return l.isNumber(n.Left) && l.isNumber(n.Right)
		}
	case *ast.ConditionalNode:
		return l.isNumber(n.Exp1) && l.isNumber(n.Exp2)
	case *ast.BuiltinNode:
		return numericFunc(n.Name)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		return ok && numericFunc(id.Value)
	}
	return false
}

// numericFunc reports whether name is a function whose value is a number:
// those the lowering computes (builtin).
func numericFunc(name string) bool {
	switch name {
	case "abs", "ceil", "floor", "round", "pow", "min", "max":
		return true
	}
	return mathFuncs[name] != nil
}

// notBoolean records that the numeric node n stands where a boolean must
// (a condition, the operand of not, and or or): expr-lang's VM fails on
// every row there, so the lowering refuses it at compile time.
func (l *lowerer) notBoolean(n ast.Node, where string) bool {
	if !l.isNumber(n) {
		return false
	}
	if l.err == nil {
		l.err = fmt.Errorf("expression: %s is a number, not a boolean, in %s; compare it (x != 0)", n.String(), where)
	}
	return true
}

// notNumber records that the boolean node n stands where a number must:
// expr-lang's checker lets some such places through (a comparison of a
// comparison, the argument of a function sweeps add) and its VM then
// fails, so the lowering refuses them at compile time.
func (l *lowerer) notNumber(n ast.Node, where string) bool {
	if !l.isBool(n) {
		return false
	}
	if l.err == nil {
		l.err = fmt.Errorf("expression: %s is a boolean, not a number, in %s", n.String(), where)
	}
	return true
}

func (l *lowerer) num(n ast.Node) (numFn, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		v := float64(n.Value)
		return func(*row) float64 { return v }, true
	case *ast.FloatNode:
		v := n.Value
		return func(*row) float64 { return v }, true
	case *ast.BoolNode:
		v := b2f(n.Value)
		return func(*row) float64 { return v }, true
	case *ast.IdentifierNode:
		if v, ok := l.qs[n.Value]; ok {
			return func(*row) float64 { return v }, true
		}
		s, ok := l.syms[n.Value]
		if !ok || s.kind != symNum {
			return nil, false
		}
		slot := s.slot
		return func(r *row) float64 { return r.num[slot] }, true
	case *ast.UnaryNode:
		if (n.Operator == "-" || n.Operator == "+") && l.notNumber(n.Node, n.String()) {
			return nil, false
		}
		if (n.Operator == "!" || n.Operator == "not") && l.notBoolean(n.Node, n.String()) {
			return nil, false
		}
		x, ok := l.num(n.Node)
		if !ok {
			return nil, false
		}
		switch n.Operator {
		case "-":
			return func(r *row) float64 { return -x(r) }, true
		case "+":
			return x, true
		case "!", "not":
			return func(r *row) float64 { return b2f(x(r) == 0) }, true
		}
	case *ast.ConditionalNode:
		if l.notBoolean(n.Cond, n.String()) {
			return nil, false
		}
		if l.isBool(n.Exp1) != l.isBool(n.Exp2) {
			if l.err == nil {
				l.err = fmt.Errorf("expression: the branches of %s are a boolean and a number; give both the same type", n.String())
			}
			return nil, false
		}
		c, ok1 := l.num(n.Cond)
		a, ok2 := l.num(n.Exp1)
		b, ok3 := l.num(n.Exp2)
		if ok1 && ok2 && ok3 {
			return func(r *row) float64 {
				if c(r) != 0 {
					return a(r)
				}
				return b(r)
			}, true
		}
	case *ast.BuiltinNode:
		return l.builtin(n.Name, n.Arguments)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return nil, false
		}
		return l.builtin(id.Value, n.Arguments)
	case *ast.BinaryNode:
		return l.binary(n)
	}
	return nil, false
}

func (l *lowerer) builtin(name string, args []ast.Node) (numFn, bool) {
	fs := make([]numFn, len(args))
	for i, a := range args {
		if l.notNumber(a, name+"(...)") {
			return nil, false
		}
		f, ok := l.num(a)
		if !ok {
			return nil, false
		}
		fs[i] = f
	}
	if f, ok := mathFuncs[name]; ok && len(fs) == 1 {
		x := fs[0]
		return func(r *row) float64 { return f(x(r)) }, true
	}
	switch {
	case name == "abs" && len(fs) == 1:
		x := fs[0]
		return func(r *row) float64 { return math.Abs(x(r)) }, true
	case name == "ceil" && len(fs) == 1:
		x := fs[0]
		return func(r *row) float64 { return math.Ceil(x(r)) }, true
	case name == "floor" && len(fs) == 1:
		x := fs[0]
		return func(r *row) float64 { return math.Floor(x(r)) }, true
	case name == "round" && len(fs) == 1:
		x := fs[0]
		return func(r *row) float64 { return math.Round(x(r)) }, true
	case name == "pow" && len(fs) == 2:
		x, y := fs[0], fs[1]
		return func(r *row) float64 { return math.Pow(x(r), y(r)) }, true
	case (name == "min" || name == "max") && len(fs) >= 1:
		isMin := name == "min"
		return func(r *row) float64 {
			v := fs[0](r)
			for _, f := range fs[1:] {
				if w := f(r); (isMin && w < v) || (!isMin && w > v) {
					v = w
				}
			}
			return v
		}, true
	}
	return nil, false
}

func (l *lowerer) binary(n *ast.BinaryNode) (numFn, bool) {
	op := n.Operator
	// Comparisons of names: hardware == "H100", bottleneck != "Memory",
	// hardware in ["H100", "H200"].
	if op == "==" || op == "!=" {
		if a, sa, ok := l.str(n.Left); ok {
			if b, sb, ok := l.str(n.Right); ok {
				if lit, ok := n.Right.(*ast.StringNode); ok {
					v := l.literal(lit.Value, sa)
					b = func(*row) string { return v }
				} else if lit, ok := n.Left.(*ast.StringNode); ok {
					v := l.literal(lit.Value, sb)
					a = func(*row) string { return v }
				}
				if op == "==" {
					return func(r *row) float64 { return b2f(a(r) == b(r)) }, true
				}
				return func(r *row) float64 { return b2f(a(r) != b(r)) }, true
			}
		}
	}
	if op == "in" || op == "not in" {
		a, sa, ok := l.str(n.Left)
		arr, isArr := n.Right.(*ast.ArrayNode)
		if ok && isArr {
			set := make([]string, 0, len(arr.Nodes))
			for _, e := range arr.Nodes {
				lit, ok := e.(*ast.StringNode)
				if !ok {
					return nil, false
				}
				set = append(set, l.literal(lit.Value, sa))
			}
			neg := op == "not in"
			return func(r *row) float64 {
				v := a(r)
				for _, s := range set {
					if s == v {
						return b2f(!neg)
					}
				}
				return b2f(neg)
			}, true
		}
		return nil, false
	}
	switch op {
	case "+", "-", "*", "/", "%", "**", "^", "<", "<=", ">", ">=":
		if l.notNumber(n.Left, n.String()) || l.notNumber(n.Right, n.String()) {
			return nil, false
		}
	case "&&", "||", "and", "or":
		if l.notBoolean(n.Left, n.String()) || l.notBoolean(n.Right, n.String()) {
			return nil, false
		}
	}
	x, ok1 := l.num(n.Left)
	y, ok2 := l.num(n.Right)
	if !ok1 || !ok2 {
		return nil, false
	}
	switch op {
	case "+":
		return func(r *row) float64 { return x(r) + y(r) }, true
	case "-":
		return func(r *row) float64 { return x(r) - y(r) }, true
	case "*":
		return func(r *row) float64 { return x(r) * y(r) }, true
	case "/":
		return func(r *row) float64 { return x(r) / y(r) }, true
	case "%":
		return func(r *row) float64 { return math.Mod(x(r), y(r)) }, true
	case "**", "^":
		return func(r *row) float64 { return math.Pow(x(r), y(r)) }, true
	case "<":
		return func(r *row) float64 { return b2f(x(r) < y(r)) }, true
	case "<=":
		return func(r *row) float64 { return b2f(x(r) <= y(r)) }, true
	case ">":
		return func(r *row) float64 { return b2f(x(r) > y(r)) }, true
	case ">=":
		return func(r *row) float64 { return b2f(x(r) >= y(r)) }, true
	case "==":
		return func(r *row) float64 { return b2f(x(r) == y(r)) }, true
	case "!=":
		return func(r *row) float64 { return b2f(x(r) != y(r)) }, true
	case "&&", "and":
		return func(r *row) float64 { return b2f(x(r) != 0 && y(r) != 0) }, true
	case "||", "or":
		return func(r *row) float64 { return b2f(x(r) != 0 || y(r) != 0) }, true
	}
	return nil, false
}
