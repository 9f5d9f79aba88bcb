package cmd

import (
	"log/slog"
	"net/url"

	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/storage"
)

// s3Options are the flags for S3 and S3-compatible servers. Credentials are
// deliberately not flags: they come from the SDK's chain (AWS_* env,
// AWS_PROFILE, IRSA), so they never land in shell history or `config`.
type s3Options struct {
	endpoint  string
	pathStyle bool
	region    string
}

func (o *s3Options) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.endpoint, "s3-endpoint", "", "S3-compatible server for s3:// output, e.g. http://127.0.0.1:7070 (MinIO, versitygw) or https://ACCOUNT.r2.cloudflarestorage.com (default: AWS)")
	f.BoolVar(&o.pathStyle, "s3-path-style", false, "address buckets as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT (MinIO, versitygw)")
	f.StringVar(&o.region, "s3-region", "", "S3 region (default: AWS_REGION or the AWS profile's; us-east-1 with --s3-endpoint; R2: auto)")
}

// config checks the flags. They are only checked when the output is on S3,
// so an LAKEHOUSE_S3_* env meant for another run cannot break a local one.
func (o *s3Options) config(output *url.URL) (storage.S3Config, error) {
	var cfg storage.S3Config
	if output == nil || output.Scheme != "s3" {
		return cfg, nil
	}
	var err error
	if o.endpoint != "" {
		if cfg.Endpoint, err = storage.ParseS3Endpoint(o.endpoint); err != nil {
			return cfg, usageError("%v", err)
		}
	}
	if o.region != "" {
		if cfg.Region, err = storage.ParseS3Region(o.region); err != nil {
			return cfg, usageError("%v", err)
		}
	}
	cfg.PathStyle = o.pathStyle
	return cfg, nil
}

// storageOptions are the backend settings of a validated plan.
func storageOptions(s3 storage.S3Config, logger *slog.Logger) storage.Options {
	return storage.Options{S3: s3, Logger: logger}
}
