package outputs

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// AtomicFile is a file that becomes visible under its final name only when
// Commit succeeds: it is written to a temporary name in the same directory
// (".name.tmp-*"), synced, closed and renamed, and the directory is synced.
// After a crash at any point, the final name holds either nothing or the
// whole file.
type AtomicFile struct {
	*os.File
	final string
	done  bool
}

// CreateAtomic starts writing path. The directory must exist. The file's
// mode is that of os.Create, 0666 less the umask (see CreateTemp).
func CreateAtomic(path string) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &AtomicFile{File: f, final: path}, nil
}

// Commit syncs, closes and renames the file to its final name, then syncs
// the directory so the rename survives a power loss.
func (a *AtomicFile) Commit() error {
	if a.done {
		return errors.New("outputs: commit of a finished file")
	}
	a.done = true
	tmp := a.File.Name()
	if err := a.File.Sync(); err != nil {
		a.File.Close()
		os.Remove(tmp)
		return fmt.Errorf("sync %s: %w", a.final, err)
	}
	if err := a.File.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("close %s: %w", a.final, err)
	}
	if err := os.Rename(tmp, a.final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", a.final, err)
	}
	return SyncDir(filepath.Dir(a.final))
}

// Abort closes and removes the temporary file. It is safe to call after
// Commit (it does nothing then), so `defer f.Abort()` covers every error path.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.File.Close()
	os.Remove(a.File.Name())
}

// SyncDir fsyncs a directory, making renames and creations in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// WriteFileAtomic writes data to path through an AtomicFile.
func WriteFileAtomic(path string, data []byte) error {
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// CreateTemp is os.CreateTemp with the permissions of os.Create: the new
// file's mode is 0666 less the process umask, as for any file the user
// makes, where os.CreateTemp makes 0600 (unreadable by the collaborators a
// shared results directory is for). The last "*" of pattern is replaced by
// a random number; the file is created exclusively (O_EXCL), never opened
// if it exists.
func CreateTemp(dir, pattern string) (*os.File, error) {
	prefix, suffix := pattern, ""
	if i := strings.LastIndexByte(pattern, '*'); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	for range 10000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10)+suffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &os.PathError{Op: "createtemp", Path: filepath.Join(dir, pattern), Err: os.ErrExist}
}
