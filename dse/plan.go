package dse

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/expr-lang/expr/vm"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/registry"
)

// coreColumns are the parameters every result file carries, so that a row
// says what it is even when the sweep left them at their defaults.
var coreColumns = []string{"model", "hardware", "mode", "precision", "batch_size", "seq_len", "efficiency", "fidelity"}

// alwaysWritten are outputs of other groups that every run writes: which
// calibration profile a row used and the error band of its prediction say
// how far to trust it.
var alwaysWritten = map[string]bool{"calibration": true, "latency_s_lo": true, "latency_s_hi": true, "ttft_s_lo": true, "ttft_s_hi": true,
	"itl_s_lo": true, "itl_s_hi": true}

type colKind uint8

const (
	colIndex colKind = iota
	colParam
	colDerived
	colOutput
)

// column is where one result column takes its values from.
type column struct {
	kind  colKind
	param *engine.Param
	out   *engine.Output
	slot  int // row slot (params, derived)
	str   bool
	dict  *strDict // a coded string column: its dictionary
}

// strDict is the dictionary of a coded string column: every value the
// column can hold, in the order the sweep names them (axis values) or the
// engine defines them (enum names), and the code of each.
type strDict struct {
	values []string
	index  map[string]int32
}

func newStrDict() *strDict { return &strDict{index: map[string]int32{}} }

// add adds v unless present and returns its code.
func (d *strDict) add(v string) int32 {
	if c, ok := d.index[v]; ok {
		return c
	}
	c := int32(len(d.values))
	d.values = append(d.values, v)
	d.index[v] = c
	return c
}

// enumNames returns the distinct names of a uint8 enumeration, in the
// order of their values, from its String method: every value the type can
// hold, out-of-range fallbacks included.
func enumNames(name func(i uint8) string) []string {
	d := newStrDict()
	for i := range 256 {
		d.add(name(uint8(i)))
	}
	return d.values
}

// outputEnums gives, for the string outputs that print an enumeration, the
// names of that enumeration: their columns are coded. Other string outputs
// (names from the registry, texts) stay plain strings.
var outputEnums = map[string]func() []string{
	"bottleneck":        func() []string { return enumNames(func(i uint8) string { return engine.Bottleneck(i).String() }) },
	"infeasible_reason": func() []string { return enumNames(func(i uint8) string { return engine.Reason(i).String() }) },
	"dist_reason":       func() []string { return enumNames(func(i uint8) string { return engine.DistReason(i).String() }) },
	"calibration":       func() []string { return enumNames(func(i uint8) string { return calibration.Kind(i).String() }) },
}

// scenarioSlots are the parameters a scenario sets behind the axes' backs
// (syncScenario): in a sweep with a scenario their columns stay plain
// strings, since their values are only known row by row.
var scenarioSlots = []string{"model", "hardware", "precision", "mode", "system"}

// plan is the compiled form of a spec that every worker shares, read-only.
type plan struct {
	spec        *Spec
	base        engine.Config // the spec's base configuration, with the run's settings
	schema      *outputs.Schema
	cols        []column
	radix       []int64
	axisSlots   [][]*symbol // per axis, per param: the row slot it sets
	baseNum     []float64   // row slots before any axis applies
	baseStr     []string
	derived     []*Derived
	derSlots    []int
	preCons     []*compiled // constraints on parameters only
	postCons    []postCon   // constraints that read outputs
	outSlots    []outSlot   // outputs that constraints or objectives read
	objSlots    []int
	groupBy     []*symbol
	needVM      bool
	checkCfg    bool // derived values set parameters: validate each row's config
	order       []applyStep
	scenario    bool        // the sweep sets a scenario, which sets other parameters
	baseCodes   []int32     // per string slot: the code of baseStr's value in its column's dictionary
	ops         []rowOp     // the columns a row appends: index, parameters, derived values
	outOps      []rowOp     // the output columns, appended by flush
	nullClasses []nullClass // the distinct modes and null conditions of outOps
	// split, when > 0, is the first step of order that the last axis sets,
	// with a step of another axis before it and no scenario: an evaluator
	// applies the steps before it once per position of the other axes
	// (evaluator.pre).
	split int
}

type outSlot struct {
	out  *engine.Output
	slot int
}

