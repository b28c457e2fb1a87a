package calibration

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func shippedProfile(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("data/h100.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A profile is read only when every field is in its documented range and
// nothing follows the object.
func TestReadProfileRejects(t *testing.T) {
	good := string(shippedProfile(t))
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"negative kernel time", `"kernel_s": 0.000003253437562878671`, `"kernel_s": -1574`, "kernel_s"},
		{"fraction above one", `"mem_bw_frac": 0.8998397694823163`, `"mem_bw_frac": 1e9`, "mem_bw_frac"},
		{"zero fraction", `"attn_frac": 0.6444513080015216`, `"attn_frac": 0`, "attn_frac"},
		{"negative floor", `"op_floor_s": 0.00002461335651256372`, `"op_floor_s": -0.1`, "op_floor_s"},
		{"sharpness below one", `"gemm_sharpness": 4`, `"gemm_sharpness": 0.5`, "gemm_sharpness"},
		{"negative precision fraction", `"fp8": 0.6517588533181057`, `"fp8": -0.5`, "matmul_frac.fp8"},
		{"negative GEMM kernel time", `"fp8": 0.000007721813974433411`, `"fp8": -0.5`, "gemm_kernel_s.fp8"},
		{"GEMM kernel time too long", `"tf32": 0.000010171342523521163`, `"tf32": 11`, "gemm_kernel_s.tf32"},
		{"collective above one", `"nvlink": 0.8`, `"nvlink": 80`, "collective.nvlink"},
		{"trailing garbage", "\n}\n", "\n}\ngarbage", "trailing data"},
		{"second object", "\n}\n", "\n}\n{}", "trailing data"},
		{"huge number", `"tile_m": 64`, `"tile_m": 1e400`, "tile_m"},
		{"unknown field", `"tile_m": 64`, `"tile_m": 64, "tile_n": 1`, "tile_n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(good, tc.from, tc.to, 1)
			if in == good {
				t.Fatalf("%q not in the shipped profile", tc.from)
			}
			_, err := ReadProfile(strings.NewReader(in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
	if _, err := ReadProfile(strings.NewReader(good)); err != nil {
		t.Errorf("shipped profile: %v", err)
	}
}

// FuzzReadProfile feeds arbitrary bytes to the profile reader: it returns an
// error or a profile whose every field is in range, never panics, and a
// profile it accepts survives Marshal → ReadProfile unchanged.
func FuzzReadProfile(f *testing.F) {
	good := shippedProfile(f)
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"kernel_s": 0.0000032537064042341985`), []byte(`"kernel_s": -1574`), 1))
	f.Add([]byte(`{"hardware": "H100", "matmul_frac": {"bf16": 0.5}}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[1, 2, 3]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadProfile(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := p.check(); err != nil {
			t.Fatalf("accepted a profile that fails its check: %v", err)
		}
		q, err := ReadProfile(bytes.NewReader(p.Marshal()))
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if !bytes.Equal(q.Marshal(), p.Marshal()) {
			t.Fatal("round trip changed the profile")
		}
	})
}
