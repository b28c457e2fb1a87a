package plots

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// rooflinePDF draws the golden roofline (its footnote holds "min(I·B, P)"
// and "▲ ridge point", its ticks 10^−n) as a PDF and returns its bytes.
func figurePDF(t *testing.T, fig *Figure) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.pdf")
	if err := fig.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pdfText returns the text a PDF viewer extracts from b: each string shown
// (Tj, TJ) mapped back to Unicode through its font's ToUnicode map, the
// strings of a page joined by spaces. It reads what fpdf writes: zlib
// streams, Identity-H fonts with two-byte glyph ids, bfchar and bfrange
// maps.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	streams := regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`).FindAllSubmatch(b, -1)
	var plain [][]byte
	for _, s := range streams {
		r, err := zlib.NewReader(bytes.NewReader(s[1]))
		if err != nil {
			plain = append(plain, s[1])
			continue
		}
		d, _ := io.ReadAll(r)
		plain = append(plain, d)
	}
	// The glyph → text map of every ToUnicode CMap (one font here: the
	// sizes share it).
	cmap := map[uint16]string{}
	hex := func(s string) uint64 { v, _ := strconv.ParseUint(s, 16, 64); return v }
	utf16 := func(s string) string {
		var rs []rune
		for i := 0; i+4 <= len(s); i += 4 {
			rs = append(rs, rune(hex(s[i:i+4])))
		}
		return string(rs)
	}
	bfchar := regexp.MustCompile(`<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>`)
	bfrange := regexp.MustCompile(`<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>`)
	for _, p := range plain {
		if !bytes.Contains(p, []byte("begincmap")) {
			continue
		}
		for _, sec := range regexp.MustCompile(`(?s)beginbfrange(.*?)endbfrange`).FindAllSubmatch(p, -1) {
			for _, m := range bfrange.FindAllStringSubmatch(string(sec[1]), -1) {
				lo, hi, dst := hex(m[1]), hex(m[2]), hex(m[3])
				for g := lo; g <= hi; g++ {
					cmap[uint16(g)] = string(rune(dst + g - lo))
				}
			}
		}
		for _, sec := range regexp.MustCompile(`(?s)beginbfchar(.*?)endbfchar`).FindAllSubmatch(p, -1) {
			for _, m := range bfchar.FindAllStringSubmatch(string(sec[1]), -1) {
				cmap[uint16(hex(m[1]))] = utf16(m[2])
			}
		}
	}
	if len(cmap) == 0 {
		t.Fatal("the PDF has no ToUnicode map")
	}
	var out []string
	show := regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`)
	for _, p := range plain {
		for _, m := range show.FindAllSubmatch(p, -1) {
			raw := unescapePDF(m[1])
			var sb strings.Builder
			for i := 0; i+1 < len(raw); i += 2 {
				g := uint16(raw[i])<<8 | uint16(raw[i+1])
				s, ok := cmap[g]
				if !ok {
					s = "\uFFFD"
				}
				sb.WriteString(s)
			}
			out = append(out, sb.String())
		}
	}
	return strings.Join(out, " ")
}

// unescapePDF undoes the escapes of a PDF literal string.
func unescapePDF(s []byte) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			out = append(out, s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		default:
			if c >= '0' && c <= '7' {
				j := i
				for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
					j++
				}
				v, _ := strconv.ParseUint(string(s[i:j]), 8, 8)
				out = append(out, byte(v))
				i = j - 1
			} else {
				out = append(out, c)
			}
		}
	}
	return out
}

// pdfFigure is a figure whose text needs more than cp1252: a footnote
// with "·" and "▲", log ticks at 10^−5 … 10^−3 (a true minus).
func pdfFigure() *Figure {
	l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "ratio", Log: true}, "", AggMin)
	for i, v := range []float64{2e-6, 3e-5, 4e-4, 5e-3} {
		l.Add(float64(i+1), v, "")
	}
	fig := l.Figure(ColumnStyle)
	fig.Footnote = "min(I·B, P); ▲ ridge"
	return fig
}

// The text of a PDF extracts as drawn, through subset fonts' ToUnicode
// maps, and identical figures give identical bytes.
func TestPDFTextAndBytes(t *testing.T) {
	a, b := figurePDF(t, pdfFigure()), figurePDF(t, pdfFigure())
	if !bytes.Equal(a, b) {
		t.Error("two PDFs of one figure differ")
	}
	text := pdfText(t, a)
	for _, want := range []string{"min(I·B, P); ▲ ridge", "10 \u22124", "Batch size"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text %q lacks %q", text, want)
		}
	}
	// Subset fonts: Liberation Sans whole is about 400 kB (220 kB
	// compressed); the glyphs of a figure are a few kB.
	if len(a) > 60_000 {
		t.Errorf("PDF is %d bytes; are its fonts subset?", len(a))
	}
}

// PNG and SVG bytes are identical for identical figures too.
func TestPNGAndSVGBytesReproducible(t *testing.T) {
	for _, ext := range []string{"png", "svg"} {
		var got [][]byte
		for range 2 {
			path := filepath.Join(t.TempDir(), "f."+ext)
			if err := pdfFigure().Save(path); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Errorf("two %s files of one figure differ", ext)
		}
	}
}

// Every font of a PDF is named as a subset: /BaseFont and /FontName
// TAG+Name, the same six upper-case letters in each of a font's three
// dictionaries; the tag follows the glyphs drawn, and the cross-reference
// table still points at each object after the renaming.
func TestPDFSubsetTag(t *testing.T) {
	a := figurePDF(t, pdfFigure())
	names := regexp.MustCompile(`/(?:BaseFont|FontName) /([^\s/<>\[\]()]+)`).FindAllSubmatch(a, -1)
	if len(names) == 0 {
		t.Fatal("no font names")
	}
	tagged := regexp.MustCompile(`^[A-Z]{6}\+[A-Za-z0-9-]+$`)
	perFont := map[string]int{}
	for _, n := range names {
		if !tagged.Match(n[1]) {
			t.Errorf("font name %q lacks a subset tag", n[1])
		}
		perFont[string(n[1])]++
	}
	for n, k := range perFont {
		if k != 3 {
			t.Errorf("%s named %d times, want 3 (Type0, CIDFontType2, FontDescriptor)", n, k)
		}
	}
	// The cross-reference table: each entry at "N 0 obj", startxref at it.
	sx := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(a)
	if sx == nil {
		t.Fatal("no startxref at the end")
	}
	at, _ := strconv.Atoi(string(sx[1]))
	if !bytes.HasPrefix(a[at:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the table", at)
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(a[at:], -1)
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if want := fmt.Sprintf("%d 0 obj", i+1); !bytes.HasPrefix(a[off:], []byte(want)) {
			t.Errorf("entry %d at %d reads %q, want %q", i+1, off, a[off:off+len(want)], want)
		}
	}
	// Another glyph set, another tag.
	other := pdfFigure()
	other.Footnote = "other text: Ωμ"
	b := figurePDF(t, other)
	nb := regexp.MustCompile(`/BaseFont /([A-Z]{6})\+`).FindSubmatch(b)
	if nb == nil || bytes.Equal(nb[1], names[0][1][:6]) {
		t.Errorf("tags %q and %q of different glyph sets", names[0][1], nb)
	}
	if subsetTag("LiberationSans", map[rune]bool{'a': true}) != subsetTag("LiberationSans", map[rune]bool{'a': true}) {
		t.Error("the tag of one glyph set differs between calls")
	}
}
