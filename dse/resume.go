package dse

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// CalibrationHash returns the SHA-256 (hex) of the measured calibration
// profiles s is priced with (s.Base.Calib.Profiles: the embedded ones and
// any given in their place), each in its JSON form, in hardware order: the
// data behind the calibrated fidelity's numbers (derived profiles follow
// from them by rule).
func CalibrationHash(s *Spec) string {
	h := sha256.New()
	for _, p := range s.Base.Calib.Profiles.Measured() {
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
	h.Write([]byte("calibration " + CalibrationHash(s) + "\n"))
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
		ev.flush()
		idx = idx[n:]
	}
	return ev.front, nil
}

// sameInputs explains how the run recorded in prev differs from m in what
// determines its rows; nil when it does not.
func sameInputs(prev, m *outputs.Manifest, what string) error {
	short := func(h string) string { return h[:min(len(h), 12)] }
	switch {
	case prev.Sweep.SHA256 != m.Sweep.SHA256:
		return fmt.Errorf("%s was made from sweep file %s (sha256 %s…) but %s has sha256 %s…: the sweep file changed",
			what, prev.Sweep.File, short(prev.Sweep.SHA256), m.Sweep.File, short(m.Sweep.SHA256))
	case prev.Version != m.Version:
		return fmt.Errorf("%s was made by version %s of the tool, this is %s: the engine may give other numbers", what, prev.Version, m.Version)
	case prev.RegistrySHA256 != m.RegistrySHA256:
		return fmt.Errorf("%s was made with other registry data (sha256 %s…, now %s…): check the --registry files", what, short(prev.RegistrySHA256), short(m.RegistrySHA256))
	case prev.CalibrationSHA256 != m.CalibrationSHA256:
		return fmt.Errorf("%s was made with other calibration data (sha256 %s…, now %s…)", what, short(prev.CalibrationSHA256), short(m.CalibrationSHA256))
	}
	return nil
}

// prepareResume checks that the run recorded in l's manifest is a run of
// the same inputs and slice, removes what a crash may have left (temporary
// files, parts finished after the manifest's last rewrite) and returns the
// parts to keep, those to write and the front of the kept ones.
//
// Every part the manifest lists is verified first (VerifyPart); one that
// fails is written again, and notice says which and why.
func prepareResume(spec *Spec, l runLayout, m *outputs.Manifest, all []outputs.Part, notice func(string)) (keep, todo []outputs.Part, front *GroupedFront, err error) {
	prev, err := outputs.ReadManifestFile(l.manifest)
	if errors.Is(err, os.ErrNotExist) {
		// Nothing was recorded: start afresh (a job requeued before its first part).
		return []outputs.Part{}, all, nil, prepareOut(spec, l)
	}
	if err != nil {
		return nil, nil, nil, inputErr(fmt.Errorf("--resume: unreadable manifest: %w", err))
	}
	if err := sameInputs(prev, m, l.out); err != nil {
		return nil, nil, nil, inputErr(fmt.Errorf("--resume refused: %w; run without --resume to start over", err))
	}
	if !reflect.DeepEqual(prev.Shard, m.Shard) || prev.Lo != m.Lo || prev.Hi != m.Hi {
		return nil, nil, nil, inputErr(fmt.Errorf("--resume refused: %s covers configurations [%d, %d) (shard %s), not [%d, %d) (shard %s)",
			l.manifest, prev.Lo, prev.Hi, shardName(prev.Shard), m.Lo, m.Hi, shardName(m.Shard)))
	}
	var good []outputs.Part
	for _, p := range prev.Parts {
		if err := VerifyPart(l.out, p); err != nil {
			notice(fmt.Sprintf("--resume: %v; writing the part again", err))
			continue
		}
		good = append(good, p)
	}
	listed := map[string]bool{}
	for _, p := range good {
		listed[p.File] = true
	}
	if err := cleanResults(filepath.Dir(ArrowPath(filepath.Join(l.out, l.results, "x.parquet"))), l.results, listed); err != nil {
		return nil, nil, nil, err
	}
	if err := cleanResults(filepath.Join(l.out, l.results), l.results, listed); err != nil {
		return nil, nil, nil, err
	}
	if err := cleanResults(filepath.Dir(FrontPath(filepath.Join(l.out, l.results, "x.parquet"))), l.results, listed); err != nil {
		return nil, nil, nil, err
	}
	os.Remove(filepath.Join(l.out, "pareto.parquet"))
	keep, todo = Remaining(all, good)
	// The front of the parts kept: the union of their front files (and of
	// the front a manifest of an earlier version recorded whole).
	idx := inParts(prev.FrontIndexes, keep)
	for _, p := range keep {
		if p.FrontSHA256 == "" {
			continue
		}
		pf, err := readFrontFile(FrontPath(filepath.Join(l.out, filepath.FromSlash(p.File))))
		if err != nil {
			return nil, nil, nil, err
		}
		idx = append(idx, pf...)
	}
	slices.Sort(idx)
	front, err = FrontOf(spec, slices.Compact(idx))
	if err != nil {
		return nil, nil, nil, err
	}
	if keep == nil {
		keep = []outputs.Part{}
	}
	return keep, todo, front, nil
}