// postCon is a constraint that reads outputs. It fails on a row where one
// of the outputs it reads is null (engine.Output.Null): a condition on a
// value the row does not have is not met, whatever its form.
type postCon struct {
	expr  *compiled
	nulls []*engine.Output // the outputs it reads that can be null
}

// readsNull reports whether one of the outputs c reads is null for r.
func (c *postCon) readsNull(r *engine.Result) bool {
	for _, o := range c.nulls {
		if o.Null(r) {
			return true
		}
	}
	return false
}

// newPlan compiles s for evaluation.
func newPlan(s *Spec) (*plan, error) {
	pl := &plan{spec: s, schema: &outputs.Schema{}}
	// Columns: the index, the parameters, the derived values, the outputs.
	pl.addCol(column{kind: colIndex}, outputs.ColumnSpec{Name: "index", Type: outputs.Int64, Doc: "the configuration's position in the grid (mixed radix, last axis fastest)"})
	declared := map[string]bool{}
	for _, b := range s.Fixed {
		declared[b.Param.Name] = true
	}
	for _, ax := range s.Axes {
		for _, pr := range ax.Params {
			declared[pr.Name] = true
		}
	}
	for _, d := range s.Derived {
		if d.Param != nil {
			declared[d.Name] = true
		}
	}
	for _, pr := range engine.Params() {
		if !declared[pr.Name] && !contains(coreColumns, pr.Name) {
			continue
		}
		sym := s.syms[pr.Name]
		cs := outputs.ColumnSpec{Name: pr.Name, Unit: pr.Unit, Doc: pr.Doc}
		switch pr.Type {
		case engine.TypeInt:
			cs.Type = outputs.Int64
		case engine.TypeFloat:
			cs.Type = outputs.Float64
		case engine.TypeBool:
			cs.Type = outputs.Bool
		default:
			cs.Type = outputs.String
		}
		pl.addCol(column{kind: colParam, param: pr, slot: sym.slot, str: sym.kind == symStr}, cs)
	}
	for _, d := range s.Derived {
		if d.Param != nil {
			continue
		}
		pl.addCol(column{kind: colDerived, slot: s.syms[d.Name].slot},
			outputs.ColumnSpec{Name: d.Name, Type: outputs.Float64, Doc: "derived: " + d.expr.src})
	}
	// The outputs: those the sweep names, or else the core ones and those of
	// every model whose parameters the sweep sets.
	groups := map[string]bool{engine.GroupCore: true}
	for name := range declared {
		groups[engine.ParamGroup(name)] = true
	}
	// Work no written column needs is skipped.
	pl.base = s.Base
	pl.base.Serve.SkipBatchingThroughput = !groups[engine.GroupServingScale] && !contains(s.Outputs.Columns, "paged_tokens_per_s") &&
		!contains(s.Outputs.Columns, "static_tokens_per_s") && !contains(s.Outputs.Columns, "batching_speedup")
	for _, o := range engine.Outputs() {
		if len(s.Outputs.Columns) > 0 {
			if !contains(s.Outputs.Columns, o.Name) && o.Name != "feasible" && o.Name != "infeasible_reason" {
				continue
			}
		} else if !groups[engine.OutputGroup(o.Name)] && !alwaysWritten[o.Name] {
			continue
		}
		if o.Modes&s.Modes == 0 || declared[o.Name] {
			continue
		}
		cs := outputs.ColumnSpec{Name: o.Name, Unit: o.Unit, Doc: o.Doc, Nullable: o.Modes&s.Modes != s.Modes || o.Nullable()}
		switch o.Type {
		case engine.OutFloat:
			cs.Type = outputs.Float64
		case engine.OutBool:
			cs.Type = outputs.Bool
		case engine.OutString:
			cs.Type = outputs.String
		}
		pl.addCol(column{kind: colOutput, out: o}, cs)
	}

	// The grid.
	for _, ax := range s.Axes {
		pl.radix = append(pl.radix, int64(ax.Len()))
		slots := make([]*symbol, len(ax.Params))
		for k, pr := range ax.Params {
			slots[k] = s.syms[pr.Name]
		}
		pl.axisSlots = append(pl.axisSlots, slots)
	}
	// The calibration profile of each hardware value, resolved once from
	// the run's profile set, so that a row sets it with a pointer copy.
	pl.base.ResolveProfile()
	// The order parameters apply in: the vocabulary's.
	rank := map[string]int{}
	for i, pr := range engine.Params() {
		rank[pr.Name] = i
	}
	for _, b := range s.Fixed {
		st := applyStep{param: b.Param, sym: s.syms[b.Param.Name], axis: -1, value: b.Value}
		pl.resolveProfiles(&st, []engine.Value{b.Value})
		pl.order = append(pl.order, st)
		pl.scenario = pl.scenario || b.Param.Name == "scenario"
	}
	for a, ax := range s.Axes {
		for k, pr := range ax.Params {
			st := applyStep{param: pr, sym: s.syms[pr.Name], axis: a, k: k}
			vals := make([]engine.Value, len(ax.Values))
			for j := range ax.Values {
				vals[j] = ax.Values[j][k]
			}
			st.vals = vals
			pl.resolveProfiles(&st, vals)
			pl.order = append(pl.order, st)
			pl.scenario = pl.scenario || pr.Name == "scenario"
		}
	}
	sort.SliceStable(pl.order, func(i, j int) bool { return rank[pl.order[i].param.Name] < rank[pl.order[j].param.Name] })
	if !pl.scenario && len(pl.radix) > 1 {
		last, outer := len(pl.radix)-1, false
		for j, st := range pl.order {
			if st.axis == last {
				if outer {
					pl.split = j
				}
				break
			}
			outer = outer || st.axis >= 0
		}
	}
	// Row slots before the axes: defaults, then the fixed values.
	pl.baseNum = make([]float64, s.nNum)
	pl.baseStr = make([]string, s.nStr)
	for _, pr := range engine.Params() {
		sym := s.syms[pr.Name]
		if pr.Default == "" {
			continue
		}
		v, err := pr.Parse(s.Registry, pr.Default)
		if err != nil {
			return nil, fmt.Errorf("default of %s: %w", pr.Name, err)
		}
		pl.setSlot(pl.baseNum, pl.baseStr, sym, v)
	}
	for _, b := range s.Fixed {
		pl.setSlot(pl.baseNum, pl.baseStr, s.syms[b.Param.Name], b.Value)
	}
	pl.codeColumns()
	pl.rowOps()
	// Expressions.
	for _, d := range s.Derived {
		pl.derived = append(pl.derived, d)
		pl.derSlots = append(pl.derSlots, s.syms[d.Name].slot)
		if d.Param != nil {
			pl.checkCfg = true
		}
		pl.needVM = pl.needVM || d.expr.fn == nil
	}
	needOut := map[string]bool{}
	for _, c := range s.Constraints {
		if c.expr.usesOutputs {
			pc := postCon{expr: c.expr}
			for _, n := range c.expr.names {
				if o := engine.LookupOutput(n); o != nil && o.Nullable() && s.syms[n] != nil && s.syms[n].isOutput {
					pc.nulls = append(pc.nulls, o)
				}
			}
			pl.postCons = append(pl.postCons, pc)
		} else {
			pl.preCons = append(pl.preCons, c.expr)
		}
		pl.needVM = pl.needVM || c.expr.fn == nil
		for _, n := range c.expr.names {
			needOut[n] = true
		}
	}
	for _, o := range s.Objectives {
		needOut[o.Name] = true
		pl.objSlots = append(pl.objSlots, s.syms[o.Name].slot)
	}
	for _, o := range engine.Outputs() {
		if sym, ok := s.syms[o.Name]; ok && sym.isOutput && needOut[o.Name] {
			pl.outSlots = append(pl.outSlots, outSlot{o, sym.slot})
		}
	}
	for _, g := range s.GroupBy {
		pl.groupBy = append(pl.groupBy, s.syms[g])
	}
	return pl, nil
}

