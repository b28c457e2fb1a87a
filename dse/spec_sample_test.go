package dse

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const sampleGrid = "grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: [1, 8, 64]\n"

// Expressions that fail on some rows are found on a sample at check time,
// at their position and with the configuration's index.
func TestCheckSample(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string // want "": no error
	}{
		{"finite", sampleGrid + "derived:\n  x: batch_size * 2\n", ""},
		{"division by zero", sampleGrid + "derived:\n  x: 1 / 0\n", "6:6: derived.x: bad expression: configuration 0: the value is +Inf"},
		{"zero on the last row", sampleGrid + "derived:\n  x: 1 / (batch_size - 64)\n", "configuration 2: the value is +Inf"},
		{"not a number", sampleGrid + "derived:\n  x: sqrt(-batch_size)\n", "the value is NaN"},
		{"constraint on finite values", sampleGrid + "derived:\n  x: batch_size / 2\nconstraints: [\"x < 10\"]\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSpec("s.yaml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			err = CheckSample(s)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var in *InputError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &in) || !errors.Is(err, ErrBadExpr) {
				t.Fatalf("error %v, want bad input containing %q", err, tc.want)
			}
		})
	}
}

// Expressions that give text or cost too much are refused when parsed.
func TestExprLimits(t *testing.T) {
	for _, tc := range []struct{ name, expr, want string }{
		{"text", `'"text"'`, "gives string, not a number"},
		{"long", strings.Repeat("1 + ", MaxExprBytes/4) + "1", "more than the 4096"},
		{"deep", strings.Repeat("(", 65) + "1" + strings.Repeat(")", 65), "more than 64 levels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec("s.yaml", []byte(sampleGrid+"derived:\n  x: "+tc.expr+"\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrBadExpr) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// A run stops at the first row whose derived value is not finite, with an
// error naming the configuration, rather than writing an Inf.
func TestRunStopsOnExpressionError(t *testing.T) {
	s, err := ParseSpec("s.yaml", []byte(sampleGrid+"derived:\n  x: 1 / (batch_size - 8)\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), s, Options{OutDir: t.TempDir(), Workers: 2, Version: "test"})
	var in *InputError
	if err == nil || !errors.As(err, &in) || !strings.Contains(err.Error(), "configuration 1: the value is +Inf") {
		t.Fatalf("error %v, want the expression's error at configuration 1", err)
	}
}
