package figures

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/sweeps"
)

// galleryWrite rewrites docs/figures/*.png from the gallery's entries
// (`make figures`).
var galleryWrite = flag.Bool("gallery", false, "redraw docs/figures/*.png from the entries of docs/figures.md")

// A galleryEntry is one figure of docs/figures.md: the study it is drawn
// from, the plots section that draws it, and its file in docs/figures.
type galleryEntry struct {
	study, plots, name string
}

// galleryEntries reads the entries of docs/figures.md.
func galleryEntries(t *testing.T) []galleryEntry {
	t.Helper()
	md, err := os.ReadFile(filepath.Join("..", "docs", "figures.md"))
	if err != nil {
		t.Fatal(err)
	}
	study := regexp.MustCompile("`sweeps/([a-z0-9-]+)\\.yaml`")
	block := regexp.MustCompile("(?s)```yaml\n(plots:\n.*?)```")
	image := regexp.MustCompile(`!\[[^\]]*\]\(figures/([a-z0-9-]+)\.png\)`)
	var out []galleryEntry
	for _, sec := range strings.Split(string(md), "\n## ")[1:] {
		s, b, i := study.FindStringSubmatch(sec), block.FindStringSubmatch(sec), image.FindStringSubmatch(sec)
		if s == nil || b == nil || i == nil {
			t.Fatalf("docs/figures.md: section %q lacks its study, its plots block or its image", strings.SplitN(sec, "\n", 2)[0])
		}
		out = append(out, galleryEntry{study: s[1], plots: b[1], name: i[1]})
	}
	return out
}

// withPlots returns the sweep file src with its plots section replaced by
// plots.
func withPlots(src, plots string) string {
	var keep []string
	in := false
	for _, l := range strings.Split(src, "\n") {
		switch {
		case strings.HasPrefix(l, "plots:"):
			in = true
			continue
		case in && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "-") || l == ""):
			continue
		}
		in = false
		keep = append(keep, l)
	}
	return strings.TrimRight(strings.Join(keep, "\n"), "\n") + "\n" + plots
}

// TestGallery runs every entry of docs/figures.md on its study: the entry
// is a valid plot entry of that sweep and draws its figure. With
// -gallery it rewrites docs/figures/NAME.png.
func TestGallery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the studies")
	}
	entries := galleryEntries(t)
	kinds := map[string]bool{}
	runs := map[string]string{} // study → run folder
	for _, e := range entries {
		data, err := sweeps.FS.ReadFile(e.study + ".yaml")
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		spec, err := dse.ParseSpec(e.study+".yaml", []byte(withPlots(string(data), e.plots)))
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		if len(spec.Plots) != 1 {
			t.Fatalf("%s: %d plot entries, want 1", e.name, len(spec.Plots))
		}
		kinds[spec.Plots[0].Kind] = true
		dir, ok := runs[e.study]
		if !ok {
			dir = filepath.Join(t.TempDir(), e.study)
			if _, err := dse.Execute(context.Background(), spec, dse.RunOptions{Out: dir, Version: "gallery"}); err != nil {
				t.Fatalf("%s: %v", e.study, err)
			}
			runs[e.study] = dir
		}
		spec.Plots[0].Formats = []string{"png"}
		paths, err := DrawSpec(spec, dir, func(kind string, why error) { t.Errorf("%s: %s skipped: %v", e.name, kind, why) })
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		if len(paths) != 1 {
			t.Fatalf("%s: drew %q, want one figure", e.name, paths)
		}
		png, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Errorf("%s: %s is not a PNG", e.name, paths[0])
		}
		dst := filepath.Join("..", "docs", "figures", e.name+".png")
		if *galleryWrite {
			if err := os.WriteFile(dst, png, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if _, err := os.Stat(dst); err != nil {
			t.Errorf("%s: %v (make figures draws it)", e.name, err)
		}
	}
	for _, k := range Kinds {
		if !kinds[k.Name()] {
			t.Errorf("the gallery has no %s figure", k.Name())
		}
	}
}
