package controllers

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	monitoringv1alpha1 "github.com/antrea-monitoring-operator/antrea-monitoring-operator/api/v1alpha1"
)

// TestWriteStatus: the status is written once, with every phase's
// conditions and Ready; observedGeneration moves only when every phase
// succeeded; a failed reconcile returns its error and no RequeueAfter
// (controller-runtime ignores it then, and warns), a successful one the
// earliest requeue a phase asked for; an unchanged status is not written.
func TestWriteStatus(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := monitoringv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	rbacOK := trueCond(monitoringv1alpha1.ConditionRBACReady, monitoringv1alpha1.ReasonClusterRolesApplied, "in place")
	failed := errors.New("boom")
	for _, tc := range []struct {
		name        string
		results     []result
		wantErr     bool
		wantRequeue time.Duration
		wantObsGen  int64
	}{
		{"success: the earliest requeue", []result{{conditions: []metav1.Condition{rbacOK}, requeueAfter: time.Minute}, {requeueAfter: 2 * time.Second}, {}},
			false, 2 * time.Second, 3},
		{"a phase failed: its error alone", []result{{conditions: []metav1.Condition{rbacOK}, requeueAfter: time.Minute}, {err: failed, requeueAfter: 2 * time.Second}},
			true, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			am := &monitoringv1alpha1.AntreaMonitoring{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 3}}
			am.Status.ObservedGeneration = 1
			patches := 0
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(am).WithStatusSubresource(am).
				WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
					patches++
					return c.SubResource(sub).Patch(ctx, obj, p, opts...)
				}}).Build()
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(am), am); err != nil {
				t.Fatal(err)
			}
			r := &AntreaMonitoringReconciler{Client: c, Recorder: &events.FakeRecorder{}}
			s := &scope{am: am, status: am.Status.DeepCopy()}
			res, err := r.writeStatus(context.Background(), s, tc.results)
			if (err != nil) != tc.wantErr || res.RequeueAfter != tc.wantRequeue {
				t.Fatalf("got %+v, %v; want RequeueAfter %s, error %v", res, err, tc.wantRequeue, tc.wantErr)
			}
			if tc.wantErr && !errors.Is(err, failed) {
				t.Errorf("error %v does not wrap the phase's", err)
			}
			var got monitoringv1alpha1.AntreaMonitoring
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(am), &got); err != nil {
				t.Fatal(err)
			}
			if patches != 1 || got.Status.ObservedGeneration != tc.wantObsGen {
				t.Errorf("%d status writes, observedGeneration %d; want 1 write, %d", patches, got.Status.ObservedGeneration, tc.wantObsGen)
			}
			for _, typ := range []string{monitoringv1alpha1.ConditionRBACReady, monitoringv1alpha1.ConditionReady} {
				if c := meta.FindStatusCondition(got.Status.Conditions, typ); c == nil || c.ObservedGeneration != 3 {
					t.Errorf("condition %s = %+v, want it set for generation 3", typ, c)
				}
			}
			// The same outcome again writes nothing.
			s = &scope{am: &got, status: got.Status.DeepCopy()}
			if _, err := r.writeStatus(context.Background(), s, tc.results); (err != nil) != tc.wantErr || patches != 1 {
				t.Errorf("an unchanged status was written again (%d writes, %v)", patches, err)
			}
		})
	}
}
