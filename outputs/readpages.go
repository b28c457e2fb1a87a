package outputs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/parquet"
	pqfile "github.com/apache/arrow-go/v18/parquet/file"
)

// This file decodes the pages of a column chunk directly, for the encodings
// result parts use: PLAIN values, RLE/bit-packed definition levels and
// dictionary indices (the Parquet format's "RLE/bit-packing hybrid"), and
// PLAIN dictionary pages. Apache Arrow's page reader still reads, checks
// and decompresses the pages; only their contents are decoded here, straight
// into the batch's slices, with the value, level and index buffers reused
// from one chunk to the next and a dictionary chunk's strings taken from its
// dictionary (allocated once, and kept while the next chunks repeat it).
// A chunk with anything else (DELTA or BYTE_STREAM_SPLIT values, BIT_PACKED
// levels, a dictionary of numbers) is read again from its start by the
// column chunk reader (readChunkGeneric).

// errOtherEncoding is returned by readChunkPages for a chunk it does not
// decode; the caller then reads the chunk with the column chunk reader.
var errOtherEncoding = errors.New("encoding not decoded directly")

// decodePages says whether readRowGroup tries readChunkPages first (tests
// turn it off to compare with the column chunk reader), and genericChunks
// counts the chunks read by the column chunk reader.
var (
	decodePages   = true
	genericChunks atomic.Int64
)

// littleEndian reports whether the machine stores numbers as Parquet's PLAIN
// encoding does, so that DOUBLE pages can be copied as they are.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// chunkState is what readChunkPages keeps of one column between chunks.
type chunkState struct {
	dict    []string // the strings of the last dictionary page read
	dictRaw []byte   // that page's bytes, to tell a repeated dictionary
}

