package figures

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mlsysim/mlsysim-go/dse"
	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
	"github.com/mlsysim/mlsysim-go/registry"
)

// Source is the results of a run: its result files, their columns, and the
// registry that resolves hardware names into roofs. Figures read it in
// column batches, so a source of any size is drawn in bounded memory.
// Figures drawn from one Source share the colour and marker of each
// category (Identity); a Source is used by one goroutine at a time.
type Source struct {
	Dir   string // the run's output directory
	files []string
	info  *outputs.FileInfo
	reg   *registry.Registry
	ids   map[string]*plots.Identity // by column, built on first use
}

// Open returns the results of the run in dir (dir/results/*.parquet).
// reg resolves the hardware of a roofline's rows; Open panics if it is nil.
// A directory without results is a *RequestError.
func Open(dir string, reg *registry.Registry) (*Source, error) {
	if reg == nil {
		panic("figures: Open needs a registry")
	}
	files, err := outputs.ResultFiles(dir)
	if err != nil {
		return nil, &RequestError{err}
	}
	info, err := outputs.Inspect(files[0])
	if err != nil {
		return nil, err
	}
	return &Source{Dir: dir, files: files, info: info, reg: reg}, nil
}

// Columns returns the names of the results' columns, in file order.
func (s *Source) Columns() []string { return s.info.Names() }

// column checks that name is a column of the results; the error (a
// *RequestError, prefixed with flag) suggests close names.
func (s *Source) column(flag, name string) error {
	if s.info.Lookup(name) != nil {
		return nil
	}
	msg := fmt.Sprintf("%s: column %q is not in the results", flag, name)
	if sug := registry.Suggest(name, s.info.Names()); len(sug) > 0 {
		msg += "; did you mean " + strings.Join(sug, ", ") + "?"
	} else if hint := s.writtenWhen(name); hint != "" {
		msg += "; " + hint
	}
	return &RequestError{errors.New(msg)}
}

// writtenWhen says, for an output of the engine that these results lack,
// why: an output of another mode than the results' (the modes every output
// written has in common), or one a run writes only when its sweep asks for
// it, by setting a parameter of the output's group (the group's outputs
// come with it) or naming the output under outputs.columns. "" for a name
// that is no output, or where the results' mode cannot be told.
func (s *Source) writtenWhen(name string) string {
	o := engine.LookupOutput(name)
	if o == nil {
		return ""
	}
	modes := engine.InAll
	for _, c := range s.info.Names() {
		if w := engine.LookupOutput(c); w != nil {
			modes &= w.Modes
		}
	}
	if modes == 0 {
		return ""
	}
	if o.Modes&modes == 0 {
		var of []string
		for m := engine.Mode(0); m <= engine.Serving; m++ {
			if o.Modes.Has(m) {
				of = append(of, m.String())
			}
		}
		return fmt.Sprintf("it is an output of %s runs", strings.Join(of, " and "))
	}
	g := engine.OutputGroup(name)
	if g == "" || g == engine.GroupCore {
		return ""
	}
	var ps []string
	for _, p := range engine.Params() {
		if engine.ParamGroup(p.Name) == g {
			ps = append(ps, p.Name)
		}
	}
	const most = 16
	if len(ps) > most {
		ps = append(ps[:most:most], "...")
	}
	if len(ps) == 0 {
		return fmt.Sprintf("a run writes it when outputs.columns names it (its group %q has no parameter)", g)
	}
	return fmt.Sprintf("a run writes it when the sweep sets a parameter of its group %q (%s) or outputs.columns names it", g, strings.Join(ps, ", "))
}

// columns checks, in the order given, that each {flag, column} pair names a
// column of the results, so that a request missing several gets a stable
// error: the first.
func (s *Source) columns(fcs ...[2]string) error {
	for _, fc := range fcs {
		if err := s.column(fc[0], fc[1]); err != nil {
			return err
		}
	}
	return nil
}

// rate is the rate a figure plots by default: tokens per second where the
// results have it (serving), else samples per second.
func (s *Source) rate() string {
	if s.has("tokens_per_s") {
		return "tokens_per_s"
	}
	return "throughput_per_s"
}

