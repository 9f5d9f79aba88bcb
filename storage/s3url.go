package storage

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// bucketName is S3's rule for bucket names (virtual-host safe subset):
// 3-63 lower-case letters, digits, dots and hyphens, starting and ending
// with a letter or digit.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// parseS3Output checks s3://bucket/prefix. It never echoes a userinfo part,
// because that is where a careless user would put a secret key.
func parseS3Output(output string) (*url.URL, error) {
	u, err := url.Parse(output)
	if err != nil {
		return nil, fmt.Errorf("--output: malformed s3 URL: %v", redactURLError(err))
	}
	if u.User != nil {
		return nil, fmt.Errorf("--output: credentials do not belong in the s3 URL; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an IAM role")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--output %q: an s3 URL takes no query or fragment; use --s3-endpoint, --s3-region, --s3-path-style", "s3://"+u.Host+u.Path)
	}
	if !bucketName.MatchString(u.Host) || strings.Contains(u.Host, "..") {
		return nil, fmt.Errorf("--output %q: %q is not a valid S3 bucket name (3-63 characters: a-z, 0-9, '.', '-')", output, u.Host)
	}
	prefix := strings.Trim(u.Path, "/")
	for _, seg := range strings.Split(prefix, "/") {
		if prefix != "" && (seg == "" || seg == "." || seg == "..") {
			return nil, fmt.Errorf("--output %q: prefix %q has an empty, '.' or '..' segment", output, prefix)
		}
	}
	return &url.URL{Scheme: "s3", Host: u.Host, Path: "/" + prefix}, nil
}

// s3Location splits a URL from parseS3Output into bucket and key prefix
// ("" or "a/b/").
func s3Location(u *url.URL) (bucket, prefix string) {
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	return u.Host, prefix
}

// redactURLError drops the URL from a url.Error: it may hold a password.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// ParseS3Endpoint checks an --s3-endpoint value: an http(s) URL of an
// S3-compatible server without credentials or a path.
func ParseS3Endpoint(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil {
		return "", fmt.Errorf("--s3-endpoint: malformed URL (%v); want http://HOST[:PORT] or https://HOST[:PORT]", redactURLError(err))
	}
	if u.User != nil {
		return "", fmt.Errorf("--s3-endpoint: credentials do not belong in the endpoint URL; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--s3-endpoint %q: want http://HOST[:PORT] or https://HOST[:PORT]", v)
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return "", fmt.Errorf("--s3-endpoint %q: give the server's base URL only; the bucket goes in --output s3://BUCKET/PREFIX", v)
	}
	return u.Scheme + "://" + u.Host, nil
}

var regionName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ParseS3Region checks an --s3-region value such as eu-west-1 or auto (R2).
func ParseS3Region(v string) (string, error) {
	if !regionName.MatchString(v) {
		return "", fmt.Errorf("--s3-region %q: want a region name such as us-east-1, eu-central-1 or auto", v)
	}
	return v, nil
}
