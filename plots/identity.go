package plots

import (
	"image/color"
	"strings"

	"gonum.org/v1/plot/vg/draw"
)

// Identity gives each value of a category column (a hardware name, a
// precision, a batch size) one rank for a whole run, and so one colour and
// one marker in every figure of the run: the same GPU is drawn alike in the
// Pareto figure, the roofline and the lines, whichever of its values a
// figure shows. Ranks follow the order the Identity is built with (the
// registry's order for registry names, numeric order for numbers).
//
// The zero Identity, and a nil one, know no value.
type Identity struct {
	Column string // the column whose values it ranks
	rank   map[string]int
	labels []string
}

// NewIdentity returns the identity of column whose values, in rank order,
// are labels (repeated labels keep their first rank).
func NewIdentity(column string, labels []string) *Identity {
	id := &Identity{Column: column, rank: make(map[string]int, len(labels))}
	for _, l := range labels {
		if _, ok := id.rank[l]; !ok {
			id.rank[l] = len(id.labels)
			id.labels = append(id.labels, l)
		}
	}
	return id
}

// Rank returns the rank of label, and false when the identity does not
// know it.
func (id *Identity) Rank(label string) (int, bool) {
	if id == nil {
		return 0, false
	}
	r, ok := id.rank[label]
	return r, ok
}

// Len returns the number of values the identity knows.
func (id *Identity) Len() int {
	if id == nil {
		return 0
	}
	return len(id.labels)
}

// Labels returns the values in rank order.
func (id *Identity) Labels() []string {
	if id == nil {
		return nil
	}
	return id.labels
}

// Compare orders labels by rank, the labels the identity knows first,
// the others in text order; a nil identity orders by text.
func (id *Identity) Compare(a, b string) int {
	ra, oka := id.Rank(a)
	rb, okb := id.Rank(b)
	switch {
	case oka && okb:
		return ra - rb
	case oka != okb:
		if oka {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// identityShapes are the markers of ranks: each of the seven palette
// colours with a circle, then with a square, a triangle ..., so that 49
// categories are told apart by colour × marker.
var identityShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{},
	draw.PyramidGlyph{}, draw.RingGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}

// MaxIdentities is the number of distinct colour × marker pairs,
// len(OkabeIto) × 7; further ranks repeat them.
var MaxIdentities = len(OkabeIto) * len(identityShapes)

// RankStyle returns the colour and marker of rank r: colour
// OkabeIto[r mod 7], marker identityShapes[⌊r/7⌋ mod 7].
func RankStyle(r int) (color.Color, draw.GlyphDrawer) {
	r = max(r, 0)
	return OkabeIto[r%len(OkabeIto)], identityShapes[(r/len(OkabeIto))%len(identityShapes)]
}

// LegendColor returns the colour of the legend entry called name (that of
// its marker or line), and false when the figure has no such entry.
func (f *Figure) LegendColor(name string) (color.Color, bool) {
	for _, l := range f.legend {
		if l.name != name {
			continue
		}
		for _, t := range l.thumbs {
			switch t := t.(type) {
			case thumbGlyph:
				return t.Color, true
			case thumbLine:
				return t.Color, true
			case thumbSwatch:
				return t.c, true
			}
		}
	}
	return nil, false
}
