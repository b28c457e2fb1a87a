package engine

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// A disaggregated replica is both its pools: Llama-3 70B prefilled on 4
// H100s (tp 4) and decoded on 2 H200s (decode_tp 2). Over one year
// amortised over one year, its capital is 4 H100s and 2 H200s at their
// registry prices, its IT energy both pools' TDP at the utilisation over
// the year, its request energy both pools' TDP over the request cycle; with
// a qps every replica brings its 6 GPUs. The colocated row on the 4 H100s
// lacks exactly the decode pool's capital.
func TestDisaggregatedPools(t *testing.T) {
	reg := registry.Default()
	h100, h200 := ref(t, reg.Hardware, "H100"), ref(t, reg.Hardware, "H200")
	if !(h100.UnitCostUSD > 0 && h200.UnitCostUSD > 0 && h100.TDPW > 0 && h200.TDPW > 0) {
		t.Fatalf("H100 $%v %v W, H200 $%v %v W: the test needs prices and TDPs", h100.UnitCostUSD, h100.TDPW, h200.UnitCostUSD, h200.TDPW)
	}
	const u = 0.5
	at := func(fid Fidelity, disagg bool, qps float64) Result {
		return calServeEval(t, "Llama3_70B", "H100", func(c *Config) {
			c.Fidelity = fid
			c.Dist.TP, c.BatchSize, c.SeqLen, c.OutputTokens = 4, 32, 2048, 128
			if disagg {
				c.Serve.DecodeHW, c.Serve.DecodeTP = h200, 2
			}
			c.Serve.QPS, c.Serve.P99TargetS = qps, 60
			c.Fleet.DurationDays, c.Fleet.AmortYears, c.Fleet.Utilization = 365, 1, u
		})
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-12*math.Abs(want) }
	capital := 4*h100.UnitCostUSD + 2*h200.UnitCostUSD
	watts := 4*h100.TDPW + 2*h200.TDPW
	for _, fid := range []Fidelity{FidelityCalibrated, FidelityMLSysim} {
		r, colo := at(fid, true, 0), at(fid, false, 0)
		if !r.Feasible {
			t.Fatalf("%v: infeasible (%q)", fid, r.Reason)
		}
		f := &r.Fleet
		if r.Serve.GPUs != 6 || r.Serve.DecodeGPUs != 2 || f.GPUs != 6 {
			t.Errorf("%v: GPUs %d (decode %d, fleet %d), want 6 (decode 2)", fid, r.Serve.GPUs, r.Serve.DecodeGPUs, f.GPUs)
		}
		if !near(f.CapexUSD, capital) || !near(f.MaintenanceUSD, capital*AnnualMaintenanceRatio) {
			t.Errorf("%v: capex $%v, maintenance $%v per replica-year, want 4×H100 + 2×H200 = $%v and 5 %% of it", fid, f.CapexUSD, f.MaintenanceUSD, capital)
		}
		if !near(f.CapexUSD-colo.Fleet.CapexUSD, 2*h200.UnitCostUSD) {
			t.Errorf("%v: capex $%v, colocated on the H100s $%v: want the decode pool's $%v more", fid, f.CapexUSD, colo.Fleet.CapexUSD, 2*h200.UnitCostUSD)
		}
		if want := watts * (IdlePowerFraction + DynamicPowerFraction*u) * 24 * 365 / 1000; !near(f.EnergyITKWh, want) {
			t.Errorf("%v: IT energy %v kWh, want both pools' TDP %v W at u = %v over a year, %v kWh", fid, f.EnergyITKWh, watts, u, want)
		}
		if want := watts * (IdlePowerFraction + DynamicPowerFraction*r.HFU) * (r.Serve.PrefillS + r.Serve.DecodeS); !near(r.EnergyJ, want) {
			t.Errorf("%v: request energy %v J, want both pools' TDP %v W over the cycle, %v J", fid, r.EnergyJ, watts, want)
		}
		if !(f.CostPerMTokUSD > 0 && f.CostPerMTokInputUSD > 0 && f.CostPerMTokOutputUSD > 0) {
			t.Errorf("%v: cost per Mtok %v, input %v, output %v", fid, f.CostPerMTokUSD, f.CostPerMTokInputUSD, f.CostPerMTokOutputUSD)
		}
		q := at(fid, true, 20)
		if q.Serve.Replicas < 1 || q.Serve.GPUs != 6*q.Serve.Replicas || q.Serve.DecodeGPUs != 2*q.Serve.Replicas || !near(q.Fleet.CapexUSD, capital*float64(q.Serve.Replicas)) {
			t.Errorf("%v: qps 20: %d replicas, GPUs %d (decode %d), capex $%v", fid, q.Serve.Replicas, q.Serve.GPUs, q.Serve.DecodeGPUs, q.Fleet.CapexUSD)
		}
	}
}
