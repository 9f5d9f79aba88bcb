package storage_test

import (
	"strings"
	"testing"

	"github.com/lakehouse-dev/lakehouse/storage"
)

func TestParseOutputS3(t *testing.T) {
	ok := []struct{ in, bucket, path string }{
		{"s3://crypto-data/lake", "crypto-data", "/lake"},
		{"s3://crypto-data", "crypto-data", "/"},
		{"s3://crypto-data/", "crypto-data", "/"},
		{"S3://crypto.data/a/b/", "crypto.data", "/a/b"},
	}
	for _, tc := range ok {
		u, err := storage.ParseOutput(tc.in)
		if err != nil || u.Scheme != "s3" || u.Host != tc.bucket || u.Path != tc.path {
			t.Errorf("ParseOutput(%q) = %v, %v; want bucket %s path %s", tc.in, u, err, tc.bucket, tc.path)
		}
	}
	bad := []struct{ in, want string }{
		{"s3://AKIAXXXX:wJalrXUtnFEMI@bucket/lake", "credentials do not belong"},
		{"s3://ab/lake", "not a valid S3 bucket name"},
		{"s3://Crypto_Data/lake", "not a valid S3 bucket name"},
		{"s3:///lake", "not a valid S3 bucket name"},
		{"s3://bucket/a//b", "empty, '.' or '..' segment"},
		{"s3://bucket/a/../b", "empty, '.' or '..' segment"},
		{"s3://bucket/lake?region=eu-west-1", "takes no query"},
	}
	for _, tc := range bad {
		_, err := storage.ParseOutput(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseOutput(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "wJalrXUtnFEMI") {
			t.Errorf("ParseOutput(%q) shows the secret: %v", tc.in, err)
		}
	}
}

func TestParseS3EndpointAndRegion(t *testing.T) {
	endpoints := []struct{ in, want, err string }{
		{"http://127.0.0.1:7070", "http://127.0.0.1:7070", ""},
		{"https://acc.r2.cloudflarestorage.com/", "https://acc.r2.cloudflarestorage.com", ""},
		{"127.0.0.1:7070", "", "want http://HOST[:PORT]"},
		{"ftp://host", "", "want http://HOST[:PORT]"},
		{"http://minio:9000/bucket", "", "the bucket goes in --output"},
		{"http://admin:s3cr3t@minio:9000", "", "credentials do not belong"},
	}
	for _, tc := range endpoints {
		got, err := storage.ParseS3Endpoint(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseS3Endpoint(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseS3Endpoint(%q) error %v, want %q", tc.in, err, tc.err)
		case err != nil && strings.Contains(err.Error(), "s3cr3t"):
			t.Errorf("ParseS3Endpoint(%q) shows the secret: %v", tc.in, err)
		}
	}
	for in, valid := range map[string]bool{"us-east-1": true, "auto": true, "eu-central-1": true, "US-EAST-1": false, "": false, "eu west": false} {
		if _, err := storage.ParseS3Region(in); (err == nil) != valid {
			t.Errorf("ParseS3Region(%q) = %v, want valid=%v", in, err, valid)
		}
	}
}
