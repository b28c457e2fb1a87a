package calibration

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

func TestReferenceRuns(t *testing.T) {
	ds, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	b, err := measFS.ReadFile("reference/nemo-training.csv")
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Count(b, []byte("\n")) - 1; len(ds.Runs) != want {
		t.Fatalf("%d runs, want one per data line (%d)", len(ds.Runs), want)
	}
	systems := map[string]bool{}
	for _, r := range ds.Runs {
		systems[r.System] = true
		if !strings.Contains(r.Source, "nvidia") && !strings.Contains(r.Source, "NVIDIA") {
			t.Errorf("%s: source %q names no page", r.ID, r.Source)
		}
		if s := r.StepSeconds(); !(s > 0) {
			t.Errorf("%s: step %v s", r.ID, s)
		}
		if r.TP < 1 || r.PP < 1 || r.MBS < 1 || r.Framework == "" {
			t.Errorf("%s: framework, tp, pp and mbs are published for every row", r.ID)
		}
		// Where a page also gives the step time or the data-parallel
		// degree, the throughput and the layout agree with it.
		if r.StepS > 0 && math.Abs(r.StepSeconds()/r.StepS-1) > 0.01 {
			t.Errorf("%s: step %.3f s from the throughput, %.3f s published", r.ID, r.StepSeconds(), r.StepS)
		}
		if r.DP > 0 && r.DP != r.DataParallel() {
			t.Errorf("%s: dp %d from the layout, %d published", r.ID, r.DataParallel(), r.DP)
		}
	}
	if len(systems) < 5 {
		t.Errorf("systems %v, want the five the pages publish", systems)
	}
}

func TestParseRunsErrors(t *testing.T) {
	const head = "id,system,model,gpus,gbs,mbs,seq_len,tp,pp,ep,tokens_per_s_per_gpu,source\n"
	for _, tc := range []struct{ name, body, want string }{
		{"ok", "a,DGX-H100,LLAMA3_8B,8,128,1,8192,1,1,n/a,14451,p\n", ""},
		{"missing column", "id,system\na,b\n", "column"},
		{"repeated id", "a,DGX-H100,M,8,128,1,8192,1,1,,1,p\na,DGX-H100,M,8,128,1,8192,1,1,,1,p\n", "repeated"},
		{"bad number", "a,DGX-H100,M,eight,128,1,8192,1,1,,1,p\n", "bad gpus"},
		{"no throughput", "a,DGX-H100,M,8,128,1,8192,1,1,,,p\n", "needs"},
		{"zero throughput", "a,DGX-H100,M,8,128,1,8192,1,1,,0,p\n", "bad tokens"},
		{"no source", "a,DGX-H100,M,8,128,1,8192,1,1,,1,\n", "no source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if !strings.HasPrefix(body, "id,system\n") {
				body = head + body
			}
			runs, err := ParseRuns("x.csv", strings.NewReader(body))
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "" && (len(runs) != 1 || runs[0].EP != 0):
				t.Fatalf("runs %+v", runs)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// The recipe's expert-parallel degree (recipe_ep) stands in only where
// the page gives none; a bad cell is an error naming the column.
func TestRunExpertParallel(t *testing.T) {
	const head = "id,system,model,gpus,gbs,mbs,seq_len,tp,pp,ep,tokens_per_s_per_gpu,source,recompute,a2a_overlap,recipe_ep\n"
	for _, tc := range []struct {
		name, row   string
		recipe, got int
		err         string
	}{
		{"page none, recipe 8", "a,DGX-H100,M,8,256,2,4096,1,1,n/a,1,p,full,,8\n", 8, 8, ""},
		{"page gives one", "a,DGX-H100,M,8,256,2,4096,1,1,4,1,p,,,8\n", 8, 4, ""},
		{"no recipe cell", "a,DGX-H100,M,8,256,2,4096,1,1,,1,p\n", 0, 0, ""},
		{"bad recipe cell", "a,DGX-H100,M,8,256,2,4096,1,1,,1,p,,,eight\n", 0, 0, "bad recipe_ep"},
		{"negative recipe cell", "a,DGX-H100,M,8,256,2,4096,1,1,,1,p,,,-8\n", 0, 0, "bad recipe_ep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs, err := ParseRuns("x.csv", strings.NewReader(head+tc.row))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(runs) != 1 {
				t.Fatalf("%v %+v", err, runs)
			}
			if runs[0].RecipeEP != tc.recipe || runs[0].ExpertParallel() != tc.got {
				t.Errorf("recipe_ep %d, ExpertParallel %d; want %d, %d", runs[0].RecipeEP, runs[0].ExpertParallel(), tc.recipe, tc.got)
			}
		})
	}
	// In the reference file a recipe's degree fills only an empty EP.
	ds, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range ds.Runs {
		if r.RecipeEP > 0 {
			n++
			if r.EP != 0 || !r.MoE || !strings.Contains(r.Source, "ep_size") {
				t.Errorf("%s: recipe_ep %d beside ep %d (moe %v), or its source names no ep_size", r.ID, r.RecipeEP, r.EP, r.MoE)
			}
		}
	}
	if n == 0 {
		t.Error("no reference run takes its expert parallelism from a recipe")
	}
}

