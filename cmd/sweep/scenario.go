package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

func newScenarioCmd() *cobra.Command {
	var asJSON, all, mlsysim, failOnMiss bool
	cmd := &cobra.Command{
		Use:   "scenario [NAME]",
		Short: "Evaluate a registry scenario's targets: feasibility, performance, macro",
		Long: "Evaluate a scenario (sweep list scenarios) at three levels and print each target with its verdict\n" +
			"and why: feasibility (weights at the scenario's precision vs memory, data rate vs supply),\n" +
			"performance (latency vs sla_latency, modelled power vs power_budget, target_accuracy) and macro\n" +
			"(a year of energy, carbon and TCO). Verdicts are PASS, FAIL, N/A (no such target) and\n" +
			"NOT MODELLED (a target set that no model here decides).\n\n" +
			"--mlsysim reproduces mlsysim's Scenario.evaluate: fp16 and batch 1 whatever the scenario says,\n" +
			"power and accuracy targets unchecked.\n\n" +
			"Exit status: 0 when evaluated, whatever the verdicts; 3 with --fail-on-miss when a target fails;\n" +
			"2 for bad input.",
		Example: "  sweep scenario ChatbotServing\n  sweep scenario KeywordSpotting --json\n  sweep scenario --all\n  sweep scenario --all --mlsysim",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadRegistry(cmd)
			if err != nil {
				return err
			}
			var list []*registry.Scenario
			switch {
			case all && len(args) > 0:
				return badInput(fmt.Errorf("give a scenario name or --all, not both"))
			case all:
				list = reg.ScenarioList
			case len(args) == 0:
				return badInput(fmt.Errorf("a scenario name or --all is required; scenarios: %s", strings.Join(reg.Keys(registry.KindScenario), ", ")))
			default:
				s, err := reg.Scenario(args[0])
				if err != nil {
					return badInput(err)
				}
				list = []*registry.Scenario{s}
			}
			opts := engine.ScenarioOptions{MLSysim: mlsysim}
			results := make([]engine.ScenarioResult, len(list))
			for i, s := range list {
				results[i] = engine.EvaluateScenarioWith(s, opts)
			}
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				err = writeScenarioJSON(out, results, all, mlsysim)
			case all:
				err = writeScenarioTable(out, results, mlsysim)
			default:
				err = writeScenarioText(out, results[0], mlsysim)
			}
			if err != nil {
				return err
			}
			if failOnMiss {
				var missed []string
				for _, r := range results {
					if !r.Passed() {
						missed = append(missed, r.Key)
					}
				}
				if len(missed) > 0 {
					return checkError{fmt.Errorf("targets missed: %s", strings.Join(missed, ", "))}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print JSON: one object, or an array with --all")
	f.BoolVar(&all, "all", false, "evaluate every scenario and print one line each")
	f.BoolVar(&mlsysim, "mlsysim", false, "reproduce mlsysim's verdicts: fp16, batch 1, power and accuracy unchecked")
	f.BoolVar(&failOnMiss, "fail-on-miss", false, "exit 3 when a target fails")
	return cmd
}

// scenarioJSON is the JSON form of one evaluation.
type scenarioJSON struct {
	Version  string `json:"mlsysim_version"`
	MLSysim  bool   `json:"mlsysim_semantics"`
	Passed   bool   `json:"passed"`
	Name     string `json:"name"`
	Fix      string `json:"fix,omitempty"`
	Feasible string `json:"feasibility"`
	Perf     string `json:"performance"`
	Macro    string `json:"macro"`
	engine.ScenarioResult
}

func toScenarioJSON(r engine.ScenarioResult, mlsysim bool) scenarioJSON {
	return scenarioJSON{Version: version, MLSysim: mlsysim, Passed: r.Passed(), Name: r.Scenario.Name, Fix: r.Scenario.Fix,
		Feasible: r.Level(engine.LevelFeasibility).String(), Perf: r.Level(engine.LevelPerformance).String(),
		Macro: r.Level(engine.LevelMacro).String(), ScenarioResult: r}
}

func writeScenarioJSON(w io.Writer, rs []engine.ScenarioResult, array, mlsysim bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if !array {
		return enc.Encode(toScenarioJSON(rs[0], mlsysim))
	}
	out := make([]scenarioJSON, len(rs))
	for i, r := range rs {
		out[i] = toScenarioJSON(r, mlsysim)
	}
	return enc.Encode(out)
}

func passedText(r engine.ScenarioResult) string {
	if r.Passed() {
		return "PASS"
	}
	return "FAIL"
}

func writeScenarioText(w io.Writer, r engine.ScenarioResult, mlsysim bool) error {
	s := r.Scenario
	fmt.Fprintf(w, "%s (%s): %s on %s, %s, batch %d\n", s.Key, s.Name, r.Model, r.System, r.Precision, r.BatchSize)
	if s.Description != "" {
		fmt.Fprintf(w, "  %s\n", s.Description)
	}
	if mlsysim {
		fmt.Fprintln(w, "  semantics: mlsysim (fp16, batch 1; power and accuracy unchecked)")
	} else if s.Fix != "" {
		fmt.Fprintf(w, "  registry fix: %s\n", s.Fix)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  LEVEL\tTARGET\tVERDICT\tWHY")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Level, c.Name, c.Verdict, c.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n  overall: %s\n", passedText(r))
	return err
}

func writeScenarioTable(w io.Writer, rs []engine.ScenarioResult, mlsysim bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMODEL\tSYSTEM\tPRECISION\tLATENCY\tFEASIBILITY\tPERFORMANCE\tMACRO\tOVERALL\tFAILED TARGETS")
	for _, r := range rs {
		var failed []string
		for _, c := range r.Checks {
			if c.Verdict == engine.Fail {
				failed = append(failed, c.Name)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Key, r.Model, r.System, r.Precision, r.Latency,
			r.Level(engine.LevelFeasibility), r.Level(engine.LevelPerformance), r.Level(engine.LevelMacro), passedText(r),
			strings.Join(failed, ", "))
	}
	if mlsysim {
		fmt.Fprintln(tw, "(mlsysim semantics: fp16, batch 1; power and accuracy unchecked)")
	}
	return tw.Flush()
}
