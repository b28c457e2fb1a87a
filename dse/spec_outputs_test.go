package dse

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestArrowCompressionOption(t *testing.T) {
	const grid = "name: a\nfixed: {mode: inference, model: Llama3_8B, hardware: H100}\ngrid:\n  batch_size: [1, 2, 3]\n"
	for _, tc := range []struct{ value, want, err string }{
		{"", "", ""},
		{"none", "none", ""},
		{"lz4", "lz4", ""},
		{"zstd", "zstd", ""},
		{"snappy", "", "test.yaml:5:48: outputs.arrow_compression"},
		{"[lz4]", "", "outputs.arrow_compression"},
	} {
		src := grid
		if tc.value != "" {
			src += "outputs: {formats: [arrow], arrow_compression: " + tc.value + "}\n"
		}
		s, err := ParseSpec("test.yaml", []byte(src))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "none, lz4, zstd") {
				t.Errorf("%s: error %v, want %q naming the choices", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.value, err)
		}
		if s.Outputs.ArrowCompression != tc.want {
			t.Errorf("%s: ArrowCompression %q", tc.value, s.Outputs.ArrowCompression)
		}
		dir := t.TempDir()
		if _, err := Run(context.Background(), s, Options{OutDir: dir, Version: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "arrow", "part-00000.arrow")); tc.value != "" && err != nil {
			t.Errorf("%s: %v", tc.value, err)
		}
	}
}
