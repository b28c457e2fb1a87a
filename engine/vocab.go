package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim-go/registry"
	"github.com/mlsysim/mlsysim-go/units"
)

// This file is the one parameter and output vocabulary of mlsysim-go: the
// names that sweep files, `sweep eval key=value`, the output columns and the
// JSON keys share, each with its unit and meaning. Everything that lists or
// parses a parameter or an output reads it from here.

// ParamType is the type of a parameter's values.
type ParamType uint8

// The parameter types.
const (
	TypeInt   ParamType = iota // a whole number
	TypeFloat                  // a real number, optionally with a unit ("50 ms")
	TypeBool                   // true or false
	TypeEnum                   // one of a fixed list of names
	TypeRef                    // a registry entry name
	TypeText                   // a text in a syntax of the parameter's own (pipeline_layout), parsed once
)

var paramTypeNames = [...]string{"int", "float", "bool", "enum", "name", "text"}

// String returns "int", "float", "bool", "enum", "name" or "text".
func (t ParamType) String() string { return paramTypeNames[t] }

// Value is one parsed parameter value. Numbers and enum indexes are in F,
// registry entries in Ref (a *registry.Hardware, *registry.Model ...), a
// parsed text in Ref (a *PipelineLayout, or nil for "none"), and S keeps
// the canonical text (the registry key, the enum name, the number, the
// text).
type Value struct {
	F   float64
	S   string
	Ref any
}

// Param is one input of the vocabulary.
type Param struct {
	Name    string
	Type    ParamType
	Unit    string // SI unit of numeric values, "" if dimensionless
	Dim     units.Dimension
	Enum    []string // allowed values of an enum
	RefKind string   // registry kind of a name ("hardware", "model" ...)
	Default string   // the default, as text; "" = required or unset
	Min     float64  // numeric lower bound (inclusive)
	Max     float64  // numeric upper bound (inclusive); 0 = none
	Doc     string
	Label   string // what a figure's axis or legend calls it: "Batch size", "Tensor parallel (TP)"
	// Modes are the modes whose rows the parameter changes (priced, or
	// refused with a reason); 0 = every mode. A sweep or an eval that sets
	// it where no mode it runs uses it is refused (UnusedInModes).
	Modes ModeMask
	// Fidelities are the fidelities whose numbers the parameter changes;
	// 0 = both. Set under no fidelity that uses it, it draws a note
	// (UnusedUnderFidelities), not an error.
	Fidelities FidelityMask
	// ServingFidelities, when set, are the fidelities whose serving rows
	// the parameter changes, where they differ from Fidelities (pp and ep:
	// mlsysim's serving model has no pipeline or expert parallelism).
	ServingFidelities FidelityMask
	// Needs names the parameter without which this one changes no row
	// ("decode_hardware" for decode_tp); "" = none. A sweep or an eval
	// that sets it without setting Needs is refused at its position
	// (UnsetNeeds).
	Needs string
	apply func(c *Config, v Value)
	// text parses a TypeText value: the parsed form (Value.Ref) and the
	// canonical text (Value.S).
	text func(s string) (any, string, error)
}

// Apply sets the parameter on c.
func (p *Param) Apply(c *Config, v Value) { p.apply(c, v) }

// Parse reads one value of the parameter from text, checking its type,
// bounds and, for names, the registry. Errors name the parameter and list
// the allowed values or close matches.
func (p *Param) Parse(reg *registry.Registry, s string) (Value, error) {
	s = strings.TrimSpace(s)
	switch p.Type {
	case TypeEnum:
		l := strings.ToLower(s)
		for i, e := range p.Enum {
			if e == l {
				return Value{F: float64(i), S: e}, nil
			}
		}
		msg := fmt.Sprintf("%s: %q is not one of %s", p.Name, s, strings.Join(p.Enum, ", "))
		if sug := registry.Suggest(s, p.Enum); len(sug) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", sug[0])
		}
		return Value{}, fmt.Errorf("%s", msg)
	case TypeRef:
		ref, key, err := lookupRef(reg, p.RefKind, s)
		if err != nil {
			return Value{}, fmt.Errorf("%s: %w", p.Name, err)
		}
		return Value{S: key, Ref: ref}, nil
	case TypeText:
		ref, canon, err := p.text(s)
		if err != nil {
			return Value{}, fmt.Errorf("%s: %w", p.Name, err)
		}
		return Value{S: canon, Ref: ref}, nil
	case TypeBool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return Value{}, fmt.Errorf("%s: %q is not true or false", p.Name, s)
		}
		if b {
			return Value{F: 1, S: "true"}, nil
		}
		return Value{F: 0, S: "false"}, nil
	}
	dim := p.Dim
	if dim == units.Dimensionless {
		dim = dimOfUnit(p.Unit)
	}
	v, err := units.ParseAs(s, dim)
	if err != nil {
		return Value{}, fmt.Errorf("%s: %w", p.Name, err)
	}
	return p.Number(v)
}

