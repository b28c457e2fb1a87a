package dse

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
)

// exprTestSyms are the names the differential tests use: numbers, a
// boolean and names (without canonicalisation, so that expr-lang compares
// the same strings the lowering does).
func exprTestSyms() (symbols, *row) {
	syms := symbols{
		"a":    {kind: symNum, slot: 0},
		"b":    {kind: symNum, slot: 1},
		"c":    {kind: symNum, slot: 2},
		"flag": {kind: symNum, slot: 3, boolean: true},
		"hw":   {kind: symStr, slot: 0},
		"name": {kind: symStr, slot: 1},
	}
	return syms, &row{num: []float64{3, -2.5, 0, 1}, str: []string{"H100", "Memory"}}
}

// envOf is the environment expr-lang's VM gets for r, as the evaluator
// builds it.
func envOf(syms symbols, r *row) map[string]any {
	env := map[string]any{}
	for name, s := range syms {
		switch {
		case s.kind == symStr:
			env[name] = r.str[s.slot]
		case s.boolean:
			env[name] = r.num[s.slot] != 0
		default:
			env[name] = r.num[s.slot]
		}
	}
	return env
}

// sameNumber reports whether x and y are the same number (NaN equals NaN).
func sameNumber(x, y float64) bool {
	return x == y || math.IsNaN(x) && math.IsNaN(y)
}

// diffExpr compiles src and, when the lowering covers it, compares the
// lowered closure with expr-lang's own expr.Run of the compiled program on
// the same row. It returns "" when they agree or src does not compile.
func diffExpr(t testing.TB, src string, syms symbols, r *row, wantBool bool) (lowered bool, diff string) {
	c, err := compileExpr(src, syms, wantBool)
	if err != nil || c.fn == nil {
		return false, ""
	}
	want, runErr := expr.Run(c.prog, envOf(syms, r))
	got := c.fn(r)
	if runErr != nil {
		return true, fmt.Sprintf("%s: lowered %v, expr-lang fails: %v", src, got, runErr)
	}
	if w := toFloat(want); !sameNumber(got, w) {
		return true, fmt.Sprintf("%s: lowered %v, expr-lang %v (%T)", src, got, want, want)
	}
	return true, ""
}

// Every expression the lowering covers evaluates as expr-lang's own VM
// does, on rows with ordinary and extreme values.
func TestExprLoweringMatchesExprLang(t *testing.T) {
	exprs := []string{
		"a + b", "a - b", "a * b", "a / b", "a / c", "-a / c", "c / c", "-a", "+a", "a ** 2", "a ^ 2", "2 ** -1",
		"1 + 2 * 3", "(1 + 2) * 3", "7 / 2", "a * 1e3", "1.5e-3 + a",
		"a < b", "a <= b", "a > b", "a >= b", "a == b", "a != b", "a == a", "c == -c",
		"a > 0 && b < 0", "a > 0 and b > 0", "a > 0 || b > 0", "a < 0 or b > 0", "!(a > 0)", "not (a > 0)",
		"flag", "!flag", "flag && a > 0", "flag == true", "flag != false", "flag ? a : b", "a > b ? a : b", "a > 0 ? 1 : 2.5",
		"abs(b)", "ceil(b)", "floor(b)", "round(b)", "round(2.5)", "round(-2.5)", "min(a, b)", "max(a, b)", "min(a, b, c)", "max(a)",
		"log(a)", "log2(a)", "log10(a)", "sqrt(a)", "exp(b)", "pow(a, b)", "pow(b, 0.5)", "log(c)", "sqrt(b)",
		"hw == 'H100'", "hw != 'H100'", "'H100' == hw", "hw == name", "hw in ['A100', 'H100']", "hw not in ['A100', 'H100']",
		"name == 'Memory' && a > 1", "7 % 3", "-7 % 3", "a * b + c / a - b ** 2",
		"9007199254740993 + 0", "4611686018427387904 * 4", "9223372036854775807 + 1",
	}
	syms, base := exprTestSyms()
	rows := []*row{base,
		{num: []float64{0, 0, 0, 0}, str: []string{"A100", ""}},
		{num: []float64{math.NaN(), 1, math.Inf(1), 1}, str: []string{"B200", "Compute"}},
		{num: []float64{-1e308, 1e308, -0.0, 0}, str: []string{"H100", "Memory"}},
	}
	n := 0
	for _, src := range exprs {
		for _, r := range rows {
			lowered, diff := diffExpr(t, src, syms, r, false)
			if diff != "" {
				t.Errorf("row %v: %s", r.num, diff)
			}
			if lowered && r == base {
				n++
			}
		}
	}
	if n < len(exprs)*3/4 {
		t.Errorf("the lowering covers %d of %d expressions; the test compares too little", n, len(exprs))
	}
}