// resolveProfiles sets st.profiles to the calibration profile of the
// hardware each of vals sets (nil for a value that sets none), when st's
// parameter sets the hardware: hardware, a system, a scenario.
func (pl *plan) resolveProfiles(st *applyStep, vals []engine.Value) {
	switch st.param.RefKind {
	case registry.KindHardware, registry.KindCluster, registry.KindScenario:
	default:
		return
	}
	for _, v := range vals {
		c := pl.base
		c.Hardware = nil
		st.param.Apply(&c, v)
		c.ResolveProfile()
		st.profiles = append(st.profiles, c.Calib.Profile)
	}
}

// codeColumns gives the string columns whose values the plan knows a
// dictionary: a parameter's column holds its base value (when no axis sets
// it) and its axis values; an output's the names of its enumeration. Each
// axis step gets the code of each of its values, so a row sets a code with
// a copy.
func (pl *plan) codeColumns() {
	s := pl.spec
	pl.baseCodes = make([]int32, len(pl.baseStr))
	dicts := map[int]*strDict{} // by string slot
	for c := range pl.cols {
		col := &pl.cols[c]
		cs := &pl.schema.Cols[c]
		switch {
		case col.kind == colParam && col.str:
			if pl.scenario && contains(scenarioSlots, col.param.Name) {
				continue
			}
			d := newStrDict()
			onAxis := false
			for _, st := range pl.order {
				onAxis = onAxis || (st.axis >= 0 && st.sym.slot == col.slot)
			}
			if !onAxis {
				pl.baseCodes[col.slot] = d.add(pl.baseStr[col.slot])
			}
			for j := range pl.order {
				st := &pl.order[j]
				if st.sym.slot != col.slot || st.sym.kind != symStr {
					continue
				}
				if st.axis < 0 {
					st.codes = []int32{d.add(st.value.S)}
					continue
				}
				for _, v := range s.Axes[st.axis].Values {
					st.codes = append(st.codes, d.add(v[st.k].S))
				}
			}
			dicts[col.slot] = d
			col.dict = d
		case col.kind == colOutput && col.out.Type == engine.OutString && outputEnums[col.out.Name] != nil:
			d := newStrDict()
			for _, v := range outputEnums[col.out.Name]() {
				d.add(v)
			}
			col.dict = d
		default:
			continue
		}
		cs.Dict = col.dict.values
	}
}

