package collector

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenRowsCSV: the CSV of a trades zip on disk reads back whole
// (inflated into the read-ahead's buffers where the file can be mapped,
// by archive/zip otherwise), and a CRC-32 or size that does not match the
// zip's directory fails at the end, as archive/zip's reader fails.
func TestOpenRowsCSV(t *testing.T) {
	var csv bytes.Buffer
	for i := range 300_000 { // 20 MB: several read-ahead buffers
		fmt.Fprintf(&csv, "%d,43828.%02d000000,0.00%d,89.3231,%d,True,True\n", 17193600000+i, i%97, i%1000, 1709251200007+i*3)
	}
	for _, tc := range []struct {
		name   string
		method uint16
		damage func(cd []byte) // the central directory header of the entry
		want   error
	}{
		{"deflate", zip.Deflate, nil, nil},
		{"stored", zip.Store, nil, nil},
		{"wrong crc", zip.Deflate, func(cd []byte) { cd[16] ^= 1 }, zip.ErrChecksum},
		{"longer than said", zip.Deflate, func(cd []byte) { binary.LittleEndian.PutUint32(cd[24:], uint32(csv.Len()-1)) }, zip.ErrFormat},
		{"shorter than said", zip.Deflate, func(cd []byte) { binary.LittleEndian.PutUint32(cd[24:], uint32(csv.Len()+1)) }, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var z bytes.Buffer
			zw := zip.NewWriter(&z)
			w, err := zw.CreateHeader(&zip.FileHeader{Name: "BTCUSDT-trades-2024-03-01.csv", Method: tc.method})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(csv.Bytes())
			zw.Close()
			b := z.Bytes()
			if tc.damage != nil {
				at := bytes.LastIndex(b, []byte("PK\x01\x02"))
				tc.damage(b[at:])
			}
			path := filepath.Join(t.TempDir(), "x.zip")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rc, err := openRowsCSV(f, int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readChunks(rc.(*readAhead))
			if cerr := rc.Close(); cerr != nil {
				t.Fatal(cerr)
			}
			switch {
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("err %v, want %v", err, tc.want)
			case tc.want == nil && (err != nil || !bytes.Equal(got, csv.Bytes())):
				t.Fatalf("err %v, %d bytes, want %d equal bytes", err, len(got), csv.Len())
			}
		})
	}
}

func readChunks(a *readAhead) ([]byte, error) {
	var out []byte
	for {
		b, err := a.NextChunk()
		out = append(out, b...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
