package engine

// Fleet models: energy, carbon, water, cost and reliability over a duration.
var (
	fleetParams  []*Param
	fleetOutputs []*Output
)
