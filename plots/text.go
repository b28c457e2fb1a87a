package plots

import (
	"strings"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// supText draws "base^exp" with exp as a true superscript (smaller and
// raised), and any other text as text.Plain does. Labels such as 10^−4 are
// written this way because the embedded Liberation Sans has no superscript
// minus, zero or nine: written with Unicode superscripts, 10⁻⁴ would print
// as "10⁴".
type supText struct{ text.Plain }

const (
	supScale = 0.72 // exponent size relative to the base
	supRaise = 0.42 // exponent baseline raise, in base font sizes
)

func newSupText() supText { return supText{text.Plain{Fonts: font.DefaultCache}} }

func splitSup(txt string) (base, exp string, ok bool) {
	base, exp, ok = strings.Cut(txt, "^")
	return base, exp, ok && !strings.Contains(txt, "\n")
}

// Box returns the extents of txt in fnt.
func (h supText) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	base, exp, ok := splitSup(txt)
	if !ok {
		return h.Plain.Box(txt, fnt)
	}
	w, ht, d := h.Plain.Box(base, fnt)
	sf := fnt
	sf.Size *= supScale
	we, he, _ := h.Plain.Box(exp, sf)
	return w + we, max(ht, he+supRaise*fnt.Size), d
}

// Draw draws txt at pt in style sty.
func (h supText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	base, exp, ok := splitSup(txt)
	if !ok || sty.Rotation != 0 {
		h.Plain.Draw(c, strings.ReplaceAll(txt, "^", ""), sty, pt)
		return
	}
	face := h.Fonts.Lookup(sty.Font, sty.Font.Size)
	sf := sty.Font
	sf.Size *= supScale
	sface := h.Fonts.Lookup(sf, sf.Size)
	wb := face.Width(base)
	w := wb + sface.Width(exp)
	_, ht, d := h.Box(txt, sty.Font)
	// The baseline, from the alignment of the whole box.
	x := pt.X + vg.Length(sty.XAlign)*w
	y := pt.Y + vg.Length(sty.YAlign)*(ht+d) + d
	c.SetColor(sty.Color)
	c.FillString(face, vg.Point{X: x, Y: y}, base)
	c.FillString(sface, vg.Point{X: x + wb, Y: y + supRaise*sty.Font.Size}, exp)
}
