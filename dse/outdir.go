package dse

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mlsysim/mlsysim-go/outputs"
)

// The run folder is the tool's own: a run writes only the names below at
// its top, never through a symbolic link it did not create, never over a
// file it did not write, and one run at a time (a lock file per run or
// shard).

// runEntries are the names a run writes at the top of its folder.
var runEntries = map[string]bool{
	outputs.ManifestFile: true, // manifest.json
	"manifests":          true, // a sharded run's manifests
	"results":            true,
	"arrow":              true,
	"fronts":             true, // each part's own Pareto front
	"pareto.parquet":     true,
	"plots":              true,
}

// linkedDirs are the folders of a run that must not be symbolic links:
// a run writes and deletes files inside them.
var linkedDirs = []string{"manifests", "results", "arrow", "fronts", "plots"}

// isToolTemp reports whether name is a temporary file of this tool: an
// atomic write's ".NAME.tmp-RANDOM" (parts, manifests, the Pareto set) or
// a figure's ".NAME.tmpRANDOM".
func isToolTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name[1:], ".tmp")
}

// isLock reports whether name is a lock file of this tool.
func isLock(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".lock")
}

// isPartFile reports whether name is a results file of this tool.
func isPartFile(name string) bool {
	return strings.HasPrefix(name, "part-") && (strings.HasSuffix(name, ".parquet") || strings.HasSuffix(name, ".arrow") ||
		strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".json"))
}

// checkOut refuses a run folder out that the run could harm: one whose
// results, arrow, manifests or plots folder (or manifest.json or
// pareto.parquet) is a symbolic link, always; and, unless force, one that
// holds files this tool did not write: a name at its top the tool never
// writes, a pareto.parquet no manifest records, files in results or arrow
// that are not parts, or anything at all in a folder without a manifest.
// Inside plots the tool cannot tell its figures from others once a
// manifest exists, and accepts them. Both are *InputError.
func checkOut(out string, force bool) error {
	if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return inputErr(fmt.Errorf("%s is not a folder; a run writes a folder of files", out))
	}
	ents, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // nothing there yet (making the folder reports a file in the way)
	}
	if err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	for _, e := range ents {
		if runEntries[e.Name()] && e.Type()&fs.ModeSymlink != 0 {
			return inputErr(fmt.Errorf("%s is a symbolic link: a run never writes through a link it did not create; remove the link or choose another --out",
				filepath.Join(out, e.Name())))
		}
	}
	if force {
		return nil
	}
	top, _ := outputs.ReadManifest(out)
	shards, _ := filepath.Glob(filepath.Join(out, "manifests", "shard-*.json"))
	ours := top != nil || len(shards) > 0
	var foreign []string
	for _, e := range ents {
		name := e.Name()
		switch {
		case isToolTemp(name) || isLock(name):
		case !runEntries[name]:
			foreign = append(foreign, name)
		case name == "pareto.parquet":
			if top == nil || top.Pareto == nil {
				foreign = append(foreign, name)
			}
		case name == "results" || name == "arrow" || name == "fronts":
			foreign = append(foreign, foreignIn(filepath.Join(out, name), name, isPartFile)...)
		case name == "plots" || name == "manifests":
			if !ours {
				foreign = append(foreign, foreignIn(filepath.Join(out, name), name, func(string) bool { return false })...)
			}
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	sort.Strings(foreign)
	more := ""
	if len(foreign) > 5 {
		more = fmt.Sprintf(" and %d more", len(foreign)-5)
		foreign = foreign[:5]
	}
	return inputErr(fmt.Errorf("%s holds files this tool did not write (%s%s); a run never overwrites them: move them away, choose another --out, or give --force to run beside them",
		out, strings.Join(foreign, ", "), more))
}

// foreignIn lists (as rel/...) the files under dir that are neither the
// tool's temporary files nor accepted by ok, and the symbolic links.
func foreignIn(dir, rel string, ok func(string) bool) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		name := d.Name()
		r, _ := filepath.Rel(dir, p)
		r = filepath.ToSlash(filepath.Join(rel, r))
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			out = append(out, r)
		case d.IsDir():
			if !strings.HasPrefix(name, "shard=") {
				out = append(out, r+"/")
				return filepath.SkipDir
			}
		case !isToolTemp(name) && !isLock(name) && !ok(name):
			out = append(out, r)
		}
		return nil
	})
	return out
}

// lockFile is a held lock on a run folder (or one shard of it).
type lockFile struct {
	f    *os.File
	path string
}

// lockPath is the lock file of layout l: OUT/.sweep.lock for a run (and a
// merge), OUT/manifests/.shard-K.lock for shard K, so that the shards of
// one sweep share the folder while two runs of the same shard do not.
func lockPath(out string, shard *outputs.ManifestShard) string {
	if shard == nil {
		return filepath.Join(out, ".sweep.lock")
	}
	return filepath.Join(out, "manifests", fmt.Sprintf(".shard-%d.lock", shard.K))
}

// ErrBusy is the cause of an error for a run folder another run holds.
var ErrBusy = errors.New("run folder in use")