// MaxIntParam is the largest magnitude of an integer parameter, 2^53: every
// whole number up to it is exact in a float64 and fits an int.
const MaxIntParam = 1 << 53

// Number makes a value of a numeric or boolean parameter from a number,
// checking integrality and bounds.
func (p *Param) Number(v float64) (Value, error) {
	switch p.Type {
	case TypeEnum, TypeRef:
		return Value{}, fmt.Errorf("%s: want a name, got the number %v", p.Name, v)
	case TypeText:
		return Value{}, fmt.Errorf("%s: want a text, got the number %v", p.Name, v)
	case TypeBool:
		if v != 0 && v != 1 {
			return Value{}, fmt.Errorf("%s: want true or false, got %v", p.Name, v)
		}
		return Value{F: v, S: strconv.FormatBool(v == 1)}, nil
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Value{}, fmt.Errorf("%s: %v is not a finite number", p.Name, v)
	}
	if p.Type == TypeInt && v != math.Trunc(v) {
		return Value{}, fmt.Errorf("%s: want a whole number, got %v", p.Name, v)
	}
	if p.Type == TypeInt && math.Abs(v) > MaxIntParam {
		return Value{}, fmt.Errorf("%s: %v is beyond the largest whole number a parameter holds, 2^53", p.Name, v)
	}
	if v < p.Min || (p.Max != 0 && v > p.Max) {
		if p.Max != 0 {
			return Value{}, fmt.Errorf("%s: %v is out of range [%v, %v]", p.Name, v, p.Min, p.Max)
		}
		return Value{}, fmt.Errorf("%s: %v is below the minimum %v", p.Name, v, p.Min)
	}
	return Value{F: v, S: strconv.FormatFloat(v, 'g', -1, 64)}, nil
}

// dimOfUnit maps a parameter's SI unit to the dimension its quantity
// strings must have ("50 ms" for s, "100 GB/s" for B/s).
func dimOfUnit(u string) units.Dimension {
	switch u {
	case "s":
		return units.DimTime
	case "B":
		return units.DimBytes
	case "B/s":
		return units.DimByteRate
	case "FLOP":
		return units.DimFLOP
	case "FLOP/s":
		return units.DimFLOPRate
	case "W":
		return units.DimPower
	case "J":
		return units.DimEnergy
	case "USD":
		return units.DimCurrency
	}
	return units.Dimensionless
}

// Accepts reports, without allocating, whether the number x is a valid
// value of a numeric or boolean parameter (integral where needed, in bounds).
func (p *Param) Accepts(x float64) bool {
	switch p.Type {
	case TypeEnum, TypeRef, TypeText:
		return false
	case TypeBool:
		return x == 0 || x == 1
	case TypeInt:
		if x != math.Trunc(x) || math.Abs(x) > MaxIntParam {
			return false
		}
	}
	return !math.IsNaN(x) && !math.IsInf(x, 0) && x >= p.Min && (p.Max == 0 || x <= p.Max)
}

func lookupRef(reg *registry.Registry, kind, s string) (any, string, error) {
	switch kind {
	case registry.KindHardware:
		h, err := reg.Hardware(s)
		if err != nil {
			return nil, "", err
		}
		return h, h.Key, nil
	case registry.KindModel:
		m, err := reg.Model(s)
		if err != nil {
			return nil, "", err
		}
		return m, m.Key, nil
	case registry.KindCluster:
		c, err := reg.Cluster(s)
		if err != nil {
			return nil, "", err
		}
		return c, c.Key, nil
	case registry.KindFabric:
		f, err := reg.Fabric(s)
		if err != nil {
			return nil, "", err
		}
		return f, f.Key, nil
	case registry.KindGrid: // a grid, or a datacenter standing for its grid and PUE
		g, d, err := reg.Region(s)
		if err != nil {
			return nil, "", err
		}
		if d != nil {
			return d, d.Key, nil
		}
		return g, g.Key, nil
	case registry.KindScenario:
		sc, err := reg.Scenario(s)
		if err != nil {
			return nil, "", err
		}
		return sc, sc.Key, nil
	}
	return nil, "", fmt.Errorf("no lookup for registry kind %q", kind)
}