func (pl *plan) addCol(c column, cs outputs.ColumnSpec) {
	pl.cols = append(pl.cols, c)
	pl.schema.Cols = append(pl.schema.Cols, cs)
}

func (pl *plan) setSlot(num []float64, str []string, sym *symbol, v engine.Value) {
	if sym.kind == symStr {
		str[sym.slot] = v.S
	} else {
		num[sym.slot] = v.F
	}
}

// applyStep is one parameter a row applies: a fixed value (axis < 0) or
// the value of an axis at the row's position.
type applyStep struct {
	param    *engine.Param
	sym      *symbol
	axis     int
	k        int
	value    engine.Value
	vals     []engine.Value         // an axis: the value at each position
	profiles []*calibration.Profile // an axis that sets the hardware: the profile of each value
	codes    []int32                // a coded string column: the code of each value (of the fixed value)
}

// syncScenario copies into the row's columns what a scenario parameter set
// in the configuration behind the columns' backs.
func (e *evaluator) syncScenario() {
	syms := e.pl.spec.syms
	c := &e.cfg
	if c.Model != nil {
		e.row.str[syms["model"].slot] = c.Model.Key
	}
	if c.Hardware != nil {
		e.row.str[syms["hardware"].slot] = c.Hardware.Key
	}
	e.row.str[syms["precision"].slot] = c.Precision.String()
	e.row.str[syms["mode"].slot] = c.Mode.String()
	e.row.num[syms["batch_size"].slot] = float64(c.BatchSize)
	if s, ok := syms["system"]; ok && c.Dist.System != nil {
		e.row.str[s.slot] = c.Dist.System.Key
	}
}

