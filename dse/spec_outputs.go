package dse

import (
	"fmt"
	"math"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/registry"
)

var outputKeys = []string{"formats", "columns", "row_group_rows", "part_rows", "arrow_compression"}

func (p *specParser) outputs(kv *ast.MappingValueNode) {
	o := &p.spec.Outputs
	o.Formats = []string{"parquet"}
	o.RowGroupRows = 1 << 16
	o.PartRows = 1 << 19
	if kv == nil {
		return
	}
	pairs, ok := p.r.pairs(kv.Value)
	if !ok {
		p.errorf(kv.Value, "outputs", ErrBadType, "want a mapping of %s", strings.Join(outputKeys, ", "))
		return
	}
	for _, e := range pairs {
		k := keyString(e)
		key := "outputs." + k
		switch k {
		case "formats", "columns":
			items, ok := p.r.items(e.Value)
			if !ok {
				items = []ast.Node{e.Value}
			}
			var vals []string
			var csvNode ast.Node
			for _, it := range items {
				sc, ok := p.r.scalarOf(it)
				if !ok || !sc.isStr {
					p.errorf(it, key, ErrBadType, "want a name")
					continue
				}
				if k == "formats" && !contains([]string{"parquet", "arrow", "csv"}, sc.str) {
					p.errorf(it, key, ErrBadValue, "%q: formats are parquet, arrow and csv", sc.str)
					continue
				}
				if k == "formats" && sc.str == "csv" {
					csvNode = it
				}
				if k == "columns" && engine.LookupOutput(sc.str) == nil {
					msg := fmt.Sprintf("%q is not an output", sc.str)
					if sug := registry.Suggest(sc.str, engine.OutputNames()); len(sug) > 0 {
						msg += fmt.Sprintf("; did you mean %q?", sug[0])
					}
					p.errorf(it, key, ErrBadValue, "%s", msg)
					continue
				}
				vals = append(vals, sc.str)
			}
			if k == "formats" {
				o.Formats = vals
				if csvNode != nil {
					p.csvLimit(csvNode)
				}
			} else {
				o.Columns = vals
			}
		case "arrow_compression":
			sc, ok := p.r.scalarOf(e.Value)
			if !ok || !sc.isStr {
				p.errorf(e.Value, key, ErrBadType, "want one of %s", strings.Join(outputs.ArrowCompressions(), ", "))
				continue
			}
			if _, err := outputs.ParseArrowCompression(sc.str); err != nil {
				p.errorf(e.Value, key, ErrBadValue, "%q: want one of %s", sc.str, strings.Join(outputs.ArrowCompressions(), ", "))
				continue
			}
			o.ArrowCompression = sc.str
		case "row_group_rows", "part_rows":
			sc, ok := p.r.scalarOf(e.Value)
			if !ok || !sc.isNum || sc.num < 1 || sc.num != math.Trunc(sc.num) || sc.num > 1<<40 {
				p.errorf(e.Value, key, ErrBadValue, "want a whole number ≥ 1")
				continue
			}
			if k == "row_group_rows" {
				o.RowGroupRows = int(sc.num)
			} else {
				o.PartRows = int64(sc.num)
			}
		default:
			p.unknownKey(e, "outputs", k, outputKeys)
		}
	}
	if o.RowGroupRows > 1<<22 {
		p.errorf(kv.Value, "outputs.row_group_rows", ErrBadValue, "at most %d rows per row group", 1<<22)
	}
	if o.PartRows < int64(o.RowGroupRows) {
		o.PartRows = int64(o.RowGroupRows)
	}
	o.PartRows -= o.PartRows % int64(o.RowGroupRows) // parts hold whole row groups
}

// csvLimit refuses CSV for a grid of more than outputs.MaxCSVRows
// configurations (the rows a run may write), at the csv entry n.
func (p *specParser) csvLimit(n ast.Node) {
	size := uint64(1)
	for _, ax := range p.spec.Axes {
		l := uint64(ax.Len())
		if l > 0 && size > outputs.MaxCSVRows/l {
			p.errorf(n, "outputs.formats", ErrTooLarge, "csv is for runs of at most %d rows; this grid has more than %d configurations: write parquet or arrow", outputs.MaxCSVRows, outputs.MaxCSVRows)
			return
		}
		size *= l
	}
	if size > outputs.MaxCSVRows {
		p.errorf(n, "outputs.formats", ErrTooLarge, "csv is for runs of at most %d rows; this grid has %d configurations: write parquet or arrow", outputs.MaxCSVRows, size)
	}
}
