package dse

import (
	"fmt"
	"strconv"

	"github.com/goccy/go-yaml/ast"
)

// node helpers over goccy/go-yaml's syntax tree, which keeps the line and
// column of everything a sweep file says.

// pos returns the 1-based line and column of n.
func pos(n ast.Node) (int, int) {
	if n == nil {
		return 0, 0
	}
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line, t.Position.Column
	}
	return 0, 0
}

// resolver follows anchors and aliases.
type resolver struct {
	anchors map[string]ast.Node
}

func newResolver(root ast.Node) *resolver {
	r := &resolver{anchors: map[string]ast.Node{}}
	ast.Walk(r, root)
	return r
}

// Visit records anchors (ast.Visitor).
func (r *resolver) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok {
		r.anchors[a.Name.String()] = a.Value
	}
	return r
}

// deref strips anchors, aliases and tags, returning the node that holds the value.
func (r *resolver) deref(n ast.Node) ast.Node {
	for i := 0; i < 16 && n != nil; i++ {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.AliasNode:
			v, ok := r.anchors[x.Value.String()]
			if !ok {
				return n
			}
			n = v
		case *ast.TagNode:
			n = x.Value
		default:
			return n
		}
	}
	return n
}

// pairs returns the key-value pairs of a mapping node, or ok=false.
func (r *resolver) pairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := r.deref(n).(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// items returns the entries of a sequence node, or ok=false.
func (r *resolver) items(n ast.Node) ([]ast.Node, bool) {
	if s, ok := r.deref(n).(*ast.SequenceNode); ok {
		return s.Values, true
	}
	return nil, false
}

// keyString returns the text of a mapping key.
func keyString(kv *ast.MappingValueNode) string {
	if kv.Key == nil {
		return ""
	}
	if s, ok := kv.Key.(*ast.StringNode); ok {
		return s.Value
	}
	return kv.Key.String()
}

// scalar is a YAML scalar: a number, a string or a boolean.
type scalar struct {
	isNum  bool
	isBool bool
	isStr  bool
	num    float64
	str    string // the text as written (also for numbers)
	b      bool
}

// scalarOf reads a scalar node, or ok=false for mappings, sequences and null.
func (r *resolver) scalarOf(n ast.Node) (scalar, bool) {
	switch v := r.deref(n).(type) {
	case *ast.IntegerNode:
		var f float64
		switch x := v.Value.(type) {
		case int64:
			f = float64(x)
		case uint64:
			f = float64(x)
		}
		return scalar{isNum: true, num: f, str: v.Token.Value}, true
	case *ast.FloatNode:
		return scalar{isNum: true, num: v.Value, str: v.Token.Value}, true
	case *ast.BoolNode:
		return scalar{isBool: true, b: v.Value, str: strconv.FormatBool(v.Value)}, true
	case *ast.StringNode:
		return scalar{isStr: true, str: v.Value}, true
	case *ast.LiteralNode:
		return scalar{isStr: true, str: v.Value.Value}, true
	case *ast.InfinityNode:
		return scalar{isNum: true, num: v.Value, str: v.Token.Value}, true
	case *ast.NanNode:
		return scalar{isStr: true, str: v.Token.Value}, true
	}
	return scalar{}, false
}

// kindOf names a node's kind for messages.
func (r *resolver) kindOf(n ast.Node) string {
	switch r.deref(n).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode, nil:
		return "empty"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.BoolNode:
		return "a boolean"
	}
	return fmt.Sprintf("a %s", n.Type())
}
