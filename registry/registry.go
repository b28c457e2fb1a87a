// Package registry holds the named things mlsysim-go evaluates: hardware
// (accelerators from microcontrollers to racks), models (transformers, MoE,
// CNNs, SSMs, diffusion, recommendation, embodied policies), network fabrics,
// nodes and clusters, electricity grids and datacenters, and scenarios.
//
// The data lives in YAML files embedded in the binary (data/*.yaml), every
// value with its source. Users add their own entries from files of the same
// shape without recompiling (Registry.AddFile). Names are looked up
// case-insensitively, with or without a namespace ("H100", "Cloud.H100",
// "Hardware.Cloud.H100"); a wrong name is an error that lists close matches.
//
//	r := registry.Default()
//	h, err := r.Hardware("cloud.h100") // the NVIDIA H100 entry
//
// Quantities are float64 in SI base units (bytes, seconds, flop/s, B/s, W,
// USD); see package units.
package registry

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

//go:embed data
var dataFS embed.FS

// Registry is a loaded set of entries. Its lookups are safe for concurrent
// use; AddFile is not, and must happen before lookups start.
type Registry struct {
	HardwareList   []*Hardware
	ModelList      []*Model
	FabricList     []*Fabric
	NodeList       []*Node
	ClusterList    []*Cluster
	GridList       []*Grid
	DatacenterList []*Datacenter
	ScenarioList   []*Scenario
	ConstantList   []*Constant
	names          map[string]map[string]int // kind → normalised name → index
	overrides      []Override                // entries replaced with override: true
	hash           hash.Hash                 // over every data file read, in order
}

// Hash returns the SHA-256 (hex) of every data file the registry was built
// from, embedded and added, in order: equal hashes mean equal data.
func (r *Registry) Hash() string {
	return hex.EncodeToString(r.hash.Sum(nil))
}

// Kinds of entries, as used in lookups and messages.
const (
	KindHardware   = "hardware"
	KindModel      = "model"
	KindFabric     = "fabric"
	KindNode       = "node"
	KindCluster    = "system"
	KindGrid       = "region"
	KindDatacenter = "datacenter"
	KindScenario   = "scenario"
	KindConstant   = "constant"
)

var (
	defaultOnce sync.Once
	defaultReg  *Registry
	defaultErr  error
)

// Default returns the registry built from the embedded data, shared and
// built once. It panics if the embedded data is invalid, which the package
// tests rule out; Embedded returns that error instead.
func Default() *Registry {
	r, err := Embedded()
	if err != nil {
		panic(err)
	}
	return r
}

// Embedded is Default with the error of invalid embedded data returned.
func Embedded() (*Registry, error) {
	defaultOnce.Do(func() {
		defaultReg, defaultErr = New()
		if defaultErr != nil {
			defaultErr = fmt.Errorf("registry: embedded data: %w", defaultErr)
		}
	})
	return defaultReg, defaultErr
}

