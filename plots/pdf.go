package plots

// The PDF canvas is gonum's vgpdf (gonum.org/v1/plot/vg/vgpdf, BSD-3-Clause)
// with three changes that a paper needs: fonts are embedded as UTF-8
// TrueType subsets (only the glyphs drawn, with a ToUnicode map, so text
// copied or extracted from the PDF reads as drawn: "min(I·B, P)", "▲",
// "10−4"), where vgpdf embeds whole fonts under the cp1252 code page and
// writes other characters as mojibake; the creation and modification
// dates are fixed, and the catalog sorted, so that identical figures give
// identical bytes.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
	"time"

	pdf "codeberg.org/go-pdf/fpdf"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// pdfDate is the creation and modification date written in every PDF:
// fixed, so that a figure's bytes depend on its content only.
var pdfDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// pdfCanvas is a vg.Canvas drawing one page of a PDF.
type pdfCanvas struct {
	doc       *pdf.Fpdf
	w, h      vg.Length
	numImages int
	stack     []pdfContext
	fonts     map[font.Font]string // the PDF names of the fonts registered, by typeface (size 0)
	err       error                // the first font that could not be read
	// The runes drawn with each registered font and its PostScript
	// name, by PDF name: its subset tag (pdftag.go).
	runes   map[string]map[rune]bool
	psNames map[string]string
	font0   string // the font selected last
}

type pdfContext struct {
	fill, line color.Color
	width      vg.Length
}

// newPDF returns a canvas of w × h.
func newPDF(w, h vg.Length) *pdfCanvas {
	doc := pdf.NewCustom(&pdf.InitType{UnitStr: "pt", Size: pdf.SizeType{Wd: w.Points(), Ht: h.Points()}})
	doc.SetCreationDate(pdfDate)
	doc.SetModificationDate(pdfDate)
	doc.SetCatalogSort(true)
	doc.SetCompression(true)
	c := &pdfCanvas{doc: doc, w: w, h: h, stack: make([]pdfContext, 1), fonts: map[font.Font]string{},
		runes: map[string]map[rune]bool{}, psNames: map[string]string{}}
	doc.SetMargins(0, 0, 0)
	doc.AddPage()
	c.Push()
	c.Translate(vg.Point{X: 0, Y: c.h})
	c.Scale(1, -1)
	vg.Initialize(c)
	return c
}

func (c *pdfCanvas) ctx() *pdfContext { return &c.stack[len(c.stack)-1] }

// unit converts a length to PDF points.
func (c *pdfCanvas) unit(l vg.Length) float64 { return l.Points() }

func (c *pdfCanvas) pt(p vg.Point) (float64, float64) { return c.unit(p.X), c.unit(p.Y) }

func (c *pdfCanvas) Size() (w, h vg.Length) { return c.w, c.h }

func (c *pdfCanvas) SetLineWidth(w vg.Length) {
	c.ctx().width = w
	c.doc.SetLineWidth(c.unit(w))
}

func (c *pdfCanvas) SetLineDash(dashes []vg.Length, offs vg.Length) {
	ds := make([]float64, len(dashes))
	for i, d := range dashes {
		ds[i] = c.unit(d)
	}
	c.doc.SetDashPattern(ds, c.unit(offs))
}

func (c *pdfCanvas) SetColor(clr color.Color) {
	if clr == nil {
		clr = color.Black
	}
	c.ctx().line, c.ctx().fill = clr, clr
	r, g, b, a := clr.RGBA()
	ri, gi, bi := int(r>>8), int(g>>8), int(b>>8)
	if a > 0 && a < 0xffff { // un-premultiply
		ri, gi, bi = int(r*0xff/a), int(g*0xff/a), int(b*0xff/a)
	}
	c.doc.SetFillColor(ri, gi, bi)
	c.doc.SetDrawColor(ri, gi, bi)
	c.doc.SetTextColor(ri, gi, bi)
	c.doc.SetAlpha(float64(a)/math.MaxUint16, "Normal")
}

func (c *pdfCanvas) Rotate(r float64) { c.doc.TransformRotate(-r*180/math.Pi, 0, 0) }

func (c *pdfCanvas) Translate(p vg.Point) {
	x, y := c.pt(p)
	c.doc.TransformTranslate(x, y)
}

func (c *pdfCanvas) Scale(x, y float64) { c.doc.TransformScale(x*100, y*100, 0, 0) }

func (c *pdfCanvas) Push() {
	c.stack = append(c.stack, *c.ctx())
	c.doc.TransformBegin()
}

func (c *pdfCanvas) Pop() {
	c.doc.TransformEnd()
	c.stack = c.stack[:len(c.stack)-1]
}

func (c *pdfCanvas) Stroke(p vg.Path) {
	if c.ctx().width > 0 {
		c.path(p, "D")
	}
}

func (c *pdfCanvas) Fill(p vg.Path) { c.path(p, "F") }

