package dse

import (
	"context"
	"fmt"
	"testing"
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
}
