package collector

import (
	"archive/zip"
	"bufio"
	"errors"
	"hash/crc32"
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
//   - No byte of the CSV is copied on its way: it is inflated straight
//     into the read-ahead's buffers (inflate.DecodeInto, mappedEntry
//     checking its size and CRC-32 as archive/zip would) and the parser
//     splits lines in those buffers (readAhead.NextChunk).

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
	return newReadAhead(readerSource{rc}, nil), nil
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
	zf, err := oneCSV(zr)
	if err != nil {
		return nil, err
	}
	off, err := zf.DataOffset()
	if err != nil {
		return nil, err
	}
	if zf.Method != zip.Deflate || off < 0 || zf.CompressedSize64 > uint64(len(m.data)) || uint64(off) > uint64(len(m.data))-zf.CompressedSize64 {
		// Stored, or not where the zip says: archive/zip reads it.
		rc, err := zf.Open()
		if err != nil {
			return nil, err
		}
		ra := newReadAhead(readerSource{rc}, nil)
		ra.onClose = m.close
		return ra, nil
	}
	e := &mappedEntry{in: inflate.NewReader(m.data[off : off+int64(zf.CompressedSize64)]), f: zf}
	dropped, page := 0, os.Getpagesize()
	ra := newReadAhead(e, func() {
		if upto := (int(off) + e.in.InputOffset() - rowsDropLag) / page * page; upto-dropped >= rowsDropStep {
			m.drop(dropped, upto)
			dropped = upto
		}
	})
	ra.onClose = m.close
	return ra, nil
}

// mappedEntry inflates a zip entry held in memory straight into the
// read-ahead's buffers (inflate.DecodeInto: no copy of the output) and
// checks its size and CRC-32 at the end, as archive/zip's reader does.
type mappedEntry struct {
	in  *inflate.Reader
	f   *zip.File
	crc uint32
	n   uint64
}

func (e *mappedEntry) fill(buf []byte) ([]byte, error) {
	n, err := e.in.DecodeInto(buf)
	b := buf[inflate.WindowSize : inflate.WindowSize+n]
	e.crc = crc32.Update(e.crc, crc32.IEEETable, b)
	e.n += uint64(n)
	switch {
	case e.n > e.f.UncompressedSize64:
		return b, zip.ErrFormat
	case err == io.EOF && e.n != e.f.UncompressedSize64:
		return b, io.ErrUnexpectedEOF
	case err == io.EOF && e.f.CRC32 != 0 && e.crc != e.f.CRC32:
		return b, zip.ErrChecksum
	}
	return b, err
}

func (e *mappedEntry) Close() error { return e.in.Close() }
