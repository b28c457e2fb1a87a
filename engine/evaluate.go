package engine

import "math"

// Evaluate computes the outcome of one configuration. It never fails and
// never allocates: a configuration that cannot run is a Result with
// Feasible false and a Reason. c must have passed Validate; Evaluate does not
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
	return r
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
