package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Config are the S3 settings that do not fit in an s3:// URL. Credentials
// come from the SDK's standard chain (env, AWS_PROFILE, web identity/IRSA,
// ECS, EC2 IMDS) unless Credentials is set.
type S3Config struct {
	Endpoint    string // S3-compatible server, e.g. http://127.0.0.1:7070; empty for AWS
	PathStyle   bool   // bucket in the path, not the host name (MinIO, versitygw)
	Region      string // overrides AWS_REGION and the profile's region
	Credentials aws.CredentialsProvider
	// MaxAttempts bounds the SDK retryer (default 10); tests lower it.
	MaxAttempts int
}

// Retry policy: throttling and 5xx are retried by the SDK's standard
// retryer with capped exponential backoff and jitter. The client-side retry
// quota is off: a server restart would otherwise exhaust it across
// concurrent tasks and turn a short outage into failed tasks.
const (
	s3DefaultAttempts = 10
	s3MaxBackoff      = 20 * time.Second
	// s3PartSize is the multipart part size; files below twice this go up
	// as one PutObject (Parquet files of this lake are a few MB).
	s3PartSize = 8 << 20
	// s3AbortTimeout bounds the abort of a failed multipart upload, done on
	// a fresh context because the run's may already be cancelled.
	s3AbortTimeout = 30 * time.Second
)

// S3Backend stores objects in a bucket under a key prefix. Puts are single
// PutObject or CompleteMultipartUpload requests, which S3 makes atomic.
type S3Backend struct {
	client *s3.Client
	tm     *transfermanager.Client
	bucket string
	prefix string // "" or ends with "/"
	logger *slog.Logger
	// endpoint is --s3-endpoint (no credentials), for commands in messages.
	endpoint string

	// noConditional is set once the server rejected or ignored a
	// conditional header; later writes then check preconditions with a
	// HEAD (racy, but said once).
	noConditional atomic.Bool
	warnOnce      sync.Once
	// probed is set once checkConditional has probed the server.
	probed  atomic.Bool
	probeMu sync.Mutex

	closed atomic.Bool
}

var _ Backend = (*S3Backend)(nil)

// NewS3Backend opens s3://bucket/prefix (a URL from ParseOutput). It checks
// that the bucket exists; a bucket it may not list is accepted, since a
// policy may allow object access only.
func NewS3Backend(ctx context.Context, u *url.URL, cfg S3Config, logger *slog.Logger) (*S3Backend, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bucket, prefix := s3Location(u)
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = s3DefaultAttempts
	}
	loads := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = s3MaxBackoff
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if cfg.Region != "" {
		loads = append(loads, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		loads = append(loads, config.WithCredentialsProvider(cfg.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("s3 configuration: %w", err)
	}
	if awsCfg.Region == "" {
		if cfg.Endpoint == "" {
			return nil, fmt.Errorf("s3://%s: no AWS region: set --s3-region or AWS_REGION", bucket)
		}
		// S3-compatible servers mostly ignore the region but SigV4 needs one.
		awsCfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// Ranged GETs carry no whole-object checksum; without this the SDK
		// logs that on stderr for every footer read.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	tm := transfermanager.New(client, func(o *transfermanager.Options) {
		o.PartSizeBytes = s3PartSize
		o.MultipartUploadThreshold = 2 * s3PartSize
		o.FailTimeout = s3AbortTimeout
		o.Concurrency = 2
		// Honour AWS_REQUEST_CHECKSUM_CALCULATION=when_required, which some
		// S3-compatible servers need.
		o.RequestChecksumCalculation = awsCfg.RequestChecksumCalculation
	})
	b := &S3Backend{client: client, tm: tm, bucket: bucket, prefix: prefix, logger: logger, endpoint: cfg.Endpoint}
	if err := b.checkBucket(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *S3Backend) checkBucket(ctx context.Context) error {
	_, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.bucket)}, func(o *s3.Options) {
		o.RetryMaxAttempts = 3
	})
	switch kind := classifyS3(err); {
	case err == nil, kind == s3Denied:
		return nil
	case kind == s3NotFound, kind == s3NoBucket:
		return fmt.Errorf("s3 bucket %q does not exist (create it first, or check --output, --s3-endpoint and --s3-region)", b.bucket)
	default:
		return fmt.Errorf("s3 bucket %q: %w", b.bucket, s3Error(err))
	}
}

// Location is s3://bucket/prefix; endpoints and credentials stay out.
func (b *S3Backend) Location() string {
	return "s3://" + b.bucket + "/" + strings.TrimSuffix(b.prefix, "/")
}

func (b *S3Backend) Kind() string { return "s3" }

// Close is idempotent; the SDK client holds nothing that needs closing.
func (b *S3Backend) Close() error {
	b.closed.Store(true)
	return nil
}

func (b *S3Backend) key(name string) string { return b.prefix + name }

func (b *S3Backend) where(name string) string { return "s3://" + b.bucket + "/" + b.key(name) }

// List returns the objects whose names start with prefix.
func (b *S3Backend) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	pages := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(b.bucket),
		Prefix: aws.String(b.key(prefix)),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", b.where(prefix), s3Error(err))
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), b.prefix)
			if strings.HasSuffix(name, "/") { // folder marker made by a console
				continue
			}
			out = append(out, ObjectInfo{Name: name, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// errClosed is returned by operations on a closed backend.
var errClosed = errors.New("s3 backend is closed")
