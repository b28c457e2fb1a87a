package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAccuracyCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("fits leave-one-class-out profiles")
	}
	fig := filepath.Join(t.TempDir(), "acc.png")
	var so, se bytes.Buffer
	if code := run([]string{"accuracy", "--figure", fig}, &so, &se); code != exitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	out := so.String()
	for _, want := range []string{"decode", "prefill", "train", "gemm", "serve", "measured", "derived", "leave-one-class-out"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if st, err := os.Stat(fig); err != nil || st.Size() == 0 {
		t.Errorf("figure not written: %v", err)
	}
}

func TestAccuracyBadFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x.csv")
	os.WriteFile(f, []byte("a,b\n1,2\n"), 0o644)
	var so, se bytes.Buffer
	if code := run([]string{"accuracy", f}, &so, &se); code != exitBadInput {
		t.Errorf("exit %d, want %d", code, exitBadInput)
	}
}
