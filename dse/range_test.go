package dse

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// The values of ranges, worked out by hand from the definitions in the
// doc comment of Range.
func TestRangeValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Range
		want []float64
	}{
		{"linear step 1", Range{From: 1, To: 4, Step: 1}, []float64{1, 2, 3, 4}},
		{"linear step stops below to", Range{From: 0, To: 1, Step: 0.3}, []float64{0, 0.3, 0.6, 0.8999999999999999}},
		{"linear step reaches to despite rounding", Range{From: 0, To: 0.3, Step: 0.1}, []float64{0, 0.1, 0.2, 0.30000000000000004}},
		{"linear one value", Range{From: 5, To: 5, Step: 2}, []float64{5}},
		{"linear negative", Range{From: -2, To: 0, Step: 1}, []float64{-2, -1, 0}},
		{"linear num", Range{From: 0.2, To: 0.6, Num: 3}, []float64{0.2, 0.4, 0.6}},
		{"linear num descending", Range{From: 3, To: 1, Num: 3}, []float64{3, 2, 1}},
		{"num one", Range{From: 7, To: 9, Num: 1}, []float64{7}},
		{"log2 by base", Range{From: 1, To: 256, Scale: ScaleLog2}, []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}},
		{"log is log2", Range{From: 1, To: 10, Scale: ScaleLog}, []float64{1, 2, 4, 8}},
		{"log10 by base", Range{From: 1, To: 1000, Scale: ScaleLog10}, []float64{1, 10, 100, 1000}},
		{"log by factor", Range{From: 1, To: 81, Step: 3, Scale: ScaleLog2}, []float64{1, 3, 9, 27, 81}},
		{"log num", Range{From: 1, To: 100, Num: 3, Scale: ScaleLog10}, []float64{1, 10, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.r.Values()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%+v.Values() = %v, want %v", tc.r, got, tc.want)
			}
			if n, _ := tc.r.Len(); n != len(got) {
				t.Errorf("Len() = %d, want %d", n, len(got))
			}
		})
	}
}

// Malformed and unbounded ranges are refused by Len, before any value is
// computed, naming the key at fault.
func TestRangeErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     Range
		field string
		err   error
	}{
		{"from +Inf", Range{From: math.Inf(1), To: 1, Step: 1}, "from", ErrBadValue},
		{"to NaN", Range{From: 1, To: math.NaN(), Step: 1}, "to", ErrBadValue},
		{"step -Inf", Range{From: 1, To: 2, Step: math.Inf(-1)}, "step", ErrBadValue},
		{"zero step", Range{From: 1, To: 2}, "step", ErrBadValue},
		{"negative step", Range{From: 1, To: 2, Step: -1}, "step", ErrBadValue},
		{"empty", Range{From: 2, To: 1, Step: 1}, "", ErrEmptyAxis},
		{"1e300 by 1", Range{From: 1e300, To: 1e300, Step: 1}, "", ErrTooLarge},
		{"one more than the limit", Range{From: 1, To: MaxAxisValues + 1, Step: 1}, "", ErrTooLarge},
		{"huge span", Range{From: -1e308, To: 1e308, Step: 1e-300}, "", ErrTooLarge},
		{"log factor 1", Range{From: 1, To: 8, Step: 1, Scale: ScaleLog2}, "", ErrBadValue},
		{"log from 0", Range{From: 0, To: 8, Scale: ScaleLog2}, "", ErrBadValue},
		{"log too long", Range{From: 1e-300, To: 1e300, Step: 1 + 1e-9, Scale: ScaleLog}, "", ErrTooLarge},
		{"num 0 with step", Range{From: 1, To: 2, Num: -1}, "num", ErrBadValue},
		{"num too many", Range{From: 1, To: 2, Num: MaxAxisValues + 1}, "num", ErrBadValue},
		{"num and step", Range{From: 1, To: 2, Num: 2, Step: 1}, "", ErrBadValue},
		{"log num from 0", Range{From: 0, To: 2, Num: 2, Scale: ScaleLog10}, "", ErrBadValue},
		{"num overflow", Range{From: -1.7e308, To: 1.7e308, Num: 3}, "", ErrBadValue},
		{"bad scale", Range{From: 1, To: 2, Step: 1, Scale: "cubic"}, "scale", ErrBadValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.r.Values()
			var re *RangeError
			if !errors.As(err, &re) {
				t.Fatalf("%+v.Values(): error %v, want a *RangeError", tc.r, err)
			}
			if re.Field != tc.field || !errors.Is(err, tc.err) {
				t.Errorf("%+v.Values(): %q on field %q, want %v on field %q", tc.r, err, re.Field, tc.err, tc.field)
			}
		})
	}
}

// The limit itself is allowed, and Len says so without producing values.
func TestRangeAtLimit(t *testing.T) {
	r := Range{From: 1, To: MaxAxisValues, Step: 1}
	if n, err := r.Len(); err != nil || n != MaxAxisValues {
		t.Fatalf("Len() = %d, %v; want %d", n, err, MaxAxisValues)
	}
}

// FuzzRangeValues checks, for any range, that Values either refuses it or
// gives between 1 and MaxAxisValues finite values, in order along the
// range, agreeing with Len, and the same values every time.
func FuzzRangeValues(f *testing.F) {
	f.Add(1.0, 256.0, 0.0, 0, "log2")
	f.Add(0.0, 1.0, 0.1, 0, "linear")
	f.Add(0.2, 0.6, 0.0, 3, "linear")
	f.Add(1e300, 1e300, 1.0, 0, "linear")
	f.Add(1.0, 1e6, 1.5, 0, "log")
	f.Add(1.0, 1000.0, 0.0, 4, "log10")
	f.Fuzz(func(t *testing.T, from, to, step float64, num int, scale string) {
		r := Range{From: from, To: to, Step: step, Num: num, Scale: scale}
		n, lenErr := r.Len()
		xs, err := r.Values()
		if err != nil {
			var re *RangeError
			if !errors.As(err, &re) {
				t.Fatalf("%+v: error %T %v is not a *RangeError", r, err, err)
			}
			if lenErr == nil && !errors.Is(err, ErrBadValue) {
				t.Fatalf("%+v: Len accepts but Values says %v", r, err)
			}
			return
		}
		if lenErr != nil || n != len(xs) || n < 1 || n > MaxAxisValues {
			t.Fatalf("%+v: %d values, Len() = %d, %v", r, len(xs), n, lenErr)
		}
		for i, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%+v: value %d is %v", r, i, x)
			}
			if i > 0 && (from <= to && x < xs[i-1] || from > to && x > xs[i-1]) {
				t.Fatalf("%+v: value %d (%v) goes back from %v", r, i, x, xs[i-1])
			}
		}
		if again, _ := r.Values(); !slices.Equal(again, xs) {
			t.Fatalf("%+v: Values is not a pure function", r)
		}
	})
}
