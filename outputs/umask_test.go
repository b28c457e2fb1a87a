package outputs

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Output files follow the umask as os.Create's do: 0644 under umask 022,
// 0600 under 077, whether written whole (manifests) or as Parquet and Arrow
// files through CreateAtomic.
func TestAtomicFilesFollowUmask(t *testing.T) {
	for _, tc := range []struct {
		umask int
		want  fs.FileMode
	}{{0o022, 0o644}, {0o077, 0o600}, {0o002, 0o664}} {
		old := syscall.Umask(tc.umask)
		dir := t.TempDir()
		p := filepath.Join(dir, "manifest.json")
		err := WriteFileAtomic(p, []byte("{}\n"))
		a, err2 := CreateAtomic(filepath.Join(dir, "part.parquet"))
		if err2 == nil {
			err2 = a.Commit()
		}
		syscall.Umask(old)
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		for _, name := range []string{p, filepath.Join(dir, "part.parquet")} {
			st, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != tc.want {
				t.Errorf("umask %03o: %s is %03o, want %03o", tc.umask, filepath.Base(name), got, tc.want)
			}
		}
	}
}

func TestCreateTempExclusive(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	for range 100 {
		f, err := CreateTemp(dir, ".x.tmp-*")
		if err != nil {
			t.Fatal(err)
		}
		if seen[f.Name()] || filepath.Dir(f.Name()) != dir {
			t.Fatalf("name %s", f.Name())
		}
		seen[f.Name()] = true
		f.Close()
	}
}