// numeric checks that the column name, which exists, holds numbers.
func (s *Source) numeric(flag, name string) error {
	if s.info.Lookup(name).Kind != outputs.KindFloat {
		return &RequestError{fmt.Errorf("%s: column %q is not numeric", flag, name)}
	}
	return nil
}

func (s *Source) has(name string) bool { return s.info.Lookup(name) != nil }

// unit returns the SI unit of a column: from the file's metadata, else from
// the vocabulary.
func (s *Source) unit(name string) string {
	if u := s.info.Unit(name); u != "" {
		return u
	}
	c, _ := engine.Lookup(name)
	return c.Unit
}

// sentinels are outputs that hold a stand-in rather than a value when a
// boolean column is false: in runs written before such outputs became
// null (engine.Output.NullWhen), replicas is max_replicas when sla_met is
// false (no replica count up to max_replicas meets the P99 target). A
// figure showing such an output never draws those rows, even with
// AllRows. Nulls themselves read as NaN, which no figure draws.
var sentinels = map[string]string{"replicas": "sla_met"}

// scan reads cols (plus feasible, unless all rows are wanted, the guards
// of sentinel outputs, and the columns of the request's filter) and calls
// fn for each batch with a row filter: feasible rows whose outputs are
// values, not sentinels, that have a value in every column of cols (null
// stands for "not computed" or "unreachable": never drawn), and that
// satisfy the filter.
func (s *Source) scan(req *Request, cols []string, fn func(b *outputs.ColumnBatch, keep func(i int) bool) error) error {
	all, f := req.AllRows, req.filter
	need := slices.Clone(cols)
	if !all && s.has("feasible") && !slices.Contains(need, "feasible") {
		need = append(need, "feasible")
	}
	var fcols []int
	if f != nil {
		for _, u := range f.Uses {
			if !slices.Contains(need, u.Name) {
				need = append(need, u.Name)
			}
			fcols = append(fcols, slices.Index(need, u.Name))
		}
	}
	feas := -1
	if !all && s.has("feasible") {
		feas = slices.Index(need, "feasible")
	}
	// The guards of sentinel outputs among cols.
	var guards []int
	for _, c := range cols {
		if g, ok := sentinels[c]; ok && s.has(g) && s.info.Lookup(g).Kind == outputs.KindBool {
			if !slices.Contains(need, g) {
				need = append(need, g)
			}
			guards = append(guards, slices.Index(need, g))
		}
	}
	var ferr error
	err := outputs.ReadColumns(s.files, need, func(b *outputs.ColumnBatch) error {
		keep := func(i int) bool {
			for j := range cols {
				if b.Cols[j].IsNull(i) {
					return false
				}
			}
			if feas >= 0 {
				if c := &b.Cols[feas]; !c.Bool[i] || c.IsNull(i) {
					return false
				}
			}
			for _, g := range guards {
				if c := &b.Cols[g]; !c.Bool[i] || c.IsNull(i) {
					return false
				}
			}
			if f == nil {
				return true
			}
			for k, u := range f.Uses {
				c := &b.Cols[fcols[k]]
				if c.IsNull(i) {
					return false // a condition on a value the row lacks is not met, as in constraints
				}
				switch {
				case u.Text:
					f.Str[u.Slot] = c.String[i]
				case c.Kind == outputs.KindBool:
					f.Num[u.Slot] = 0
					if c.Bool[i] && !c.IsNull(i) {
						f.Num[u.Slot] = 1
					}
				default:
					f.Num[u.Slot] = c.Float[i]
				}
			}
			ok, err := f.Match()
			if err != nil && ferr == nil {
				ferr = err
			}
			return ok
		}
		if err := fn(b, keep); err != nil {
			return err
		}
		return ferr
	})
	if ferr != nil {
		return &RequestError{ferr}
	}
	return err
}

// compileFilter compiles a where expression over the results' columns.
func (s *Source) compileFilter(expr string) (*dse.Filter, error) {
	var num, text, boolean []string
	for _, c := range s.info.Columns {
		switch c.Kind {
		case outputs.KindString:
			text = append(text, c.Name)
		case outputs.KindBool:
			boolean = append(boolean, c.Name)
		default:
			num = append(num, c.Name)
		}
	}
	f, err := dse.CompileFilter(expr, num, text, boolean)
	if err != nil {
		return nil, &RequestError{fmt.Errorf("--where: %w", err)}
	}
	return f, nil
}

