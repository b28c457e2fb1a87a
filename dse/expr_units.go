package dse

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"

	"github.com/mlsysim/mlsysim-go/units"
)

// Quantities in expressions. A number followed by a unit that the units
// package reads ("50 ms", "80 GiB", "3.35 TB/s", "700 W") is a quantity: it
// is converted to the SI base unit of its dimension when the expression is
// compiled (50 ms → 0.05, 80 GiB → 85899345920), so that
//
//	itl_s < 50 ms   is   itl_s < 0.05
//
// A quantity compared with, added to or subtracted from a column whose unit
// is known must have that column's dimension: "itl_s < 80 GiB" is an error
// that names the quantity's column in the expression. A bare number is
// always taken in SI base units and is never checked.

// quantity is one number-with-unit of an expression's source.
type quantity struct {
	text  string // as written: "50 ms"
	col   int    // 1-based column of its first character
	value float64
	dim   units.Dimension
	name  string // the placeholder identifier it stands as in the rewritten source
}

// exprKeywords are the words of expr-lang that may follow a number and are
// not units.
var exprKeywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "matches": true, "contains": true,
	"startsWith": true, "endsWith": true, "if": true, "else": true, "let": true,
}

// rewriteQuantities replaces every quantity of src by a placeholder
// identifier (padded with '_' to the quantity's length where it fits, so
// that the columns expr-lang reports stay those of src) and returns them.
// String literals are left alone. A number followed by a word that is
// neither a keyword nor a unit is an error that names the word.
func rewriteQuantities(src string, syms symbols) (string, []quantity, error) {
	var qs []quantity
	var sb strings.Builder
	last := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			i = min(j+1, len(src))
			continue
		case isIdentByte(c):
			for i < len(src) && (isIdentByte(src[i]) || src[i] >= '0' && src[i] <= '9') {
				i++
			}
			continue
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
		default:
			i++
			continue
		}
		if i > 0 && src[i-1] == '.' { // a member access such as a.0
			i++
			continue
		}
		start := i
		if c == '0' && i+1 < len(src) && strings.ContainsRune("xXoObB", rune(src[i+1])) {
			for i += 2; i < len(src) && (isIdentByte(src[i]) || src[i] >= '0' && src[i] <= '9'); i++ {
			}
			continue
		}
		for i < len(src) {
			d := src[i]
			if d >= '0' && d <= '9' || d == '_' || d == '.' && !(i+1 < len(src) && src[i+1] == '.') {
				i++
				continue
			}
			if (d == 'e' || d == 'E') && i+1 < len(src) {
				n := src[i+1]
				if n >= '0' && n <= '9' || (n == '+' || n == '-') && i+2 < len(src) && src[i+2] >= '0' && src[i+2] <= '9' {
					i += 2
					continue
				}
			}
			break
		}
		numEnd := i
		j := i
		for j < len(src) && src[j] == ' ' {
			j++
		}
		ws := j
		for j < len(src) {
			r, size := utf8.DecodeRuneInString(src[j:])
			if r < utf8.RuneSelf && (isIdentByte(byte(r)) || r >= '0' && r <= '9' && j > ws) || r == 'µ' || r == 'μ' {
				j += size
				continue
			}
			break
		}
		if j == ws {
			continue // a plain number
		}
		word := src[ws:j]
		if exprKeywords[word] {
			i = j
			continue
		}
		for _, suf := range []string{"/s"} {
			if strings.HasPrefix(src[j:], suf) && (j+len(suf) == len(src) || !isIdentByte(src[j+len(suf)])) {
				j += len(suf)
			}
		}
		text := src[start:j]
		v, dim, err := units.Parse(src[start:numEnd] + " " + src[ws:j])
		if err != nil && !strings.Contains(err.Error(), "unknown unit") {
			return "", nil, fmt.Errorf("expression: %q at column %d: %w", text, start+1, err)
		}
		if err != nil {
			return "", nil, fmt.Errorf("expression: %q at column %d: a number followed by %q, which is not a unit (write \"50 ms\", \"80 GiB\", \"3.35 TB/s\")",
				text, start+1, src[ws:j])
		}
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return "", nil, fmt.Errorf("expression: %q at column %d is out of range", text, start+1)
		}
		name := placeholder(len(qs), j-start, syms)
		qs = append(qs, quantity{text: text, col: start + 1, value: v, dim: dim, name: name})
		sb.WriteString(src[last:start])
		sb.WriteString(name)
		last = j
		i = j
	}
	if qs == nil {
		return src, nil, nil
	}
	sb.WriteString(src[last:])
	return sb.String(), qs, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '$'
}

