package antrea

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/antreaconf"
)

func configMap(rv, agent, controller string, annotations map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "antrea-config", ResourceVersion: rv, Annotations: annotations},
		Data:       map[string]string{AgentConfKey: agent, ControllerConfKey: controller, "antrea-cni.conflist": "{}"},
	}
}

var keys = []string{AgentConfKey, ControllerConfKey}

func TestPlanEnableThenRestore(t *testing.T) {
	cm := configMap("7", "a: 1\nenablePrometheusMetrics: false\n", "#enablePrometheusMetrics: true\n", nil)
	p, err := PlanEnable(cm, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Write || len(p.Changed) != 1 || p.Changed[0] != AgentConfKey || len(p.Reverted) != 0 {
		t.Fatalf("PlanEnable() = %+v, want only the agent conf changed", p)
	}
	if got := p.Data[AgentConfKey]; got != "a: 1\nenablePrometheusMetrics: true\n" {
		t.Errorf("agent conf = %q", got)
	}
	if p.Data[ControllerConfKey] != cm.Data[ControllerConfKey] || p.Data["antrea-cni.conflist"] != "{}" {
		t.Errorf("other keys changed: %+v", p.Data)
	}
	if got, want := p.Annotations[OriginalAnnotation], `{"antrea-agent.conf":{"state":"Present","value":false,"token":"false"}}`; got != want {
		t.Errorf("original annotation = %s, want %s", got, want)
	}
	wantHash := ConfHash(p.Data[AgentConfKey], "7")
	if got := WantedHashes(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Annotations: p.Annotations}}); len(got) != 1 || got[AgentConfKey] != wantHash {
		t.Errorf("hashes = %v, want agent=%s", got, wantHash)
	}
	if cm.Data[AgentConfKey] != "a: 1\nenablePrometheusMetrics: false\n" || cm.Annotations != nil {
		t.Errorf("PlanEnable modified its input")
	}

	// The edited ConfigMap needs nothing more.
	edited := configMap("8", p.Data[AgentConfKey], p.Data[ControllerConfKey], p.Annotations)
	again, err := PlanEnable(edited, keys)
	if err != nil || again.Write {
		t.Fatalf("PlanEnable() on its own result = %+v, %v; want no write", again, err)
	}

	// Someone reverts; enabling again is reported and hashes differently.
	reverted := configMap("9", cm.Data[AgentConfKey], p.Data[ControllerConfKey], p.Annotations)
	re, err := PlanEnable(reverted, keys)
	if err != nil || !re.Write || len(re.Reverted) != 1 || re.Reverted[0] != AgentConfKey {
		t.Fatalf("PlanEnable() after a revert = %+v, %v", re, err)
	}
	if WantedHashes(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Annotations: re.Annotations}})[AgentConfKey] == wantHash {
		t.Errorf("re-enabling after a revert kept the rollout hash: Antrea would not restart")
	}
	if re.Annotations[OriginalAnnotation] != p.Annotations[OriginalAnnotation] {
		t.Errorf("the first original must be kept, got %s", re.Annotations[OriginalAnnotation])
	}

	// Restore puts the original back and forgets it.
	r, err := PlanRestore(edited)
	if err != nil || !r.Write {
		t.Fatalf("PlanRestore() = %+v, %v", r, err)
	}
	if r.Data[AgentConfKey] != cm.Data[AgentConfKey] || r.Data[ControllerConfKey] != cm.Data[ControllerConfKey] {
		t.Errorf("PlanRestore() data = %+v, want the original", r.Data)
	}
	if _, ok := r.Annotations[OriginalAnnotation]; ok {
		t.Errorf("PlanRestore() kept the original annotation")
	}
	if len(r.Annotations) != 0 {
		t.Errorf("PlanRestore() annotations = %v, want none: the ConfigMap had none before the operator", r.Annotations)
	}
	// The restore rolls out on a hash of the restored conf alone.
	if got := RestoredHashes(&corev1.ConfigMap{Data: r.Data}, keys); got[AgentConfKey] != RestoreHash(cm.Data[AgentConfKey]) || got[AgentConfKey] == wantHash {
		t.Errorf("RestoredHashes() = %v: want the restored conf's RestoreHash, not the enabling hash", got)
	}
}

func TestPlanEnableNoWriteWhenDefaultIsOn(t *testing.T) {
	p, err := PlanEnable(configMap("1", "#enablePrometheusMetrics: true\n", "", nil), keys)
	if err != nil || p.Write || len(p.Changed) != 0 {
		t.Fatalf("PlanEnable() = %+v, %v; want no write", p, err)
	}
	r, err := PlanRestore(configMap("1", "a: 1\n", "", nil))
	if err != nil || r.Write {
		t.Fatalf("PlanRestore() without a record = %+v, %v; want no write", r, err)
	}
}

func TestPlanEnableInvalid(t *testing.T) {
	tests := []struct {
		name string
		cm   *corev1.ConfigMap
		want string
	}{
		{"broken agent conf", configMap("1", "a: [", "enablePrometheusMetrics: false\n", nil),
			"antrea-agent.conf in ConfigMap antrea-config: invalid Antrea configuration: yaml: line 1: did not find expected node content"},
		{"missing key", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "antrea-config"}, Data: map[string]string{AgentConfKey: ""}},
			"antrea-controller.conf in ConfigMap antrea-config: key not found"},
		{"corrupt record", configMap("1", "", "", map[string]string{OriginalAnnotation: "{"}),
			"annotation monitoring.antrea.io/original-enable-prometheus-metrics in ConfigMap antrea-config: unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PlanEnable(tt.cm, keys)
			var invalid *InvalidConfError
			if !errors.As(err, &invalid) || err.Error() != tt.want {
				t.Fatalf("PlanEnable() error = %v, want InvalidConfError %q", err, tt.want)
			}
		})
	}
	_, err := PlanEnable(configMap("1", "a: [", "", nil), keys)
	if !errors.Is(err, antreaconf.ErrInvalid) {
		t.Errorf("a parse error must wrap antreaconf.ErrInvalid, got %v", err)
	}
}

func TestManagedBy(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Labels:      map[string]string{"app.kubernetes.io/managed-by": "Helm"},
		Annotations: map[string]string{"meta.helm.sh/release-name": "antrea", "meta.helm.sh/release-namespace": "kube-system"},
		ManagedFields: []metav1.ManagedFieldsEntry{
			{Manager: "helm", FieldsV1: metav1.NewFieldsV1(`{"f:data":{"f:antrea-agent.conf":{}}}`)},
			{Manager: "kubectl", FieldsV1: metav1.NewFieldsV1(`{"f:data":{"f:antrea-cni.conflist":{}}}`)},
			{Manager: "antrea-monitoring-operator", FieldsV1: metav1.NewFieldsV1(`{"f:data":{"f:antrea-agent.conf":{}}}`)},
			{Manager: "labeler", FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:labels":{}}}`)},
		},
	}}
	if got, want := ManagedBy(cm, "antrea-monitoring-operator", []string{AgentConfKey}), "managed by Helm (release kube-system/antrea); last written by helm"; got != want {
		t.Errorf("ManagedBy() = %q, want %q", got, want)
	}
	if got := ManagedBy(&corev1.ConfigMap{}, "x", []string{AgentConfKey}); got != "" {
		t.Errorf("ManagedBy() of an unlabelled ConfigMap = %q, want empty", got)
	}
}