func TestRunMappings(t *testing.T) {
	for _, tc := range []struct {
		in, key string
		ok      bool
	}{{"LLAMA3.1_405B", "Llama3_405B", true}, {"DeepSeekV3 (w/o MTP)", "DeepSeek_V3", true}, {"Nemotron-340B", "Nemotron4_340B", true}, {"Kimi K2", "Kimi_K2", true}, {"Nemotron V3 Nano 30B (26.02)", "Nemotron_3_Nano_30B_A3B", true}, {"Nemotron V3 Super 120B (26.02)", "", false}} {
		if k, ok := RunModelKey(tc.in); k != tc.key || ok != tc.ok {
			t.Errorf("RunModelKey(%q) = %q, %v", tc.in, k, ok)
		}
	}
	for _, tc := range []struct {
		in, p string
		ok    bool
	}{{"FP8-CS", "fp8", true}, {"MXFP8", "fp8", true}, {"BF16", "bf16", true}, {"NVFP4", "", false}, {"", "", false}} {
		if p, ok := RunPrecision(tc.in); p != tc.p || ok != tc.ok {
			t.Errorf("RunPrecision(%q) = %q, %v", tc.in, p, ok)
		}
	}
	// Every system of the reference runs has a registry node of per-GPU
	// accelerators and a fabric: DGX servers of 8, NVL72 racks of 72 in
	// trays of 4; ConnectX-8 (XDR) on the Blackwell Ultra systems.
	reg := registry.Default()
	b, err := measFS.ReadFile("reference/nemo-training.csv")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := ParseRuns("nemo-training.csv", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		node, accel, fabric string
		per, host           int
	}{
		"DGX-H100":  {"DGX_H100", "H100", "InfiniBand_NDR", 8, 0},
		"DGX-B200":  {"DGX_B200", "B200", "InfiniBand_NDR", 8, 0},
		"DGX-B300":  {"DGX_B300", "B300", "InfiniBand_XDR", 8, 0},
		"DGX-GB200": {"DGX_GB200", "GB200_GPU", "InfiniBand_NDR", 72, 4},
		"DGX-GB300": {"DGX_GB300", "GB300_GPU", "InfiniBand_XDR", 72, 4},
	}
	for _, r := range runs {
		w, ok := want[r.System]
		nk, has := RunNodeKey(r.System)
		if !ok || !has || nk != w.node || RunFabricKey(r.System) != w.fabric {
			t.Errorf("%s: system %s maps to node %q (%v), fabric %q", r.ID, r.System, nk, has, RunFabricKey(r.System))
			continue
		}
		n, err := reg.Node(nk)
		if err != nil || n.Accelerator.Key != w.accel || n.AcceleratorsPerNode != w.per || n.AcceleratorsPerHost != w.host || n.Accelerator.AcceleratorCount > 1 {
			t.Errorf("%s: node %s: %v", r.System, nk, err)
		}
		if _, err := reg.Fabric(RunFabricKey(r.System)); err != nil {
			t.Error(err)
		}
	}
}

func FuzzParseRuns(f *testing.F) {
	b, _ := measFS.ReadFile("reference/nemo-training.csv")
	f.Add(string(b[:min(len(b), 2000)]))
	f.Add("id,system,model,gpus,gbs,seq_len,tp,pp,tokens_per_s_per_gpu,source\na,S,M,8,1,1,1,1,1e300,p\n")
	f.Fuzz(func(t *testing.T, s string) {
		runs, err := ParseRuns("f.csv", strings.NewReader(s))
		if err != nil {
			return
		}
		for _, r := range runs {
			if r.GPUs < 1 || r.GBS < 1 || r.SeqLen < 1 || !(r.TokensPerSPerGPU > 0) || r.Source == "" {
				t.Fatalf("accepted %+v", r)
			}
			_ = r.StepSeconds()
			_ = r.DataParallel()
		}
	})
}