// exprGen writes an expression from the bytes of a fuzz input, over the
// names of exprTestSyms, numbers, names and the operators and functions
// the lowering covers (and a few it does not, which take the VM).
type exprGen struct {
	data []byte
	sb   strings.Builder
}

func (g *exprGen) next() int {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return int(b)
}

func (g *exprGen) num(depth int) {
	k := g.next()
	if depth > 4 {
		k %= 4
	}
	switch k % 14 {
	case 0:
		g.sb.WriteString([]string{"a", "b", "c"}[g.next()%3])
	case 1:
		g.sb.WriteString([]string{"0", "1", "2", "3", "0.5", "1e3", "1e-9", "-1", "9007199254740993", "1e308", "50 ms", "80 GiB", "3.35 TB/s", "2s"}[g.next()%14])
	case 2:
		g.sb.WriteString("flag")
	case 3:
		g.sb.WriteString([]string{"true", "false"}[g.next()%2])
	case 4, 5, 6:
		g.sb.WriteByte('(')
		g.num(depth + 1)
		g.sb.WriteString([]string{" + ", " - ", " * ", " / ", " ** ", " ^ ", " % "}[g.next()%7])
		g.num(depth + 1)
		g.sb.WriteByte(')')
	case 7:
		g.sb.WriteByte('(')
		g.num(depth + 1)
		g.sb.WriteString([]string{" < ", " <= ", " > ", " >= ", " == ", " != "}[g.next()%6])
		g.num(depth + 1)
		g.sb.WriteByte(')')
	case 8:
		g.sb.WriteByte('(')
		g.num(depth + 1)
		g.sb.WriteString([]string{" && ", " || ", " and ", " or "}[g.next()%4])
		g.num(depth + 1)
		g.sb.WriteByte(')')
	case 9:
		g.sb.WriteString([]string{"-", "!", "not ", "+"}[g.next()%4])
		g.sb.WriteByte('(')
		g.num(depth + 1)
		g.sb.WriteByte(')')
	case 10:
		g.sb.WriteString([]string{"abs", "ceil", "floor", "round", "log", "log2", "log10", "sqrt", "exp"}[g.next()%9])
		g.sb.WriteByte('(')
		g.num(depth + 1)
		g.sb.WriteByte(')')
	case 11:
		g.sb.WriteString([]string{"min", "max", "pow"}[g.next()%3])
		g.sb.WriteByte('(')
		g.num(depth + 1)
		g.sb.WriteString(", ")
		g.num(depth + 1)
		g.sb.WriteByte(')')
	case 12:
		g.sb.WriteByte('(')
		g.num(depth + 1)
		g.sb.WriteString(" ? ")
		g.num(depth + 1)
		g.sb.WriteString(" : ")
		g.num(depth + 1)
		g.sb.WriteByte(')')
	case 13:
		g.sb.WriteString([]string{"hw", "name", "'H100'", "'Memory'"}[g.next()%4])
		g.sb.WriteString([]string{" == ", " != "}[g.next()%2])
		g.sb.WriteString([]string{"hw", "name", "'H100'", "'A100'"}[g.next()%4])
	}
}

