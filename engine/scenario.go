package engine

import (
	"fmt"
	"math"
	"strings"

	"github.com/mlsysim/mlsysim-go/registry"
	"github.com/mlsysim/mlsysim-go/units"
)

// Scenarios: a registry scenario (a workload on a device or a cluster, with
// targets) evaluated at three levels, as mlsysim's Scenario.evaluate
// (reference engine §5), plus the targets mlsysim never checks:
//
//	feasibility  the weights at the scenario's precision fit one accelerator's
//	             memory; the input data rate does not stall the data pipeline
//	performance  the latency of one step (Solve on a device, the distributed
//	             model on a cluster) meets sla_latency; the modelled average
//	             power meets power_budget; the accuracy target, when set
//	macro        a year of operation: energy, carbon and TCO (fleet models)
//
// mlsysim checks feasibility at fp16 width whatever the precision, and never
// checks power_budget or target_accuracy. ScenarioOptions.MLSysim reproduces
// its verdicts.

// Verdict is the outcome of one scenario check.
type Verdict uint8

// The verdicts.
const (
	NotApplicable Verdict = iota // the scenario sets no such target
	Pass                         // the target is met
	Fail                         // the target is missed
	NotModelled                  // the target is set, but no model here can decide it
)

var verdictNames = [...]string{"N/A", "PASS", "FAIL", "NOT MODELLED"}

// String returns "PASS", "FAIL", "N/A" or "NOT MODELLED".
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", v)
}

// MarshalText writes the verdict as its String.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// The levels and names of scenario checks.
const (
	LevelFeasibility = "feasibility"
	LevelPerformance = "performance"
	LevelMacro       = "macro"

	CheckMemory   = "memory"
	CheckDataRate = "data_rate"
	CheckLatency  = "latency"
	CheckPower    = "power"
	CheckAccuracy = "accuracy"
	CheckCost     = "carbon_and_cost"
)

// ScenarioCheck is one target of a scenario with its verdict. Value and
// Target are in SI base units of Unit ("B", "B/s", "s", "W", "1", "USD"):
// memory needed and available, data demanded and supplied, latency and SLA,
// power and budget, accuracy change and target, TCO. Target is 0 when the
// scenario sets none (or, for the data rate, when nothing supplies data).
type ScenarioCheck struct {
	Level   string  `json:"level"`
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	Value   float64 `json:"value"`
	Target  float64 `json:"target"`
	Unit    string  `json:"unit"`
	Reason  string  `json:"reason"`
}

// ScenarioOptions change how a scenario is evaluated. The zero value is this
// library's evaluation.
type ScenarioOptions struct {
	// MLSysim reproduces mlsysim's Scenario.evaluate(batch_size=1,
	// precision="fp16"): fp16 everywhere and batch 1, whatever the scenario's
	// precision and batch; power and accuracy targets are not checked.
	MLSysim bool
	// Efficiency is η of the performance level; 0 = 0.5, as mlsysim.
	Efficiency float64
	// Days is the duration of the macro level; 0 = 365.
	Days float64
}

// ScenarioResult is the evaluation of one scenario: its checks in level
// order, and the numbers behind them in typed units.
type ScenarioResult struct {
	Scenario    *registry.Scenario `json:"-"`
	Key         string             `json:"scenario"`
	Model       string             `json:"model"`
	System      string             `json:"system"`
	Precision   string             `json:"precision"`
	BatchSize   int                `json:"batch_size"`
	Distributed bool               `json:"distributed"`

	WeightBytes   units.Bytes `json:"weight_bytes"`   // at Precision
	CapacityBytes units.Bytes `json:"capacity_bytes"` // one accelerator's memory

	Latency      units.Seconds `json:"latency_s"` // one step (inference pass, or training step on a cluster)
	Throughput   float64       `json:"throughput_per_s"`
	Bottleneck   string        `json:"bottleneck"`
	MFU          float64       `json:"mfu"`
	AveragePower units.Watts   `json:"average_power_w"` // of the whole system while it runs

	EnergyIT units.Joules `json:"energy_it_j"` // over the macro duration
	Energy   units.Joules `json:"energy_j"`    // facility: IT × PUE
	Carbon   units.KgCO2  `json:"carbon_kg"`
	TCO      units.USD    `json:"tco_usd"`

	Checks []ScenarioCheck `json:"checks"`
}