// New loads a fresh registry from the embedded data; callers that add their
// own files get a registry of their own this way.
func New() (*Registry, error) {
	r := &Registry{names: map[string]map[string]int{}, hash: sha256.New()}
	var files []string
	err := fs.WalkDir(dataFS, "data", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".yaml" {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	// Hardware and models first, then what refers to them, so files may come in any order.
	var parsed []*file
	for _, p := range files {
		b, err := dataFS.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := decodeFile(p, b)
		if err != nil {
			return nil, err
		}
		r.hashFile(p, b)
		parsed = append(parsed, f)
	}
	if err := r.add(files, parsed); err != nil {
		return nil, err
	}
	return r, nil
}

// AddFile adds the entries of a user data file (same shape as the embedded
// files), read by ReadDataFile. An entry whose key already exists is an error: users extend the
// registry, they do not silently change shipped values.
func (r *Registry) AddFile(name string) error {
	b, err := ReadDataFile(name)
	if err != nil {
		return fmt.Errorf("registry file: %w", err)
	}
	return r.AddBytes(name, b)
}

// AddBytes is AddFile for data already in memory; name is used in messages.
func (r *Registry) AddBytes(name string, data []byte) error {
	f, err := decodeFile(name, data)
	if err != nil {
		return err
	}
	r.hashFile(filepath.Base(name), data)
	return r.add([]string{name}, []*file{f})
}

// add resolves entries in dependency order across all given files and
// reports every problem at once.
func (r *Registry) add(names []string, fs []*file) error {
	var errs []error
	cks := make([]*checker, len(fs))
	for i := range fs {
		cks[i] = &checker{file: names[i], data: fs[i].data}
	}
	for i, f := range fs {
		ck := cks[i]
		for j, h := range f.Hardware {
			ck.path = fmt.Sprintf("$.hardware[%d]", j)
			if k, ok := r.overrideIndex(ck, KindHardware, h.Key, h.Override); ok {
				// In place, so that nodes and systems that refer to it see the new values.
				*r.HardwareList[k] = *ck.hardware(h)
				r.register(ck, KindHardware, h.Key, h.Tier, h.Aliases, k)
				continue
			}
			r.register(ck, KindHardware, h.Key, h.Tier, h.Aliases, len(r.HardwareList))
			r.HardwareList = append(r.HardwareList, ck.hardware(h))
		}
		for j, m := range f.Models {
			ck.path = fmt.Sprintf("$.models[%d]", j)
			if k, ok := r.overrideIndex(ck, KindModel, m.Key, m.Override); ok {
				*r.ModelList[k] = *ck.model(m)
				r.register(ck, KindModel, m.Key, m.Family, m.Aliases, k)
				continue
			}
			r.register(ck, KindModel, m.Key, m.Family, m.Aliases, len(r.ModelList))
			r.ModelList = append(r.ModelList, ck.model(m))
		}
		for j, x := range f.Fabrics {
			ck.path = fmt.Sprintf("$.fabrics[%d]", j)
			r.register(ck, KindFabric, x.Key, "Fabrics", x.Aliases, len(r.FabricList))
			r.FabricList = append(r.FabricList, ck.fabric(x))
		}
		for j, x := range f.Grids {
			ck.path = fmt.Sprintf("$.grids[%d]", j)
			r.register(ck, KindGrid, x.Key, "Grids", x.Aliases, len(r.GridList))
			r.GridList = append(r.GridList, ck.grid(x))
		}
		for j, x := range f.Constants {
			ck.path = fmt.Sprintf("$.constants[%d]", j)
			r.register(ck, KindConstant, x.Key, "", nil, len(r.ConstantList))
			r.ConstantList = append(r.ConstantList, ck.constant(x))
		}
	}
	// Second pass: entries that refer to others by name.
	for i, f := range fs {
		ck := cks[i]
		for j, x := range f.Datacenters {
			ck.path = fmt.Sprintf("$.datacenters[%d]", j)
			r.register(ck, KindDatacenter, x.Key, "Datacenters", x.Aliases, len(r.DatacenterList))
			d := &Datacenter{Key: x.Key, Name: x.Name, Aliases: x.Aliases, PUEOverride: ck.number("datacenter "+x.Key, "pue_override", x.PUEOverride, 0, 100), Source: x.Source}
			d.Grid = ref(r, ck, "datacenter "+x.Key, "grid", x.Grid, r.Grid)
			r.DatacenterList = append(r.DatacenterList, d)
		}
		for j, x := range f.Nodes {
			ck.path = fmt.Sprintf("$.nodes[%d]", j)
			r.register(ck, KindNode, x.Key, "Nodes", x.Aliases, len(r.NodeList))
			r.NodeList = append(r.NodeList, ck.node(r, x))
		}
	}
	for i, f := range fs {
		ck := cks[i]
		for j, x := range f.Clusters {
			ck.path = fmt.Sprintf("$.clusters[%d]", j)
			r.register(ck, KindCluster, x.Key, "Clusters", x.Aliases, len(r.ClusterList))
			r.ClusterList = append(r.ClusterList, ck.cluster(r, x))
		}
	}
	for i, f := range fs {
		ck := cks[i]
		for j, x := range f.Scenarios {
			ck.path = fmt.Sprintf("$.scenarios[%d]", j)
			r.register(ck, KindScenario, x.Key, "Scenarios", x.Aliases, len(r.ScenarioList))
			r.ScenarioList = append(r.ScenarioList, ck.scenario(r, x))
		}
	}
	for _, ck := range cks {
		errs = append(errs, ck.errs...)
	}
	if len(errs) > maxErrors {
		errs = append(errs[:maxErrors], fmt.Errorf("and %d more problems", len(errs)-maxErrors))
	}
	return errors.Join(errs...)
}

func (r *Registry) hashFile(name string, data []byte) {
	fmt.Fprintf(r.hash, "%s\x00%d\x00", name, len(data))
	r.hash.Write(data)
}

// register records key (and namespace.key, and aliases) under kind.
func (r *Registry) register(ck *checker, kind, key, ns string, aliases []string, idx int) {
	m := r.names[kind]
	if m == nil {
		m = map[string]int{}
		r.names[kind] = m
	}
	if key == "" {
		return
	}
	names := append([]string{key}, aliases...)
	for _, n := range names {
		k := normalise(n)
		if j, dup := m[k]; dup && j != idx {
			ck.errorf(kind+" "+key, "name %q is already taken", n)
			continue
		}
		m[k] = idx
		if ns != "" {
			m[normalise(ns+"."+n)] = idx
		}
	}
}

// normalise folds case and the separators people type differently
// ("Llama-3-8B", "llama3_8b").
func normalise(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// namespacePrefixes are stripped from a name before lookup, so that
// "Hardware.Cloud.H100" and "Models.Language.Llama3_8B" resolve.
var namespacePrefixes = []string{"hardware.", "models.", "systems.", "infrastructure.", "scenarios."}

// NotFoundError is a lookup of a name that is not in the registry.
type NotFoundError struct {
	Kind        string   // "hardware", "model", ...
	Name        string   // as given
	Suggestions []string // close matches, best first
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("unknown %s %q", e.Kind, e.Name)
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + strings.Join(quoteAll(e.Suggestions), ", ") + "?"
	}
	return msg + fmt.Sprintf(" (sweep list %s shows them all)", listNoun(e.Kind))
}

func listNoun(kind string) string {
	switch kind {
	case KindHardware:
		return "hardware"
	case KindModel:
		return "models"
	case KindCluster:
		return "systems"
	case KindGrid:
		return "regions"
	case KindScenario:
		return "scenarios"
	}
	return kind + "s"
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// index finds name under kind and returns its index in that kind's list.
func (r *Registry) index(kind, name string) (int, error) {
	m := r.names[kind]
	k := normalise(name)
	if i, ok := m[k]; ok {
		return i, nil
	}
	for _, p := range namespacePrefixes {
		if rest, ok := strings.CutPrefix(k, p); ok {
			if i, ok := m[rest]; ok {
				return i, nil
			}
		}
	}
	return 0, &NotFoundError{Kind: kind, Name: name, Suggestions: r.suggest(kind, name)}
}

// Hardware looks up a hardware entry by name or alias.
func (r *Registry) Hardware(name string) (*Hardware, error) {
	i, err := r.index(KindHardware, name)
	if err != nil {
		return nil, err
	}
	return r.HardwareList[i], nil
}

// Model looks up a model by name or alias.
func (r *Registry) Model(name string) (*Model, error) {
	i, err := r.index(KindModel, name)
	if err != nil {
		return nil, err
	}
	return r.ModelList[i], nil
}

// Fabric looks up a network fabric.
func (r *Registry) Fabric(name string) (*Fabric, error) {
	i, err := r.index(KindFabric, name)
	if err != nil {
		return nil, err
	}
	return r.FabricList[i], nil
}

// Node looks up a node type.
func (r *Registry) Node(name string) (*Node, error) {
	i, err := r.index(KindNode, name)
	if err != nil {
		return nil, err
	}
	return r.NodeList[i], nil
}

// Cluster looks up a cluster (mlsysim Systems.Clusters).
func (r *Registry) Cluster(name string) (*Cluster, error) {
	i, err := r.index(KindCluster, name)
	if err != nil {
		return nil, err
	}
	return r.ClusterList[i], nil
}

// Grid looks up an electricity grid region.
func (r *Registry) Grid(name string) (*Grid, error) {
	i, err := r.index(KindGrid, name)
	if err != nil {
		return nil, err
	}
	return r.GridList[i], nil
}

// Datacenter looks up a datacenter site.
func (r *Registry) Datacenter(name string) (*Datacenter, error) {
	i, err := r.index(KindDatacenter, name)
	if err != nil {
		return nil, err
	}
	return r.DatacenterList[i], nil
}

// Scenario looks up a scenario.
func (r *Registry) Scenario(name string) (*Scenario, error) {
	i, err := r.index(KindScenario, name)
	if err != nil {
		return nil, err
	}
	return r.ScenarioList[i], nil
}

// Constant looks up a reference constant (pricing, cooling ...).
func (r *Registry) Constant(name string) (*Constant, error) {
	i, err := r.index(KindConstant, name)
	if err != nil {
		return nil, err
	}
	return r.ConstantList[i], nil
}

// Region looks up a region for fleet models: a grid, or a datacenter (whose
// grid and PUE apply).
func (r *Registry) Region(name string) (*Grid, *Datacenter, error) {
	if g, err := r.Grid(name); err == nil {
		return g, nil, nil
	}
	if d, err := r.Datacenter(name); err == nil {
		return d.Grid, d, nil
	}
	sug := append(r.suggest(KindGrid, name), r.suggest(KindDatacenter, name)...)
	if len(sug) > 3 {
		sug = sug[:3]
	}
	return nil, nil, &NotFoundError{Kind: KindGrid, Name: name, Suggestions: sug}
}

// Keys returns the canonical names of kind, in registry order.
func (r *Registry) Keys(kind string) []string {
	var out []string
	switch kind {
	case KindHardware:
		for _, x := range r.HardwareList {
			out = append(out, x.Key)
		}
	case KindModel:
		for _, x := range r.ModelList {
			out = append(out, x.Key)
		}
	case KindFabric:
		for _, x := range r.FabricList {
			out = append(out, x.Key)
		}
	case KindNode:
		for _, x := range r.NodeList {
			out = append(out, x.Key)
		}
	case KindCluster:
		for _, x := range r.ClusterList {
			out = append(out, x.Key)
		}
	case KindGrid:
		for _, x := range r.GridList {
			out = append(out, x.Key)
		}
	case KindDatacenter:
		for _, x := range r.DatacenterList {
			out = append(out, x.Key)
		}
	case KindScenario:
		for _, x := range r.ScenarioList {
			out = append(out, x.Key)
		}
	case KindConstant:
		for _, x := range r.ConstantList {
			out = append(out, x.Key)
		}
	}
	return out
}

// suggest returns up to three canonical names of kind close to name.
func (r *Registry) suggest(kind, name string) []string {
	q := normalise(name)
	for _, p := range namespacePrefixes {
		q = strings.TrimPrefix(q, p)
	}
	if i := strings.LastIndexByte(q, '.'); i >= 0 {
		q = q[i+1:]
	}
	return Suggest(q, r.Keys(kind))
}

// Suggest returns up to three of candidates close to name, best first: those
// that contain it or that it contains, then those within a small edit
// distance (case, '-', '_' and '.' ignored). It serves "did you mean"
// messages for registry names, parameters and sweep-file keys.
func Suggest(name string, candidates []string) []string {
	q := normalise(name)
	type cand struct {
		key  string
		dist int
	}
	var cs []cand
	for _, key := range candidates {
		k := normalise(key)
		d := editDistance(squash(q), squash(k))
		if q != "" && (strings.Contains(k, q) || strings.Contains(q, k)) {
			d = min(d, 1)
		}
		// Allow more slack for longer names.
		if d <= max(2, len(q)/3) {
			cs = append(cs, cand{key, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].dist < cs[j].dist })
	var out []string
	for _, c := range cs {
		if len(out) == 3 {
			break
		}
		out = append(out, c.key)
	}
	return out
}

// squash drops separators so "llama-3-8b" is near "llama3_8b".
func squash(s string) string {
	return strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(s)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ref resolves a reference from one entry to another, recording an error
// (with suggestions) when it is missing.
func ref[T any](r *Registry, ck *checker, entry, field, name string, look func(string) (T, error)) T {
	var zero T
	if name == "" {
		return zero
	}
	v, err := look(name)
	if err != nil {
		ck.errorf(entry, "%s: %v", field, err)
		return zero
	}
	return v
}
