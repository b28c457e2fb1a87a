package engine

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

// zeroNonFinite must list every float64 field of Result and of its model
// results: a field added without it could carry an Inf to a file.
func TestZeroNonFiniteCoversResult(t *testing.T) {
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		for i := range v.NumField() {
			f, name := v.Field(i), path+v.Type().Field(i).Name
			switch f.Kind() {
			case reflect.Struct:
				walk(f, name+".")
			case reflect.Float64:
				for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
					f.SetFloat(bad)
					if !zeroNonFinite(v.Addr().Interface().(*Result)) || f.Float() != 0 {
						t.Errorf("%s = %v is not caught", name, bad)
					}
				}
			}
		}
	}
	var r Result
	// Nested structs are reached through r itself, so the pointer handed to
	// zeroNonFinite is always the whole Result.
	var walkTop func(path string, get func() reflect.Value)
	walkTop = func(path string, get func() reflect.Value) {
		v := get()
		for i := range v.NumField() {
			name := path + v.Type().Field(i).Name
			switch v.Field(i).Kind() {
			case reflect.Struct:
				j := i
				walkTop(name+".", func() reflect.Value { return get().Field(j) })
			case reflect.Float64:
				for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
					get().Field(i).SetFloat(bad)
					if !zeroNonFinite(&r) || get().Field(i).Float() != 0 {
						t.Errorf("%s = %v is not caught", name, bad)
					}
				}
			}
		}
	}
	_ = walk
	walkTop("", func() reflect.Value { return reflect.ValueOf(&r).Elem() })
	if zeroNonFinite(&r) {
		t.Error("a zero Result has no non-finite number")
	}
}

// extremes are the values a hostile or careless input may give a number.
var extremes = []float64{0, 1e-300, 1e-30, 1e-9, 0.5, 1, 3, 1e9, 1e15, 1e30, 1e300, math.MaxFloat64}

// Every output of every mode is a finite number, whatever the parameters
// (drawn at random, extremes included) and however extreme the hardware.
func TestOutputsFinite(t *testing.T) {
	reg := registry.Default()
	models, hws := reg.Keys(registry.KindModel), reg.Keys(registry.KindHardware)
	rng := rand.New(rand.NewPCG(17, 4))
	n := 4000
	if testing.Short() {
		n = 500
	}
	checked := 0
	for i := range n {
		c := DefaultConfig()
		c.Mode = Mode(i % 3)
		c.Fidelity = Fidelity(rng.IntN(2))
		var err error
		if c.Model, err = reg.Model(models[rng.IntN(len(models))]); err != nil {
			t.Fatal(err)
		}
		hw, err := reg.Hardware(hws[rng.IntN(len(hws))])
		if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(4) == 0 { // a user's extreme hardware
			h := *hw
			for _, p := range []*float64{&h.PeakFLOPS, &h.MemBandwidthBps, &h.MemCapacityBytes, &h.TDPW, &h.DispatchTaxS, &h.UnitCostUSD} {
				*p *= extremes[rng.IntN(len(extremes))]
			}
			hw = &h
		}
		c.Hardware = hw
		for _, p := range Params() {
			if rng.IntN(3) != 0 || p.Name == "mode" || p.Name == "fidelity" || p.Name == "model" || p.Name == "hardware" {
				continue
			}
			var v Value
			switch p.Type {
			case TypeEnum:
				v, err = p.Parse(reg, p.Enum[rng.IntN(len(p.Enum))])
			case TypeRef:
				keys := reg.Keys(p.RefKind)
				if len(keys) == 0 {
					continue
				}
				v, err = p.Parse(reg, keys[rng.IntN(len(keys))])
			default:
				x := extremes[rng.IntN(len(extremes))]
				if p.Type == TypeInt {
					x = math.Min(math.Round(x), []float64{1, 2, 8, 64, 4096, 1 << 20, MaxIntParam}[rng.IntN(7)])
				}
				if p.Max != 0 {
					x = math.Min(x, p.Max)
				}
				v, err = p.Number(math.Max(x, p.Min))
			}
			if err != nil {
				continue
			}
			p.Apply(&c, v)
		}
		if c.Validate() != nil {
			continue
		}
		checked++
		r := Evaluate(&c)
		for _, o := range Outputs() {
			if o.Float == nil {
				continue
			}
			if x := o.Float(&r); math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%s = %v (mode %v, model %s, hardware %s, config %+v)", o.Name, x, c.Mode, c.Model.Key, c.Hardware.Key, c)
			}
		}
	}
	if checked < n/4 {
		t.Errorf("only %d of %d configurations validated", checked, n)
	}
}
