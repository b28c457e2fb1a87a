package main

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	for _, want := range []string{"decode", "prefill", "train", "gemm", "serve", "measured", "derived", "leave-one-class-out", "held-out",
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

// --json gives the report's table as numbers: the same rows, in the same
// order, with the errors the text prints (to its one decimal).
func TestAccuracyJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("fits leave-one-class-out profiles")
	}
	var so, se, text bytes.Buffer
	if code := run([]string{"accuracy", "--json"}, &so, &se); code != exitOK {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	var rep struct {
		Rows []struct {
			Class, Hardware, Precision string
			Calibrated                 struct {
				N         int     `json:"n"`
				MedianPct float64 `json:"median_pct"`
			}
		}
		Points []struct {
			MeasuredS float64 `json:"measured_s"`
		}
		LOO  []any `json:"leave_one_class_out"`
		Goal struct {
			MedianPct float64 `json:"median_pct"`
			MaxPct    float64 `json:"max_pct"`
			Classes   int
			Met       int
			Misses    []struct {
				Class      string
				Calibrated struct {
					MedianPct float64 `json:"median_pct"`
					MaxPct    float64 `json:"max_pct"`
				}
				HeldOut struct {
					MedianPct float64 `json:"median_pct"`
					MaxPct    float64 `json:"max_pct"`
				} `json:"held_out"`
			}
		}
		Forms []struct {
			Name    string
			ValueS  float64 `json:"value_s"`
			Classes []any
		} `json:"moe_forms"`
	}
	if err := json.Unmarshal(so.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, so.String())
	}
	if len(rep.Rows) < 5 || len(rep.Points) < 50 || len(rep.LOO) == 0 {
		t.Fatalf("%d rows, %d points, %d leave-one-out fits", len(rep.Rows), len(rep.Points), len(rep.LOO))
	}
	if len(rep.Forms) < 3 || rep.Forms[1].Name != "layer·micro-batch" || !(rep.Forms[1].ValueS > 0) || len(rep.Forms[1].Classes) == 0 {
		t.Errorf("moe_forms: %+v", rep.Forms)
	}
	if code := run([]string{"accuracy"}, &text, &se); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	g := rep.Goal
	if g.MedianPct != 10 || g.MaxPct != 25 || g.Classes < 20 || g.Met+len(g.Misses) != g.Classes {
		t.Errorf("goal: %+v", g)
	}
	for _, m := range g.Misses {
		if m.Calibrated.MedianPct <= 10 && m.Calibrated.MaxPct <= 25 && m.HeldOut.MedianPct <= 10 && m.HeldOut.MaxPct <= 25 {
			t.Errorf("goal: %s listed as a miss but meets it: %+v", m.Class, m)
		}
	}
	if want := fmt.Sprintf("%d of %d classes meet it", g.Met, g.Classes); !strings.Contains(text.String(), want) {
		t.Errorf("text report lacks %q", want)
	}
	lines := strings.Split(text.String(), "\n")
	for i, r := range rep.Rows {
		f := strings.Fields(lines[i+1])
		if len(f) < 10 || f[0] != r.Class || f[1] != r.Hardware || f[4] != fmt.Sprint(r.Calibrated.N) || f[9] != fmt.Sprintf("%.1f%%", r.Calibrated.MedianPct) {
			t.Errorf("row %d: text %q, JSON %+v", i, lines[i+1], r)
		}
	}
}
