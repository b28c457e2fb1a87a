// Package units holds the physical quantities of mlsysim-go as typed float64
// values in SI base units (seconds, bytes, flop, watts, joules, US dollars,
// kilograms of CO2), with conversions and formatting for people, and a parser
// for quantity strings such as "3.35 TB/s", "80 GiB" or "1979 TOPS".
//
// A typed quantity cannot be mixed up with another by accident: a function
// that takes a Seconds will not compile with a Bytes, and the conversion
// helpers name their unit (Seconds.Milliseconds, Bytes.GB, Bytes.GiB), so ms
// never pass for s nor GB for GiB.
//
//	t := units.Seconds(0.07097)
//	fmt.Println(t)                // 70.97 ms
//	b := units.GiB(80)            // 85,899,345,920 B
//	fmt.Println(b.GB())           // 85.89934592
//
// Decimal prefixes are powers of 1000 (1 GB = 1e9 B); binary prefixes are
// powers of 1024 (1 GiB = 2^30 B), as in mlsysim's unit registry.
package units

import (
	"fmt"
	"math"
)

// Seconds is a duration in seconds.
type Seconds float64

// Bytes is an amount of data in bytes.
type Bytes float64

// FLOPs is an amount of floating-point (or integer) operations; one fused
// multiply-add counts as 2.
type FLOPs float64

// FLOPSRate is a compute rate in operations per second (flop/s).
type FLOPSRate float64

// BytesPerSecond is a bandwidth in bytes per second.
type BytesPerSecond float64

// Watts is a power in watts.
type Watts float64

// Joules is an energy in joules.
type Joules float64

// USD is an amount of money in US dollars.
type USD float64

// KgCO2 is a mass of carbon dioxide (equivalent) in kilograms.
type KgCO2 float64

// Binary and decimal byte multiples.
const (
	KB  = 1e3
	MB  = 1e6
	GB  = 1e9
	TB  = 1e12
	PB  = 1e15
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
	TiB = 1 << 40
)

// JoulesPerKWh is the number of joules in one kilowatt-hour.
const JoulesPerKWh = 3.6e6

// Milliseconds returns t in milliseconds.
func (t Seconds) Milliseconds() float64 { return float64(t) * 1e3 }

// Microseconds returns t in microseconds.
func (t Seconds) Microseconds() float64 { return float64(t) * 1e6 }

// Hours returns t in hours.
func (t Seconds) Hours() float64 { return float64(t) / 3600 }

// GB returns b in decimal gigabytes (1e9 B).
func (b Bytes) GB() float64 { return float64(b) / GB }

// GiB returns b in binary gibibytes (2^30 B).
func (b Bytes) GiB() float64 { return float64(b) / GiB }

// TFLOPS returns r in TFLOP/s (1e12 flop/s).
func (r FLOPSRate) TFLOPS() float64 { return float64(r) / 1e12 }

// GBps returns r in GB/s (1e9 B/s).
func (r BytesPerSecond) GBps() float64 { return float64(r) / GB }

// KWh returns e in kilowatt-hours.
func (e Joules) KWh() float64 { return float64(e) / JoulesPerKWh }

// Kilowatts returns p in kW.
func (p Watts) Kilowatts() float64 { return float64(p) / 1e3 }

// Milliwatts returns p in mW.
func (p Watts) Milliwatts() float64 { return float64(p) * 1e3 }

// Tonnes returns c in metric tonnes of CO2.
func (c KgCO2) Tonnes() float64 { return float64(c) / 1e3 }

// Grams returns c in grams of CO2.
func (c KgCO2) Grams() float64 { return float64(c) * 1e3 }

// TB returns b in decimal terabytes (1e12 B).
func (b Bytes) TB() float64 { return float64(b) / TB }

// PFLOPS returns r in PFLOP/s (1e15 flop/s).
func (r FLOPSRate) PFLOPS() float64 { return float64(r) / 1e15 }

// TBps returns r in TB/s (1e12 B/s).
func (r BytesPerSecond) TBps() float64 { return float64(r) / TB }

// Over returns the energy of drawing p for t: p·t.
func (p Watts) Over(t Seconds) Joules { return Joules(float64(p) * float64(t)) }

// Per returns the average power of spending e over t: e/t.
func (e Joules) Per(t Seconds) Watts { return Watts(float64(e) / float64(t)) }

// At returns the time moving b takes at bandwidth r: b/r.
func (b Bytes) At(r BytesPerSecond) Seconds { return Seconds(float64(b) / float64(r)) }

// At returns the time f operations take at rate r: f/r.
func (f FLOPs) At(r FLOPSRate) Seconds { return Seconds(float64(f) / float64(r)) }

// Per returns the rate of moving b in t: b/t.
func (b Bytes) Per(t Seconds) BytesPerSecond { return BytesPerSecond(float64(b) / float64(t)) }

// Per returns the rate of f operations in t: f/t.
func (f FLOPs) Per(t Seconds) FLOPSRate { return FLOPSRate(float64(f) / float64(t)) }

// Carbon returns the CO2 of e at a grid intensity in grams per kWh.
func (e Joules) Carbon(gPerKWh float64) KgCO2 { return KgCO2(e.KWh() * gPerKWh / 1e3) }

// FromMilliseconds converts milliseconds to Seconds.
func FromMilliseconds(ms float64) Seconds { return Seconds(ms / 1e3) }

