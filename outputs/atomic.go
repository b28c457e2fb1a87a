package outputs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// CreateAtomic starts writing path. The directory must exist.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
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
