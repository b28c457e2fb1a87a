package figures

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Draw a Pareto figure of a run's results over two objectives, as SVG.
func ExampleDraw() {
	dir, _ := os.MkdirTemp("", "figures-example")
	defer os.RemoveAll(dir)
	if err := writeResults(dir, 1000); err != nil { // a run's results: dir/results/part-00000.parquet
		fmt.Println(err)
		return
	}

	reg, err := registry.Embedded()
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := Open(dir, reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	objs, _ := dse.ParseObjectives("minimize:latency_s,maximize:tokens_per_s")
	paths, err := Draw(src, Request{Kinds: []string{"pareto"}, Objectives: objs, Formats: []string{"svg"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		fmt.Println(rel)
	}
	// Output:
	// plots/pareto-tokens_per_s-vs-latency_s.svg
}
