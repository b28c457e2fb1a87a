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
	for _, want := range []string{"decode", "prefill", "train", "gemm", "serve", "measured", "derived", "leave-one-class-out",
		"published large-scale training", "train-dist/nemo", "train-dist/moe", "train-dist/automodel", "not priced:"} {
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

// A file of published runs alone is a dataset: its rows are priced, a
// malformed one is bad input.
func TestAccuracyRunsFile(t *testing.T) {
	dir := t.TempDir()
	head := "id,framework,system,model,gpus,precision,gbs,mbs,seq_len,tp,pp,tokens_per_s_per_gpu,source\n"
	good := filepath.Join(dir, "runs.csv")
	os.WriteFile(good, []byte(head+"g,NeMo,DGX-H100,GPT3-175B,128,FP8,256,1,2048,4,8,726,page\n"), 0o644)
	var so, se bytes.Buffer
	if code := run([]string{"accuracy", "--no-reference", good}, &so, &se); code != exitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	if !strings.Contains(so.String(), "runs.csv:g") {
		t.Errorf("the run is not reported:\n%s", so.String())
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(head+"b,NeMo,DGX-H100,GPT3-175B,128,FP8,256,1,2048,4,8,0,page\n"), 0o644)
	if code := run([]string{"accuracy", "--no-reference", bad}, &so, &se); code != exitBadInput {
		t.Errorf("exit %d, want %d", code, exitBadInput)
	}
}
