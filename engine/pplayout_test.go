package engine

import (
	"math"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/registry"
)

func TestParsePipelineLayout(t *testing.T) {
	for _, tc := range []struct {
		in             string
		stages, layers int
		mtp            int
		last           LayoutStage
	}{
		{"EtttL", 1, 3, 0, LayoutStage{Layers: 3, Embedding: true, Loss: true}},
		{"Et|(tt|)*30mL", 32, 61, 1, LayoutStage{MTP: 1, Loss: true}},
		{"Ettt|(tt|)*29,m|L", 32, 61, 1, LayoutStage{Loss: true}},
		{"Et*4|t*4L", 2, 8, 0, LayoutStage{Layers: 4, Loss: true}},
		{"E|t|tL", 3, 2, 0, LayoutStage{Layers: 1, Loss: true}},
		{"E(t|)*3mmL", 4, 3, 2, LayoutStage{MTP: 2, Loss: true}},
	} {
		l, err := ParsePipelineLayout(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if l.NumStages() != tc.stages || l.Layers() != tc.layers || l.MTP() != tc.mtp || l.Stage(l.NumStages()-1) != tc.last || l.String() != tc.in {
			t.Errorf("%q: %d stages, %d layers, %d mtp, last %+v, text %q", tc.in, l.NumStages(), l.Layers(), l.MTP(), l.Stage(l.NumStages()-1), l.String())
		}
		if !l.Stage(0).Embedding {
			t.Errorf("%q: first stage without the embedding", tc.in)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"Ettx|tL", "position 4: \"x\" is not a layout symbol"},
		{"Et\xff\xfe|tL", "position 3: byte 0xff (not UTF-8) is not a layout symbol"},
		{"Et\uFFFD|tL", "position 3: \"\uFFFD\" is not a layout symbol"},
		{"Etλ|tL", "position 3: \"λ\" is not a layout symbol"},
		{"tEtL", "position 2: the embedding E comes once, first"},
		{"EtLt", "position 3: the loss L comes once, last"},
		{"Ett", "the layout ends with the loss L"},
		{"Et|mt|L", "position 5: a transformer layer t after"},
		{"Et|m|mL", "position 6: the multi-token prediction blocks m are all in one stage"},
		{"E(t(t|)*2)*2L", "position 4: groups do not nest"},
		{"E(tt|L", "position 2: '(' is not closed"},
		{"Et)L", "position 3: ')' closes no group"},
		{"E(tt|)L", "position 6: a group needs a repeat count"},
		{"E()*2L", "position 3: empty group"},
		{"Et*L", "position 3: '*' needs a repeat count"},
		{"Et*99999L", "repeat count above 4096"},
		{"E(t*4096|)*4096L", "more than 65536 symbols"},
		{"Et*2*2L", "position 5: a repeat count follows one symbol or one group"},
		{strings.Repeat("t", MaxPipelineLayoutLen+1), "more than 4096"},
	} {
		_, err := ParsePipelineLayout(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40q: error %v, want %q", tc.in, err, tc.want)
		}
	}
	// The parameter: "none" is no layout; a bad text names the parameter.
	p := LookupParam("pipeline_layout")
	if v, err := p.Parse(nil, "none"); err != nil || v.Ref.(*PipelineLayout) != nil || v.S != "none" {
		t.Errorf("none: %+v %v", v, err)
	}
	if _, err := p.Parse(nil, "Etq"); err == nil || !strings.HasPrefix(err.Error(), "pipeline_layout: pipeline layout \"Etq\": position 3") {
		t.Errorf("bad text: %v", err)
	}
}

// FuzzParsePipelineLayout: any text parses or is an error, never a panic;
// a layout reparses from its text to the same stages, which hold its
// layers and blocks, one embedding first and one loss last.
func FuzzParsePipelineLayout(f *testing.F) {
	for _, s := range []string{"Et|(tt|)*30mL", "EtttL", "E(t|)*3mmL", "Et*4|t*4L", "((", "E*9999", "E(t*4096|)*4096L", "Et\xff|tL", "Et\uFFFD|tL"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParsePipelineLayout(s)
		if err != nil {
			return
		}
		if l.NumStages() < 1 || l.NumStages() > MaxPipelineLayoutTokens {
			t.Fatalf("%q: %d stages", s, l.NumStages())
		}
		l2, err := ParsePipelineLayout(l.String())
		if err != nil || l2.NumStages() != l.NumStages() {
			t.Fatalf("%q does not reparse: %v", s, err)
		}
		layers, mtp, emb, loss := 0, 0, 0, 0
		for i := 0; i < l.NumStages(); i++ {
			g := l.Stage(i)
			if g != l2.Stage(i) {
				t.Fatalf("%q: stage %d differs on reparsing", s, i)
			}
			layers, mtp = layers+g.Layers, mtp+g.MTP
			if g.Embedding {
				emb++
			}
			if g.Loss {
				loss++
			}
		}
		if layers != l.Layers() || mtp != l.MTP() || emb != 1 || loss != 1 || !l.Stage(0).Embedding || !l.Stage(l.NumStages()-1).Loss {
			t.Fatalf("%q: %d layers %d mtp %d E %d L", s, layers, mtp, emb, loss)
		}
	})
}

