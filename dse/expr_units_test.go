package dse

import (
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/units"
)

func unitTestSyms() (symbols, *row) {
	syms, r := exprTestSyms()
	syms["itl_s"] = &symbol{kind: symNum, slot: 4, isOutput: true, dim: units.DimTime, hasDim: true}
	syms["memory_bytes"] = &symbol{kind: symNum, slot: 5, isOutput: true, dim: units.DimBytes, hasDim: true}
	syms["mfu"] = &symbol{kind: symNum, slot: 6, isOutput: true, dim: units.Dimensionless, hasDim: true}
	r.num = append(r.num, 0.04, 70*units.GiB, 0.5)
	return syms, r
}

// Quantities are their SI values, in the lowering and in expr-lang's VM.
func TestExprQuantities(t *testing.T) {
	syms, r := unitTestSyms()
	for _, tc := range []struct {
		src  string
		want float64
	}{
		{"50 ms", 0.05},
		{"50ms", 0.05},
		{"80 GiB", 80 * units.GiB},
		{"3.35 TB/s", 3.35e12},
		{"1.5e3 us", 1.5e-3},
		{"itl_s < 50 ms", 1},
		{"itl_s < 30 ms", 0},
		{"memory_bytes < 80 GiB && itl_s <= 0.05", 1},
		{"itl_s + 10 ms", 0.05},
		{"min(itl_s, 20 ms)", 0.02},
		{"-(5 ms) < itl_s", 1},
		{"memory_bytes / 1 GiB", 70},
		{"a * 2 s", 6},
		{"a > 2 and a < 4", 1},
		{"hw == '50 ms'", 0},
		{"a + 0.5 < 4", 1},
	} {
		for _, wantBool := range []bool{false, true} {
			if wantBool && !strings.ContainsAny(tc.src, "<>=") {
				continue
			}
			c, err := compileExpr(tc.src, syms, wantBool)
			if err != nil {
				t.Errorf("%q: %v", tc.src, err)
				continue
			}
			got, err := c.eval(r, envOf(syms, r), nil)
			if c.fn == nil {
				continue // the VM path is compared by diffExpr
			}
			if err != nil || !sameNumber(got, tc.want) {
				t.Errorf("%q = %v, %v; want %v", tc.src, got, err, tc.want)
			}
			if _, diff := diffExpr(t, tc.src, syms, r, wantBool); diff != "" {
				t.Error(diff)
			}
		}
	}
}

// A quantity of another dimension than its column, and a word after a
// number that is not a unit, are errors that say where.
func TestExprQuantityErrors(t *testing.T) {
	syms, _ := unitTestSyms()
	for _, tc := range []struct{ src, want string }{
		{"itl_s < 80 GiB", "80 GiB at column 9 is in bytes, but itl_s is in time (s)"},
		{"memory_bytes >= 2 s", "2 s at column 17 is in time, but memory_bytes is in bytes (B)"},
		{"mfu > 5 ms", "5 ms at column 7 is in time, but mfu is a plain number (1)"},
		{"itl_s + 1 GB < 1", "1 GB at column 9 is in bytes"},
		{"min(itl_s, 1 s) < 2 GB", "2 GB at column 19 is in bytes, but min(itl_s, 1 s) is in time"},
		{"itl_s < 50 parsecs", `"50 parsecs" at column 9: a number followed by "parsecs", which is not a unit`},
		{"itl_s < 1e400 s", `"1e400 s" at column 9`},
		{"itl_s < 50 ms +", "unexpected token EOF (1:15)"},
	} {
		_, err := compileExpr(tc.src, syms, true)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.src, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "_q") {
			t.Errorf("%q: error %v shows a placeholder", tc.src, err)
		}
	}
}

// A spec's constraints take quantities, checked against the outputs' units.
func TestSpecQuantities(t *testing.T) {
	src := strings.Replace(smallSweep, `constraints: ["batch_size <= 32 || feasible"]`,
		`constraints: ["itl_s < 50 ms", "memory_bytes < 80 GiB"]`, 1)
	if _, err := ParseSpec("q.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(smallSweep, `constraints: ["batch_size <= 32 || feasible"]`,
		`constraints: ["itl_s < 80 GiB"]`, 1)
	_, err := ParseSpec("q.yaml", []byte(bad))
	if err == nil || !strings.Contains(err.Error(), "q.yaml:12:") || !strings.Contains(err.Error(), "80 GiB at column 9 is in bytes") {
		t.Fatalf("error %v", err)
	}
}
