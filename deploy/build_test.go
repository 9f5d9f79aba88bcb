package deploy

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// dockerBuildCommand extracts the `go build` RUN line of the Dockerfile,
// with its ARGs substituted, so the test runs exactly what the image runs.
func dockerBuildCommand(t *testing.T, args map[string]string) string {
	t.Helper()
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.ReplaceAll(string(data), "\\\n", " ")
	m := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*)$`).FindStringSubmatch(joined)
	if m == nil {
		t.Fatal("Dockerfile has no `RUN CGO_ENABLED=0 go build` line")
	}
	cmd := m[1]
	for k, v := range args {
		cmd = strings.ReplaceAll(cmd, "${"+k+"}", v)
	}
	if strings.Contains(cmd, "${") {
		t.Fatalf("unsubstituted ARG in %q", cmd)
	}
	return cmd
}

func TestDockerBuildCommandMakesStaticVersionedBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux")
	}
	out := t.TempDir()
	cmd := dockerBuildCommand(t, map[string]string{"VERSION": "v9.8.7", "COMMIT": "abc1234", "DATE": "2026-11-25T00:00:00Z"})
	cmd = strings.ReplaceAll(cmd, "-o /out/lakehouse", "-o "+filepath.Join(out, "lakehouse"))
	build := exec.Command("sh", "-c", cmd)
	build.Dir = ".."
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, b)
	}
	bin := filepath.Join(out, "lakehouse")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("binary has a dynamic loader: not static, will not run on distroless/static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("binary links %v", libs)
	}
	v, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lakehouse v9.8.7", "commit: abc1234", "built: 2026-11-25T00:00:00Z"} {
		if !strings.Contains(string(v), want) {
			t.Errorf("version output lacks %q:\n%s", want, v)
		}
	}
}

func TestDockerfileRunsAsNonRootFromDistroless(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"FROM gcr.io/distroless/static", "USER 65532:65532", `ENTRYPOINT ["lakehouse"]`, "AS build"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// The release build injects the same variables as the Dockerfile.
func TestGoreleaserLdflagsMatchDockerfile(t *testing.T) {
	data, err := os.ReadFile("../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int `json:"version"`
		Builds  []struct {
			Env     []string `json:"env"`
			Ldflags []string `json:"ldflags"`
			Goos    []string `json:"goos"`
			Goarch  []string `json:"goarch"`
		} `json:"builds"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 2 || len(cfg.Builds) != 1 {
		t.Fatalf("want goreleaser v2 schema with one build: %+v", cfg)
	}
	b := cfg.Builds[0]
	flags := strings.Join(b.Ldflags, " ")
	for _, v := range []string{"cmd.version=", "cmd.commit=", "cmd.date="} {
		if !strings.Contains(flags, "github.com/lakehouse-dev/lakehouse/"+v) {
			t.Errorf("ldflags %q lack %s", flags, v)
		}
	}
	if !strings.Contains(strings.Join(b.Env, " "), "CGO_ENABLED=0") {
		t.Error("release builds must be static (CGO_ENABLED=0)")
	}
	for _, os := range []string{"linux", "darwin", "windows"} {
		if !strings.Contains(strings.Join(b.Goos, " "), os) {
			t.Errorf("goos lacks %s", os)
		}
	}
	for _, a := range []string{"amd64", "arm64"} {
		if !strings.Contains(strings.Join(b.Goarch, " "), a) {
			t.Errorf("goarch lacks %s", a)
		}
	}
}
