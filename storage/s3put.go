package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// parquetContentType is the media type registered for Parquet.
const parquetContentType = "application/vnd.apache.parquet"

// Put streams what write produces to one object. Below the multipart
// threshold that is a single PutObject, above it a multipart upload that is
// aborted on any failure; either way the object appears whole or not at
// all. cond travels as If-None-Match / If-Match on PutObject and on
// CompleteMultipartUpload. Before the first conditional write the server
// is probed (s3probe.go). write may run twice: once more when the server
// turns out not to implement conditional writes.
func (b *S3Backend) Put(ctx context.Context, name string, write func(io.Writer) error, cond Precondition) (ObjectInfo, error) {
	return b.put(ctx, name, write, cond)
}

// put is Put with options for this upload's transfer manager (PutStream's
// smaller buffers).
func (b *S3Backend) put(ctx context.Context, name string, write func(io.Writer) error, cond Precondition, tmOpts ...func(*transfermanager.Options)) (ObjectInfo, error) {
	if b.closed.Load() {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", b.where(name), errClosed)
	}
	conditional := cond.IfNoneMatch || cond.IfMatch != ""
	if conditional {
		b.checkConditional(ctx)
	}
	if conditional && b.noConditional.Load() {
		return b.putChecked(ctx, name, write, cond, tmOpts...)
	}
	info, err := b.upload(ctx, name, write, cond, tmOpts...)
	if conditional && classifyS3(err) == s3Unsupported {
		b.fallBack("it answers 501 NotImplemented to them")
		return b.putChecked(ctx, name, write, cond, tmOpts...)
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", b.where(name), err)
	}
	return info, nil
}

// putChecked emulates cond with a HEAD before an unconditional upload, for
// servers without conditional writes: it catches every conflict except one
// in the moment between the HEAD and the upload.
func (b *S3Backend) putChecked(ctx context.Context, name string, write func(io.Writer) error, cond Precondition, tmOpts ...func(*transfermanager.Options)) (ObjectInfo, error) {
	head, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(b.key(name))})
	switch kind := classifyS3(err); {
	case kind == s3NotFound && cond.IfMatch != "":
		return ObjectInfo{}, fmt.Errorf("write %s: object is gone: %w", b.where(name), ErrPrecondition)
	case kind == s3NotFound:
	case err != nil:
		return ObjectInfo{}, fmt.Errorf("write %s: %w", b.where(name), s3Error(err))
	case cond.IfNoneMatch:
		return ObjectInfo{}, fmt.Errorf("write %s: object exists: %w", b.where(name), ErrPrecondition)
	case cond.IfMatch != "" && aws.ToString(head.ETag) != cond.IfMatch:
		return ObjectInfo{}, fmt.Errorf("write %s: object changed: %w", b.where(name), ErrPrecondition)
	}
	info, err := b.upload(ctx, name, write, Precondition{}, tmOpts...)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("write %s: %w", b.where(name), err)
	}
	return info, nil
}

// upload runs write in a goroutine feeding a pipe that the transfer
// manager reads. A failing write or a cancelled ctx closes the pipe with an
// error, so the manager never sends a complete request for partial data.
func (b *S3Backend) upload(ctx context.Context, name string, write func(io.Writer) error, cond Precondition, tmOpts ...func(*transfermanager.Options)) (ObjectInfo, error) {
	pr, pw := io.Pipe()
	counted := &countingWriter{w: pw}
	werrc := make(chan error, 1)
	go func() {
		// Hide Close: pqarrow closes writers that have one.
		err := write(struct{ io.Writer }{counted})
		if err == nil {
			err = ctx.Err() // cancelled after the last byte: still abandon
		}
		if err != nil {
			pw.CloseWithError(err)
		} else {
			pw.Close()
		}
		werrc <- err
	}()
	in := &transfermanager.UploadObjectInput{
		Bucket:      aws.String(b.bucket),
		Key:         aws.String(b.key(name)),
		Body:        pr,
		ContentType: aws.String(parquetContentType),
	}
	if cond.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if cond.IfMatch != "" {
		in.IfMatch = aws.String(cond.IfMatch)
	}
	_, err := b.tm.UploadObject(ctx, in, tmOpts...)
	if err != nil {
		pr.CloseWithError(err) // unblock a writer the manager stopped reading
	}
	werr := <-werrc
	switch {
	case werr != nil && (err == nil || !errors.Is(werr, err)):
		return ObjectInfo{}, werr // the writer failed first
	case err != nil:
		return ObjectInfo{}, s3Error(err)
	}
	return ObjectInfo{Name: name, Size: counted.n, ModTime: time.Now()}, nil
}

// countingWriter counts the bytes of an object as they are written.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
