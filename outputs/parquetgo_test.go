package outputs

import (
	"fmt"
	"os"

	"github.com/parquet-go/parquet-go"
)

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
