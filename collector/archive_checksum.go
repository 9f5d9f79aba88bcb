package collector

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// maxChecksumSize bounds a .CHECKSUM download: one sha256sum line.
const maxChecksumSize = 4096

// parseChecksum reads a .CHECKSUM file of data.binance.vision, which is the
// output of `sha256sum`: "<64 hex digits>  <zip name>" and a line break. It
// returns the digest in lower case. The name must be the zip's, so a file
// served for the wrong zip is caught rather than trusted.
func parseChecksum(text, zipName string) (string, error) {
	line := strings.TrimPrefix(text, "\ufeff")
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		if strings.TrimSpace(line[i:]) != "" {
			return "", fmt.Errorf("CHECKSUM has more than one line")
		}
		line = line[:i]
	}
	sum, name, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok {
		return "", fmt.Errorf("CHECKSUM %q is not \"<sha256>  <name>\"", clip(line))
	}
	// sha256sum separates with two spaces, or " *" in binary mode.
	name = strings.TrimPrefix(strings.TrimLeft(name, " "), "*")
	if len(sum) != 64 {
		return "", fmt.Errorf("CHECKSUM digest %q is not 64 hex digits", clip(sum))
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return "", fmt.Errorf("CHECKSUM digest %q is not hexadecimal", clip(sum))
	}
	if name != zipName {
		return "", fmt.Errorf("CHECKSUM names %q, want %q", clip(name), zipName)
	}
	return strings.ToLower(sum), nil
}

// clip keeps untrusted text in error messages short.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