// evaluator evaluates rows of a plan. Each worker owns one.
type evaluator struct {
	pl  *plan
	pos []int64 // the row's position on each axis
	at  int64   // the configuration pos is the position of; -1 before the first
	cfg engine.Config
	// pre is cfg after the steps before pl.split, for the positions prePos
	// of every axis but the last (preOK: it holds them).
	pre    engine.Config
	prePos []int64
	preOK  bool
	row    row
	codes  []int32    // per string slot of a coded column: the code of row.str's value
	coders []outCoder // per column: the last value of a coded output column
	// err is the first failure on a row: an expression that failed (an
	// error, a non-number, a non-finite derived value) or a value a coded
	// column could not code. The row is not written and the run stops with
	// it.
	err  error
	res  *engine.Result // the row's result: ring[npend]
	memo engine.Memo    // work rows that differ only in batch size share
	// The rows appended to pendB since the last flush: their parameter
	// columns are in the batch, their results here (in order, with the
	// null conditions and mode of each), and flush appends their output
	// columns one column at a time, each a loop over the rows with one
	// output function, rather than one row at a time across the columns.
	ring     []engine.Result
	held     []engine.NullWhen
	modes    []engine.Mode
	valid    []bool // per null class, per pending row: the class's outputs have a value
	allValid []bool // per null class: every pending row has a value
	npend    int
	pendB    *outputs.Batch
	pendAt   int // pendB.Len before the first pending row

	env     map[string]any // for expressions the lowering does not cover
	vm      vm.VM
	objVals []float64
	group   []byte
	front   *GroupedFront
	// counters
	evaluated, feasible, written int64
}

func newEvaluator(pl *plan) *evaluator {
	e := &evaluator{pl: pl, pos: make([]int64, len(pl.radix)), at: -1}
	if pl.split > 0 {
		e.prePos = make([]int64, len(pl.radix)-1)
	}
	e.row.num = slices.Clone(pl.baseNum)
	e.row.str = slices.Clone(pl.baseStr)
	e.codes = slices.Clone(pl.baseCodes)
	e.coders = make([]outCoder, len(pl.cols))
	e.ring = make([]engine.Result, ringRows)
	e.held = make([]engine.NullWhen, ringRows)
	e.modes = make([]engine.Mode, ringRows)
	e.valid = make([]bool, ringRows*len(pl.nullClasses))
	e.allValid = make([]bool, len(pl.nullClasses))
	e.res = &e.ring[0]
	e.objVals = make([]float64, len(pl.objSlots))
	if len(pl.objSlots) > 0 {
		e.front = NewGroupedFront(pl.spec.Objectives)
	}
	if pl.needVM {
		e.env = map[string]any{}
	}
	return e
}

// fillEnv copies the row into the map environment expr's VM reads.
func (e *evaluator) fillEnv() {
	for name, s := range e.pl.spec.syms {
		switch {
		case s.kind == symStr:
			e.env[name] = e.row.str[s.slot]
		case s.boolean:
			e.env[name] = e.row.num[s.slot] != 0
		default:
			e.env[name] = e.row.num[s.slot]
		}
	}
}

func (e *evaluator) test(c *compiled) bool {
	if c.fn != nil {
		return c.fn(&e.row) != 0
	}
	e.fillEnv()
	v, err := c.eval(&e.row, e.env, &e.vm)
	if err != nil {
		e.fail(c.runError(e.at, "%v", err))
		return false
	}
	return v != 0
}

// fail records the first expression error of the evaluator's rows.
func (e *evaluator) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// configure sets e.cfg and the row slots for configuration i. It reports
// false when a derived value makes the configuration invalid.
func (e *evaluator) configure(i int64) bool {
	pl := e.pl
	if pl.scenario {
		// A scenario sets some slots only for some rows (syncScenario):
		// start from the base. Without one, every slot a row writes (axis
		// values, derived values, outputs) it writes on every row, and the
		// others keep their base values.
		copy(e.row.num, pl.baseNum)
		copy(e.row.str, pl.baseStr)
		copy(e.codes, pl.baseCodes)
	}
	e.position(i)
	from := 0
	if pl.split > 0 {
		// The steps before the last axis's first depend on the other axes
		// only: applied once while those stay (in a sweep, for a run of
		// the last axis's values), their configuration and slots are kept.
		if !e.preOK || !slices.Equal(e.prePos, e.pos[:len(e.prePos)]) {
			e.cfg = pl.base
			e.apply(0, pl.split)
			e.pre = e.cfg
			copy(e.prePos, e.pos)
			e.preOK = true
		} else {
			e.cfg = e.pre
		}
		from = pl.split
	} else {
		e.cfg = pl.base
	}
	e.apply(from, len(pl.order))
	if pl.scenario {
		e.syncScenario()
	}
	valid := true
	for j, d := range pl.derived {
		var x float64
		if d.expr.fn != nil {
			x = d.expr.fn(&e.row)
		} else {
			e.fillEnv()
			var err error
			if x, err = d.expr.eval(&e.row, e.env, &e.vm); err != nil {
				e.fail(d.expr.runError(i, "%v", err))
			}
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			e.fail(d.expr.runError(i, "the value is %v; a derived value must be a finite number", x))
		}
		if d.Param != nil {
			if d.Param.Type == engine.TypeInt {
				x = math.Round(x)
			}
			if !d.Param.Accepts(x) {
				valid = false
			}
			d.Param.Apply(&e.cfg, engine.Value{F: x})
		}
		e.row.num[pl.derSlots[j]] = x
	}
	if pl.checkCfg && valid && e.cfg.Validate() != nil {
		valid = false
	}
	return valid
}

