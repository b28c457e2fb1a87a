package plots

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// legendFigure is a figure of three named lines in font family fam.
func legendFigure(t *testing.T, fam string) *Figure {
	t.Helper()
	st := ColumnStyle
	if fam != "" {
		f, ok := FontFamily(fam)
		if !ok {
			t.Fatalf("family %q unknown", fam)
		}
		st.Font = f
	}
	l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "latency_s", Unit: "s"}, "precision", AggMin)
	for i, g := range []string{"fp16", "fp8", "int4"} {
		for x := 1; x <= 4; x++ {
			l.Add(float64(x), float64(x*(i+1))*1e-3, g)
		}
	}
	fig := l.Figure(st)
	fig.Footnote = "min(I·B, P)"
	return fig
}

// Every legend position and a column count draw, and the PDF's text
// extracts as drawn in every font family, each font named as a subset of
// its family.
func TestLegendPositionsAndFonts(t *testing.T) {
	for _, pos := range LegendPositions {
		fig := legendFigure(t, "")
		if err := fig.SetLegend(pos, 2); err != nil {
			t.Fatalf("%s: %v", pos, err)
		}
		text := pdfText(t, figurePDF(t, fig))
		for _, want := range []string{"min(I·B, P)", "Batch size"} {
			if !strings.Contains(text, want) {
				t.Errorf("legend %s: text %q lacks %q", pos, text, want)
			}
		}
		if has := strings.Contains(text, "int4"); has != (pos != "none") {
			t.Errorf("legend %s: legend drawn %v", pos, has)
		}
	}
	if err := legendFigure(t, "").SetLegend("middle", 0); err == nil {
		t.Error("legend middle accepted")
	}
	names := map[string]string{"sans": "LiberationSans", "serif": "LiberationSerif", "dejavu-sans": "DejaVuSans", "dejavu-serif": "DejaVuSerif"}
	for _, fam := range FontFamilies {
		b := figurePDF(t, legendFigure(t, fam))
		m := regexp.MustCompile(`/BaseFont /[A-Z]{6}\+([A-Za-z]+)`).FindSubmatch(b)
		if m == nil || string(m[1]) != names[fam] {
			t.Errorf("%s: font %q, want %s", fam, m, names[fam])
		}
		if text := pdfText(t, b); !strings.Contains(text, "min(I·B, P)") || !strings.Contains(text, "fp16") {
			t.Errorf("%s: text %q", fam, text)
		}
		if !bytes.Equal(b, figurePDF(t, legendFigure(t, fam))) {
			t.Errorf("%s: two PDFs of one figure differ", fam)
		}
	}
	if _, ok := FontFamily("comic"); ok {
		t.Error("family comic known")
	}
}