// Passed reports whether no check failed (N/A and NOT MODELLED do not fail),
// as mlsysim's passed_all.
func (r ScenarioResult) Passed() bool {
	for _, c := range r.Checks {
		if c.Verdict == Fail {
			return false
		}
	}
	return true
}

// Check returns the check named name (CheckMemory, CheckLatency, ...), or
// the zero check with verdict N/A.
func (r ScenarioResult) Check(name string) ScenarioCheck {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return ScenarioCheck{Name: name}
}

// Level returns the verdict of a level: FAIL if any check of the level
// failed, else PASS if any passed, else N/A (or NOT MODELLED).
func (r ScenarioResult) Level(level string) Verdict {
	v := NotApplicable
	for _, c := range r.Checks {
		if c.Level != level {
			continue
		}
		switch {
		case c.Verdict == Fail:
			return Fail
		case c.Verdict == Pass:
			v = Pass
		case c.Verdict == NotModelled && v == NotApplicable:
			v = NotModelled
		}
	}
	return v
}

// EvaluateScenario evaluates s with the default options.
func EvaluateScenario(s *registry.Scenario) ScenarioResult {
	return EvaluateScenarioWith(s, ScenarioOptions{})
}

// EvaluateScenarioWith evaluates s at the three levels: every formula is the
// engine's (Solve, the distributed and fleet models, DataSupply,
// CompressModel); this function only compares their outcomes with the
// scenario's targets.
func EvaluateScenarioWith(s *registry.Scenario, o ScenarioOptions) ScenarioResult {
	prec, batch := s.Precision, max(s.BatchSize, 1)
	if o.MLSysim {
		prec, batch = registry.FP16, 1
	}
	eta := o.Efficiency
	if eta == 0 {
		eta = 0.5
	}
	days := o.Days
	if days == 0 {
		days = 365
	}
	hw := s.Hardware
	sys := ""
	if hw != nil {
		sys = hw.Key
	}
	if s.Cluster != nil {
		hw = s.Cluster.Node.Accelerator
		sys = s.Cluster.Key
	}
	res := ScenarioResult{Scenario: s, Key: s.Key, Model: s.Model.Key, System: sys,
		Precision: prec.String(), BatchSize: batch, Distributed: s.Cluster != nil}

	// Level 1: feasibility.
	w := Lower(s.Model, prec.Bytes()).WeightBytes
	res.WeightBytes, res.CapacityBytes = units.Bytes(w), units.Bytes(hw.MemCapacityBytes)
	mem := ScenarioCheck{Level: LevelFeasibility, Name: CheckMemory, Value: w, Target: hw.MemCapacityBytes, Unit: "B"}
	if w <= hw.MemCapacityBytes {
		mem.Verdict = Pass
		mem.Reason = fmt.Sprintf("model fits in memory: %s of %s weights in %s of %s", units.Bytes(w), prec, units.Bytes(hw.MemCapacityBytes), hw.Key)
	} else {
		mem.Verdict = Fail
		mem.Reason = fmt.Sprintf("out of memory: %s of %s weights need more than the %s of one %s", units.Bytes(w), prec, units.Bytes(hw.MemCapacityBytes), hw.Key)
		if s.Cluster != nil {
			mem.Reason += fmt.Sprintf("; under pure data parallelism (tp = pp = 1, as evaluated) every GPU holds all weights: they need sharding over at least %d GPUs (tp·pp or ZeRO-3)",
				int(math.Ceil(w/hw.MemCapacityBytes)))
		}
	}
	if o.MLSysim && prec != s.Precision {
		mem.Reason += fmt.Sprintf(" [mlsysim checks fp16 width; the scenario's precision is %s]", s.Precision)
	}
	res.Checks = append(res.Checks, mem)

	data := ScenarioCheck{Level: LevelFeasibility, Name: CheckDataRate, Unit: "B/s"}
	demand := s.DataRateBps
	if demand == 0 {
		demand = s.Model.DataRateBps
	}
	if demand > 0 {
		util, supply, stalled, where := DataSupply(demand, hw)
		data.Value, data.Target = demand, supply
		switch {
		case stalled && supply == 0:
			data.Verdict = Fail
			data.Reason = fmt.Sprintf("data wall: %s of input and %s lists no storage or host link bandwidth to supply it", units.BytesPerSecond(demand), hw.Key)
		case stalled:
			data.Verdict = Fail
			data.Reason = fmt.Sprintf("data wall: %s of input is %.3g× the %s supply of %s", units.BytesPerSecond(demand), util, strings.ToLower(where), units.BytesPerSecond(supply))
		default:
			data.Verdict = Pass
			data.Reason = fmt.Sprintf("data pipeline keeps up: %s of input is %.3g%% of the %s supply", units.BytesPerSecond(demand), util*100, strings.ToLower(where))
		}
	} else {
		data.Reason = "no data rate set"
	}
	res.Checks = append(res.Checks, data)

	// Level 2: performance, and level 3 from the same evaluation.
	c := DefaultConfig()
	c.Fidelity = FidelityMLSysim
	c.Model, c.Hardware = s.Model, hw
	c.Precision, c.BatchSize, c.Efficiency = prec, batch, eta
	if s.Cluster != nil {
		c.Mode = Training
		c.Dist.System = s.Cluster
	}
	c.Fleet.DurationDays = days
	r := Evaluate(&c)
	res.Latency = units.Seconds(r.LatencyS)
	res.Throughput, res.MFU = r.ThroughputPerS, r.MFU
	res.Bottleneck = r.Bottleneck.String()
	if r.LatencyS > 0 {
		res.AveragePower = units.Watts(r.EnergyJ / r.LatencyS)
	}

	lat := ScenarioCheck{Level: LevelPerformance, Name: CheckLatency, Value: r.LatencyS, Target: s.SLALatencyS, Unit: "s"}
	what := "one inference pass"
	if s.Cluster != nil {
		what = fmt.Sprintf("one training step on %d GPUs (dp %d, tp = pp = 1)", r.Dist.GPUs, r.Dist.DP)
	}
	switch {
	case s.SLALatencyS == 0:
		lat.Reason = fmt.Sprintf("no sla_latency set; %s takes %s", what, res.Latency)
	case r.LatencyS <= s.SLALatencyS:
		lat.Verdict = Pass
		lat.Reason = fmt.Sprintf("%s takes %s (%s-bound), within the %s SLA", what, res.Latency, strings.ToLower(res.Bottleneck), units.Seconds(s.SLALatencyS))
	default:
		lat.Verdict = Fail
		lat.Reason = fmt.Sprintf("%s takes %s (%s-bound), over the %s SLA by %.3g×", what, res.Latency, strings.ToLower(res.Bottleneck), units.Seconds(s.SLALatencyS), r.LatencyS/s.SLALatencyS)
	}
	if !r.Feasible && s.SLALatencyS > 0 {
		lat.Reason += "; the configuration does not fit, so this is the offload path's time"
	}
	res.Checks = append(res.Checks, lat)

	pow := ScenarioCheck{Level: LevelPerformance, Name: CheckPower, Value: float64(res.AveragePower), Target: s.PowerBudgetW, Unit: "W"}
	switch {
	case s.PowerBudgetW == 0:
		pow.Reason = "no power_budget set"
	case o.MLSysim:
		pow.Reason = "mlsysim never checks power_budget"
	case float64(res.AveragePower) <= s.PowerBudgetW:
		pow.Verdict = Pass
		pow.Reason = fmt.Sprintf("modelled power while running, TDP·(0.3 + 0.7·HFU) = %s, within the %s budget", res.AveragePower, units.Watts(s.PowerBudgetW))
	default:
		pow.Verdict = Fail
		pow.Reason = fmt.Sprintf("modelled power while running, TDP·(0.3 + 0.7·HFU) = %s, exceeds the %s budget (%s TDP; duty cycling is not modelled)",
			res.AveragePower, units.Watts(s.PowerBudgetW), units.Watts(hw.TDPW))
	}
	res.Checks = append(res.Checks, pow)

	acc := ScenarioCheck{Level: LevelPerformance, Name: CheckAccuracy, Target: s.TargetAccuracy, Unit: "1"}
	switch {
	case s.TargetAccuracy == 0:
		acc.Reason = "no target_accuracy set"
	case o.MLSysim:
		acc.Reason = "mlsysim never checks target_accuracy"
	default:
		acc.Verdict = NotModelled
		bits := int(prec.Bytes() * 8)
		if bits < 16 {
			cm := CompressModel(s.Model, hw, Quantize, bits, 0, registry.FP16)
			acc.Value = cm.AccuracyDelta
			acc.Reason = fmt.Sprintf("not modelled: the registry holds no baseline accuracy for %s; quantizing fp16 → %s changes accuracy by about %+.3g (compression model)", s.Model.Key, prec, cm.AccuracyDelta)
		} else {
			acc.Reason = fmt.Sprintf("not modelled: the registry holds no baseline accuracy for %s (no compression at %s)", s.Model.Key, prec)
		}
	}
	res.Checks = append(res.Checks, acc)

	// Level 3: macro. mlsysim prices a year at full TDP (mfu = 1) on the
	// cluster, or on one accelerator; it has no target, so it always passes.
	f := r.Fleet
	res.EnergyIT = units.FromKWh(f.EnergyITKWh)
	res.Energy = units.FromKWh(f.EnergyKWh)
	res.Carbon = units.KgCO2(f.CarbonKg)
	res.TCO = units.USD(f.TCOUSD)
	region := "US Average"
	if f.Region != nil {
		region = f.Region.Name
	}
	cost := ScenarioCheck{Level: LevelMacro, Name: CheckCost, Verdict: Pass, Value: f.TCOUSD, Unit: "USD",
		Reason: fmt.Sprintf("no target (reported): %g days on %d × %s at full TDP: IT %s, facility %s (PUE %g, %s), carbon %s, TCO %s",
			days, f.GPUs, hw.Key, res.EnergyIT, res.Energy, f.PUE, region, res.Carbon, res.TCO)}
	if hw.UnitCostUSD == 0 {
		cost.Reason += fmt.Sprintf(" (no unit cost listed for %s: energy only)", hw.Key)
	}
	res.Checks = append(res.Checks, cost)
	return res
}

// ApplyScenario sets c's model, hardware (or system, for a cluster scenario,
// in training mode), precision and batch size from s: the configuration the
// scenario's performance level evaluates, to sweep other parameters around.
func ApplyScenario(c *Config, s *registry.Scenario) {
	c.Model = s.Model
	c.Precision = s.Precision
	c.BatchSize = max(s.BatchSize, 1)
	if s.Cluster != nil {
		c.Mode = Training
		c.Dist.System = s.Cluster
		c.Hardware = s.Cluster.Node.Accelerator
		return
	}
	c.Hardware = s.Hardware
	c.Dist.System = nil
}

// scenarioParams is the "scenario" sweep parameter: a registry scenario
// whose model, hardware or system, precision and batch size it applies
// (later parameters override them). It joins the vocabulary by adding it to
// the concat of params in vocab.go.
var scenarioParams = []*Param{
	{Name: "scenario", Label: "Scenario", Type: TypeRef, RefKind: registry.KindScenario,
		Doc:   "a scenario (sweep list scenarios): sets model, hardware or system, precision and batch_size from it",
		apply: func(c *Config, v Value) { ApplyScenario(c, v.Ref.(*registry.Scenario)) }},
}
