// Package cputime reads the CPU time the process has used, for benchmarks
// that report CPU per row beside wall time (a shared machine's load moves
// wall time far more than CPU time).
package cputime
