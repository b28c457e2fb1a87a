// Package hostile runs the hostile-input corpus: sweep command lines and
// files that a careless user or an attacker might give the tool (cases.txt,
// files/, and the huge or special inputs this file generates), each with
// its expected exit status and caps on time, memory and output.
package hostile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// Defaults of the per-case caps (cases.txt may raise or lower them).
const (
	defaultTime  = 10 * time.Second
	defaultMemMB = 512
	maxOutput    = 64 << 10 // stdout + stderr
	parallel     = 4        // cases run at once
)

type hostileCase struct {
	name     string
	exit     int
	timeCap  time.Duration
	memMB    int64
	noOutput []string // texts the output must not contain
	args     []string
	line     int
	setup    string // a state of {out} made before the command (setups)
	rows     int64  // the rows the results under {out} must hold; -1 = any
}

var repPat = regexp.MustCompile(`\{rep:(.):(\d+)\}`)

// expand replaces the placeholders of one argument.
func expand(s, files, gen, out string) string {
	s = repPat.ReplaceAllStringFunc(s, func(m string) string {
		sub := repPat.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[2])
		return strings.Repeat(sub[1], n)
	})
	return strings.NewReplacer("{f}", files, "{gen}", gen, "{out}", out).Replace(s)
}

// split splits a case line at spaces; 'single quotes' keep spaces.
func split(line string) []string {
	var out []string
	var cur strings.Builder
	in, has := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			in, has = !in, true
		case (r == ' ' || r == '\t') && !in:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

func readCases(t *testing.T) []hostileCase {
	t.Helper()
	f, err := os.Open("cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []hostileCase
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		tok := split(line)
		if len(tok) < 3 {
			t.Fatalf("cases.txt:%d: want name, exit status and arguments", n)
		}
		exit, err := strconv.Atoi(tok[1])
		if err != nil {
			t.Fatalf("cases.txt:%d: exit status %q", n, tok[1])
		}
		c := hostileCase{name: tok[0], exit: exit, timeCap: defaultTime, memMB: defaultMemMB, line: n, rows: -1}
		if seen[c.name] {
			t.Fatalf("cases.txt:%d: case %s twice", n, c.name)
		}
		seen[c.name] = true
		for _, a := range tok[2:] {
			switch {
			case strings.HasPrefix(a, "@time="):
				s, err := strconv.ParseFloat(strings.TrimPrefix(a, "@time="), 64)
				if err != nil {
					t.Fatalf("cases.txt:%d: %s", n, a)
				}
				c.timeCap = time.Duration(s * float64(time.Second))
			case strings.HasPrefix(a, "@mem="):
				m, err := strconv.ParseInt(strings.TrimPrefix(a, "@mem="), 10, 64)
				if err != nil {
					t.Fatalf("cases.txt:%d: %s", n, a)
				}
				c.memMB = m
			case strings.HasPrefix(a, "@setup="):
				c.setup = strings.TrimPrefix(a, "@setup=")
				if _, ok := setups[c.setup]; !ok {
					t.Fatalf("cases.txt:%d: no setup %q", n, c.setup)
				}
			case strings.HasPrefix(a, "@rows="):
				r, err := strconv.ParseInt(strings.TrimPrefix(a, "@rows="), 10, 64)
				if err != nil {
					t.Fatalf("cases.txt:%d: %s", n, a)
				}
				c.rows = r
			case strings.HasPrefix(a, "@nostderr="):
				c.noOutput = append(c.noOutput, strings.TrimPrefix(a, "@nostderr="))
			default:
				c.args = append(c.args, a)
			}
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// readPending returns the cases to skip, with the reason given for each.
func readPending(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("pending.txt")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, why, _ := strings.Cut(line, " ")
		out[name] = strings.TrimSpace(why)
	}
	return out
}

// buildSweep builds the command once.
func buildSweep(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "sweep")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/mlsysim/mlsysim-go/cmd/sweep").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	return bin
}

// generate writes the inputs too large or too special for files/.
func generate(t *testing.T, gen, files string) {
	t.Helper()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(gen, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const base = "name: hostile\nfixed: {mode: inference}\ngrid:\n  model: [Llama3_8B]\n  hardware: [H100]\n"
	if err := syscall.Mkfifo(filepath.Join(gen, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop.yaml", filepath.Join(gen, "loop.yaml")); err != nil {
		t.Fatal(err)
	}
	write("huge-registry.yaml", strings.Repeat("# padding padding padding padding padding padding padding pad\n", (17<<20)/64))
	write("nested-brackets.yaml", base+"  batch_size: "+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"\n")
	var nm strings.Builder
	nm.WriteString(base + "  batch_size: ")
	for range 10000 {
		nm.WriteString("{a: ")
	}
	nm.WriteString("1")
	nm.WriteString(strings.Repeat("}", 10000) + "\n")
	write("nested-maps.yaml", nm.String())
	// A billion laughs: ten levels of ten aliases each.
	var laugh strings.Builder
	laugh.WriteString("name: hostile\nfixed: {mode: inference}\nanchors:\n  l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&laugh, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	laugh.WriteString("grid:\n  model: [Llama3_8B]\n  hardware: [H100]\n  batch_size: *l9\n")
	write("alias-fanout.yaml", laugh.String())
	write("alias-fanout-registry.yaml", strings.Replace(laugh.String(), "name: hostile\nfixed: {mode: inference}\n", "", 1))
	write("long-key.yaml", base+"  "+strings.Repeat("Z", 1<<20)+": [1]\n")
	var flow strings.Builder
	flow.WriteString(base + "  batch_size: [")
	for i := 1; i <= 100000; i++ {
		if i > 1 {
			flow.WriteString(", ")
		}
		flow.WriteString(strconv.Itoa(i))
	}
	flow.WriteString("]\n")
	write("big-flow-list.yaml", flow.String())
	write("huge-flow-list.yaml", base+"  batch_size: ["+strings.Repeat("1, ", 20<<20/3)+"1]\n")
	write("five-axes.yaml", "name: hostile\nfixed: {mode: inference, model: Llama3_8B, hardware: H100}\ngrid:\n"+
		"  batch_size: {from: 1, to: 1048576, step: 1}\n  seq_len: {from: 1, to: 1048576, step: 1}\n"+
		"  output_tokens: {from: 1, to: 1048576, step: 1}\n  efficiency: {from: 0.000001, to: 1, step: 0.000000953}\n"+
		"  max_seq_len: {from: 1, to: 1048576, step: 1}\n")
	var many strings.Builder
	many.WriteString("hardware:\n")
	for i := range 5000 {
		fmt.Fprintf(&many, "  - {key: Bad%d, tier: Nope, peak_flops: -1, memory: {capacity: 0, bandwidth: 0}}\n", i)
	}
	write("many-errors-registry.yaml", many.String())
	hw := "name: hostile-registry\nfixed: {mode: serving, model: Llama3_8B, hardware: Hostile1}\ngrid:\n  batch_size: [1, 64]\n  qps: [0, 1, 1e6]\n"
	write("registry-hw-sweep.yaml", hw)
	write("registry-hw-sweep-inline.yaml", "registry: "+filepath.Join(files, "reg-extreme-valid.yaml")+"\n"+hw)
	write("registry-fifo-sweep.yaml", "registry: "+filepath.Join(gen, "fifo")+"\n"+base+"  batch_size: [1]\n")
}

// setups make the state of {out} a filesystem case starts from: a finished
// run of files/parts.yaml (32 rows in 4 parts) damaged in some way, or
// files of the user's own in the folder.
var setups = map[string]func(bin, files, out string) error{
	"prior-run": func(bin, files, out string) error { return priorRun(bin, files, out) },
	"deleted-part": func(bin, files, out string) error {
		if err := priorRun(bin, files, out); err != nil {
			return err
		}
		return os.Remove(filepath.Join(out, "results", "part-00001.parquet"))
	},
	"truncated-part": func(bin, files, out string) error {
		if err := priorRun(bin, files, out); err != nil {
			return err
		}
		p := filepath.Join(out, "results", "part-00001.parquet")
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		return os.Truncate(p, st.Size()/2)
	},
	"corrupt-part": func(bin, files, out string) error {
		if err := priorRun(bin, files, out); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(out, "results", "part-00002.parquet"), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteAt(bytes.Repeat([]byte{0xA5}, 64), 16)
		return err
	},
	"user-pareto": func(bin, files, out string) error {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(out, "pareto.parquet"), []byte("the user's own file"), 0o644)
	},
	"symlink-results": func(bin, files, out string) error {
		victim := out + "-victim"
		if err := os.MkdirAll(victim, 0o755); err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(victim, "part-00000.parquet"), []byte("the user's own file"), 0o644); err != nil {
			return err
		}
		return os.Symlink(victim, filepath.Join(out, "results"))
	},
	"foreign-file": func(bin, files, out string) error {
		if err := priorRun(bin, files, out); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(out, "notes.txt"), []byte("the user's own file"), 0o644)
	},
	"stale-tmp": func(bin, files, out string) error {
		if err := priorRun(bin, files, out); err != nil {
			return err
		}
		for _, f := range []string{".manifest.json.tmp-1", ".pareto.parquet.tmp-2", "results/.part-00001.parquet.tmp-3"} {
			if err := os.WriteFile(filepath.Join(out, f), []byte("partial"), 0o644); err != nil {
				return err
			}
		}
		return nil
	},
	"symlink-plots": func(bin, files, out string) error {
		victim := out + "-victim"
		if err := os.MkdirAll(victim, 0o755); err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(victim, "keep.png"), []byte("the user's own file"), 0o644); err != nil {
			return err
		}
		return os.Symlink(victim, filepath.Join(out, "plots"))
	},
}

func priorRun(bin, files, out string) error {
	b, err := exec.Command(bin, "run", filepath.Join(files, "parts.yaml"), "--out", out, "--progress", "none").CombinedOutput()
	if err != nil {
		return fmt.Errorf("prior run: %v: %s", err, b)
	}
	return nil
}

// countRows returns the rows of the run's result parts under out.
func countRows(out string) (int64, error) {
	parts, err := outputs.ResultFiles(out)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range parts {
		fi, err := outputs.Inspect(p)
		if err != nil {
			return 0, err
		}
		n += fi.Rows
	}
	return n, nil
}

var nonFinite = regexp.MustCompile(`\b(NaN|[+-]?Inf)\b`)

// checkFinite reports every Parquet file under dir holding NaN or ±Inf.
func checkFinite(dir string) error {
	var bad []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".parquet" || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		if !isParquet(p) {
			return nil // not written by the run (a setup's file of the user's own)
		}
		fi, err := outputs.Inspect(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		return outputs.ReadColumns([]string{p}, fi.Names(), func(b *outputs.ColumnBatch) error {
			for _, c := range b.Cols {
				for i, x := range c.Float {
					if (c.Null == nil || !c.Null[i]) && (math.IsInf(x, 0) || (math.IsNaN(x) && c.Null != nil)) {
						bad = append(bad, fmt.Sprintf("%s: %s row %d = %v", filepath.Base(p), c.Name, b.Offset+int64(i), x))
						return nil
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("non-finite numbers: %s", strings.Join(bad[:min(len(bad), 5)], "; "))
	}
	return nil
}

// isParquet reports whether the file starts with Parquet's magic bytes.
func isParquet(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "PAR1"
}

// boundedBuffer keeps the first max bytes written and counts the rest.
type boundedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	n   int64
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n += int64(len(p))
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func TestHostileCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the sweep binary for every case")
	}
	cases := readCases(t)
	if len(cases) < 100 {
		t.Errorf("%d cases; the corpus holds at least 100", len(cases))
	}
	pending := readPending(t)
	for name := range pending {
		found := false
		for _, c := range cases {
			found = found || c.name == name
		}
		if !found {
			t.Errorf("pending.txt names %s, not a case", name)
		}
	}
	tmp := t.TempDir()
	bin := buildSweep(t, tmp)
	files, err := filepath.Abs("files")
	if err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(tmp, "gen")
	if err := os.Mkdir(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	generate(t, gen, files)
	sem := make(chan struct{}, parallel)
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if why, ok := pending[c.name]; ok && os.Getenv("HOSTILE_RUN_PENDING") == "" {
					t.Skipf("pending (HOSTILE_RUN_PENDING=1 runs it): %s", why)
				}
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				runCase(t, bin, files, gen, c)
			})
		}
	})
}