// readChunkPages decodes column j (physical type phys) of row group rg, n
// rows, into c.
func (r *columnReader) readChunkPages(c *ColumnValues, st *chunkState, rg *pqfile.RowGroupReader, j, n int, maxDef int16, phys parquet.Type) error {
	pr, err := rg.GetColumnPageReader(j)
	if err != nil {
		return err
	}
	defer pr.Close()
	c.Null = c.Null[:0]
	switch c.Kind {
	case KindFloat:
		c.Float = resize(c.Float, n)
	case KindString:
		c.String = resize(c.String, n)
	case KindBool:
		c.Bool = resize(c.Bool, n)
	}
	haveDict := false
	rows := 0
	r.few = r.few[:0]
	for pr.Next() {
		var (
			levels  []byte // the definition levels' RLE/bit-packed runs
			vals    []byte // the values
			nlev    int    // the page's rows
			enc     parquet.Encoding
			present int // the page's non-null rows
		)
		switch p := pr.Page().(type) {
		case *pqfile.DictionaryPage:
			if c.Kind != KindString || haveDict {
				return errOtherEncoding
			}
			e := parquet.Encoding(p.Encoding())
			if e != parquet.Encodings.Plain && e != parquet.Encodings.PlainDict {
				return errOtherEncoding
			}
			if err := r.readDictionary(st, p.Data(), int(p.NumValues())); err != nil {
				return err
			}
			haveDict = true
			continue
		case *pqfile.DataPageV1:
			data := p.Data()
			nlev, enc = int(p.NumValues()), parquet.Encoding(p.Encoding())
			if maxDef > 0 {
				if p.DefinitionLevelEncoding() != parquet.Encodings.RLE {
					return errOtherEncoding
				}
				if len(data) < 4 {
					return errors.New("page too short for its definition levels")
				}
				l := binary.LittleEndian.Uint32(data)
				if uint64(l) > uint64(len(data)-4) {
					return fmt.Errorf("definition levels of %d bytes in a page of %d", l, len(data))
				}
				levels, vals = data[4:4+l], data[4+l:]
			} else {
				vals = data
			}
		case *pqfile.DataPageV2:
			data := p.Data()
			nlev, enc = int(p.NumValues()), parquet.Encoding(p.Encoding())
			rl, dl := int(p.RepetitionLevelByteLen()), int(p.DefinitionLevelByteLen())
			if rl != 0 {
				return fmt.Errorf("repetition levels in a column that is not repeated")
			}
			if dl < 0 || dl > len(data) {
				return fmt.Errorf("definition levels of %d bytes in a page of %d", dl, len(data))
			}
			if maxDef > 0 {
				levels = data[:dl]
			}
			vals = data[dl:]
		default:
			continue
		}
		if nlev < 0 || nlev > n-rows {
			return fmt.Errorf("more than %d values in a row group of %d rows", n, n)
		}
		// The page's definition levels, or nil when every row has a value.
		var def []uint16
		present = nlev
		if maxDef > 0 {
			r.lev = resize(r.lev, nlev)
			if err := decodeHybrid(levels, bits.Len16(uint16(maxDef)), r.lev); err != nil {
				return fmt.Errorf("definition levels: %w", err)
			}
			present = 0
			for _, d := range r.lev {
				if d == uint16(maxDef) {
					present++
				}
			}
			if present < nlev {
				def = r.lev
			}
		}
		var err error
		switch c.Kind {
		case KindFloat:
			if enc != parquet.Encodings.Plain {
				return errOtherEncoding
			}
			err = plainNumbers(c.Float[rows:rows+nlev], vals, present, def, uint16(maxDef), phys)
		case KindString:
			switch enc {
			case parquet.Encodings.Plain:
				err = r.plainStrings(c, rows, nlev, vals, present, def, uint16(maxDef))
			case parquet.Encodings.RLEDict, parquet.Encodings.PlainDict:
				if !haveDict {
					return errors.New("dictionary page missing before a data page")
				}
				err = r.dictStrings(c, st.dict, rows, nlev, vals, present, def, uint16(maxDef))
			default:
				return errOtherEncoding
			}
		case KindBool:
			err = r.pageBools(c, rows, nlev, vals, enc, present, def, uint16(maxDef))
		}
		if err != nil {
			return err
		}
		rows += nlev
	}
	if err := pr.Err(); err != nil {
		return err
	}
	if rows != n {
		return fmt.Errorf("%d values in a row group of %d rows", rows, n)
	}
	return nil
}

// markNulls marks the rows of a page (from row at) whose level is not
// maxDef null in c, a string or bool column of n rows.
func (r *columnReader) markNulls(c *ColumnValues, at int, def []uint16, maxDef uint16, n int) {
	for i, d := range def {
		if d != maxDef {
			r.setNull(c, at+i, n)
		}
	}
}

// plainNumbers decodes the PLAIN numbers vals, present of them, of a page
// into out (NaN where def says null; def nil: no null).
func plainNumbers(out []float64, vals []byte, present int, def []uint16, maxDef uint16, phys parquet.Type) error {
	size := 8
	if phys == parquet.Types.Float || phys == parquet.Types.Int32 {
		size = 4
	}
	if present > len(vals)/size {
		return fmt.Errorf("%d values in a page with room for %d", present, len(vals)/size)
	}
	vals = vals[:present*size]
	if def == nil && phys == parquet.Types.Double && littleEndian && present > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), len(vals)), vals)
		return nil
	}
	get := func(k int) float64 {
		switch phys {
		case parquet.Types.Double:
			return math.Float64frombits(binary.LittleEndian.Uint64(vals[8*k:]))
		case parquet.Types.Int64:
			return float64(int64(binary.LittleEndian.Uint64(vals[8*k:])))
		case parquet.Types.Float:
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(vals[4*k:])))
		default:
			return float64(int32(binary.LittleEndian.Uint32(vals[4*k:])))
		}
	}
	if def == nil {
		for i := range out {
			out[i] = get(i)
		}
		return nil
	}
	nan := math.NaN()
	k := 0
	if phys == parquet.Types.Double { // the common case, without the switch
		for i, d := range def {
			if d == maxDef {
				out[i] = math.Float64frombits(binary.LittleEndian.Uint64(vals[8*k:]))
				k++
			} else {
				out[i] = nan
			}
		}
		return nil
	}
	for i, d := range def {
		if d == maxDef {
			out[i] = get(k)
			k++
		} else {
			out[i] = nan
		}
	}
	return nil
}

