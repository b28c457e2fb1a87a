package engine

import "math"

// Evaluate computes the outcome of one configuration. It never fails and
// never allocates: a configuration that cannot run is a Result with
// Feasible false and a Reason. Every number of the Result is finite: one the
// arithmetic made NaN or ±Inf is 0 and the row infeasible (ReasonNumerical,
// unless it already had a reason). c must have passed Validate; Evaluate does not
// check it again, so that sweeps validate each axis once instead of each row.
func Evaluate(c *Config) Result {
	var r Result
	switch {
	case c.Mode == Serving: // both fidelities: see solveServingScale
		solveServingScale(c, &r)
	case c.Fidelity == FidelityCalibrated && !distributedActive(c):
		solveCalibrated(c, &r)
	case distributedActive(c):
		solveDistributed(c, &r)
	default:
		solveRoofline(c, &r)
	}
	if r.Dist.Reason != DistOK && r.Reason == ReasonNone {
		r.Feasible, r.Reason = false, ReasonParallelism
	}
	if c.Fleet.DurationDays > 0 {
		solveFleet(c, &r)
	}
	if !finite(r.LatencyS) || !finite(r.EnergyJ) || !finite(r.MemoryBytes) {
		r.Feasible, r.Reason = false, ReasonNumerical
	}
	if r.Reason == ReasonNone && c.Model.Parameters <= 0 && c.Model.ModelSizeBytes <= 0 {
		r.Feasible, r.Reason = false, ReasonNoWorkload
	}
	if zeroNonFinite(&r) && r.Reason == ReasonNone {
		r.Feasible, r.Reason = false, ReasonNumerical
	}
	return r
}

// zeroNonFinite sets every NaN or ±Inf number of r to 0 ("not computed", as
// for the fields a mode leaves alone) and reports whether it found one, so
// that no output of any mode is a non-finite number. It allocates nothing
// (x − x is 0 exactly for finite x, NaN otherwise). Every float64 field of
// Result and of its model results is listed (TestZeroNonFiniteCoversResult).
func zeroNonFinite(r *Result) bool {
	fs := [...]*float64{
		&r.LatencyS, &r.ThroughputPerS, &r.MFU, &r.HFU, &r.EnergyJ, &r.MemoryBytes, &r.ComputeS,
		&r.MemoryS, &r.OverheadS, &r.ArithmeticIntensity, &r.EffectiveFLOPS, &r.EffectiveBandwidth,
		&r.OffloadSpillBytes, &r.TTFTS, &r.ITLS, &r.KVCacheBytes, &r.TokensPerS, &r.WeightBytes,
		&r.Dist.StepS, &r.Dist.ReplicaS, &r.Dist.CommS, &r.Dist.CommDPS, &r.Dist.CommTPS,
		&r.Dist.CommPPS, &r.Dist.CommEPS, &r.Dist.CommCPS, &r.Dist.BubbleS, &r.Dist.BubbleFraction,
		&r.Dist.ScalingEfficiency, &r.Dist.SamplesPerS, &r.Dist.WeightsBytes, &r.Dist.GradientsBytes,
		&r.Dist.OptimizerBytes, &r.Dist.ActivationsBytes, &r.Serve.PromptCacheHitRatio,
		&r.Serve.DecodeStallS, &r.Serve.SpeculativeSpeedup, &r.Serve.MemoryUtilization,
		&r.Serve.Fragmentation, &r.Serve.StaticFragmentation, &r.Serve.PagedTokensPerS,
		&r.Serve.StaticTokensPerS, &r.Serve.BatchingSpeedup, &r.Serve.PerReplicaQPS,
		&r.Serve.BaseLatencyS, &r.Serve.P50S, &r.Serve.P99S, &r.Serve.QueueRho, &r.Fleet.EnergyITKWh,
		&r.Fleet.EnergyKWh, &r.Fleet.CarbonKg, &r.Fleet.WaterL, &r.Fleet.PUE, &r.Fleet.CapexUSD,
		&r.Fleet.EnergyCostUSD, &r.Fleet.MaintenanceUSD, &r.Fleet.OpexUSD, &r.Fleet.TCOUSD,
		&r.Fleet.CostPerMTokUSD, &r.Fleet.EnergyPerTokenJ, &r.Fleet.FleetMTBFH,
		&r.Fleet.CheckpointIntervalS, &r.Fleet.ExpectedFailures, &r.Fleet.Goodput,
		&r.Fleet.CheckpointBytes, &r.Fleet.CheckpointWriteS, &r.Calib.MatmulS, &r.Calib.AttentionS,
		&r.Calib.ElementwiseS,
	}
	bad := false
	for _, p := range fs {
		if x := *p; x-x != 0 {
			*p, bad = 0, true
		}
	}
	return bad
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
