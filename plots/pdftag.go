package plots

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Subset tags. A font embedded as a subset is named TAG+PostScriptName in
// its /BaseFont and /FontName, TAG six upper-case letters that differ
// between different subsets of a font (PDF 32000-1:2008 §9.6.4); pdffonts
// and preflight tools read the tag to tell a subset from a whole font.
// fpdf cuts the glyphs but names every font "utf8" + its family, so the
// canvas renames them when it writes the file: the tag comes from a hash
// of the font's name and the runes drawn with it, so that identical
// figures keep identical bytes and different glyph sets get different
// tags.

// subsetTag returns the six-letter tag of the subset of the font called
// name holding runes: the FNV-1a 64 hash of the name and the sorted runes,
// read six times modulo 26.
func subsetTag(name string, runes map[rune]bool) string {
	rs := make([]rune, 0, len(runes))
	for r := range runes {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	h := fnv.New64a()
	h.Write([]byte(name))
	for _, r := range rs {
		h.Write([]byte(strconv.QuoteRune(r)))
	}
	v := h.Sum64()
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + byte(v%26)
		v /= 26
	}
	return string(tag)
}

// pdfName returns s with every byte that is not a letter, digit or '-'
// dropped: a PostScript name that needs no escaping in a PDF name.
func pdfName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return r
		}
		return -1
	}, s)
}

// renameFonts returns the PDF doc (one fpdf wrote: a classic cross-reference
// table at startxref) with every /BaseFont and /FontName whose name is a
// key of names renamed to its value, and the cross-reference offsets and
// startxref moved by what the renaming inserted before them.
func renameFonts(doc []byte, names map[string]string) ([]byte, error) {
	sx := bytes.LastIndex(doc, []byte("startxref"))
	if sx < 0 {
		return nil, errors.New("pdf: no startxref")
	}
	f := strings.Fields(string(doc[sx+len("startxref"):]))
	if len(f) < 1 {
		return nil, errors.New("pdf: no startxref offset")
	}
	xref, err := strconv.Atoi(f[0])
	if err != nil || xref < 0 || xref >= sx || !bytes.HasPrefix(doc[xref:], []byte("xref")) {
		return nil, fmt.Errorf("pdf: startxref %q does not point at a cross-reference table", f[0])
	}
	// The edits, in file order, before the table.
	type edit struct {
		at, n int // the old name's position and length
		name  string
	}
	var edits []edit
	for _, key := range []string{"/BaseFont /", "/FontName /"} {
		for i := 0; ; {
			j := bytes.Index(doc[i:xref], []byte(key))
			if j < 0 {
				break
			}
			at := i + j + len(key)
			end := at
			for end < xref && !isPDFDelimiter(doc[end]) {
				end++
			}
			if to, ok := names[string(doc[at:end])]; ok {
				edits = append(edits, edit{at, end - at, to})
			}
			i = end
		}
	}
	slices.SortFunc(edits, func(a, b edit) int { return a.at - b.at })
	shift := func(off int) int { // bytes inserted before off
		d := 0
		for _, e := range edits {
			if e.at < off {
				d += len(e.name) - e.n
			}
		}
		return d
	}
	var out bytes.Buffer
	out.Grow(len(doc) + 64*len(edits))
	last := 0
	for _, e := range edits {
		out.Write(doc[last:e.at])
		out.WriteString(e.name)
		last = e.at + e.n
	}
	out.Write(doc[last:xref])
	// The table: "xref", "0 N", then N entries of "oooooooooo ggggg n \n".
	lines := strings.SplitAfter(string(doc[xref:sx]), "\n")
	for _, l := range lines {
		if len(l) == 20 && l[10] == ' ' && l[16] == ' ' && l[17] == 'n' {
			off, err := strconv.Atoi(l[:10])
			if err != nil {
				return nil, fmt.Errorf("pdf: cross-reference entry %q", l)
			}
			fmt.Fprintf(&out, "%010d%s", off+shift(off), l[10:])
			continue
		}
		out.WriteString(l)
	}
	fmt.Fprintf(&out, "startxref\n%d\n%%%%EOF\n", xref+shift(xref))
	return out.Bytes(), nil
}

// isPDFDelimiter reports whether b ends a PDF name: white space or a
// delimiter character (PDF 32000-1:2008 §7.2.2).
func isPDFDelimiter(b byte) bool {
	return strings.IndexByte(" \t\r\n\f\x00()<>[]{}/%", b) >= 0
}
