#!/usr/bin/env bash
# run-with.sh CMD ARGS...: run CMD with a real S3-compatible server.
#
# Installs versitygw (POSIX backend) into $REPO/.tools/bin if needed, starts
# it on a free loopback port with a fresh data folder and one bucket, exports
# what the S3 tests read, runs CMD, and stops the server on any exit.
#
#   LAKEHOUSE_TEST_S3_ENDPOINT   http://127.0.0.1:PORT
#   LAKEHOUSE_TEST_S3_BUCKET     the bucket (tests use unique prefixes in it)
#   LAKEHOUSE_TEST_S3_VERSITYGW  the server binary, for tests that start a
#                                private server they can stop and restart
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION  the root account
set -euo pipefail

VERSITYGW_VERSION=v1.8.0
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$repo/.tools/bin/versitygw

if [ "$#" -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

# The version is recorded beside the binary so a version bump reinstalls.
if [ ! -x "$bin" ] || [ "$(cat "$bin.version" 2>/dev/null)" != "$VERSITYGW_VERSION" ]; then
	echo "run-with.sh: installing versitygw $VERSITYGW_VERSION (about 90 s the first time)" >&2
	GOBIN=$repo/.tools/bin go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
	echo "$VERSITYGW_VERSION" > "$bin.version"
fi

data=$(mktemp -d "${TMPDIR:-/tmp}/lakehouse-s3.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port: bind port 0, read it back, release it for the server.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bucket=lakehouse-test
# With the POSIX backend a bucket is a top-level folder.
mkdir -p "$data/root/$bucket"

access=lakehouse-test-access
secret=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
ROOT_ACCESS_KEY=$access ROOT_SECRET_KEY=$secret "$bin" --port "127.0.0.1:$port" posix "$data/root" > "$data/server.log" 2>&1 &
pid=$!

ready=
for _ in $(seq 1 100); do
	if ! kill -0 "$pid" 2>/dev/null; then
		break
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.1
done
if [ -z "$ready" ]; then
	echo "run-with.sh: versitygw did not start:" >&2
	cat "$data/server.log" >&2
	exit 1
fi

export LAKEHOUSE_TEST_S3_ENDPOINT=http://127.0.0.1:$port
export LAKEHOUSE_TEST_S3_BUCKET=$bucket
export LAKEHOUSE_TEST_S3_VERSITYGW=$bin
export AWS_ACCESS_KEY_ID=$access
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=us-east-1
# Tests must not consult the developer's ~/.aws or an instance metadata service.
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

echo "run-with.sh: versitygw $VERSITYGW_VERSION at $LAKEHOUSE_TEST_S3_ENDPOINT, bucket $bucket" >&2
status=0
"$@" || status=$?
exit "$status"
