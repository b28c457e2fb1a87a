package units_test

import (
	"math"
	"testing"

	"github.com/mlsysim/mlsysim-go/units"
)

func near(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

func TestString(t *testing.T) {
	tests := []struct {
		q    units.Quantity
		want string
	}{
		{units.Seconds(0), "0 s"},
		{units.Seconds(0.07097037), "70.97 ms"},
		{units.Seconds(5.2e-6), "5.2 µs"},
		{units.Seconds(3e-9), "3 ns"},
		{units.Seconds(12), "12 s"},
		{units.Seconds(3 * 86400), "3 d"},
		{units.Bytes(16.06e9), "16.06 GB"},
		{units.Bytes(units.GiB * 80), "85.9 GB"},
		{units.FLOPs(16e9), "16 GFLOP"},
		{units.FLOPSRate(989e12), "989 TFLOP/s"},
		{units.BytesPerSecond(3.35e12), "3.35 TB/s"},
		{units.Watts(700), "700 W"},
		{units.Watts(0.1), "100 mW"},
		{units.Joules(125.53e-6), "125.5 µJ"},
		{units.FromKWh(6132), "6.132 MWh"},
		{units.USD(10407.4713), "$10,407.47"},
		{units.USD(-1234567.006), "-$1,234,567.01"},
		{units.USD(0.5), "$0.50"},
		{units.KgCO2(1.684), "1.684 kg CO2"},
		{units.KgCO2(2946.3), "2.946 t CO2"},
		{units.KgCO2(2.414e7), "24.14 kt CO2"},
		{units.KgCO2(3e9), "3 Mt CO2"},
	}
	for _, tt := range tests {
		if got := tt.q.String(); got != tt.want {
			t.Errorf("%T(%v).String() = %q, want %q", tt.q, tt.q, got, tt.want)
		}
	}
}

func TestConversions(t *testing.T) {
	checks := []struct {
		name      string
		got, want float64
	}{
		{"ms", units.Seconds(0.005603).Milliseconds(), 5.603},
		{"µs", units.Seconds(2e-6).Microseconds(), 2},
		{"h", units.Seconds(7200).Hours(), 2},
		{"80 GiB in GB", units.FromGiB(80).GB(), 85.89934592},
		{"GiB", units.Bytes(1 << 30).GiB(), 1},
		{"TB", units.FromGB(3520).TB(), 3.52},
		{"TFLOPS", units.FromTFLOPS(989).TFLOPS(), 989},
		{"PFLOPS", units.FLOPSRate(1.979e15).PFLOPS(), 1.979},
		{"GBps", units.FromGBps(450).GBps(), 450},
		{"TBps", units.BytesPerSecond(3.35e12).TBps(), 3.35},
		{"kWh", units.FromKWh(1).KWh(), 1},
		{"J per kWh", float64(units.FromKWh(1)), 3.6e6},
		{"kW", units.Watts(700).Kilowatts(), 0.7},
		{"mW", units.Watts(0.1).Milliwatts(), 100},
		{"t", units.FromTonnes(2.9463).Tonnes(), 2.9463},
		{"g", units.KgCO2(0.5).Grams(), 500},
		{"FromMilliseconds", float64(units.FromMilliseconds(50)), 0.05},
		// G39 quantity helpers.
		{"16 GB / 3.35 TB/s", units.FromGB(16).At(units.BytesPerSecond(3.35e12)).Milliseconds(), 4.776119402985074},
		{"989 TFLOP / 989 TFLOP/s", float64(units.FLOPs(989e12).At(units.FromTFLOPS(989))), 1},
		{"700 W × 1 h", units.Watts(700).Over(3600).KWh(), 0.7},
		{"1 kWh over 1 h", float64(units.FromKWh(1).Per(3600)), 1000},
		{"1287 MWh × 429 g/kWh", units.FromKWh(1.287e6).Carbon(429).Tonnes(), 552.123},
		{"16 GB in 4.8 ms", units.FromGB(16).Per(0.0048).TBps(), 3.3333333333333335},
		{"1 PFLOP in 1 s", units.FLOPs(1e15).Per(1).PFLOPS(), 1},
	}
	for _, c := range checks {
		if !near(c.got, c.want, 1e-12) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if units.GiB != 1073741824 || units.KiB != 1024 || units.GB != 1e9 {
		t.Error("byte multiples changed")
	}
}

// TestDimensionUnits pins the unit each typed quantity is in: the unit of
// the output columns' metadata.
func TestDimensionUnits(t *testing.T) {
	want := map[units.Quantity]string{
		units.Seconds(1): "s", units.Bytes(1): "B", units.FLOPs(1): "FLOP", units.FLOPSRate(1): "FLOP/s",
		units.BytesPerSecond(1): "B/s", units.Watts(1): "W", units.Joules(1): "J", units.USD(1): "USD", units.KgCO2(1): "kg",
	}
	for q, u := range want {
		if got := q.Dimension().Unit(); got != u {
			t.Errorf("%T unit %q, want %q", q, got, u)
		}
	}
	if units.Dimension(200).Unit() != "?" || units.Dimension(200).String() != "Dimension(200)" {
		t.Error("out-of-range dimension")
	}
}
