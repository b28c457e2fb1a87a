package dse

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mlsysim/mlsysim-go/engine"
)

// The text of an objective has one canonical form, the run manifest's:
//
//	maximize:tokens_per_s
//	minimize:latency_s
//
// ParseObjective also reads the column-first form of `sweep plot
// --objectives` ("latency_s:min", "tokens_per_s:maximize"), and a bare
// column name, which takes the direction the vocabulary gives the output.

// String returns the objective's canonical text, "maximize:NAME" or
// "minimize:NAME".
func (o Objective) String() string {
	if o.Maximize {
		return "maximize:" + o.Name
	}
	return "minimize:" + o.Name
}

// direction maps a direction word (case-insensitive) to maximize; ok is
// false for any other word.
func direction(s string) (maximize, ok bool) {
	switch strings.ToLower(s) {
	case "max", "maximize":
		return true, true
	case "min", "minimize":
		return false, true
	}
	return false, false
}

// ParseObjective reads one objective. It accepts
//
//	maximize:NAME, minimize:NAME   the canonical form (String's)
//	max:NAME, min:NAME             its short form
//	NAME:max, NAME:min, NAME:maximize, NAME:minimize   the column-first form
//	NAME, NAME:                    maximised if the vocabulary says the output
//	                               is better higher, else minimised
//
// Direction words are case-insensitive; spaces around the parts are
// ignored. The name is not checked against the vocabulary or any results:
// that is the caller's, who knows the columns.
func ParseObjective(s string) (Objective, error) {
	s = strings.TrimSpace(s)
	first, second, hasDir := strings.Cut(s, ":")
	first, second = strings.TrimSpace(first), strings.TrimSpace(second)
	if first == "" {
		if s == "" {
			return Objective{}, errors.New("empty objective: want column:min or column:max")
		}
		return Objective{}, fmt.Errorf("objective %q: no column name", s)
	}
	if !hasDir || second == "" { // "latency_s" or "latency_s:"; "max:" is the column max
		col, _ := engine.Lookup(first)
		return Objective{Name: first, Maximize: col.Better == engine.HigherIsBetter}, nil
	}
	if max, ok := direction(first); ok { // "maximize:NAME"; so no column is named max or min
		return Objective{Name: second, Maximize: max}, nil
	}
	max, ok := direction(second)
	if !ok {
		return Objective{}, fmt.Errorf("%q: direction %q is not min or max", first, second)
	}
	return Objective{Name: first, Maximize: max}, nil
}

// ParseObjectives reads a comma-separated list of objectives, each as
// ParseObjective reads it: "latency_s:min,tokens_per_s:max" or
// "minimize:latency_s,maximize:tokens_per_s". It does not bound their
// number.
func ParseObjectives(s string) ([]Objective, error) {
	var objs []Objective
	for _, part := range strings.Split(s, ",") {
		o, err := ParseObjective(part)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// FormatObjectives returns the canonical text of each objective, in order:
// the list a run manifest records.
func FormatObjectives(objs []Objective) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.String()
	}
	return out
}