// plainStrings decodes the PLAIN byte arrays of a page into c's rows
// [at, at+nlev). While the chunk has at most fewValues distinct values they
// are interned (each allocated once per chunk, in r.few); past that, the
// rest of the page's strings are views of one copy of its remaining bytes,
// which nothing writes again.
func (r *columnReader) plainStrings(c *ColumnValues, at, nlev int, vals []byte, present int, def []uint16, maxDef uint16) error {
	buf, copied := vals, false
	prev := ""
	out := c.String[at : at+nlev]
	for i := range out {
		if def != nil && def[i] != maxDef {
			continue
		}
		if len(buf) < 4 {
			return errors.New("byte array past the end of its page")
		}
		l := binary.LittleEndian.Uint32(buf)
		if uint64(l) > uint64(len(buf)-4) {
			return fmt.Errorf("byte array of %d bytes past the end of its page", l)
		}
		b := buf[4 : 4+l]
		buf = buf[4+l:]
		switch {
		case copied:
			out[i] = unsafe.String(unsafe.SliceData(b), len(b))
		case len(b) == len(prev) && string(b) == prev: // runs of one value: no search
			out[i] = prev
		default:
			s, ok := r.internFew(b)
			if !ok {
				cp := make([]byte, len(b)+len(buf))
				copy(cp, b)
				copy(cp[len(b):], buf)
				s = unsafe.String(unsafe.SliceData(cp), len(b))
				buf, copied = cp[len(b):], true
			}
			out[i], prev = s, s
		}
	}
	if def != nil {
		r.markNulls(c, at, def, maxDef, len(c.String))
	}
	return nil
}

// internFew returns b as one of the chunk's interned values in r.few, adding
// it while there are fewer than fewValues; false when r.few is full and
// lacks b.
func (r *columnReader) internFew(b []byte) (string, bool) {
	for _, s := range r.few {
		if string(b) == s {
			return s, true
		}
	}
	if len(r.few) < fewValues {
		s := string(b)
		r.few = append(r.few, s)
		return s, true
	}
	return "", false
}

// readDictionary decodes a dictionary page of n PLAIN byte arrays into
// st.dict, keeping the strings of the last dictionary when the page repeats
// it.
func (r *columnReader) readDictionary(st *chunkState, data []byte, n int) error {
	if n < 0 || n > len(data)/4 {
		return fmt.Errorf("dictionary of %d values in %d bytes", n, len(data))
	}
	if st.dict != nil && len(st.dict) == n && string(data) == string(st.dictRaw) {
		return nil
	}
	dict := make([]string, 0, n)
	rest := data
	for range n {
		if len(rest) < 4 {
			return errors.New("dictionary value past the end of its page")
		}
		l := binary.LittleEndian.Uint32(rest)
		if uint64(l) > uint64(len(rest)-4) {
			return fmt.Errorf("dictionary value of %d bytes past the end of its page", l)
		}
		dict = append(dict, string(rest[4:4+l]))
		rest = rest[4+l:]
	}
	st.dict = dict
	st.dictRaw = append(st.dictRaw[:0], data...)
	return nil
}

