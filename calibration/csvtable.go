package calibration

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// readTable reads a CSV reference table whose first row names its columns:
// the rows (header included) and each column's index by its trimmed name.
// It fails, naming the file, when the table is empty or lacks a column of
// need. ragged accepts rows of differing length (cells past a row's end
// read as empty); otherwise every row must be as long as the header.
func readTable(name string, r io.Reader, ragged bool, need ...string) ([][]string, map[string]int, error) {
	cr := csv.NewReader(r)
	if ragged {
		cr.FieldsPerRecord = -1
	}
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s: empty", name)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, nil, fmt.Errorf("%s: column %q is missing", name, n)
		}
	}
	return rows, col, nil
}
