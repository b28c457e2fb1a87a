package apicheck

import (
	"flag"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the API and registry-name snapshots in testdata")

// stablePackages are the packages whose exported API is snapshot: all of
// units and registry, and the stable identifiers of engine.
var stablePackages = []struct {
	dir, path string
	keep      func(line string) bool // nil = every exported identifier
}{
	{"units", "github.com/mlsysim/mlsysim-go/units", nil},
	{"registry", "github.com/mlsysim/mlsysim-go/registry", nil},
	{"engine", "github.com/mlsysim/mlsysim-go/engine", engineStable},
}

// engineStableFields are Profile's stable fields; its other fields may
// change between minor versions.
var engineStableFields = map[string]bool{"Latency": true, "Throughput": true, "Bottleneck": true, "MFU": true, "Feasible": true, "Energy": true}

// engineStableFuncs, engineStableTypes and engineStableConsts are the
// stable identifiers of engine beside Solve: the typed entry point that
// gives the command line's numbers (Predict) and the enums it shares.
var (
	engineStableFuncs  = map[string]bool{"Solve": true, "Predict": true, "NewQuery": true, "EvaluateChecked": true, "ParseMode": true, "ParseFidelity": true}
	engineStableTypes  = map[string]bool{"Options": true, "Profile": true, "Query": true, "Prediction": true, "Mode": true, "Fidelity": true, "Bottleneck": true}
	engineStableConsts = map[string]bool{"Inference": true, "Training": true, "Serving": true, "FidelityMLSysim": true, "FidelityCalibrated": true,
		"BottleneckCompute": true, "BottleneckMemory": true, "BottleneckNetwork": true}
	engineStableMethods = map[string]bool{"(Query) Config": true, "(Mode) String": true, "(Fidelity) String": true, "(Bottleneck) String": true}
)

// engineStable keeps Solve, Options (every field), Profile (its six
// stable fields), and Predict with its Query, Prediction and enums.
func engineStable(line string) bool {
	f := strings.Fields(line)
	if len(f) < 2 {
		return false
	}
	name, _, _ := strings.Cut(f[1], "(")
	switch f[0] {
	case "func":
		return engineStableFuncs[name]
	case "type":
		return engineStableTypes[f[1]]
	case "const":
		return engineStableConsts[f[1]]
	case "method":
		if len(f) < 3 {
			return false
		}
		m, _, _ := strings.Cut(f[2], "(")
		return engineStableMethods[f[1]+" "+m]
	case "field":
		if rest, ok := strings.CutPrefix(f[1], "Options."); ok {
			return rest != ""
		}
		if rest, ok := strings.CutPrefix(f[1], "Profile."); ok {
			return engineStableFields[rest]
		}
		typ, _, _ := strings.Cut(f[1], ".")
		return typ == "Query" || typ == "Prediction"
	}
	return false
}

// repoRoot is the module root, two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// fset and sourceImporter are shared by every listAPI call, so that each
// imported package is type-checked once per test binary.
var (
	fset           = token.NewFileSet()
	sourceImporter = importer.ForCompiler(fset, "source", nil)
)

// listAPI type-checks the Go package in dir (its non-test files for this
// platform) as import path path and lists its exported API, one sorted line
// per identifier:
//
//	const KB untyped float = 1000
//	var ErrSyntax error
//	func ParseSeconds(string) (Seconds, error)
//	type Seconds float64
//	field Hardware.Key string
//	method (*Registry) Hardware(string) (*Hardware, error)
//
// Signatures carry parameter types only: renaming a parameter does not
// change the API.
func listAPI(dir, path string) ([]string, error) {
	bp, err := build.ImportDir(dir, 0)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: sourceImporter}
	pkg, err := conf.Check(path, fset, files, nil)
	if err != nil {
		return nil, err
	}
	qual := func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
	typ := func(t types.Type) string { return types.TypeString(t, qual) }
	var out []string
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch o := obj.(type) {
		case *types.Const:
			out = append(out, "const "+name+" "+typ(o.Type())+" = "+o.Val().ExactString())
		case *types.Var:
			out = append(out, "var "+name+" "+typ(o.Type()))
		case *types.Func:
			out = append(out, "func "+name+signature(o.Type().(*types.Signature), typ))
		case *types.TypeName:
			out = append(out, typeLines(o, typ)...)
		}
	}
	sort.Strings(out)
	return out, nil
}

// signature renders a signature without parameter names.
func signature(sig *types.Signature, typ func(types.Type) string) string {
	var b strings.Builder
	b.WriteString("(")
	ps := sig.Params()
	for i := 0; i < ps.Len(); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		t := ps.At(i).Type()
		if sig.Variadic() && i == ps.Len()-1 {
			b.WriteString("..." + typ(t.(*types.Slice).Elem()))
		} else {
			b.WriteString(typ(t))
		}
	}
	b.WriteString(")")
	rs := sig.Results()
	switch rs.Len() {
	case 0:
	case 1:
		b.WriteString(" " + typ(rs.At(0).Type()))
	default:
		b.WriteString(" (")
		for i := 0; i < rs.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(typ(rs.At(i).Type()))
		}
		b.WriteString(")")
	}
	return b.String()
}