func runCase(t *testing.T, bin, files, gen string, c hostileCase) {
	out := filepath.Join(t.TempDir(), "out")
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = expand(a, files, gen, out)
	}
	if c.setup != "" {
		if err := setups[c.setup](bin, files, out); err != nil {
			t.Fatalf("setup %s: %v", c.setup, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeCap+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	var stdout, stderr boundedBuffer
	stdout.max, stderr.max = maxOutput, maxOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	where := fmt.Sprintf("cases.txt:%d", c.line)
	if ctx.Err() != nil {
		t.Fatalf("%s: killed after %v (cap %v)", where, wall.Round(time.Millisecond), c.timeCap)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	text := stdout.buf.String() + stderr.buf.String()
	excerpt := text
	if len(excerpt) > 600 {
		excerpt = excerpt[:600] + "…"
	}
	if code != c.exit {
		t.Errorf("%s: exit %d, want %d: %s", where, code, c.exit, excerpt)
	}
	if wall > c.timeCap {
		t.Errorf("%s: took %v, cap %v", where, wall.Round(time.Millisecond), c.timeCap)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if mb := ru.Maxrss >> 10; mb > c.memMB { // Maxrss is in KiB on Linux
			t.Errorf("%s: peak RSS %d MiB, cap %d MiB", where, mb, c.memMB)
		}
	}
	if n := stdout.n + stderr.n; n > maxOutput {
		t.Errorf("%s: %d bytes of output, cap %d", where, n, maxOutput)
	}
	for _, s := range c.noOutput {
		if s = expand(s, files, gen, out); strings.Contains(text, s) {
			t.Errorf("%s: the output repeats %.40q…", where, s)
		}
	}
	if code == 0 && nonFinite.MatchString(stdout.buf.String()) {
		t.Errorf("%s: non-finite number in the output: %s", where, excerpt)
	}
	if _, err := os.Stat(out); err == nil {
		if err := checkFinite(out); err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
	if c.rows >= 0 {
		if n, err := countRows(out); err != nil || n != c.rows {
			t.Errorf("%s: results hold %d rows (%v), want %d", where, n, err, c.rows)
		}
	}
}
