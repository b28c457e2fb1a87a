// Package runtest holds test helpers that compare the files of sweep runs.
package runtest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// SameFiles fails t unless the folders a and b hold the same Parquet,
// Arrow and CSV files (by path below each folder), byte for byte.
func SameFiles(t testing.TB, a, b string) {
	t.Helper()
	list := func(dir string) []string {
		var out []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".parquet") || strings.HasSuffix(p, ".arrow") || strings.HasSuffix(p, ".csv")) {
				r, _ := filepath.Rel(dir, p)
				out = append(out, r)
			}
			return nil
		})
		slices.Sort(out)
		return out
	}
	fa, fb := list(a), list(b)
	if !slices.Equal(fa, fb) {
		t.Fatalf("files differ:\n%v\n%v", fa, fb)
	}
	for _, f := range fa {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs", f)
		}
	}
}