// label returns the text of row i of column c, for colours and groups.
func label(c *outputs.ColumnValues, i int) string {
	switch c.Kind {
	case outputs.KindString:
		return c.String[i]
	case outputs.KindBool:
		return strconv.FormatBool(c.Bool[i])
	}
	return strconv.FormatFloat(c.Float[i], 'g', -1, 64)
}

// maxIdentityValues bounds the distinct values an Identity collects; a
// column with more (a free-form number) ranks the first ones seen.
const maxIdentityValues = 4096

// registryKind returns the registry kind of a column that holds registry
// names (hardware, model, system ...: the vocabulary's TypeRef
// parameters), and false for other columns.
func registryKind(column string) (string, bool) {
	for _, p := range engine.Params() {
		if p.Name == column && p.Type == engine.TypeRef {
			return p.RefKind, true
		}
	}
	return "", false
}

// registryColumns returns the columns of registry names, in the
// vocabulary's order.
func registryColumns() []string {
	var out []string
	for _, p := range engine.Params() {
		if p.Type == engine.TypeRef {
			out = append(out, p.Name)
		}
	}
	return out
}

// Identity returns the ranks of the values of column over every row of the
// run, feasible or not, so that a category keeps its colour and marker in
// every figure drawn from s, whatever rows a figure shows. Registry names
// rank in registry order (the order of the data files), numbers in
// numeric order, precisions from the widest, other text alphabetically.
// "" (no colour) gives nil.
func (s *Source) Identity(column string) (*plots.Identity, error) {
	if column == "" {
		return nil, nil
	}
	if id, ok := s.ids[column]; ok {
		return id, nil
	}
	if err := s.column("--color", column); err != nil {
		return nil, err
	}
	var cats plots.Categories
	cats.Limit = maxIdentityValues
	err := outputs.ReadColumns(s.files, []string{column}, func(b *outputs.ColumnBatch) error {
		c := &b.Cols[0]
		for i := range b.Len {
			if !c.IsNull(i) {
				cats.Code(label(c, i))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("column %s: %w", column, err)
	}
	var labels []string
	if kind, ok := registryKind(column); ok {
		seen := map[string]bool{}
		for k := range cats.Len() {
			seen[cats.Name(k)] = true
		}
		for _, key := range s.reg.Keys(kind) {
			if seen[key] {
				labels = append(labels, key)
				delete(seen, key)
			}
		}
		// Names the registry does not know (user data files read by the
		// run but not by this registry) follow, in Sorted order.
		for _, k := range cats.Sorted() {
			if n := cats.Name(k); seen[n] {
				labels = append(labels, n)
			}
		}
	} else {
		for _, k := range cats.Sorted() {
			if k < maxIdentityValues {
				labels = append(labels, cats.Name(k))
			}
		}
	}
	id := plots.NewIdentity(column, labels)
	if s.ids == nil {
		s.ids = map[string]*plots.Identity{}
	}
	s.ids[column] = id
	return id, nil
}

// values returns the distinct values of column among the rows req keeps
// (its Where, feasible unless AllRows), in rank order (Identity).
func (s *Source) values(req *Request, column string) ([]string, error) {
	r := *req
	r.filter = nil
	if req.Where != "" {
		f, err := s.compileFilter(req.Where)
		if err != nil {
			return nil, err
		}
		r.filter = f
	}
	seen := map[string]bool{}
	err := s.scan(&r, []string{column}, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		c := &b.Cols[0]
		for i := range b.Len {
			if keep(i) && !c.IsNull(i) && len(seen) < maxIdentityValues {
				seen[label(c, i)] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	id, err := s.Identity(column)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range id.Labels() {
		if seen[l] {
			out = append(out, l)
		}
	}
	return out, nil
}

// varying returns the columns of cols that hold more than one value among
// the rows req keeps.
func (s *Source) varying(req *Request, cols []string) ([]string, error) {
	var out []string
	for _, c := range cols {
		vals, err := s.values(req, c)
		if err != nil {
			return nil, err
		}
		if len(vals) > 1 {
			out = append(out, c)
		}
	}
	return out, nil
}
