package registry

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Form is what one hardware entry stands for: a single accelerator, a rack
// of them sold and modelled as one unit (GB200 NVL72), or a wafer-scale
// system (Cerebras CS-3). Patterns select by it ("Cloud.accelerator.*").
type Form uint8

// The forms. The zero value is FormAccelerator.
const (
	FormAccelerator Form = iota // one chip or card
	FormRack                    // a rack of accelerators as one entry (accelerator_count > 1)
	FormWafer                   // a wafer-scale engine
	numForms
)

var formNames = [numForms]string{"accelerator", "rack", "wafer"}

// String returns the form's name as data files and patterns spell it.
func (f Form) String() string {
	if f < numForms {
		return formNames[f]
	}
	return fmt.Sprintf("Form(%d)", f)
}

// parseForm reads a data file's `form`; "" derives it: a rack when the entry
// counts more than one accelerator, else a single accelerator.
func parseForm(s string, acceleratorCount int) (Form, error) {
	if s == "" {
		if acceleratorCount > 1 {
			return FormRack, nil
		}
		return FormAccelerator, nil
	}
	for f := Form(0); f < numForms; f++ {
		if s == f.String() {
			return f, nil
		}
	}
	return 0, fmt.Errorf("form %q: want one of %s", s, strings.Join(formNames[:], ", "))
}

// Override records a built-in (or earlier) entry that a data file replaced
// on purpose, with `override: true`.
type Override struct {
	Kind string // KindHardware or KindModel
	Key  string // the entry's key
	File string // the data file whose entry replaced it
}

// Overrides returns the entries replaced by data files with `override:
// true`, in the order the files were added; a run's manifest reports them.
func (r *Registry) Overrides() []Override {
	return append([]Override(nil), r.overrides...)
}

// overrideIndex returns the index of the entry of kind named key that an
// entry with `override: true` replaces; ok is false when the entry does not
// override (it is then registered as new, and a name it shares with another
// entry is an error). An override of a name that does not exist is an error.
func (r *Registry) overrideIndex(ck *checker, kind, key string, override bool) (int, bool) {
	if !override {
		return 0, false
	}
	j, found := r.names[kind][normalise(key)]
	if !found {
		ck.errorf(kind+" "+key, "override: true, but there is no %s %q to override", kind, key)
		return 0, false
	}
	r.overrides = append(r.overrides, Override{Kind: kind, Key: key, File: ck.file})
	return j, true
}

// MatchHardware returns the hardware entries whose names match pattern, in
// registry order. pattern is a glob (path.Match syntax: *, ?, [...]),
// case-insensitive, matched against each of an entry's names:
//
//	Key                H100, GB200_NVL72
//	Tier.Key           Cloud.H100
//	Form.Key           accelerator.H100, rack.GB200_NVL72, wafer.Cerebras_CS3
//	Tier.Form.Key      Cloud.accelerator.H100
//
// so "Cloud.*" is every Cloud entry (racks and wafers included),
// "Cloud.accelerator.*" the single Cloud accelerators, "rack.*" every rack
// and "H*" every key starting with H. A malformed pattern matches nothing.
func (r *Registry) MatchHardware(pattern string) []*Hardware {
	var out []*Hardware
	for _, h := range r.HardwareList {
		form := h.Form.String()
		if globAny(pattern, h.Key, h.Tier+"."+h.Key, form+"."+h.Key, h.Tier+"."+form+"."+h.Key) {
			out = append(out, h)
		}
	}
	return out
}

// MatchModels returns the models whose Key or Family.Key matches pattern
// (as MatchHardware: "Language.*", "Llama3_*"), in registry order.
func (r *Registry) MatchModels(pattern string) []*Model {
	var out []*Model
	for _, m := range r.ModelList {
		if globAny(pattern, m.Key, m.Family+"."+m.Key) {
			out = append(out, m)
		}
	}
	return out
}

// globAny reports whether pattern matches any of names, ignoring case.
func globAny(pattern string, names ...string) bool {
	p := strings.ToLower(pattern)
	for _, n := range names {
		if ok, _ := filepath.Match(p, strings.ToLower(n)); ok {
			return true
		}
	}
	return false
}
