package engine

// Serving beyond one step (continuous batching, capacity, tail latency ...).
var (
	servingScaleParams  []*Param
	servingScaleOutputs []*Output
)
