package units_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/mlsysim/mlsysim-go/units"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		dim  units.Dimension
	}{
		{"3.35 TB/s", 3.35e12, units.DimByteRate},
		{"80 GiB", 85899345920, units.DimBytes},
		{"80GiB", 85899345920, units.DimBytes},
		{"1979 TOPS", 1.979e15, units.DimFLOPRate},
		{"989 TFLOPS", 989e12, units.DimFLOPRate},
		{"989 TFLOP/s", 989e12, units.DimFLOPRate},
		{"312 TFLOPs/s", 312e12, units.DimFLOPRate},
		{"16 GFLOP", 16e9, units.DimFLOP},
		{"16 GFLOPs", 16e9, units.DimFLOP},
		{"100 Gbps", 1.25e10, units.DimByteRate},
		{"1 Gbps", 0.125e9, units.DimByteRate},
		{"400 Gb/s", 50e9, units.DimByteRate},
		{"8 bits", 1, units.DimBytes},
		{"$25,000", 25000, units.DimCurrency},
		{"$ 25000 USD", 25000, units.DimCurrency},
		{"25000 USD", 25000, units.DimCurrency},
		{"8.03e9", 8.03e9, units.Dimensionless},
		{"1_000", 1000, units.Dimensionless},
		{"-2.5", -2.5, units.Dimensionless},
		{"50 ms", 0.05, units.DimTime},
		{"50 MS", 0.05, units.DimTime},
		{"10 µs", 10e-6, units.DimTime},
		{"10 us", 10e-6, units.DimTime},
		{"2 h", 7200, units.DimTime},
		{"1 year", 365 * 86400, units.DimTime},
		{"700 W", 700, units.DimPower},
		{"100 mW", 0.1, units.DimPower},
		{"17.5 MW", 17.5e6, units.DimPower},
		{"1 kWh", 3.6e6, units.DimEnergy},
		{"0.12553 mJ", 0.12553e-3, units.DimEnergy},
		{"1.98 GHz", 1.98e9, units.DimFrequency},
		{"150 kg", 150, units.DimMass},
		{"2.9463 t", 2946.3, units.DimMass},
		{"12 tCO2e", 12000, units.DimMass},
		{"500 gCO2", 0.5, units.DimMass},
		{"  4 MB  ", 4e6, units.DimBytes},
		{"4 Mb", 0.5e6, units.DimBytes},
	}
	for _, tt := range tests {
		v, d, err := units.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if d != tt.dim || !near(v, tt.want, 1e-12) {
			t.Errorf("Parse(%q) = %v %s, want %v %s", tt.in, v, d, tt.want, tt.dim)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "GB", "abc", "12 parsecs", "1.2.3 GB", "$5 GB", "1e999", "--", "5 GB/h"} {
		if v, d, err := units.Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v %s, want an error", in, v, d)
		} else if !errors.Is(err, units.ErrSyntax) {
			t.Errorf("Parse(%q): error %v does not wrap ErrSyntax", in, err)
		}
	}
	_, _, err := units.Parse("12 parsecs")
	if err == nil || !strings.Contains(err.Error(), `"parsecs"`) {
		t.Errorf("unknown unit error %v does not name the unit", err)
	}
}

func TestParseAs(t *testing.T) {
	if v, err := units.ParseAs("50 ms", units.DimTime); err != nil || v != 0.05 {
		t.Errorf("ParseAs(50 ms) = %v, %v", v, err)
	}
	if v, err := units.ParseAs("42", units.DimBytes); err != nil || v != 42 {
		t.Errorf("a bare number is in the base unit: %v, %v", v, err)
	}
	_, err := units.ParseAs("80 GiB", units.DimTime)
	if err == nil || !strings.Contains(err.Error(), "is a bytes, want a time") || !strings.Contains(err.Error(), "0.01 ms") {
		t.Errorf("dimension mismatch error: %v", err)
	}
}