// typeLines lists a named type, its exported fields (structs) or methods
// (interfaces), and its exported methods on value and pointer receivers.
func typeLines(o *types.TypeName, typ func(types.Type) string) []string {
	name := o.Name()
	var out []string
	switch u := o.Type().Underlying().(type) {
	case *types.Struct:
		out = append(out, "type "+name+" struct")
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if f.Exported() {
				out = append(out, "field "+name+"."+f.Name()+" "+typ(f.Type()))
			}
		}
	case *types.Interface:
		out = append(out, "type "+name+" interface")
		for i := 0; i < u.NumMethods(); i++ {
			m := u.Method(i)
			if m.Exported() {
				out = append(out, "method "+name+"."+m.Name()+signature(m.Type().(*types.Signature), typ))
			}
		}
	default:
		if o.IsAlias() {
			out = append(out, "type "+name+" = "+typ(o.Type()))
		} else {
			out = append(out, "type "+name+" "+typ(u))
		}
	}
	if _, isIface := o.Type().Underlying().(*types.Interface); isIface {
		return out
	}
	ms := types.NewMethodSet(types.NewPointer(o.Type()))
	for i := 0; i < ms.Len(); i++ {
		f := ms.At(i).Obj().(*types.Func)
		if !f.Exported() || len(ms.At(i).Index()) > 1 { // promoted methods belong to the embedded type
			continue
		}
		sig := f.Type().(*types.Signature)
		recv := name
		if _, ptr := sig.Recv().Type().(*types.Pointer); ptr {
			recv = "*" + name
		}
		out = append(out, "method ("+recv+") "+f.Name()+signature(sig, typ))
	}
	return out
}

// missing returns the lines of want that got lacks: identifiers removed or
// changed.
func missing(want, got []string) []string {
	have := map[string]bool{}
	for _, l := range got {
		have[l] = true
	}
	var out []string
	for _, l := range want {
		if !have[l] {
			out = append(out, l)
		}
	}
	return out
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/apicheck -update to create it)", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func writeLines(t *testing.T, file, header string, lines []string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(header+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

const apiHeader = "# The stable exported API of this package (docs/api-stability.md). A line that\n" +
	"# disappears is a breaking change; regenerate with go test ./internal/apicheck -update\n" +
	"# only when adding to the API.\n"

// TestStableAPI fails when an identifier of the snapshot in
// testdata/api/PKG.txt disappears or changes its signature.
func TestStableAPI(t *testing.T) {
	root := repoRoot(t)
	for _, p := range stablePackages {
		t.Run(p.dir, func(t *testing.T) {
			got, err := listAPI(filepath.Join(root, p.dir), p.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.keep != nil {
				var kept []string
				for _, l := range got {
					if p.keep(l) {
						kept = append(kept, l)
					}
				}
				got = kept
			}
			golden := filepath.Join("testdata", "api", p.dir+".txt")
			if *update {
				writeLines(t, golden, apiHeader, got)
				return
			}
			want := readLines(t, golden)
			for _, l := range missing(want, got) {
				t.Errorf("stable API of %s lost or changed: %s", p.path, l)
			}
			if added := missing(got, want); len(added) > 0 {
				t.Logf("%s: %d additions not in the snapshot (fine; -update records them), e.g. %s", p.dir, len(added), added[0])
			}
		})
	}
}

// TestGuardCatchesRemoval copies package units, deletes a stable function
// from the copy, and checks that the snapshot comparison reports it, and
// that changing a signature is reported too.
func TestGuardCatchesRemoval(t *testing.T) {
	root := repoRoot(t)
	want := readLines(t, filepath.Join("testdata", "api", "units.txt"))
	src := filepath.Join(root, "units")
	for _, c := range []struct {
		name, from, to, lost string
	}{
		{"removed", "func ParseSeconds(s string) (Seconds, error) {", "func parseSeconds(s string) (Seconds, error) {", "func ParseSeconds(string) (Seconds, error)"},
		{"changed", "func FromGiB(gib float64) Bytes {", "func FromGiB(gib float32) Bytes {", "func FromGiB(float64) Bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			entries, err := os.ReadDir(src)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range entries {
				if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
					continue
				}
				b, err := os.ReadFile(filepath.Join(src, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				s := string(b)
				if strings.Contains(s, c.from) {
					found = true
					s = strings.Replace(s, c.from, c.to, 1)
					s = strings.ReplaceAll(s, "float64(gib * GiB)", "float64(gib) * GiB") // keep the changed copy compiling
				}
				if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if !found {
				t.Fatalf("units no longer has %q; update this test", c.from)
			}
			got, err := listAPI(dir, "github.com/mlsysim/mlsysim-go/units")
			if err != nil {
				t.Fatal(err)
			}
			lost := missing(want, got)
			if len(lost) != 1 || lost[0] != c.lost {
				t.Errorf("the guard reported %q, want exactly %q", lost, c.lost)
			}
		})
	}
}
