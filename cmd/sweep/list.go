package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/registry"
)

var listKinds = []string{"hardware", "models", "systems", "scenarios", "fabrics", "nodes", "regions", "datacenters"}

func newListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list " + strings.Join(listKinds, "|") + " [PATTERN]",
		Short: "List a registry as a table, or as JSON",
		Long: "List a registry as a table, or as JSON.\n\n" +
			"For hardware and models, a PATTERN lists what the same pattern selects in a sweep file: a glob over\n" +
			"the key, Tier.Key, Form.Key and Tier.Form.Key of hardware (forms: accelerator, rack, wafer) and over\n" +
			"the key and Family.Key of models.",
		Example: "  sweep list hardware\n" +
			"  sweep list hardware 'Cloud.accelerator.*'   # single Cloud accelerators: no racks, no wafers\n" +
			"  sweep list models --json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return badInput(fmt.Errorf("list takes one of %s, and for hardware and models an optional pattern", strings.Join(listKinds, ", ")))
			}
			if len(args) == 2 && args[0] != "hardware" && args[0] != "models" {
				return badInput(fmt.Errorf("list %s takes no pattern (only hardware and models do)", args[0]))
			}
			return nil
		},
		ValidArgs: listKinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadRegistry(cmd)
			if err != nil {
				return err
			}
			if len(args) == 2 {
				reg = filtered(reg, args[1])
			}
			rows, err := listRows(reg, args[0])
			if err != nil {
				return badInput(err)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rows.records())
			}
			return rows.writeTable(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (SI base units) instead of a table")
	return cmd
}

// table is a listing: column names, the human text of each cell, and the
// JSON value of each cell.
type table struct {
	cols  []string
	text  [][]string
	value [][]any
}

func (t *table) add(cells ...cell) {
	var tx []string
	var vs []any
	for _, c := range cells {
		tx = append(tx, c.text)
		vs = append(vs, c.value)
	}
	t.text = append(t.text, tx)
	t.value = append(t.value, vs)
}

type cell struct {
	text  string
	value any
}

func str(s string) cell { return cell{dash(s), s} }
func num(v float64, unit string) cell {
	if v == 0 {
		return cell{"-", nil}
	}
	return cell{human(v, unit), v}
}
func count(v float64) cell {
	if v == 0 {
		return cell{"-", nil}
	}
	return cell{fmt.Sprintf("%.4g", v), v}
}
func integer(v int) cell {
	if v == 0 {
		return cell{"-", nil}
	}
	return cell{fmt.Sprint(v), v}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (t *table) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.cols, "\t"))
	for _, r := range t.text {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func (t *table) records() []map[string]any {
	out := make([]map[string]any, len(t.value))
	for i, r := range t.value {
		m := map[string]any{}
		for j, v := range r {
			if v != nil {
				m[t.cols[j]] = v
			}
		}
		out[i] = m
	}
	return out
}

// filtered returns a view of reg whose hardware and models are those
// pattern selects (registry.MatchHardware, MatchModels); the other lists
// are reg's.
func filtered(reg *registry.Registry, pattern string) *registry.Registry {
	view := &registry.Registry{
		HardwareList: reg.MatchHardware(pattern), ModelList: reg.MatchModels(pattern),
		FabricList: reg.FabricList, NodeList: reg.NodeList, ClusterList: reg.ClusterList, GridList: reg.GridList,
		DatacenterList: reg.DatacenterList, ScenarioList: reg.ScenarioList, ConstantList: reg.ConstantList,
	}
	return view
}

func listRows(reg *registry.Registry, kind string) (*table, error) {
	t := &table{}
	switch kind {
	case "hardware":
		t.cols = []string{"key", "tier", "form", "name", "year", "peak_flops", "memory_bytes", "memory_bandwidth_bps", "tdp_w", "unit_cost_usd"}
		for _, h := range reg.HardwareList {
			t.add(str(h.Key), str(h.Tier), str(h.Form.String()), str(h.Name), integer(h.Year), num(h.PeakFLOPS, "FLOP/s"),
				num(h.MemCapacityBytes, "B"), num(h.MemBandwidthBps, "B/s"), num(h.TDPW, "W"), num(h.UnitCostUSD, "USD"))
		}
	case "models":
		// architecture is the registry entry's own words (e.g. "Hybrid
		// Mamba-Transformer"), which type, the engine's model class, does
		// not tell: a hybrid prices as a transformer.
		t.cols = []string{"key", "family", "type", "name", "parameters", "inference_flops", "layers", "hidden_dim", "heads", "kv_heads", "architecture"}
		for _, m := range reg.ModelList {
			t.add(str(m.Key), str(m.Family), str(m.Class.String()), str(m.Name), count(m.Parameters),
				count(m.InferenceFLOPs), integer(m.Layers), integer(m.HiddenDim), integer(m.Heads), integer(m.KVHeads), str(m.Architecture))
		}
	case "systems":
		t.cols = []string{"key", "name", "nodes", "accelerators", "accelerator", "fabric", "fabric_bandwidth_bps"}
		for _, c := range reg.ClusterList {
			t.add(str(c.Key), str(c.Name), integer(c.Count), integer(c.Accelerators()), str(c.Node.Accelerator.Key),
				str(c.Fabric.Key), num(c.Fabric.BandwidthBps, "B/s"))
		}
	case "nodes":
		t.cols = []string{"key", "name", "accelerator", "accelerators_per_node", "intra_node_bps"}
		for _, n := range reg.NodeList {
			t.add(str(n.Key), str(n.Name), str(n.Accelerator.Key), integer(n.AcceleratorsPerNode), num(n.IntraNodeBps, "B/s"))
		}
	case "fabrics":
		t.cols = []string{"key", "name", "topology", "bandwidth_bps", "latency_s", "oversubscription"}
		for _, f := range reg.FabricList {
			t.add(str(f.Key), str(f.Name), str(f.Topology), num(f.BandwidthBps, "B/s"), num(f.LatencyS, "s"), count(f.Oversubscription))
		}
	case "regions":
		t.cols = []string{"key", "name", "carbon_g_per_kwh", "pue", "wue_l_per_kwh", "electricity_usd_per_kwh"}
		for _, g := range reg.GridList {
			t.add(str(g.Key), str(g.Name), count(g.CarbonGPerKWh), count(g.PUE), cell{fmt.Sprintf("%.3g", g.WUELPerKWh), g.WUELPerKWh}, count(g.ElectricityUSDPerK))
		}
	case "datacenters":
		t.cols = []string{"key", "name", "grid", "pue"}
		for _, d := range reg.DatacenterList {
			t.add(str(d.Key), str(d.Name), str(d.Grid.Key), count(d.PUE()))
		}
	case "scenarios":
		t.cols = []string{"key", "name", "workload", "system", "precision", "sla_latency_s", "power_budget_w"}
		for _, s := range reg.ScenarioList {
			sys := ""
			if s.Hardware != nil {
				sys = s.Hardware.Key
			} else if s.Cluster != nil {
				sys = s.Cluster.Key
			}
			t.add(str(s.Key), str(s.Name), str(s.Model.Key), str(sys), str(s.Precision.String()),
				num(s.SLALatencyS, "s"), num(s.PowerBudgetW, "W"))
		}
	default:
		msg := fmt.Sprintf("unknown registry %q: want one of %s", kind, strings.Join(listKinds, ", "))
		if s := registry.Suggest(kind, listKinds); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", s[0])
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return t, nil
}