func TestTypedParsers(t *testing.T) {
	s, err := units.ParseSeconds("50 ms")
	if err != nil || s != 0.05 {
		t.Errorf("ParseSeconds = %v, %v", s, err)
	}
	b, err := units.ParseBytes("80 GiB")
	if err != nil || b != units.FromGiB(80) {
		t.Errorf("ParseBytes = %v, %v", b, err)
	}
	f, err := units.ParseFLOPs("16 GFLOP")
	if err != nil || f != 16e9 {
		t.Errorf("ParseFLOPs = %v, %v", f, err)
	}
	r, err := units.ParseFLOPSRate("1979 TOPS")
	if err != nil || r != 1.979e15 {
		t.Errorf("ParseFLOPSRate = %v, %v", r, err)
	}
	bw, err := units.ParseBytesPerSecond("400 Gbps")
	if err != nil || bw != 50e9 {
		t.Errorf("ParseBytesPerSecond = %v, %v", bw, err)
	}
	w, err := units.ParseWatts("100 mW")
	if err != nil || w != 0.1 {
		t.Errorf("ParseWatts = %v, %v", w, err)
	}
	j, err := units.ParseJoules("6132 kWh")
	if err != nil || !near(j.KWh(), 6132, 1e-12) {
		t.Errorf("ParseJoules = %v, %v", j, err)
	}
	d, err := units.ParseUSD("$10,407.47")
	if err != nil || d != 10407.47 {
		t.Errorf("ParseUSD = %v, %v", d, err)
	}
	c, err := units.ParseKgCO2("2.9463 t")
	if err != nil || !near(float64(c), 2946.3, 1e-12) {
		t.Errorf("ParseKgCO2 = %v, %v", c, err)
	}
	if _, err := units.ParseSeconds("80 GiB"); err == nil {
		t.Error("ParseSeconds accepted bytes")
	}
	if _, err := units.ParseWatts("1 kWh"); err == nil {
		t.Error("ParseWatts accepted energy")
	}
}

// TestRoundTrip: a value written with its dimension's base unit parses back
// to itself, for every dimension.
func TestRoundTrip(t *testing.T) {
	for d := units.Dimensionless; d <= units.DimMass; d++ {
		for _, v := range []float64{0, 1, 3.35e12, 85899345920, 1e-9, 0.1} {
			s := strconv.FormatFloat(v, 'g', -1, 64)
			if d != units.Dimensionless {
				s += " " + d.Unit()
			}
			got, gd, err := units.Parse(s)
			if err != nil || got != v || gd != d {
				t.Errorf("Parse(%q) = %v %s %v, want %v %s", s, got, gd, err, v, d)
			}
		}
	}
}

// FuzzParse checks that Parse never panics, that what it accepts is a known
// dimension with a non-NaN value, and that the value round-trips through its
// base unit.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"3.35 TB/s", "80 GiB", "1979 TOPS", "100 Gbps", "$25,000", "8.03e9", "50 ms",
		"1 kWh", "2.9 t", "12 parsecs", "", "1e", "-", "$", "5 GB/s/s", "1e308 EB", "µs", "1,2,3_4 kg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, d, err := units.Parse(s)
		if err != nil {
			if !errors.Is(err, units.ErrSyntax) {
				t.Fatalf("Parse(%q): error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		if math.IsNaN(v) || d > units.DimMass {
			t.Fatalf("Parse(%q) = %v %s", s, v, d)
		}
		if math.IsInf(v, 0) {
			return
		}
		back := strconv.FormatFloat(v, 'g', -1, 64)
		if d != units.Dimensionless {
			back += " " + d.Unit()
		}
		v2, d2, err := units.Parse(back)
		if err != nil || d2 != d || v2 != v {
			t.Fatalf("Parse(%q) = %v %s, but Parse(%q) = %v %s %v", s, v, d, back, v2, d2, err)
		}
		if _, err := units.ParseAs(s, d); err != nil {
			t.Fatalf("ParseAs(%q, %s): %v", s, d, err)
		}
	})
}
