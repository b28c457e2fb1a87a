package figures

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// Breakdown draws where the time of a step goes, as stacked bars: for a
// training step (step_time_s, the default) the replica's time by
// operation class (matrix products, attention, element-wise, optimizer,
// launch and dispatch overhead: the calibrated fidelity's time_*_s),
// the exposed communication of each parallelism (DP, TP, PP, EP, CP), the
// pipeline bubble and the straggler's share; for inference (latency_s)
// the operation classes; for serving the batch's prefill (prefill_s) or
// one decode step (itl_s) by operation class with their tensor-parallel
// all-reduces, pipeline stage-to-stage sends and KV transfer. The total is marked on each bar. A row
// without operation classes (fidelity mlsysim, or results written before
// them) shows its replica_s as one "compute" part. Without Request.X, the
// bars are the ten fastest configurations, labelled by the parameters that
// differ between them; with it, one bar per value of X, its fastest
// configuration. Null parts count as 0; rows with a null total are
// skipped.
type Breakdown struct{}

// Name returns "breakdown".
func (Breakdown) Name() string { return "breakdown" }

// A breakdownPart is a segment of a bar: a column and its name.
// op marks an operation class, which a replica_s part does not repeat.
type breakdownPart struct {
	col, name string
	op        bool
}

// partColors colour the parts by family, so that a dozen stay apart:
// computation in blues and greens (Okabe-Ito's, with a light and a dark
// variant), communication in oranges and browns, waiting in greys.
var partColors = map[string]color.Color{
	"matmul":          color.RGBA{0x00, 0x72, 0xB2, 0xff},
	"attention":       color.RGBA{0x56, 0xB4, 0xE9, 0xff},
	"element-wise":    color.RGBA{0x00, 0x9E, 0x73, 0xff},
	"optimizer":       color.RGBA{0x8F, 0xD1, 0xB9, 0xff},
	"launch/dispatch": color.RGBA{0xCC, 0x79, 0xA7, 0xff},
	"compute":         color.RGBA{0x1F, 0x3A, 0x5F, 0xff},
	"DP comm.":        color.RGBA{0xD5, 0x5E, 0x00, 0xff},
	"TP comm.":        color.RGBA{0xE6, 0x9F, 0x00, 0xff},
	"PP comm.":        color.RGBA{0xF0, 0xE4, 0x42, 0xff},
	"EP comm.":        color.RGBA{0xF2, 0xB2, 0x88, 0xff},
	"CP comm.":        color.RGBA{0x8C, 0x51, 0x0A, 0xff},
	"KV transfer":     color.RGBA{0x8C, 0x51, 0x0A, 0xff},
	"bubble":          color.RGBA{0xA6, 0xA6, 0xA6, 0xff},
	"straggler":       color.RGBA{0x59, 0x59, 0x59, 0xff},
}

// opClasses are the operation-class parts of a total, by prefix.
func opClasses(prefix string) []breakdownPart {
	return []breakdownPart{
		{prefix + "matmul_s", "matmul", true},
		{prefix + "attention_s", "attention", true},
		{prefix + "elementwise_s", "element-wise", true},
		{prefix + "optimizer_s", "optimizer", true},
		{prefix + "overhead_s", "launch/dispatch", true},
	}
}

// replicaRest names the part of replica_s the operation classes do not
// hold: all of it for a row priced without them.
const replicaRest = "replica_s"

// breakdownParts returns the segments of total, bottom up: the operation
// classes, then (training) the rest of the replica, communication, bubble
// and straggler; (serving) all-reduces, stage-to-stage sends, EP
// all-to-alls and KV transfer.
func breakdownParts(total string) []breakdownPart {
	switch total {
	case "itl_s":
		return append(opClasses("decode_"), breakdownPart{"decode_comm_tp_s", "TP comm.", false},
			breakdownPart{"decode_comm_pp_s", "PP comm.", false},
			breakdownPart{"decode_comm_ep_s", "EP comm.", false})
	case "prefill_s":
		return append(opClasses("prefill_"), breakdownPart{"prefill_comm_tp_s", "TP comm.", false},
			breakdownPart{"prefill_comm_pp_s", "PP comm.", false},
			breakdownPart{"prefill_comm_ep_s", "EP comm.", false},
			breakdownPart{"prefill_kv_transfer_s", "KV transfer", false})
	}
	return append(opClasses("time_"),
		breakdownPart{replicaRest, "compute", false},
		breakdownPart{"comm_dp_s", "DP comm.", false},
		breakdownPart{"comm_tp_s", "TP comm.", false},
		breakdownPart{"comm_pp_s", "PP comm.", false},
		breakdownPart{"comm_ep_s", "EP comm.", false},
		breakdownPart{"comm_cp_s", "CP comm.", false},
		breakdownPart{"bubble_s", "bubble", false},
		breakdownPart{"straggler_s", "straggler", false})
}

