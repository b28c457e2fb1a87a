package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim-go/internal/duckdbtest"
)

// The code blocks of README.md and docs/*.md are executed, so that an
// example that no longer works fails the tests. The convention, also stated
// in docs/api-stability.md ("Examples in the documentation"):
//
//   - a block without a language, or `text`, is an output sample: not run;
//   - `sh`: commands, one a line; in a transcript (lines starting with
//     "$ "), the lines after a command are its expected output, each line's
//     pieces between "..." appearing in order in what the command printed.
//     A command exits 0 unless its comment is exactly "# exit N". `sweep`
//     and `go run ./cmd/sweep` run in-process; `go test`, `go install`,
//     `make`, `sbatch`, `kubectl` and `docker` are not run (they are this
//     test, need the network or a scheduler); any other program fails;
//   - `yaml`: a sweep file (it has `grid:`) passes `sweep check` and runs; a
//     registry file (`hardware:` or `models:`) is listed with --registry; a
//     plots section (`plots:`, docs/figures.md) is drawn by figures.TestGallery;
//   - `go`: a complete program, compiled and run in a module of its own that
//     replaces this one; lines after `// Output:` are its expected output;
//   - `sql`: run by DuckDB (internal/duckdbtest); `python`: run where
//     python3 has the modules the block imports;
//   - a second word `norun` in the info string (```go norun) shows a block
//     that is not meant to run (a sketch).
//
// Each document runs in a fresh folder holding `sweeps/` (this repository's
// studies), `big.yaml` (a small sweep standing in for the docs' big one) and,
// where the document names `OUT`, a run of big.yaml in two shards there.

// docBlock is one fenced code block of a Markdown file.
type docBlock struct {
	file string
	line int // of the opening fence, 1-based
	lang string
	tags []string
	text string
}

func (b docBlock) norun() bool {
	for _, t := range b.tags {
		if t == "norun" {
			return true
		}
	}
	return b.lang == "" || b.lang == "text"
}

// readDocBlocks returns the fenced code blocks of a Markdown file.
func readDocBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	var cur *docBlock
	var body strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fence := strings.HasPrefix(line, "```")
		switch {
		case fence && cur == nil:
			f := strings.Fields(strings.TrimPrefix(line, "```"))
			cur = &docBlock{file: filepath.Base(path), line: n}
			if len(f) > 0 {
				cur.lang, cur.tags = f[0], f[1:]
			}
			body.Reset()
		case fence:
			cur.text = body.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: code block never closed", path, cur.line)
	}
	return blocks
}

// bigYAML stands for the docs' big.yaml: the same commands, a small grid.
const bigYAML = `name: big
description: a small stand-in for the documentation's billion-row sweep
fixed: {mode: serving}
grid:
  model: [Llama3_8B, Llama3_70B]
  hardware: [H100, H200]
  precision: [bf16, fp8]
  batch_size: {from: 1, to: 64, scale: log2}
`

func TestDocExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every documented example")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append([]string{filepath.Join(root, "README.md")}, docs...)
	ran := 0
	for _, doc := range docs {
		t.Run(filepath.Base(doc), func(t *testing.T) {
			blocks := readDocBlocks(t, doc)
			dir := t.TempDir()
			if err := os.Symlink(filepath.Join(root, "sweeps"), filepath.Join(dir, "sweeps")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(bigYAML), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			if text, _ := os.ReadFile(doc); strings.Contains(string(text), "OUT/") {
				for _, args := range [][]string{
					{"run", "big.yaml", "--out", "OUT", "--shard", "0/2", "--progress", "none"},
					{"run", "big.yaml", "--out", "OUT", "--shard", "1/2", "--progress", "none"},
				} {
					if code, so, se := runCLI(t, args...); code != 0 {
						t.Fatalf("setup %v: exit %d: %s%s", args, code, so, se)
					}
				}
			}
			for _, b := range blocks {
				if b.norun() {
					continue
				}
				ran++
				t.Run(fmt.Sprintf("%s:%d", b.lang, b.line), func(t *testing.T) {
					switch b.lang {
					case "sh":
						runDocCommands(t, b)
					case "yaml":
						runDocYAML(t, b)
					case "go":
						runDocGo(t, root, b)
					case "sql":
						duckdbtest.Check(t, func(t *testing.T) { duckdbtest.Query(t, b.text) })
					case "python":
						runDocPython(t, b)
					default:
						t.Fatalf("%s:%d: a ```%s block: give it a language the docs test runs, or mark it norun", b.file, b.line, b.lang)
					}
				})
			}
		})
	}
	if ran < 10 {
		t.Errorf("only %d documented examples ran", ran)
	}
}

