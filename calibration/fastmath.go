package calibration

import "math"

// The p-norm blend (a^p + b^p)^(1/p) of the operator model is the hot path
// of every calibrated evaluation. It is computed as
//
//	m · 2^(log2(1 + 2^(p·log2 r)) / p),  m = max(a, b), r = min(a, b)/m
//
// with table-driven log2 and exp2 (the classic libm reductions: 128
// logarithms of 1 + j/128 and 64 powers 2^(j/64), then short Taylor
// series), which are exact to a few units in the last place; when
// x = r^p < 2^-10 the outer power is its binomial series instead. The
// result agrees with the math.Pow formulation to better than 1e-13
// relative (TestPNormMatchesPow). A blend whose smaller term contributes under
// 2^-60 of the larger returns the larger term: the neglected part is
// below 2^-60/p relative.

const (
	logTabBits = 7
	logTabN    = 1 << logTabBits
	expTabBits = 6
	expTabN    = 1 << expTabBits
)

var (
	logTabC    [logTabN]float64 // 1 + j/128
	logTabInvC [logTabN]float64 // 1/(1 + j/128)
	logTabL    [logTabN]float64 // log2(1 + j/128)
	expTab     [expTabN]float64 // 2^(j/64)
)

func init() {
	for j := range logTabN {
		c := 1 + float64(j)/logTabN
		logTabC[j], logTabInvC[j], logTabL[j] = c, 1/c, math.Log2(c)
	}
	for j := range expTabN {
		expTab[j] = math.Exp2(float64(j) / expTabN)
	}
}

// log2Normal returns log2(x) for a positive normal x.
func log2Normal(x float64) float64 {
	bits := math.Float64bits(x)
	e := int(bits>>52&0x7ff) - 1023
	mant := bits & (1<<52 - 1)
	j := mant >> (52 - logTabBits)
	m := math.Float64frombits(mant | 0x3ff<<52) // [1, 2)
	u := (m - logTabC[j]) * logTabInvC[j]       // [0, 1/128)
	// ln(1+u), |u| < 2^-7: the series to u^6 leaves < u^7/7 < 2^-51.
	u2 := u * u
	l := u + u2*(-1.0/2+u*(1.0/3)) + u2*u2*(-1.0/4+u*(1.0/5)+u2*(-1.0/6))
	return float64(e) + logTabL[j] + l*math.Log2E
}

// exp2Small returns 2^z for -1000 < z < 1000.
func exp2Small(z float64) float64 {
	t := z * expTabN // exact: a power-of-two scaling
	ki := int(t)     // truncates toward zero
	if float64(ki) > t {
		ki--
	}
	f := (t - float64(ki)) * (math.Ln2 / expTabN) // [0, ln2/64)
	j := ki & (expTabN - 1)
	e := ki >> expTabBits // floor division
	// e^f, f < 0.011: the series to f^6 leaves < f^7/5040 < 2^-58.
	f2 := f * f
	s := 1 + f + f2*(1.0/2+f*(1.0/6)) + f2*f2*(1.0/24+f*(1.0/120)+f2*(1.0/720))
	return expTab[j] * s * math.Float64frombits(uint64(e+1023)<<52)
}

// PNorm returns (a^p + b^p)^(1/p) for a, b ≥ 0 and p > 0; a non-positive
// term leaves the other.
func PNorm(a, b, p float64) float64 {
	k := sharpness{p: p, invP: 1 / p}
	k.c2 = k.invP * (k.invP - 1) / 2
	k.c3 = k.c2 * (k.invP - 2) / 3
	k.c4 = k.c3 * (k.invP - 3) / 4
	return k.blend(a, b)
}

// sharpness holds what a p-norm of sharpness p needs besides its terms:
// 1/p, the coefficients of the binomial series of (1+x)^(1/p), and the
// cut-off ratio r below which the blend is its larger term (r^p < 2^-40);
// for p = 2, 4, 8 or 16 (roots = log2 p), the square roots that compute it
// exactly instead.
type sharpness struct {
	p, invP, c2, c3, c4, r float64
	roots                  int
}

// rootSharpness lists the sharpnesses blended by square roots: the values
// a fit chooses among (SharpnessChoices).
var rootSharpness = map[float64]int{2: 1, 4: 2, 8: 3, 16: 4}

func newSharpness(p float64) sharpness {
	a := 1 / p
	c2 := a * (a - 1) / 2
	c3 := c2 * (a - 2) / 3
	return sharpness{p: p, invP: a, c2: c2, c3: c3, c4: c3 * (a - 3) / 4, r: exp2Small(-40 / p), roots: rootSharpness[p]}
}

// pnormRoots returns (a^p + b^p)^(1/p) for p = 2^roots: the smaller term's
// ratio squared roots times, then as many square roots of 1 plus it; exact
// to a few roundings.
func pnormRoots(a, b float64, roots int) float64 {
	if a <= 0 {
		return b
	}
	if b <= 0 {
		return a
	}
	m, s := a, b
	if b > a {
		m, s = b, a
	}
	x := s / m
	for range roots {
		x *= x
	}
	x += 1
	for range roots {
		x = math.Sqrt(x)
	}
	return m * x
}

// blend returns (a^p + b^p)^(1/p).
func (k *sharpness) blend(a, b float64) float64 {
	if k.roots > 0 {
		return pnormRoots(a, b, k.roots)
	}
	if a <= 0 {
		return b
	}
	if b <= 0 {
		return a
	}
	m, s := a, b
	if b > a {
		m, s = b, a
	}
	if s < k.r*m || s < 0x1p-1000*m {
		return m
	}
	z := k.p * log2Normal(s/m)
	if z < -40 {
		return m
	}
	x := exp2Small(z) // (0, 1]
	if x < 0x1p-10 {
		// (1+x)^(1/p) by its binomial series: the x^5 term is below 2^-50.
		return m * (1 + x*(k.invP+x*(k.c2+x*(k.c3+x*k.c4))))
	}
	return m * exp2Small(log2Normal(1+x)*k.invP)
}

// pnorm4 is PNorm with p = 4, by square roots: exact to rounding.
func pnorm4(a, b float64) float64 { return pnormRoots(a, b, 2) }
