package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of sweep files, for editors to complete and check them",
		Long: "Print the JSON Schema (draft 2020-12) of sweep files. With the YAML language server,\n" +
			"put `# yaml-language-server: $schema=sweep.schema.json` at the top of a sweep file.",
		Example: "  sweep schema > sweep.schema.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadRegistry(cmd)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(sweepSchema(reg))
		},
	}
}

type obj = map[string]any

// sweepSchema builds the schema from the parameter and output vocabulary,
// so it can never disagree with what the parser accepts.
func sweepSchema(reg *registry.Registry) obj {
	paramValue := obj{}
	paramAxis := obj{}
	paramList := obj{}
	for _, p := range engine.Params() {
		v := valueSchema(reg, p)
		paramValue[p.Name] = v
		paramList[p.Name] = obj{"type": "array", "minItems": 1, "items": v, "description": p.Doc}
		axis := []any{paramList[p.Name], v}
		if p.Type == engine.TypeInt || p.Type == engine.TypeFloat {
			axis = append(axis, obj{"$ref": "#/$defs/range"})
		}
		paramAxis[p.Name] = obj{"description": p.Doc, "anyOf": axis}
	}
	var outputs, columns []any
	for _, o := range engine.Outputs() {
		outputs = append(outputs, o.Name)
	}
	columns = append(columns, outputs...)
	for _, p := range engine.Params() {
		columns = append(columns, p.Name)
	}
	var plotKinds []any
	for _, k := range dse.PlotKinds {
		plotKinds = append(plotKinds, k)
	}
	anyList := func(names []string) []any {
		out := make([]any, len(names))
		for i, n := range names {
			out[i] = n
		}
		return out
	}
	strList := func(enum []any) obj {
		return obj{"anyOf": []any{obj{"type": "array", "items": obj{"enum": enum}}, obj{"enum": enum}}}
	}
	return obj{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://github.com/mlsysim/mlsysim-go/sweep.schema.json",
		"title":                "mlsysim-go sweep file",
		"type":                 "object",
		"additionalProperties": false,
		"properties": obj{
			"name":        obj{"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$", "description": "names the run folder out/<name>"},
			"description": obj{"type": "string"},
			"registry":    obj{"description": "extra registry data files (YAML), relative to the sweep file", "anyOf": []any{obj{"type": "string"}, obj{"type": "array", "items": obj{"type": "string"}}}},
			"fixed":       obj{"type": "object", "additionalProperties": false, "properties": paramValue, "description": "parameters with one value"},
			"grid":        obj{"type": "object", "additionalProperties": false, "properties": paramAxis, "minProperties": 1, "description": "the cartesian product; the last axis varies fastest"},
			"zip": obj{"type": "array", "description": "groups of lists that advance together", "items": obj{
				"type": "object", "additionalProperties": false, "properties": paramList, "minProperties": 1}},
			"derived": obj{"type": "object", "description": "name: expression over parameters (expr-lang syntax); a parameter's name sets it",
				"additionalProperties": obj{"type": "string"}},
			"constraints": obj{"type": "array", "items": obj{"type": "string"}, "description": "boolean expressions over parameters and outputs; false rows are not written"},
			"objectives": obj{"type": "array", "minItems": 2, "maxItems": 4, "items": obj{
				"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": false,
				"properties": obj{"maximize": obj{"enum": columns}, "minimize": obj{"enum": columns}}}},
			"group_by": obj{"type": "array", "items": obj{"type": "string"}},
			"outputs": obj{"type": "object", "additionalProperties": false, "properties": obj{
				"formats":           strList([]any{"parquet", "arrow", "csv"}),
				"columns":           strList(outputs),
				"row_group_rows":    obj{"type": "integer", "minimum": 1},
				"part_rows":         obj{"type": "integer", "minimum": 1},
				"arrow_compression": obj{"enum": []any{"none", "lz4", "zstd"}},
			}},
			"plots": obj{"type": "array", "items": obj{"type": "object", "additionalProperties": false, "required": []any{"kind"}, "properties": obj{
				"kind":           obj{"enum": plotKinds},
				"x":              obj{"type": "string", "description": "the x column"},
				"y":              obj{"type": "string", "description": "the y column"},
				"z":              obj{"type": "string", "description": "heatmap: the output in the cells"},
				"color":          obj{"type": "string", "description": "the column that colours points (heatmap: the output in the cells, as z)"},
				"group":          obj{"type": "string", "description": "lines: one line per value of this column"},
				"where":          obj{"type": "string", "description": "keep the rows where this expression is true (the language of constraints)"},
				"facet":          obj{"type": "string", "description": "small multiples: one panel per value of this column, shared axes"},
				"bands":          obj{"type": "boolean", "description": "lines: draw the error band of y (y_lo..y_hi: latency_s, ttft_s, itl_s under fidelity calibrated) as error bars"},
				"one_per":        obj{"type": []any{"string", "array"}, "items": obj{"type": "string"}, "description": "one figure per value of this column (or of each of these columns)"},
				"title":          obj{"type": "string", "description": "title above the axes (default none)"},
				"x_label":        obj{"type": "string", "description": "x axis label (default the column's quantity and unit)"},
				"y_label":        obj{"type": "string", "description": "y axis label (default the column's quantity and unit)"},
				"width":          obj{"anyOf": []any{obj{"enum": []any{"single", "double"}}, obj{"type": "number", "exclusiveMinimum": 0, "maximum": 100}}, "description": "inches: single (3.5) or double (7) column, or a number"},
				"height":         obj{"type": "number", "exclusiveMinimum": 0, "maximum": 100, "description": "inches (default 2.6)"},
				"font_size":      obj{"type": "number", "exclusiveMinimum": 0, "maximum": 100, "description": "points of the labels; ticks and legend 1 pt smaller (default 8)"},
				"x_scale":        obj{"enum": []any{"log", "linear"}},
				"y_scale":        obj{"enum": []any{"log", "linear"}},
				"x_limits":       obj{"type": "array", "items": obj{"type": "number"}, "minItems": 2, "maxItems": 2, "description": "x axis range [lo, hi] in the column's SI unit"},
				"y_limits":       obj{"type": "array", "items": obj{"type": "number"}, "minItems": 2, "maxItems": 2, "description": "y axis range [lo, hi] in the column's SI unit"},
				"legend":         obj{"enum": anyList(dse.PlotLegends), "description": "right of the axes (default), a band above or below them, inside a corner of the data area, or none"},
				"legend_columns": obj{"type": "integer", "minimum": 1, "maximum": 50, "description": "columns of the legend (default: as the position needs)"},
				"font":           obj{"enum": anyList(dse.PlotFonts), "description": "font family: sans (Liberation Sans, default), serif (Liberation Serif, Times metrics), dejavu-sans, dejavu-serif"},
				"formats":        strList([]any{"png", "svg", "pdf"}),
			}}},
		},
		"$defs": obj{
			"range": obj{"type": "object", "additionalProperties": false, "required": []any{"from", "to"},
				"description": "from..to by step (linear), by factors (log2, log10), or num points",
				"properties": obj{
					"from":  obj{"type": []any{"number", "string"}},
					"to":    obj{"type": []any{"number", "string"}},
					"step":  obj{"type": "number", "exclusiveMinimum": 0},
					"num":   obj{"type": "integer", "minimum": 1},
					"scale": obj{"enum": []any{"linear", "log2", "log10", "log"}},
				}},
		},
	}
}

