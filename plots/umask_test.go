package plots

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Figures follow the umask as os.Create's files do.
func TestSaveFollowsUmask(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	l := NewLines(Axis{Name: "batch_size"}, Axis{Name: "latency_s", Unit: "s"}, "hardware", AggMin)
	for i := range 50 {
		row := synth(i, r)
		l.Add(row.batch, row.latency, row.hardware)
	}
	fig := l.Figure(ColumnStyle)
	for _, tc := range []struct {
		umask int
		want  fs.FileMode
	}{{0o022, 0o644}, {0o077, 0o600}} {
		dir := t.TempDir()
		old := syscall.Umask(tc.umask)
		paths, err := fig.SaveAll(dir, "lines", []string{"svg", "png"})
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != tc.want {
				t.Errorf("umask %03o: %s is %03o, want %03o", tc.umask, filepath.Base(p), got, tc.want)
			}
		}
	}
}