// FromGB converts decimal gigabytes to Bytes.
func FromGB(gb float64) Bytes { return Bytes(gb * GB) }

// FromGiB converts binary gibibytes to Bytes.
func FromGiB(gib float64) Bytes { return Bytes(gib * GiB) }

// FromKWh converts kilowatt-hours to Joules.
func FromKWh(kwh float64) Joules { return Joules(kwh * JoulesPerKWh) }

// FromTonnes converts metric tonnes of CO2 to KgCO2.
func FromTonnes(t float64) KgCO2 { return KgCO2(t * 1e3) }

// FromTFLOPS converts TFLOP/s to a FLOPSRate.
func FromTFLOPS(t float64) FLOPSRate { return FLOPSRate(t * 1e12) }

// FromGBps converts GB/s (1e9 B/s) to a BytesPerSecond.
func FromGBps(g float64) BytesPerSecond { return BytesPerSecond(g * GB) }

// Quantity is a typed value of this package. Dimension names its physical
// kind; Dimension().Unit() is the SI symbol its float64 value is in, the
// unit output columns carry in their metadata ("s", "B", "FLOP", "FLOP/s",
// "B/s", "W", "J", "USD", "kg").
type Quantity interface {
	fmt.Stringer
	Dimension() Dimension
}

// Dimension returns DimTime.
func (Seconds) Dimension() Dimension { return DimTime }

// Dimension returns DimBytes.
func (Bytes) Dimension() Dimension { return DimBytes }

// Dimension returns DimFLOP.
func (FLOPs) Dimension() Dimension { return DimFLOP }

// Dimension returns DimFLOPRate.
func (FLOPSRate) Dimension() Dimension { return DimFLOPRate }

// Dimension returns DimByteRate.
func (BytesPerSecond) Dimension() Dimension { return DimByteRate }

// Dimension returns DimPower.
func (Watts) Dimension() Dimension { return DimPower }

// Dimension returns DimEnergy.
func (Joules) Dimension() Dimension { return DimEnergy }

// Dimension returns DimCurrency.
func (USD) Dimension() Dimension { return DimCurrency }

// Dimension returns DimMass.
func (KgCO2) Dimension() Dimension { return DimMass }

// String formats t with the largest unit that keeps the value at or above 1
// (ns, µs, ms, s), to 4 significant digits: "70.97 ms".
func (t Seconds) String() string {
	v := float64(t)
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0 s"
	case a < 1e-6:
		return sig(v*1e9) + " ns"
	case a < 1e-3:
		return sig(v*1e6) + " µs"
	case a < 1:
		return sig(v*1e3) + " ms"
	case a < 3600*48:
		return sig(v) + " s"
	default:
		return sig(v/86400) + " d"
	}
}

// String formats b with a decimal prefix: "16.06 GB".
func (b Bytes) String() string { return decimal(float64(b), "B") }

// String formats f with a decimal prefix: "16.06 GFLOP".
func (f FLOPs) String() string { return decimal(float64(f), "FLOP") }

// String formats r with a decimal prefix: "989 TFLOP/s".
func (r FLOPSRate) String() string { return decimal(float64(r), "FLOP/s") }

// String formats r with a decimal prefix: "3.35 TB/s".
func (r BytesPerSecond) String() string { return decimal(float64(r), "B/s") }

// String formats p with a decimal prefix: "700 W".
func (p Watts) String() string { return decimal(float64(p), "W") }

// String formats e in J below 1 kWh and in kWh, MWh or GWh above it.
func (e Joules) String() string {
	kwh := e.KWh()
	if math.Abs(kwh) < 1 {
		return decimal(float64(e), "J")
	}
	return decimal(kwh*1e3, "Wh")
}

// String formats d as dollars with two decimals and thousands separators:
// "$7,076.95".
func (d USD) String() string {
	v := float64(d)
	neg := v < 0
	if neg {
		v = -v
	}
	cents := math.Round(v * 100)
	whole := math.Floor(cents / 100)
	frac := int(cents - whole*100)
	s := fmt.Sprintf("%.0f", whole)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return fmt.Sprintf("-$%s.%02d", s, frac)
	}
	return fmt.Sprintf("$%s.%02d", s, frac)
}

// String formats c in kg below a tonne, and in t, kt or Mt above:
// "1271 kg CO2", "2.946 t CO2", "24.14 kt CO2".
func (c KgCO2) String() string {
	v := float64(c)
	a := math.Abs(v)
	switch {
	case a >= 1e9*0.9995:
		return sig(v/1e9) + " Mt CO2"
	case a >= 1e6*0.9995:
		return sig(v/1e6) + " kt CO2"
	case a >= 1000*0.9995:
		return sig(v/1000) + " t CO2"
	}
	return sig(v) + " kg CO2"
}

var prefixes = []struct {
	f float64
	p string
}{{1e18, "E"}, {1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "µ"}}

// decimal formats v with an SI prefix so the mantissa is in [1, 1000).
func decimal(v float64, unit string) string {
	a := math.Abs(v)
	if a == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return sig(v) + " " + unit
	}
	for _, p := range prefixes {
		if a >= p.f*0.9995 {
			return sig(v/p.f) + " " + p.p + unit
		}
	}
	return sig(v/1e-9) + " n" + unit
}

// sig formats v to 4 significant digits without trailing zeros.
func sig(v float64) string {
	return fmt.Sprintf("%.4g", v)
}
