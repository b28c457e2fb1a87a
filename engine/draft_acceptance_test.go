package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// draft_acceptance=0 (a draft none of whose tokens is accepted) was
// priced at the default 0.7, as the Config's zero means unset: Llama 3 8B
// with a Llama 3.2 1B draft on an H100 gave 7.5 ms an output token at α = 0
// and 20.9 ms at α = 0.0001. Through the parameter it is α = 0: one token
// a verify pass, under both fidelities.
func TestDraftAcceptanceZero(t *testing.T) {
	reg := registry.Default()
	p := LookupParam("draft_acceptance")
	itl := func(fid Fidelity, alpha string) float64 {
		c := cfg(t, "Llama3_8B", "H100", func(c *Config) {
			c.Fidelity, c.Mode, c.BatchSize, c.SeqLen, c.OutputTokens = fid, Serving, 8, 2048, 256
			d, err := reg.Model("Llama3_1B")
			if err != nil {
				t.Fatal(err)
			}
			c.Serve.Draft = d
			if alpha != "" {
				v, err := p.Parse(reg, alpha)
				if err != nil {
					t.Fatal(err)
				}
				p.Apply(c, v)
			}
		})
		r := Evaluate(&c)
		if !r.Feasible || !(r.ITLS > 0) {
			t.Fatalf("%v α=%q: feasible %v ITL %v", fid, alpha, r.Feasible, r.ITLS)
		}
		return r.ITLS
	}
	for _, fid := range []Fidelity{FidelityCalibrated, FidelityMLSysim} {
		zero, tiny, def, unset := itl(fid, "0"), itl(fid, "0.0001"), itl(fid, "0.7"), itl(fid, "")
		if !(zero >= tiny && math.Abs(zero-tiny) < 1e-3*tiny) {
			t.Errorf("%v: ITL %g s at α = 0, %g s at α = 0.0001", fid, zero, tiny)
		}
		if !(zero > def) || unset != def {
			t.Errorf("%v: ITL %g s at α = 0, %g s at 0.7, %g s unset", fid, zero, def, unset)
		}
	}
}
