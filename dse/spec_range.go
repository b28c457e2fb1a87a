package dse

import (
	"math"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
)

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
