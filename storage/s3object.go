package storage

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3TailSize is what Open fetches from the end of an object: the Parquet
// footer of a klines file is a few KB, so Meta costs one ranged GET and
// downloads nothing else.
const s3TailSize = 64 << 10

// s3Object serves ReadAt from the tail fetched by Open and, on the first
// read before it, from one more GET of the rest, conditional on the ETag:
// a reader never mixes bytes of two versions of an object.
type s3Object struct {
	// ctx is Open's: io.ReaderAt has no context, and reads belong to the
	// operation that opened the object.
	ctx  context.Context
	b    *S3Backend
	name string
	size int64
	etag string

	mu      sync.Mutex
	tailOff int64  // offset of tail in the object
	tail    []byte // bytes [tailOff, size)
	head    []byte // bytes [0, tailOff), once loaded
}

func (o *s3Object) Size() int64     { return o.size }
func (o *s3Object) Version() string { return o.etag }
func (o *s3Object) Close() error    { return nil }

// Open fetches the last s3TailSize bytes of name with a suffix-range GET,
// which also yields the size and ETag (a HEAD could not tell a missing
// object from a missing bucket).
func (b *S3Backend) Open(ctx context.Context, name string) (Object, error) {
	if b.closed.Load() {
		return nil, fmt.Errorf("open %s: %w", b.where(name), errClosed)
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(b.bucket),
		Key:    aws.String(b.key(name)),
		Range:  aws.String("bytes=-" + strconv.Itoa(s3TailSize)),
	})
	if classifyS3(err) == s3BadRange {
		return b.openEmpty(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", b.where(name), s3Error(err))
	}
	defer out.Body.Close()
	tail, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", b.where(name), err)
	}
	size := int64(len(tail))
	if cr := aws.ToString(out.ContentRange); cr != "" {
		if size, err = contentRangeTotal(cr); err != nil {
			return nil, fmt.Errorf("read %s: %w", b.where(name), err)
		}
	}
	if size < int64(len(tail)) {
		return nil, fmt.Errorf("read %s: server sent %d bytes of a %d-byte object", b.where(name), len(tail), size)
	}
	return &s3Object{ctx: ctx, b: b, name: name, size: size, etag: aws.ToString(out.ETag), tailOff: size - int64(len(tail)), tail: tail}, nil
}

// openEmpty handles the 416 that a range request on an empty object gets.
func (b *S3Backend) openEmpty(ctx context.Context, name string) (Object, error) {
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.key(name))})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", b.where(name), s3Error(err))
	}
	return &s3Object{ctx: ctx, b: b, name: name, size: aws.ToInt64(out.ContentLength), etag: aws.ToString(out.ETag)}, nil
}

// contentRangeTotal parses the total of "bytes FIRST-LAST/TOTAL".
func contentRangeTotal(cr string) (int64, error) {
	_, total, ok := strings.Cut(cr, "/")
	n, err := strconv.ParseInt(total, 10, 64)
	if !ok || err != nil || n < 0 {
		return 0, fmt.Errorf("unparsable Content-Range %q", cr)
	}
	return n, nil
}

func (o *s3Object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", o.name, off)
	}
	if off >= o.size {
		return 0, io.EOF
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if off < o.tailOff && o.head == nil {
		if err := o.loadHead(); err != nil {
			return 0, err
		}
	}
	n := 0
	if off < o.tailOff {
		n = copy(p, o.head[off:])
	}
	if n < len(p) {
		n += copy(p[n:], o.tail[max(0, off+int64(n)-o.tailOff):])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// loadHead fetches everything before the tail in one GET, only if the
// object is still the version Open saw (else ErrPrecondition: the caller
// reads again).
func (o *s3Object) loadHead() error {
	out, err := o.b.client.GetObject(o.ctx, &s3.GetObjectInput{
		Bucket:  aws.String(o.b.bucket),
		Key:     aws.String(o.b.key(o.name)),
		Range:   aws.String("bytes=0-" + strconv.FormatInt(o.tailOff-1, 10)),
		IfMatch: aws.String(o.etag),
	})
	if err != nil {
		return fmt.Errorf("read %s: changed or unreadable while reading: %w", o.b.where(o.name), s3Error(err))
	}
	defer out.Body.Close()
	head := make([]byte, o.tailOff)
	if _, err := io.ReadFull(out.Body, head); err != nil {
		return fmt.Errorf("read %s: %w", o.b.where(o.name), err)
	}
	o.head = head
	return nil
}
