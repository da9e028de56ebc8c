package selfmetrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// Record exports the status as it is now: a changed reason replaces the
// old series, expected counts come beside the pools' states, and Forget
// drops an AntreaMonitoring whole, leaving the others.
func TestRecord(t *testing.T) {
	st := &monitoringv1alpha1.AntreaMonitoringStatus{Mode: monitoringv1alpha1.ModeManaged, AntreaVersion: "v2.7.0", SeriesProfile: "Essential",
		Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionFalse, Reason: "NotReady"}},
		Targets:    []monitoringv1alpha1.TargetHealth{{ScrapePool: "antrea-agents", Up: 2, Down: 1}}}
	Record("a", st, map[string]int{"antrea-agents": 4})
	Record("b", st, nil)
	st.Conditions[0].Status, st.Conditions[0].Reason = metav1.ConditionTrue, "Ready"
	Record("a", st, map[string]int{"antrea-agents": 4})
	want := `
# HELP antreamonitoring_status_condition 1 for each condition of an AntreaMonitoring, labelled with its type, status (True, False, Unknown) and reason.
# TYPE antreamonitoring_status_condition gauge
antreamonitoring_status_condition{name="a",reason="Ready",status="True",type="Ready"} 1
antreamonitoring_status_condition{name="b",reason="NotReady",status="False",type="Ready"} 1
`
	if err := testutil.CollectAndCompare(conditions, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	wantTargets := `
# HELP antreamonitoring_targets Scrape targets of an AntreaMonitoring's pool, as its last health check saw them: state up, down or unknown (not scraped yet), and expected (what Antrea runs).
# TYPE antreamonitoring_targets gauge
antreamonitoring_targets{name="a",pool="antrea-agents",state="down"} 1
antreamonitoring_targets{name="a",pool="antrea-agents",state="expected"} 4
antreamonitoring_targets{name="a",pool="antrea-agents",state="unknown"} 0
antreamonitoring_targets{name="a",pool="antrea-agents",state="up"} 2
antreamonitoring_targets{name="b",pool="antrea-agents",state="down"} 1
antreamonitoring_targets{name="b",pool="antrea-agents",state="unknown"} 0
antreamonitoring_targets{name="b",pool="antrea-agents",state="up"} 2
`
	if err := testutil.CollectAndCompare(targets, strings.NewReader(wantTargets)); err != nil {
		t.Error(err)
	}
	Forget("a")
	if n := testutil.CollectAndCount(info); n != 1 {
		t.Errorf("%d info series after Forget(a), want b's only", n)
	}
	if got := testutil.ToFloat64(info.WithLabelValues("b", "Managed", "v2.7.0", "Essential")); got != 1 {
		t.Errorf("b's info = %v", got)
	}
}
