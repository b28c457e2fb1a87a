package dse

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim-go/internal/cputime"
)

// bigSweep is a serving grid of n × 1000 configurations over the vocabulary's
// core columns.
func bigSweep(n int) string {
	return fmt.Sprintf(`name: big
fixed: {mode: serving, output_tokens: 128}
grid:
  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B, Qwen2_5_72B, GPT3]
  hardware: [A100, H100, H200, B200, MI300X]
  precision: [fp16, fp8, int8, int4]
  seq_len: {from: 128, to: %d, step: 128}
  batch_size: {from: 1, to: 10, step: 1}
`, 128*n)
}

// BenchmarkRunServing measures end-to-end throughput of sweep runs
// (evaluation + Parquet), in configurations per second.
func BenchmarkRunServing(b *testing.B) {
	s := mustParse(b, bigSweep(1000)) // 1,000,000 configurations
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		rep, err := Run(context.Background(), s, Options{OutDir: dir, Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.Enumerated)/rep.Elapsed.Seconds(), "configs/s")
	}
}

// BenchmarkEvalRow measures one row through the sweep's row program
// (decode, evaluate, append), without writing.
func BenchmarkEvalRow(b *testing.B) {
	s := mustParse(b, bigSweep(1000))
	pl, err := newPlan(s)
	if err != nil {
		b.Fatal(err)
	}
	ev := newEvaluator(pl)
	batch := newBatchFor(pl, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if batch.Len == 4096 {
			batch.Reset()
		}
		ev.evalRow(int64(i)%int64(s.Size()), batch)
	}
	ev.flush()
}

// frontShape draws n points of k objectives (row-major), in the sense of
// benchObjectives (the second objective, maximised, is negated):
//
//	small: the objectives rise together (t uniform in [0, 1] plus noise
//	       uniform in [0, 0.2]), so that most points are dominated and the
//	       front stays small;
//	large: the points lie near the simplex Σv = 1 (normalised exponential
//	       draws plus 2 % noise), so that most are trade-offs and the front
//	       grows with n.
func frontShape(shape string, k, n int) []float64 {
	r := rand.New(rand.NewPCG(uint64(k), uint64(n)))
	vals := make([]float64, n*k)
	for i := range n {
		v := vals[i*k : i*k+k]
		switch shape {
		case "small":
			t := r.Float64()
			for j := range v {
				v[j] = t + 0.2*r.Float64()
			}
		case "large":
			s := 0.0
			for j := range v {
				v[j] = r.ExpFloat64()
				s += v[j]
			}
			for j := range v {
				v[j] = v[j]/s + 0.02*r.Float64()
			}
		default:
			panic("frontShape: unknown shape " + shape)
		}
		if k > 1 {
			v[1] = -v[1]
		}
	}
	return vals
}

// benchObjectives are k objectives, the second maximised.
func benchObjectives(k int) []Objective {
	objs := make([]Objective, k)
	for i := range objs {
		objs[i] = Objective{Name: fmt.Sprint("o", i), Maximize: i == 1}
	}
	return objs
}

// sweepPoints evaluates the inference grid of benchmarks/inference-10m.yaml
// (batch sizes 1..to) with objectives throughput_per_s (max), latency_s,
// energy_j, mfu (max), memory_bytes, arithmetic_intensity (max), the first
// k of them, and returns the feasible rows' objective values (row-major),
// indexes and model names, in grid order.
func sweepPoints(tb testing.TB, k, to int) (vals []float64, idx []int64, model []string) {
	all := []string{"{maximize: throughput_per_s}", "{minimize: latency_s}", "{minimize: energy_j}",
		"{maximize: mfu}", "{minimize: memory_bytes}", "{maximize: arithmetic_intensity}"}
	s := mustParse(tb, fmt.Sprintf(`name: front-bench
fixed: {mode: inference}
grid:
  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B, Qwen2_5_72B, GPT3, BERT_Large, ResNet50, MobileNetV2]
  hardware: [A100, A100_40GB, H100, H100_PCIe, H200, B200, MI300X, MI325X, L40S, TPUv5p]
  precision: [fp32, bf16, fp8, int8, int4]
  batch_size: {from: 1, to: %d, step: 1}
objectives: [%s]
group_by: [model]
`, to, strings.Join(all[:k], ", ")))
	pl, err := newPlan(s)
	if err != nil {
		tb.Fatal(err)
	}
	ev := newEvaluator(pl)
	batch := newBatchFor(pl, 4096)
	for i := range int64(s.Size()) {
		if batch.Len == 4096 {
			batch.Reset()
		}
		f0 := ev.feasible
		ev.evalRow(i, batch)
		if ev.feasible > f0 {
			vals = append(vals, ev.objVals...)
			idx = append(idx, i)
			model = append(model, string(ev.groupKey()))
		}
	}
	return vals, idx, model
}

