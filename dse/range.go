package dse

import (
	"fmt"
	"math"
)

// MaxAxisValues bounds the values of one axis. A range longer than this is
// refused before any value is computed; longer axes belong in several
// sweeps or a zip.
const MaxAxisValues = 1 << 20

// Range scales.
const (
	ScaleLinear = "linear"
	ScaleLog2   = "log2"
	ScaleLog10  = "log10"
	ScaleLog    = "log" // a synonym of log2
)

// Range is a range of numbers as a sweep file writes it:
// {from, to, step | num, scale}. Its values are a pure function of its
// fields, computed by count, never by repeated addition or multiplication:
//
//	linear, Step:       x_i = From + i·Step,             i = 0, 1, ... while x_i ≤ To·(1+1e-12)+1e-12
//	log2/log10/log:     x_i = From · b^i,                i = 0, 1, ... while x_i ≤ To·(1+1e-12)
//	linear, Num:        x_i = From + t_i·(To−From),      t_i = i/(Num−1), i = 0 ... Num−1
//	log scale, Num:     x_i = From · (To/From)^t_i
//
// where b is Step when set and otherwise the scale's base (2 for log2 and
// log, 10 for log10). The tolerances keep To itself in the range when
// rounding leaves the last value a hair above it.
type Range struct {
	From, To float64
	// Step is the increment of a linear range (> 0) or the factor of a log
	// range (> 1); 0 leaves a log range its scale's base.
	Step float64
	// Num, when > 0, asks for Num values evenly spaced on the scale from
	// From to To, both included; Step must then be 0.
	Num   int
	Scale string // ScaleLinear (or ""), ScaleLog2, ScaleLog10, ScaleLog
}

// RangeError is a problem with a Range. Field is the key it concerns
// ("from", "to", "step", "num"), or "" for the range as a whole; Err wraps
// one of ErrBadValue, ErrTooLarge or ErrEmptyAxis.
type RangeError struct {
	Field string
	Err   error
}

func (e *RangeError) Error() string { return e.Err.Error() }
func (e *RangeError) Unwrap() error { return e.Err }

func rangeErr(field string, kind error, format string, args ...any) *RangeError {
	return &RangeError{Field: field, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
}

// isLog reports whether the range is spaced geometrically.
func (r Range) isLog() bool { return r.Scale != "" && r.Scale != ScaleLinear }

// base returns the factor between consecutive values of a log range by step.
func (r Range) base() float64 {
	if r.Step != 0 {
		return r.Step
	}
	if r.Scale == ScaleLog10 {
		return 10
	}
	return 2
}

// Len returns the number of values of the range, computed arithmetically
// without producing them, or a *RangeError when the range is malformed,
// empty or longer than MaxAxisValues.
func (r Range) Len() (int, error) {
	switch r.Scale {
	case "", ScaleLinear, ScaleLog2, ScaleLog10, ScaleLog:
	default:
		return 0, rangeErr("scale", ErrBadValue, "want linear, log2, log10 or log")
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"from", r.From}, {"to", r.To}, {"step", r.Step}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return 0, rangeErr(f.name, ErrBadValue, "%v is not a finite number", f.v)
		}
	}
	if r.Num != 0 {
		if r.Num < 1 || r.Num > MaxAxisValues || r.Step != 0 {
			if r.Step != 0 && r.Num >= 1 && r.Num <= MaxAxisValues {
				return 0, rangeErr("", ErrBadValue, "give step or num, not both")
			}
			return 0, rangeErr("num", ErrBadValue, "num must be a whole number in [1, %d]", MaxAxisValues)
		}
		if r.isLog() && (r.From <= 0 || r.To <= 0) {
			return 0, rangeErr("", ErrBadValue, "a %s range needs from and to > 0", r.Scale)
		}
		if !r.isLog() && math.IsInf(r.To-r.From, 0) {
			return 0, rangeErr("", ErrBadValue, "the range from %v to %v is wider than a float64 can hold", r.From, r.To)
		}
		return r.Num, nil
	}
	var n int
	if !r.isLog() {
		if r.Step <= 0 {
			return 0, rangeErr("step", ErrBadValue, "step must be > 0")
		}
		lim := r.To*(1+1e-12) + 1e-12
		q := (lim - r.From) / r.Step
		if !(q <= MaxAxisValues) { // NaN or +Inf too
			return 0, rangeErr("", ErrTooLarge, "the range has more than %d values", MaxAxisValues)
		}
		n = r.count(q, lim)
	} else {
		b := r.base()
		if r.From <= 0 || b <= 1 {
			return 0, rangeErr("", ErrBadValue, "a %s range needs from > 0 (and step, the factor, > 1)", r.Scale)
		}
		lim := r.To * (1 + 1e-12)
		q := math.Log(lim/r.From) / math.Log(b)
		if !(q <= MaxAxisValues) {
			return 0, rangeErr("", ErrTooLarge, "the range has more than %d values", MaxAxisValues)
		}
		n = r.count(q, lim)
	}
	if n > MaxAxisValues {
		return 0, rangeErr("", ErrTooLarge, "the range has more than %d values", MaxAxisValues)
	}
	if n == 0 {
		return 0, rangeErr("", ErrEmptyAxis, "the range from %v to %v is empty", r.From, r.To)
	}
	return n, nil
}

// count returns the number of i ≥ 0 with r.at(i) ≤ lim, from the estimate
// q of the last such i: the estimate is corrected by the exact comparison
// the definition makes, so rounding in q cannot add or drop a value.
func (r Range) count(q, lim float64) int {
	if q < 0 {
		q = -1
	}
	n := int(math.Floor(q)) + 1
	for n > 0 && !(r.at(n-1) <= lim) {
		n--
	}
	for n <= MaxAxisValues && r.at(n) <= lim {
		n++
	}
	return n
}

// at returns the value i of a range by step (Num = 0).
func (r Range) at(i int) float64 {
	if r.isLog() {
		return r.From * math.Pow(r.base(), float64(i))
	}
	return r.From + float64(i)*r.Step
}

// Values returns the values of the range, in order, or the *RangeError of
// Len. Every value returned is finite.
func (r Range) Values() ([]float64, error) {
	n, err := r.Len()
	if err != nil {
		return nil, err
	}
	xs := make([]float64, n)
	for i := range xs {
		if r.Num == 0 {
			xs[i] = r.at(i)
			continue
		}
		t := 0.0
		if r.Num > 1 {
			t = float64(i) / float64(r.Num-1)
		}
		if r.isLog() {
			xs[i] = r.From * math.Pow(r.To/r.From, t)
		} else {
			xs[i] = r.From + t*(r.To-r.From)
		}
	}
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, rangeErr("", ErrBadValue, "the range from %v to %v overflows a float64", r.From, r.To)
		}
	}
	return xs, nil
}
