// Package deploy holds the Kubernetes manifests; its tests decode every
// manifest strictly into the Kubernetes API types, so a typo in a field
// name fails here rather than in the cluster.
package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/lakehouse-dev/lakehouse/cmd"
)

// kustomization is the subset of kustomize's schema the manifests use;
// strict decoding rejects anything else.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels,omitempty"`
	Images []struct {
		Name    string `json:"name"`
		NewTag  string `json:"newTag"`
		NewName string `json:"newName,omitempty"`
	} `json:"images,omitempty"`
	Patches []struct {
		Path string `json:"path"`
	} `json:"patches,omitempty"`
	Components []string `json:"components,omitempty"`
}

// prometheusRule is the Prometheus Operator's PrometheusRule
// (monitoring.coreos.com/v1): the fields the alerts component uses.
type prometheusRule struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Record      string            `json:"record,omitempty"`
				Alert       string            `json:"alert,omitempty"`
				Expr        string            `json:"expr"`
				For         string            `json:"for,omitempty"`
				Labels      map[string]string `json:"labels,omitempty"`
				Annotations map[string]string `json:"annotations,omitempty"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

type manifests struct {
	cronJobs []batchv1.CronJob
	jobs     []batchv1.Job
	configs  map[string]string
	accounts []corev1.ServiceAccount
	rules    []prometheusRule
	// components lists the components each kustomization includes.
	components map[string][]string
}

func load(t *testing.T) manifests {
	t.Helper()
	m := manifests{configs: map[string]string{}, components: map[string][]string{}}
	files, _ := filepath.Glob("kubernetes/*/*.yaml")
	more, _ := filepath.Glob("kubernetes/overlays/*/*.yaml")
	components, _ := filepath.Glob("kubernetes/components/*/*.yaml")
	files = append(append(files, more...), components...)
	if len(files) < 8 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range bytes.Split(data, []byte("\n---")) {
			var meta struct{ Kind string }
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var err2 error
			switch meta.Kind {
			case "Kustomization", "Component":
				var k kustomization
				if err2 = yaml.UnmarshalStrict(doc, &k); err2 == nil {
					for _, r := range append(append(k.Resources, patchPaths(k)...), k.Components...) {
						if _, err := os.Stat(filepath.Join(filepath.Dir(f), r)); err != nil {
							t.Errorf("%s lists %s: %v", f, r, err)
						}
					}
					m.components[f] = k.Components
				}
				if want := map[string]string{"Kustomization": "kustomize.config.k8s.io/v1beta1", "Component": "kustomize.config.k8s.io/v1alpha1"}[meta.Kind]; k.APIVersion != want {
					t.Errorf("%s: %s apiVersion %q, want %s", f, meta.Kind, k.APIVersion, want)
				}
			case "PrometheusRule":
				var r prometheusRule
				if err2 = yaml.UnmarshalStrict(doc, &r); err2 == nil {
					m.rules = append(m.rules, r)
				}
				if r.APIVersion != "monitoring.coreos.com/v1" {
					t.Errorf("%s: PrometheusRule apiVersion %q", f, r.APIVersion)
				}
			case "CronJob":
				var c batchv1.CronJob
				if err2 = yaml.UnmarshalStrict(doc, &c); err2 == nil {
					m.cronJobs = append(m.cronJobs, c)
				}
			case "Job":
				var j batchv1.Job
				if err2 = yaml.UnmarshalStrict(doc, &j); err2 == nil {
					m.jobs = append(m.jobs, j)
				}
			case "ConfigMap":
				var c corev1.ConfigMap
				if err2 = yaml.UnmarshalStrict(doc, &c); err2 == nil && !strings.Contains(f, "overlays") {
					for k, v := range c.Data {
						m.configs[k] = v
					}
				}
			case "ServiceAccount":
				var s corev1.ServiceAccount
				if err2 = yaml.UnmarshalStrict(doc, &s); err2 == nil {
					m.accounts = append(m.accounts, s)
				}
			default:
				t.Errorf("%s: unexpected kind %q", f, meta.Kind)
			}
			if err2 != nil {
				t.Errorf("%s (%s): %v", f, meta.Kind, err2)
			}
		}
	}
	return m
}

func patchPaths(k kustomization) []string {
	var out []string
	for _, p := range k.Patches {
		out = append(out, p.Path)
	}
	return out
}

func TestManifestsDecodeStrictly(t *testing.T) {
	m := load(t)
	if len(m.cronJobs) != 1 || len(m.jobs) != 1 || len(m.accounts) != 2 || len(m.rules) != 1 {
		t.Fatalf("cronjobs %d jobs %d serviceaccounts %d prometheusrules %d", len(m.cronJobs), len(m.jobs), len(m.accounts), len(m.rules))
	}
	if c := m.components["kubernetes/overlays/example/kustomization.yaml"]; !slices.Equal(c, []string{"../../components/alerts"}) {
		t.Errorf("the example overlay's components are %v, want the alerts", c)
	}
}

func TestCronJobSettings(t *testing.T) {
	c := load(t).cronJobs[0]
	s := c.Spec
	if s.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("concurrencyPolicy %q, want Forbid", s.ConcurrencyPolicy)
	}
	if s.StartingDeadlineSeconds == nil || s.SuccessfulJobsHistoryLimit == nil || s.FailedJobsHistoryLimit == nil {
		t.Error("startingDeadlineSeconds and history limits must be set")
	}
	js := s.JobTemplate.Spec
	if js.BackoffLimit == nil || js.ActiveDeadlineSeconds == nil {
		t.Error("backoffLimit and activeDeadlineSeconds must be set")
	}
	checkPod(t, "cronjob", js.Template.Spec)
	args := js.Template.Spec.Containers[0].Args
	if len(args) == 0 || args[0] != "collect" || slices.Contains(args, "--start") {
		t.Errorf("cronjob args %v: want a resuming collect", args)
	}
}

func TestBackfillJobIsShardedByIndex(t *testing.T) {
	j := load(t).jobs[0]
	if j.Spec.CompletionMode == nil || *j.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatal("backfill Job must be Indexed")
	}
	args := j.Spec.Template.Spec.Containers[0].Args
	i := slices.Index(args, "--shards")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("args %v lack --shards", args)
	}
	if j.Spec.Completions == nil || args[i+1] != itoa(int(*j.Spec.Completions)) {
		t.Errorf("--shards %s must equal completions", args[i+1])
	}
	checkPod(t, "backfill", j.Spec.Template.Spec)
}

func itoa(i int) string { return strconv.Itoa(i) }

// checkPod asserts the settings every lakehouse pod must have.
func checkPod(t *testing.T, name string, p corev1.PodSpec) {
	t.Helper()
	if p.RestartPolicy != corev1.RestartPolicyNever || p.ServiceAccountName != "lakehouse" {
		t.Errorf("%s: restartPolicy %q serviceAccount %q", name, p.RestartPolicy, p.ServiceAccountName)
	}
	psc := p.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v", name, psc)
	}
	if len(p.Containers) != 1 {
		t.Fatalf("%s: %d containers", name, len(p.Containers))
	}
	c := p.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
		*sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: container securityContext %+v", name, sc)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("%s: no %s request", name, r)
		}
		if _, ok := c.Resources.Limits[r]; !ok {
			t.Errorf("%s: no %s limit", name, r)
		}
	}
	var fromConfig, fromSecret bool
	for _, e := range c.EnvFrom {
		if e.ConfigMapRef != nil && e.ConfigMapRef.Name == "lakehouse" {
			fromConfig = true
		}
		if e.SecretRef != nil && e.SecretRef.Name == "lakehouse-s3" {
			fromSecret = true
		}
	}
	if !fromConfig || !fromSecret {
		t.Errorf("%s: env must come from ConfigMap lakehouse and Secret lakehouse-s3", name)
	}
	var resAttrs bool
	for _, e := range c.Env {
		if e.Name == "OTEL_RESOURCE_ATTRIBUTES" && strings.Contains(e.Value, "k8s.pod.name=$(POD_NAME)") {
			resAttrs = true
		}
	}
	if !resAttrs {
		t.Errorf("%s: OTEL_RESOURCE_ATTRIBUTES with the pod name is missing", name)
	}
}

func TestConfigMapEnv(t *testing.T) {
	cfg := load(t).configs
	for _, k := range []string{"LAKEHOUSE_OUTPUT", "LAKEHOUSE_SYMBOLS", "LAKEHOUSE_TIMEFRAMES", "OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "DEPLOYMENT_ENV"} {
		if cfg[k] == "" {
			t.Errorf("ConfigMap lacks %s", k)
		}
	}
	for k := range cfg {
		if strings.Contains(k, "SECRET") || strings.Contains(k, "ACCESS_KEY") {
			t.Errorf("credential %s belongs in a Secret, not the ConfigMap", k)
		}
	}
	if !strings.HasPrefix(cfg["LAKEHOUSE_OUTPUT"], "s3://") {
		t.Errorf("LAKEHOUSE_OUTPUT %q: a CronJob's pod filesystem is ephemeral, use S3", cfg["LAKEHOUSE_OUTPUT"])
	}
}

// shutdownSlack covers what the shutdown budget does not time: cancelling
// requests, closing the sink, printing the summary, the process exit.
const shutdownSlack = 10 * time.Second

// shutdownBudget is the longest a collect run may take after SIGTERM, from
// the code's own timeouts (docs/kubernetes.md, "Shutdown budget"): a file
// write in flight, or one that waited for a free write slot and then
// started, each bounded by finalFlushTimeout, then the telemetry flush.
func shutdownBudget(t *testing.T, c corev1.Container, config map[string]string) time.Duration {
	t.Helper()
	write := sourceSeconds(t, "../collector", `finalFlushTimeout\s*=\s*(\d+)\s*\*\s*time\.Second`)
	telemetry := sourceSeconds(t, "../cmd", `"telemetry-timeout",\s*(\d+)\s*\*\s*time\.Second`)
	set := config["LAKEHOUSE_TELEMETRY_TIMEOUT"]
	for _, e := range c.Env {
		if e.Name == "LAKEHOUSE_TELEMETRY_TIMEOUT" {
			set = e.Value
		}
	}
	for i, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--telemetry-timeout="); ok {
			set = v
		} else if a == "--telemetry-timeout" && i+1 < len(c.Args) {
			set = c.Args[i+1]
		}
	}
	if set != "" {
		d, err := time.ParseDuration(set)
		if err != nil {
			t.Fatalf("--telemetry-timeout %q: %v", set, err)
		}
		telemetry = d
	}
	return 2*write + telemetry
}

// sourceSeconds finds the one match of pattern (its group: whole seconds)
// in the non-test Go files of dir.
func sourceSeconds(t *testing.T, dir, pattern string) time.Duration {
	t.Helper()
	re := regexp.MustCompile(pattern)
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var found []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(data, -1) {
			found = append(found, string(m[1]))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d matches of %s in %s: a shutdown timeout moved or changed form; update shutdownBudget and docs/kubernetes.md", len(found), pattern, dir)
	}
	s, _ := strconv.Atoi(found[0])
	return time.Duration(s) * time.Second
}

// Kubernetes sends SIGTERM and kills the pod terminationGracePeriodSeconds
// later (30 s unless set): less than collect may need to finish its files
// and flush telemetry.
func TestGracePeriodCoversShutdownBudget(t *testing.T) {
	m := load(t)
	pods := map[string]corev1.PodSpec{}
	for _, c := range m.cronJobs {
		pods["CronJob "+c.Name] = c.Spec.JobTemplate.Spec.Template.Spec
	}
	for _, j := range m.jobs {
		pods["Job "+j.Name] = j.Spec.Template.Spec
	}
	for name, p := range pods {
		need := shutdownBudget(t, p.Containers[0], m.configs) + shutdownSlack
		grace := 30 * time.Second // Kubernetes' default
		if p.TerminationGracePeriodSeconds != nil {
			grace = time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
		}
		if grace < need {
			t.Errorf("%s: terminationGracePeriodSeconds %v is below the shutdown budget %v (writes, telemetry flush and %v slack)", name, grace, need, shutdownSlack)
		}
	}
}

// TestConfigMapIsValidCollectConfig: the ConfigMaps' LAKEHOUSE_* values
// (base and overlay) are ones collect accepts, each naming a real flag:
// lakehouse config, given exactly that environment, exits 0 and reports
// every one of them as taken from the environment.
func TestConfigMapIsValidCollectConfig(t *testing.T) {
	cfg := load(t).configs
	var out, errb bytes.Buffer
	io := cmd.IO{Out: &out, Err: &errb, Now: time.Now, Getenv: func(k string) string { return cfg[k] }}
	if code := cmd.Run(context.Background(), io, []string{"config", "--format", "json"}); code != cmd.ExitOK {
		t.Fatalf("lakehouse config with the ConfigMap's environment: exit %d: %s", code, errb.String())
	}
	var got struct {
		Settings []struct{ Name, Value, Source string }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	fromEnv := map[string]bool{}
	for _, s := range got.Settings {
		if strings.HasPrefix(s.Source, "env ") {
			fromEnv[strings.TrimPrefix(s.Source, "env ")] = true
		}
	}
	for k := range cfg {
		if strings.HasPrefix(k, "LAKEHOUSE_") && !fromEnv[k] {
			t.Errorf("%s in the ConfigMap is not a collect flag (config does not take it)", k)
		}
	}
}
