package plots

import (
	"fmt"
	"math"
)

// CDF draws the empirical distribution of an output, one curve per group:
// the fraction of rows at or below each value. Rows are counted in Bins
// bins over the extent (in decades on a log axis), so a CDF of any number
// of rows needs memory for bins × groups; the curve's steps are a bin
// wide, finer than a column-width figure shows.
type CDF struct {
	X        Axis
	Group    string    // "" = one curve
	Identity *Identity // the ranks of the groups shared by a run's figures
	Bins     int       // default 2048
	Limit    int       // most curves (default MaxIdentities); further groups are counted
	ext      Extent
	byKey    map[string]int
	groups   []string
	counts   [][]int64
	dropped  int64
	n        int64
}

// NewCDF returns an empty CDF of column x over the extent ext of its
// values; the axis is logarithmic when the values are positive and span
// more than two decades.
func NewCDF(x Axis, ext Extent, group string) *CDF {
	if !x.Log && ext.N > 0 && ext.Min > 0 && ext.Max/ext.Min > 100 {
		x.Log = true
	}
	return &CDF{X: x, Group: group, Bins: 2048, Limit: MaxIdentities, ext: ext, byKey: map[string]int{}}
}

// pos returns the position of v in [0, 1] over the extent.
func (c *CDF) pos(v float64) float64 {
	lo, hi := c.ext.Min, c.ext.Max
	if c.X.Log {
		if !(v > 0) {
			return math.NaN()
		}
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	if hi == lo {
		return 0
	}
	return (v - lo) / (hi - lo)
}

// Add counts value v of group; values outside the extent, NaN (a null)
// and ±Inf are ignored.
func (c *CDF) Add(v float64, group string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	t := c.pos(v)
	if math.IsNaN(t) || t < 0 || t > 1 {
		return
	}
	k, ok := c.byKey[group]
	if !ok {
		if len(c.groups) >= c.Limit {
			c.dropped++
			return
		}
		k = len(c.groups)
		c.byKey[group] = k
		c.groups = append(c.groups, group)
		c.counts = append(c.counts, make([]int64, c.Bins))
	}
	c.counts[k][min(int(t*float64(c.Bins)), c.Bins-1)]++
	c.n++
}

// value returns the upper edge of bin i.
func (c *CDF) value(i int) float64 {
	t := float64(i+1) / float64(c.Bins)
	if c.X.Log {
		lo, hi := math.Log10(c.ext.Min), math.Log10(c.ext.Max)
		return math.Pow(10, lo+t*(hi-lo))
	}
	return c.ext.Min + t*(c.ext.Max-c.ext.Min)
}

// Figure draws the curves in style st.
func (c *CDF) Figure(st Style) *Figure {
	sx := DisplayScale(c.X.Name, c.X.Unit, math.Max(math.Abs(c.ext.Min), math.Abs(c.ext.Max)))
	pl := newPlot(st)
	setAxis(&pl.X, c.X, sx)
	setAxis(&pl.Y, Axis{Label: "Fraction of configurations"}, Scale{Factor: 1})
	lo, hi := (&Extent{Min: c.ext.Min, Max: c.ext.Max, N: c.ext.N, Log: c.X.Log}).padded()
	pl.X.Min, pl.X.Max = lo*sx.Factor, hi*sx.Factor
	pl.Y.Min, pl.Y.Max = 0, 1.02
	fig := &Figure{Plot: pl, Style: st, scale: [2]float64{sx.Factor, 1}}
	for i, k := range groupOrder(c.groups, c.Identity) {
		r := i
		if ir, ok := c.Identity.Rank(c.groups[k]); ok {
			r = ir
		}
		col, _ := RankStyle(r)
		ls := lineStyle(col, 1.2)
		ls.Dashes = dashes[r%len(dashes)]
		var total int64
		for _, n := range c.counts[k] {
			total += n
		}
		// A step curve: flat across each bin, rising at its upper edge.
		xs := []float64{lo * sx.Factor}
		ys := []float64{0}
		var cum int64
		for b, n := range c.counts[k] {
			if n == 0 {
				continue
			}
			x := c.value(b) * sx.Factor
			xs = append(xs, x, x)
			ys = append(ys, float64(cum)/float64(total), float64(cum+n)/float64(total))
			cum += n
		}
		xs = append(xs, hi*sx.Factor)
		ys = append(ys, 1)
		pl.Add(polyline{x: xs, y: ys, style: ls})
		if c.Group != "" {
			fig.AddLegend(c.groups[k], thumbLine{ls})
		}
	}
	note := fmt.Sprintf("%s rows", groupDigits(c.n))
	if c.Group != "" {
		note = "by " + c.Group + "; " + note
	}
	if c.dropped > 0 {
		note += fmt.Sprintf("; %s rows of further %s not shown", groupDigits(c.dropped), c.Group)
	}
	fig.Footnote = note
	return fig
}

// Fraction returns the fraction of group's rows at or below v, to the
// resolution of a bin (the CDF's value at v, as drawn).
func (c *CDF) Fraction(group string, v float64) float64 {
	k, ok := c.byKey[group]
	if !ok {
		return math.NaN()
	}
	var below, total int64
	for b, n := range c.counts[k] {
		total += n
		if c.value(b) <= v {
			below += n
		}
	}
	return float64(below) / float64(total)
}