// ModeMask says in which modes an output is computed.
type ModeMask uint8

// The mode masks.
const (
	InInference ModeMask = 1 << Inference
	InTraining  ModeMask = 1 << Training
	InServing   ModeMask = 1 << Serving
	InAll                = InInference | InTraining | InServing
)

// Has reports whether m includes mode.
func (m ModeMask) Has(mode Mode) bool { return m&(1<<mode) != 0 }

// OutputType is the type of an output column.
type OutputType uint8

// The output types.
const (
	OutFloat OutputType = iota
	OutBool
	OutString
)

// Better says which way an output improves. It sets the default direction
// of a Pareto objective named without one (HigherIsBetter: maximised, any
// other: minimised) and how a figure reduces the values that share a point
// or a cell when asked for no particular reduction (the best one: the
// largest when HigherIsBetter, else the smallest).
type Better uint8

// The directions. The zero value says nothing; every output of the
// vocabulary states one.
const (
	BetterUnstated  Better = iota // not stated
	HigherIsBetter                // throughput, utilisation, speed-ups: larger is better
	LowerIsBetter                 // times, bytes, energy, cost: smaller is better
	NeitherIsBetter               // a description, not a goal: intensity, counts set by the inputs, names
)

var betterNames = [...]string{"", "higher", "lower", "none"}

// String returns "higher", "lower", "none", or "" when unstated.
func (b Better) String() string {
	if int(b) < len(betterNames) {
		return betterNames[b]
	}
	return "Better(" + strconv.Itoa(int(b)) + ")"
}

// NullWhen says on which rows an output would mislead and is therefore
// null: absent in a sweep's Parquet, Arrow and CSV files (an empty CSV
// field) and null in `sweep eval --json`. The rule: an output that claims
// something the configuration achieves (a rate it delivers, a price or an
// energy per unit of work, the replicas it needs, the request latencies of
// its queue, a fleet sized by those replicas) is null when the claim is
// false; an output that describes what the configuration demands (memory,
// bytes, the time its work takes, the bandwidth it needs, a reason) stays,
// because it explains why the row fails. The zero value: never null.
type NullWhen uint8

// The conditions, combined with |.
const (
	// NullIfInfeasible: null when the row is infeasible (feasible = false):
	// a configuration that does not run delivers no throughput, no
	// utilisation, no token at any price, and has no stable queue.
	NullIfInfeasible NullWhen = 1 << iota
	// NullIfUnreachable: null when serving capacity planning (qps > 0) finds
	// no replica count up to max_replicas that meets p99_target_s
	// (Result.Unreachable): the engine then reports max_replicas replicas, a
	// sentinel, and everything sized by it (the fleet's energy, cost and
	// failures) prices a deployment that does not serve the load.
	NullIfUnreachable
	// NullIfNoBand: null when the row has no error band (Result.Band.OK
	// false): fidelity mlsysim, and calibrated rows of a class without
	// enough held-out points (engine/band.go).
	NullIfNoBand
	// NullIfNoFleet: null when the fleet models are off (duration_days = 0,
	// FleetResult.On false): no energy, carbon, cost or reliability was
	// computed, and a 0 would read as free and fail-proof.
	NullIfNoFleet
	// NullIfNoUnitCost: null when the hardware (or a disaggregated
	// replica's decode hardware) lists no unit cost (FleetResult.NoUnitCost):
	// its capital, and every price that includes it, is unknown, not 0.
	NullIfNoUnitCost
	// NullIfUnpriced: null when the engine refused the row before pricing
	// it (Result.Unpriced: an arithmetic the hardware has no rate for, a
	// layout that cannot exist, a combination a fidelity does not model):
	// no model computed any of its numbers, and a 0 would read as free and
	// instant. Every number of the vocabulary has it (unpricedNull).
	NullIfUnpriced
)

