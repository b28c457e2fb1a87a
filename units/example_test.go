package units_test

import (
	"fmt"

	"github.com/mlsysim/mlsysim-go/units"
)

func Example() {
	t := units.Seconds(0.07097)
	fmt.Println(t, t.Milliseconds())
	b := units.FromGiB(80)
	fmt.Println(b, b.GB())
	fmt.Println(units.FromGB(16).At(units.BytesPerSecond(3.35e12)))
	// Output:
	// 70.97 ms 70.97
	// 85.9 GB 85.89934592
	// 4.776 ms
}

func ExampleParse() {
	v, dim, err := units.Parse("3.35 TB/s")
	fmt.Println(v, dim, dim.Unit(), err)
	v, dim, _ = units.Parse("1979 TOPS")
	fmt.Println(v, dim)
	_, _, err = units.Parse("12 parsecs")
	fmt.Println(err)
	// Output:
	// 3.35e+12 bytes/s B/s <nil>
	// 1.979e+15 FLOP/s
	// "12 parsecs": not a quantity: unknown unit "parsecs"
}

func ExampleParseSeconds() {
	sla, err := units.ParseSeconds("50 ms")
	if err != nil {
		panic(err)
	}
	fmt.Println(sla, float64(sla))
	_, err = units.ParseSeconds("80 GiB")
	fmt.Println(err)
	// Output:
	// 50 ms 0.05
	// "80 GiB" is a bytes, want a time (for example 0.01 ms)
}

func ExampleWatts_Over() {
	e := units.Watts(700).Over(units.Seconds(365 * 24 * 3600))
	fmt.Println(e, e.KWh())
	fmt.Println(e.Carbon(429))
	// Output:
	// 6.132 MWh 6132
	// 2.631 t CO2
}

func ExampleUSD_String() {
	fmt.Println(units.USD(10407.4713))
	// Output: $10,407.47
}

func ExampleQuantity() {
	for _, q := range []units.Quantity{units.Seconds(0.005603), units.Bytes(16.06e9), units.Watts(0.1), units.KgCO2(2946.3)} {
		fmt.Printf("%s in %s\n", q, q.Dimension().Unit())
	}
	// Output:
	// 5.603 ms in s
	// 16.06 GB in B
	// 100 mW in W
	// 2.946 t CO2 in kg
}
