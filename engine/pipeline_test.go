package engine

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

func pipeCfg(t *testing.T, model, hw string) Config {
	t.Helper()
	reg := registry.Default()
	m, err := reg.Model(model)
	if err != nil {
		t.Fatal(err)
	}
	h, err := reg.Hardware(hw)
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Fidelity = FidelityMLSysim
	c.Model, c.Hardware = m, h
	return c
}

// TestServingPipelineGolden: prefill then decode reproduce the serving
// golden (Llama3_8B, H100, S = 2048: TTFT 70.97037058756726 ms, ITL
// 5.194159837611941 ms, KV 0.268435456 GB) and agree with one Evaluate.
func TestServingPipelineGolden(t *testing.T) {
	c := pipeCfg(t, "Llama3_8B", "H100")
	res, err := ServingPipeline(128).Run(c)
	if err != nil {
		t.Fatal(err)
	}
	v := res.Values
	if got := v["ttft_s"] * 1e3; !relNear(got, 70.97037058756726, 1e-12) {
		t.Errorf("TTFT %.15g ms", got)
	}
	if got := v["itl_s"] * 1e3; !relNear(got, 5.194159837611941, 1e-12) {
		t.Errorf("ITL %.15g ms", got)
	}
	if got := v["kv_cache_bytes"]; !relNear(got, 0.268435456e9, 1e-12) {
		t.Errorf("KV %v", got)
	}
	if got, want := v["latency_s"], v["ttft_s"]+127*v["itl_s"]; !relNear(got, want, 1e-12) {
		t.Errorf("request latency %v, want TTFT + 127·ITL = %v", got, want)
	}
	if v["feasible"] != 1 {
		t.Error("infeasible")
	}
	d := c
	d.Mode, d.OutputTokens = Serving, 128
	r := Evaluate(&d)
	if r.LatencyS != v["latency_s"] || r.TTFTS != v["ttft_s"] || r.ITLS != v["itl_s"] {
		t.Errorf("pipeline %v differs from Evaluate %v/%v/%v", v, r.LatencyS, r.TTFTS, r.ITLS)
	}
	if len(res.Stages) != 2 || res.Stages[0].Stage != "prefill" || res.Stages[1].Result == nil || res.Config.OutputTokens != 128 {
		t.Errorf("stages %+v", res.Stages)
	}
	if c.Mode != Inference {
		t.Error("Run changed the caller's configuration")
	}
}

// TestDistributedPipelineG5: tp 8 × pp 4 × dp 8 on Research_256 is golden
// G5 (step 5088.519845717895 ms), the same as one Evaluate.
func TestDistributedPipelineG5(t *testing.T) {
	c := pipeCfg(t, "Llama3_8B", "H100")
	cl, err := registry.Default().Cluster("Research_256")
	if err != nil {
		t.Fatal(err)
	}
	c.Dist.System = cl
	c.BatchSize, c.SeqLen, c.Efficiency, c.ZeroStage = 1024, 2048, 0.45, 1
	res, err := DistributedPipeline(8, 4, 8, 16).Run(c)
	if err != nil {
		t.Fatal(err)
	}
	v := res.Values
	if got := v["step_time_s"] * 1e3; !relNear(got, 5088.519845717895, 1e-9) {
		t.Errorf("step %.15g ms", got)
	}
	if v["dp_ranks"] != 8 || v["tp"] != 8 || v["pp"] != 4 || v["gpus_used"] != 256 {
		t.Errorf("layout %v", v)
	}
	if got := v["bubble_fraction"]; !relNear(got, 3.0/19, 1e-12) {
		t.Errorf("bubble fraction %v", got)
	}
}

// TestDistributedPipelineSized: without a system the job is tp·pp·dp GPUs,
// and the pipeline equals one Evaluate of the same layout.
func TestDistributedPipelineSized(t *testing.T) {
	c := pipeCfg(t, "Llama3_8B", "H100")
	c.BatchSize = 64
	res, err := DistributedPipeline(2, 2, 4, 8).Run(c)
	if err != nil {
		t.Fatal(err)
	}
	d := c
	d.Mode = Training
	d.Dist.TP, d.Dist.PP, d.Dist.Microbatches, d.Dist.GPUs = 2, 2, 8, 16
	r := Evaluate(&d)
	if res.Values["gpus_used"] != 16 || res.Values["dp_ranks"] != 4 {
		t.Errorf("layout %v", res.Values)
	}
	if got := res.Values["step_time_s"]; got != r.Dist.StepS || got <= 0 {
		t.Errorf("step %v, Evaluate %v", got, r.Dist.StepS)
	}
	if res.Values["comm_tp_s"] <= 0 || res.Values["comm_dp_s"] <= 0 || res.Values["bubble_s"] <= 0 {
		t.Errorf("a parallel dimension costs nothing: %v", res.Values)
	}
}

