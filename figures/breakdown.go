package figures

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim-go/engine"
	"github.com/mlsysim/mlsysim-go/outputs"
	"github.com/mlsysim/mlsysim-go/plots"
)

// Breakdown draws where the time of a training step goes, as stacked
// bars: the replica's compute, the exposed communication of each
// parallelism (DP, TP, PP, EP, CP) and the pipeline bubble, with the step
// time (step_time_s, which also holds the straggler factor) marked on
// each bar. Without Request.X, the bars are the ten fastest
// configurations, labelled by the parameters that differ between them;
// with it, one bar per value of X, its fastest configuration.
type Breakdown struct{}

// Name returns "breakdown".
func (Breakdown) Name() string { return "breakdown" }

// breakdownParts are the segments of a step, bottom up: column and name.
var breakdownParts = [][2]string{
	{"replica_s", "compute"},
	{"comm_dp_s", "DP comm."},
	{"comm_tp_s", "TP comm."},
	{"comm_pp_s", "PP comm."},
	{"comm_ep_s", "EP comm."},
	{"comm_cp_s", "CP comm."},
	{"bubble_s", "bubble"},
}

// breakdownBars is how many configurations a breakdown without X shows.
const breakdownBars = 10

// Build reads the rows twice: the totals, then the chosen rows' parts.
func (Breakdown) Build(src *Source, req *Request) (*plots.Figure, string, error) {
	total := orDefault(req.Y, "step_time_s")
	if err := src.column("--y", total); err != nil {
		return nil, "", err
	}
	var parts [][2]string
	for _, p := range breakdownParts {
		if src.has(p[0]) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return nil, "", &RequestError{errors.New("breakdown: the results have no step-time parts (replica_s, comm_*_s, bubble_s): a training run's columns")}
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
		cols2 = append(cols2, p[0])
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
				v[j] = b.Cols[j].Float[i]
			}
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
			bars.Series = append(bars.Series, p[1])
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
	bars.Note += "; line: " + strings.ToLower(plots.Quantity(total))
	base := "breakdown-" + total
	if x != "" {
		base += "-by-" + x
	}
	return bars.Figure(plots.ColumnStyle), base, nil
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
