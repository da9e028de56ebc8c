package controllers

import (
	"reflect"
	"testing"

	toolscache "k8s.io/client-go/tools/cache"
)

// The index follows the informer's events: a heartbeat (nothing read
// changes) leaves the handed-out map as it is, a change of what is read,
// a deletion and a tombstone (a deletion the watch missed) are seen.
func TestAgentIndex(t *testing.T) {
	x := newAgentIndex()
	a, b := agentInfoObject("node-a", "v2.7.0", 10350, nil), agentInfoObject("node-b", "v2.7.0", 10350, nil)
	x.OnAdd(a, true)
	x.OnAdd(b, true)
	first := x.agents()
	if len(first) != 2 || first["node-a"].Version != "v2.7.0" {
		t.Fatalf("agents() = %+v, want node-a and node-b at v2.7.0", first)
	}

	beat := a.DeepCopy()
	beat.Object["agentConditions"] = []any{map[string]any{"type": "AgentHealthy", "lastHeartbeatTime": "2026-11-25T10:01:00Z"}}
	beat.SetResourceVersion("8")
	x.OnUpdate(a, beat)
	if again := x.agents(); reflect.ValueOf(again).Pointer() != reflect.ValueOf(first).Pointer() {
		t.Error("a heartbeat rebuilt the map")
	}

	upgraded := agentInfoObject("node-a", "v2.8.0", 10350, nil)
	x.OnUpdate(a, upgraded)
	if got := x.agents()["node-a"].Version; got != "v2.8.0" {
		t.Errorf("after an upgrade node-a reports %q, want v2.8.0", got)
	}
	if first["node-a"].Version != "v2.7.0" {
		t.Error("a map handed out earlier changed under its reader")
	}

	x.OnDelete(b)
	x.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "node-a", Obj: upgraded})
	x.OnDelete("not an object")
	if got := x.agents(); len(got) != 0 {
		t.Errorf("after both deletions: %+v, want none", got)
	}
}
