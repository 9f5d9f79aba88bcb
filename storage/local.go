package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tempMarker is part of every temporary file name; such files never end in
// ".parquet", so readers globbing *.parquet never see them.
const tempMarker = ".tmp-"

// staleTemp is the age after which a temporary file left by a killed
// process is removed by the next write into its folder.
const staleTemp = 15 * time.Minute

// LocalBackend stores objects as files under a root folder. Writes go to a
// temporary file in the target folder, are fsynced, and renamed over the
// target, so a reader sees the old file or the new one.
type LocalBackend struct {
	root string
}

var _ Backend = (*LocalBackend)(nil)

// NewLocalBackend returns a backend rooted at dir (created on first write).
func NewLocalBackend(dir string) (*LocalBackend, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("output folder %q: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("output %q is a file, not a folder", dir)
	}
	return &LocalBackend{root: abs}, nil
}

func (b *LocalBackend) Location() string { return b.root }
func (b *LocalBackend) Kind() string     { return "file" }
func (b *LocalBackend) Close() error     { return nil }

func (b *LocalBackend) path(name string) string {
	return filepath.Join(b.root, filepath.FromSlash(name))
}

type localObject struct {
	*os.File
	size    int64
	version string
}

func (o *localObject) Size() int64     { return o.size }
func (o *localObject) Version() string { return o.version }

// fileVersion identifies a file's content: every write renames a new file
// into place, so the inode changes too, even within one mtime tick.
func fileVersion(fi fs.FileInfo) string {
	return strconv.FormatUint(fileID(fi), 10) + "-" + strconv.FormatInt(fi.Size(), 10) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
}

// Open opens name for random access.
func (b *LocalBackend) Open(ctx context.Context, name string) (Object, error) {
	f, err := os.Open(b.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", name, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &localObject{File: f, size: fi.Size(), version: fileVersion(fi)}, nil
}

// localWriteBuffer is the write buffer of a local file.
const localWriteBuffer = 256 << 10

// Put writes to a temp file beside the target, fsyncs it, checks the
// precondition under a folder lock and renames it into place.
func (b *LocalBackend) Put(ctx context.Context, name string, write func(io.Writer) error, cond Precondition) (ObjectInfo, error) {
	target := b.path(name)
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ObjectInfo{}, fmt.Errorf("create folder for %s: %w", name, err)
	}
	removeStaleTemps(dir)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+tempMarker+"*")
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", name, err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// Buffered: the Parquet writer writes page headers and pages apart.
	// The bufio.Writer also hides Close (pqarrow closes a writer that has one).
	bw := bufio.NewWriterSize(newWriteback(tmp), localWriteBuffer)
	if err := write(bw); err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", name, err)
	}
	// CreateTemp makes the file private; a lake file is for every reader.
	if err := tmp.Chmod(0o644); err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		return ObjectInfo{}, fmt.Errorf("fsync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return ObjectInfo{}, fmt.Errorf("close %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", name, err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("lock folder of %s: %w", name, err)
	}
	defer unlock()
	if err := b.checkPrecondition(target, cond); err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return ObjectInfo{}, fmt.Errorf("rename into %s: %w", name, err)
	}
	committed = true
	syncDir(dir)
	fi, err := os.Stat(target)
	if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

func (b *LocalBackend) checkPrecondition(target string, cond Precondition) error {
	if !cond.IfNoneMatch && cond.IfMatch == "" {
		return nil
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if cond.IfMatch != "" {
			return ErrPrecondition
		}
		return nil
	case err != nil:
		return err
	case cond.IfNoneMatch:
		return ErrPrecondition
	case fileVersion(fi) != cond.IfMatch:
		return ErrPrecondition
	}
	return nil
}

// List returns the objects whose names start with prefix, skipping
// temporary files and folder lock files.
func (b *LocalBackend) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	start := b.path(prefix)
	if !strings.HasSuffix(prefix, "/") {
		start = filepath.Dir(start)
	}
	var out []ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.Contains(d.Name(), tempMarker) || d.Name() == lockFileName {
			return nil
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !strings.HasPrefix(name, prefix) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed while listing
		}
		out = append(out, ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	return out, nil
}

func removeStaleTemps(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.Contains(e.Name(), tempMarker) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