// placeholder is the identifier quantity k stands as: "_q0", padded with
// '_' to width, and not the name of a symbol.
func placeholder(k, width int, syms symbols) string {
	name := "_q" + strconv.Itoa(k)
	for {
		if len(name) < width {
			name += strings.Repeat("_", width-len(name))
		}
		if _, taken := syms[name]; !taken {
			return name
		}
		name = "_" + name
	}
}

// quantityPatch makes expr-lang's program use each quantity's SI value.
type quantityPatch map[string]float64

func (q quantityPatch) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		if v, ok := q[id.Value]; ok {
			ast.Patch(n, &ast.FloatNode{Value: v})
		}
	}
}

// restoreQuantities writes the quantities back, as written, into a message
// about the rewritten source.
func restoreQuantities(msg string, qs []quantity) string {
	for k := len(qs) - 1; k >= 0; k-- { // _q10 before _q1
		msg = strings.ReplaceAll(msg, qs[k].name, qs[k].text)
	}
	return msg
}

// dimOfUnit maps a column's SI unit to its dimension; ok is false for a
// unit the units package has no dimension for ("FLOP/B").
func dimOfUnit(u string) (units.Dimension, bool) {
	switch u {
	case "", "1":
		return units.Dimensionless, true
	case "s":
		return units.DimTime, true
	case "B":
		return units.DimBytes, true
	case "B/s":
		return units.DimByteRate, true
	case "FLOP":
		return units.DimFLOP, true
	case "FLOP/s":
		return units.DimFLOPRate, true
	case "W":
		return units.DimPower, true
	case "J":
		return units.DimEnergy, true
	case "USD":
		return units.DimCurrency, true
	case "1/s", "Hz":
		return units.DimFrequency, true
	case "kg":
		return units.DimMass, true
	}
	return 0, false
}

// dimChecker infers the dimensions of an expression's nodes and refuses a
// quantity set against a column of another dimension.
type dimChecker struct {
	syms symbols
	qs   map[string]*quantity
	all  []quantity
	err  error
}

// dim returns the dimension of n; known is false where it cannot be said
// (a bare number, a product, a derived value), which matches any dimension.
func (d *dimChecker) dim(n ast.Node) (dim units.Dimension, known bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if q, ok := d.qs[n.Value]; ok {
			return q.dim, true
		}
		if s, ok := d.syms[n.Value]; ok && s.hasDim {
			return s.dim, true
		}
	case *ast.UnaryNode:
		if n.Operator == "-" || n.Operator == "+" {
			return d.dim(n.Node)
		}
		d.dim(n.Node)
	case *ast.BinaryNode:
		a, ka := d.dim(n.Left)
		b, kb := d.dim(n.Right)
		switch n.Operator {
		case "<", "<=", ">", ">=", "==", "!=", "+", "-":
			if ka && kb && a != b && d.err == nil && (d.isQuantity(n.Left) || d.isQuantity(n.Right)) {
				q, other, od := n.Left, n.Right, b
				if !d.isQuantity(q) {
					q, other, od = n.Right, n.Left, a
				}
				qq := d.qs[q.(*ast.IdentifierNode).Value]
				d.err = fmt.Errorf("expression: %s at column %d is %s, but %s is %s (%s)",
					qq.text, qq.col, dimWords(qq.dim), restoreQuantities(other.String(), d.all), dimWords(od), od.Unit())
			}
			if n.Operator == "+" || n.Operator == "-" {
				if ka {
					return a, kb && a == b || !kb
				}
				return b, kb
			}
		}
	case *ast.ConditionalNode:
		d.dim(n.Cond)
		a, ka := d.dim(n.Exp1)
		b, kb := d.dim(n.Exp2)
		if ka && kb && a == b {
			return a, true
		}
	case *ast.BuiltinNode:
		return d.args(n.Name, n.Arguments)
	case *ast.CallNode:
		name := ""
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			name = id.Value
		}
		return d.args(name, n.Arguments)
	case *ast.ArrayNode:
		for _, e := range n.Nodes {
			d.dim(e)
		}
	}
	return 0, false
}

// args checks a function's arguments; min, max and abs keep the dimension
// their arguments share.
func (d *dimChecker) args(name string, args []ast.Node) (units.Dimension, bool) {
	var dim units.Dimension
	known := len(args) > 0
	for i, a := range args {
		x, k := d.dim(a)
		if !k || i > 0 && x != dim {
			known = false
		}
		dim = x
	}
	switch name {
	case "min", "max", "abs":
		return dim, known
	}
	return 0, false
}

func (d *dimChecker) isQuantity(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	if !ok {
		return false
	}
	_, ok = d.qs[id.Value]
	return ok
}

// dimWords names a dimension in a sentence: "a time", "a number".
func dimWords(d units.Dimension) string {
	if d == units.Dimensionless {
		return "a plain number"
	}
	return "in " + d.String()
}
