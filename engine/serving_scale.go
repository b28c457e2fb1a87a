package engine

// Serving beyond one step (continuous batching, capacity, tail latency ...).
var (
	servingScaleParams  []*Param
	servingScaleOutputs []*Output
)

// ServeConfig holds the parameters of serving at scale.
type ServeConfig struct{}

// ServeResult holds the outcomes of serving at scale.
type ServeResult struct {
	Replicas int // replicas serving the load
	GPUs     int // replicas × tp
}