// breakdownBars is how many configurations a breakdown without X shows.
const breakdownBars = 10

// Build reads the rows twice: the totals, then the chosen rows' parts.
func (k Breakdown) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	bars, base, err := k.bars(src, req)
	if bars == nil || err != nil {
		return nil, "", err
	}
	return bars.Figure(req.Style.plotStyle()), base, nil
}

// bars returns the bars Build draws.
func (Breakdown) bars(src *Source, req *Request) (*plots.Bars, string, error) {
	// The step's parts by default; a serving run, which has no step,
	// its decode step's.
	total := req.Y
	if total == "" {
		total = "step_time_s"
		if !src.has(total) && src.has("itl_s") {
			total = "itl_s"
		}
	}
	if err := src.column("--y", total); err != nil {
		return nil, "", err
	}
	var parts []breakdownPart
	for _, p := range breakdownParts(total) {
		if src.has(p.col) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		msg := fmt.Sprintf("breakdown: the results have no parts of %s (time_*_s, replica_s, comm_*_s, bubble_s; prefill_*_s for prefill_s, decode_*_s for itl_s)", total)
		if ps := breakdownParts(total); len(ps) > 0 {
			if hint := src.writtenWhen(ps[0].col); hint != "" {
				msg += "; " + strings.Replace(hint, "it ", "a part ", 1)
			}
		}
		return nil, "", &RequestError{errors.New(msg)}
	}
	x := req.X
	cols := []string{total}
	if x != "" {
		if err := src.column("--x", x); err != nil {
			return nil, "", err
		}
		cols = append(cols, x)
	}
	// Pass 1: the fastest row overall (the ten fastest), or per value of x.
	type pick struct {
		row   int64
		total float64
		x     string
	}
	var best []pick
	byX := map[string]int{}
	err := src.scan(req, cols, func(b *outputs.ColumnBatch, keep func(int) bool) error {
		for i := range b.Len {
			t := b.Cols[0].Float[i]
			if !keep(i) || !(t > 0) || math.IsInf(t, 0) {
				continue
			}
			p := pick{row: b.Offset + int64(i), total: t}
			if x != "" {
				p.x = label(&b.Cols[1], i)
				if k, ok := byX[p.x]; ok {
					if t < best[k].total {
						best[k] = p
					}
				} else if len(byX) < maxBarGroups {
					byX[p.x] = len(best)
					best = append(best, p)
				}
				continue
			}
			if len(best) == breakdownBars && t >= best[len(best)-1].total {
				continue
			}
			at, _ := slices.BinarySearchFunc(best, t, func(p pick, t float64) int {
				if p.total <= t {
					return -1
				}
				return 1
			})
			best = slices.Insert(best, at, p)
			if len(best) > breakdownBars {
				best = best[:breakdownBars]
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if len(best) == 0 {
		return nil, "", nil
	}
	if x != "" { // bars in the order of x's values
		var seen = map[string]bool{}
		for _, p := range best {
			seen[p.x] = true
		}
		order, err := rankOrder(src, x, seen)
		if err != nil {
			return nil, "", err
		}
		slices.SortStableFunc(best, func(a, b pick) int { return slices.Index(order, a.x) - slices.Index(order, b.x) })
	}
	rows := make([]int64, len(best))
	for i, p := range best {
		rows[i] = p.row
	}
	order := slices.Clone(rows)
	slices.Sort(order)
	// Pass 2: the parts and parameters of the chosen rows.
	params := paramColumns(src)
	cols2 := []string{total}
	for _, p := range parts {
		cols2 = append(cols2, p.col)
	}
	cols2 = append(cols2, params...)
	vals := map[int64][]float64{}
	labels := map[int64][]string{}
	err = outputs.ReadColumns(src.files, cols2, func(b *outputs.ColumnBatch) error {
		for i := range b.Len {
			row := b.Offset + int64(i)
			if _, ok := slices.BinarySearch(order, row); !ok {
				continue
			}
			v := make([]float64, 1+len(parts))
			for j := range v {
				if x := b.Cols[j].Float[i]; !math.IsNaN(x) && !math.IsInf(x, 0) { // null: 0
					v[j] = x
				}
			}
			restOfReplica(parts, v[1:])
			vals[row] = v
			ls := make([]string, len(params))
			for j := range params {
				ls[j] = label(&b.Cols[1+len(parts)+j], i)
			}
			labels[row] = ls
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	bars := &plots.Bars{Y: plots.Axis{Name: total, Unit: src.unit(total)}, Stacked: true, Horizontal: true}
	bars.Totals = make([]float64, len(rows))
	for k, row := range rows {
		bars.Totals[k] = vals[row][0]
	}
	for j, p := range parts {
		col := make([]float64, len(rows))
		any := false
		for k, row := range rows {
			col[k] = vals[row][1+j]
			any = any || col[k] > 0
		}
		if any {
			bars.Series = append(bars.Series, p.name)
			bars.Colors = append(bars.Colors, partColors[p.name])
			bars.Values = append(bars.Values, col)
		}
	}
	// Labels: x's value, else the parameters that differ between the bars.
	for _, row := range rows {
		var l []string
		for j, name := range params {
			if x != "" && name != x {
				continue
			}
			differs := false
			for _, other := range rows {
				differs = differs || labels[other][j] != labels[row][j]
			}
			if x != "" {
				l = append(l, labels[row][j])
			} else if _, ref := registryKind(name); differs && ref {
				l = append(l, labels[row][j]) // a registry name says what it is: B200
			} else if differs {
				l = append(l, short(name)+"="+labels[row][j])
			}
		}
		bars.Categories = append(bars.Categories, strings.Join(l, " "))
	}
	if x != "" {
		bars.Note = fmt.Sprintf("fastest configuration per %s", x)
	} else {
		bars.Note = fmt.Sprintf("the %d fastest configurations", len(rows))
	}
	bars.Note += "; line: " + lowerFirst(plots.Quantity(total))
	base := "breakdown-" + total
	if x != "" {
		base += "-by-" + x
	}
	return bars, base, nil
}

// restOfReplica replaces the replica_s value among v (the values of
// parts) by what the operation classes do not hold of it: 0 for a row
// they split (up to rounding), all of it for a row without them.
func restOfReplica(parts []breakdownPart, v []float64) {
	at, ops := -1, 0.0
	for j, p := range parts {
		if p.col == replicaRest {
			at = j
		} else if p.op {
			ops += v[j]
		}
	}
	if at < 0 {
		return
	}
	rest := v[at] - ops
	if rest <= 1e-9*v[at] {
		rest = 0
	}
	v[at] = rest
}

// lowerFirst lowers the first letter of a quantity's name for the middle
// of a sentence ("Step time" → "step time"), unless it begins an acronym
// ("ITL").
func lowerFirst(q string) string {
	r := []rune(q)
	if len(r) > 1 && unicode.IsUpper(r[1]) {
		return q
	}
	return strings.ToLower(q[:1]) + q[1:]
}

// paramColumns returns the results' columns that are parameters, in file
// order.
func paramColumns(src *Source) []string {
	var out []string
	for _, c := range src.Columns() {
		if engine.LookupParam(c) != nil && engine.LookupOutput(c) == nil {
			out = append(out, c)
		}
	}
	return out
}

// shortNames abbreviate parameters in bar labels.
var shortNames = map[string]string{"microbatches": "mb", "batch_size": "bs", "precision": "prec"}

func short(name string) string {
	if s, ok := shortNames[name]; ok {
		return s
	}
	return name
}