// mustLayout parses a layout of a test.
func mustLayout(t testing.TB, s string) *PipelineLayout {
	t.Helper()
	l, err := ParsePipelineLayout(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// mixtralPP is Mixtral 8x7B (32 layers) on Lab_64_H100 with tp 2, pp 4,
// ep 8, 64 microbatches, calibrated.
func mixtralPP(t testing.TB, mutate func(*Config)) Result {
	c := distCfg(t, "Mixtral_8x7B", "Lab_64_H100", func(c *Config) {
		c.Fidelity = FidelityCalibrated
		c.BatchSize, c.SeqLen, c.Recompute, c.ZeroStage = 512, 4096, RecomputeFull, 1
		c.Dist.TP, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 2, 4, 8, 64
		if mutate != nil {
			mutate(c)
		}
	})
	return Evaluate(&c)
}

// The shapes of pipeline layouts and multi-token prediction.
func TestPipelineLayoutShapes(t *testing.T) {
	base := mixtralPP(t, nil)
	if base.Dist.Reason != DistOK || !(base.LatencyS > 0) {
		t.Fatalf("base: %q %v", base.Dist.Reason, base.LatencyS)
	}
	// An even layout is the default split, less the embedding gather the
	// default charges to the last stage (here on the first).
	even := mixtralPP(t, func(c *Config) { c.Dist.Layout = mustLayout(t, "Et*8|t*8|t*8|t*8L") })
	if !(even.LatencyS <= base.LatencyS && even.LatencyS > base.LatencyS*(1-1e-3)) {
		t.Errorf("even layout %.6g s, default %.6g s", even.LatencyS, base.LatencyS)
	}
	// On one stage the layout is the whole model: Embedding and Loss
	// price what Head does.
	one1 := mixtralPP(t, func(c *Config) { c.Dist.PP, c.Dist.Microbatches, c.BatchSize = 1, 8, 64 })
	lay1 := mixtralPP(t, func(c *Config) {
		c.Dist.PP, c.Dist.Microbatches, c.BatchSize = 1, 8, 64
		c.Dist.Layout = mustLayout(t, "Et*32L")
	})
	if math.Abs(lay1.LatencyS-one1.LatencyS) > 1e-9*one1.LatencyS || lay1.MemoryBytes != one1.MemoryBytes {
		t.Errorf("one stage: layout %.9g s %g B, default %.9g s %g B", lay1.LatencyS, lay1.MemoryBytes, one1.LatencyS, one1.MemoryBytes)
	}
	// Unbalanced: the last stage's 11 layers and the head set the pace.
	skew := mixtralPP(t, func(c *Config) { c.Dist.Layout = mustLayout(t, "Et*7|t*7|t*7|t*11L") })
	if !(skew.LatencyS > even.LatencyS) {
		t.Errorf("skewed layout %.6g s not slower than the even one %.6g s", skew.LatencyS, even.LatencyS)
	}
	if !(skew.Dist.ActivationsBytes > even.Dist.ActivationsBytes) {
		t.Errorf("skewed layout's activations %g ≤ even %g", skew.Dist.ActivationsBytes, even.Dist.ActivationsBytes)
	}
	// MTP adds time, hardware FLOPs and memory, not model FLOPs.
	mtp := mixtralPP(t, func(c *Config) { c.Dist.MTPLayers = 1 })
	if !(mtp.LatencyS > base.LatencyS && mtp.MemoryBytes > base.MemoryBytes) {
		t.Errorf("mtp: step %.6g s memory %g, without %.6g s %g", mtp.LatencyS, mtp.MemoryBytes, base.LatencyS, base.MemoryBytes)
	}
	hw := func(r Result) float64 { return r.HFU * r.LatencyS }
	mf := func(r Result) float64 { return r.MFU * r.LatencyS }
	if !(hw(mtp) > hw(base)) || math.Abs(mf(mtp)-mf(base)) > 1e-9*mf(base) || !(mtp.HFU >= mtp.MFU) {
		t.Errorf("mtp: HFU·t %g vs %g, MFU·t %g vs %g", hw(mtp), hw(base), mf(mtp), mf(base))
	}
	// A layout that moves a layer off the last stage for the MTP block
	// balances the stages: faster than the block on top of 8 layers.
	bal := mixtralPP(t, func(c *Config) {
		c.Dist.MTPLayers = 1
		c.Dist.Layout = mustLayout(t, "Et*8|t*8|t*9|t*7mL")
	})
	if !(bal.LatencyS < mtp.LatencyS) {
		t.Errorf("balanced MTP layout %.6g s not faster than the default %.6g s", bal.LatencyS, mtp.LatencyS)
	}
	// The MTP block placed by the layout is the default's on the last stage.
	last := mixtralPP(t, func(c *Config) {
		c.Dist.MTPLayers = 1
		c.Dist.Layout = mustLayout(t, "Et*8|t*8|t*8|t*8mL")
	})
	if !(last.LatencyS <= mtp.LatencyS && last.LatencyS > mtp.LatencyS*(1-1e-3)) {
		t.Errorf("MTP on the last stage by layout %.6g s, by default %.6g s", last.LatencyS, mtp.LatencyS)
	}
}

// A layout or MTP depth that does not fit is infeasible with its reason;
// fidelity mlsysim does not use them.
func TestPipelineLayoutReasons(t *testing.T) {
	for _, tc := range []struct {
		layout string
		mtp    int
		v      int
		want   DistReason
	}{
		{"Et*16|t*16L", 0, 1, DistLayoutStages},
		{"Et*8|t*8|t*8|t*7L", 0, 1, DistLayoutLayers},
		{"Et*8|t*8|t*8|t*8mL", 0, 1, DistLayoutMTP},
		{"Et*8|t*8|t*8|t*8L", 1, 1, DistLayoutMTP},
		{"E(t*4|)*7t*4L", 0, 2, DistOK},
	} {
		r := mixtralPP(t, func(c *Config) {
			c.Dist.Layout, c.Dist.MTPLayers, c.Dist.Interleave = mustLayout(t, tc.layout), tc.mtp, tc.v
		})
		if r.Dist.Reason != tc.want {
			t.Errorf("%s mtp=%d v=%d: %q, want %q", tc.layout, tc.mtp, tc.v, r.Dist.Reason, tc.want)
		}
		if tc.want != DistOK && (r.Feasible || r.Reason != ReasonParallelism || r.LatencyS != 0) {
			t.Errorf("%s: priced %+v", tc.layout, r)
		}
		ml := mixtralPP(t, func(c *Config) {
			c.Fidelity = FidelityMLSysim
			c.Dist.Layout, c.Dist.MTPLayers, c.Dist.Interleave = mustLayout(t, tc.layout), tc.mtp, tc.v
		})
		plain := mixtralPP(t, func(c *Config) { c.Fidelity, c.Dist.Interleave = FidelityMLSysim, tc.v })
		if ml != plain {
			t.Errorf("%s: mlsysim priced the layout", tc.layout)
		}
	}
	// A model without transformer layers.
	c := cfg(t, "ResNet50", "H100", func(c *Config) { c.Fidelity, c.Mode, c.Dist.MTPLayers = FidelityCalibrated, Training, 1 })
	if r := Evaluate(&c); r.Dist.Reason != DistLayoutModel || r.Feasible {
		t.Errorf("ResNet50 with mtp_layers: %q", r.Dist.Reason)
	}
	// One GPU: the layout is checked and the MTP block priced.
	one1 := cfg(t, "Llama3_8B", "H100", func(c *Config) { c.Fidelity, c.Mode, c.BatchSize, c.SeqLen = FidelityCalibrated, Training, 4, 2048 })
	r0 := Evaluate(&one1)
	one1.Dist.MTPLayers = 1
	r1 := Evaluate(&one1)
	if !(r1.LatencyS > r0.LatencyS && r1.MemoryBytes > r0.MemoryBytes && r1.HFU*r1.LatencyS > r0.HFU*r0.LatencyS) {
		t.Errorf("one GPU mtp: %g s %g B, without %g s %g B", r1.LatencyS, r1.MemoryBytes, r0.LatencyS, r0.MemoryBytes)
	}
	one1.Dist.Layout = mustLayout(t, "Et*31L")
	if r := Evaluate(&one1); r.Dist.Reason != DistLayoutLayers {
		t.Errorf("one GPU, 31 layers of 32: %q", r.Dist.Reason)
	}
	_ = registry.Default
}

// BenchmarkEvaluateLayout: a pipeline layout with a prediction block,
// parsed once, evaluates without allocating.
func BenchmarkEvaluateLayout(b *testing.B) {
	c := distCfg(b, "Mixtral_8x7B", "Lab_64_H100", func(c *Config) {
		c.Fidelity = FidelityCalibrated
		c.BatchSize, c.SeqLen, c.Recompute, c.ZeroStage = 512, 4096, RecomputeFull, 1
		c.Dist.TP, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches, c.Dist.Interleave = 2, 4, 8, 64, 2
		c.Dist.MTPLayers, c.Dist.Layout = 1, mustLayout(b, "Et*4|(t*4|)*6t*4mL")
	})
	if r := Evaluate(&c); r.Dist.Reason != DistOK || !(r.LatencyS > 0) {
		b.Fatalf("%q %v", r.Dist.Reason, r.LatencyS)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Evaluate(&c)
	}
}

// Each kind of pipeline rank is priced with its own collectives and the
// slowest step is the job's: DeepSeek-V3 on 2,048 H100s with its recipe's
// layout, whose four-layer ranks run the most all-to-alls while the last
// rank (a layer, the MTP blocks, the LM head and loss) has the most
// computation from two blocks on. The rank was chosen by computation
// alone, its collectives added after: a second MTP block lowered the step
// from 56.0 to 51.9 s (the last rank's three MoE layers' all-to-alls
// replaced the four-layer ranks'). More blocks never shorten the step;
// its all-to-alls are the slowest rank's and may fall when the last rank
// (fewer MoE layers, more computation) becomes the slowest.
func TestPipelineLayoutRankCollectives(t *testing.T) {
	step := func(layout string, mtp int) Result {
		c := distCfg(t, "DeepSeek_V3", "Production_2K", func(c *Config) {
			c.Fidelity, c.Precision, c.Recompute, c.ZeroStage = FidelityCalibrated, registry.FP8, RecomputeFull, 1
			c.BatchSize, c.SeqLen = 8192, 4096
			c.Dist.TP, c.Dist.PP, c.Dist.EP, c.Dist.Microbatches = 2, 16, 64, 128
			c.Calib.Software = calibration.MegatronCore
			c.Dist.Layout, c.Dist.MTPLayers = mustLayout(t, layout), mtp
		})
		r := Evaluate(&c)
		if r.Dist.Reason != DistOK || !(r.LatencyS > 0) {
			t.Fatalf("%s mtp=%d: %q %v", layout, mtp, r.Dist.Reason, r.LatencyS)
		}
		return r
	}
	prev := step("Et*4|(t*4|)*14tL", 0)
	for _, tc := range []struct {
		layout string
		mtp    int
	}{
		{"Et*4|(t*4|)*14tmL", 1},
		{"Et*4|(t*4|)*14tmmL", 2},
		{"Et*4|(t*4|)*14tmmmL", 3},
	} {
		r := step(tc.layout, tc.mtp)
		if r.LatencyS < prev.LatencyS {
			t.Errorf("%s: step %.6g s (all-to-alls %.6g s) below %.6g s (%.6g s) with one block fewer",
				tc.layout, r.LatencyS, r.Dist.CommEPS, prev.LatencyS, prev.Dist.CommEPS)
		}
		if !(r.HFU >= r.MFU) {
			t.Errorf("%s: HFU %g MFU %g", tc.layout, r.HFU, r.MFU)
		}
		prev = r
	}
}
