package outputs

import (
	"fmt"
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// footer returns the footer of the Parquet file, read by parquet-go
// (openParquet).
func footer(t *testing.T, file string) *format.FileMetaData {
	t.Helper()
	f, pf, err := openParquet(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return pf.Metadata()
}

// openParquet opens file with parquet-go, a second, independent Parquet
// implementation, for tests that look at the footer, encodings and
// statistics of the files written.
func openParquet(file string) (*os.File, *parquet.File, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return f, pf, nil
}
