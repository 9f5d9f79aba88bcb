package storage

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var (
	_ streamOpener = (*S3Backend)(nil)
	_ streamPutter = (*S3Backend)(nil)
)

// Streamed objects are big (a day of trades is ~100 MB) and uploaded while
// the Parquet writer holds a row group, so their upload keeps fewer bytes
// in memory than Put's. The transfer manager reads the first
// MultipartUploadThreshold bytes into one growing buffer and then holds
// Concurrency+1 parts: with Put's settings (16 MiB, 3 x 8 MiB) ~40 MiB,
// with these (5 MiB, 3 x 5 MiB) ~20 MiB. Measured on a 106 MB object
// (TestS3Stream): live heap while writing +58 MiB with Put's settings,
// +33..44 MiB with these; 5 MiB is S3's smallest part.
const (
	s3StreamPartSize    = 5 << 20
	s3StreamThreshold   = s3StreamPartSize
	s3StreamConcurrency = 2
)

// PutStream is Put for WriteStream's big objects, with smaller upload
// buffers; the guarantees are Put's.
func (b *S3Backend) PutStream(ctx context.Context, name string, write func(io.Writer) error, cond Precondition) (ObjectInfo, error) {
	return b.put(ctx, name, write, cond, func(o *transfermanager.Options) {
		o.PartSizeBytes = s3StreamPartSize
		o.MultipartUploadThreshold = s3StreamThreshold
		o.Concurrency = s3StreamConcurrency
	})
}

// OpenStream opens name like Open (one GET of the tail, which holds the
// Parquet footer) but serves every read before the tail with a ranged GET
// of just that range, instead of Open's one GET of the whole rest: a
// streaming read of a file of hundreds of MB holds a few MB at a time.
// Every GET is conditional on the ETag Open saw, so a reader never mixes
// bytes of two versions of an object.
func (b *S3Backend) OpenStream(ctx context.Context, name string) (Object, error) {
	obj, err := b.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	o, ok := obj.(*s3Object)
	if !ok {
		return obj, nil
	}
	return &s3RangeObject{s3Object: o}, nil
}

// s3RangeObject is an s3Object that reads in ranges.
type s3RangeObject struct {
	*s3Object
}

func (o *s3RangeObject) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", o.name, off)
	}
	if off >= o.tailOff || len(p) == 0 {
		return o.s3Object.ReadAt(p, off) // in the tail: no request
	}
	end := min(off+int64(len(p)), o.tailOff) // exclusive
	n, err := o.getRange(p[:end-off], off)
	if err != nil {
		return n, err
	}
	if n == len(p) {
		return n, nil
	}
	m, err := o.s3Object.ReadAt(p[n:], off+int64(n))
	return n + m, err
}

// getRange fills p with the bytes at off, all of them before the tail.
func (o *s3RangeObject) getRange(p []byte, off int64) (int, error) {
	out, err := o.b.client.GetObject(o.ctx, &s3.GetObjectInput{
		Bucket:  aws.String(o.b.bucket),
		Key:     aws.String(o.b.key(o.name)),
		Range:   aws.String("bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+int64(len(p))-1, 10)),
		IfMatch: aws.String(o.etag),
	})
	if err != nil {
		return 0, fmt.Errorf("read %s: changed or unreadable while reading: %w", o.b.where(o.name), s3Error(err))
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p)
	if err != nil {
		return n, fmt.Errorf("read %s at %d: %w", o.b.where(o.name), off, err)
	}
	return n, nil
}
