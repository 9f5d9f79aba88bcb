package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Some S3-compatible servers neither implement conditional writes nor
// reject them: they drop If-None-Match / If-Match and answer 200, and two
// runs writing one file then lose rows without a word. Before its first
// conditional write a backend therefore writes a probe object twice with
// If-None-Match: * and once with a wrong If-Match; a server that accepts
// the second or third write gets the same HEAD-check fallback as one that
// answers 501.

// s3ProbePrefix names the probe object, at the top of the lake's prefix and
// outside silver/, hidden, with a random suffix so that two runs probing at
// once do not see each other's object.
const s3ProbePrefix = ".lakehouse-probe-"

// s3ProbeCleanup bounds the removal of the probe object, done on a context
// of its own so that a cancelled run still removes it.
const s3ProbeCleanup = 30 * time.Second

// checkConditional probes the server once per backend, before the first
// conditional write. A probe that cannot finish (network, permissions) is
// logged and conditional writes are trusted, as before the probe existed;
// a cancelled one is retried by the next write.
func (b *S3Backend) checkConditional(ctx context.Context) {
	if b.probed.Load() {
		return
	}
	b.probeMu.Lock()
	defer b.probeMu.Unlock()
	if b.probed.Load() {
		return
	}
	reason, err := b.probeConditional(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
		return
	case err != nil:
		b.logger.Warn("could not check whether the S3 server honours conditional writes; relying on it", "bucket", b.bucket, "error", err)
	case reason != "":
		b.fallBack(reason)
	}
	b.probed.Store(true)
}

// probeConditional returns why conditional writes cannot be relied on, or
// "" when the server honours them.
func (b *S3Backend) probeConditional(ctx context.Context) (string, error) {
	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		return "", err
	}
	key := b.key(s3ProbePrefix + hex.EncodeToString(suffix))
	put := func(cond Precondition) error {
		in := &s3.PutObjectInput{
			Bucket: aws.String(b.bucket),
			Key:    aws.String(key),
			Body:   strings.NewReader("lakehouse conditional-write probe; safe to delete\n"),
		}
		if cond.IfNoneMatch {
			in.IfNoneMatch = aws.String("*")
		}
		if cond.IfMatch != "" {
			in.IfMatch = aws.String(cond.IfMatch)
		}
		_, err := b.client.PutObject(ctx, in)
		return err
	}
	err := put(Precondition{IfNoneMatch: true})
	switch kind := classifyS3(err); {
	case kind == s3Unsupported:
		return "it answers 501 NotImplemented to them", nil
	case err != nil:
		return "", fmt.Errorf("probe write to s3://%s/%s: %w", b.bucket, key, s3Error(err))
	}
	defer b.removeProbe(ctx, key)
	for _, c := range []struct {
		cond Precondition
		what string
	}{
		{Precondition{IfNoneMatch: true}, "If-None-Match: * on an existing object"},
		{Precondition{IfMatch: `"lakehouse-probe-wrong-etag"`}, "If-Match with a wrong ETag"},
	} {
		err := put(c.cond)
		switch kind := classifyS3(err); {
		case err == nil:
			return "it ignores them: a write with " + c.what + " succeeded instead of failing with 412", nil
		case kind == s3Unsupported:
			return "it answers 501 NotImplemented to them", nil
		case kind != s3Precondition:
			return "", fmt.Errorf("probe write to s3://%s/%s: %w", b.bucket, key, s3Error(err))
		}
	}
	return "", nil
}

func (b *S3Backend) removeProbe(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s3ProbeCleanup)
	defer cancel()
	if _, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)}); err != nil {
		b.logger.Info("could not remove the conditional-write probe object (s3:DeleteObject); it is safe to delete",
			"object", "s3://"+b.bucket+"/"+key, "error", s3Error(err))
	}
}

// fallBack switches conditional writes to a HEAD check before each write
// and says so once.
func (b *S3Backend) fallBack(reason string) {
	b.noConditional.Store(true)
	b.warnOnce.Do(func() {
		b.logger.Warn("the S3 server does not support conditional writes (If-Match/If-None-Match); checking versions before each write instead, so two runs writing the same file at the same moment could lose rows",
			"bucket", b.bucket, "reason", reason)
	})
}
