package calibration

import (
	"math"
	"sort"
	"strconv"
	"testing"

	"github.com/mlsysim/mlsysim-go/registry"
)

func classErrors(p *Profile, ts []Target) map[string][]float64 {
	out := map[string][]float64{}
	for i := range ts {
		t := &ts[i]
		e := math.Abs(p.Predict(&t.Device, &t.Point)/t.Point.S-1) * 100
		k := t.Point.Class.String() + "/" + t.Point.GPU + "/" + t.Point.Precision
		out[k] = append(out[k], e)
	}
	return out
}

func TestFitReport(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	ds, err := LoadReference()
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.Default()
	ts, err := Targets(reg, ds.Points)
	if err != nil {
		t.Fatal(err)
	}
	var h100 []Target
	for _, x := range ts {
		if HardwareKey(reg, x.Point.GPU) == "H100" {
			h100 = append(h100, x)
		}
	}
	hw, _ := reg.Hardware("H100")
	p := Fit(Start(hw, &ds.Files[0].Ceilings), h100, nil)
	t.Logf("%s", p.Marshal())
	errs := classErrors(&p, ts)
	keys := []string{}
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := errs[k]
		sort.Float64s(e)
		t.Logf("%-50s n=%3d median %5.1f%% max %5.1f%%", k, len(e), e[len(e)/2], e[len(e)-1])
	}
	for i := range ts {
		x := &ts[i]
		if x.Point.Class != ClassGEMM {
			t.Logf("%s %v b=%d s=%d ctx=%d meas %.3fms pred %.3fms", x.Point.Source, x.Point.Class, x.Point.Batch, x.Point.Seq, x.Point.Ctx, x.Point.S*1e3, p.Predict(&x.Device, &x.Point)*1e3)
		}
	}
}

func TestGEMMWorst(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	ds, _ := LoadReference()
	reg := registry.Default()
	ts, _ := Targets(reg, ds.Points)
	var h100 []Target
	for _, x := range ts {
		if HardwareKey(reg, x.Point.GPU) == "H100" {
			h100 = append(h100, x)
		}
	}
	hw, _ := reg.Hardware("H100")
	p := Fit(Start(hw, &ds.Files[0].Ceilings), h100, nil)
	type row struct {
		e float64
		s string
	}
	var rows []row
	for i := range ts {
		x := &ts[i]
		if x.Point.Class == ClassGEMM && (x.Point.Precision == "bf16") {
			pr := p.Predict(&x.Device, &x.Point)
			rows = append(rows, row{pr/x.Point.S - 1, x.Point.Source + " " + x.Point.Precision + " " + itoa(x.Point.M) + "x" + itoa(x.Point.N) + "x" + itoa(x.Point.K)})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return math.Abs(rows[i].e) > math.Abs(rows[j].e) })
	for _, r := range rows[:25] {
		t.Logf("%+.1f%% %s", r.e*100, r.s)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