// Output is one result column of the vocabulary. Exactly one of Float, Bool
// and String is set, by Type.
type Output struct {
	Name     string
	Type     OutputType
	Unit     string // SI unit ("s", "B", "J", "1/s", "FLOP/B"); "" if dimensionless
	Modes    ModeMask
	Doc      string
	Label    string   // what a figure's axis or legend calls it, without the unit: "Latency", "MFU"
	Better   Better   // which way the output improves
	NullWhen NullWhen // the rows on which the value would mislead and is null
	Float    func(*Result) float64
	Bool     func(*Result) bool
	String   func(*Result) string
}

// Null reports whether the output is null for r: r was refused before
// pricing and the output is NullIfUnpriced, r is infeasible and the
// output is NullIfInfeasible, r's serving target is unreachable and the
// output is NullIfUnreachable, r has no band and the output is
// NullIfNoBand, the fleet models did not run and the output is
// NullIfNoFleet, or r's hardware lists no unit cost and the output is
// NullIfNoUnitCost. It allocates nothing. (An output a row's
// mode does not compute, Modes, is null as well; that is the caller's to
// check.)
func (o *Output) Null(r *Result) bool { return o.NullReason(r) != "" }

// NullReason says why the output is null for r, in a few words a table can
// print after "n/a": "unpriced" (refused before any model ran),
// "infeasible", "unreachable" (the serving target),
// "no band", "no duration_days" (the fleet models are off) or "no unit
// cost"; "" when it is not null. The first condition that holds, in that
// order, is the reason. It allocates nothing.
func (o *Output) NullReason(r *Result) string {
	switch {
	case o.NullWhen&NullIfUnpriced != 0 && r.Unpriced():
		return "unpriced"
	case o.NullWhen&NullIfInfeasible != 0 && !r.Feasible:
		return "infeasible"
	case o.NullWhen&NullIfUnreachable != 0 && r.Unreachable():
		return "unreachable"
	case o.NullWhen&NullIfNoBand != 0 && !r.Band.OK:
		return "no band"
	case o.NullWhen&NullIfNoFleet != 0 && !r.Fleet.On:
		return "no duration_days"
	case o.NullWhen&NullIfNoUnitCost != 0 && r.Fleet.NoUnitCost:
		return "no unit cost"
	}
	return ""
}

// NullConditions returns the conditions of NullWhen that hold for r (the
// cases of NullReason, which must stay in step with it): an output o is
// null for r exactly when o.NullWhen&r.NullConditions() != 0, so that a
// caller testing many outputs against one result tests each condition
// once. It allocates nothing.
func (r *Result) NullConditions() NullWhen {
	var w NullWhen
	if r.Unpriced() {
		w |= NullIfUnpriced
	}
	if !r.Feasible {
		w |= NullIfInfeasible
	}
	if r.Unreachable() {
		w |= NullIfUnreachable
	}
	if !r.Band.OK {
		w |= NullIfNoBand
	}
	if !r.Fleet.On {
		w |= NullIfNoFleet
	}
	if r.Fleet.NoUnitCost {
		w |= NullIfNoUnitCost
	}
	return w
}

// Nullable reports whether the output can be null on a row of a mode it
// computes (NullWhen is set).
func (o *Output) Nullable() bool { return o.NullWhen != 0 }

// Params returns the parameter vocabulary, in the order columns are written.
func Params() []*Param { return params }

// Outputs returns the output vocabulary, in the order columns are written.
func Outputs() []*Output { return outputs }

// The vocabulary is assembled from the core lists below and those of the
// other models (each in its own file), in this order.
var (
	params  = concat(scenarioParams, coreParams, precisionParams, workloadParams, distributedParams, servingScaleParams, fleetParams, calibratedParams)
	outputs = unpricedNull(concat(coreOutputs, distributedOutputs, stepPartsOutputs, servingScaleOutputs, servingPartsOutputs, fleetOutputs, calibratedOutputs, bandOutputs))
)

// unpricedNull marks every number of os NullIfUnpriced and returns os: on
// a row the engine refused before pricing it, every number would be a 0
// that no model computed.
func unpricedNull(os []*Output) []*Output {
	for _, o := range os {
		if o.Type == OutFloat {
			o.NullWhen |= NullIfUnpriced
		}
	}
	return os
}