// apply applies the steps pl.order[from:to] of the row at e.pos to e.cfg
// and the row slots. Parameters apply in vocabulary order, so that one
// that sets others (a scenario) comes first and those given beside it
// override it.
func (e *evaluator) apply(from, to int) {
	pl := e.pl
	for j := from; j < to; j++ {
		st := &pl.order[j]
		v, at := &st.value, 0
		if st.axis >= 0 {
			at = int(e.pos[st.axis])
			v = &st.vals[at]
		} else if !pl.scenario {
			continue // fixed values are in the base configuration already
		}
		st.param.Apply(&e.cfg, *v)
		if st.profiles != nil && st.profiles[at] != nil {
			e.cfg.Calib.Profile = st.profiles[at]
		}
		if st.sym.kind == symStr {
			e.row.str[st.sym.slot] = v.S
			if st.codes != nil {
				e.codes[st.sym.slot] = st.codes[at]
			}
		} else {
			e.row.num[st.sym.slot] = v.F
		}
	}
}

// position sets e.pos to the position of configuration i on each axis
// (mixed radix, last axis fastest). The next configuration of the one
// before, the common case, is one increment with carries.
func (e *evaluator) position(i int64) {
	radix := e.pl.radix
	if i == e.at+1 && e.at >= 0 {
		for a := len(radix) - 1; a >= 0; a-- {
			if e.pos[a]++; e.pos[a] < radix[a] {
				break
			}
			e.pos[a] = 0
		}
	} else {
		rem := i
		for a := len(radix) - 1; a >= 0; a-- {
			e.pos[a] = rem % radix[a]
			rem /= radix[a]
		}
	}
	e.at = i
}

// evalRow evaluates configuration i and appends it to b unless a
// constraint drops it. A row on which an expression fails is not written:
// e.err says why, and the caller stops.
func (e *evaluator) evalRow(i int64, b *outputs.Batch) {
	pl := e.pl
	e.settle(b)
	e.res = &e.ring[e.npend]
	valid := e.configure(i)
	if e.err != nil {
		return
	}
	for _, c := range pl.preCons {
		if !e.test(c) {
			return
		}
	}
	if valid {
		engine.EvaluateMemoTo(&e.cfg, &e.memo, e.res)
	} else {
		*e.res = engine.Result{Reason: engine.ReasonInvalid}
	}
	e.evaluated++
	for _, os := range pl.outSlots {
		if os.out.Null(e.res) {
			// NaN keeps a null off the Pareto front; constraints that
			// read it fail before they look (postCon.readsNull).
			e.row.num[os.slot] = math.NaN()
			continue
		}
		switch os.out.Type {
		case engine.OutFloat:
			e.row.num[os.slot] = os.out.Float(e.res)
		case engine.OutBool:
			e.row.num[os.slot] = b2f(os.out.Bool(e.res))
		case engine.OutString:
			e.row.str[os.slot] = os.out.String(e.res)
		}
	}
	for k := range pl.postCons {
		if c := &pl.postCons[k]; c.readsNull(e.res) || !e.test(c.expr) {
			return
		}
	}
	if e.err != nil {
		return
	}
	if e.res.Feasible {
		e.feasible++
		if e.front != nil {
			ok := true
			for k, s := range pl.objSlots {
				e.objVals[k] = e.row.num[s]
				if math.IsNaN(e.objVals[k]) || math.IsInf(e.objVals[k], 0) {
					ok = false
				}
			}
			if ok {
				e.front.AddBytes(e.groupKey(), i, e.objVals)
			}
		}
	}
	e.written++
	e.appendRow(i, b)
}