// acquireLock takes the exclusive lock at path: an flock(2) on the file,
// which the kernel releases when the holder exits, however it exits, and
// the holder's PID, host and start time written in the file for the
// message a second run prints. A lock file left by a holder that died is
// taken over (notice says so). The lock is refused, with an error wrapping
// ErrBusy, while its holder lives.
func acquireLock(path string, notice func(string)) (*lockFile, error) {
	host, _ := os.Hostname()
	for range 8 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		held := ""
		if b, err := os.ReadFile(path); err == nil {
			held = strings.TrimSpace(string(b))
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("%w: %s is held by another run (%s); wait for it to end, or choose another --out",
				ErrBusy, path, strings.ReplaceAll(held, "\n", ", "))
		}
		if err != nil && !errors.Is(err, syscall.ENOLCK) && !errors.Is(err, syscall.EOPNOTSUPP) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err != nil && lockerAlive(held, host) {
			// No flock on this filesystem: the recorded holder decides.
			f.Close()
			return nil, fmt.Errorf("%w: %s is held by another run (%s); wait for it to end, or choose another --out",
				ErrBusy, path, strings.ReplaceAll(held, "\n", ", "))
		}
		// The file may have been removed by its last holder between our
		// open and our lock: then we hold a lock on nothing; start over.
		st1, err1 := f.Stat()
		st2, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(st1, st2) {
			f.Close()
			continue
		}
		if held != "" {
			notice(fmt.Sprintf("taking over the lock %s left by a run that ended without releasing it (%s)", path, strings.ReplaceAll(held, "\n", ", ")))
		}
		if err := f.Truncate(0); err == nil {
			fmt.Fprintf(f, "pid %d\nhost %s\nsince %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
		}
		return &lockFile{f: f, path: path}, nil
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps changing", path)
}

// lockerAlive reports whether the holder recorded in a lock file's text
// may still run: a process on another host is assumed alive; one on this
// host is alive when signal 0 reaches it.
func lockerAlive(held, host string) bool {
	var pid int
	var h string
	for _, line := range strings.Split(held, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "pid":
			pid, _ = strconv.Atoi(v)
		case "host":
			h = v
		}
	}
	if pid <= 0 {
		return false
	}
	if h != host {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// release removes the lock file and releases the lock. Nil-safe.
func (l *lockFile) release() {
	if l == nil {
		return
	}
	os.Remove(l.path) // while held, so no one holds a lock on a removed file
	l.f.Close()
}

// removeStale removes the temporary files this tool leaves when killed
// (atomic writes' ".NAME.tmp-*", figures' ".NAME.tmp*") from the folders
// of layout l: for a run, the top of the folder, results, arrow, fronts and plots;
// for a shard, its own results, arrow and fronts folders and its manifest's
// temporary files. The caller holds the layout's lock, so no other run
// writes them. It returns the files removed, relative to the run folder.
func removeStale(l runLayout) ([]string, error) {
	var dirs []string
	res := filepath.Join(l.out, filepath.FromSlash(l.results))
	dirs = append(dirs, res, filepath.Dir(ArrowPath(filepath.Join(res, "x.parquet"))), filepath.Dir(FrontPath(filepath.Join(res, "x.parquet"))))
	prefix, manifests := "", -1
	if l.shard == nil {
		dirs = append(dirs, l.out, filepath.Join(l.out, "plots"))
	} else {
		manifests = len(dirs) // a shard removes only its own manifest's temporary files
		dirs = append(dirs, filepath.Dir(l.manifest))
		prefix = "." + filepath.Base(l.manifest) + ".tmp"
	}
	var removed []string
	for i, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if e.IsDir() || !isToolTemp(name) || (i == manifests && !strings.HasPrefix(name, prefix)) {
				continue
			}
			p := filepath.Join(dir, name)
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return removed, fmt.Errorf("remove %s: %w", p, err)
			}
			r, _ := filepath.Rel(l.out, p)
			removed = append(removed, filepath.ToSlash(r))
		}
	}
	return removed, nil
}

// CleanStale removes the temporary files a killed run left in the run
// folder dir (see removeStale), for the run and for every shard its
// manifests name, each under its lock: a folder a live run holds is
// refused (an error wrapping ErrBusy). It returns the files removed,
// relative to dir.
func CleanStale(dir string) ([]string, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, inputErr(err)
	} else if !st.IsDir() {
		return nil, inputErr(fmt.Errorf("%s is not a folder", dir))
	}
	if err := checkOut(dir, true); err != nil {
		return nil, err
	}
	layouts := []runLayout{{out: dir, results: "results", manifest: filepath.Join(dir, outputs.ManifestFile)}}
	files, _ := filepath.Glob(filepath.Join(dir, "manifests", "shard-*.json"))
	for _, f := range files {
		var k int
		if _, err := fmt.Sscanf(filepath.Base(f), "shard-%d.json", &k); err != nil {
			continue
		}
		sh := &outputs.ManifestShard{K: k}
		layouts = append(layouts, runLayout{out: dir, shard: sh, manifest: f,
			results: filepath.ToSlash(filepath.Join("results", fmt.Sprintf("shard=%d", k)))})
	}
	var removed []string
	for _, l := range layouts {
		lk, err := acquireLock(lockPath(dir, l.shard), func(string) {})
		if err != nil {
			return removed, err
		}
		r, err := removeStale(l)
		lk.release()
		removed = append(removed, r...)
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}
