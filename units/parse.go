package units

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Dimension is the physical kind of a parsed quantity.
type Dimension uint8

// The dimensions a quantity string can have. Counts (parameters, tokens,
// plain numbers) are Dimensionless.
const (
	Dimensionless Dimension = iota
	DimBytes                // B
	DimTime                 // s
	DimFLOP                 // flop
	DimFLOPRate             // flop/s
	DimByteRate             // B/s (bit rates are converted to B/s)
	DimPower                // W
	DimEnergy               // J
	DimCurrency             // USD
	DimFrequency            // Hz
	DimMass                 // kg
)

var dimNames = [...]string{"dimensionless", "bytes", "time", "FLOP", "FLOP/s", "bytes/s", "power", "energy", "currency", "frequency", "mass"}

// String returns the name of the dimension ("bytes/s", "time", ...).
func (d Dimension) String() string {
	if int(d) < len(dimNames) {
		return dimNames[d]
	}
	return fmt.Sprintf("Dimension(%d)", d)
}

// Unit returns the SI base unit symbol of the dimension, as used in column
// metadata: "s", "B", "FLOP", "FLOP/s", "B/s", "W", "J", "USD", "Hz", "kg", "1".
func (d Dimension) Unit() string {
	u := [...]string{"1", "B", "s", "FLOP", "FLOP/s", "B/s", "W", "J", "USD", "Hz", "kg"}
	if int(d) < len(u) {
		return u[d]
	}
	return "?"
}

type unitDef struct {
	dim   Dimension
	scale float64 // multiply the number by scale to get the SI base value
}

// unitTable maps a unit symbol (spaces removed) to its dimension and scale.
// Case matters where SI needs it: "MB" is megabytes, "Mb" megabits, "mW" milliwatts, "MW" megawatts.
var unitTable = map[string]unitDef{}

func init() {
	add := func(dim Dimension, scale float64, names ...string) {
		for _, n := range names {
			unitTable[n] = unitDef{dim, scale}
		}
	}
	// Data. Decimal and binary prefixes; bits are an eighth of a byte.
	add(DimBytes, 1, "B", "byte", "bytes")
	for _, p := range []struct {
		s string
		f float64
	}{{"K", 1e3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18}} {
		add(DimBytes, p.f, p.s+"B", p.s+"byte", p.s+"bytes")
		add(DimBytes, p.f/8, p.s+"b", p.s+"bit", p.s+"bits")
		add(DimByteRate, p.f/8, p.s+"bps")
	}
	add(DimBytes, 1.0/8, "bit", "bits")
	add(DimByteRate, 1.0/8, "bps")
	add(DimBytes, KiB, "KiB")
	add(DimBytes, MiB, "MiB")
	add(DimBytes, GiB, "GiB")
	add(DimBytes, TiB, "TiB")
	add(DimBytes, 1<<50, "PiB")
	// Time.
	add(DimTime, 1, "s", "sec", "second", "seconds")
	add(DimTime, 1e-3, "ms", "MS", "millisecond", "milliseconds")
	add(DimTime, 1e-6, "us", "µs", "μs", "US", "microsecond", "microseconds")
	add(DimTime, 1e-9, "ns", "NS", "nanosecond", "nanoseconds")
	add(DimTime, 60, "min", "minute", "minutes")
	add(DimTime, 3600, "h", "hr", "hour", "hours")
	add(DimTime, 86400, "d", "day", "days")
	add(DimTime, 365*86400, "year", "years", "yr")
	// Operations. "FLOPS"/"TOPS" (capital S) are rates; "FLOPs" is a count.
	for _, p := range []struct {
		s string
		f float64
	}{{"", 1}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18}, {"Z", 1e21}} {
		add(DimFLOP, p.f, p.s+"FLOP", p.s+"FLOPs", p.s+"flop", p.s+"flops", p.s+"OP", p.s+"OPs")
		add(DimFLOPRate, p.f, p.s+"FLOPS", p.s+"OPS")
	}
	// Power, energy, frequency, currency, mass.
	add(DimPower, 1, "W", "watt", "watts")
	add(DimPower, 1e-3, "mW")
	add(DimPower, 1e-6, "uW", "µW")
	add(DimPower, 1e3, "kW", "KW")
	add(DimPower, 1e6, "MW")
	add(DimEnergy, 1, "J", "joule", "joules")
	add(DimEnergy, 1e-3, "mJ")
	add(DimEnergy, 1e-6, "uJ", "µJ")
	add(DimEnergy, 1e-12, "pJ")
	add(DimEnergy, 1e3, "kJ")
	add(DimEnergy, 1e6, "MJ")
	add(DimEnergy, 3600, "Wh")
	add(DimEnergy, 3.6e6, "kWh")
	add(DimEnergy, 3.6e9, "MWh")
	add(DimEnergy, 3.6e12, "GWh")
	add(DimFrequency, 1, "Hz")
	add(DimFrequency, 1e3, "kHz")
	add(DimFrequency, 1e6, "MHz")
	add(DimFrequency, 1e9, "GHz")
	add(DimCurrency, 1, "USD", "$", "dollar", "dollars")
	add(DimMass, 1, "kg", "kgCO2", "kgCO2e")
	add(DimMass, 1e-3, "g", "gCO2", "gCO2e")
	add(DimMass, 1e3, "t", "tCO2", "tCO2e")
}

// ErrSyntax reports a quantity string that is not a number followed by a known unit.
var ErrSyntax = errors.New("not a quantity")

