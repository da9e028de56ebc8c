package uninstall

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/controllers"
	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/manager"
)

const finalizer = controllers.Finalizer

func held(name string) *monitoringv1alpha1.AntreaMonitoring {
	am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: name, Finalizers: []string{finalizer}}}
	meta.SetStatusCondition(&am.Status.Conditions, metav1.Condition{Type: monitoringv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "NotReady", Message: "AntreaMetricsEnabled is UpdateFailed"})
	return am
}

func TestRunWaitsForTheFinalizer(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(manager.Scheme()).WithObjects(held("antrea")).WithStatusSubresource(&monitoringv1alpha1.AntreaMonitoring{}).Build()
	released := make(chan struct{})
	go func() {
		// The operator: sees the deletion, restores, removes its finalizer.
		defer close(released)
		for {
			var am monitoringv1alpha1.AntreaMonitoring
			if err := c.Get(context.Background(), client.ObjectKey{Name: "antrea"}, &am); err == nil && am.DeletionTimestamp != nil {
				time.Sleep(50 * time.Millisecond)
				am.Finalizers = nil
				if err := c.Update(context.Background(), &am); err != nil {
					t.Errorf("removing the finalizer: %v", err)
				}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var logs []string
	err := Run(context.Background(), c, "antrea", 10*time.Millisecond, 5*time.Second, func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) })
	<-released
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "antrea"}, &monitoringv1alpha1.AntreaMonitoring{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the AntreaMonitoring is still there: %v", err)
	}
	if len(logs) != 2 || !strings.Contains(logs[1], "is gone") {
		t.Errorf("logs = %q, want the deletion and then 'is gone'", logs)
	}
}

func TestRunNamesWhatHoldsIt(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(manager.Scheme()).WithObjects(held("antrea")).WithStatusSubresource(&monitoringv1alpha1.AntreaMonitoring{}).Build()
	err := Run(context.Background(), c, "antrea", 10*time.Millisecond, 100*time.Millisecond, func(string, ...any) {})
	if err == nil {
		t.Fatal("Run returned nil while the finalizer holds the AntreaMonitoring")
	}
	for _, want := range []string{"antrea is still there after 100ms", finalizer, "NotReady", "UpdateFailed", "is the operator running"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestRunWithNothingToDelete(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(manager.Scheme()).Build()
	var logs []string
	if err := Run(context.Background(), c, "antrea", 10*time.Millisecond, time.Second, func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(logs) != 1 || !strings.Contains(logs[0], "does not exist") {
		t.Errorf("logs = %q", logs)
	}
}