// exitComment is a command's comment that states its exit status.
var exitComment = regexp.MustCompile(`^exit (\d+)$`)

// docCommand is one command of an sh block with what it should print.
type docCommand struct {
	line     string
	exit     int
	expected []string
}

func parseDocCommands(text string) []docCommand {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	transcript := false
	for _, l := range lines {
		if strings.HasPrefix(l, "$ ") {
			transcript = true
		}
	}
	var cmds []docCommand
	for _, l := range lines {
		if transcript && !strings.HasPrefix(l, "$ ") {
			if len(cmds) > 0 && strings.TrimSpace(l) != "" {
				cmds[len(cmds)-1].expected = append(cmds[len(cmds)-1].expected, l)
			}
			continue
		}
		l = strings.TrimPrefix(l, "$ ")
		c := docCommand{}
		if i := strings.Index(l, "#"); i >= 0 {
			if m := exitComment.FindStringSubmatch(strings.TrimSpace(l[i+1:])); m != nil {
				c.exit, _ = strconv.Atoi(m[1])
			}
			l = l[:i]
		}
		if c.line = strings.TrimSpace(l); c.line != "" {
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// notRun are programs the docs name whose commands the test does not run:
// the tests themselves, or what needs the network or a scheduler.
var notRun = map[string]bool{"make": true, "sbatch": true, "kubectl": true, "docker": true}

func runDocCommands(t *testing.T, b docBlock) {
	for _, c := range parseDocCommands(b.text) {
		args := strings.Fields(c.line)
		for i, a := range args {
			// A word in single quotes, as a shell takes it ('k=a|b'):
			// the quotes go, the word stays.
			if len(a) >= 2 && a[0] == '\'' && a[len(a)-1] == '\'' && !strings.Contains(a[1:len(a)-1], "'") {
				args[i] = a[1 : len(a)-1]
			}
		}
		switch {
		case args[0] == "sweep":
			args = args[1:]
		case len(args) >= 3 && args[0] == "go" && args[1] == "run" && args[2] == "./cmd/sweep":
			args = args[3:]
		case args[0] == "go" && (args[1] == "test" || args[1] == "install"), notRun[args[0]]:
			t.Logf("%s:%d: not run: %s", b.file, b.line, c.line)
			continue
		default:
			t.Fatalf("%s:%d: %q: the docs test does not know how to run %s", b.file, b.line, c.line, args[0])
		}
		code, so, se := runCLI(t, args...)
		if code != c.exit {
			t.Errorf("%s:%d: %s: exit %d, want %d\n%s%s", b.file, b.line, c.line, code, c.exit, so, se)
			continue
		}
		for _, want := range c.expected {
			if !containsInOrder(so+se, strings.Split(want, "...")) {
				t.Errorf("%s:%d: %s: output lacks %q:\n%s%s", b.file, b.line, c.line, want, so, se)
			}
		}
	}
}

// containsInOrder reports whether every piece occurs in s, in order.
func containsInOrder(s string, pieces []string) bool {
	for _, p := range pieces {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

func runDocYAML(t *testing.T, b docBlock) {
	has := func(key string) bool {
		return strings.HasPrefix(b.text, key) || strings.Contains(b.text, "\n"+key)
	}
	switch {
	case has("grid:"):
		f := fmt.Sprintf("example-%d.yaml", b.line)
		if err := os.WriteFile(f, []byte(b.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, so, se := runCLI(t, "check", f); code != 0 {
			t.Fatalf("%s:%d: sweep check: exit %d\n%s%s", b.file, b.line, code, so, se)
		}
		if code, so, se := runCLI(t, "run", f, "--out", t.TempDir(), "--progress", "none"); code != 0 {
			t.Fatalf("%s:%d: sweep run: exit %d\n%s%s", b.file, b.line, code, so, se)
		}
	case has("hardware:"), has("models:"):
		f := fmt.Sprintf("registry-%d.yaml", b.line)
		if err := os.WriteFile(f, []byte(b.text), 0o644); err != nil {
			t.Fatal(err)
		}
		kind := "hardware"
		if !has("hardware:") {
			kind = "models"
		}
		code, so, se := runCLI(t, "list", kind, "--registry", f)
		if code != 0 {
			t.Fatalf("%s:%d: sweep list %s --registry: exit %d\n%s%s", b.file, b.line, kind, code, so, se)
		}
		if m := regexp.MustCompile(`key: (\S+)`).FindStringSubmatch(b.text); m != nil && !strings.Contains(so, m[1]) {
			t.Errorf("%s:%d: sweep list %s does not list %s:\n%s", b.file, b.line, kind, m[1], so)
		}
	case strings.HasPrefix(b.text, "plots:"):
		// The gallery's plots sections: figures.TestGallery draws each on
		// the study its document names.
		t.Logf("%s:%d: a plots section, drawn by figures.TestGallery", b.file, b.line)
	default:
		t.Fatalf("%s:%d: a yaml block that is neither a sweep file (grid:), registry data nor a plots section; mark it norun", b.file, b.line)
	}
}

func runDocGo(t *testing.T, root string, b docBlock) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	// The module of examples/library, renamed and pointed at this checkout.
	dir := t.TempDir()
	mod, err := os.ReadFile(filepath.Join(root, "examples", "library", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := strings.Replace(string(mod), "module example.com/library", "module example.com/docs", 1)
	gomod = strings.Replace(gomod, "=> ../..", "=> "+root, 1)
	sum, err := os.ReadFile(filepath.Join(root, "examples", "library", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"go.mod": gomod, "go.sum": string(sum), "main.go": b.text} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s:%d: go run: %v\n%s", b.file, b.line, err, out)
	}
	_, expected, ok := strings.Cut(b.text, "// Output:\n")
	if !ok {
		return
	}
	for _, l := range strings.Split(strings.TrimSpace(expected), "\n") {
		want := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "//"))
		if !containsInOrder(string(out), strings.Split(want, "...")) {
			t.Errorf("%s:%d: output lacks %q:\n%s", b.file, b.line, want, out)
		}
	}
}

// pythonModules returns the modules a Python block imports
// ("import a as x, b", "from c import y").
func pythonModules(text string) []string {
	var mods []string
	for _, l := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(l, "import "); ok {
			for _, spec := range strings.Split(rest, ",") {
				if f := strings.Fields(spec); len(f) > 0 {
					mods = append(mods, f[0])
				}
			}
		} else if rest, ok := strings.CutPrefix(l, "from "); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				mods = append(mods, f[0])
			}
		}
	}
	return mods
}

func runDocPython(t *testing.T, b docBlock) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	if mods := pythonModules(b.text); len(mods) > 0 {
		if err := exec.Command(py, "-c", "import "+strings.Join(mods, ", ")).Run(); err != nil {
			t.Skipf("python3 lacks one of %v", mods)
		}
	}
	if out, err := exec.Command(py, "-c", b.text).CombinedOutput(); err != nil {
		t.Fatalf("%s:%d: python: %v\n%s", b.file, b.line, err, out)
	}
}
