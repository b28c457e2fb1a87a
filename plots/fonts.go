package plots

import (
	"fmt"
	"sync"

	"codeberg.org/go-fonts/dejavu/dejavusans"
	"codeberg.org/go-fonts/dejavu/dejavuserif"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot/font"
)

// FontFamilies are the typefaces a figure's text may be set in, by the
// name a sweep file and `sweep plot --font` use: sans (Liberation Sans,
// metric-compatible with Arial and Helvetica: the default), serif
// (Liberation Serif, metric-compatible with Times New Roman, as most
// paper templates set their text), dejavu-sans and dejavu-serif (DejaVu,
// wider, with more of Unicode). All are TrueType, embedded in SVG and as
// subsets in PDF.
var FontFamilies = []string{"sans", "serif", "dejavu-sans", "dejavu-serif"}

var fontFamilies = map[string]font.Font{
	"sans":         {Typeface: "Liberation", Variant: "Sans"},
	"serif":        {Typeface: "Liberation", Variant: "Serif"},
	"dejavu-sans":  {Typeface: "DejaVu", Variant: "Sans"},
	"dejavu-serif": {Typeface: "DejaVu", Variant: "Serif"},
}

var dejavuOnce sync.Once

// FontFamily returns the font of the family called name (FontFamilies),
// size 0, and false for an unknown name. The DejaVu faces join the font
// cache the first time one is asked for.
func FontFamily(name string) (font.Font, bool) {
	f, ok := fontFamilies[name]
	if ok && f.Typeface == "DejaVu" {
		dejavuOnce.Do(func() {
			var coll font.Collection
			for _, ff := range []struct {
				variant font.Variant
				ttf     []byte
			}{{"Sans", dejavusans.TTF}, {"Serif", dejavuserif.TTF}} {
				face, err := opentype.Parse(ff.ttf)
				if err != nil {
					panic(fmt.Errorf("plots: the embedded DejaVu %s does not parse: %w", ff.variant, err))
				}
				coll = append(coll, font.Face{Font: font.Font{Typeface: "DejaVu", Variant: ff.variant}, Face: face})
			}
			font.DefaultCache.Add(coll)
		})
	}
	return f, ok
}
