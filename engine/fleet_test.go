package engine

import (
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// G6 SustainabilityModel and G7 EconomicsModel (mlsysim-validation-and-tests.md
// §B.4, golden_regressions @0e4b2e5f, newest "dev" values with H100 at
// $25,000): Research_256, 1 day, mfu 0.45, default grid US_Avg.
func TestFleetG6G7(t *testing.T) {
	c := distCfg(t, "Llama3_8B", "Research_256", func(c *Config) {
		c.Fleet.DurationDays, c.Fleet.Utilization = 1, 0.45
	})
	r := Evaluate(&c)
	for name, want := range map[string]float64{
		"energy_it_kwh":   2644.992,
		"energy_kwh":      2962.3910400000004,
		"carbon_kg":       1270.8657561600003,
		"water_l":         5332.303872000001,
		"pue":             1.12,
		"capex_usd":       5844.748858447489,
		"energy_cost_usd": 355.48692480000005,
		"maintenance_usd": 876.7123287671233,
		"opex_usd":        1232.1992535671234,
		"tco_usd":         7076.948112014612,
	} {
		if got := LookupOutput(name).Float(&r); !withinRel(got, want, 1e-12) {
			t.Errorf("%s = %.17g, want %.17g (G6/G7)", name, got, want)
		}
	}
	if got := LookupOutput("region_name").String(&r); got != "US Average" {
		t.Errorf("region %q, want US Average (G6)", got)
	}
}

// G38 and B.3: Young-Daly at (60 s, 50,000 h) = 146,969.4 s; the checkpoint
// interval of Training_512_H100 (64 DGX H100 nodes, node MTBF 4285.7 h) is
// √(2·60 s·66.96 h) = 89.64 min under fidelity mlsysim.
func TestFleetReliability(t *testing.T) {
	if got := YoungDalyS(60, 50000); !withinRel(got, 146969.4, 1e-6) {
		t.Errorf("Young-Daly %v, want 146969.4 (G38)", got)
	}
	if got := NodeMTBFHours(8, 8, 2); !withinRel(got, 1/(8/50000.0+8/150000.0+2/100000.0), 1e-15) {
		t.Errorf("node MTBF %v", got)
	}
	c := distCfg(t, "Llama3_70B", "Training_512_H100", func(c *Config) { c.Fleet.DurationDays = 30 })
	r := Evaluate(&c)
	if !withinRel(r.Fleet.FleetMTBFH, 66.96, 1e-3) || !withinRel(r.Fleet.CheckpointIntervalS/60, 89.64, 1e-3) {
		t.Errorf("MTBF %v h, interval %v min; want 66.96 h, 89.64 min (B.3)", r.Fleet.FleetMTBFH, r.Fleet.CheckpointIntervalS/60)
	}
	if g := r.Fleet.Goodput; g < 0 || g > 1 {
		t.Errorf("goodput %v outside [0, 1]", g)
	}
	if !withinRel(r.Fleet.ExpectedFailures, 30*24/r.Fleet.FleetMTBFH, 1e-12) {
		t.Error("expected failures ≠ hours / MTBF")
	}
	// Bigger cluster → shorter MTBF, more failures.
	big := distCfg(t, "Llama3_70B", "Production_2K", func(c *Config) { c.Fleet.DurationDays = 30 })
	rb := Evaluate(&big)
	if rb.Fleet.FleetMTBFH >= r.Fleet.FleetMTBFH || rb.Fleet.ExpectedFailures <= r.Fleet.ExpectedFailures {
		t.Error("a bigger cluster must fail more often")
	}
	// Larger model → larger checkpoint.
	small := distCfg(t, "Llama3_8B", "Training_512_H100", func(c *Config) { c.Fleet.DurationDays = 30 })
	if rs := Evaluate(&small); rs.Fleet.CheckpointBytes >= r.Fleet.CheckpointBytes {
		t.Error("a larger model must write a larger checkpoint")
	}
}

// B.5 identities and monotonicity of the fleet models; the region counts
// (mlsysim ignores it in plans, reference §13).
func TestFleetProperties(t *testing.T) {
	quebec := &registry.Grid{Key: "Quebec", Name: "Quebec (Hydro)", CarbonGPerKWh: 20, PUE: 1.06, WUELPerKWh: 0}
	base := func(f func(*Config)) Result {
		c := distCfg(t, "Llama3_8B", "Research_256", func(c *Config) {
			c.Fleet.DurationDays, c.Fleet.Utilization = 30, 0.45
			if f != nil {
				f(c)
			}
		})
		return Evaluate(&c)
	}
	r := base(nil)
	f := r.Fleet
	if !withinRel(f.TCOUSD, f.CapexUSD+f.EnergyCostUSD+f.MaintenanceUSD, 1e-12) || !withinRel(f.OpexUSD, f.EnergyCostUSD+f.MaintenanceUSD, 1e-12) {
		t.Error("TCO ≠ capex + energy + maintenance")
	}
	if !withinRel(f.EnergyKWh, f.EnergyITKWh*f.PUE, 1e-12) {
		t.Error("energy ≠ IT × PUE")
	}
	longer := base(func(c *Config) { c.Fleet.DurationDays = 60 })
	if longer.Fleet.EnergyKWh <= f.EnergyKWh || longer.Fleet.CapexUSD <= f.CapexUSD {
		t.Error("a longer duration must cost more energy and capex")
	}
	infra := base(func(c *Config) { c.Fleet.InfraMult = 2.5 })
	if infra.Fleet.TCOUSD <= f.TCOUSD {
		t.Error("infra multiplier 2.5 must raise TCO")
	}
	emb := base(func(c *Config) { c.Fleet.Embodied = true })
	if emb.Fleet.CarbonKg <= f.CarbonKg {
		t.Error("embodied carbon must add to the total")
	}
	q := base(func(c *Config) { c.Fleet.Grid = quebec })
	if q.Fleet.WaterL != 0 || q.Fleet.CarbonKg >= f.CarbonKg/10 || q.Fleet.PUE != 1.06 {
		t.Errorf("Quebec: water %v carbon %v PUE %v", q.Fleet.WaterL, q.Fleet.CarbonKg, q.Fleet.PUE)
	}
	dc := &registry.Datacenter{Key: "Quebec_Hydro", Name: "Quebec Hydro Campus", Grid: quebec, PUEOverride: 1.03}
	d := base(func(c *Config) { c.Fleet.Datacenter = dc })
	if d.Fleet.PUE != 1.03 || d.Fleet.Region != quebec {
		t.Errorf("datacenter: PUE %v region %v", d.Fleet.PUE, d.Fleet.Region)
	}
	hi := base(func(c *Config) { c.Fleet.Utilization = 0.9 })
	if hi.Fleet.EnergyITKWh <= f.EnergyITKWh {
		t.Error("higher utilisation must draw more power")
	}
	if f.CostPerMTokUSD <= 0 || f.EnergyPerTokenJ <= 0 {
		t.Errorf("per-token cost %v and energy %v must be positive", f.CostPerMTokUSD, f.EnergyPerTokenJ)
	}
	// No unit cost (ESP32) → capex 0, maintenance 0, TCO = energy (B.5).
	c := cfg(t, "WakeVision", "ESP32_S3", func(c *Config) { c.Fleet.DurationDays = 365 })
	e := Evaluate(&c)
	if e.Fleet.CapexUSD != 0 || e.Fleet.MaintenanceUSD != 0 || e.Fleet.TCOUSD != e.Fleet.EnergyCostUSD {
		t.Errorf("no unit cost: capex %v maint %v tco %v energy %v", e.Fleet.CapexUSD, e.Fleet.MaintenanceUSD, e.Fleet.TCOUSD, e.Fleet.EnergyCostUSD)
	}
	// duration_days = 0 leaves the fleet outputs at zero.
	c = cfg(t, "Llama3_8B", "H100", nil)
	if z := Evaluate(&c); z.Fleet != (FleetResult{}) {
		t.Error("fleet outputs must be zero without duration_days")
	}
}
