package engine

import (
	"fmt"
	"math"
)

// Collectives and network topologies: the alpha-beta cost of the
// communication patterns of parallel training (mlsysim physics, reference
// solvers §3 and §4.8). M is the message size in bytes, N the ranks, β the
// per-rank link bandwidth in B/s and α the one-way latency in seconds. Every
// function returns seconds and is 0 for N ≤ 1.

// RingAllReduceS returns the time of a ring all-reduce
// (mlsysim calc_ring_allreduce_time):
//
//	2(N−1)/N · M/β + 2(N−1)·α
func RingAllReduceS(M float64, N int, β, α float64) float64 {
	if N <= 1 {
		return 0
	}
	n := float64(N)
	return 2*(n-1)/n*M/β + 2*(n-1)*α
}

// TreeAllReduceS returns the time of a binary-tree all-reduce (reduce up,
// broadcast down; mlsysim calc_tree_allreduce_time):
//
//	2⌈log2 N⌉ · M/β + 2⌈log2 N⌉ · α
func TreeAllReduceS(M float64, N int, β, α float64) float64 {
	if N <= 1 {
		return 0
	}
	k := math.Ceil(math.Log2(float64(N)))
	return 2*k*M/β + 2*k*α
}

// DoubleTreeAllReduceS returns the time of NCCL's double binary tree
// (mlsysim calc_double_binary_tree_allreduce_time):
//
//	1.2 · 2·log2(N)·α + 1.05 · 2(N−1)/N · M/β
func DoubleTreeAllReduceS(M float64, N int, β, α float64) float64 {
	if N <= 1 {
		return 0
	}
	n := float64(N)
	return 1.2*2*math.Log2(n)*α + 1.05*2*(n-1)/n*M/β
}

// ReduceScatterS returns the time of a ring reduce-scatter, which is also
// that of a ring all-gather of the same total size: half a ring all-reduce,
//
//	(N−1)/N · M/β + (N−1)·α
func ReduceScatterS(M float64, N int, β, α float64) float64 {
	if N <= 1 {
		return 0
	}
	n := float64(N)
	return (n-1)/n*M/β + (n-1)*α
}

// AllGatherS is ReduceScatterS: a ring all-gather moves the same bytes.
func AllGatherS(M float64, N int, β, α float64) float64 { return ReduceScatterS(M, N, β, α) }

// AllToAllS returns the time of an all-to-all personalised exchange of M
// bytes per rank (mlsysim calc_all_to_all_time):
//
//	(N−1)/N · M/β + (N−1)·α
func AllToAllS(M float64, N int, β, α float64) float64 {
	if N <= 1 {
		return 0
	}
	n := float64(N)
	return (n-1)/n*M/β + (n-1)*α
}

// HierarchicalAllReduceS returns the time of a two-level all-reduce over
// nodes of g ranks (mlsysim calc_hierarchical_allreduce_time): an intra-node
// reduce-scatter, an inter-node ring all-reduce of the M/g shard over the
// nodes, and an intra-node all-gather,
//
//	2·[(g−1)/g · M/β_intra + (g−1)·α_intra] + ring(M/g, nodes, β_inter, α_inter)
//
// It assumes one NIC per rank, so the g inter-node rings run in parallel.
func HierarchicalAllReduceS(M float64, nodes, g int, βIntra, βInter, αIntra, αInter float64) float64 {
	rs := ReduceScatterS(M, g, βIntra, αIntra)
	return 2*rs + RingAllReduceS(M/float64(max(g, 1)), nodes, βInter, αInter)
}

// PipelineBubbleFraction returns the idle share of a pipeline step with P
// stages, M microbatches and v virtual stages per device (interleaved 1F1B;
// mlsysim calc_pipeline_bubble, Narayanan et al. 2021):
//
//	b = (P−1) / (v·M + P − 1)
//
// 0 for P ≤ 1. Inputs below 1 are treated as 1.
func PipelineBubbleFraction(P, M, v int) float64 {
	if P <= 1 {
		return 0
	}
	p, m, vv := float64(P), float64(max(M, 1)), float64(max(v, 1))
	return (p - 1) / (vv*m + p - 1)
}