// TestEconomicsStage: a year of one H100 at full TDP is 6132 kWh IT and a
// TCO of $10,407.47 (G36's macro level); with the modelled utilisation of
// the stage before, less energy.
func TestEconomicsStage(t *testing.T) {
	c := pipeCfg(t, "Llama3_8B", "H100")
	full, err := Pipeline{Stages: []Stage{Economics{Days: 365}}}.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := full.Values["energy_it_kwh"]; !relNear(got, 6132, 1e-12) {
		t.Errorf("IT %v kWh", got)
	}
	if got := full.Values["tco_usd"]; math.Abs(got-10407.47) > 0.005 {
		t.Errorf("TCO %v", got)
	}
	p := Pipeline{Name: "serve and pay", Stages: []Stage{Prefill{}, Decode{OutputTokens: 64}, Economics{Days: 365, UseModelledUtilization: true}}}
	if _, err := p.Run(c); err == nil || !strings.Contains(err.Error(), "needs hfu") {
		t.Errorf("missing hfu: %v", err)
	}
	res, err := p.RunWith(c, Values{"hfu": 0.2})
	if err != nil {
		t.Fatal(err)
	}
	want := 700 * (0.3 + 0.7*0.2) * 8760 / 1000
	if got := res.Values["energy_it_kwh"]; !relNear(got, want, 1e-12) {
		t.Errorf("IT at hfu 0.2: %v, want %v", got, want)
	}
	ts := DistributedPipeline(1, 1, 8, 1)
	ts.Stages = append(ts.Stages, Economics{Days: 1, UseModelledUtilization: true})
	tr, err := ts.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	hfu := tr.Values["hfu"]
	want = 700 * (0.3 + 0.7*hfu) * 8 * 24 / 1000
	if got := tr.Values["energy_it_kwh"]; !relNear(got, want, 1e-9) {
		t.Errorf("8 GPUs for a day at hfu %v: %v kWh, want %v", hfu, got, want)
	}
}

func TestPipelineExplainAndErrors(t *testing.T) {
	ex := ServingPipeline(16).Explain()
	for _, want := range []string{"serving: 2 stages", "1. prefill", "produces: ttft_s", "2. decode", "requires: ttft_s", "Flow: prefill → decode"} {
		if !strings.Contains(ex, want) {
			t.Errorf("Explain lacks %q:\n%s", want, ex)
		}
	}
	if strings.Contains(ex, "⚠") {
		t.Errorf("complete pipeline warned:\n%s", ex)
	}
	lone := Pipeline{Stages: []Stage{Decode{}}}
	if ex := lone.Explain(); !strings.Contains(ex, "⚠ needs ttft_s") || !strings.HasPrefix(ex, "Pipeline: 1 stages") {
		t.Errorf("Explain of a decode alone:\n%s", ex)
	}
	c := pipeCfg(t, "Llama3_8B", "H100")
	if _, err := lone.Run(c); err == nil || !strings.Contains(err.Error(), "stage 1 (decode) needs ttft_s") {
		t.Errorf("missing requirement: %v", err)
	}
	if _, err := lone.RunWith(c, Values{"ttft_s": 0.07}); err != nil {
		t.Errorf("given requirement: %v", err)
	}
	if _, err := (Pipeline{}).Run(c); !errors.Is(err, ErrEmptyPipeline) {
		t.Errorf("empty: %v", err)
	}
	if _, err := DistributedPipeline(0, 1, 1, 1).Run(c); err == nil || !strings.Contains(err.Error(), "tp must be >= 1") {
		t.Errorf("tp 0: %v", err)
	}
	bad := c
	bad.Efficiency = 2
	if _, err := ServingPipeline(2).Run(bad); err == nil || !strings.Contains(err.Error(), "stage 1 (prefill): efficiency") {
		t.Errorf("invalid config: %v", err)
	}
	if _, err := (Pipeline{Stages: []Stage{Economics{}}}).Run(c); err == nil {
		t.Error("0 days accepted")
	}
	// Infeasible is a value, not an error: Llama3_70B fp16 on one H100.
	big := pipeCfg(t, "Llama3_70B", "H100")
	res, err := ServingPipeline(2).Run(big)
	if err != nil || res.Values["feasible"] != 0 {
		t.Errorf("70B on one H100: %v %v", res.Values["feasible"], err)
	}
}