// Groups of the vocabulary: the core, and one per model beyond it. A sweep
// writes a group's outputs when it sets one of the group's parameters (or
// names the outputs), so plain sweeps stay narrow and fast.
const (
	GroupCore         = "core"
	GroupDistributed  = "distributed"
	GroupServingScale = "serving_scale"
	GroupFleet        = "fleet"
	GroupCalibrated   = "calibrated"
	GroupBand         = "band" // the error bands: written by every run
)

var paramGroup, outputGroup = func() (map[string]string, map[string]string) {
	pg, og := map[string]string{}, map[string]string{}
	for g, ps := range map[string][]*Param{GroupCore: concat(scenarioParams, coreParams, precisionParams, workloadParams), GroupDistributed: distributedParams,
		GroupServingScale: servingScaleParams, GroupFleet: fleetParams, GroupCalibrated: calibratedParams} {
		for _, p := range ps {
			pg[p.Name] = g
		}
	}
	// The operation-class parts go with the model whose breakdown they
	// complete: the step's with the distributed outputs (comm_*_s,
	// bubble_s), the serving steps' with the serving ones (prefill_s).
	for g, os := range map[string][]*Output{GroupCore: coreOutputs, GroupDistributed: concat(distributedOutputs, stepPartsOutputs),
		GroupServingScale: concat(servingScaleOutputs, servingPartsOutputs), GroupFleet: fleetOutputs, GroupCalibrated: calibratedOutputs, GroupBand: bandOutputs} {
		for _, o := range os {
			og[o.Name] = g
		}
	}
	return pg, og
}()

// ParamGroup returns the group of a parameter ("core", "distributed" ...).
func ParamGroup(name string) string { return paramGroup[name] }

// OutputGroup returns the group of an output.
func OutputGroup(name string) string { return outputGroup[name] }

