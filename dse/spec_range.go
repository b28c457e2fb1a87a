package dse

import (
	"fmt"
	"math"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
)

var rangeKeys = []string{"from", "to", "step", "num", "scale"}

// decodeRange reads {from, to, step | num, scale: linear|log2|log10|log}
// for the numeric parameter pr into a Range, reporting what is malformed;
// ok is false when the range cannot be used.
func (p *specParser) decodeRange(pr *engine.Param, n ast.Node, pairs []*ast.MappingValueNode, key string) (r Range, ok bool) {
	if pr.Type != engine.TypeInt && pr.Type != engine.TypeFloat {
		p.errorf(n, key, ErrBadType, "a range needs a numeric parameter; %s takes %s values: list them", pr.Name, pr.Type)
		return r, false
	}
	var from, to, step, num float64
	var has = map[string]bool{}
	scale := ScaleLinear
	for _, e := range pairs {
		k := keyString(e)
		if !contains(rangeKeys, k) {
			p.unknownKey(e, key, k, rangeKeys)
			continue
		}
		has[k] = true
		sc, ok := p.r.scalarOf(e.Value)
		if k == "scale" {
			if !ok || !sc.isStr || !contains([]string{ScaleLinear, ScaleLog2, ScaleLog10, ScaleLog}, sc.str) {
				p.errorf(e.Value, key+".scale", ErrBadValue, "want linear, log2, log10 or log")
				return r, false
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
				return r, false
			}
			v = pv.F
		} else {
			p.errorf(e.Value, key+"."+k, ErrBadType, "want a number, got %s", p.r.kindOf(e.Value))
			return r, false
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			p.errorf(e.Value, key+"."+k, ErrBadValue, "%v is not a finite number", v)
			return r, false
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
		return r, false
	}
	if has["step"] && has["num"] {
		p.errorf(n, key, ErrBadValue, "give step or num, not both")
		return r, false
	}
	r = Range{From: from, To: to, Step: step, Scale: scale}
	switch {
	case has["num"]:
		if num < 1 || num != math.Trunc(num) || num > MaxAxisValues {
			p.errorf(n, key+".num", ErrBadValue, "num must be a whole number in [1, %d]", MaxAxisValues)
			return r, false
		}
		r.Num = int(num)
	case scale == ScaleLinear && !has["step"]:
		if pr.Type != engine.TypeInt {
			p.errorf(n, key, ErrMissing, "a linear range of a real parameter needs step or num")
			return r, false
		}
		r.Step = 1
	case scale == ScaleLinear && step == 0:
		r.Step = -1 // an explicit 0: "step must be > 0"
	case scale != ScaleLinear && has["step"] && step == 0:
		r.Step = 1 // an explicit factor of 0: "needs ... step, the factor, > 1"
	}
	return r, true
}

// rangeLen returns an upper bound of the number of distinct values the
// range gives parameter pr, computed without producing them, or reports
// why the range gives none and returns 0.
func (p *specParser) rangeLen(pr *engine.Param, n ast.Node, r Range, key string) int {
	l, err := r.Len()
	if err != nil {
		p.rangeError(n, key, err)
		return 0
	}
	if pr.Type == engine.TypeInt {
		// Rounded to whole numbers, the values are at most the integers
		// between the bounds.
		if span := math.Abs(math.Round(r.To)-math.Round(r.From)) + 2; span < float64(l) {
			l = int(span)
		}
	}
	return l
}

func (p *specParser) rangeError(n ast.Node, key string, err error) {
	if re, ok := err.(*RangeError); ok {
		if re.Field != "" {
			key += "." + re.Field
		}
		l, c := pos(n)
		p.errs = append(p.errs, &SpecError{File: p.file, Line: l, Col: c, Key: key, Err: re.Err})
		return
	}
	p.errorf(n, key, ErrBadValue, "%v", err)
}

// rangeValues expands r for parameter pr: whole-number parameters take the
// values rounded, each value once.
func (p *specParser) rangeValues(pr *engine.Param, n ast.Node, r Range, key string) []engine.Value {
	xs, err := r.Values()
	if err != nil {
		p.rangeError(n, key, err)
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
		v, err := p.number(pr, x)
		if err != nil {
			p.errorf(n, key, ErrBadValue, "%v", err)
			return nil
		}
		out = append(out, v)
	}
	return out
}

// maxWhole bounds whole-number parameters: their values become Go ints,
// and 2^63 and beyond do not fit.
const maxWhole = 1 << 63

// number makes the value x of the numeric or boolean parameter pr,
// checking its bounds and, for whole numbers, that it fits an int64.
func (p *specParser) number(pr *engine.Param, x float64) (engine.Value, error) {
	if pr.Type == engine.TypeInt && (x >= maxWhole || x < -maxWhole) {
		return engine.Value{}, fmt.Errorf("%s: %v is out of the range of a whole number (at most %d)", pr.Name, x, int64(math.MaxInt64))
	}
	return pr.Number(x)
}
