package collector

import (
	"archive/zip"
	"bufio"
	"errors"
	"io"
	"os"

	"github.com/klauspost/compress/flate"

	"github.com/lakehouse-dev/lakehouse/collector/inflate"
)

// A trades zip is hundreds of MB (a month of a busy symbol, GBs), so it
// is read from the downloaded file, never loaded. Decoding is the
// longest step of the trades path, so two things keep it fast:
//
//   - The file is memory-mapped and inflated by collector/inflate, which
//     decodes an input it can address whole about twice as fast as a
//     streaming decoder (BenchmarkInflate; 1.1 s instead of 2.0 s for a
//     7.2M-row day). The pages already decoded are dropped from the
//     mapping as it goes, so the resident size does not grow with the
//     file. Where there is no mmap, klauspost/compress streams the file.
//   - Inflating runs in its own goroutine, a few MiB ahead of the CSV
//     parser (readAhead), so inflate, parse and the Parquet writer use
//     both cores of a small machine instead of taking turns.

var errNoMap = errors.New("memory mapping not available")

// Sizes of the read-ahead: rowsAheadBufs buffers of rowsAheadBuf bytes;
// the mapped input is dropped rowsDropStep at a time, rowsDropLag behind
// the decoder.
const (
	rowsAheadBuf  = 2 << 20
	rowsAheadBufs = 3
	rowsDropStep  = 8 << 20
	rowsDropLag   = 1 << 20
)

// openRowsCSV opens the one CSV of the zip in ra (size bytes) for
// streaming. The zip reader checks the entry's CRC-32 and size at its end.
func openRowsCSV(ra io.ReaderAt, size int64) (io.ReadCloser, error) {
	if f := fileOf(ra); f != nil {
		if m, err := mapFile(f, size); err == nil {
			rc, err := openMappedCSV(m, size)
			if err != nil {
				m.close()
				return nil, err
			}
			return rc, nil
		}
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, err
	}
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser {
		return flate.NewReader(bufio.NewReaderSize(r, 1<<20))
	})
	rc, err := openOneCSV(zr)
	if err != nil {
		return nil, err
	}
	return newReadAhead(rc, nil), nil
}

// fileOf returns the file behind ra, if it is one.
func fileOf(ra io.ReaderAt) *os.File {
	switch f := ra.(type) {
	case *downloadedFile:
		return f.File
	case *os.File:
		return f
	}
	return nil
}

func openOneCSV(zr *zip.Reader) (io.ReadCloser, error) {
	zf, err := oneCSV(zr)
	if err != nil {
		return nil, err
	}
	return zf.Open()
}

// openMappedCSV opens the CSV of a mapped zip; closing it unmaps m.
func openMappedCSV(m *mappedFile, size int64) (io.ReadCloser, error) {
	zr, err := zip.NewReader(zipBytes(m.data), size)
	if err != nil {
		return nil, err
	}
	var (
		in   *inflate.Reader
		base int64
	)
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser {
		if sr, ok := r.(*io.SectionReader); ok {
			if _, off, n := sr.Outer(); off >= 0 && n >= 0 && off+n <= int64(len(m.data)) {
				in, base = inflate.NewReader(m.data[off:off+n]), off
				return in
			}
		}
		return flate.NewReader(r)
	})
	rc, err := openOneCSV(zr)
	if err != nil {
		return nil, err
	}
	dropped, page := 0, os.Getpagesize()
	ra := newReadAhead(rc, func() {
		if in == nil {
			return
		}
		if upto := (int(base) + in.InputOffset() - rowsDropLag) / page * page; upto-dropped >= rowsDropStep {
			m.drop(dropped, upto)
			dropped = upto
		}
	})
	ra.onClose = m.close
	return ra, nil
}