// Parse reads a quantity string — a number, optionally followed by a unit —
// and returns its value in SI base units with its dimension:
//
//	"3.35 TB/s"  → 3.35e12, DimByteRate
//	"80 GiB"     → 85899345920, DimBytes
//	"1979 TOPS"  → 1.979e15, DimFLOPRate
//	"100 Gbps"   → 1.25e10, DimByteRate
//	"$25,000"    → 25000, DimCurrency
//	"8.03e9"     → 8.03e9, Dimensionless
//
// A rate may be written "X/s" for any data or operation unit X. Thousands
// separators (",", "_") in the number are accepted. Unknown units are an
// error that names the unit.
func Parse(s string) (float64, Dimension, error) {
	str := strings.TrimSpace(s)
	currency := false
	if strings.HasPrefix(str, "$") {
		currency = true
		str = strings.TrimSpace(str[1:])
	}
	// Split the leading number from the unit.
	end := 0
	for end < len(str) {
		c := str[end]
		if c >= '0' && c <= '9' || c == '.' || c == ',' || c == '_' || c == '+' || c == '-' {
			end++
			continue
		}
		if (c == 'e' || c == 'E') && end > 0 && end+1 < len(str) {
			n := str[end+1]
			if n >= '0' && n <= '9' || n == '+' || n == '-' {
				end++
				continue
			}
		}
		break
	}
	num := strings.NewReplacer(",", "", "_", "").Replace(str[:end])
	if num == "" {
		return 0, 0, fmt.Errorf("%q: %w: no number", s, ErrSyntax)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: %w: bad number %q", s, ErrSyntax, num)
	}
	unit := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, str[end:])
	if currency {
		if unit != "" && unit != "USD" {
			return 0, 0, fmt.Errorf("%q: %w: a $ amount takes no unit", s, ErrSyntax)
		}
		return v, DimCurrency, nil
	}
	if unit == "" {
		return v, Dimensionless, nil
	}
	if d, ok := unitTable[unit]; ok {
		return v * d.scale, d.dim, nil
	}
	// "X/s" or "X/second": a rate of a data or operation unit.
	for _, suf := range []string{"/s", "/sec", "/second"} {
		base, ok := strings.CutSuffix(unit, suf)
		if !ok {
			continue
		}
		if d, ok := unitTable[base]; ok {
			switch d.dim {
			case DimBytes:
				return v * d.scale, DimByteRate, nil
			case DimFLOP:
				return v * d.scale, DimFLOPRate, nil
			case DimFLOPRate: // "TFLOPs/s" written with a capital S by some sources
				return v * d.scale, DimFLOPRate, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("%q: %w: unknown unit %q", s, ErrSyntax, unit)
}

// ParseAs parses s and checks that it has dimension want. A bare number is
// accepted and taken to be in the base unit of want.
func ParseAs(s string, want Dimension) (float64, error) {
	v, d, err := Parse(s)
	if err != nil {
		return 0, err
	}
	if d != want && d != Dimensionless {
		return 0, fmt.Errorf("%q is a %s, want a %s (for example %s)", s, d, want, example(want))
	}
	return v, nil
}

func example(d Dimension) string {
	e := [...]string{"42", "80 GiB", "0.01 ms", "16 GFLOP", "989 TFLOP/s", "3.35 TB/s", "700 W", "1.5 kWh", "$25000", "1.98 GHz", "150 kg"}
	if int(d) < len(e) {
		return e[d]
	}
	return "42"
}

// ParseSeconds parses a duration such as "50 ms" or "2 h"; a bare number is
// seconds.
func ParseSeconds(s string) (Seconds, error) { v, err := ParseAs(s, DimTime); return Seconds(v), err }

// ParseBytes parses an amount of data such as "80 GiB" or "16.06 GB"; a bare
// number is bytes.
func ParseBytes(s string) (Bytes, error) { v, err := ParseAs(s, DimBytes); return Bytes(v), err }

// ParseFLOPs parses an operation count such as "16 GFLOP"; a bare number is
// operations.
func ParseFLOPs(s string) (FLOPs, error) { v, err := ParseAs(s, DimFLOP); return FLOPs(v), err }

// ParseFLOPSRate parses a compute rate such as "989 TFLOP/s" or "1979 TOPS";
// a bare number is flop/s.
func ParseFLOPSRate(s string) (FLOPSRate, error) {
	v, err := ParseAs(s, DimFLOPRate)
	return FLOPSRate(v), err
}

// ParseBytesPerSecond parses a bandwidth such as "3.35 TB/s" or "400 Gbps";
// a bare number is B/s.
func ParseBytesPerSecond(s string) (BytesPerSecond, error) {
	v, err := ParseAs(s, DimByteRate)
	return BytesPerSecond(v), err
}

// ParseWatts parses a power such as "700 W" or "100 mW"; a bare number is watts.
func ParseWatts(s string) (Watts, error) { v, err := ParseAs(s, DimPower); return Watts(v), err }

// ParseJoules parses an energy such as "1.5 kWh" or "3 J"; a bare number is joules.
func ParseJoules(s string) (Joules, error) { v, err := ParseAs(s, DimEnergy); return Joules(v), err }

// ParseUSD parses an amount of money such as "$25,000" or "25000 USD"; a
// bare number is dollars.
func ParseUSD(s string) (USD, error) { v, err := ParseAs(s, DimCurrency); return USD(v), err }

// ParseKgCO2 parses a mass of CO2 such as "2946 kg", "2.9 t" or "12 tCO2e";
// a bare number is kilograms.
func ParseKgCO2(s string) (KgCO2, error) { v, err := ParseAs(s, DimMass); return KgCO2(v), err }