// inParts returns the indexes of idx that lie in one of parts' ranges: the
// front of the parts kept, without the points of those written again.
func inParts(idx []int64, parts []outputs.Part) []int64 {
	var out []int64
	for _, i := range idx {
		for _, p := range parts {
			if p.Lo <= i && i < p.Hi {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// sumPart records in p the size and checksum of its files under the run
// folder out: the Parquet part, its Arrow file and its CSV file, each when
// the run wrote it. A part with none of them is an error.
func sumPart(out string, p *outputs.Part) error {
	path := filepath.Join(out, filepath.FromSlash(p.File))
	var err error
	found := false
	for _, f := range []struct {
		path  string
		bytes *int64
		sum   *string
	}{{path, &p.Bytes, &p.SHA256}, {ArrowPath(path), &p.ArrowBytes, &p.ArrowSHA256}, {CSVPath(path), &p.CSVBytes, &p.CSVSHA256}} {
		if !fileExists(f.path) {
			continue
		}
		found = true
		if *f.bytes, *f.sum, err = outputs.SumFile(f.path); err != nil {
			return fmt.Errorf("checksum: %w", err)
		}
	}
	if !found {
		return fmt.Errorf("checksum: part %s: no Parquet, Arrow or CSV file", p.File)
	}
	if f := FrontPath(path); fileExists(f) {
		if p.FrontBytes, p.FrontSHA256, err = outputs.SumFile(f); err != nil {
			return fmt.Errorf("checksum: %w", err)
		}
	}
	return nil
}

// writeFrontFile writes the front file path: the indexes idx as a JSON
// array, atomically.
func writeFrontFile(path string, idx []int64) error {
	if idx == nil {
		idx = []int64{}
	}
	b, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	return outputs.WriteFileAtomic(path, append(b, '\n'))
}

// readFrontFile reads the indexes of a front file.
func readFrontFile(path string) ([]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("front file: %w", err)
	}
	var idx []int64
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("front file %s: %w", path, err)
	}
	return idx, nil
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// withSums returns parts with the sizes and checksums that summed records
// for the same files and ranges.
func withSums(parts, summed []outputs.Part) []outputs.Part {
	by := map[string]outputs.Part{}
	for _, p := range summed {
		by[p.File] = p
	}
	out := slices.Clone(parts)
	for i, p := range out {
		if q, ok := by[p.File]; ok && q.Lo == p.Lo && q.Hi == p.Hi && q.Rows == p.Rows {
			out[i] = q
		}
	}
	return out
}

// VerifyPart checks part p's files under the run folder out against what
// the manifest records: the Parquet file is a regular file of the recorded
// size and SHA-256, its footer reads and it holds the recorded rows; the
// Arrow, CSV and front files, when recorded, have their recorded sizes and
// SHA-256. A part recorded with an Arrow or CSV sum but no Parquet sum was
// written without Parquet, which is then not looked for. The error names
// the file and what differs. Parts recorded without sizes and checksums
// (manifests of earlier versions) are checked by footer and rows only.
func VerifyPart(out string, p outputs.Part) error {
	path := filepath.Join(out, filepath.FromSlash(p.File))
	if p.SHA256 != "" || (p.ArrowSHA256 == "" && p.CSVSHA256 == "") {
		if err := verifyFile(path, p.Bytes, p.SHA256); err != nil {
			return fmt.Errorf("%s: %w", p.File, err)
		}
		fi, err := outputs.Inspect(path)
		if err != nil {
			return fmt.Errorf("%s: unreadable: %w", p.File, err)
		}
		if fi.Rows != p.Rows {
			return fmt.Errorf("%s: holds %d rows, the manifest records %d", p.File, fi.Rows, p.Rows)
		}
	}
	for _, f := range []struct {
		path  string
		bytes int64
		sum   string
	}{{ArrowPath(path), p.ArrowBytes, p.ArrowSHA256}, {CSVPath(path), p.CSVBytes, p.CSVSHA256}, {FrontPath(path), p.FrontBytes, p.FrontSHA256}} {
		if f.sum == "" {
			continue
		}
		if err := verifyFile(f.path, f.bytes, f.sum); err != nil {
			rel, _ := filepath.Rel(out, f.path)
			return fmt.Errorf("%s: %w", filepath.ToSlash(rel), err)
		}
	}
	return nil
}

// verifyFile checks that path is a regular file of size bytes and the
// SHA-256 sum (either unchecked when zero or "").
func verifyFile(path string, size int64, sum string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("missing")
	}
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	if size > 0 && st.Size() != size {
		return fmt.Errorf("%d bytes, the manifest records %d", st.Size(), size)
	}
	if sum != "" {
		_, got, err := outputs.SumFile(path)
		if err != nil {
			return err
		}
		if got != sum {
			return fmt.Errorf("SHA-256 %s…, the manifest records %s…", got[:12], sum[:min(len(sum), 12)])
		}
	}
	return nil
}

func shardName(s *outputs.ManifestShard) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// cleanResults removes from the results folder dir (rel to the run folder)
// the temporary files of writes a crash cut short and the part files that
// keep does not name.
func cleanResults(dir, rel string, keep map[string]bool) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("results folder: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		tmp := strings.HasPrefix(name, ".part-") && strings.Contains(name, ".tmp-")
		ext := filepath.Ext(name)
		part := strings.HasPrefix(name, "part-") && (ext == ".parquet" || ext == ".arrow" || ext == ".csv" || ext == ".json")
		if part {
			pq := strings.TrimSuffix(name, ext) + ".parquet"
			if keep[filepath.ToSlash(filepath.Join(rel, pq))] {
				continue
			}
		}
		if tmp || part {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("clean %s: %w", rel, err)
			}
		}
	}
	return nil
}

