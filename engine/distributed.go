package engine

// Distributed training on clusters: parameters, outputs and model.
var (
	distributedParams  []*Param
	distributedOutputs []*Output
)

// DistConfig holds the parameters of distributed training.
type DistConfig struct{}

// DistResult holds the outcomes of distributed training.
type DistResult struct{}
