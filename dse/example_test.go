package dse_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// A sweep file of three lines gives the rows of its grid, last axis
// fastest, with the engine's outputs beside the parameters. This is the
// example of the package documentation.
func Example() {
	src := `grid:
  model: [Llama3_8B]
  hardware: [H100, B200]
  batch_size: {from: 1, to: 4, scale: log2}
`
	spec, err := dse.ParseSpec("example.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "dse-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if _, err := dse.Run(context.Background(), spec, dse.Options{OutDir: dir}); err != nil {
		fmt.Println(err)
		return
	}
	files, _ := outputs.ResultFiles(filepath.Join(dir, "results"))
	fmt.Printf("%d configurations\n", spec.Size())
	fmt.Println("index model hardware batch_size bottleneck latency_s")
	err = outputs.ReadColumns(files, []string{"index", "model", "hardware", "batch_size", "bottleneck", "latency_s"}, func(b *outputs.ColumnBatch) error {
		for i := range b.Len {
			fmt.Printf("%.0f %s %s %.0f %s %.4f\n", b.Cols[0].Float[i], b.Cols[1].String[i], b.Cols[2].String[i],
				b.Cols[3].Float[i], b.Cols[4].String[i], b.Cols[5].Float[i])
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 6 configurations
	// index model hardware batch_size bottleneck latency_s
	// 0 Llama3_8B H100 1 Memory 0.0083
	// 1 Llama3_8B H100 2 Memory 0.0083
	// 2 Llama3_8B H100 4 Memory 0.0083
	// 3 Llama3_8B B200 1 Memory 0.0047
	// 4 Llama3_8B B200 2 Memory 0.0048
	// 5 Llama3_8B B200 4 Memory 0.0049
}