// prepareOut makes the run folder for a fresh run. A folder holding a run
// of another sweep is refused; one holding this sweep's run (or this shard
// of it) is replaced (the same inputs give the same files). Shards of one
// sweep share the folder; a single run and shards do not.
func prepareOut(spec *Spec, l runLayout) error {
	dir := l.out
	if l.shard != nil {
		if m, err := outputs.ReadManifest(dir); err == nil {
			if m.Shards == 0 {
				return inputErr(fmt.Errorf("%s already holds a single (unsharded) run; choose another --out or remove it", dir))
			}
			// A merge of an earlier sharded run: it is redone by --merge.
			os.Remove(filepath.Join(dir, outputs.ManifestFile))
			os.Remove(filepath.Join(dir, "pareto.parquet"))
		}
		others, _ := filepath.Glob(filepath.Join(dir, "manifests", "shard-*.json"))
		for _, f := range others {
			m, err := outputs.ReadManifestFile(f)
			if err != nil || f == l.manifest {
				continue
			}
			if m.Sweep.SHA256 != spec.Hash {
				return inputErr(fmt.Errorf("%s already holds shards of another sweep (%s, %s); choose another --out or remove it", dir, m.Sweep.Name, m.Sweep.File))
			}
			if m.Shard != nil && m.Shard.N != l.shard.N {
				return inputErr(fmt.Errorf("%s already holds shards of a %d-way split (%s), not %d-way; use the same shard count or another --out", dir, m.Shard.N, f, l.shard.N))
			}
		}
	} else if ms, _ := filepath.Glob(filepath.Join(dir, "manifests", "shard-*.json")); len(ms) > 0 {
		return inputErr(fmt.Errorf("%s already holds a sharded run (%s); choose another --out or remove it", dir, ms[0]))
	}
	res := filepath.Join(dir, l.results)
	if m, err := outputs.ReadManifestFile(l.manifest); err == nil {
		if m.Sweep.SHA256 != spec.Hash {
			return inputErr(fmt.Errorf("%s already holds a run of another sweep (%s, %s); choose another --out or remove it", dir, m.Sweep.Name, m.Sweep.File))
		}
		if err := cleanResults(res, l.results, nil); err != nil {
			return err
		}
		if err := cleanResults(filepath.Dir(ArrowPath(filepath.Join(res, "x.parquet"))), l.results, nil); err != nil {
			return err
		}
		if err := cleanResults(filepath.Dir(FrontPath(filepath.Join(res, "x.parquet"))), l.results, nil); err != nil {
			return err
		}
		if l.shard == nil {
			os.Remove(filepath.Join(dir, "pareto.parquet"))
		}
		os.Remove(l.manifest)
	} else if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return inputErr(fmt.Errorf("%s: unreadable manifest: %w", dir, err))
	} else if entries, err := os.ReadDir(res); err == nil && len(entries) > 0 {
		return inputErr(fmt.Errorf("%s already holds files but no manifest; choose another --out or remove it", res))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	return nil
}