// groupKey renders the group_by values of the row, "" without group_by,
// into a buffer reused from row to row.
func (e *evaluator) groupKey() []byte {
	e.group = e.group[:0]
	for k, s := range e.pl.groupBy {
		if k > 0 {
			e.group = append(e.group, '/')
		}
		if s.kind == symStr {
			e.group = append(e.group, e.row.str[s.slot]...)
		} else {
			e.group = fmt.Append(e.group, e.row.num[s.slot])
		}
	}
	return e.group
}

func (e *evaluator) appendRow(i int64, b *outputs.Batch) {
	for k := range e.pl.ops {
		op := &e.pl.ops[k]
		col := &b.Cols[op.col]
		switch op.kind {
		case opIndex:
			col.I = append(col.I, i)
		case opCode:
			col.Codes = append(col.Codes, e.codes[op.slot])
		case opStr:
			col.S = append(col.S, e.row.str[op.slot])
		case opInt:
			col.I = append(col.I, int64(e.row.num[op.slot]))
		case opBool:
			col.B = append(col.B, e.row.num[op.slot] != 0)
		case opFloat:
			col.F = append(col.F, e.row.num[op.slot])
		}
	}
	// The outputs wait in the ring (e.res is its slot npend) for flush.
	if e.npend == 0 {
		e.pendB, e.pendAt = b, b.Len
	}
	e.held[e.npend] = e.res.NullConditions()
	e.modes[e.npend] = e.cfg.Mode
	e.npend++
	b.Len++
	if e.npend == len(e.ring) {
		e.flush()
	}
}

// ringRows is how many rows' results an evaluator holds before it appends
// their outputs: 32 results of about 1 KB stay in the core's caches.
const ringRows = 32

// settle readies the ring for a row of b: rows pending for another batch
// are flushed into it, or dropped with it when it was reset since (its
// row count is no longer theirs).
func (e *evaluator) settle(b *outputs.Batch) {
	if e.npend > 0 && (e.pendB != b || b.Len != e.pendAt+e.npend) {
		e.flush()
	}
}

// flush appends the output columns of the pending rows to their batch. A
// batch reset since they were appended gets nothing (its rows went with
// it), but their coded values are still checked, so that a value outside a
// column's dictionary fails the run as if the batch had been written.
// Every consumer of a batch flushes the evaluator that filled it first.
func (e *evaluator) flush() {
	n := e.npend
	if n == 0 {
		return
	}
	e.npend = 0
	b := e.pendB
	e.pendB = nil
	ring := e.ring[:n]
	if b.Len != e.pendAt+n {
		for k := range e.pl.outOps {
			if op := &e.pl.outOps[k]; op.kind == opOutCode {
				for r := range ring {
					e.coders[op.col].code(&e.pl.cols[op.col], op.out.String(&ring[r]), e)
				}
			}
		}
		return
	}
	// Which rows have a value, per class of outputs with the same modes
	// and null conditions: tested once per row and class, not per output.
	held, modes := e.held[:n], e.modes[:n]
	for c, cl := range e.pl.nullClasses {
		v := e.valid[c*ringRows:][:n]
		all := true
		for r := range v {
			v[r] = cl.modes.Has(modes[r]) && cl.nullWhen&held[r] == 0
			all = all && v[r]
		}
		e.allValid[c] = all
	}
	for k := range e.pl.outOps {
		op := &e.pl.outOps[k]
		col := &b.Cols[op.col]
		o := op.out
		v, all := e.valid[op.class*ringRows:][:n], e.allValid[op.class]
		switch op.kind {
		case opOutFloat:
			out := grow(&col.F, n)
			if all {
				for r := range out {
					out[r] = o.Float(&ring[r])
				}
				break
			}
			for r := range out {
				x := 0.0 // under a null: no engine number to leak into raw buffers
				if v[r] {
					x = o.Float(&ring[r])
				}
				out[r] = x
			}
		case opOutBool:
			out := grow(&col.B, n)
			for r := range out {
				out[r] = o.Bool(&ring[r])
			}
		case opOutCode:
			out, oc, src := grow(&col.Codes, n), &e.coders[op.col], &e.pl.cols[op.col]
			for r := range out {
				out[r] = oc.code(src, o.String(&ring[r]), e)
			}
		case opOutStr:
			out := grow(&col.S, n)
			for r := range out {
				out[r] = o.String(&ring[r])
			}
		}
		if op.nullable {
			col.Valid = append(col.Valid, v...)
		}
	}
}

