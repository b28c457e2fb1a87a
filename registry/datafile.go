package registry

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// MaxDataFileBytes is the largest data file ReadDataFile reads, 16 MiB: the
// embedded registry is under 1 MiB.
const MaxDataFileBytes = 16 << 20

// ReadDataFile reads a user-given data file (a registry file, a calibration
// profile) safely: it must be a regular file (symbolic links to one are
// followed; a device such as /dev/zero, a FIFO, a socket or a directory is
// refused before it is read) of at most MaxDataFileBytes. The file is
// opened non-blocking, so a FIFO swapped in after the check cannot block,
// and checked again through the open descriptor. Errors name the file and
// never quote its content.
func ReadDataFile(name string) ([]byte, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if err := regular(name, st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regular(name, st); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxDataFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > MaxDataFileBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB, the most a data file may hold", name, MaxDataFileBytes>>20)
	}
	return b, nil
}

func regular(name string, st os.FileInfo) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (%s)", name, st.Mode().Type())
	}
	if st.Size() > MaxDataFileBytes {
		return fmt.Errorf("%s: %d bytes, larger than %d MiB, the most a data file may hold", name, st.Size(), MaxDataFileBytes>>20)
	}
	return nil
}
