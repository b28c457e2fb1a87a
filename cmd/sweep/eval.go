package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/registry"
)

func newEvalCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval key=value ...",
		Short: "Evaluate one configuration and print every output",
		Long: "Evaluate one configuration and print every output.\n\n" +
			"Exit status: 0 when the configuration was evaluated (feasible or not), 2 for bad input.\n\n" +
			vocabularyHelp(),
		Example: "  sweep eval model=Llama3_8B hardware=H100 mode=serving seq_len=2048 --json\n" +
			"  sweep eval model=ResNet50 hardware=A100 batch_size=32 precision=fp16",
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := loadRegistry(cmd)
			if err != nil {
				return err
			}
			c, vals, notes, err := parseAssignments(reg, args)
			c.Calib.Profiles = profilesOf(cmd)
			c.ResolveProfile()
			if err != nil {
				return badInput(err)
			}
			for _, n := range notes {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", n)
			}
			r := engine.Evaluate(&c)
			if n := layoutNote(&c, &r); n != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", n)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeEvalJSON(out, &c, vals, &r)
			}
			return writeEvalText(out, &c, vals, &r)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object whose keys are the output column names")
	cmd.ValidArgsFunction = completeAssignments
	return cmd
}

// parseAssignments builds a Config from key=value arguments over the
// defaults, and returns the canonical text of every parameter. A parameter
// given twice is an error: which of the two was meant is not knowable. So
// is one the configuration's mode does not use (engine.UnusedInModes) or
// one set without the parameter it needs (engine.UnsetNeeds); one
// its fidelity does not use draws a note (engine.UnusedUnderFidelities),
// each naming its argument.
func parseAssignments(reg *registry.Registry, args []string) (engine.Config, map[string]string, []string, error) {
	c := engine.DefaultConfig()
	vals := map[string]string{}
	for _, p := range engine.Params() {
		vals[p.Name] = p.Default
	}
	var errs, notes []string
	given := map[string]bool{}
	arg := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			errs = append(errs, fmt.Sprintf("argument %q: want key=value", a))
			continue
		}
		p := engine.LookupParam(k)
		if p == nil {
			errs = append(errs, (&engine.UnknownParamError{Name: k, Suggestions: suggestParam(k)}).Error())
			continue
		}
		if given[p.Name] {
			errs = append(errs, fmt.Sprintf("%s is given twice: give each parameter once", p.Name))
			continue
		}
		given[p.Name] = true
		arg[p.Name] = a
		val, err := p.Parse(reg, v)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		p.Apply(&c, val)
		vals[k] = val.S
	}
	if c.Hardware != nil && vals["hardware"] == "" {
		vals["hardware"] = c.Hardware.Key // set through system=
	}
	if len(errs) == 0 {
		if c.Model == nil {
			errs = append(errs, "model is required (for example model=Llama3_8B; sweep list models)")
		}
		if c.Hardware == nil {
			errs = append(errs, "hardware is required (for example hardware=H100; sweep list hardware)")
		}
	}
	if len(errs) == 0 {
		if err := c.Validate(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) == 0 {
		for _, p := range engine.Params() {
			a, ok := arg[p.Name]
			if !ok {
				continue
			}
			if err := engine.UnusedInModes(p, engine.ModeMask(1)<<c.Mode); err != nil {
				errs = append(errs, fmt.Sprintf("argument %q: %v", a, err))
			} else if err := engine.UnsetNeeds(p, func(n string) bool { return given[n] }); err != nil {
				errs = append(errs, fmt.Sprintf("argument %q: %v", a, err))
			} else if n := engine.UnusedUnderFidelitiesIn(p, engine.ModeMask(1)<<c.Mode, engine.FidelityMask(1)<<c.Fidelity); n != "" {
				notes = append(notes, fmt.Sprintf("argument %q: %s", a, n))
			}
		}
	}
	if len(errs) > 0 {
		return c, nil, nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return c, vals, notes, nil
}

// jsonNumber renders a float for JSON: shortest round-trip form, and null
// for NaN and ±Inf, which JSON cannot hold.
func jsonNumber(f float64) json.RawMessage {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return json.RawMessage("null")
	}
	return json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64))
}

