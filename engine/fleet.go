package engine

import (
	"math"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Fleet models: energy, carbon, water, cost and reliability of running a
// configuration for a duration (mlsysim SustainabilityModel,
// EconomicsModel, ReliabilityModel, CheckpointModel; reference solvers
// §4.10, §4.11, §4.21, §4.22). They run only when duration_days > 0, so
// plain sweeps never pay for them.

// Constants of the fleet models (mlsysim engine/calibration.py and the
// Infrastructure/Systems registries, reference solvers §10).
const (
	// DefaultPUE is FacilityCooling.BestAir, mlsysim's Fleet.effective_pue fallback.
	DefaultPUE = 1.12
	// DefaultElectricityUSDPerKWh is Pricing.Cloud.ElectricityPerKwh.
	DefaultElectricityUSDPerKWh = 0.12
	// AnnualMaintenanceRatio is Pricing.Capital.AnnualMaintenanceRatio: a
	// year of maintenance costs 5 % of the capital.
	AnnualMaintenanceRatio = 0.05
	// DefaultAmortizationYears is EconomicsModel's amortization_years.
	DefaultAmortizationYears = 3.0
	// DefaultTDPW is SustainabilityModel's per-chip power when TDP is unknown.
	DefaultTDPW = 700.0
	// MTTFGPUH, MTTFNICH and MTTFPSUH are the component lifetimes of
	// ReliabilityModel, hours (Systems.Reliability).
	MTTFGPUH = 50000.0
	MTTFNICH = 150000.0
	MTTFPSUH = 100000.0
	// DefaultPSUsPerNode is mlsysim Node.psus_per_node.
	DefaultPSUsPerNode = 2
	// CheckpointBytesPerParamAdam is CheckpointModel's Adam checkpoint:
	// fp16 weights + fp32 master weights, momentum and variance.
	CheckpointBytesPerParamAdam = 14.0
	// FallbackStorageBps is CheckpointModel's storage bandwidth when the
	// hardware lists none (1 GB/s).
	FallbackStorageBps = 1e9
	// FilesystemLimitBps is CheckpointModel's parallel filesystem ceiling (500 GB/s).
	FilesystemLimitBps = 500e9
	// MLSysimCheckpointS and RecoveryS are ReliabilityModel's defaults:
	// checkpoint_time_s = 60 and avg_recovery_time_s = 300.
	MLSysimCheckpointS = 60.0
	RecoveryS          = 300.0
)

// USAvgGrid is mlsysim's default region, Grids.US_Avg (infrastructure
// grids.yaml @8a89d00a: 429 gCO2/kWh, PUE 1.12, WUE 1.8 L/kWh). It stands for
// the region when neither the configuration nor its system names one, so
// the fleet models work without grid data in the registry.
var USAvgGrid = registry.Grid{Key: "US_Avg", Name: "US Average", CarbonGPerKWh: 429, PUE: 1.12, WUELPerKWh: 1.8,
	PrimarySource: "mixed", Source: "mlsysim infrastructure/data/grids.yaml @8a89d00a"}

// FleetConfig holds the parameters of the fleet models.
type FleetConfig struct {
	DurationDays float64              // > 0 switches the fleet models on
	Grid         *registry.Grid       // region; nil = the datacenter's, the system's, or US_Avg
	Datacenter   *registry.Datacenter // a site: its grid and PUE
	Utilization  float64              // (0, 1] overrides the modelled utilisation for power; 0 = absent
	PriceUSDKWh  float64              // electricity price; 0 = the region's, else $0.12/kWh
	AmortYears   float64              // capital amortisation; 0 = 3 years
	InfraMult    float64              // capital multiplier for facility and network; 0 = 1
	Embodied     bool                 // add the devices' embodied carbon, amortised like the capital
}

// FleetResult holds the outcomes of the fleet models over the duration.
type FleetResult struct {
	// On is true when the fleet models ran (duration_days > 0); the
	// outputs below are null otherwise (NullIfNoFleet).
	On bool
	// NoUnitCost is true when the hardware, or a disaggregated replica's
	// decode hardware, lists no unit cost: capital and the prices that
	// include it are null (NullIfNoUnitCost), energy cost is not.
	NoUnitCost     bool
	GPUs           int
	Region         *registry.Grid
	EnergyITKWh    float64
	EnergyKWh      float64 // facility energy: IT × PUE
	CarbonKg       float64
	WaterL         float64
	PUE            float64
	CapexUSD       float64 // amortised over the duration
	EnergyCostUSD  float64
	MaintenanceUSD float64
	OpexUSD        float64
	TCOUSD         float64
	CostPerMTokUSD float64
	// CostPerMTokInputUSD and CostPerMTokOutputUSD price a serving
	// request's input and output tokens apart (solveFleet); 0 elsewhere.
	CostPerMTokInputUSD  float64
	CostPerMTokOutputUSD float64
	EnergyPerTokenJ      float64
	FleetMTBFH           float64
	CheckpointIntervalS  float64
	ExpectedFailures     float64
	Goodput              float64
	CheckpointBytes      float64
	CheckpointWriteS     float64
}

var fleetParams = []*Param{
	{Name: "duration_days", Label: "Duration (days)", Type: TypeFloat, Min: 0, Default: "0",
		Doc:   "fleet: days of operation; > 0 computes energy, carbon, water, cost and reliability",
		apply: func(c *Config, v Value) { c.Fleet.DurationDays = v.F }},
	{Name: "region", Label: "Region", Type: TypeRef, RefKind: registry.KindGrid,
		Doc: "fleet: electricity grid or datacenter (sweep list regions); default the system's, else US_Avg",
		apply: func(c *Config, v Value) {
			switch x := v.Ref.(type) {
			case *registry.Datacenter:
				c.Fleet.Datacenter, c.Fleet.Grid = x, nil
			case *registry.Grid:
				c.Fleet.Grid, c.Fleet.Datacenter = x, nil
			}
		}},
	{Name: "utilization", Label: "Utilization", Type: TypeFloat, Min: 0, Max: 1, Default: "0",
		Doc:   "fleet: accelerator utilisation for power, TDP·(0.3 + 0.7·u); 0 = 1.0 under fidelity=mlsysim (its default), else the modelled HFU",
		apply: func(c *Config, v Value) { c.Fleet.Utilization = v.F }},
	{Name: "electricity_usd_per_kwh", Label: "Electricity price ($/kWh)", Type: TypeFloat, Min: 0, Default: "0",
		Doc:   "fleet: electricity price; 0 = the region's, else $0.12/kWh",
		apply: func(c *Config, v Value) { c.Fleet.PriceUSDKWh = v.F }},
	{Name: "amortization_years", Label: "Amortization (years)", Type: TypeFloat, Min: 0, Default: "3",
		Doc:   "fleet: years over which the capital is amortised",
		apply: func(c *Config, v Value) { c.Fleet.AmortYears = v.F }},
	{Name: "infra_multiplier", Label: "Infrastructure multiplier", Type: TypeFloat, Min: 0, Default: "1",
		Doc:   "fleet: capital multiplier on the accelerators' cost for facility and network",
		apply: func(c *Config, v Value) { c.Fleet.InfraMult = v.F }},
	{Name: "include_embodied", Label: "Embodied carbon included", Type: TypeBool, Default: "false",
		Doc:   "fleet: add the accelerators' embodied carbon, amortised over amortization_years",
		apply: func(c *Config, v Value) { c.Fleet.Embodied = v.F == 1 }},
}

var fleetOutputs = []*Output{
	{Name: "energy_it_kwh", Label: "IT energy", Better: LowerIsBetter, Unit: "kWh", NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "IT energy: TDP·(0.3 + 0.7·u)·GPUs·24 h·days, summed over a disaggregated replica's two pools (replicas·tp of hardware, replicas·decode_tp of decode_hardware; under calibrated max(tp, ep) and max(decode_tp, decode_ep))",
		Float: func(r *Result) float64 { return r.Fleet.EnergyITKWh }},
	{Name: "energy_kwh", Label: "Facility energy", Better: LowerIsBetter, Unit: "kWh", NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "facility energy: IT × PUE",
		Float: func(r *Result) float64 { return r.Fleet.EnergyKWh }},
	{Name: "pue", Label: "PUE", Better: LowerIsBetter, NullWhen: NullIfNoFleet, Modes: InAll, Doc: "power usage effectiveness of the site",
		Float: func(r *Result) float64 { return r.Fleet.PUE }},
	{Name: "carbon_kg", Label: "Carbon", Better: LowerIsBetter, Unit: "kg", NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "operational carbon: facility kWh × gCO2/kWh / 1000 (+ amortised embodied)",
		Float: func(r *Result) float64 { return r.Fleet.CarbonKg }},
	{Name: "water_l", Label: "Water", Better: LowerIsBetter, Unit: "L", NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "water: facility kWh × WUE",
		Float: func(r *Result) float64 { return r.Fleet.WaterL }},
	{Name: "region_name", Label: "Region", Better: NeitherIsBetter, Type: OutString, Modes: InAll, Doc: "the grid the fleet models used",
		String: func(r *Result) string {
			if r.Fleet.Region == nil {
				return ""
			}
			return r.Fleet.Region.Name
		}},
	{Name: "capex_usd", Label: "CapEx", Better: LowerIsBetter, Unit: "USD", NullWhen: NullIfUnreachable | NullIfNoFleet | NullIfNoUnitCost, Modes: InAll, Doc: "capital amortised over the duration: unit cost·GPUs·infra / years · days/365, summed over a disaggregated replica's two pools",
		Float: func(r *Result) float64 { return r.Fleet.CapexUSD }},
	{Name: "energy_cost_usd", Label: "Energy cost", Better: LowerIsBetter, Unit: "USD", NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "facility kWh × price",
		Float: func(r *Result) float64 { return r.Fleet.EnergyCostUSD }},
	{Name: "maintenance_usd", Label: "Maintenance", Better: LowerIsBetter, Unit: "USD", NullWhen: NullIfUnreachable | NullIfNoFleet | NullIfNoUnitCost, Modes: InAll, Doc: "5 % of the capital per year, over the duration",
		Float: func(r *Result) float64 { return r.Fleet.MaintenanceUSD }},
	{Name: "opex_usd", Label: "OpEx", Better: LowerIsBetter, Unit: "USD", NullWhen: NullIfUnreachable | NullIfNoFleet | NullIfNoUnitCost, Modes: InAll, Doc: "energy + maintenance",
		Float: func(r *Result) float64 { return r.Fleet.OpexUSD }},
	{Name: "tco_usd", Label: "TCO", Better: LowerIsBetter, Unit: "USD", NullWhen: NullIfUnreachable | NullIfNoFleet | NullIfNoUnitCost, Modes: InAll, Doc: "capex + opex over the duration",
		Float: func(r *Result) float64 { return r.Fleet.TCOUSD }},
	{Name: "cost_per_mtok_usd", Label: "Cost per million tokens", Better: LowerIsBetter, Unit: "USD", NullWhen: NullIfInfeasible | NullIfUnreachable | NullIfNoFleet | NullIfNoUnitCost, Modes: InAll, Doc: "TCO per million useful tokens (training: × goodput); calibrated serving: per million output tokens over the whole request cycle (prefill + decode time); null on infeasible rows and when the p99 target is unreachable",
		Float: func(r *Result) float64 { return r.Fleet.CostPerMTokUSD }},
	{Name: "cost_per_mtok_input_usd", Label: "Cost per million input tokens", Better: LowerIsBetter, Unit: "USD", NullWhen: NullIfInfeasible | NullIfUnreachable | NullIfNoFleet | NullIfNoUnitCost, Modes: InServing, Doc: "serving: the TCO share of the GPUs' prefill time per million prompt tokens, TCO·T_prefill/(replicas·batch·seq_len·duration); null on infeasible rows and when the p99 target is unreachable",
		Float: func(r *Result) float64 { return r.Fleet.CostPerMTokInputUSD }},
	{Name: "cost_per_mtok_output_usd", Label: "Cost per million output tokens", Better: LowerIsBetter, Unit: "USD", NullWhen: NullIfInfeasible | NullIfUnreachable | NullIfNoFleet | NullIfNoUnitCost, Modes: InServing, Doc: "serving: the TCO share of the GPUs' decode time per million output tokens, TCO·T_decode/(replicas·batch·output_tokens·duration); null on infeasible rows and when the p99 target is unreachable",
		Float: func(r *Result) float64 { return r.Fleet.CostPerMTokOutputUSD }},
	{Name: "energy_per_token_j", Label: "Energy per token", Better: LowerIsBetter, Unit: "J", NullWhen: NullIfInfeasible | NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "facility energy per useful token",
		Float: func(r *Result) float64 { return r.Fleet.EnergyPerTokenJ }},
	{Name: "fleet_mtbf_h", Label: "Fleet MTBF", Better: HigherIsBetter, Unit: "h", NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "mean time between failures of the job's nodes: node MTBF / nodes",
		Float: func(r *Result) float64 { return r.Fleet.FleetMTBFH }},
	{Name: "checkpoint_interval_s", Label: "Checkpoint interval", Better: NeitherIsBetter, Unit: "s", NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "Young-Daly interval √(2·δ·MTBF)",
		Float: func(r *Result) float64 { return r.Fleet.CheckpointIntervalS }},
	{Name: "expected_failures", Label: "Expected failures", Better: LowerIsBetter, NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "failures over the duration: hours / MTBF",
		Float: func(r *Result) float64 { return r.Fleet.ExpectedFailures }},
	{Name: "goodput", Label: "Goodput", Better: HigherIsBetter, NullWhen: NullIfNoFleet, Modes: InAll, Doc: "useful share of the time: max(0, 1 − δ/τ − R/MTBF)",
		Float: func(r *Result) float64 { return r.Fleet.Goodput }},
	{Name: "checkpoint_bytes", Label: "Checkpoint size", Better: LowerIsBetter, Unit: "B", NullWhen: NullIfNoFleet, Modes: InAll, Doc: "Adam checkpoint: 14 B per parameter",
		Float: func(r *Result) float64 { return r.Fleet.CheckpointBytes }},
	{Name: "checkpoint_write_s", Label: "Checkpoint write time", Better: LowerIsBetter, Unit: "s", NullWhen: NullIfUnreachable | NullIfNoFleet, Modes: InAll, Doc: "checkpoint / min(storage bandwidth × writers, 500 GB/s)",
		Float: func(r *Result) float64 { return r.Fleet.CheckpointWriteS }},
}

// NodeMTBFHours returns the MTBF of a node from its parts (mlsysim
// calc_mtbf_node, ReliabilityModel):
//
//	1 / (gpus/50 000 + nics/150 000 + psus/100 000) h
func NodeMTBFHours(gpus, nics, psus int) float64 {
	return 1 / (float64(gpus)/MTTFGPUH + float64(nics)/MTTFNICH + float64(psus)/MTTFPSUH)
}

// YoungDalyS returns the optimal checkpoint interval, seconds, for a
// checkpoint of δ seconds and an MTBF in hours (calc_young_daly_interval):
//
//	τ* = √(2·δ·MTBF)
func YoungDalyS(deltaS, mtbfH float64) float64 { return math.Sqrt(2 * deltaS * mtbfH * 3600) }

// fleetRegion resolves the grid, PUE and price: the configuration's region,
// else the system's datacenter or grid, else US_Avg. mlsysim's plans and CLI
// ignore the region (reference §13); here it always counts.
func fleetRegion(c *Config) (g *registry.Grid, pue float64) {
	dc := c.Fleet.Datacenter
	g = c.Fleet.Grid
	if dc == nil && g == nil {
		if cl := c.Dist.System; cl != nil {
			dc, g = cl.Datacenter, cl.Grid
		}
	}
	if dc != nil {
		g = dc.Grid
	}
	if g == nil {
		g = &USAvgGrid
	}
	switch {
	case dc != nil && dc.PUE() > 0:
		pue = dc.PUE()
	case g.PUE > 0:
		pue = g.PUE
	default:
		pue = DefaultPUE
	}
	return g, pue
}

// solveFleet runs the fleet models over c.Fleet.DurationDays days on the
// GPUs the configuration uses (the job's GPUs in distributed training,
// ServeResult.GPUs in serving at scale, else 1). They are N of hardware,
// except for disaggregated serving (decode_hardware), whose replicas are
// two pools, each priced at its own registry entry: N_p = replicas·tp GPUs
// of hardware (prefill; max(tp, ep) under calibrated) and N_d =
// replicas·decode_tp of decode_hardware (decode, ServeResult.DecodeGPUs;
// max(decode_tp, decode_ep) under calibrated). Each sum below runs over the pools
// (one without decode_hardware):
//
//	P_chip   = TDP·(0.3 + 0.7·u)                      u: utilization, else 1 (mlsysim) or HFU
//	IT       = Σ P_chip·N·24·days,   energy = IT·PUE  every pool at the one u over the wall time
//	carbon   = energy·CI/1000 (+ Σ embodied·N·days/(365·years))
//	water    = energy·WUE
//	capex    = Σ cost·N·infra/years·days/365,   maintenance = Σ cost·N·infra·0.05·days/365
//	TCO      = capex + energy·price + maintenance
//	MTBF     = node MTBF / nodes,   τ* = √(2·δ·MTBF),   goodput = max(0, 1 − δ/τ* − R/MTBF)
//
// with δ the checkpoint write time (60 s under fidelity mlsysim, as its
// ReliabilityModel) and R = 300 s the recovery time.
func solveFleet(c *Config, r *Result) {
	f := &c.Fleet
	hw := c.Hardware
	fr := &r.Fleet
	days := f.DurationDays
	hours := 24 * days

	N := 1
	switch {
	case r.Dist.Active && r.Dist.GPUs > 0:
		N = r.Dist.GPUs
	case c.Mode == Serving && r.Serve.GPUs > 0:
		N = r.Serve.GPUs
	}
	fr.On = true
	fr.GPUs = N
	// The pools: n GPUs of hw and nd of dhw, the decode pool of a
	// disaggregated serving row (nd = 0 otherwise).
	dhw, nd := hw, 0.0
	if c.Mode == Serving && c.Serve.DecodeHW != nil && r.Serve.DecodeGPUs > 0 && r.Serve.DecodeGPUs < N {
		dhw, nd = c.Serve.DecodeHW, float64(r.Serve.DecodeGPUs)
	}
	n := float64(N) - nd

	u := f.Utilization
	if !(u > 0) {
		u = r.HFU
		if c.Fidelity == FidelityMLSysim {
			u = 1
		}
	}
	tdp := hw.TDPW
	if !(tdp > 0) {
		tdp = DefaultTDPW
	}
	g, pue := fleetRegion(c)
	fr.Region, fr.PUE = g, pue
	fr.EnergyITKWh = tdp * (IdlePowerFraction + DynamicPowerFraction*u) * n * hours / 1000
	if nd > 0 {
		dtdp := dhw.TDPW
		if !(dtdp > 0) {
			dtdp = DefaultTDPW
		}
		fr.EnergyITKWh += dtdp * (IdlePowerFraction + DynamicPowerFraction*u) * nd * hours / 1000
	}
	fr.EnergyKWh = fr.EnergyITKWh * pue
	fr.CarbonKg = fr.EnergyKWh * g.CarbonGPerKWh / 1000
	fr.WaterL = fr.EnergyKWh * g.WUELPerKWh

	years := f.AmortYears
	if !(years > 0) {
		years = DefaultAmortizationYears
	}
	infra := f.InfraMult
	if !(infra > 0) {
		infra = 1
	}
	if f.Embodied {
		fr.CarbonKg += hw.EmbodiedCarbonKg * n * days / (365 * years)
		if nd > 0 {
			fr.CarbonKg += dhw.EmbodiedCarbonKg * nd * days / (365 * years)
		}
	}
	price := f.PriceUSDKWh
	if !(price > 0) {
		price = g.ElectricityUSDPerK
	}
	if !(price > 0) {
		price = DefaultElectricityUSDPerKWh
	}
	fr.NoUnitCost = !(hw.UnitCostUSD > 0) || nd > 0 && !(dhw.UnitCostUSD > 0)
	capital := hw.UnitCostUSD * n * infra
	if nd > 0 {
		capital += dhw.UnitCostUSD * nd * infra
	}
	fr.CapexUSD = capital / years * days / 365
	fr.MaintenanceUSD = capital * AnnualMaintenanceRatio * days / 365
	fr.EnergyCostUSD = fr.EnergyKWh * price
	fr.OpexUSD = fr.EnergyCostUSD + fr.MaintenanceUSD
	fr.TCOUSD = fr.CapexUSD + fr.OpexUSD

	// Reliability of the job's nodes.
	perNode, nics, psus := min(N, DefaultGPUsPerNode), 0, 0
	if cl := c.Dist.System; cl != nil && cl.Node != nil {
		perNode, nics, psus = cl.Node.AcceleratorsPerNode, cl.Node.NICsPerNode, cl.Node.PSUsPerNode
	}
	if c.Dist.GPUsPerNode > 0 {
		perNode = c.Dist.GPUsPerNode
	}
	perNode = max(min(perNode, N), 1)
	if nics <= 0 {
		nics = perNode // one NIC per GPU, as every DGX/HGX node
	}
	if psus <= 0 {
		psus = DefaultPSUsPerNode
	}
	nodes := (N + perNode - 1) / perNode
	fr.FleetMTBFH = NodeMTBFHours(perNode, nics, psus) / float64(nodes)
	if cl := c.Dist.System; cl != nil && cl.MTBFHours > 0 && N == cl.Accelerators() {
		fr.FleetMTBFH = cl.MTBFHours
	}
	P := c.Model.Parameters
	if P <= 0 {
		P = c.Model.ModelSizeBytes / 2
	}
	fr.CheckpointBytes = P * CheckpointBytesPerParamAdam
	storage := hw.StorageBandwidthBps
	if !(storage > 0) {
		storage = FallbackStorageBps
	}
	writers := float64(nodes)
	delta := 0.0
	if c.Fidelity == FidelityMLSysim {
		writers = 1 // CheckpointModel n_writers = 1
	}
	fr.CheckpointWriteS = fr.CheckpointBytes / math.Min(storage*writers, FilesystemLimitBps)
	delta = fr.CheckpointWriteS
	if c.Fidelity == FidelityMLSysim {
		delta = MLSysimCheckpointS
	}
	fr.CheckpointIntervalS = YoungDalyS(delta, fr.FleetMTBFH)
	fr.ExpectedFailures = hours / fr.FleetMTBFH
	fr.Goodput = math.Max(0, 1-delta/fr.CheckpointIntervalS-RecoveryS/(fr.FleetMTBFH*3600))
	if c.Mode != Training {
		fr.Goodput = 1 // serving and inference lose requests, not progress
	}

	tps := r.TokensPerS
	if c.Mode == Serving && r.Serve.Replicas > 0 {
		tps *= float64(r.Serve.Replicas)
	}
	if !(tps > 0) {
		tps = r.ThroughputPerS
		if c.Mode == Training && c.Model.Class.IsTransformer() {
			tps *= float64(c.SeqLen)
		}
	}
	if useful := tps * fr.Goodput * days * 86400; useful > 0 {
		fr.CostPerMTokUSD = fr.TCOUSD / useful * 1e6
		fr.EnergyPerTokenJ = fr.EnergyKWh * 3.6e6 / useful
	}
	if c.Mode == Serving {
		servingCost(c, r)
	}
}

// servingCost prices a serving row's tokens over the whole request cycle
// of its batch, T = T_prefill + T_decode (ServeResult.PrefillS, DecodeS):
// replicas·B requests complete every T, so over the duration D
//
//	input  $/Mtok = TCO·(T_prefill/T) / (replicas·B·S·D/T)·1e6 = TCO·T_prefill/(replicas·B·S·D)·1e6
//	output $/Mtok = TCO·T_decode/(replicas·B·O·D)·1e6
//
// with S = seq_len prompt tokens (a cached prefix is still an input token)
// and O = output_tokens per request: each kind of token carries the GPU
// time spent on it, as providers quote input and output apart. Under the
// calibrated fidelity cost_per_mtok_usd and energy_per_token_j count the
// output tokens over the whole cycle, TCO·T/(replicas·B·O·D)·1e6, where
// they counted decode tokens per second alone before; the mlsysim fidelity
// keeps its EconomicsModel figure. Infeasible rows cost 0: a configuration
// that cannot run serves no token.
func servingCost(c *Config, r *Result) {
	fr := &r.Fleet
	if !r.Feasible {
		fr.CostPerMTokInputUSD, fr.CostPerMTokOutputUSD = 0, 0
		if c.Fidelity == FidelityCalibrated {
			fr.CostPerMTokUSD, fr.EnergyPerTokenJ = 0, 0
		}
		return
	}
	pre, dec := r.Serve.PrefillS, r.Serve.DecodeS
	reqs := float64(max(r.Serve.Replicas, 1)) * float64(c.BatchSize) * fr.Goodput * c.Fleet.DurationDays * 86400
	in, out := reqs*float64(c.SeqLen), reqs*float64(c.OutputTokens)
	if !(pre+dec > 0) || !(in > 0) || !(out > 0) {
		return
	}
	fr.CostPerMTokInputUSD = fr.TCOUSD * pre / in * 1e6
	fr.CostPerMTokOutputUSD = fr.TCOUSD * dec / out * 1e6
	if c.Fidelity == FidelityCalibrated {
		fr.CostPerMTokUSD = fr.TCOUSD * (pre + dec) / out * 1e6
		fr.EnergyPerTokenJ = fr.EnergyKWh * 3.6e6 * (pre + dec) / out
	}
}
