package registry

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const goodHW = "hardware:\n  - key: X1\n    tier: Edge\n    name: x\n    peak_flops: 1 TFLOP/s\n    memory:\n      capacity: 1 GB\n      bandwidth: 10 GB/s\n    source: test\n"

// Every field of a user data file is checked: ranges, magnitudes, trailing
// data; the error names the file, the line and the key, and repeats no more
// of the file than a short excerpt.
func TestAddBytesValidates(t *testing.T) {
	big := strings.Repeat("A", 1<<20)
	for _, tc := range []struct {
		name, data string
		want       []string // substrings of the error; nil = no error
	}{
		{"good", goodHW, nil},
		{"zero bandwidth", strings.Replace(goodHW, "10 GB/s", "0 GB/s", 1), []string{"user.yaml:8:", "hardware X1", "memory.bandwidth", "at least 1"}},
		{"negative capacity", strings.Replace(goodHW, "1 GB", "-1 GB", 1), []string{"user.yaml:7:", "memory.capacity", "[0, 1e+30]"}},
		{"tiny bandwidth", strings.Replace(goodHW, "10 GB/s", "1e-300", 1), []string{"user.yaml:8:", "memory.bandwidth"}},
		{"absurd peak", strings.Replace(goodHW, "1 TFLOP/s", "1e300", 1), []string{"user.yaml:5:", "peak_flops"}},
		{"infinite peak", strings.Replace(goodHW, "1 TFLOP/s", ".inf", 1), []string{"user.yaml:5:", "peak_flops"}},
		{"negative count", goodHW + "    sm_count: -3\n", []string{"user.yaml:10:", "sm_count"}},
		{"huge count", goodHW + "    sm_count: 99999999999999999\n", []string{"sm_count"}},
		{"negative price", goodHW + "    unit_cost: -5\n", []string{"unit_cost"}},
		{"achievable matmul", goodHW + "    achievable_matmul_flops: {bf16: 0.8 TFLOP/s}\n    sources: {achievable_matmul_flops: a measurement}\n", nil},
		{"achievable above peak", goodHW + "    achievable_matmul_flops: {bf16: 1.2 TFLOP/s}\n    sources: {achievable_matmul_flops: t}\n",
			[]string{"achievable_matmul_flops.bf16", "exceeds the datasheet rate"}},
		{"achievable unknown precision", goodHW + "    achievable_matmul_flops: {fp5: 0.5 TFLOP/s}\n    sources: {achievable_matmul_flops: t}\n",
			[]string{"achievable_matmul_flops.fp5", "not supported"}},
		{"achievable not a rate", goodHW + "    achievable_matmul_flops: {bf16: 0.5 GB}\n    sources: {achievable_matmul_flops: t}\n",
			[]string{"achievable_matmul_flops.bf16"}},
		{"achievable without its source", goodHW + "    achievable_matmul_flops: {bf16: 0.5 TFLOP/s}\n",
			[]string{"achievable_matmul_flops", "sources.achievable_matmul_flops"}},
		{"trailing document", goodHW + "---\nhardware: []\n", []string{"trailing data"}},
		{"trailing garbage", goodHW + "}}}}\n", []string{"user.yaml"}},
		{"grid fractions", "grids:\n  - {key: G1, carbon_intensity_g_kwh: 1, pue: 1.1, wue_l_kwh: 0, renewable_pct: 300, lat: 95, source: t}\n",
			[]string{"user.yaml:2:", "renewable_pct", "lat"}},
		{"host not dividing the node", "nodes:\n  - {key: N1, accelerator: H100, accelerators_per_node: 72, accelerators_per_host: 5, intra_node_bandwidth: 900 GB/s, source: t}\n",
			[]string{"node N1", "accelerators_per_host 5 must divide accelerators_per_node 72"}},
		{"scenario accuracy", "scenarios:\n  - {key: S1, workload: Llama3_8B, system: H100, target_accuracy: 2, source: t}\n", []string{"target_accuracy"}},
		{"long key", strings.Replace(goodHW, "key: X1", "key: "+big, 1) + "    sm_count: -1\n", []string{"sm_count"}},
		{"long value", strings.Replace(goodHW, "10 GB/s", big, 1), []string{"user.yaml"}},
		{"long unknown key", goodHW + "    " + big + ": 1\n", []string{"user.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New()
			if err != nil {
				t.Fatal(err)
			}
			err = r.AddBytes("user.yaml", []byte(tc.data))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", short(msg, 2000), w)
				}
			}
			if len(msg) > 4096 {
				t.Errorf("error of %d bytes", len(msg))
			}
		})
	}
}

// A file of many bad entries reports a bounded number of them.
func TestAddBytesCapsErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("hardware:\n")
	for i := range 5000 {
		b.WriteString("  - {key: X" + strings.Repeat("x", i%7) + ", tier: Nope}\n")
	}
	r, _ := New()
	err := r.AddBytes("many.yaml", []byte(b.String()))
	if err == nil || strings.Count(err.Error(), "\n") > maxErrors+1 || !strings.Contains(err.Error(), "more problems") {
		t.Errorf("error: %.500v", err)
	}
}

func TestReadDataFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(goodHW), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, make([]byte, MaxDataFileBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{good, true}, {link, true}, {huge, false}, {fifo, false}, {dir, false},
		{"/dev/zero", false}, {filepath.Join(dir, "missing"), false},
	} {
		b, err := ReadDataFile(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.path, err)
		}
		if tc.ok && string(b) != goodHW {
			t.Errorf("%s: read %q", tc.path, b)
		}
	}
	r, _ := New()
	if err := r.AddFile(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("AddFile(fifo): %v", err)
	}
}

// A file that is not a data file is never repeated in the error.
func TestDecodeErrorQuotesNoContent(t *testing.T) {
	r, _ := New()
	err := r.AddBytes("shadow", []byte("root:$6$secretsecret:19000:0:99999:7:::\nnews:*:20228:0:99999:7::\n"))
	if err == nil || strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "20228") {
		t.Errorf("error: %v", err)
	}
}
