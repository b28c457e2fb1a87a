// Package dse is design-space exploration: it reads sweep files, expands
// their grids lazily, evaluates every configuration through the engine on
// a pool of workers, writes the rows in index order, keeps the Pareto front
// of the sweep's objectives, and manages the life of a run on disk (its
// folder, manifest, resumption, shards and their merge).
//
// A sweep file names fixed parameters and the axes of a grid; the grid is
// the product of its axes, the last axis varying fastest. This file
//
//	grid:
//	  model: [Llama3_8B]
//	  hardware: [H100, B200]
//	  batch_size: {from: 1, to: 4, scale: log2}
//
// has 1 × 2 × 3 = 6 configurations, and a run of it writes one row per
// configuration, the parameters beside the engine's outputs:
//
//	index model     hardware batch_size bottleneck latency_s
//	0     Llama3_8B H100     1          Memory     0.0083
//	1     Llama3_8B H100     2          Memory     0.0083
//	2     Llama3_8B H100     4          Memory     0.0083
//	3     Llama3_8B B200     1          Memory     0.0047
//	4     Llama3_8B B200     2          Memory     0.0048
//	5     Llama3_8B B200     4          Memory     0.0049
//
// (the package's Example runs this file and prints these rows). Beside
// grid, a sweep file may hold zip (lists that advance together as one
// axis), derived (expressions computed per row before evaluation),
// constraints (expressions that drop rows), objectives and group_by (a
// Pareto front per group), outputs (formats, columns, file sizes) and
// plots.
//
// The stages, each in its own file:
//
//   - ParseSpec reads and validates a sweep file (spec*.go, one file per
//     section, with Range for numeric ranges); every problem is a
//     SpecError with file:line:col.
//   - Run evaluates a range of configuration indexes into part files
//     (run.go, plan.go, expr.go); the output is the same for any number of
//     workers.
//   - Execute runs a sweep into a run folder with its manifest, resuming
//     or sharding as asked, and MergeShards and ReadStatus read such
//     folders back (lifecycle.go, resume.go, status.go).
package dse