// dictStrings decodes the dictionary indices of a page (a byte of bit
// width, then RLE/bit-packed runs) into c's rows [at, at+nlev).
func (r *columnReader) dictStrings(c *ColumnValues, dict []string, at, nlev int, vals []byte, present int, def []uint16, maxDef uint16) error {
	out := c.String[at : at+nlev]
	if present > 0 {
		if len(vals) < 1 {
			return errors.New("dictionary indices missing")
		}
		r.idx = resize(r.idx, present)
		if err := decodeHybrid(vals[1:], int(vals[0]), r.idx); err != nil {
			return fmt.Errorf("dictionary indices: %w", err)
		}
	}
	bad := func(x uint32) error {
		return fmt.Errorf("dictionary index %d of a dictionary of %d values", x, len(dict))
	}
	if def == nil {
		for i, x := range r.idx[:present] {
			if int(x) >= len(dict) {
				return bad(x)
			}
			out[i] = dict[x]
		}
		return nil
	}
	k := 0
	for i, d := range def {
		if d == maxDef {
			x := r.idx[k]
			if int(x) >= len(dict) {
				return bad(x)
			}
			out[i] = dict[x]
			k++
		}
	}
	r.markNulls(c, at, def, maxDef, len(c.String))
	return nil
}

// pageBools decodes the PLAIN (bit-packed) or RLE booleans of a page into c's
// rows [at, at+nlev).
func (r *columnReader) pageBools(c *ColumnValues, at, nlev int, vals []byte, enc parquet.Encoding, present int, def []uint16, maxDef uint16) error {
	var get func(k int) bool
	switch enc {
	case parquet.Encodings.Plain:
		if present > len(vals)*8 {
			return fmt.Errorf("%d booleans in a page with room for %d", present, len(vals)*8)
		}
		get = func(k int) bool { return vals[k>>3]>>(k&7)&1 != 0 }
	case parquet.Encodings.RLE:
		if len(vals) < 4 {
			return errors.New("page too short for its booleans")
		}
		l := binary.LittleEndian.Uint32(vals)
		if uint64(l) > uint64(len(vals)-4) {
			return fmt.Errorf("booleans of %d bytes in a page of %d", l, len(vals))
		}
		r.lev2 = resize(r.lev2, present)
		if err := decodeHybrid(vals[4:4+l], 1, r.lev2); err != nil {
			return fmt.Errorf("booleans: %w", err)
		}
		get = func(k int) bool { return r.lev2[k] != 0 }
	default:
		return errOtherEncoding
	}
	out := c.Bool[at : at+nlev]
	k := 0
	for i := range out {
		if def != nil && def[i] != maxDef {
			continue
		}
		out[i] = get(k)
		k++
	}
	if def != nil {
		r.markNulls(c, at, def, maxDef, len(c.Bool))
	}
	return nil
}

