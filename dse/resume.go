package dse

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/mlsysim/mlsysim-go/calibration"
	"github.com/mlsysim/mlsysim-go/outputs"
)

// CalibrationHash returns the SHA-256 (hex) of the embedded calibration
// profiles, each in its JSON form, in hardware order: the data behind the
// calibrated fidelity's numbers.
func CalibrationHash() string {
	h := sha256.New()
	for _, p := range calibration.Measured() {
		b, err := json.Marshal(p)
		if err != nil {
			panic("dse: calibration profile does not marshal: " + err.Error())
		}
		h.Write(b)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// InputsHash returns the SHA-256 (hex) of what, besides the sweep file,
// determines a run's numbers: the tool version (the engine's formulas), the
// registry data and the calibration data. Two runs of the same sweep file
// with equal InputsHash write the same rows.
func InputsHash(s *Spec, version string) string {
	h := sha256.New()
	h.Write([]byte("version " + version + "\n"))
	h.Write([]byte("registry " + s.Registry.Hash() + "\n"))
	h.Write([]byte("calibration " + CalibrationHash() + "\n"))
	return hex.EncodeToString(h.Sum(nil))
}

// Remaining splits the parts of a run (all, from PartsOf) into those that a
// previous attempt wrote whole (done lists what it recorded) and those still
// to write. A part the previous attempt cut short is written again whole,
// under the same name, replacing the short file when the new one is
// complete: the finished run has exactly the files of an uninterrupted one.
func Remaining(all, done []outputs.Part) (keep, todo []outputs.Part) {
	whole := map[string]outputs.Part{}
	for _, p := range done {
		whole[p.File] = p
	}
	for _, p := range all {
		if d, ok := whole[p.File]; ok && d.Lo == p.Lo && d.Hi == p.Hi {
			keep = append(keep, d)
			continue
		}
		todo = append(todo, p)
	}
	return keep, todo
}

// FrontIndexes returns the indexes of every point of f, sorted; nil for a
// nil front.
func FrontIndexes(f *GroupedFront) []int64 {
	if f == nil {
		return nil
	}
	var idx []int64
	for _, front := range f.fronts {
		idx = front.AppendIndexes(idx)
	}
	slices.Sort(idx)
	return slices.Compact(idx)
}

// FrontOf evaluates the configurations idx again (a configuration is a
// function of its index) and returns their Pareto front, grouped as s asks.
// Since the front of a union is the front of the union of fronts, FrontOf of
// the front indexes of several runs, shards or parts is their joint front.
// It returns nil when s has no objectives.
func FrontOf(s *Spec, idx []int64) (*GroupedFront, error) {
	if len(s.Objectives) == 0 {
		return nil, nil
	}
	pl, err := newPlan(s)
	if err != nil {
		return nil, err
	}
	ev := newEvaluator(pl)
	const chunk = 4096
	b := outputs.NewBatch(pl.schema, chunk)
	for len(idx) > 0 {
		n := min(len(idx), chunk)
		b.Reset()
		for _, i := range idx[:n] {
			if i >= 0 && uint64(i) < s.Size() {
				ev.evalRow(i, b)
			}
		}
		idx = idx[n:]
	}
	return ev.front, nil
}