func (c *pdfCanvas) path(path vg.Path, style string) {
	var x0, y0 float64
	for _, comp := range path {
		switch comp.Type {
		case vg.MoveComp:
			x0, y0 = c.pt(comp.Pos)
			c.doc.MoveTo(x0, y0)
		case vg.LineComp:
			c.doc.LineTo(c.pt(comp.Pos))
		case vg.ArcComp:
			c.arc(comp, style)
		case vg.CurveComp:
			px, py := c.pt(comp.Pos)
			switch len(comp.Control) {
			case 1:
				cx, cy := c.pt(comp.Control[0])
				c.doc.CurveTo(cx, cy, px, py)
			case 2:
				cx, cy := c.pt(comp.Control[0])
				dx, dy := c.pt(comp.Control[1])
				c.doc.CurveBezierCubicTo(cx, cy, dx, dy, px, py)
			}
		case vg.CloseComp:
			c.doc.LineTo(x0, y0)
			c.doc.ClosePath()
		}
	}
	c.doc.DrawPath(style)
}

func (c *pdfCanvas) arc(comp vg.PathComp, style string) {
	x0 := comp.Pos.X + comp.Radius*vg.Length(math.Cos(comp.Start))
	y0 := comp.Pos.Y + comp.Radius*vg.Length(math.Sin(comp.Start))
	c.doc.LineTo(c.unit(x0), c.unit(y0))
	r := c.unit(comp.Radius)
	const deg = 180 / math.Pi
	beg := comp.Start * deg
	c.doc.Arc(c.unit(comp.Pos.X), c.unit(comp.Pos.Y), r, r, comp.Angle*deg, beg, beg+comp.Angle*deg, style)
	x1 := comp.Pos.X + comp.Radius*vg.Length(math.Cos(comp.Start+comp.Angle))
	y1 := comp.Pos.Y + comp.Radius*vg.Length(math.Sin(comp.Start+comp.Angle))
	c.doc.MoveTo(c.unit(x1), c.unit(y1))
}

// font registers fnt's TrueType data as a UTF-8 font and selects it.
func (c *pdfCanvas) font(fnt font.Face) bool {
	key := fnt.Font
	key.Size = 0 // one embedded font for every size of a typeface
	name, ok := c.fonts[key]
	if !ok {
		var raw bytes.Buffer
		if _, err := fnt.Face.WriteSourceTo(nil, &raw); err != nil {
			if c.err == nil {
				c.err = fmt.Errorf("font %s: %w", fnt.Name(), err)
			}
			return false
		}
		name = fmt.Sprintf("F%d", len(c.fonts))
		c.doc.AddUTF8FontFromBytes(name, "", raw.Bytes())
		if err := c.doc.Error(); err != nil {
			if c.err == nil {
				c.err = fmt.Errorf("font %s: %w", fnt.Name(), err)
			}
			return false
		}
		c.fonts[key] = name
		c.runes[name] = map[rune]bool{}
		c.psNames[name] = pdfName(fnt.Name())
	}
	c.font0 = name
	c.doc.SetFont(name, "", fnt.Font.Size.Points())
	return true
}

func (c *pdfCanvas) FillString(fnt font.Face, p vg.Point, str string) {
	if fnt.Font.Size == 0 || !c.font(fnt) {
		return
	}
	for _, r := range str {
		c.runes[c.font0][r] = true
	}
	c.Push()
	defer c.Pop()
	c.Translate(p)
	c.Scale(1, -1) // fpdf's origin is the top left corner
	// The text box as vgpdf places it: from the font's ascent above the
	// baseline, its height the font size, aligned at its bottom.
	key := fnt.Font
	key.Size = 0
	name := c.fonts[key]
	_, h := c.doc.GetFontSize()
	top := 0.81 * h
	if d := c.doc.GetFontDesc(name, ""); d.Ascent != 0 {
		top = -float64(d.Ascent) * h / float64(d.Ascent-d.Descent)
	}
	margin := c.doc.GetCellMargin()
	c.doc.MoveTo(-margin, top)
	c.doc.CellFormat(c.doc.GetStringWidth(str), h, str, "", 0, "BL", false, 0, "")
}

func (c *pdfCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		if c.err == nil {
			c.err = err
		}
		return
	}
	c.numImages++
	name := fmt.Sprintf("image_%03d.png", c.numImages)
	opts := pdf.ImageOptions{ImageType: "png", ReadDpi: true}
	c.doc.RegisterImageOptionsReader(name, opts, &buf)
	x, y := c.pt(rect.Min)
	w, h := c.pt(rect.Size())
	c.doc.ImageOptions(name, x, y, w, h, false, opts, 0, "")
}

// WriteTo writes the PDF to w; the canvas may not be drawn on after.
func (c *pdfCanvas) WriteTo(w io.Writer) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.Pop()
	c.doc.Close()
	var raw bytes.Buffer
	if err := c.doc.Output(&raw); err != nil {
		return 0, err
	}
	// fpdf names a UTF-8 font "utf8" + its family key (lower case).
	names := map[string]string{}
	for name, runes := range c.runes {
		ps := c.psNames[name]
		names["utf8"+strings.ToLower(name)] = subsetTag(ps, runes) + "+" + ps
	}
	doc, err := renameFonts(raw.Bytes(), names)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(doc)
	return int64(n), err
}