// grow extends *s by n elements and returns them, to be set.
func grow[T any](s *[]T, n int) []T {
	l := len(*s)
	*s = slices.Grow(*s, n)[:l+n]
	return (*s)[l:]
}

// nullClass is the modes and null conditions of one or more output
// columns: on a row, they all have a value or all are null.
type nullClass struct {
	modes    engine.ModeMask
	nullWhen engine.NullWhen
}

// opKind is how a row appends one column's value (rowOp).
type opKind uint8

const (
	opIndex    opKind = iota // the configuration's index
	opCode                   // a coded string parameter: its code
	opStr                    // a plain string parameter
	opInt                    // a numeric slot as an integer
	opBool                   // a numeric slot as a boolean
	opFloat                  // a numeric slot (a parameter or a derived value)
	opOutFloat               // a number output, 0 under a null
	opOutBool                // a boolean output
	opOutCode                // a coded string output: its code
	opOutStr                 // a plain string output
)

// rowOp appends one column's value of a row: the column's source and
// type resolved once per plan (rowOps), so that a row runs one switch a
// column. An output is null on a row whose mode it lacks (modes) or on
// which one of its null conditions holds (nullWhen against
// engine.Result.NullConditions).
type rowOp struct {
	kind     opKind
	nullable bool // the column has a validity slice
	modes    engine.ModeMask
	nullWhen engine.NullWhen
	col      int32 // the batch's column
	slot     int32 // the row slot of a parameter or derived value
	out      *engine.Output
	class    int // an output's index in plan.nullClasses
}

// rowOps compiles the plan's columns into the operations appendRow (the
// parameters, derived values and the index) and flush (the outputs) run.
func (pl *plan) rowOps() {
	for c := range pl.cols {
		src, spec := &pl.cols[c], &pl.schema.Cols[c]
		op := rowOp{col: int32(c), slot: int32(src.slot), nullable: spec.Nullable}
		switch src.kind {
		case colIndex:
			op.kind = opIndex
		case colParam:
			switch {
			case src.str && src.dict != nil:
				op.kind = opCode
			case src.str:
				op.kind = opStr
			case spec.Type == outputs.Int64:
				op.kind = opInt
			case spec.Type == outputs.Bool:
				op.kind = opBool
			default:
				op.kind = opFloat
			}
		case colDerived:
			op.kind = opFloat
		case colOutput:
			o := src.out
			op.out, op.modes, op.nullWhen = o, o.Modes, o.NullWhen
			switch {
			case o.Type == engine.OutFloat:
				op.kind = opOutFloat
			case o.Type == engine.OutBool:
				op.kind = opOutBool
			case src.dict != nil:
				op.kind = opOutCode
			default:
				op.kind = opOutStr
			}
		}
		if src.kind == colOutput {
			cl := nullClass{op.modes, op.nullWhen}
			op.class = slices.Index(pl.nullClasses, cl)
			if op.class < 0 {
				op.class = len(pl.nullClasses)
				pl.nullClasses = append(pl.nullClasses, cl)
			}
			pl.outOps = append(pl.outOps, op)
		} else {
			pl.ops = append(pl.ops, op)
		}
	}
}

// outCoder codes the values of one coded output column. Outputs print
// their enumeration from fixed tables, so a value is most often the very
// string of the row before: comparing with it is cheaper than a map lookup.
type outCoder struct {
	last string
	c    int32
	ok   bool // last and c hold a value and its code
}

// code returns the code of v in src's dictionary. A value outside it
// records an error in e (the run fails with it) and codes as 0.
func (oc *outCoder) code(src *column, v string, e *evaluator) int32 {
	if oc.ok && v == oc.last {
		return oc.c
	}
	c, ok := src.dict.index[v]
	if !ok {
		if e.err == nil {
			e.err = fmt.Errorf("column %s: value %q is not among the names of its enumeration", src.out.Name, v)
		}
		return 0
	}
	oc.last, oc.c, oc.ok = v, c, true
	return c
}

func newBatchFor(pl *plan, n int) *outputs.Batch { return outputs.NewBatch(pl.schema, n) }