// The optional recompute column: a row may stop before it (no
// recomputation stated), a stated one is one of the strategies, and no
// row runs past the header.
func TestParseRunsRecompute(t *testing.T) {
	const head = "id,system,model,gpus,gbs,mbs,seq_len,tp,pp,tokens_per_s_per_gpu,source,recompute\n"
	runs, err := ParseRuns("x.csv", strings.NewReader(head+"a,DGX-H100,M,8,128,1,8192,1,1,1,p,full\nb,DGX-H100,M,8,128,1,8192,1,1,1,p\n"))
	if err != nil || len(runs) != 2 || runs[0].Recompute != "full" || runs[1].Recompute != "" {
		t.Fatalf("runs %+v, err %v", runs, err)
	}
	for body, want := range map[string]string{
		"a,DGX-H100,M,8,128,1,8192,1,1,1,p,most\n":   "recompute",
		"a,DGX-H100,M,8,128,1,8192,1,1,1,p,full,x\n": "cells",
	} {
		if _, err := ParseRuns("x.csv", strings.NewReader(head+body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want one naming %q", body, err, want)
		}
	}
}

// The optional a2a_overlap column after it: 1 sets A2AOverlap, 0 or an
// empty or missing cell leaves it unset, anything else is an error.
func TestParseRunsA2AOverlap(t *testing.T) {
	const head = "id,system,model,gpus,gbs,mbs,seq_len,tp,pp,tokens_per_s_per_gpu,source,recompute,a2a_overlap\n"
	runs, err := ParseRuns("x.csv", strings.NewReader(head+"a,DGX-H100,M,8,128,1,8192,1,1,1,p,,1\nb,DGX-H100,M,8,128,1,8192,1,1,1,p,full,0\nc,DGX-H100,M,8,128,1,8192,1,1,1,p\n"))
	if err != nil || len(runs) != 3 || !runs[0].A2AOverlap || runs[1].A2AOverlap || runs[2].A2AOverlap {
		t.Fatalf("runs %+v, err %v", runs, err)
	}
	if _, err := ParseRuns("x.csv", strings.NewReader(head+"a,DGX-H100,M,8,128,1,8192,1,1,1,p,,yes\n")); err == nil || !strings.Contains(err.Error(), "a2a_overlap") {
		t.Errorf("a2a_overlap yes: err %v", err)
	}
}

// The optional dispatcher column: hybridep or alltoall on a MoE run as
// written, an empty or missing cell leaves it empty; any other value, or
// one on a dense run, is an error naming the column.
func TestParseRunsDispatcher(t *testing.T) {
	const head = "id,system,model,moe,gpus,gbs,mbs,seq_len,tp,pp,tokens_per_s_per_gpu,source,recompute,a2a_overlap,dispatcher\n"
	runs, err := ParseRuns("x.csv", strings.NewReader(head+"a,DGX-GB200,M,1,8,128,1,8192,1,1,1,p,,,hybridep\nb,DGX-B200,M,1,8,128,1,8192,1,1,1,p,,0,alltoall\nc,DGX-H100,M,1,8,128,1,8192,1,1,1,p\n"))
	if err != nil || len(runs) != 3 || runs[0].Dispatcher != "hybridep" || runs[1].Dispatcher != "alltoall" || runs[2].Dispatcher != "" {
		t.Fatalf("runs %+v, err %v", runs, err)
	}
	for _, body := range []string{"a,DGX-H100,M,1,8,128,1,8192,1,1,1,p,,,deepep2\n", "a,DGX-H100,M,0,8,128,1,8192,1,1,1,p,,,hybridep\n"} {
		if _, err := ParseRuns("x.csv", strings.NewReader(head+body)); err == nil || !strings.Contains(err.Error(), "dispatcher") {
			t.Errorf("%q: err %v, want one naming dispatcher", body, err)
		}
	}
}

// The optional mtp column: a depth from 0 to 8 as written, -1 for an empty
// or missing cell; anything else is an error naming the column.
func TestParseRunsMTP(t *testing.T) {
	const head = "id,system,model,moe,gpus,gbs,mbs,seq_len,tp,pp,tokens_per_s_per_gpu,source,recompute,a2a_overlap,dispatcher,mtp\n"
	runs, err := ParseRuns("x.csv", strings.NewReader(head+"a,DGX-B200,M,1,8,128,1,8192,1,1,1,p,,,,1\nb,DGX-GB200,M,1,8,128,1,8192,1,1,1,p,,,hybridep,0\nc,DGX-H100,M,1,8,128,1,8192,1,1,1,p\n"))
	if err != nil || len(runs) != 3 || runs[0].MTP != 1 || runs[1].MTP != 0 || runs[2].MTP != -1 {
		t.Fatalf("runs %+v, err %v", runs, err)
	}
	for _, v := range []string{"-1", "9", "yes"} {
		if _, err := ParseRuns("x.csv", strings.NewReader(head+"a,DGX-H100,M,1,8,128,1,8192,1,1,1,p,,,,"+v+"\n")); err == nil || !strings.Contains(err.Error(), "mtp") {
			t.Errorf("mtp %q: err %v, want one naming mtp", v, err)
		}
	}
}
