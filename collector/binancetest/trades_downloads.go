package binancetest

import (
	"slices"
	"sync"
)

// ZipDownload is one GET of a trades archive zip as the fake answered it,
// so a test can check that a dropped download was resumed where it was
// cut rather than started over.
type ZipDownload struct {
	Range  string // the request's Range header, "" for a plain GET
	Status int    // 200, or 206 for a range served
	From   int64  // offset of the first byte sent
	CutAt  int64  // offset where InjectArchiveCut dropped the connection; -1 if it was not cut
	Size   int64  // the whole zip's size
}

// zipDownloadLog holds the ZipDownloads of every trades zip path.
type zipDownloadLog struct {
	mu  sync.Mutex
	log map[string][]ZipDownload
}

func (l *zipDownloadLog) add(zipPath string, d ZipDownload) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.log == nil {
		l.log = map[string][]ZipDownload{}
	}
	l.log[zipPath] = append(l.log[zipPath], d)
}

// ZipDownloads returns the GETs of the trades archive zip at zipPath (see
// TradesArchivePath) that were answered with bytes, oldest first.
func (s *Server) ZipDownloads(zipPath string) []ZipDownload {
	s.zipLog.mu.Lock()
	defer s.zipLog.mu.Unlock()
	return slices.Clone(s.zipLog.log[zipPath])
}
