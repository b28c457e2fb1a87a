package engine

// Distributed training on clusters: parameters, outputs and model.
var (
	distributedParams  []*Param
	distributedOutputs []*Output
)