// FuzzExprLowering generates expressions and rows and checks that the
// lowering, wherever it covers an expression, agrees with expr-lang.
func FuzzExprLowering(f *testing.F) {
	f.Add([]byte{4, 0, 0, 0, 0, 1, 1, 2}, 3.0, -2.5, 0.0)
	f.Add([]byte{6, 1, 3, 2, 1, 5}, 1.0, 2.0, 3.0)
	f.Add([]byte{11, 0, 0, 0, 1, 0, 1}, math.NaN(), 1.0, 0.0)
	f.Add([]byte{12, 7, 0, 0, 4, 0, 1, 0, 0, 2}, 0.0, -0.0, 1e308)
	f.Add([]byte{5, 1, 8, 6, 1, 0}, 1.0, 1.0, 1.0)
	f.Fuzz(func(t *testing.T, data []byte, a, b, c float64) {
		g := &exprGen{data: data}
		g.num(0)
		src := g.sb.String()
		syms, r := exprTestSyms()
		r.num[0], r.num[1], r.num[2] = a, b, c
		if _, diff := diffExpr(t, src, syms, r, false); diff != "" {
			t.Fatal(diff)
		}
	})
}

// Booleans where numbers must be are refused at compile time, with the
// place named: expr-lang's checker let these through and its VM then
// failed on every row, while the lowering computed them with 0 and 1.
func TestExprRefusesBooleansAsNumbers(t *testing.T) {
	syms, _ := exprTestSyms()
	for _, src := range []string{
		"pow(flag + a, 2)", "sqrt(flag + a)", "log(a < b)", "(a < b) < a", "-(a < b)",
		"log((true ? (a < a) : a) + a)", "flag ? 1 : a > 0", "a % (flag + a)",
	} {
		if _, err := compileExpr(src, syms, false); err == nil || !strings.HasPrefix(err.Error(), "expression: ") {
			t.Errorf("%s: %v, want an expression error", src, err)
		}
	}
	// Numbers where booleans must be (a condition, the operand of not, and,
	// or) are refused likewise: the fuzzer found the VM failing on them.
	for _, src := range []string{"abs(a ? a : a)", "abs(!a ? a : a)", "abs(abs(a) ? a : a)"} {
		if _, err := compileExpr(src, syms, false); err == nil || !strings.Contains(err.Error(), "a number, not a boolean") {
			t.Errorf("%s: %v, want a number-not-boolean error", src, err)
		}
	}
	for _, src := range []string{"a && flag", "flag || a + 1", "not max(a, b)"} { // expr-lang's checker refuses these
		if _, err := compileExpr(src, syms, false); err == nil || !strings.HasPrefix(err.Error(), "expression: ") {
			t.Errorf("%s: %v, want an expression error", src, err)
		}
	}
	// Booleans where booleans belong still compile.
	for _, src := range []string{"flag == (a < b)", "flag ? a : b", "(a < b) && flag", "!(a < b) ? 1 : 2", "a % 2 == 1"} {
		if _, err := compileExpr(src, syms, false); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

// abs(-0) is +0 in expr-lang's VM as in the lowering: the VM's own abs kept
// the sign, so a / -abs(a % a) was -Inf there and +Inf lowered for a < 0.
func TestExprAbsOfNegativeZero(t *testing.T) {
	syms, r := exprTestSyms()
	for _, a := range []float64{3, -3, 0.5, -0.5} {
		r.num[0] = a
		for _, src := range []string{"(a / -(abs(round((a % a)))))", "1 / abs(-0.0 * a)"} {
			if lowered, diff := diffExpr(t, src, syms, r, false); diff != "" || !lowered {
				t.Errorf("a=%v: %s (lowered %v)", a, diff, lowered)
			}
		}
	}
}
