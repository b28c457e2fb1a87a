package apicheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLibraryProgram builds and runs examples/library, a program in its own
// module (example.com/library) that uses the stable API through a replace
// directive: a Go program outside this module can use the library as the
// documentation shows.
func TestLibraryProgram(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	if testing.Short() {
		t.Skip("builds a separate module")
	}
	dir := filepath.Join(repoRoot(t), "examples", "library")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "run", ".")
	cmd.Dir = dir
	// The module resolves from its own go.mod and go.sum: no workspace, no
	// network, no flags of the enclosing test run.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run examples/library: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Llama-3.1-8B on NVIDIA H100 SXM5, batch 32, fp16, η 0.45",
		"bottleneck Memory",
		"feasible   true",
		"meets a 50 ms SLO: true",
		`fp6: precision "fp6" is not supported`,
		"scenario ChatbotServing: passed true, TCO $10,407.47 a year",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