// BenchmarkFront measures Front.Add per offered row for 2 to 6 objectives:
// a front is built over a stream of n rows, then started again, so that
// the cost includes the insertions, the removals and the rejections, and
// the allocations of building the front. "sweep" is the feasible rows of
// a 400,000-row inference grid, grouped by model (one Front per model; a
// sweep file takes 2 to 4 objectives). The "front" metric is the size of
// the last complete front.
func BenchmarkFront(b *testing.B) {
	for _, shape := range []string{"small", "large", "sweep"} {
		for _, k := range []int{2, 3, 4, 6} {
			if shape == "sweep" && k > 4 {
				continue // a sweep file takes 2 to 4 objectives
			}
			b.Run(fmt.Sprintf("%s/k=%d", shape, k), func(b *testing.B) {
				var vals []float64
				var idx []int64
				var group []string
				switch shape {
				case "sweep":
					vals, idx, group = sweepPoints(b, k, 1000)
				case "large":
					vals = frontShape(shape, k, 1<<13)
				default:
					vals = frontShape(shape, k, 1<<16)
				}
				n := len(vals) / k
				objs := benchObjectives(k)
				if shape == "sweep" {
					objs = nil // the grid's own objectives: in grouped order below
				}
				var g *GroupedFront
				var f *Front
				size := 0
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					j := i % n
					if shape == "sweep" {
						if j == 0 {
							g = NewGroupedFront(sweepObjectives(k))
						}
						g.Add(group[j], idx[j], vals[j*k:j*k+k])
						continue
					}
					if j == 0 {
						if f != nil {
							size = f.Len()
						}
						f = NewFront(objs)
					}
					f.Add(int64(j), vals[j*k:j*k+k])
				}
				if shape == "sweep" {
					size = 0
					for _, key := range g.Groups() {
						size += g.Front(key).Len()
					}
				}
				b.ReportMetric(float64(size), "front")
			})
		}
	}
}

// sweepObjectives are the first k objectives of sweepPoints.
func sweepObjectives(k int) []Objective {
	return []Objective{{Name: "throughput_per_s", Maximize: true}, {Name: "latency_s"}, {Name: "energy_j"},
		{Name: "mfu", Maximize: true}, {Name: "memory_bytes"}, {Name: "arithmetic_intensity", Maximize: true}}[:k]
}

// BenchmarkGroupedFront measures the front of a run grouped so finely that
// every row is its own group (group_by: [model, hardware, precision,
// batch_size]), per row: each part of 1<<16 rows fills its own
// GroupedFront, which is then absorbed into the run's, as Run does. It
// reports the bytes held per group at the end.
func BenchmarkGroupedFront(b *testing.B) {
	const k, n, part = 2, 1 << 20, 1 << 16
	vals := frontShape("small", k, n)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("Llama3_70B/H100/fp8/%d", i)
	}
	objs := benchObjectives(k)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	h0 := ms.HeapAlloc
	b.ReportAllocs()
	b.ResetTimer()
	var total *GroupedFront
	for i := 0; i < b.N; i += part {
		j := i % n
		if j == 0 {
			total = NewGroupedFront(objs)
		}
		g := NewGroupedFront(objs)
		for r := j; r < j+part && r-j < b.N-i; r++ {
			g.Add(keys[r], int64(r), vals[r*k:r*k+k])
		}
		total.Absorb(g)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	held := float64(ms.HeapAlloc) - float64(h0)
	b.ReportMetric(held/float64(len(total.Groups())), "B/group")
}

// rowProgramSweeps are the grids of benchmarks/inference-10m.yaml and
// benchmarks/serving-10m.yaml, smaller: the same columns and axis order.
var rowProgramSweeps = []struct{ name, src string }{
	{"inference", `name: inference
fixed: {mode: inference}
grid:
  model: [Llama3_8B, Llama3_70B, Mixtral_8x7B, Qwen2_5_72B, GPT3, BERT_Large, ResNet50, MobileNetV2]
  hardware: [A100, A100_40GB, H100, H100_PCIe, H200, B200, MI300X, MI325X, L40S, TPUv5p]
  precision: [fp32, bf16, fp8, int8, int4]
  batch_size: {from: 1, to: 250, step: 1}
`},
	{"serving", bigSweep(100)},
}

// BenchmarkRowProgram times the parts of the row program on consecutive
// rows of the sweeps above, per row: "configure" sets the configuration
// and the row slots (decode and apply the parameters), "append" appends
// an evaluated feasible row's columns to a batch (the same row each time:
// the parameters at once, the outputs through the evaluator's ring),
// "row" is evalRow (configure, evaluate, append) without a writer.
func BenchmarkRowProgram(b *testing.B) {
	for _, sw := range rowProgramSweeps {
		s := mustParse(b, sw.src)
		pl, err := newPlan(s)
		if err != nil {
			b.Fatal(err)
		}
		size := int64(s.Size())
		const rows = 16384
		b.Run(sw.name+"/configure", func(b *testing.B) {
			ev := newEvaluator(pl)
			b.ReportAllocs()
			c0 := cputime.Process()
			for i := range b.N {
				ev.configure(int64(i) % size)
			}
			reportCPU(b, c0)
		})
		b.Run(sw.name+"/append", func(b *testing.B) {
			ev := newEvaluator(pl)
			batch := newBatchFor(pl, rows)
			for i := size / 2; !ev.res.Feasible; i++ { // a feasible row: every output has a value
				batch.Reset()
				ev.evalRow(i, batch)
			}
			ev.flush()
			batch.Reset()
			for r := range ev.ring {
				ev.ring[r] = *ev.res
			}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cputime.Process()
			for i := range b.N {
				if batch.Len == rows {
					ev.flush()
					batch.Reset()
				}
				ev.res = &ev.ring[ev.npend]
				ev.appendRow(int64(i), batch)
			}
			reportCPU(b, c0)
		})
		b.Run(sw.name+"/row", func(b *testing.B) {
			ev := newEvaluator(pl)
			batch := newBatchFor(pl, rows)
			b.ReportAllocs()
			c0 := cputime.Process()
			for i := range b.N {
				if batch.Len == rows {
					ev.flush()
					batch.Reset()
				}
				ev.evalRow(int64(i)%size, batch)
			}
			reportCPU(b, c0)
		})
	}
}

// reportCPU reports the process's CPU time since c0 per operation
// ("cpu-ns/op"): on a shared machine, steadier than the wall clock.
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(cputime.Process()-c0)/float64(b.N), "cpu-ns/op")
}