// Collective is the all-reduce algorithm of the data-parallel gradients.
type Collective uint8

// The algorithms. CollectiveAuto picks mlsysim's rule: a ring over the
// fabric when each node holds one data-parallel rank, a hierarchical
// all-reduce when the ranks span several nodes with several ranks each, and
// a ring over the node's link when they all sit in one node.
const (
	CollectiveAuto Collective = iota
	CollectiveRing
	CollectiveTree
	CollectiveDoubleTree
	CollectiveHierarchical
	numCollectives
)

var collectiveNames = [numCollectives]string{"auto", "ring", "tree", "double_tree", "hierarchical"}

// String returns the algorithm's name in the parameter vocabulary.
func (c Collective) String() string {
	if c < numCollectives {
		return collectiveNames[c]
	}
	return fmt.Sprintf("Collective(%d)", c)
}

// Topology is the shape of a cluster network (mlsysim TopologyModel).
type Topology uint8

// The topologies. TopologyAuto takes the fabric's own.
const (
	TopologyAuto Topology = iota
	TopologyFatTree
	TopologyDragonfly
	TopologyRing
	TopologyTorus3D
	numTopologies
)

var topologyNames = [numTopologies]string{"auto", "fat_tree", "dragonfly", "ring", "torus_3d"}

// String returns the topology's name in the parameter vocabulary.
func (t Topology) String() string {
	if t < numTopologies {
		return topologyNames[t]
	}
	return fmt.Sprintf("Topology(%d)", t)
}

// ParseTopology reads a fabric's topology text ("fat-tree", "dragonfly",
// "torus", "ring" ...); unknown or empty text is a fat tree, mlsysim's
// NetworkFabric default.
func ParseTopology(s string) Topology {
	switch s {
	case "dragonfly":
		return TopologyDragonfly
	case "ring":
		return TopologyRing
	case "torus", "torus_3d", "torus-3d", "3d-torus":
		return TopologyTorus3D
	}
	return TopologyFatTree
}

// TopologyBeta returns the share of the link bandwidth a rank keeps under
// all-to-all traffic on topology t with N nodes (mlsysim TopologyModel,
// reference §4.8, golden G23):
//
//	fat tree 1, dragonfly 0.85, ring 2/N, 3-D torus 2·N^(−1/3)
//
// capped at 1 (a ring of 2 or a torus of 8 nodes loses nothing).
func TopologyBeta(t Topology, N int) float64 {
	n := float64(max(N, 1))
	switch t {
	case TopologyDragonfly:
		return 0.85
	case TopologyRing:
		return math.Min(2/n, 1)
	case TopologyTorus3D:
		return math.Min(2*math.Pow(n, -1.0/3), 1)
	}
	return 1
}

// TopologyHops returns the average hop count between two nodes (mlsysim
// TopologyModel): fat tree 4, dragonfly 3, 3-D torus 0.75·N^(1/3), ring N/4.
func TopologyHops(t Topology, N int) float64 {
	n := float64(max(N, 1))
	switch t {
	case TopologyDragonfly:
		return 3
	case TopologyRing:
		return n / 4
	case TopologyTorus3D:
		return 0.75 * math.Cbrt(n)
	}
	return 4
}

// EffectiveFabricBps returns the bandwidth a rank gets on the fabric:
//
//	link · β(topology, N) / oversubscription
//
// (mlsysim TopologyModel effective_bw). oversub ≤ 0 counts as 1.
func EffectiveFabricBps(link float64, t Topology, N int, oversub float64) float64 {
	if !(oversub > 0) {
		oversub = 1
	}
	return link * TopologyBeta(t, N) / oversub
}