func valueSchema(reg *registry.Registry, p *engine.Param) obj {
	switch p.Type {
	case engine.TypeInt:
		s := obj{"type": "integer", "minimum": p.Min, "description": p.Doc}
		if p.Max != 0 {
			s["maximum"] = p.Max
		}
		return s
	case engine.TypeFloat:
		return obj{"description": p.Doc, "anyOf": []any{obj{"type": "number", "minimum": p.Min}, obj{"type": "string", "description": "a quantity with a unit, e.g. \"50 ms\""}}}
	case engine.TypeBool:
		return obj{"type": "boolean", "description": p.Doc}
	case engine.TypeText:
		return obj{"type": "string", "maxLength": engine.MaxPipelineLayoutLen, "description": p.Doc}
	case engine.TypeEnum:
		enum := make([]any, len(p.Enum))
		for i, e := range p.Enum {
			enum[i] = e
		}
		return obj{"enum": enum, "description": p.Doc}
	}
	var keys []any
	for _, k := range reg.Keys(p.RefKind) {
		keys = append(keys, k)
	}
	// Names are case-insensitive and take aliases and namespaces and '*'
	// patterns: the enum serves completion, the string anything else.
	return obj{"description": p.Doc, "anyOf": []any{obj{"enum": keys}, obj{"type": "string"}}}
}
