package calibration

import (
	"fmt"
	"sort"
	"sync"

	"github.com/mlsysim/mlsysim-go/registry"
)

// Set is the calibration profiles one command uses: the embedded measured
// profiles, any profiles given in their place (a file `sweep calibrate`
// wrote, passed with --calibration), and for every other hardware entry of
// a registry a profile derived from the reference by rule (Derive), built
// once when the set is, with the committed matrix factor of
// data/matrix_fits.json (ScaleMatrix, KindFitted) where the hardware has
// one. A Set never changes once built, so that one value
// serves every goroutine of a run; a command builds one (NewSet) and passes
// it down. The nil *Set stands for the embedded profiles (Embedded).
type Set struct {
	measured map[string]*Profile // by hardware key
	derived  map[string]*Profile // by hardware key: the registry's other entries
	plain    map[string]*Profile // by hardware key: the derived profile without a matrix factor
	refHW    *registry.Hardware  // the reference's registry entry (nil: none)
}

// embeddedSet is the embedded profiles with a derived profile for every
// entry of the embedded registry.
var embeddedSet = sync.OnceValue(func() *Set {
	s, err := NewSet(registry.Default())
	if err != nil {
		panic("calibration: " + err.Error())
	}
	return s
})

// Embedded returns the set of the embedded profiles, with derived profiles
// for the embedded registry's hardware: what a nil *Set means.
func Embedded() *Set { return embeddedSet() }

// NewSet returns the embedded measured profiles with each of user in place
// of the one for its hardware (a profile for the reference hardware also
// changes every derived profile), and a derived profile for every other
// hardware entry of reg. A user profile must name an entry of reg (by name
// or alias); its Hardware becomes the entry's key. The user profiles are
// copied, not kept.
func NewSet(reg *registry.Registry, user ...*Profile) (*Set, error) {
	s := &Set{measured: map[string]*Profile{}, derived: map[string]*Profile{}, plain: map[string]*Profile{}}
	for k, p := range embedded() {
		s.measured[k] = p
	}
	for _, u := range user {
		hw, err := reg.Hardware(u.Hardware)
		if err != nil {
			return nil, fmt.Errorf("calibration profile: %w", err)
		}
		p := *u
		p.Hardware, p.Kind = hw.Key, KindMeasured
		p.prepare()
		s.measured[hw.Key] = &p
	}
	if h, err := reg.Hardware(Reference); err == nil {
		s.refHW = h
	}
	for _, hw := range reg.HardwareList {
		if s.measured[hw.Key] == nil && s.derived[hw.Key] == nil {
			d := Derive(s.measured[Reference], s.refHW, hw)
			s.plain[hw.Key] = &d
			s.derived[hw.Key] = &d
			if f, ok := MatrixFactorFor(hw.Key); ok {
				x := ScaleMatrix(d, f.Factor)
				s.derived[hw.Key] = &x
			}
		}
	}
	return s, nil
}

// WithMatrixFactor returns a copy of the set whose derived profile of
// hardware key hw carries matrix factor f (ScaleMatrix) in place of the
// committed one; f ≤ 0 leaves it derived with none. The set itself is
// unchanged; a key with no derived profile in the set returns the set.
// The leave-one-release-out check of the factors (sweep accuracy)
// predicts each release's rows with it.
func (s *Set) WithMatrixFactor(hw string, f float64) *Set {
	if s == nil {
		s = embeddedSet()
	}
	d := s.plain[hw]
	if d == nil {
		return s
	}
	c := *s
	c.derived = make(map[string]*Profile, len(s.derived))
	for k, v := range s.derived {
		c.derived[k] = v
	}
	x := ScaleMatrix(*d, f)
	c.derived[hw] = &x
	return &c
}

// Derived returns hardware key hw's derived profile without a matrix
// factor (Derive's), or nil when the set derives none for it.
func (s *Set) Derived(hw string) *Profile {
	if s == nil {
		s = embeddedSet()
	}
	return s.plain[hw]
}

// Profile returns the profile of hw, as a pointer the caller must not
// modify: its measured profile when the set has one, else the one derived
// from the reference. It allocates only for hardware outside the registry
// the set was built for (a derived profile built on each call); otherwise
// it costs one map lookup.
func (s *Set) Profile(hw *registry.Hardware) *Profile {
	if s == nil {
		s = embeddedSet()
	}
	if p := s.measured[hw.Key]; p != nil {
		return p
	}
	if p := s.derived[hw.Key]; p != nil {
		return p
	}
	d := Derive(s.measured[Reference], s.refHW, hw)
	if f, ok := MatrixFactorFor(hw.Key); ok {
		d = ScaleMatrix(d, f.Factor)
	}
	return &d
}

// Measured returns the set's measured profiles (the embedded ones and any
// given in their place), in hardware order: the data behind every number
// of the calibrated fidelity.
func (s *Set) Measured() []*Profile {
	if s == nil {
		s = embeddedSet()
	}
	out := make([]*Profile, 0, len(s.measured))
	for _, p := range s.measured {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hardware < out[j].Hardware })
	return out
}