// writeEvalJSON prints one object: the parameters, then the outputs that
// the configuration's mode computes, in vocabulary order; an output the
// vocabulary makes null on this result (engine.Output.Null: a price per
// token of an infeasible configuration ...) is null, as in a sweep's files.
func writeEvalJSON(w io.Writer, c *engine.Config, vals map[string]string, r *engine.Result) error {
	var b bytes.Buffer
	b.WriteString("{")
	first := true
	field := func(k string, v []byte) {
		if !first {
			b.WriteString(",")
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteString(":")
		b.Write(v)
	}
	for _, p := range engine.Params() {
		switch p.Type {
		case engine.TypeInt, engine.TypeFloat:
			f, _ := strconv.ParseFloat(vals[p.Name], 64)
			field(p.Name, jsonNumber(f))
		case engine.TypeBool:
			field(p.Name, []byte(vals[p.Name]))
		default:
			s, _ := json.Marshal(vals[p.Name])
			field(p.Name, s)
		}
	}
	for _, o := range engine.Outputs() {
		if !o.Modes.Has(c.Mode) {
			continue
		}
		if o.Null(r) {
			field(o.Name, []byte("null"))
			continue
		}
		switch o.Type {
		case engine.OutFloat:
			field(o.Name, jsonNumber(o.Float(r)))
		case engine.OutBool:
			field(o.Name, []byte(strconv.FormatBool(o.Bool(r))))
		case engine.OutString:
			s, _ := json.Marshal(o.String(r))
			field(o.Name, s)
		}
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// writeEvalText prints an aligned table for people: name, value (with a
// readable unit), meaning. An output that is null on this result
// (engine.Output.Null) reads "n/a (why)" with engine.Output.NullReason:
// "n/a (infeasible)", "n/a (unreachable)", "n/a (no duration_days)" ...
func writeEvalText(w io.Writer, c *engine.Config, vals map[string]string, r *engine.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s on %s, %s\n", c.Model.Name, c.Hardware.Name, c.Mode)
	for _, o := range engine.Outputs() {
		if !o.Modes.Has(c.Mode) {
			continue
		}
		var v string
		switch {
		case o.Null(r) && o.NullWhen&engine.NullIfNoBand != 0 && !r.Band.OK:
			v = "-" // no error band: fidelity mlsysim
		case o.Null(r):
			v = "n/a (" + o.NullReason(r) + ")"
		case o.Type == engine.OutFloat:
			v = human(o.Float(r), o.Unit)
		case o.Type == engine.OutBool:
			v = strconv.FormatBool(o.Bool(r))
		case o.Type == engine.OutString:
			v = o.String(r)
			if v == "" {
				v = "-"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", o.Name, v, o.Doc)
	}
	return tw.Flush()
}

// layoutNote returns the counts behind a pipeline layout that does not fit
// (dist_reason's fixed text names the rule, not the numbers): the
// layout's stages, t and m against pp·interleave, the model's layers and
// mtp_layers; "" when the row's reason is not the layout's.
func layoutNote(c *engine.Config, r *engine.Result) string {
	lay := c.Dist.Layout
	if lay == nil || c.Model == nil {
		return ""
	}
	switch r.Dist.Reason {
	case engine.DistLayoutStages, engine.DistLayoutLayers, engine.DistLayoutMTP:
	default:
		return ""
	}
	pp, v := max(c.Dist.PP, 1), max(c.Dist.Interleave, 1)
	return fmt.Sprintf("pipeline_layout %q has %d stages, %d transformer layers (t) and %d multi-token prediction blocks (m); "+
		"pp·interleave = %d·%d = %d, %s has %d layers, mtp_layers = %d",
		lay.String(), lay.NumStages(), lay.Layers(), lay.MTP(), pp, v, pp*v, c.Model.Key, c.Model.Layers, c.Dist.MTPLayers)
}