// decodeHybrid decodes len(out) values of width bits from src, the
// Parquet RLE/bit-packing hybrid encoding (without its length prefix): runs
// of a ULEB128 header, then for an RLE run (header's low bit 0) the
// repeated value in ceil(width/8) bytes, for a bit-packed run (low bit 1)
// header>>1 groups of 8 values packed LSB first. It is an error if src ends
// before out is full or width is over 32.
func decodeHybrid[T uint16 | uint32](src []byte, width int, out []T) error {
	if width < 0 || width > 32 {
		return fmt.Errorf("bit width %d", width)
	}
	if width == 0 {
		clear(out)
		return nil
	}
	byteW := (width + 7) / 8
	mask := uint64(1)<<width - 1
	i := 0
	for i < len(out) {
		hdr, k := binary.Uvarint(src)
		if k <= 0 {
			return fmt.Errorf("%d of %d values, then a damaged run header", i, len(out))
		}
		src = src[k:]
		if hdr&1 == 0 { // RLE run
			if len(src) < byteW {
				return errors.New("RLE run without its value")
			}
			var v uint64
			for b := byteW - 1; b >= 0; b-- {
				v = v<<8 | uint64(src[b])
			}
			src = src[byteW:]
			cnt := hdr >> 1
			if cnt > uint64(len(out)-i) {
				cnt = uint64(len(out) - i)
			}
			t := T(v & mask)
			for j := range out[i : i+int(cnt)] {
				out[i+j] = t
			}
			i += int(cnt)
			continue
		}
		groups := hdr >> 1
		avail := uint64(len(src)) / uint64(width) // whole groups of 8 in src
		nb := groups
		if nb > avail {
			nb = avail
		}
		cnt := nb * 8
		if cnt > uint64(len(out)-i) {
			cnt = uint64(len(out) - i)
		}
		if cnt == 0 && groups > 0 {
			// A final run whose last group is cut short: decode what it holds.
			cnt = min(uint64(len(src))*8/uint64(width), uint64(len(out)-i))
			if cnt == 0 {
				return errors.New("bit-packed run past the end of its data")
			}
		}
		run := src
		if width <= 8 { // levels, booleans, small dictionaries: a group of 8 values at a time
			o := out[i : i+int(cnt)]
			j, g := 0, 0
			for ; j+8 <= len(o) && g+8 <= len(run); j, g = j+8, g+width {
				w := binary.LittleEndian.Uint64(run[g:])
				for k := range 8 {
					o[j+k] = T(w >> (k * width) & mask)
				}
			}
			for ; j < len(o); j++ { // the last groups, near the end of the data
				bit := j * width
				var w uint64
				for b := min(bit>>3+1, len(run)-1); b >= bit>>3; b-- {
					w = w<<8 | uint64(run[b])
				}
				o[j] = T(w >> (bit & 7) & mask)
			}
			i += int(cnt)
			src = src[min(groups*uint64(width), uint64(len(src))):]
			continue
		}
		for j := range int(cnt) {
			bit := j * width
			p := bit >> 3
			var w uint64
			if p+8 <= len(run) {
				w = binary.LittleEndian.Uint64(run[p:])
			} else {
				for b := len(run) - 1; b >= p; b-- {
					w = w<<8 | uint64(run[b])
				}
			}
			out[i+j] = T(w >> (bit & 7) & mask)
		}
		i += int(cnt)
		used := groups * uint64(width)
		if used > uint64(len(src)) {
			used = uint64(len(src))
		}
		src = src[used:]
	}
	return nil
}

// recycler is the memory.Allocator of the Parquet reader of one
// ReadColumns call: the buffers the page readers free (a page, its
// compressed form, a dictionary page) are kept, up to recycled of them, and
// handed out again to the page readers of the next chunks, instead of fresh
// ones for every column chunk. A page reader fills its buffers before it
// hands a page out, so a kept buffer is cleared only while zero is set (the
// column chunk reader, whose decoders take buffers from it too). It is used
// by one goroutine.
type recycler struct {
	free [][]byte
	zero bool
}

// recycled is how many freed buffers a recycler keeps: a page reader holds
// three, and one column chunk is read at a time.
const recycled = 8

// Allocate returns a buffer of size bytes: the smallest kept one that is
// large enough (cleared if a.zero), else a new zeroed one.
func (a *recycler) Allocate(size int) []byte {
	best := -1
	for i, b := range a.free {
		if cap(b) >= size && (best < 0 || cap(b) < cap(a.free[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]byte, size, roundUp64(size))
	}
	b := a.free[best][:size]
	a.free[best] = a.free[len(a.free)-1]
	a.free = a.free[:len(a.free)-1]
	if a.zero {
		clear(b)
	}
	return b
}

// Reallocate returns b resized to size bytes, its contents kept.
func (a *recycler) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := a.Allocate(size)
	copy(nb, b)
	a.Free(b)
	return nb
}

// Free keeps b for a later Allocate, in place of the smallest kept buffer
// when recycled are kept already.
func (a *recycler) Free(b []byte) {
	if cap(b) == 0 {
		return
	}
	if len(a.free) < recycled {
		a.free = append(a.free, b[:cap(b)])
		return
	}
	small := 0
	for i := range a.free {
		if cap(a.free[i]) < cap(a.free[small]) {
			small = i
		}
	}
	if cap(a.free[small]) < cap(b) {
		a.free[small] = b[:cap(b)]
	}
}

func roundUp64(n int) int { return (n + 63) &^ 63 }
