package engine

// Fleet models: energy, carbon, water, cost and reliability over a duration.
var (
	fleetParams  []*Param
	fleetOutputs []*Output
)

// FleetConfig holds the parameters of the fleet models.
type FleetConfig struct{}

// FleetResult holds the outcomes of the fleet models.
type FleetResult struct{}