func concat[T any](lists ...[]T) []T {
	var out []T
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// LookupParam returns the parameter named name, or nil.
func LookupParam(name string) *Param {
	for _, p := range params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// LookupOutput returns the output named name, or nil.
func LookupOutput(name string) *Output {
	for _, o := range outputs {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// ParamNames returns every parameter name.
func ParamNames() []string {
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = p.Name
	}
	return out
}

// OutputNames returns every output name.
func OutputNames() []string {
	out := make([]string, len(outputs))
	for i, o := range outputs {
		out[i] = o.Name
	}
	return out
}

// Column is what the vocabulary says about one column of the results, a
// parameter or an output, for the people who read it.
type Column struct {
	Name   string
	Unit   string // SI unit, "" if dimensionless
	Label  string // the quantity's name for axes and legends, without the unit
	Better Better // an output's direction; NeitherIsBetter for a parameter
	Doc    string
}

// Lookup returns what the vocabulary says of the column name: an output's,
// else a parameter's unit, label, better direction and doc. ok is false for
// a name outside the vocabulary.
func Lookup(name string) (c Column, ok bool) {
	if o := LookupOutput(name); o != nil {
		return Column{Name: o.Name, Unit: o.Unit, Label: o.Label, Better: o.Better, Doc: o.Doc}, true
	}
	if p := LookupParam(name); p != nil {
		return Column{Name: p.Name, Unit: p.Unit, Label: p.Label, Better: NeitherIsBetter, Doc: p.Doc}, true
	}
	return Column{}, false
}

var coreParams = []*Param{
	{Name: "model", Type: TypeRef, RefKind: registry.KindModel,
		Doc:   "model registry name (sweep list models), e.g. Llama3_8B",
		Label: "Model",
		apply: func(c *Config, v Value) { c.Model = v.Ref.(*registry.Model) }},
	{Name: "hardware", Type: TypeRef, RefKind: registry.KindHardware,
		Doc:   "hardware registry name (sweep list hardware), e.g. H100 or Cloud.H100",
		Label: "Hardware",
		apply: func(c *Config, v Value) { c.Hardware = v.Ref.(*registry.Hardware) }},
	{Name: "mode", Type: TypeEnum, Enum: modeNames[:], Default: "inference",
		Doc:   "inference (one forward pass), training (one step) or serving (prefill then decode)",
		Label: "Mode",
		apply: func(c *Config, v Value) { c.Mode = Mode(v.F) }},
	{Name: "precision", Type: TypeEnum, Enum: precisionEnum(), Default: "fp16",
		Doc:   "numeric format of weights and arithmetic",
		Label: "Precision",
		apply: func(c *Config, v Value) { c.Precision = registry.Precision(v.F) }},
	{Name: "batch_size", Type: TypeInt, Min: 1, Default: "1",
		Doc:   "sequences or samples per step",
		Label: "Batch size",
		apply: func(c *Config, v Value) { c.BatchSize = int(v.F) }},
	{Name: "seq_len", Type: TypeInt, Min: 1, Default: "2048",
		Doc:   "tokens per sequence (serving: prompt length for TTFT and KV-cache context for ITL)",
		Label: "Sequence length",
		apply: func(c *Config, v Value) { c.SeqLen = int(v.F) }},
	{Name: "efficiency", Fidelities: UnderMLSysim, Type: TypeFloat, Min: 1e-9, Max: 1, Default: "0.5",
		Doc:   "mlsysim's η: the fraction of peak FLOP/s achieved",
		Label: "Efficiency",
		apply: func(c *Config, v Value) { c.Efficiency = v.F }},
	{Name: "fidelity", Type: TypeEnum, Enum: fidelityNames[:], Default: "calibrated",
		Doc:   "calibrated: operator-level model with per-hardware profiles fitted to measurements (median error ~2-4% on H100); mlsysim: mlsysim's first-order roofline with η, reproducing its published numbers",
		Label: "Fidelity",
		apply: func(c *Config, v Value) { c.Fidelity = Fidelity(v.F) }},
	{Name: "recompute", Modes: InTraining, Type: TypeEnum, Enum: recomputeNames[:], Default: "none",
		Doc:   "training: activation recomputation (none, selective, full)",
		Label: "Recomputation",
		apply: func(c *Config, v Value) { c.Recompute = Recompute(v.F) }},
	{Name: "zero_stage", Modes: InTraining, Type: TypeInt, Min: 0, Max: 3, Default: "0",
		Doc:   "training: ZeRO stage (1 shards optimizer state, 2 also gradients, 3 also weights over dp ranks)",
		Label: "ZeRO stage",
		apply: func(c *Config, v Value) { c.ZeroStage = int(v.F) }},
	{Name: "dp", Modes: InTraining, Type: TypeInt, Min: 1, Default: "1",
		Doc:   "training: data-parallel ranks",
		Label: "Data parallel (DP)",
		apply: func(c *Config, v Value) { c.DPSize = int(v.F) }},
	{Name: "lora", Modes: InTraining, Type: TypeBool, Default: "false",
		Doc:   "training: LoRA adapters of rank 16 instead of full fine-tuning",
		Label: "LoRA",
		apply: func(c *Config, v Value) { c.LoRA = v.F == 1 }},
	{Name: "output_tokens", Modes: InServing, Type: TypeInt, Min: 1, Default: "1",
		Doc:   "serving: tokens generated per request (the first comes from the prefill)",
		Label: "Output tokens",
		apply: func(c *Config, v Value) { c.OutputTokens = int(v.F) }},
}

func precisionEnum() []string {
	out := make([]string, registry.NumPrecisions)
	for i := range out {
		out[i] = registry.Precision(i).String()
	}
	return out
}

var coreOutputs = []*Output{
	{Name: "latency_s", Unit: "s", Modes: InAll, Doc: "one step (inference, training) or one request: TTFT + (output_tokens−1)·ITL (serving)",
		Label: "Latency", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.LatencyS }},
	{Name: "throughput_per_s", Unit: "1/s", NullWhen: NullIfInfeasible, Modes: InAll, Doc: "samples per second (inference, training; tokens for decoder LMs in inference) or requests per second (serving)",
		Label: "Throughput", Better: HigherIsBetter,
		Float: func(r *Result) float64 { return r.ThroughputPerS }},
	{Name: "bottleneck", Type: OutString, Modes: InAll, Doc: "the binding resource: Compute or Memory",
		Label: "Bottleneck", Better: NeitherIsBetter,
		String: func(r *Result) string { return r.Bottleneck.String() }},
	{Name: "mfu", NullWhen: NullIfInfeasible, Modes: InAll, Doc: "model FLOPs utilisation: model FLOPs / (latency × peak FLOP/s), in [0, 1]",
		Label: "MFU", Better: HigherIsBetter,
		Float: func(r *Result) float64 { return r.MFU }},
	{Name: "hfu", NullWhen: NullIfInfeasible, Modes: InAll, Doc: "hardware FLOPs utilisation, counting recomputed FLOPs, in [0, 1]",
		Label: "HFU", Better: HigherIsBetter,
		Float: func(r *Result) float64 { return r.HFU }},
	{Name: "feasible", Type: OutBool, Modes: InAll, Doc: "whether the configuration fits and runs",
		Label: "Feasible", Better: HigherIsBetter,
		Bool: func(r *Result) bool { return r.Feasible }},
	{Name: "infeasible_reason", Type: OutString, Modes: InAll, Doc: "why not, when feasible is false; empty otherwise",
		Label: "Infeasible reason", Better: NeitherIsBetter,
		String: func(r *Result) string { return r.Reason.String() }},
	{Name: "energy_j", Unit: "J", Modes: InAll, Doc: "accelerator energy of the step or request: TDP·(0.3 + 0.7·HFU)·latency",
		Label: "Energy", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.EnergyJ }},
	{Name: "memory_bytes", Unit: "B", Modes: InAll, Doc: "device memory needed: weights (inference), weights+gradients+optimizer+activations (training), weights+KV cache (serving; calibrated: one GPU of tp, of decode_tp with decode_hardware (experts over ep, decode_ep), at the peak context seq_len + output_tokens, with a draft model's)",
		Label: "Memory", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.MemoryBytes }},
	{Name: "compute_s", Unit: "s", Modes: InAll, Doc: "time of the FLOPs at peak × η (serving: the prefill)",
		Label: "Compute time", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.ComputeS }},
	{Name: "memory_s", Unit: "s", Modes: InAll, Doc: "time of the memory traffic at the effective bandwidth (serving: one decode step)",
		Label: "Memory time", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.MemoryS }},
	{Name: "overhead_s", Unit: "s", Modes: InAll, Doc: "dispatch tax + per-layer framework tax",
		Label: "Overhead", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.OverheadS }},
	{Name: "arithmetic_intensity", Unit: "FLOP/B", Modes: InAll, Doc: "FLOPs per byte moved (batched; serving: one decode step)",
		Label: "Arithmetic intensity", Better: NeitherIsBetter,
		Float: func(r *Result) float64 { return r.ArithmeticIntensity }},
	{Name: "ttft_s", Unit: "s", Modes: InServing, Doc: "time to first token: calibrated, one request's under continuous batching (its prefill plus those admitted ahead of it, requestTTFT); mlsysim, the prefill of the batch's prompts",
		Label: "TTFT", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.TTFTS }},
	{Name: "itl_s", Unit: "s", Modes: InServing, Doc: "inter-token latency: one decode step over weights and KV cache",
		Label: "ITL", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.ITLS }},
	{Name: "kv_cache_bytes", Unit: "B", Modes: InServing, Doc: "KV cache of the whole batch, all tp ranks together: calibrated at the peak context seq_len + output_tokens, mlsysim at seq_len",
		Label: "KV cache", Better: LowerIsBetter,
		Float: func(r *Result) float64 { return r.KVCacheBytes }},
	{Name: "tokens_per_s", Unit: "1/s", NullWhen: NullIfInfeasible, Modes: InServing | InTraining, Doc: "serving: decode tokens per second, batch_size / ITL; training: tokens trained per second",
		Label: "Throughput", Better: HigherIsBetter,
		Float: func(r *Result) float64 { return r.TokensPerS }},
}

// UnknownParamError is a parameter name that is not in the vocabulary.
type UnknownParamError struct {
	Name        string
	Suggestions []string
}

func (e *UnknownParamError) Error() string {
	msg := fmt.Sprintf("unknown parameter %q", e.Name)
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(e.Suggestions, ", ") + "?"
	}
	return msg
}

// Set parses value for the parameter name and applies it to c. Unknown
// names and bad values are errors that name them.
func (c *Config) Set(reg *registry.Registry, name, value string) error {
	p := LookupParam(name)
	if p == nil {
		return &UnknownParamError{Name: name, Suggestions: registry.Suggest(name, ParamNames())}
	}
	v, err := p.Parse(reg, value)
	if err != nil {
		return err
	}
	p.Apply(c, v)
	return nil
}
